//! The incidents tables (migration 0036): plain functions over a connection, SQL in sight.

use rusqlite::{Connection, OptionalExtension, params};

use super::{Incident, IncidentTicket, KnownIssue, Status};
use crate::error::Result;

/// A new suggested incident with its first tickets; returns its id.
pub fn create(
    conn: &Connection,
    category_id: i64,
    title: &str,
    keywords: &str,
    tickets: &[i64],
    now: i64,
) -> Result<i64> {
    conn.prepare_cached(
        "INSERT INTO incidents (status, category_id, title, keywords, created_at)
         VALUES ('suggested', ?1, ?2, ?3, ?4)",
    )?
    .execute(params![category_id, title, keywords, now])?;
    let id = conn.last_insert_rowid();
    for ticket in tickets {
        add_ticket(conn, id, *ticket, true, now)?;
    }
    Ok(id)
}

/// Puts the ticket in the incident (out of any other it was in).
pub fn add_ticket(
    conn: &Connection,
    incident_id: i64,
    ticket_id: i64,
    attached: bool,
    now: i64,
) -> Result<()> {
    conn.prepare_cached("DELETE FROM incident_tickets WHERE ticket_id = ?1")?
        .execute([ticket_id])?;
    conn.prepare_cached(
        "INSERT INTO incident_tickets (incident_id, ticket_id, attached, added_at)
         VALUES (?1, ?2, ?3, ?4)",
    )?
    .execute(params![incident_id, ticket_id, attached, now])?;
    Ok(())
}

/// Attaches a suggested ticket; false when it is not one of the incident's.
pub fn attach(conn: &Connection, incident_id: i64, ticket_id: i64) -> Result<bool> {
    Ok(conn
        .prepare_cached(
            "UPDATE incident_tickets SET attached = 1 WHERE incident_id = ?1 AND ticket_id = ?2",
        )?
        .execute(params![incident_id, ticket_id])?
        > 0)
}

/// Takes a ticket out of the incident; false when it was not in it.
pub fn remove_ticket(conn: &Connection, incident_id: i64, ticket_id: i64) -> Result<bool> {
    Ok(conn
        .prepare_cached("DELETE FROM incident_tickets WHERE incident_id = ?1 AND ticket_id = ?2")?
        .execute(params![incident_id, ticket_id])?
        > 0)
}

/// Moves the incident to `status`, stamping when it opened or was resolved.
pub fn set_status(conn: &Connection, id: i64, status: Status, now: i64) -> Result<bool> {
    Ok(conn
        .prepare_cached(
            "UPDATE incidents SET status = ?2,
                opened_at = CASE WHEN ?2 = 'open' THEN coalesce(opened_at, ?3) ELSE opened_at END,
                resolved_at = CASE WHEN ?2 = 'resolved' THEN ?3 ELSE NULL END,
                public = CASE WHEN ?2 IN ('open') THEN public ELSE 0 END
             WHERE id = ?1",
        )?
        .execute(params![id, status.as_str(), now])?
        > 0)
}

/// Publishes the incident as a known issue (or takes it off the portal) under `public_title`.
pub fn set_public(conn: &Connection, id: i64, public: bool, title: &str, now: i64) -> Result<bool> {
    Ok(conn
        .prepare_cached(
            "UPDATE incidents SET public = ?2, public_title = ?3,
                published_at = CASE WHEN ?2 THEN coalesce(published_at, ?4) ELSE NULL END
             WHERE id = ?1",
        )?
        .execute(params![id, public, title, now])?
        > 0)
}

fn status_of(s: String) -> Status {
    Status::parse(&s).unwrap_or(Status::Dismissed)
}

const COLUMNS: &str = "id, status, category_id, title, public, public_title, created_at, \
                       opened_at, published_at, resolved_at";

fn row(r: &rusqlite::Row<'_>) -> rusqlite::Result<Incident> {
    Ok(Incident {
        id: r.get(0)?,
        status: status_of(r.get(1)?),
        category_id: r.get(2)?,
        title: r.get(3)?,
        public: r.get(4)?,
        public_title: r.get(5)?,
        created_at: r.get(6)?,
        opened_at: r.get(7)?,
        published_at: r.get(8)?,
        resolved_at: r.get(9)?,
        tickets: Vec::new(),
    })
}

/// The tickets of an incident, oldest first.
pub fn tickets_of(conn: &Connection, incident_id: i64) -> Result<Vec<IncidentTicket>> {
    let rows = conn
        .prepare_cached(
            "SELECT t.id, t.tracking_id, t.subject, t.requester_email, t.created_at, it.attached
             FROM incident_tickets it JOIN tickets t ON t.id = it.ticket_id
             WHERE it.incident_id = ?1 ORDER BY t.id",
        )?
        .query_map([incident_id], |r| {
            Ok(IncidentTicket {
                id: r.get(0)?,
                tracking_id: r.get(1)?,
                subject: r.get(2)?,
                requester_email: r.get(3)?,
                created_at: r.get(4)?,
                attached: r.get(5)?,
            })
        })?
        .collect::<rusqlite::Result<Vec<_>>>()?;
    Ok(rows)
}

/// The incident with its tickets.
pub fn get(conn: &Connection, id: i64) -> Result<Option<Incident>> {
    let sql = format!("SELECT {COLUMNS} FROM incidents WHERE id = ?1");
    let Some(mut incident) = conn.prepare_cached(&sql)?.query_row([id], row).optional()? else {
        return Ok(None);
    };
    incident.tickets = tickets_of(conn, id)?;
    Ok(Some(incident))
}

/// The suggested and open incidents, newest first, with their tickets.
pub fn current(conn: &Connection) -> Result<Vec<Incident>> {
    let sql = format!(
        "SELECT {COLUMNS} FROM incidents WHERE status IN ('suggested', 'open') ORDER BY id DESC"
    );
    let mut all = conn
        .prepare_cached(&sql)?
        .query_map([], row)?
        .collect::<rusqlite::Result<Vec<_>>>()?;
    for incident in &mut all {
        incident.tickets = tickets_of(conn, incident.id)?;
    }
    Ok(all)
}

/// The suggested and open incidents of a category with their keywords (for detection).
pub fn matchable(conn: &Connection, category_id: i64) -> Result<Vec<(i64, Status, String)>> {
    let rows = conn
        .prepare_cached(
            "SELECT id, status, keywords FROM incidents
             WHERE category_id = ?1 AND status IN ('suggested', 'open') ORDER BY id DESC",
        )?
        .query_map([category_id], |r| {
            Ok((r.get(0)?, status_of(r.get(1)?), r.get(2)?))
        })?
        .collect::<rusqlite::Result<Vec<_>>>()?;
    Ok(rows)
}

/// The published open incidents, newest first: the portal's known issues.
pub fn known_issues(conn: &Connection) -> Result<Vec<KnownIssue>> {
    let rows = conn
        .prepare_cached(
            "SELECT i.id, CASE WHEN trim(i.public_title) = '' THEN i.title ELSE i.public_title END,
                    coalesce((SELECT min(t.created_at) FROM incident_tickets it
                              JOIN tickets t ON t.id = it.ticket_id
                              WHERE it.incident_id = i.id AND it.attached = 1), i.created_at),
                    i.keywords
             FROM incidents i WHERE i.status = 'open' AND i.public = 1 ORDER BY i.id DESC",
        )?
        .query_map([], |r| {
            Ok(KnownIssue {
                id: r.get(0)?,
                title: r.get(1)?,
                since: r.get(2)?,
                keywords: r.get(3)?,
            })
        })?
        .collect::<rusqlite::Result<Vec<_>>>()?;
    Ok(rows)
}

/// A queued reply to (or resolving of) every ticket of an incident.
#[derive(Debug, Clone)]
pub struct Batch {
    pub id: i64,
    pub incident_id: i64,
    pub action: String,
    pub staff_id: i64,
    pub body: String,
    pub last_ticket_id: i64,
}

pub fn queue_batch(
    conn: &Connection,
    incident_id: i64,
    action: &str,
    staff_id: i64,
    body: &str,
    now: i64,
) -> Result<i64> {
    conn.prepare_cached(
        "INSERT INTO incident_batches (incident_id, action, staff_id, body, created_at)
         VALUES (?1, ?2, ?3, ?4, ?5)",
    )?
    .execute(params![incident_id, action, staff_id, body, now])?;
    Ok(conn.last_insert_rowid())
}

/// The oldest batch not done yet.
pub fn next_batch(conn: &Connection) -> Result<Option<Batch>> {
    Ok(conn
        .prepare_cached(
            "SELECT id, incident_id, action, staff_id, body, last_ticket_id FROM incident_batches
             WHERE done_at IS NULL ORDER BY id LIMIT 1",
        )?
        .query_row([], |r| {
            Ok(Batch {
                id: r.get(0)?,
                incident_id: r.get(1)?,
                action: r.get(2)?,
                staff_id: r.get(3)?,
                body: r.get(4)?,
                last_ticket_id: r.get(5)?,
            })
        })
        .optional()?)
}

/// The attached tickets of the incident after `after` (by id), at most `limit`.
pub fn attached_after(
    conn: &Connection,
    incident_id: i64,
    after: i64,
    limit: i64,
) -> Result<Vec<i64>> {
    let rows = conn
        .prepare_cached(
            "SELECT ticket_id FROM incident_tickets
             WHERE incident_id = ?1 AND attached = 1 AND ticket_id > ?2
             ORDER BY ticket_id LIMIT ?3",
        )?
        .query_map(params![incident_id, after, limit], |r| r.get(0))?
        .collect::<rusqlite::Result<Vec<i64>>>()?;
    Ok(rows)
}

/// Records how far a batch got; `done` when every ticket had its turn.
pub fn advance_batch(
    conn: &Connection,
    id: i64,
    last_ticket_id: i64,
    done: i64,
    failed: i64,
    finished_at: Option<i64>,
) -> Result<()> {
    conn.prepare_cached(
        "UPDATE incident_batches SET last_ticket_id = ?2, done_count = done_count + ?3,
            failed_count = failed_count + ?4, done_at = ?5 WHERE id = ?1",
    )?
    .execute(params![id, last_ticket_id, done, failed, finished_at])?;
    Ok(())
}

/// How many of the incident's batches are still being worked through.
pub fn pending_batches(conn: &Connection, incident_id: i64) -> Result<i64> {
    Ok(conn
        .prepare_cached(
            "SELECT count(*) FROM incident_batches WHERE incident_id = ?1 AND done_at IS NULL",
        )?
        .query_row([incident_id], |r| r.get(0))?)
}
