//! The REST API under `/api/v1`: JSON only, `Authorization: Bearer TOKEN` (no cookies, so no
//! CSRF surface), one error shape `{"error": {"code", "message"}}` for every failure, from a
//! handler, a guard or a catcher alike.
//!
//! The handlers call the same ticket actions (`workflow::Desk`) and queries the desk's pages
//! call, as the token's staff member, so an API change behaves exactly like the same change in
//! the desk.

pub mod attachments;
pub mod body;
pub mod error;
mod fields;
pub mod guard;
pub mod incidents;
pub mod messages;
pub mod openapi;
pub mod rate_limit;
pub mod reference;
mod ticket_list;
pub mod tickets;

use rocket::{Catcher, Route};

pub use error::{ApiError, ApiResult};
pub use guard::{ApiUser, ApiWriter};
pub use rate_limit::RateLimiter;

/// Every route of the API (mounted at `/api/v1`).
pub fn routes() -> Vec<Route> {
    let mut routes = reference::routes();
    routes.extend(tickets::routes());
    routes.extend(rocket::routes![ticket_list::list]);
    routes.extend(messages::routes());
    routes.extend(attachments::routes());
    routes.extend(openapi::routes());
    routes.extend(incidents::routes());
    routes
}

/// The API's catchers: the JSON error shape for every status.
pub fn catchers() -> Vec<Catcher> {
    error::catchers()
}
