//! Canned replies (macros): a title and a text with placeholders (`placeholders`), shared or one
//! staff member's own, maybe only for one category, maybe with field changes applied when a
//! reply using it is sent. Every statement on `canned_replies` is here.
//!
//! Who may do what, decided here once:
//! - a shared reply (no owner) is offered to every staff member and written by admins only;
//! - a personal one is its owner's alone: nobody else sees it, admins neither;
//! - on a ticket, the offered replies are those with no category or the ticket's.

use rusqlite::{Connection, OptionalExtension, Row, params};
use serde::Serialize;

use super::actions::Changes;
use super::placeholders::{self, PlaceholderValues};
use super::{RefData, Ticket};
use crate::error::{FieldErrors, Result};

pub const MAX_TITLE: usize = 120;
pub const MAX_BODY: usize = 20_000;

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct CannedReply {
    pub id: i64,
    pub title: String,
    pub body: String,
    /// `None`: shared.
    pub owner_id: Option<i64>,
    pub category_id: Option<i64>,
    pub status_id: Option<i64>,
    pub priority_id: Option<i64>,
    pub assign_to_me: bool,
    pub usage_count: i64,
    pub last_used_at: Option<i64>,
    pub created_at: i64,
    pub updated_at: i64,
}

impl CannedReply {
    pub fn is_shared(&self) -> bool {
        self.owner_id.is_none()
    }

    /// Whether `staff` is offered it (on tickets and in the list).
    pub fn visible_to(&self, staff: i64) -> bool {
        self.owner_id.is_none_or(|owner| owner == staff)
    }

    /// Whether `staff` may change or delete it.
    pub fn editable_by(&self, staff: i64, is_admin: bool) -> bool {
        match self.owner_id {
            None => is_admin,
            Some(owner) => owner == staff,
        }
    }

    /// The field changes a reply using it makes, sent by staff member `sender`.
    pub fn changes(&self, sender: i64) -> Changes {
        Changes {
            status: self.status_id,
            priority: self.priority_id,
            category: None,
            assignee: self.assign_to_me.then_some(Some(sender)),
        }
    }

    pub fn has_changes(&self) -> bool {
        self.status_id.is_some() || self.priority_id.is_some() || self.assign_to_me
    }

    /// The text for `ticket`, sent by `agent_name`. The values are the ticket's as they will be
    /// once the reply is sent: "your ticket is now {{ ticket.status }}" in a reply that resolves
    /// it says "Resolved". `refdata` gives the names in the requester's language.
    pub fn render_for(
        &self,
        ticket: &Ticket,
        refdata: &RefData,
        agent_name: &str,
        desk_name: &str,
        base_url: &str,
    ) -> String {
        let mut after = ticket.clone();
        if let Some(status) = self.status_id {
            after.status_id = status;
        }
        if let Some(priority) = self.priority_id {
            after.priority_id = priority;
        }
        refdata.decorate(&mut after);
        let values = PlaceholderValues::for_ticket(&after, agent_name, desk_name, base_url);
        placeholders::render(&self.body, &values)
    }
}

/// A canned reply as a form gives it, before it is checked.
#[derive(Debug, Clone, Default)]
pub struct CannedInput {
    pub title: String,
    pub body: String,
    pub shared: bool,
    pub category_id: Option<i64>,
    pub status_id: Option<i64>,
    pub priority_id: Option<i64>,
    pub assign_to_me: bool,
}

/// Adds what is wrong with `input` to `errors`, field by field (none: it can be saved).
/// `may_share`: the writer is an admin. The title is trimmed first; neither is cut short
/// silently.
pub fn check(input: &CannedInput, refdata: &RefData, may_share: bool, errors: &mut FieldErrors) {
    let title = input.title.trim();
    if title.is_empty() {
        errors.add("title", "canned_error_title_required");
    } else if title.chars().count() > MAX_TITLE {
        errors.add_with(
            "title",
            "canned_error_title_too_long",
            "max",
            &MAX_TITLE.to_string(),
        );
    }
    if input.body.trim().is_empty() {
        errors.add("body", "canned_error_body_required");
    } else if input.body.chars().count() > MAX_BODY {
        errors.add_with(
            "body",
            "canned_error_body_too_long",
            "max",
            &MAX_BODY.to_string(),
        );
    } else {
        placeholders::check(&input.body, "body", errors);
    }
    if input.shared && !may_share {
        errors.add("scope", "canned_error_share_admin");
    }
    if input
        .category_id
        .is_some_and(|c| refdata.category(c).is_none())
    {
        errors.add("category", "canned_error_category");
    }
    if input.status_id.is_some_and(|s| refdata.status(s).is_none()) {
        errors.add("status", "canned_error_status");
    }
    if input
        .priority_id
        .is_some_and(|p| refdata.priority(p).is_none())
    {
        errors.add("priority", "canned_error_priority");
    }
}

const COLUMNS: &str = "id, title, body, owner_id, category_id, set_status_id, set_priority_id, \
                       assign_to_me, usage_count, last_used_at, created_at, updated_at";

fn from_row(r: &Row<'_>) -> rusqlite::Result<CannedReply> {
    Ok(CannedReply {
        id: r.get(0)?,
        title: r.get(1)?,
        body: r.get(2)?,
        owner_id: r.get(3)?,
        category_id: r.get(4)?,
        status_id: r.get(5)?,
        priority_id: r.get(6)?,
        assign_to_me: r.get(7)?,
        usage_count: r.get(8)?,
        last_used_at: r.get(9)?,
        created_at: r.get(10)?,
        updated_at: r.get(11)?,
    })
}

pub fn get(conn: &Connection, id: i64) -> Result<Option<CannedReply>> {
    Ok(conn
        .prepare_cached(&format!(
            "SELECT {COLUMNS} FROM canned_replies WHERE id = ?1"
        ))?
        .query_row([id], from_row)
        .optional()?)
}

/// The shared replies and `staff`'s own, by title.
pub fn visible(conn: &Connection, staff: i64) -> Result<Vec<CannedReply>> {
    let rows = conn
        .prepare_cached(&format!(
            "SELECT {COLUMNS} FROM canned_replies WHERE owner_id IS NULL OR owner_id = ?1 \
             ORDER BY title COLLATE NOCASE, id"
        ))?
        .query_map([staff], from_row)?
        .collect::<rusqlite::Result<Vec<_>>>()?;
    Ok(rows)
}

/// What the reply form of a ticket in `category` offers `staff`: enough to list and to tell
/// whether a page showing the list is still current.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Offered {
    pub id: i64,
    pub title: String,
    pub shared: bool,
    pub updated_at: i64,
}

pub fn offered(conn: &Connection, staff: i64, category: i64) -> Result<Vec<Offered>> {
    let rows = conn
        .prepare_cached(
            "SELECT id, title, owner_id IS NULL, updated_at FROM canned_replies \
             WHERE (owner_id IS NULL OR owner_id = ?1) \
               AND (category_id IS NULL OR category_id = ?2) \
             ORDER BY title COLLATE NOCASE, id",
        )?
        .query_map(params![staff, category], |r| {
            Ok(Offered {
                id: r.get(0)?,
                title: r.get(1)?,
                shared: r.get(2)?,
                updated_at: r.get(3)?,
            })
        })?
        .collect::<rusqlite::Result<Vec<_>>>()?;
    Ok(rows)
}

/// The owner a checked `input` gets when `writer` saves it.
fn owner(input: &CannedInput, writer: i64) -> Option<i64> {
    (!input.shared).then_some(writer)
}

/// Saves a checked `input` as a new reply of `writer` (or a shared one).
pub fn insert(conn: &Connection, input: &CannedInput, writer: i64, now: i64) -> Result<i64> {
    conn.prepare_cached(
        "INSERT INTO canned_replies (title, body, owner_id, category_id, set_status_id, \
         set_priority_id, assign_to_me, created_at, updated_at) \
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?8)",
    )?
    .execute(params![
        input.title.trim(),
        input.body,
        owner(input, writer),
        input.category_id,
        input.status_id,
        input.priority_id,
        input.assign_to_me,
        now
    ])?;
    Ok(conn.last_insert_rowid())
}

/// Replaces reply `id` with a checked `input` saved by `writer` (who may edit it); its usage
/// count stays.
pub fn update(
    conn: &Connection,
    id: i64,
    input: &CannedInput,
    writer: i64,
    now: i64,
) -> Result<bool> {
    let changed = conn
        .prepare_cached(
            "UPDATE canned_replies SET title = ?2, body = ?3, owner_id = ?4, category_id = ?5, \
             set_status_id = ?6, set_priority_id = ?7, assign_to_me = ?8, updated_at = ?9 \
             WHERE id = ?1",
        )?
        .execute(params![
            id,
            input.title.trim(),
            input.body,
            owner(input, writer),
            input.category_id,
            input.status_id,
            input.priority_id,
            input.assign_to_me,
            now
        ])?;
    Ok(changed == 1)
}

pub fn delete(conn: &Connection, id: i64) -> Result<bool> {
    let gone = conn
        .prepare_cached("DELETE FROM canned_replies WHERE id = ?1")?
        .execute([id])?;
    Ok(gone == 1)
}

/// Counts one reply sent with it; in the reply's transaction, so it counts exactly the replies
/// that were stored.
pub fn record_use(conn: &Connection, id: i64, now: i64) -> Result<()> {
    conn.prepare_cached(
        "UPDATE canned_replies SET usage_count = usage_count + 1, last_used_at = ?2 WHERE id = ?1",
    )?
    .execute(params![id, now])?;
    Ok(())
}
