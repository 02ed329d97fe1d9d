//! The staff ticket list: views, filters, sorting and paging, built as one parameterised query
//! that the indexes on `tickets` can serve at 100,000 tickets.

use rusqlite::Connection;
use rusqlite::types::Value;
use serde::Serialize;

use super::{RefData, TICKET_COLUMNS, Ticket, ticket_from_row};
use crate::error::Result;

pub const PER_PAGE: i64 = 50;
/// Counting stops here; the page says "10,000+" rather than scanning everything.
pub const COUNT_CAP: i64 = 10_000;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum View {
    Open,
    Mine,
    Unassigned,
    All,
}

impl View {
    pub fn parse(s: Option<&str>) -> View {
        match s {
            Some("mine") => View::Mine,
            Some("unassigned") => View::Unassigned,
            Some("all") => View::All,
            _ => View::Open,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Sort {
    Updated,
    Created,
    Priority,
    Subject,
}

impl Sort {
    pub fn parse(s: Option<&str>) -> Sort {
        match s {
            Some("created") => Sort::Created,
            Some("priority") => Sort::Priority,
            Some("subject") => Sort::Subject,
            _ => Sort::Updated,
        }
    }
}

#[derive(Debug, Clone, Serialize)]
pub struct Filter {
    pub view: View,
    pub status: Option<i64>,
    pub priority: Option<i64>,
    pub category: Option<i64>,
    /// `Some(0)` means unassigned.
    pub assignee: Option<i64>,
    pub q: String,
    pub sort: Sort,
    pub asc: bool,
    pub page: i64,
}

pub struct Page {
    pub tickets: Vec<Ticket>,
    /// Matching tickets, capped at COUNT_CAP + 1.
    pub total: i64,
}

fn like_pattern(q: &str) -> String {
    let escaped = q
        .replace('\\', "\\\\")
        .replace('%', "\\%")
        .replace('_', "\\_");
    format!("%{escaped}%")
}

pub fn list(conn: &Connection, f: &Filter, me: i64, refdata: &RefData) -> Result<Page> {
    let mut clauses: Vec<String> = Vec::new();
    let mut params: Vec<Value> = Vec::new();
    let open_ids: Vec<String> = refdata
        .statuses
        .iter()
        .filter(|s| !s.is_closed)
        .map(|s| s.id.to_string())
        .collect();
    // Status ids come from our own table, never from the request, so inlining them is safe.
    let open_clause = format!(
        "t.status_id IN ({})",
        if open_ids.is_empty() {
            "NULL".into()
        } else {
            open_ids.join(",")
        }
    );
    match f.view {
        View::Open => clauses.push(open_clause.clone()),
        View::Mine => {
            clauses.push(open_clause.clone());
            clauses.push("t.assignee_id = ?".into());
            params.push(Value::Integer(me));
        }
        View::Unassigned => {
            clauses.push(open_clause.clone());
            clauses.push("t.assignee_id IS NULL".into());
        }
        View::All => {}
    }
    if let Some(s) = f.status {
        clauses.push("t.status_id = ?".into());
        params.push(Value::Integer(s));
    }
    if let Some(p) = f.priority {
        clauses.push("t.priority_id = ?".into());
        params.push(Value::Integer(p));
    }
    if let Some(c) = f.category {
        clauses.push("t.category_id = ?".into());
        params.push(Value::Integer(c));
    }
    match f.assignee {
        Some(0) => clauses.push("t.assignee_id IS NULL".into()),
        Some(a) => {
            clauses.push("t.assignee_id = ?".into());
            params.push(Value::Integer(a));
        }
        None => {}
    }
    let q = f.q.trim();
    if !q.is_empty() {
        clauses.push(
            "(t.tracking_id = ? OR t.subject LIKE ? ESCAPE '\\' OR t.requester_email LIKE ? ESCAPE '\\' \
             OR t.requester_name LIKE ? ESCAPE '\\')"
                .into(),
        );
        params.push(Value::Text(
            super::normalize_tracking_id(q).unwrap_or_default(),
        ));
        let pattern = like_pattern(q);
        for _ in 0..3 {
            params.push(Value::Text(pattern.clone()));
        }
    }
    let where_sql = if clauses.is_empty() {
        String::new()
    } else {
        format!("WHERE {}", clauses.join(" AND "))
    };
    let dir = if f.asc { "ASC" } else { "DESC" };
    let order = match f.sort {
        Sort::Updated => format!("t.updated_at {dir}, t.id {dir}"),
        Sort::Created => format!("t.created_at {dir}, t.id {dir}"),
        Sort::Priority => format!("p.rank {dir}, t.updated_at DESC"),
        Sort::Subject => format!("t.subject COLLATE NOCASE {dir}, t.id DESC"),
    };
    let join = if f.sort == Sort::Priority {
        "JOIN priorities p ON p.id = t.priority_id"
    } else {
        ""
    };
    let columns = TICKET_COLUMNS
        .split(", ")
        .map(|c| format!("t.{c}"))
        .collect::<Vec<_>>()
        .join(", ");
    let offset = (f.page.max(1) - 1) * PER_PAGE;
    let sql = format!(
        "SELECT {columns} FROM tickets t {join} {where_sql} ORDER BY {order} LIMIT {PER_PAGE} OFFSET {offset}"
    );
    let mut stmt = conn.prepare_cached(&sql)?;
    let mut tickets = stmt
        .query_map(rusqlite::params_from_iter(params.iter()), ticket_from_row)?
        .collect::<rusqlite::Result<Vec<_>>>()?;
    for t in &mut tickets {
        refdata.decorate(t);
    }
    let count_sql = format!(
        "SELECT COUNT(*) FROM (SELECT 1 FROM tickets t {where_sql} LIMIT {})",
        COUNT_CAP + 1
    );
    let total = conn
        .prepare_cached(&count_sql)?
        .query_row(rusqlite::params_from_iter(params.iter()), |r| r.get(0))?;
    Ok(Page { tickets, total })
}
