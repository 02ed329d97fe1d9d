//! The audit log: security-relevant actions outside tickets (logins, account, settings and mail
//! changes), who did them, from where and when. Tickets keep their own history. Admin > Audit
//! lists it a page at a time, filtered (`Filter`), and exports it as CSV (`to_csv`).

use rusqlite::types::Value;
use rusqlite::{Connection, params, params_from_iter};
use serde::Serialize;

use crate::db::now;
use crate::error::{Error, Result};

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

/// Blots `text` (an erased person's address) out of every entry's detail: the entries stay,
/// without it. How many changed.
pub fn scrub(conn: &Connection, text: &str) -> Result<usize> {
    Ok(conn
        .prepare_cached(
            "UPDATE audit_log SET detail = replace(lower(detail), lower(?1), '[erased]')
             WHERE instr(lower(detail), lower(?1)) > 0",
        )?
        .execute([text])?)
}

#[derive(Debug, Serialize)]
pub struct AuditRow {
    pub id: i64,
    pub created_at: i64,
    pub staff_id: Option<i64>,
    pub staff_name: Option<String>,
    pub staff_email: Option<String>,
    pub action: String,
    pub detail: String,
    pub ip: Option<String>,
}

/// Which entries to show; every part is optional.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Filter {
    /// Done by this staff member.
    pub staff_id: Option<i64>,
    /// This action, e.g. `login_failed`.
    pub action: Option<String>,
    /// At or after this time (Unix seconds).
    pub since: Option<i64>,
    /// Before this time (Unix seconds).
    pub until: Option<i64>,
}

impl Filter {
    /// The WHERE clause (always true when nothing is set) and its parameters. Each part has its
    /// index (migration 0013, and `audit_log_created`).
    fn clause(&self) -> (String, Vec<Value>) {
        let mut parts = Vec::new();
        let mut values = Vec::new();
        if let Some(id) = self.staff_id {
            values.push(Value::Integer(id));
            parts.push(format!("a.staff_id = ?{}", values.len()));
        }
        if let Some(action) = &self.action {
            values.push(Value::Text(action.clone()));
            parts.push(format!("a.action = ?{}", values.len()));
        }
        if let Some(since) = self.since {
            values.push(Value::Integer(since));
            parts.push(format!("a.created_at >= ?{}", values.len()));
        }
        if let Some(until) = self.until {
            values.push(Value::Integer(until));
            parts.push(format!("a.created_at < ?{}", values.len()));
        }
        if parts.is_empty() {
            ("1".to_string(), values)
        } else {
            (parts.join(" AND "), values)
        }
    }
}

fn rows(c: &Connection, filter: &Filter, limit: i64, offset: i64) -> Result<Vec<AuditRow>> {
    let (clause, mut values) = filter.clause();
    let n = values.len();
    values.push(Value::Integer(limit));
    values.push(Value::Integer(offset));
    let sql = format!(
        "SELECT a.id, a.created_at, a.staff_id, s.name, s.email, a.action, a.detail, a.ip
         FROM audit_log a LEFT JOIN staff s ON s.id = a.staff_id
         WHERE {clause}
         ORDER BY a.created_at DESC, a.id DESC LIMIT ?{} OFFSET ?{}",
        n + 1,
        n + 2
    );
    let mut stmt = c.prepare_cached(&sql)?;
    let rows = stmt
        .query_map(params_from_iter(values), |r| {
            Ok(AuditRow {
                id: r.get(0)?,
                created_at: r.get(1)?,
                staff_id: r.get(2)?,
                staff_name: r.get(3)?,
                staff_email: r.get(4)?,
                action: r.get(5)?,
                detail: r.get(6)?,
                ip: r.get(7)?,
            })
        })?
        .collect::<rusqlite::Result<Vec<_>>>()?;
    Ok(rows)
}

/// At most `limit` entries matching `filter`, newest first, after skipping `offset` of them.
pub fn page(c: &Connection, filter: &Filter, limit: i64, offset: i64) -> Result<Vec<AuditRow>> {
    rows(c, filter, limit, offset)
}

/// Every entry matching `filter`, newest first (the export).
pub fn all(c: &Connection, filter: &Filter) -> Result<Vec<AuditRow>> {
    rows(c, filter, -1, 0)
}

/// How many entries match `filter`.
pub fn count(c: &Connection, filter: &Filter) -> Result<i64> {
    let (clause, values) = filter.clause();
    let sql = format!("SELECT count(*) FROM audit_log a WHERE {clause}");
    Ok(c.prepare_cached(&sql)?
        .query_row(params_from_iter(values), |r| r.get(0))?)
}

/// The actions recorded so far, in name order (read from the action index).
pub fn actions(c: &Connection) -> Result<Vec<String>> {
    let mut stmt = c.prepare_cached("SELECT DISTINCT action FROM audit_log ORDER BY action")?;
    let rows = stmt
        .query_map([], |r| r.get(0))?
        .collect::<rusqlite::Result<Vec<_>>>()?;
    Ok(rows)
}

/// A time as ISO 8601 in UTC, e.g. `2026-01-31T09:05:00Z`.
pub fn iso_time(unix: i64) -> String {
    let format =
        time::macros::format_description!("[year]-[month]-[day]T[hour]:[minute]:[second]Z");
    time::OffsetDateTime::from_unix_timestamp(unix)
        .ok()
        .and_then(|t| t.format(format).ok())
        .unwrap_or_default()
}

/// A text cell a spreadsheet will not run as a formula (shared by every export).
pub use crate::csv_export::neutralise;

/// The column names of the export, in order.
pub const CSV_HEADER: [&str; 8] = [
    "id",
    "time",
    "staff_id",
    "staff_name",
    "staff_email",
    "action",
    "detail",
    "ip",
];

/// `rows` as CSV (RFC 4180: CRLF line ends, fields quoted when needed; UTF-8) with a header row,
/// times in ISO 8601 UTC and every text cell `neutralise`d.
pub fn to_csv(rows: &[AuditRow]) -> Result<Vec<u8>> {
    let mut out = crate::csv_export::writer(Vec::new());
    let csv_error = crate::csv_export::error;
    out.write_record(CSV_HEADER).map_err(csv_error)?;
    for r in rows {
        let text = |v: &Option<String>| neutralise(v.as_deref().unwrap_or(""));
        out.write_record([
            r.id.to_string(),
            iso_time(r.created_at),
            r.staff_id.map(|id| id.to_string()).unwrap_or_default(),
            text(&r.staff_name),
            text(&r.staff_email),
            neutralise(&r.action),
            neutralise(&r.detail),
            text(&r.ip),
        ])
        .map_err(csv_error)?;
    }
    out.into_inner()
        .map_err(|e| Error::internal(format!("writing the CSV: {e}")))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formulas_are_neutralised_and_times_are_iso() {
        assert_eq!(neutralise("=1+2"), "'=1+2");
        assert_eq!(neutralise("+x"), "'+x");
        assert_eq!(neutralise("-x"), "'-x");
        assert_eq!(neutralise("@SUM(A1)"), "'@SUM(A1)");
        assert_eq!(neutralise("a=b"), "a=b");
        assert_eq!(neutralise(""), "");
        assert_eq!(iso_time(0), "1970-01-01T00:00:00Z");
        assert_eq!(iso_time(1_769_850_300), "2026-01-31T09:05:00Z");
    }

    #[test]
    fn filters_combine() {
        let f = Filter {
            staff_id: Some(3),
            action: Some("login".into()),
            since: Some(10),
            until: None,
        };
        let (clause, values) = f.clause();
        assert_eq!(
            clause,
            "a.staff_id = ?1 AND a.action = ?2 AND a.created_at >= ?3"
        );
        assert_eq!(values.len(), 3);
        assert_eq!(Filter::default().clause().0, "1");
    }
}
