//! The staff list's query put together from its parts (`list` decides them), and the page
//! sorted by deadline, which takes two walks.

use rusqlite::Connection;
use rusqlite::types::Value;

use super::list::PER_PAGE;
use super::{Ticket, ticket_from_row};
use crate::error::Result;

/// The parts of the list's query: its WITH clause, columns, joins and conditions with their
/// parameters.
pub struct Query<'a> {
    pub with: &'a str,
    pub columns: &'a str,
    pub joins: &'a str,
    pub clauses: &'a [String],
    pub params: &'a [Value],
}

impl Query<'_> {
    fn where_sql(&self, extra: Option<&str>) -> String {
        let all: Vec<&str> = self
            .clauses
            .iter()
            .map(String::as_str)
            .chain(extra)
            .collect();
        if all.is_empty() {
            String::new()
        } else {
            format!("WHERE {}", all.join(" AND "))
        }
    }

    /// The matching tickets (and `extra`), in `order`.
    pub fn rows(
        &self,
        conn: &Connection,
        extra: Option<&str>,
        order: &str,
        limit: i64,
        offset: i64,
    ) -> Result<Vec<Ticket>> {
        let (with, columns, joins) = (self.with, self.columns, self.joins);
        let where_sql = self.where_sql(extra);
        let sql = format!(
            "{with} SELECT {columns} FROM tickets t {joins} {where_sql} ORDER BY {order} LIMIT {limit} OFFSET {offset}"
        );
        let rows = conn
            .prepare_cached(&sql)?
            .query_map(
                rusqlite::params_from_iter(self.params.iter()),
                ticket_from_row,
            )?
            .collect::<rusqlite::Result<Vec<_>>>()?;
        Ok(rows)
    }

    fn count(&self, conn: &Connection, extra: Option<&str>) -> Result<i64> {
        let (with, joins) = (self.with, self.joins);
        let where_sql = self.where_sql(extra);
        let sql = format!("{with} SELECT COUNT(*) FROM tickets t {joins} {where_sql}");
        Ok(conn
            .prepare_cached(&sql)?
            .query_row(rusqlite::params_from_iter(self.params.iter()), |r| r.get(0))?)
    }
}

/// A page sorted by deadline: the tickets with one in its order (walking `tickets_sla_due`,
/// where only open tickets are), then those without, newest change first, by the list's usual
/// plan. One query each way: a single ORDER BY that puts NULLs last would walk every ticket
/// without a deadline, closed ones included, to find the open ones among them.
pub fn by_due(
    conn: &Connection,
    query: &Query<'_>,
    order: &str,
    offset: i64,
) -> Result<Vec<Ticket>> {
    let wanted = PER_PAGE + 1;
    let mut rows = query.rows(
        conn,
        Some("t.sla_due_at IS NOT NULL"),
        order,
        wanted,
        offset,
    )?;
    let missing = wanted - rows.len() as i64;
    if missing > 0 {
        // The deadlines ran out on this page, so they number offset + what it got, unless it
        // got none (then the page starts past them: count them).
        let with_due = if rows.is_empty() {
            query.count(conn, Some("t.sla_due_at IS NOT NULL"))?
        } else {
            offset + rows.len() as i64
        };
        let skip = (offset - with_due).max(0);
        let rest = "t.updated_at DESC, t.id DESC";
        rows.extend(query.rows(conn, Some("t.sla_due_at IS NULL"), rest, missing, skip)?);
    }
    Ok(rows)
}
