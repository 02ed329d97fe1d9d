//! What changed on a ticket while a staff member had it open: the collision warning of the
//! staff ticket page (`staff::presence`, and the reply form's `seen_at`). Reads only.

use rusqlite::{Connection, OptionalExtension, params};
use serde::Serialize;

use crate::error::Result;

/// Someone else's latest change: who, what ("reply", "note", "requester" for a message; else the
/// history's field, e.g. "status") and when.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Change {
    pub by: String,
    pub what: String,
    pub at: i64,
}

/// The ticket's newest message after message `seen` (the newest one the viewer had on their
/// page) that `me` did not write.
pub fn newer_message(
    conn: &Connection,
    ticket_id: i64,
    seen: i64,
    me: i64,
) -> Result<Option<Change>> {
    Ok(conn
        .prepare_cached(
            "SELECT author_name, kind, created_at FROM messages
             WHERE ticket_id = ?1 AND id > ?2 AND staff_id IS NOT ?3
             ORDER BY id DESC LIMIT 1",
        )?
        .query_row(params![ticket_id, seen, me], |r| {
            let kind: String = r.get(1)?;
            Ok(Change {
                by: r.get(0)?,
                what: if kind == "staff" {
                    "reply".into()
                } else {
                    kind
                },
                at: r.get(2)?,
            })
        })
        .optional()?)
}

/// As `newer_message`, else the newest history entry after the moment `opened` that `me` did
/// not make (a field change: status, priority, category, assignee).
pub fn newer_change(
    conn: &Connection,
    ticket_id: i64,
    seen: i64,
    opened: i64,
    me: i64,
) -> Result<Option<Change>> {
    if let Some(message) = newer_message(conn, ticket_id, seen, me)? {
        return Ok(Some(message));
    }
    Ok(conn
        .prepare_cached(
            "SELECT actor_name, field, created_at FROM ticket_events
             WHERE ticket_id = ?1 AND created_at > ?2 AND staff_id IS NOT ?3
               AND field IN ('status', 'priority', 'category', 'assignee')
             ORDER BY id DESC LIMIT 1",
        )?
        .query_row(params![ticket_id, opened, me], |r| {
            Ok(Change {
                by: r.get(0)?,
                what: r.get(1)?,
                at: r.get(2)?,
            })
        })
        .optional()?)
}

/// The id of the ticket's newest message (0 without any): the version a page shows.
pub fn latest_message(conn: &Connection, ticket_id: i64) -> Result<i64> {
    Ok(conn
        .prepare_cached("SELECT COALESCE(MAX(id), 0) FROM messages WHERE ticket_id = ?1")?
        .query_row([ticket_id], |r| r.get(0))?)
}
