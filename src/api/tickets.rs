//! Tickets through the API: the list (filters, cursor pages), one ticket, opening, changing
//! and replying; each change goes through `workflow::Desk` as the token's staff member.

use rocket::serde::json::Json;
use rocket::{State, get, routes};
use serde_json::Value;

use super::{ApiError, ApiResult, ApiUser};
use crate::tickets::{json as ticket_json, normalize_tracking_id, store};
use crate::web::App;

pub fn routes() -> Vec<rocket::Route> {
    routes![ticket]
}

/// One ticket the token's member may see; one they may not is as unknown as a missing one.
#[get("/tickets/<tracking_id>")]
async fn ticket(app: &State<App>, user: ApiUser, tracking_id: &str) -> ApiResult<Value> {
    let not_found = || ApiError::not_found(format!("no ticket {tracking_id}"));
    let tracking_id = normalize_tracking_id(tracking_id).ok_or_else(not_found)?;
    let access = user.staff.access.clone();
    let found = app
        .db
        .read(move |c| {
            let Some(t) = store::get_by_tracking_id(c, &tracking_id)? else {
                return Ok(None);
            };
            if !access.allows(t.category_id) {
                return Ok(None);
            }
            ticket_json::ticket_object(c, t.id)
        })
        .await?;
    found.map(Json).ok_or_else(not_found)
}
