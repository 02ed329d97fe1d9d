//! A webhook's delivery log on its page: every delivery, newest first, a page at a time, with
//! its status, the receiver's last answer, when, how many attempts, the last error and the body
//! sent; and "Redeliver" per delivery, which sends it again (same delivery id and body, newly
//! signed) through the job.

use rocket::{Route, State, post, routes};
use serde_json::{Value, json};

use super::done;
use crate::auth::AdminUser;
use crate::error::{Error, Result};
use crate::web::csrf::{Checked, TokenOnly};
use crate::web::{App, ClientIp, PageResult};
use crate::webhooks::store;

/// Deliveries per page of the log.
const PER_PAGE: i64 = 25;

pub fn routes() -> Vec<Route> {
    routes![redeliver]
}

/// The body as sent, indented for reading when it is JSON.
fn readable(payload: &str) -> String {
    serde_json::from_str::<Value>(payload)
        .ok()
        .and_then(|v| serde_json::to_string_pretty(&v).ok())
        .unwrap_or_else(|| payload.to_string())
}

/// Page `page` (from 1) of webhook `id`'s log, with its counts.
pub async fn page_data(app: &App, id: i64, page: i64) -> Result<Value> {
    let (mut rows, counts) = app
        .db
        .read(move |c| {
            Ok((
                store::log(c, id, PER_PAGE + 1, (page - 1) * PER_PAGE)?,
                store::counts(c, id)?,
            ))
        })
        .await?;
    let has_next = rows.len() as i64 > PER_PAGE;
    rows.truncate(PER_PAGE as usize);
    let rows: Vec<Value> = rows
        .into_iter()
        .map(|r| {
            let body = readable(&r.payload);
            let mut row = json!(r);
            row["body"] = Value::String(body);
            row
        })
        .collect();
    Ok(json!({
        "rows": rows, "page": page, "has_next": has_next, "counts": counts,
        "pages": (counts.total + PER_PAGE - 1) / PER_PAGE,
    }))
}

#[post("/webhooks/<id>/deliveries/<delivery>/redeliver", data = "<_form>")]
async fn redeliver(
    admin: AdminUser,
    app: &State<App>,
    ip: ClientIp,
    id: i64,
    delivery: i64,
    _form: Checked<TokenOnly>,
) -> PageResult {
    let (me, now) = (admin.0.id, crate::db::now());
    app.db
        .write(move |c| {
            let w = store::get(c, id)?.ok_or(Error::NotFound)?;
            let delivery_id = store::redeliver(c, id, delivery, now)?.ok_or(Error::NotFound)?;
            let detail = format!(
                "webhook={id} host={} delivery={delivery_id}",
                super::webhooks::host(&w.url)
            );
            crate::audit::record(c, Some(me), "webhook_redelivered", &detail, Some(&ip.0))
        })
        .await?;
    done(
        format!("/admin/webhooks/{id}"),
        "webhooks_flash_redelivered",
    )
}
