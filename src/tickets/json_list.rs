//! The tickets as machines page through them (the REST API's list): filters, newest change
//! first, and keyset pages. A page is one query over `json::SELECT`, and a cursor names the last
//! row's place (`updated_at`, id) rather than an offset, so tickets opened or changed while a
//! client pages move no row of the pages still to come: a ticket changed meanwhile moves to the
//! front (where a client that remembers when it started finds it with `updated_since`), and none
//! is listed twice.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use rusqlite::Connection;
use rusqlite::types::Value;

use super::json;
use crate::auth::access::Access;
use crate::error::Result;

pub const DEFAULT_LIMIT: i64 = 25;
pub const MAX_LIMIT: i64 = 100;

/// Where a page starts: just after the ticket changed at `updated_at` with this id.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Cursor {
    pub updated_at: i64,
    pub id: i64,
}

impl Cursor {
    /// The opaque text a client sends back: base64url of `updated_at:id`.
    pub fn encode(self) -> String {
        URL_SAFE_NO_PAD.encode(format!("{}:{}", self.updated_at, self.id))
    }

    /// A cursor `encode` made; anything else (garbled, edited) is `None`.
    pub fn decode(s: &str) -> Option<Cursor> {
        let bytes = URL_SAFE_NO_PAD.decode(s.trim()).ok()?;
        let text = String::from_utf8(bytes).ok()?;
        let (at, id) = text.split_once(':')?;
        let cursor = Cursor {
            updated_at: at.parse().ok()?,
            id: id.parse().ok()?,
        };
        (cursor.id > 0 && cursor.updated_at >= 0).then_some(cursor)
    }
}

/// Who the tickets are assigned to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Assigned {
    Nobody,
    To(i64),
}

/// What to list; `None` filters nothing.
#[derive(Debug, Clone, Default)]
pub struct Filter {
    pub status: Option<i64>,
    pub priority: Option<i64>,
    pub category: Option<i64>,
    pub assignee: Option<Assigned>,
    /// The requester's email, exactly (lowercase).
    pub requester: Option<String>,
    /// The desk's text search (`list::text_condition`); empty: none.
    pub q: String,
    /// Changed at or after (unix seconds).
    pub updated_since: Option<i64>,
    /// The caller's categories: nothing outside them is listed.
    pub access: Access,
    pub after: Option<Cursor>,
    pub limit: i64,
}

/// One page of ticket objects, and the cursor of the next page (`None` on the last).
pub struct Page {
    pub tickets: Vec<json::TicketObject>,
    pub next: Option<Cursor>,
}

/// A page of tickets, newest change first (ties by id, newest first). Each filter has an index
/// that serves it in this order (`tickets_updated`, `tickets_status`, `tickets_category`,
/// `tickets_requester_updated`, ...; SQLite keeps the rowid in every index, so the id tie-break
/// needs no sort).
pub fn page(conn: &Connection, f: &Filter) -> Result<Page> {
    let mut clauses: Vec<String> = Vec::new();
    let mut params: Vec<Value> = Vec::new();
    // A member limited to several categories, listing them all: one walk per category, merged
    // (see below). Otherwise the access is one more condition.
    let per_category = match (&f.access, f.category) {
        (Access::Only(ids), None) if ids.len() > 1 => Some(ids.clone()),
        _ => None,
    };
    if per_category.is_none()
        && let Some(visible) = f.access.sql_condition("t.category_id")
    {
        clauses.push(visible);
    }
    // Spam is in no list (see `store::NOT_SPAM`).
    clauses.push(super::store::NOT_SPAM.into());
    for (column, value) in [
        ("t.status_id", f.status),
        ("t.priority_id", f.priority),
        ("t.category_id", f.category),
    ] {
        if let Some(v) = value {
            clauses.push(format!("{column} = ?"));
            params.push(Value::Integer(v));
        }
    }
    match f.assignee {
        Some(Assigned::Nobody) => clauses.push("t.assignee_id IS NULL".into()),
        Some(Assigned::To(id)) => {
            clauses.push("t.assignee_id = ?".into());
            params.push(Value::Integer(id));
        }
        None => {}
    }
    if let Some(email) = &f.requester {
        clauses.push("t.requester_email = ?".into());
        params.push(Value::Text(email.clone()));
    }
    if let Some(since) = f.updated_since {
        clauses.push("t.updated_at >= ?".into());
        params.push(Value::Integer(since));
    }
    if let Some(after) = f.after {
        // The first part bounds the index range; the second drops the rows of the same second
        // already listed.
        clauses.push("t.updated_at <= ? AND (t.updated_at < ? OR t.id < ?)".into());
        params.push(Value::Integer(after.updated_at));
        params.push(Value::Integer(after.updated_at));
        params.push(Value::Integer(after.id));
    }
    let q = f.q.trim();
    if !q.is_empty() {
        super::list::text_condition(conn, q, &mut clauses, &mut params)?;
    }
    let limit = f.limit.clamp(1, MAX_LIMIT);
    // One row more than the page tells whether another page follows.
    let wanted = limit + 1;
    let order = "ORDER BY t.updated_at DESC, t.id DESC";
    let (where_sql, params) = match per_category {
        None if clauses.is_empty() => (String::new(), params),
        None => (format!("WHERE {}", clauses.join(" AND ")), params),
        // `category_id IN (...)` would read every ticket of those categories and sort them
        // (a tenth of a second at 100,000 tickets); each category's own index walk, cut at a
        // page, then merged, reads a page per category. The ids are integers from our table.
        Some(ids) => {
            let rest: String = clauses.iter().map(|c| format!(" AND {c}")).collect();
            let arms: Vec<String> = ids
                .iter()
                .map(|id| {
                    format!(
                        "SELECT id FROM (SELECT t.id FROM tickets t WHERE t.category_id = {id}{rest} \
                         {order} LIMIT {wanted})"
                    )
                })
                .collect();
            let all = std::iter::repeat_n(params, ids.len()).flatten().collect();
            (format!("WHERE t.id IN ({})", arms.join(" UNION ALL ")), all)
        }
    };
    let sql = format!("{} {where_sql} {order} LIMIT {wanted}", json::SELECT);
    let mut rows = conn
        .prepare_cached(&sql)?
        .query_map(rusqlite::params_from_iter(params.iter()), |r| {
            Ok((json::sort_key(r)?, json::object_from_row(r)?))
        })?
        .collect::<rusqlite::Result<Vec<_>>>()?;
    let more = rows.len() as i64 > limit;
    rows.truncate(limit as usize);
    let next = match rows.last() {
        Some(((updated_at, id), _)) if more => Some(Cursor {
            updated_at: *updated_at,
            id: *id,
        }),
        _ => None,
    };
    Ok(Page {
        tickets: rows.into_iter().map(|(_, t)| t).collect(),
        next,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_cursor_reads_back_and_garbage_does_not() {
        let c = Cursor {
            updated_at: 1_700_000_000,
            id: 42,
        };
        assert_eq!(Cursor::decode(&c.encode()), Some(c));
        for bad in [
            "",
            "!!!",
            "MTIz",
            &URL_SAFE_NO_PAD.encode("a:b"),
            &URL_SAFE_NO_PAD.encode("5:-1"),
        ] {
            assert_eq!(Cursor::decode(bad), None, "{bad}");
        }
    }
}
