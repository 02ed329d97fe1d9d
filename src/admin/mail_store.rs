//! The queries behind the admin mail pages: the nav's alert counts and the quarantine of incoming
//! messages that could not be imported (the outbox's own are in `crate::outbox`).

use mail_parser::MessageParser;
use rusqlite::{Connection, OptionalExtension, params};
use serde::Serialize;

use crate::db::now;
use crate::error::{Error, Result};

/// Rows shown per list: enough to see what is wrong, bounded so the page stays small.
pub const SHOWN: i64 = 100;
/// Bytes of a quarantined message read for its list entry: the headers are at the start.
const HEAD_BYTES: i64 = 16 * 1024;

/// What needs the admin's attention: waiting mails that failed at least once, and quarantined
/// messages nobody dealt with yet.
#[derive(Debug, Clone, Copy, Default, Serialize)]
pub struct Alerts {
    pub failed: i64,
    pub quarantined: i64,
    pub total: i64,
}

pub fn alerts(c: &Connection) -> Result<Alerts> {
    let failed = crate::outbox::failed_count(c)?;
    let quarantined: i64 = c
        .prepare_cached("SELECT count(*) FROM mail_quarantine WHERE retried_at IS NULL")?
        .query_row([], |r| r.get(0))?;
    Ok(Alerts {
        failed,
        quarantined,
        total: failed + quarantined,
    })
}

#[derive(Debug, Serialize)]
pub struct QuarantineRow {
    pub id: i64,
    pub created_at: i64,
    pub reason: String,
    pub from: String,
    pub subject: String,
    pub size: i64,
    pub retried_at: Option<i64>,
    pub outcome: Option<String>,
}

/// From and Subject as mail-parser reads them from the start of a raw message; empty when it
/// cannot.
fn from_and_subject(head: &[u8]) -> (String, String) {
    let Some(m) = MessageParser::default().parse_headers(head) else {
        return (String::new(), String::new());
    };
    let from = m
        .from()
        .and_then(|a| a.first())
        .map(|a| match (a.name(), a.address()) {
            (Some(n), Some(e)) => format!("{n} <{e}>"),
            (None, Some(e)) => e.to_string(),
            (Some(n), None) => n.to_string(),
            (None, None) => String::new(),
        })
        .unwrap_or_default();
    (from, m.subject().unwrap_or_default().to_string())
}

fn quarantine_row(r: &rusqlite::Row<'_>) -> rusqlite::Result<QuarantineRow> {
    let head: Vec<u8> = r.get(5)?;
    let (from, subject) = from_and_subject(&head);
    Ok(QuarantineRow {
        id: r.get(0)?,
        created_at: r.get(1)?,
        reason: r.get(2)?,
        size: r.get(3)?,
        retried_at: r.get(4)?,
        outcome: r.get(6)?,
        from,
        subject,
    })
}

const QUARANTINE_COLUMNS: &str =
    "id, created_at, reason, length(raw), retried_at, substr(raw, 1, ?1), outcome";

/// Quarantined messages: the open ones (newest first), or those already retried.
pub fn quarantine(c: &Connection, open: bool) -> Result<Vec<QuarantineRow>> {
    let filter = if open {
        "retried_at IS NULL ORDER BY id DESC"
    } else {
        "retried_at IS NOT NULL ORDER BY retried_at DESC, id DESC"
    };
    let sql = format!("SELECT {QUARANTINE_COLUMNS} FROM mail_quarantine WHERE {filter} LIMIT ?2");
    let mut stmt = c.prepare_cached(&sql)?;
    let rows = stmt
        .query_map(params![HEAD_BYTES, SHOWN], quarantine_row)?
        .collect::<rusqlite::Result<Vec<_>>>()?;
    Ok(rows)
}

pub fn quarantined(c: &Connection, id: i64) -> Result<QuarantineRow> {
    let sql = format!("SELECT {QUARANTINE_COLUMNS} FROM mail_quarantine WHERE id = ?2");
    c.prepare_cached(&sql)?
        .query_row(params![HEAD_BYTES, id], quarantine_row)
        .optional()?
        .ok_or(Error::NotFound)
}

/// The message exactly as it arrived.
pub fn raw(c: &Connection, id: i64) -> Result<Vec<u8>> {
    c.prepare_cached("SELECT raw FROM mail_quarantine WHERE id = ?1")?
        .query_row([id], |r| r.get(0))
        .optional()?
        .ok_or(Error::NotFound)
}

/// Records what a retried import made of the message; it leaves the open list.
pub fn mark_retried(c: &Connection, id: i64, outcome: &str) -> Result<()> {
    c.execute(
        "UPDATE mail_quarantine SET retried_at = ?2, outcome = ?3 WHERE id = ?1",
        params![id, now(), outcome],
    )?;
    Ok(())
}

/// A retry that failed again: the import quarantined a second copy; keep the first one, with
/// the new reason, so the list shows each message once.
pub fn requarantined(c: &Connection, id: i64, copy: i64, reason: &str) -> Result<()> {
    c.execute("DELETE FROM mail_quarantine WHERE id = ?1", [copy])?;
    c.execute(
        "UPDATE mail_quarantine SET reason = ?2 WHERE id = ?1",
        params![id, reason],
    )?;
    Ok(())
}

pub fn delete(c: &Connection, id: i64) -> Result<()> {
    if c.execute("DELETE FROM mail_quarantine WHERE id = ?1", [id])? == 0 {
        return Err(Error::NotFound);
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::from_and_subject;

    #[test]
    fn reads_from_and_subject_from_the_head() {
        let (from, subject) =
            from_and_subject(b"From: Ana <ana@example.com>\r\nSubject: Printer\r\n\r\nbody");
        assert_eq!(from, "Ana <ana@example.com>");
        assert_eq!(subject, "Printer");
        assert_eq!(from_and_subject(b""), (String::new(), String::new()));
    }
}
