//! "Related to" links between tickets (`ticket_links`, one row per pair, read both ways) and the
//! followers a merge adds (`ticket_followers`, the requesters of the merged tickets). Changed
//! only by the ticket actions (`actions::tools`).

use rusqlite::{Connection, params};
use serde::Serialize;

use crate::error::Result;

/// A ticket a ticket is linked to, as its page lists it.
#[derive(Debug, Clone, Serialize)]
pub struct Linked {
    pub id: i64,
    pub tracking_id: String,
    pub subject: String,
    pub status_id: i64,
    pub category_id: i64,
}

fn pair(a: i64, b: i64) -> (i64, i64) {
    (a.min(b), a.max(b))
}

/// Links two tickets; false when they already were.
pub fn add(conn: &Connection, a: i64, b: i64, now: i64) -> Result<bool> {
    let (low, high) = pair(a, b);
    Ok(conn
        .prepare_cached(
            "INSERT OR IGNORE INTO ticket_links (low_id, high_id, created_at) VALUES (?1, ?2, ?3)",
        )?
        .execute(params![low, high, now])?
        > 0)
}

/// Unlinks two tickets; false when they were not linked.
pub fn remove(conn: &Connection, a: i64, b: i64) -> Result<bool> {
    let (low, high) = pair(a, b);
    Ok(conn
        .prepare_cached("DELETE FROM ticket_links WHERE low_id = ?1 AND high_id = ?2")?
        .execute(params![low, high])?
        > 0)
}

/// The tickets linked to `ticket_id`, either way, oldest first.
pub fn of_ticket(conn: &Connection, ticket_id: i64) -> Result<Vec<Linked>> {
    let rows = conn
        .prepare_cached(
            "SELECT t.id, t.tracking_id, t.subject, t.status_id, t.category_id FROM tickets t
             WHERE t.id IN (SELECT high_id FROM ticket_links WHERE low_id = ?1
                            UNION SELECT low_id FROM ticket_links WHERE high_id = ?1)
             ORDER BY t.id",
        )?
        .query_map([ticket_id], |r| {
            Ok(Linked {
                id: r.get(0)?,
                tracking_id: r.get(1)?,
                subject: r.get(2)?,
                status_id: r.get(3)?,
                category_id: r.get(4)?,
            })
        })?
        .collect::<rusqlite::Result<Vec<_>>>()?;
    Ok(rows)
}

/// Gives `into` the links of `from` (a merge), but none to itself; `from` keeps none.
pub fn move_all(conn: &Connection, from: i64, into: i64, now: i64) -> Result<()> {
    for other in of_ticket(conn, from)? {
        remove(conn, from, other.id)?;
        if other.id != into {
            add(conn, into, other.id, now)?;
        }
    }
    Ok(())
}
