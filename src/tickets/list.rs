//! The staff ticket list: views, filters, sorting and paging, built as one parameterised query
//! that the indexes on `tickets` can serve at 100,000 tickets.

use rusqlite::types::Value;
use rusqlite::{Connection, OptionalExtension};
use serde::Serialize;

use super::{RefData, TICKET_COLUMNS, Ticket, ticket_from_row};
use crate::error::Result;

pub const PER_PAGE: i64 = 25;
/// Counting stops here; the page says "more than 1,000" rather than scanning everything.
pub const COUNT_CAP: i64 = 1_000;

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
    /// Best match first (bm25); only with a text search, else the same as Updated.
    Relevance,
}

impl Sort {
    pub fn parse(s: Option<&str>) -> Sort {
        match s {
            Some("created") => Sort::Created,
            Some("priority") => Sort::Priority,
            Some("subject") => Sort::Subject,
            Some("relevance") => Sort::Relevance,
            _ => Sort::Updated,
        }
    }

    /// As `parse`, but a search without a chosen order is sorted by relevance.
    pub fn parse_for(s: Option<&str>, q: &str) -> Sort {
        match s {
            None | Some("") if !q.trim().is_empty() => Sort::Relevance,
            _ => Sort::parse(s),
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
    pub has_next: bool,
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
    // Text search: a tracking ID, the requester's email or name, or the full-text index over the
    // subject and every message, notes included (staff see them).
    let tracking_id = super::normalize_tracking_id(q);
    let fts = if tracking_id.is_none() {
        crate::search::match_expr(q)
    } else {
        None
    };
    if !q.is_empty() {
        let text = if fts.is_some() {
            "f.fid IS NOT NULL"
        } else {
            "t.subject LIKE ? ESCAPE '\\'"
        };
        clauses.push(format!(
            "(t.tracking_id = ? OR t.requester_email LIKE ? ESCAPE '\\' \
             OR t.requester_name LIKE ? ESCAPE '\\' OR {text})"
        ));
        params.push(Value::Text(tracking_id.unwrap_or_default()));
        let pattern = like_pattern(q);
        let likes = if fts.is_some() { 2 } else { 3 };
        for _ in 0..likes {
            params.push(Value::Text(pattern.clone()));
        }
    }
    // The matches, ranked once (subject hits weigh most), joined to the tickets by id. The
    // WITH clause comes first in the SQL, so its parameter does too.
    let (with, fts_join) = match &fts {
        Some(expr) => {
            params.insert(0, Value::Text(expr.clone()));
            (
                "WITH f AS MATERIALIZED (SELECT rowid AS fid, bm25(ticket_search, 10.0, 2.0, 1.0) AS score \
                 FROM ticket_search WHERE ticket_search MATCH ?)",
                "LEFT JOIN f ON f.fid = t.id",
            )
        }
        None => ("", ""),
    };
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
        Sort::Relevance if fts.is_some() => {
            "f.score IS NULL, f.score, t.updated_at DESC, t.id DESC".to_string()
        }
        Sort::Relevance => format!("t.updated_at {dir}, t.id {dir}"),
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
    // One row more than a page tells whether there is a next page.
    let sql = format!(
        "{with} SELECT {columns} FROM tickets t {fts_join} {join} {where_sql} ORDER BY {order} LIMIT {} OFFSET {offset}",
        PER_PAGE + 1
    );
    let mut stmt = conn.prepare_cached(&sql)?;
    let mut tickets = stmt
        .query_map(rusqlite::params_from_iter(params.iter()), ticket_from_row)?
        .collect::<rusqlite::Result<Vec<_>>>()?;
    let has_next = tickets.len() as i64 > PER_PAGE;
    tickets.truncate(PER_PAGE as usize);
    for t in &mut tickets {
        refdata.decorate(t);
    }
    if let Some(expr) = &fts {
        add_snippets(conn, expr, &mut tickets)?;
    }
    let count_sql = format!(
        "{with} SELECT COUNT(*) FROM (SELECT 1 FROM tickets t {fts_join} {where_sql} LIMIT {})",
        COUNT_CAP + 1
    );
    let total = conn
        .prepare_cached(&count_sql)?
        .query_row(rusqlite::params_from_iter(params.iter()), |r| r.get(0))?;
    Ok(Page {
        tickets,
        total,
        has_next,
    })
}

/// The best-matching passage of each ticket the search matched (not those found by email).
fn add_snippets(conn: &Connection, expr: &str, tickets: &mut [Ticket]) -> Result<()> {
    let mut stmt = conn.prepare_cached(
        "SELECT snippet(ticket_search, -1, char(1), char(2), '…', 16) FROM ticket_search \
         WHERE ticket_search MATCH ?1 AND rowid = ?2",
    )?;
    for t in tickets {
        let raw: Option<String> = stmt
            .query_row(rusqlite::params![expr, t.id], |r| r.get(0))
            .optional()?;
        t.snippet = raw.map(|s| crate::search::highlight(&s));
    }
    Ok(())
}
