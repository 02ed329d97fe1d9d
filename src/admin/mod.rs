//! Admin pages (role admin): staff accounts, categories, statuses, priorities, settings, audit.

use rocket::Route;

pub fn routes() -> Vec<Route> {
    Vec::new()
}
