//! The staff list's query put together from its parts: the conditions of a filter (shared with
//! `count`, so a number and the list it links to agree), and the page sorted by deadline, which
//! takes two walks.

use rusqlite::types::Value;
use rusqlite::{Connection, OptionalExtension};

use super::list::{Filter, PER_PAGE, View};
use super::{RefData, Ticket, ticket_from_row};
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

/// The conditions of everything `f` asks for but the text search, with their parameters: the
/// list and `count` share them, so a count and the list it links to always agree.
pub(super) fn conditions(f: &Filter, me: i64, refdata: &RefData) -> (Vec<String>, Vec<Value>) {
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
    if let Some(visible) = f.access.sql_condition("t.category_id") {
        clauses.push(visible);
    }
    // Spam is in no list, count or export (it has no search row either: see `list`).
    clauses.push(super::store::NOT_SPAM.into());
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
        // Only tickets with a running (or breached and paused) deadline have `sla_due_at`,
        // none of them closed; its index finds them.
        View::Overdue => {
            clauses.push("t.sla_due_at <= ?".into());
            params.push(Value::Integer(f.now));
        }
        View::DueToday => {
            clauses.push("t.sla_due_at > ? AND t.sla_due_at < ?".into());
            params.push(Value::Integer(f.now));
            params.push(Value::Integer(f.day_end));
        }
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
    if let Some(days) = &f.created {
        clauses.push("t.created_at >= ? AND t.created_at < ?".into());
        params.push(Value::Integer(days.start));
        params.push(Value::Integer(days.end));
    }
    if let Some(days) = &f.resolved {
        // The resolutions of those days (by their time index), then those tickets by id.
        clauses.push(
            "t.id IN (SELECT ticket_id FROM ticket_resolutions WHERE resolved_at >= ? AND resolved_at < ?)"
                .into(),
        );
        params.push(Value::Integer(days.start));
        params.push(Value::Integer(days.end));
    }
    // The tag and select-field filters are sets looked up by key: see `add_key_sets`.
    (clauses, params)
}

/// The tickets a filter names by key: a tag's (by `ticket_tags`' primary key) or a select
/// field option's (by `ticket_field_values_by_value`), as a subquery of `ticket_id`s (`sql`),
/// and the same test of one ticket `t` (`one`, a lookup by the ticket's own key), taking the
/// same parameters.
struct KeySet {
    sql: &'static str,
    one: &'static str,
    params: Vec<Value>,
}

/// The key sets of `f`: its tag, then its select-field options. None when the tag does not
/// exist (nothing can match).
fn key_sets(conn: &Connection, f: &Filter) -> Result<Option<Vec<KeySet>>> {
    let mut sets = Vec::new();
    if let Some(tag) = &f.tag {
        let id: Option<i64> = conn
            .prepare_cached("SELECT id FROM tags WHERE name = ?1")?
            .query_row([tag], |r| r.get(0))
            .optional()?;
        let Some(id) = id else {
            return Ok(None);
        };
        sets.push(KeySet {
            sql: "SELECT ticket_id FROM ticket_tags WHERE tag_id = ?",
            one: "EXISTS (SELECT 1 FROM ticket_tags WHERE tag_id = ? AND ticket_id = t.id LIMIT 1)",
            params: vec![Value::Integer(id)],
        });
    }
    for (field_id, option) in &f.fields {
        sets.push(KeySet {
            sql: "SELECT ticket_id FROM ticket_field_values WHERE field_id = ? AND value = ?",
            one: "EXISTS (SELECT 1 FROM ticket_field_values
                          WHERE field_id = ? AND value = ? AND ticket_id = t.id LIMIT 1)",
            params: vec![Value::Integer(*field_id), Value::Text(option.clone())],
        });
    }
    Ok(Some(sets))
}

/// Adds `f`'s tag and select-field filters to `clauses`, counting first: how many tickets match
/// everything (up to `cap`, all with None), read from the first set's own index with each of
/// its tickets looked up by id, so a tag on 2,000 of 100,000 tickets costs 2,000 lookups at
/// most, never a walk over the other 98,000. Then the list's plan: up to `cap` matches are
/// fetched by id and sorted; more are met while the list walks its own order, each ticket
/// tested by its own key (`KeySet::one`), the first page then coming after some hundred rows
/// (a `+t.id IN` set, which also keeps SQLite walking the list's order, is built whole first:
/// every ticket of the tag or option, for a page of 25). Returns the count, or None when `f` has
/// no such filter.
pub(super) fn add_key_sets(
    conn: &Connection,
    f: &Filter,
    cap: Option<i64>,
    clauses: &mut Vec<String>,
    params: &mut Vec<Value>,
) -> Result<Option<i64>> {
    let sets = match key_sets(conn, f)? {
        Some(sets) if sets.is_empty() => return Ok(None),
        Some(sets) => sets,
        None => {
            clauses.push("0".into());
            return Ok(Some(0));
        }
    };
    let tests = |column: &str, sets: &[KeySet]| -> Vec<String> {
        sets.iter()
            .map(|s| format!("{column} IN ({})", s.sql))
            .collect()
    };
    let (first, rest) = sets.split_at(1);
    let mut conds: Vec<String> = clauses.clone();
    conds.extend(tests("t.id", rest));
    let where_sql = if conds.is_empty() {
        String::new()
    } else {
        format!("WHERE {}", conds.join(" AND "))
    };
    let limit = cap.map(|n| format!("LIMIT {n}")).unwrap_or_default();
    // CROSS JOIN: SQLite keeps the tables in the order written, the set first.
    let sql = format!(
        "SELECT COUNT(*) FROM (SELECT 1 FROM ({}) s CROSS JOIN tickets t ON t.id = s.ticket_id \
         {where_sql} {limit})",
        first[0].sql
    );
    let all: Vec<&Value> = first[0]
        .params
        .iter()
        .chain(params.iter())
        .chain(rest.iter().flat_map(|s| s.params.iter()))
        .collect();
    let count: i64 = conn
        .prepare_cached(&sql)?
        .query_row(rusqlite::params_from_iter(all), |r| r.get(0))?;
    let walk = cap.is_some_and(|n| count >= n);
    if walk {
        // `LIMIT 1` keeps SQLite from turning the EXISTS into a join it might drive from.
        clauses.extend(sets.iter().map(|s| s.one.to_string()));
    } else {
        clauses.extend(tests("t.id", &sets));
    }
    params.extend(sets.into_iter().flat_map(|s| s.params));
    Ok(Some(count))
}

/// How many tickets `f` lists, exactly (no cap; `f.q` is not searched: the agent home counts
/// without words).
pub fn count(conn: &Connection, f: &Filter, me: i64, refdata: &RefData) -> Result<i64> {
    let (mut clauses, mut params) = conditions(f, me, refdata);
    if let Some(n) = add_key_sets(conn, f, None, &mut clauses, &mut params)? {
        return Ok(n);
    }
    let where_sql = if clauses.is_empty() {
        String::new()
    } else {
        format!("WHERE {}", clauses.join(" AND "))
    };
    let sql = format!("SELECT COUNT(*) FROM tickets t {where_sql}");
    Ok(conn
        .prepare_cached(&sql)?
        .query_row(rusqlite::params_from_iter(params.iter()), |r| r.get(0))?)
}

/// The condition of tickets carrying tag `tag` (normalised): a tag on many tickets is tested
/// per ticket by its key while the list walks its own order (as `add_key_sets` does), a rare
/// one looked up by its key, so the first page comes quickly either way.
pub(super) fn tag_condition(
    conn: &Connection,
    tag: &str,
    clauses: &mut Vec<String>,
    params: &mut Vec<Value>,
) -> Result<()> {
    let many: i64 = conn
        .prepare_cached(
            "SELECT COUNT(*) FROM (SELECT 1 FROM ticket_tags
             WHERE tag_id = (SELECT id FROM tags WHERE name = ?1) LIMIT 201)",
        )?
        .query_row([tag], |r| r.get(0))?;
    clauses.push(if many > 200 {
        "EXISTS (SELECT 1 FROM ticket_tags tt
                 WHERE tt.tag_id = (SELECT id FROM tags WHERE name = ?) AND tt.ticket_id = t.id
                 LIMIT 1)"
            .to_string()
    } else {
        "t.id IN (SELECT tt.ticket_id FROM ticket_tags tt
                  WHERE tt.tag_id = (SELECT id FROM tags WHERE name = ?))"
            .to_string()
    });
    params.push(Value::Text(tag.to_string()));
    Ok(())
}

/// The next service-level deadline to pass after `now`, of any ticket: until then the overdue
/// and due-today lists (and their counts) hold what they held at `now`, as far as the clock
/// goes (a kept page of them is used no longer: `PageInputs::until`).
pub fn next_deadline(conn: &Connection, now: i64) -> Result<Option<i64>> {
    Ok(conn
        .prepare_cached("SELECT min(sla_due_at) FROM tickets WHERE sla_due_at > ?1")?
        .query_row([now], |r| r.get(0))?)
}
