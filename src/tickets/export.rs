//! The staff list as rows for its CSV export: every ticket the list's filter and search show
//! (`list::export_conditions`), newest first, a page at a time by keyset (`t.id < last`), so an
//! export of 100,000 tickets reads each once, never holds them all, and neither skips nor
//! repeats one that changes while it runs (its id does not move, whatever the list's sort).

use rusqlite::Connection;
use rusqlite::types::Value;

use crate::error::Result;

/// One ticket of the export, as stored (the web layer names its references).
#[derive(Debug, Clone)]
pub struct Row {
    pub id: i64,
    pub tracking_id: String,
    pub subject: String,
    pub requester_name: String,
    pub requester_email: String,
    pub status_id: i64,
    pub priority_id: i64,
    pub category_id: i64,
    pub assignee_id: Option<i64>,
    pub channel: String,
    pub created_at: i64,
    pub updated_at: i64,
    pub first_response_at: Option<i64>,
    pub resolved_at: Option<i64>,
    pub sla_due_at: Option<i64>,
    pub message_count: i64,
    /// Minutes staff entered as spent on it (`time_spent`).
    pub time_spent_minutes: i64,
    /// Its tags, alphabetically, separated by ", " (a tag holds no comma).
    pub tags: String,
    /// Its custom field values (field id, stored value).
    pub fields: Vec<(i64, String)>,
}

/// Up to `limit` tickets matching `clauses` (with `params`), below id `before` if given, by id
/// from the newest.
pub fn page(
    conn: &Connection,
    clauses: &[String],
    params: &[Value],
    before: Option<i64>,
    limit: i64,
) -> Result<Vec<Row>> {
    let mut all: Vec<&str> = clauses.iter().map(String::as_str).collect();
    let mut values: Vec<Value> = params.to_vec();
    if let Some(id) = before {
        all.push("t.id < ?");
        values.push(Value::Integer(id));
    }
    let where_sql = if all.is_empty() {
        String::new()
    } else {
        format!("WHERE {}", all.join(" AND "))
    };
    let sql = format!(
        "SELECT t.id, t.tracking_id, t.subject, t.requester_name, t.requester_email, t.status_id,
                t.priority_id, t.category_id, t.assignee_id, t.channel, t.created_at, t.updated_at,
                t.first_response_at, t.resolved_at, t.sla_due_at, t.message_count,
                (SELECT COALESCE(SUM(te.minutes), 0) FROM time_entries te WHERE te.ticket_id = t.id),
                coalesce((SELECT group_concat(name, ', ') FROM (SELECT g.name FROM ticket_tags tt
                          JOIN tags g ON g.id = tt.tag_id WHERE tt.ticket_id = t.id ORDER BY g.name)), '')
         FROM tickets t {where_sql} ORDER BY t.id DESC LIMIT {limit}"
    );
    let rows = conn
        .prepare_cached(&sql)?
        .query_map(rusqlite::params_from_iter(values), |r| {
            Ok(Row {
                id: r.get(0)?,
                tracking_id: r.get(1)?,
                subject: r.get(2)?,
                requester_name: r.get(3)?,
                requester_email: r.get(4)?,
                status_id: r.get(5)?,
                priority_id: r.get(6)?,
                category_id: r.get(7)?,
                assignee_id: r.get(8)?,
                channel: r.get(9)?,
                created_at: r.get(10)?,
                updated_at: r.get(11)?,
                first_response_at: r.get(12)?,
                resolved_at: r.get(13)?,
                sla_due_at: r.get(14)?,
                message_count: r.get(15)?,
                time_spent_minutes: r.get(16)?,
                tags: r.get(17)?,
                fields: Vec::new(),
            })
        })?
        .collect::<rusqlite::Result<Vec<_>>>()?;
    let ids: Vec<i64> = rows.iter().map(|r| r.id).collect();
    let mut values = crate::fields::store::values_of_tickets(conn, &ids)?;
    let rows = rows
        .into_iter()
        .map(|mut r| {
            r.fields = values.remove(&r.id).unwrap_or_default();
            r
        })
        .collect();
    Ok(rows)
}
