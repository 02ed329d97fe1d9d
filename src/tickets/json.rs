//! A ticket as machines see it: the object the REST API answers and the webhooks send, one shape
//! for both. Names are the stored ones (built-in rows in English); times RFC 3339 in UTC.
//!
//! `SELECT` is the query's head: the API's list appends its own conditions and order, so a page
//! of tickets is one query, never one per row.

use rusqlite::{Connection, OptionalExtension};
use serde::{Serialize, Serializer};
use serde_json::Value;

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
        rt.rating, rt.comment, rt.rating_changed_at,
        (SELECT COALESCE(SUM(te.minutes), 0) FROM time_entries te WHERE te.ticket_id = t.id),
        (SELECT group_concat(name, ',') FROM (SELECT g.name FROM ticket_tags tt
             JOIN tags g ON g.id = tt.tag_id WHERE tt.ticket_id = t.id ORDER BY g.name)),
        (SELECT json_group_array(json_array(f.key, f.kind, v.value))
         FROM ticket_field_values v JOIN fields f ON f.id = v.field_id
         WHERE v.ticket_id = t.id)
    FROM tickets t
    JOIN statuses s ON s.id = t.status_id
    JOIN priorities p ON p.id = t.priority_id
    JOIN categories c ON c.id = t.category_id
    LEFT JOIN staff a ON a.id = t.assignee_id
    LEFT JOIN ticket_sla ts ON ts.ticket_id = t.id
    LEFT JOIN ticket_resolutions rt ON rt.id = (
        SELECT id FROM ticket_resolutions
        WHERE ticket_id = t.id AND rating IS NOT NULL ORDER BY number DESC LIMIT 1)";

/// Unix seconds written as RFC 3339 in UTC.
fn rfc3339<S: Serializer>(t: &i64, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_str(&iso(*t))
}

fn rfc3339_or_null<S: Serializer>(t: &Option<i64>, s: S) -> Result<S::Ok, S::Error> {
    match t {
        Some(t) => rfc3339(t, s),
        None => s.serialize_none(),
    }
}

#[derive(Debug, Clone, Serialize)]
pub struct StatusLabel {
    pub id: i64,
    pub name: String,
    pub slug: Option<String>,
    pub is_closed: bool,
}

#[derive(Debug, Clone, Serialize)]
pub struct PriorityLabel {
    pub id: i64,
    pub name: String,
    pub slug: Option<String>,
}

#[derive(Debug, Clone, Serialize)]
pub struct CategoryLabel {
    pub id: i64,
    pub name: String,
}

#[derive(Debug, Clone, Serialize)]
pub struct Assignee {
    pub id: i64,
    pub name: String,
    pub email: String,
}

#[derive(Debug, Clone, Serialize)]
pub struct Requester {
    pub name: String,
    pub email: String,
}

#[derive(Debug, Clone, Serialize)]
pub struct SlaDue {
    #[serde(serialize_with = "rfc3339_or_null")]
    pub first_response_due_at: Option<i64>,
    #[serde(serialize_with = "rfc3339_or_null")]
    pub resolution_due_at: Option<i64>,
    #[serde(serialize_with = "rfc3339_or_null")]
    pub next_due_at: Option<i64>,
}

/// The requester's latest answer to the satisfaction survey (of any resolution), as it stands.
#[derive(Debug, Clone, Serialize)]
pub struct Rating {
    /// `good` or `bad`.
    pub rating: String,
    pub comment: String,
    /// When it was given or last changed.
    #[serde(serialize_with = "rfc3339")]
    pub rated_at: i64,
}

/// The ticket object, typed: serialised straight into an answer (a page of them is built and
/// written without a `Value` per field, which cost more than the query), or turned into a
/// `Value` by `from_row`.
#[derive(Debug, Clone, Serialize)]
pub struct TicketObject {
    pub id: i64,
    pub tracking_id: String,
    pub subject: String,
    pub status: StatusLabel,
    pub priority: PriorityLabel,
    pub category: CategoryLabel,
    pub assignee: Option<Assignee>,
    pub requester: Requester,
    pub channel: String,
    #[serde(serialize_with = "rfc3339")]
    pub created_at: i64,
    #[serde(serialize_with = "rfc3339")]
    pub updated_at: i64,
    #[serde(serialize_with = "rfc3339_or_null")]
    pub first_response_at: Option<i64>,
    #[serde(serialize_with = "rfc3339_or_null")]
    pub resolved_at: Option<i64>,
    /// The service-level due times; `None` when no policy applies.
    pub sla: Option<SlaDue>,
    pub message_count: i64,
    /// The satisfaction survey's latest answer; `None` until the requester answers.
    pub rating: Option<Rating>,
    /// Minutes staff entered as spent on it (`tickets::time_spent`), 0 without any.
    pub time_spent_minutes: i64,
    /// Its tags, alphabetically.
    pub tags: Vec<String>,
    /// The custom field values (`crate::fields`) by field key, typed (`fields::json_value`).
    pub fields: serde_json::Map<String, Value>,
}

/// The custom field values of `SELECT`'s last column: `[[key, kind, value], ...]` as JSON.
fn fields_of(text: Option<String>) -> serde_json::Map<String, Value> {
    let rows: Vec<(String, String, String)> = text
        .and_then(|t| serde_json::from_str(&t).ok())
        .unwrap_or_default();
    rows.into_iter()
        .filter_map(|(key, kind, value)| {
            let kind = crate::fields::Kind::parse(&kind)?;
            Some((key, crate::fields::json_value(kind, &value)))
        })
        .collect()
}

/// The ticket object of one row of `SELECT`, typed.
pub fn object_from_row(r: &rusqlite::Row<'_>) -> rusqlite::Result<TicketObject> {
    let assignee = match r.get::<_, Option<i64>>(12)? {
        Some(id) => Some(Assignee {
            id,
            name: r.get(13)?,
            email: r.get(14)?,
        }),
        None => None,
    };
    let first_response_due_at: Option<i64> = r.get(22)?;
    let resolution_due_at: Option<i64> = r.get(23)?;
    let sla = if first_response_due_at.is_some() || resolution_due_at.is_some() {
        Some(SlaDue {
            first_response_due_at,
            resolution_due_at,
            next_due_at: r.get(24)?,
        })
    } else {
        None
    };
    Ok(TicketObject {
        id: r.get(0)?,
        tracking_id: r.get(1)?,
        subject: r.get(2)?,
        status: StatusLabel {
            id: r.get(3)?,
            name: r.get(4)?,
            slug: r.get(5)?,
            is_closed: r.get(6)?,
        },
        priority: PriorityLabel {
            id: r.get(7)?,
            name: r.get(8)?,
            slug: r.get(9)?,
        },
        category: CategoryLabel {
            id: r.get(10)?,
            name: r.get(11)?,
        },
        assignee,
        requester: Requester {
            name: r.get(15)?,
            email: r.get(16)?,
        },
        channel: r.get(17)?,
        created_at: r.get(18)?,
        updated_at: r.get(19)?,
        first_response_at: r.get(20)?,
        resolved_at: r.get(21)?,
        sla,
        message_count: r.get(25)?,
        rating: match r.get::<_, Option<String>>(26)? {
            Some(rating) => Some(Rating {
                rating,
                comment: r.get(27)?,
                rated_at: r.get(28)?,
            }),
            None => None,
        },
        time_spent_minutes: r.get(29)?,
        // Tag names hold no comma (`tags::normalize`).
        tags: r
            .get::<_, Option<String>>(30)?
            .map(|t| t.split(',').map(str::to_string).collect())
            .unwrap_or_default(),
        fields: fields_of(r.get(31)?),
    })
}

/// The ticket object of one row of `SELECT`, as JSON.
pub fn from_row(r: &rusqlite::Row<'_>) -> rusqlite::Result<Value> {
    // Serialising these plain fields cannot fail.
    object_from_row(r).map(|t| serde_json::to_value(t).unwrap_or(Value::Null))
}

/// A row of `SELECT`'s place in the API's list order: its `updated_at` and id (what a cursor
/// holds).
pub fn sort_key(r: &rusqlite::Row<'_>) -> rusqlite::Result<(i64, i64)> {
    Ok((r.get(19)?, r.get(0)?))
}

/// The ticket object of ticket `id`.
pub fn ticket_object(conn: &Connection, id: i64) -> Result<Option<Value>> {
    let sql = format!("{SELECT} WHERE t.id = ?1");
    Ok(conn
        .prepare_cached(&sql)?
        .query_row([id], from_row)
        .optional()?)
}
