//! The staff ticket list: views, filters, sorting and paging, built as one parameterised query
//! that the indexes on `tickets` can serve at 100,000 tickets.

use rusqlite::Connection;
use rusqlite::types::Value;
use serde::Serialize;

use super::list_query::{Query, add_key_sets, by_due, conditions, tag_condition};
pub use super::list_query::{count, next_deadline};
use super::{RefData, TICKET_COLUMNS, Ticket};
use crate::desk_time::format::ViewerTime;
use crate::error::Result;

pub const PER_PAGE: i64 = 25;
/// Counting stops here; the page says "more than 1,000" rather than scanning everything.
pub const COUNT_CAP: i64 = 1_000;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum View {
    Open,
    Mine,
    Unassigned,
    All,
    /// Tickets whose service-level deadline has passed.
    Overdue,
    /// Tickets whose deadline comes before the end of the viewer's day.
    DueToday,
}

impl View {
    pub const ALL: [View; 6] = [
        View::Open,
        View::Mine,
        View::Unassigned,
        View::All,
        View::Overdue,
        View::DueToday,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            View::Open => "open",
            View::Mine => "mine",
            View::Unassigned => "unassigned",
            View::All => "all",
            View::Overdue => "overdue",
            View::DueToday => "due_today",
        }
    }

    pub fn parse(s: Option<&str>) -> View {
        View::ALL
            .into_iter()
            .find(|v| Some(v.as_str()) == s)
            .unwrap_or(View::Open)
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
    /// By the service-level deadline; tickets without one come last either way.
    Due,
}

impl Sort {
    pub const ALL: [Sort; 6] = [
        Sort::Updated,
        Sort::Created,
        Sort::Priority,
        Sort::Subject,
        Sort::Relevance,
        Sort::Due,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Sort::Updated => "updated",
            Sort::Created => "created",
            Sort::Priority => "priority",
            Sort::Subject => "subject",
            Sort::Relevance => "relevance",
            Sort::Due => "due",
        }
    }

    pub fn parse(s: Option<&str>) -> Sort {
        Sort::ALL
            .into_iter()
            .find(|v| Some(v.as_str()) == s)
            .unwrap_or(Sort::Updated)
    }
}

/// A span of whole days in the viewer's zone, `from` to `to` included (`YYYY-MM-DD`), and the
/// instants it covers: [`start`, `end`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Days {
    pub from: String,
    pub to: String,
    #[serde(skip)]
    pub start: i64,
    #[serde(skip)]
    pub end: i64,
}

impl Days {
    /// The days `from` to `to` in `zone`; None unless both are real dates in that order (a bad
    /// date in a link means no such filter, as a bad id does).
    pub fn parse(from: &str, to: &str, zone: &jiff::tz::TimeZone) -> Option<Days> {
        let start = crate::desk_time::date_start(from, zone)?;
        let end = crate::desk_time::date_end(to, zone)?;
        (start < end).then(|| Days {
            from: from.trim().to_string(),
            to: to.trim().to_string(),
            start,
            end,
        })
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
    /// Tickets with this tag (a normalised name; `tag=` in the list's query).
    pub tag: Option<String>,
    /// Created within these days.
    pub created: Option<Days>,
    /// Resolved (entered a closing status, see `csat`) within these days, even if reopened since.
    pub resolved: Option<Days>,
    /// Select custom fields that must hold an option: (field id, option), from `field_<id>=`.
    pub fields: Vec<(i64, String)>,
    pub sort: Sort,
    pub asc: bool,
    pub page: i64,
    /// The viewer's categories: the list never shows a ticket outside them.
    #[serde(skip)]
    pub access: crate::auth::access::Access,
    /// The moment of the request and the end of the viewer's day (the next midnight in their
    /// zone), for the overdue and due-today views.
    #[serde(skip)]
    pub now: i64,
    #[serde(skip)]
    pub day_end: i64,
}

/// One row of the list page: only what `staff/list.html` shows, the time already formatted for
/// the viewer, so a page of rows costs the template little (this loop dominated the page's
/// render time).
#[derive(Debug, Serialize)]
pub struct Row {
    pub id: i64,
    pub tracking_id: String,
    pub subject: String,
    pub message_count: i64,
    pub snippet: Option<String>,
    pub requester_name: String,
    pub requester_email: String,
    pub status: String,
    pub status_slug: String,
    pub status_color: String,
    pub priority: String,
    pub priority_slug: String,
    pub category: String,
    pub assignee: Option<String>,
    /// The last change in the viewer's zone, relative to now ("2 hours ago") and for machines.
    pub updated: String,
    pub updated_ago: String,
    pub updated_iso: String,
    /// The service-level deadline, if one runs: in the viewer's zone, against now ("due in 35
    /// min", "breached by 2 h 10 min"), for machines, and how close it is: `breached`, `soon`
    /// (less than a quarter of its target left) or `fine`.
    pub due: Option<String>,
    pub due_text: Option<String>,
    pub due_iso: Option<String>,
    pub due_class: &'static str,
}

impl Row {
    pub fn new(t: Ticket, time: &ViewerTime<'_>) -> Row {
        let due_class = match (t.sla_due_at, t.sla_warn_at) {
            (Some(due), _) if due <= time.now => "breached",
            (Some(_), Some(warn)) if warn <= time.now => "soon",
            (Some(_), _) => "fine",
            (None, _) => "",
        };
        Row {
            due: t.sla_due_at.map(|d| time.absolute(d)),
            due_text: t.sla_due_at.map(|d| time.due(d)),
            due_iso: t.sla_due_at.map(crate::desk_time::format::iso),
            due_class,
            updated: time.absolute(t.updated_at),
            updated_ago: time.relative(t.updated_at),
            updated_iso: crate::desk_time::format::iso(t.updated_at),
            id: t.id,
            tracking_id: t.tracking_id,
            subject: t.subject,
            message_count: t.message_count,
            snippet: t.snippet,
            requester_name: t.requester_name,
            requester_email: t.requester_email,
            status: t.status,
            status_slug: t.status_slug,
            status_color: t.status_color,
            priority: t.priority,
            priority_slug: t.priority_slug,
            category: t.category,
            assignee: t.assignee,
        }
    }
}

pub struct Page {
    pub tickets: Vec<Ticket>,
    /// Matching tickets, capped at COUNT_CAP + 1.
    pub total: i64,
    pub has_next: bool,
}

fn like_escape(q: &str) -> String {
    q.replace('\\', "\\\\")
        .replace('%', "\\%")
        .replace('_', "\\_")
}

impl Filter {
    /// The list with everything but the text search left as it comes: every ticket the viewer
    /// may see, newest change first (`access` and the times are the viewer's).
    pub fn new(view: View, access: crate::auth::access::Access, now: i64, day_end: i64) -> Filter {
        Filter {
            view,
            status: None,
            priority: None,
            category: None,
            assignee: None,
            q: String::new(),
            tag: None,
            created: None,
            resolved: None,
            fields: Vec::new(),
            sort: Sort::Updated,
            asc: false,
            page: 1,
            access,
            now,
            day_end,
        }
    }

    /// The query string of the list page showing this filter's tickets: its parameters that
    /// differ from the defaults, but the text search, sort, direction and page (what `count`
    /// leaves out too).
    pub fn link_query(&self) -> String {
        let mut parts = vec![format!("view={}", self.view.as_str())];
        let ids = [
            ("status", self.status),
            ("priority", self.priority),
            ("category", self.category),
            ("assignee", self.assignee),
        ];
        for (name, value) in ids {
            if let Some(v) = value {
                parts.push(format!("{name}={v}"));
            }
        }
        if let Some(tag) = &self.tag {
            parts.push(format!("tag={}", crate::util::url_encode(tag)));
        }
        for (name, days) in [("created", &self.created), ("resolved", &self.resolved)] {
            if let Some(d) = days {
                parts.push(format!("{name}_from={}&{name}_to={}", d.from, d.to));
            }
        }
        parts.join("&")
    }
}

/// Every condition of the list `f` shows, its text search included, with their parameters:
/// what the CSV export walks (`export`), so it holds exactly the list's tickets.
pub fn export_conditions(
    conn: &Connection,
    f: &Filter,
    me: i64,
    refdata: &RefData,
) -> Result<(Vec<String>, Vec<Value>)> {
    let (mut clauses, mut params) = conditions(f, me, refdata);
    add_key_sets(conn, f, Some(COUNT_CAP + 1), &mut clauses, &mut params)?;
    let q = f.q.trim();
    if !q.is_empty() {
        text_condition(conn, q, &mut clauses, &mut params)?;
    }
    Ok((clauses, params))
}

pub fn list(conn: &Connection, f: &Filter, me: i64, refdata: &RefData) -> Result<Page> {
    let (mut clauses, mut params) = conditions(f, me, refdata);
    // Counted first, from the tag's or option's own index (see `add_key_sets`).
    let keyed_total = add_key_sets(conn, f, Some(COUNT_CAP + 1), &mut clauses, &mut params)?;
    let q = f.q.trim();
    let tracking_id = super::normalize_tracking_id(q);
    let fts = if tracking_id.is_none() && !q.contains('@') && tag_search(q).is_none() {
        crate::search::TicketQuery::parse(q)
    } else {
        None
    };
    let mut with = String::new();
    let mut fts_join = "";
    // With nothing but the text to filter on, the index alone can count the matches.
    // Spam tickets have no search row, so their condition leaves the index's count right.
    let text_only = clauses.iter().all(|c| c == super::store::NOT_SPAM);
    // With the text alone, the index's count (to the cap) is the page's total, and it also tells
    // `text_condition` whether there are many matches: one count instead of two.
    let mut fts_total = None;
    if !q.is_empty() {
        match &fts {
            Some(search) if f.sort == Sort::Relevance => {
                // Each ticket ranked by its best row (subject hits weigh most), joined to the
                // tickets by id; with several words, only tickets holding all of them. The WITH
                // clause comes first in the SQL, so its parameter does too. Two steps: FTS5's
                // bm25() cannot be used inside an aggregate.
                with = "WITH r AS MATERIALIZED (SELECT rowid >> 24 AS fid, \
                        bm25(ticket_search, 10.0, 2.0, 1.0, 5.0) AS score \
                        FROM ticket_search WHERE ticket_search MATCH ?), \
                        f AS MATERIALIZED (SELECT fid, min(score) AS score FROM r GROUP BY fid)"
                    .to_string();
                fts_join = "JOIN f ON f.fid = t.id";
                params.insert(0, Value::Text(search.any_expr()));
                // One word: `f` holds just the matching tickets. More: each must be there.
                if search.words() > 1 {
                    clauses.push(search.condition("+t.id"));
                    params.extend(search.params());
                }
            }
            _ => match &fts {
                Some(search) if text_only => {
                    let total = search.count(conn, COUNT_CAP + 1)?;
                    fts_total = Some(total);
                    search_condition(search, total, &mut clauses, &mut params);
                }
                _ => text_condition(conn, q, &mut clauses, &mut params)?,
            },
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
        Sort::Relevance if !fts_join.is_empty() => {
            "f.score, t.updated_at DESC, t.id DESC".to_string()
        }
        Sort::Relevance => format!("t.updated_at {dir}, t.id {dir}"),
        // The tickets with a deadline, in its order (see `by_due` for the rest).
        Sort::Due => format!("t.sla_due_at {dir}, t.id {dir}"),
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
    let query = Query {
        with: &with,
        columns: &columns,
        joins: &format!("{fts_join} {join}"),
        clauses: &clauses,
        params: &params,
    };
    // One row more than a page tells whether there is a next page.
    let mut tickets = if f.sort == Sort::Due {
        by_due(conn, &query, &order, offset)?
    } else {
        query.rows(conn, None, &order, PER_PAGE + 1, offset)?
    };
    let has_next = tickets.len() as i64 > PER_PAGE;
    tickets.truncate(PER_PAGE as usize);
    for t in &mut tickets {
        refdata.decorate(t);
    }
    if let Some(search) = &fts {
        add_snippets(conn, search, &mut tickets)?;
    }
    let total = if let (Some(n), true) = (keyed_total, q.is_empty()) {
        n
    } else if let Some(total) = fts_total {
        total
    } else {
        let count_sql = format!(
            "{with} SELECT COUNT(*) FROM (SELECT 1 FROM tickets t {fts_join} {where_sql} LIMIT {})",
            COUNT_CAP + 1
        );
        conn.prepare_cached(&count_sql)?
            .query_row(rusqlite::params_from_iter(params.iter()), |r| r.get(0))?
    };
    Ok(Page {
        tickets,
        total,
        has_next,
    })
}

/// The condition a text search `q` (not empty) adds to a query over `tickets t`: a tracking ID
/// exactly, an email address by prefix (its index), anything else through the full-text index
/// over subject, messages (notes too: staff see them) and the requester's name and email. No
/// clause here scans the whole table. The API's list (`json_list`) searches the same way.
pub(super) fn text_condition(
    conn: &Connection,
    q: &str,
    clauses: &mut Vec<String>,
    params: &mut Vec<Value>,
) -> Result<()> {
    if let Some(tid) = super::normalize_tracking_id(q) {
        // The ticket, or the one it was merged into, and the tickets linked to that one.
        clauses.push(
            "t.id IN (WITH hit AS (SELECT coalesce(merged_into_id, id) AS id FROM tickets
                                   WHERE tracking_id = ?)
                      SELECT id FROM hit
                      UNION SELECT high_id FROM ticket_links WHERE low_id IN (SELECT id FROM hit)
                      UNION SELECT low_id FROM ticket_links WHERE high_id IN (SELECT id FROM hit))"
                .into(),
        );
        params.push(Value::Text(tid));
    } else if let Some(tag) = tag_search(q) {
        tag_condition(conn, &tag, clauses, params)?;
    } else if q.contains('@') {
        clauses.push("t.requester_email LIKE ? ESCAPE '\\'".into());
        params.push(Value::Text(format!("{}%", like_escape(q))));
    } else if let Some(search) = crate::search::TicketQuery::parse(q) {
        // Many matches: walk the tickets in list order and test each against the match set
        // (`+t.id` keeps SQLite from driving the query from the index instead), so the first
        // page comes after a few hundred rows. Few matches: look those up.
        let matches = search.count(conn, MANY + 1)?;
        search_condition(&search, matches, clauses, params);
    } else {
        // Only punctuation: nothing can match.
        clauses.push("0".into());
    }
    Ok(())
}

/// Past this many matching tickets, the list walks the tickets in its order and tests each.
const MANY: i64 = 200;

/// The condition of a full-text search with `matches` matching tickets (counted at least to
/// `MANY + 1`).
fn search_condition(
    search: &crate::search::TicketQuery,
    matches: i64,
    clauses: &mut Vec<String>,
    params: &mut Vec<Value>,
) {
    let column = if matches > MANY { "+t.id" } else { "t.id" };
    clauses.push(search.condition(column));
    params.extend(search.params());
}

/// The tag a `tag:NAME` search asks for, normalised; None for any other search.
fn tag_search(q: &str) -> Option<String> {
    let rest = q.trim().strip_prefix("tag:")?;
    super::tags::normalize(rest).ok()
}

/// The best-matching passage of each ticket the search matched (not those found by email): of
/// its rows holding any of the words, the best ranked. One pass over the matching rows: the
/// ticket id of a row (`rowid >> 24`) is no constraint FTS5 could take, so it does not look each
/// ticket up again (each lookup setting the prefix query up anew), and a snippet is only made
/// for the rows kept.
fn add_snippets(
    conn: &Connection,
    search: &crate::search::TicketQuery,
    tickets: &mut [Ticket],
) -> Result<()> {
    if tickets.is_empty() {
        return Ok(());
    }
    // One statement for every page (prepared once per connection): a place per row of a
    // page, those without a ticket given 0, which no ticket has.
    let marks = (2..=PER_PAGE + 1)
        .map(|i| format!("?{i}"))
        .collect::<Vec<_>>()
        .join(",");
    let sql = format!(
        "SELECT rowid >> 24, bm25(ticket_search, 10.0, 2.0, 1.0, 5.0), \
         snippet(ticket_search, -1, char(1), char(2), '…', 16) FROM ticket_search \
         WHERE ticket_search MATCH ?1 AND rowid >> 24 IN ({marks})"
    );
    let mut values = vec![Value::Text(search.any_expr())];
    values
        .extend((0..PER_PAGE as usize).map(|i| Value::Integer(tickets.get(i).map_or(0, |t| t.id))));
    let mut stmt = conn.prepare_cached(&sql)?;
    let mut rows = stmt.query(rusqlite::params_from_iter(values))?;
    let mut snippets: std::collections::HashMap<i64, (f64, String)> =
        std::collections::HashMap::new();
    while let Some(row) = rows.next()? {
        let (id, rank): (i64, f64) = (row.get(0)?, row.get(1)?);
        if snippets.get(&id).is_none_or(|(best, _)| rank < *best) {
            snippets.insert(id, (rank, row.get(2)?));
        }
    }
    for t in tickets {
        t.snippet = snippets
            .remove(&t.id)
            .map(|(_, s)| crate::search::highlight(&s));
    }
    Ok(())
}
