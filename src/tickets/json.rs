//! A ticket as machines see it: the object the REST API answers and the webhooks send, one shape
//! for both. Names are the stored ones (built-in rows in English); times RFC 3339 in UTC.
//!
//! `SELECT` is the query's head: the API's list appends its own conditions and order, so a page
//! of tickets is one query, never one per row.

use rusqlite::{Connection, OptionalExtension};
use serde_json::{Value, json};

use crate::desk_time::format::iso;
use crate::error::Result;

/// Every column `from_row` reads, from `tickets t` and its labels; append `WHERE ...`.
pub const SELECT: &str = "SELECT t.id, t.tracking_id, t.subject,
        s.id, s.name, s.slug, s.is_closed,
        p.id, p.name, p.slug,
        c.id, c.name,
        a.id, a.name, a.email,
        t.requester_name, t.requester_email, t.channel,
        t.created_at, t.updated_at, t.first_response_at, t.resolved_at,
        ts.first_response_due_at, ts.resolution_due_at, t.sla_due_at, t.message_count,
        rt.rating, rt.comment, rt.rating_changed_at
    FROM tickets t
    JOIN statuses s ON s.id = t.status_id
    JOIN priorities p ON p.id = t.priority_id
    JOIN categories c ON c.id = t.category_id
    LEFT JOIN staff a ON a.id = t.assignee_id
    LEFT JOIN ticket_sla ts ON ts.ticket_id = t.id
    LEFT JOIN ticket_resolutions rt ON rt.id = (
        SELECT id FROM ticket_resolutions
        WHERE ticket_id = t.id AND rating IS NOT NULL ORDER BY number DESC LIMIT 1)";

fn time(t: Option<i64>) -> Value {
    t.map_or(Value::Null, |t| Value::String(iso(t)))
}

/// The ticket object of one row of `SELECT`.
pub fn from_row(r: &rusqlite::Row<'_>) -> rusqlite::Result<Value> {
    let assignee = match r.get::<_, Option<i64>>(12)? {
        Some(id) => {
            json!({"id": id, "name": r.get::<_, String>(13)?, "email": r.get::<_, String>(14)?})
        }
        None => Value::Null,
    };
    let first_response_due: Option<i64> = r.get(22)?;
    let resolution_due: Option<i64> = r.get(23)?;
    let sla = if first_response_due.is_some() || resolution_due.is_some() {
        json!({
            "first_response_due_at": time(first_response_due),
            "resolution_due_at": time(resolution_due),
            "next_due_at": time(r.get(24)?),
        })
    } else {
        Value::Null
    };
    // The requester's latest answer to the satisfaction survey (of any resolution), as it
    // stands: `rated_at` is when it was given or last changed.
    let rating = match r.get::<_, Option<String>>(26)? {
        Some(rating) => json!({
            "rating": rating,
            "comment": r.get::<_, String>(27)?,
            "rated_at": time(r.get(28)?),
        }),
        None => Value::Null,
    };
    Ok(json!({
        "id": r.get::<_, i64>(0)?,
        "tracking_id": r.get::<_, String>(1)?,
        "subject": r.get::<_, String>(2)?,
        "status": {
            "id": r.get::<_, i64>(3)?,
            "name": r.get::<_, String>(4)?,
            "slug": r.get::<_, Option<String>>(5)?,
            "is_closed": r.get::<_, bool>(6)?,
        },
        "priority": {
            "id": r.get::<_, i64>(7)?,
            "name": r.get::<_, String>(8)?,
            "slug": r.get::<_, Option<String>>(9)?,
        },
        "category": {"id": r.get::<_, i64>(10)?, "name": r.get::<_, String>(11)?},
        "assignee": assignee,
        "requester": {"name": r.get::<_, String>(15)?, "email": r.get::<_, String>(16)?},
        "channel": r.get::<_, String>(17)?,
        "created_at": time(r.get(18)?),
        "updated_at": time(r.get(19)?),
        "first_response_at": time(r.get(20)?),
        "resolved_at": time(r.get(21)?),
        "sla": sla,
        "message_count": r.get::<_, i64>(25)?,
        "rating": rating,
    }))
}

/// The ticket object of ticket `id`.
pub fn ticket_object(conn: &Connection, id: i64) -> Result<Option<Value>> {
    let sql = format!("{SELECT} WHERE t.id = ?1");
    Ok(conn
        .prepare_cached(&sql)?
        .query_row([id], from_row)
        .optional()?)
}
