//! The report's two lists: the top requesters and the latest comments, each one read of its own.

use std::collections::HashMap;

use rusqlite::types::Value;
use rusqlite::{Connection, params_from_iter};

use super::figures::{Comment, Requester, Scope, TOP, dims};
use crate::error::Result;

/// The requesters who opened the most tickets in the range (agent: the assignee now), with the
/// name of each one's latest ticket. Counted here over the index's rows, borrowing each address
/// (a few hundred people open most tickets; SQLite's GROUP BY sorted them, case-folded, slower).
pub(super) fn requesters(conn: &Connection, scope: &Scope) -> Result<Vec<Requester>> {
    let (cond, dim_values) = dims(scope, "m");
    let mut values: Vec<Value> = vec![
        Value::Integer(scope.range.start),
        Value::Integer(scope.range.end),
    ];
    values.extend(dim_values);
    let sql = format!(
        "SELECT m.requester_email, m.assignee_id FROM ticket_metrics m
         WHERE m.created_at >= ? AND m.created_at < ?{cond}"
    );
    let agent = scope.filters.agent;
    let mut counts: HashMap<String, usize> = HashMap::new();
    let mut stmt = conn.prepare_cached(&sql)?;
    let mut rows = stmt.query(params_from_iter(values))?;
    while let Some(row) = rows.next()? {
        if agent.is_some() && row.get::<_, Option<i64>>(1)? != agent {
            continue;
        }
        let email = row.get_ref(0)?.as_str().unwrap_or("");
        let folded;
        let key = if email.bytes().any(|b| b.is_ascii_uppercase()) {
            folded = email.to_ascii_lowercase();
            folded.as_str()
        } else {
            email
        };
        match counts.get_mut(key) {
            Some(n) => *n += 1,
            None => {
                counts.insert(key.to_string(), 1);
            }
        }
    }
    let mut top: Vec<(String, usize)> = counts.into_iter().collect();
    top.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
    top.truncate(TOP);
    top.into_iter()
        .map(|(email, tickets)| {
            Ok(Requester {
                name: crate::tickets::store::requester_name(conn, &email)?.unwrap_or_default(),
                email,
                tickets,
            })
        })
        .collect()
}

/// The latest answers with a comment about the range's resolutions, newest first.
pub(super) fn comments(conn: &Connection, scope: &Scope) -> Result<Vec<Comment>> {
    let agent = scope.filters.agent;
    let (agent_sql, agent_value) = match agent {
        Some(a) => (" AND r.agent_id = ?", vec![a]),
        None => ("", Vec::new()),
    };
    let (cond, dim_values) = dims(scope, "r");
    let mut values: Vec<Value> = vec![
        Value::Integer(scope.range.start),
        Value::Integer(scope.range.end),
    ];
    values.extend(dim_values);
    values.extend(agent_value.into_iter().map(Value::Integer));
    let sql = format!(
        "SELECT r.resolution_id, r.ticket_id, r.agent_id, r.rated_at, r.rating = 'good'
         FROM resolution_metrics r INDEXED BY resolution_metrics_comments
         WHERE r.resolved_at >= ? AND r.resolved_at < ? AND r.has_comment = 1{cond}{agent_sql}
         ORDER BY r.rated_at DESC, r.resolution_id DESC LIMIT {TOP}"
    );
    let mut found = conn
        .prepare_cached(&sql)?
        .query_map(params_from_iter(values), |r| {
            Ok(Comment {
                resolution_id: r.get(0)?,
                ticket_id: r.get(1)?,
                agent_id: r.get(2)?,
                rated_at: r.get::<_, Option<i64>>(3)?.unwrap_or(0),
                good: r.get(4)?,
                comment: String::new(),
            })
        })?
        .collect::<rusqlite::Result<Vec<_>>>()?;
    for c in &mut found {
        c.comment = crate::tickets::csat::comment(conn, c.resolution_id)?;
    }
    Ok(found)
}
