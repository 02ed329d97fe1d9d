//! The audit log: security-relevant actions outside tickets (logins, account, settings and mail
//! changes), who did them, from where and when. Tickets keep their own history.

use rusqlite::{Connection, params};
use serde::Serialize;

use crate::db::now;
use crate::error::Result;

/// Records one action; `ip` is the client's address when it came from a request.
pub fn record(
    conn: &Connection,
    staff_id: Option<i64>,
    action: &str,
    detail: &str,
    ip: Option<&str>,
) -> Result<()> {
    conn.prepare_cached(
        "INSERT INTO audit_log (staff_id, action, detail, ip, created_at) VALUES (?1, ?2, ?3, ?4, ?5)",
    )?
    .execute(params![staff_id, action, detail, ip, now()])?;
    Ok(())
}

#[derive(Debug, Serialize)]
pub struct AuditRow {
    pub id: i64,
    pub created_at: i64,
    pub staff_id: Option<i64>,
    pub staff_name: Option<String>,
    pub action: String,
    pub detail: String,
    pub ip: Option<String>,
}

pub fn latest(c: &Connection, limit: i64) -> Result<Vec<AuditRow>> {
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
