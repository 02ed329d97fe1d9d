//! The audit log page: the latest security-relevant actions (see `crate::audit`).

use rocket::{Route, State, get, routes};
use serde_json::json;

use crate::auth::AdminUser;
use crate::error::Result;
use crate::web::{App, Html, Page};

const SHOWN: i64 = 200;

pub fn routes() -> Vec<Route> {
    routes![audit_page]
}

#[get("/audit")]
async fn audit_page(_admin: AdminUser, page: Page<'_>, app: &State<App>) -> Result<Html> {
    let rows = app.db.read(|c| crate::audit::latest(c, SHOWN)).await?;
    super::render(
        &page,
        app,
        "admin/audit.html",
        json!({ "rows": rows, "limit": SHOWN }),
    )
    .await
}
