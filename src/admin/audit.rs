//! The audit log: the latest security-relevant actions (logins, account and settings changes).

use rocket::{Route, State, get, routes};
use rusqlite::Connection;
use serde::Serialize;
use serde_json::json;

use crate::auth::AdminUser;
use crate::error::Result;
use crate::web::{App, Html, Page};

const SHOWN: i64 = 200;

pub fn routes() -> Vec<Route> {
    routes![audit_page]
}

#[derive(Debug, Serialize)]
struct AuditRow {
    id: i64,
    created_at: i64,
    staff_id: Option<i64>,
    staff_name: Option<String>,
    action: String,
    detail: String,
    ip: Option<String>,
}

fn latest(c: &Connection, limit: i64) -> Result<Vec<AuditRow>> {
    let mut stmt = c.prepare_cached(
        "SELECT a.id, a.created_at, a.staff_id, s.name, a.action, a.detail, a.ip
         FROM audit_log a LEFT JOIN staff s ON s.id = a.staff_id
         ORDER BY a.id DESC LIMIT ?1",
    )?;
    let rows = stmt
        .query_map([limit], |r| {
            Ok(AuditRow {
                id: r.get(0)?,
                created_at: r.get(1)?,
                staff_id: r.get(2)?,
                staff_name: r.get(3)?,
                action: r.get(4)?,
                detail: r.get(5)?,
                ip: r.get(6)?,
            })
        })?
        .collect::<rusqlite::Result<Vec<_>>>()?;
    Ok(rows)
}

#[get("/audit")]
async fn audit_page(_admin: AdminUser, page: Page<'_>, app: &State<App>) -> Result<Html> {
    let rows = app.db.read(|c| latest(c, SHOWN)).await?;
    super::render(
        &page,
        app,
        "admin/audit.html",
        json!({ "rows": rows, "limit": SHOWN }),
    )
    .await
}
