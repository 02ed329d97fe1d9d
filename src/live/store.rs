//! The `live_events` table: one row per thing an open ticket page shows (see `crate::live`).

use rusqlite::{Connection, params};

use super::hub::{Audience, Live};
use crate::error::Result;

pub fn insert(
    conn: &Connection,
    ticket_id: i64,
    kind: &str,
    audience: Audience,
    data: &str,
    now: i64,
) -> Result<i64> {
    conn.prepare_cached(
        "INSERT INTO live_events (ticket_id, kind, staff_only, data, created_at)
         VALUES (?1, ?2, ?3, ?4, ?5)",
    )?
    .execute(params![
        ticket_id,
        kind,
        audience == Audience::Staff,
        data,
        now
    ])?;
    Ok(conn.last_insert_rowid())
}

fn live_of(r: &rusqlite::Row<'_>) -> rusqlite::Result<Live> {
    let staff_only: bool = r.get(3)?;
    Ok(Live {
        id: Some(r.get(0)?),
        ticket_id: r.get(1)?,
        kind: r.get(2)?,
        audience: if staff_only {
            Audience::Staff
        } else {
            Audience::Everyone
        },
        data: r.get(4)?,
    })
}

/// The rows after `after` of every ticket, oldest first, at most `limit` (the hub's read).
pub fn after(conn: &Connection, after: i64, limit: i64) -> Result<Vec<Live>> {
    let mut stmt = conn.prepare_cached(
        "SELECT id, ticket_id, kind, staff_only, data FROM live_events
         WHERE id > ?1 ORDER BY id LIMIT ?2",
    )?;
    let rows = stmt.query_map(params![after, limit], live_of)?;
    Ok(rows.collect::<rusqlite::Result<_>>()?)
}

/// The rows of ticket `ticket_id` after `after`, oldest first, at most `limit`, without the
/// staff-only ones unless `staff` (a reconnecting stream's replay).
pub fn of_ticket_after(
    conn: &Connection,
    ticket_id: i64,
    after: i64,
    staff: bool,
    limit: i64,
) -> Result<Vec<Live>> {
    let mut stmt = conn.prepare_cached(
        "SELECT id, ticket_id, kind, staff_only, data FROM live_events
         WHERE ticket_id = ?1 AND id > ?2 AND (?3 OR staff_only = 0) ORDER BY id LIMIT ?4",
    )?;
    let rows = stmt.query_map(params![ticket_id, after, staff, limit], live_of)?;
    Ok(rows.collect::<rusqlite::Result<_>>()?)
}

/// The rows of ticket `ticket_id` written at `since` (Unix seconds) or later: what a page
/// rendered at `since` may not show yet (its stream's first connection).
pub fn of_ticket_since(
    conn: &Connection,
    ticket_id: i64,
    since: i64,
    staff: bool,
    limit: i64,
) -> Result<Vec<Live>> {
    let mut stmt = conn.prepare_cached(
        "SELECT id, ticket_id, kind, staff_only, data FROM live_events
         WHERE ticket_id = ?1 AND created_at >= ?2 AND (?3 OR staff_only = 0) ORDER BY id LIMIT ?4",
    )?;
    let rows = stmt.query_map(params![ticket_id, since, staff, limit], live_of)?;
    Ok(rows.collect::<rusqlite::Result<_>>()?)
}

/// The new chats after `after` (the desk stream's replay), oldest first.
pub fn chats_after(conn: &Connection, after: i64, limit: i64) -> Result<Vec<Live>> {
    let mut stmt = conn.prepare_cached(
        "SELECT id, ticket_id, kind, staff_only, data FROM live_events
         WHERE id > ?1 AND kind = 'chat' ORDER BY id LIMIT ?2",
    )?;
    let rows = stmt.query_map(params![after, limit], live_of)?;
    Ok(rows.collect::<rusqlite::Result<_>>()?)
}

/// The newest row's id (0 for none): where a stream without `Last-Event-ID` starts.
pub fn latest_id(conn: &Connection) -> Result<i64> {
    Ok(conn
        .prepare_cached("SELECT COALESCE(MAX(id), 0) FROM live_events")?
        .query_row([], |r| r.get(0))?)
}

/// Deletes the rows written before `before`; returns how many.
pub fn prune(conn: &Connection, before: i64) -> Result<usize> {
    Ok(conn
        .prepare_cached("DELETE FROM live_events WHERE created_at < ?1")?
        .execute([before])?)
}
