//! The desk's reference lists: categories, statuses, priorities, staff, and the knowledge base.

use rocket::serde::json::Json;
use rocket::{State, get, routes};
use serde_json::{Value, json};

use super::{ApiResult, ApiUser};
use crate::i18n::Lang;
use crate::web::App;

pub fn routes() -> Vec<rocket::Route> {
    routes![statuses]
}

/// Every status, in the desk's order.
#[get("/statuses")]
async fn statuses(app: &State<App>, _user: ApiUser) -> ApiResult<Value> {
    let refdata = app.refdata(Lang::En).await?;
    let data: Vec<Value> = refdata
        .statuses
        .iter()
        .map(|s| json!({"id": s.id, "name": s.name, "slug": s.slug, "is_closed": s.is_closed}))
        .collect();
    Ok(Json(json!({ "data": data })))
}
