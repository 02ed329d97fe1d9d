//! All SQL on tickets, their messages, attachments and history, and the lookups of statuses,
//! priorities and categories the ticket actions need. Plain functions over a connection; the
//! rules (who may change what, what a change implies) are the actions' (`super::actions`).

use crate::auth::access::Access;
use rusqlite::{Connection, OptionalExtension, params};

use super::{
    Actor, AttachmentFile, AttachmentMeta, Channel, Field, HistoryEntry, Message, MessageKind,
    Ticket, Upload,
};
use crate::error::{Error, Result};

pub const TICKET_COLUMNS: &str = "id, tracking_id, access_token, subject, requester_name, requester_email, \
     category_id, priority_id, status_id, assignee_id, created_at, updated_at, message_count, revision, \
     sla_due_at, sla_warn_at";

/// How many columns `TICKET_COLUMNS` names: a query that selects more after them reads those
/// from this index on.
const AFTER_TICKET: usize = 16;

pub fn ticket_from_row(r: &rusqlite::Row<'_>) -> rusqlite::Result<Ticket> {
    Ok(Ticket {
        id: r.get(0)?,
        tracking_id: r.get(1)?,
        access_token: r.get(2)?,
        subject: r.get(3)?,
        requester_name: r.get(4)?,
        requester_email: r.get(5)?,
        category_id: r.get(6)?,
        priority_id: r.get(7)?,
        status_id: r.get(8)?,
        assignee_id: r.get(9)?,
        created_at: r.get(10)?,
        updated_at: r.get(11)?,
        message_count: r.get(12)?,
        revision: r.get(13)?,
        sla_due_at: r.get(14)?,
        sla_warn_at: r.get(15)?,
        ..Ticket::default()
    })
}

// --- Reference tables -------------------------------------------------------------------------

/// The id of a built-in status.
pub fn status_id(conn: &Connection, slug: &str) -> Result<i64> {
    conn.prepare_cached("SELECT id FROM statuses WHERE slug = ?1")?
        .query_row([slug], |r| r.get(0))
        .optional()?
        .ok_or_else(|| Error::internal(format!("built-in status {slug} is missing")))
}

/// A status's built-in slug (custom statuses have none) and whether it closes a ticket.
pub fn status_kind(conn: &Connection, id: i64) -> Result<Option<(Option<String>, bool)>> {
    Ok(conn
        .prepare_cached("SELECT slug, is_closed FROM statuses WHERE id = ?1")?
        .query_row([id], |r| Ok((r.get(0)?, r.get(1)?)))
        .optional()?)
}

/// The name shown in the history for a field's value.
pub fn display_name(conn: &Connection, field: Field, id: Option<i64>) -> Result<Option<String>> {
    let Some(id) = id else { return Ok(None) };
    let sql = match field {
        Field::Status => "SELECT name FROM statuses WHERE id = ?1",
        Field::Priority => "SELECT name FROM priorities WHERE id = ?1",
        Field::Category => "SELECT name FROM categories WHERE id = ?1",
        Field::Assignee => "SELECT name FROM staff WHERE id = ?1",
    };
    conn.prepare_cached(sql)?
        .query_row([id], |r| r.get(0))
        .optional()?
        .map(Some)
        .ok_or_else(|| Error::BadRequest(format!("unknown {}", field.name())))
}

/// Whether a staff account is active; `None` when there is no such account.
pub fn staff_active(conn: &Connection, id: i64) -> Result<Option<bool>> {
    Ok(conn
        .prepare_cached("SELECT active FROM staff WHERE id = ?1")?
        .query_row([id], |r| r.get(0))
        .optional()?)
}

/// The first active category and its default priority: where tickets without one go (mail).
pub fn default_category(conn: &Connection) -> Result<Option<(i64, i64)>> {
    Ok(conn
        .prepare_cached(
            "SELECT id, default_priority_id FROM categories WHERE active = 1 ORDER BY sort, id LIMIT 1",
        )?
        .query_row([], |r| Ok((r.get(0)?, r.get(1)?)))
        .optional()?)
}

// --- Writing ----------------------------------------------------------------------------------

pub fn tracking_id_taken(conn: &Connection, tracking_id: &str) -> Result<bool> {
    Ok(conn
        .prepare_cached("SELECT 1 FROM tickets WHERE tracking_id = ?1")?
        .exists([tracking_id])?)
}

/// A ticket row as stored. The actions fill in only what a new ticket has; the demo generator
/// writes whole histories with it.
pub struct TicketRow<'a> {
    pub tracking_id: &'a str,
    pub access_token: &'a str,
    pub subject: &'a str,
    pub requester_name: &'a str,
    pub requester_email: &'a str,
    pub category_id: i64,
    pub priority_id: i64,
    pub status_id: i64,
    pub assignee_id: Option<i64>,
    pub created_by_staff_id: Option<i64>,
    pub channel: &'a str,
    pub lang: &'a str,
    pub created_at: i64,
    pub updated_at: i64,
    pub first_response_at: Option<i64>,
    pub resolved_at: Option<i64>,
    pub message_count: i64,
}

pub fn insert_ticket(conn: &Connection, t: &TicketRow<'_>) -> Result<i64> {
    conn.prepare_cached(
        "INSERT INTO tickets (tracking_id, access_token, subject, requester_name, requester_email,
             category_id, priority_id, status_id, assignee_id, created_by_staff_id, channel, lang,
             created_at, updated_at, first_response_at, resolved_at, message_count)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17)",
    )?
    .execute(params![
        t.tracking_id,
        t.access_token,
        t.subject,
        t.requester_name,
        t.requester_email,
        t.category_id,
        t.priority_id,
        t.status_id,
        t.assignee_id,
        t.created_by_staff_id,
        t.channel,
        t.lang,
        t.created_at,
        t.updated_at,
        t.first_response_at,
        t.resolved_at,
        t.message_count,
    ])?;
    Ok(conn.last_insert_rowid())
}

/// Stores a message row (and nothing else: see `count_message`).
pub fn insert_message(
    conn: &Connection,
    ticket_id: i64,
    kind: MessageKind,
    author: &Actor,
    body: &str,
    at: i64,
) -> Result<i64> {
    conn.prepare_cached(
        "INSERT INTO messages (ticket_id, kind, staff_id, author_name, body, created_at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
    )?
    .execute(params![
        ticket_id,
        kind.as_str(),
        author.staff_id,
        author.name,
        body,
        at
    ])?;
    Ok(conn.last_insert_rowid())
}

pub fn insert_attachments(
    conn: &Connection,
    ticket_id: i64,
    message_id: i64,
    files: &[Upload],
    at: i64,
) -> Result<()> {
    let mut stmt = conn.prepare_cached(
        "INSERT INTO attachments (ticket_id, message_id, filename, content_type, size, created_at, data)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
    )?;
    for a in files {
        stmt.execute(params![
            ticket_id,
            message_id,
            a.filename,
            a.content_type,
            a.data.len() as i64,
            at,
            a.data
        ])?;
    }
    Ok(())
}

/// Counts a new message on its ticket; the first staff reply sets `first_response_at`.
pub fn count_message(
    conn: &Connection,
    ticket_id: i64,
    at: i64,
    first_response: bool,
) -> Result<()> {
    conn.prepare_cached(
        "UPDATE tickets SET message_count = message_count + 1, updated_at = ?2,
             first_response_at = CASE WHEN ?3 AND first_response_at IS NULL THEN ?2 ELSE first_response_at END
         WHERE id = ?1",
    )?
    .execute(params![ticket_id, at, first_response])?;
    Ok(())
}

/// A field's current value: `None` when the ticket does not exist.
pub fn field_value(conn: &Connection, ticket_id: i64, field: Field) -> Result<Option<Option<i64>>> {
    let column = field.column();
    // `column` is one of ours, never user text.
    Ok(conn
        .prepare_cached(&format!("SELECT {column} FROM tickets WHERE id = ?1"))?
        .query_row([ticket_id], |r| r.get(0))
        .optional()?)
}

pub fn set_field(
    conn: &Connection,
    ticket_id: i64,
    field: Field,
    value: Option<i64>,
    at: i64,
) -> Result<()> {
    let column = field.column();
    conn.prepare_cached(&format!(
        "UPDATE tickets SET {column} = ?2, updated_at = ?3 WHERE id = ?1"
    ))?
    .execute(params![ticket_id, value, at])?;
    Ok(())
}

/// Keeps `resolved_at` with the status: set when it first closes, cleared when it reopens.
pub fn set_resolved(conn: &Connection, ticket_id: i64, closed: bool, at: i64) -> Result<()> {
    conn.prepare_cached(
        "UPDATE tickets SET resolved_at = CASE WHEN ?2 THEN COALESCE(resolved_at, ?3) ELSE NULL END
         WHERE id = ?1",
    )?
    .execute(params![ticket_id, closed, at])?;
    Ok(())
}

/// What a ticket's service-level clock runs on (`crate::sla`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SlaFacts {
    pub created_at: i64,
    pub priority_id: i64,
    pub category_id: i64,
    /// The status's built-in slug (custom statuses have none) and whether it closes a ticket.
    pub status_slug: Option<String>,
    pub closed: bool,
    pub first_response_at: Option<i64>,
    pub resolved_at: Option<i64>,
}

pub fn sla_facts(conn: &Connection, ticket_id: i64) -> Result<Option<SlaFacts>> {
    Ok(conn
        .prepare_cached(
            "SELECT t.created_at, t.priority_id, t.category_id, s.slug, s.is_closed,
                    t.first_response_at, t.resolved_at
             FROM tickets t JOIN statuses s ON s.id = t.status_id WHERE t.id = ?1",
        )?
        .query_row([ticket_id], |r| {
            Ok(SlaFacts {
                created_at: r.get(0)?,
                priority_id: r.get(1)?,
                category_id: r.get(2)?,
                status_slug: r.get(3)?,
                closed: r.get(4)?,
                first_response_at: r.get(5)?,
                resolved_at: r.get(6)?,
            })
        })
        .optional()?)
}

/// Keeps the list's service-level columns; writes (and so moves the ticket's revision) only
/// when they change. Not an "update" of the ticket: `updated_at` stays.
pub fn set_sla_due(
    conn: &Connection,
    ticket_id: i64,
    due_at: Option<i64>,
    warn_at: Option<i64>,
) -> Result<()> {
    conn.prepare_cached(
        "UPDATE tickets SET sla_due_at = ?2, sla_warn_at = ?3
         WHERE id = ?1 AND (sla_due_at IS NOT ?2 OR sla_warn_at IS NOT ?3)",
    )?
    .execute(params![ticket_id, due_at, warn_at])?;
    Ok(())
}

/// What the reports keep of a ticket (`crate::reports::metrics`): its current fields, its first
/// staff reply and who wrote it, and whether it is closed now.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReportFacts {
    pub created_at: i64,
    pub category_id: i64,
    pub priority_id: i64,
    pub channel: String,
    pub assignee_id: Option<i64>,
    pub requester_email: String,
    pub requester_name: String,
    pub first_response_at: Option<i64>,
    /// The author of the first staff reply (None when it has none, or its author is gone).
    pub first_response_by: Option<i64>,
    pub closed: bool,
}

pub fn report_facts(conn: &Connection, ticket_id: i64) -> Result<Option<ReportFacts>> {
    // The first reply's author is looked up only for a ticket that has one (its messages by
    // their ticket index).
    Ok(conn
        .prepare_cached(
            "SELECT t.created_at, t.category_id, t.priority_id, t.channel, t.assignee_id,
                    t.requester_email, t.requester_name, t.first_response_at,
                    CASE WHEN t.first_response_at IS NULL THEN NULL ELSE
                        (SELECT m.staff_id FROM messages m
                         WHERE m.ticket_id = t.id AND m.kind = 'staff' ORDER BY m.id LIMIT 1)
                    END,
                    s.is_closed
             FROM tickets t JOIN statuses s ON s.id = t.status_id
             WHERE t.id = ?1 AND t.id NOT IN (SELECT ticket_id FROM ticket_spam)",
        )?
        .query_row([ticket_id], |r| {
            Ok(ReportFacts {
                created_at: r.get(0)?,
                category_id: r.get(1)?,
                priority_id: r.get(2)?,
                channel: r.get(3)?,
                assignee_id: r.get(4)?,
                requester_email: r.get(5)?,
                requester_name: r.get(6)?,
                first_response_at: r.get(7)?,
                first_response_by: r.get(8)?,
                closed: r.get(9)?,
            })
        })
        .optional()?)
}

/// The name a requester gave on their latest ticket.
pub fn requester_name(conn: &Connection, email: &str) -> Result<Option<String>> {
    Ok(conn
        .prepare_cached(
            "SELECT requester_name FROM tickets WHERE requester_email = ?1
             ORDER BY created_at DESC LIMIT 1",
        )?
        .query_row([email], |r| r.get(0))
        .optional()?)
}

/// Up to `limit` ticket ids above `after`, in order: for passes over every ticket in batches.
pub fn ids_after(conn: &Connection, after: i64, limit: i64) -> Result<Vec<i64>> {
    let ids = conn
        .prepare_cached("SELECT id FROM tickets WHERE id > ?1 ORDER BY id LIMIT ?2")?
        .query_map(params![after, limit], |r| r.get(0))?
        .collect::<rusqlite::Result<Vec<i64>>>()?;
    Ok(ids)
}

/// The priority ranked next above `priority_id` (the least urgent of the more urgent ones).
pub fn priority_above(conn: &Connection, priority_id: i64) -> Result<Option<i64>> {
    Ok(conn
        .prepare_cached(
            "SELECT id FROM priorities
             WHERE rank > (SELECT rank FROM priorities WHERE id = ?1) ORDER BY rank, id LIMIT 1",
        )?
        .query_row([priority_id], |r| r.get(0))
        .optional()?)
}

/// One entry of the ticket's history that names no reference row: its creation, a note by a
/// rule, what the desk did on its own (`old` and `new` are text to show as it is).
#[allow(clippy::too_many_arguments)]
pub fn insert_history(
    conn: &Connection,
    ticket_id: i64,
    actor: &Actor,
    field: &str,
    old: Option<&str>,
    new: Option<&str>,
    at: i64,
) -> Result<()> {
    insert_event(conn, ticket_id, actor, field, (None, old), (None, new), at)
}

/// A field's change in the ticket's history: the old and new value by id (pages show them under
/// their current names, in the viewer's language) and by their names at the time (shown when
/// the row is gone).
#[allow(clippy::too_many_arguments)]
pub fn insert_change(
    conn: &Connection,
    ticket_id: i64,
    actor: &Actor,
    field: Field,
    old: (Option<i64>, Option<&str>),
    new: (Option<i64>, Option<&str>),
    at: i64,
) -> Result<()> {
    insert_event(conn, ticket_id, actor, field.name(), old, new, at)
}

/// A custom field's change in the ticket's history (`field` = `custom_field`, the field's id as
/// `new_id`, the stored values as they were and are): pages name the field and word the values
/// (`crate::fields::label_history`).
pub fn insert_field_change(
    conn: &Connection,
    ticket_id: i64,
    actor: &Actor,
    field_id: i64,
    (old, new): (Option<&str>, Option<&str>),
    at: i64,
) -> Result<()> {
    let id = Some(field_id);
    insert_event(
        conn,
        ticket_id,
        actor,
        CUSTOM_FIELD_EVENT,
        (id, old),
        (id, new),
        at,
    )
}

/// The old and new stored values of the newest history entry of custom field `field_id` on the
/// ticket: what its latest change did (the follower mail of that change says it).
pub fn last_field_change(
    conn: &Connection,
    ticket_id: i64,
    field_id: i64,
) -> Result<Option<(Option<String>, Option<String>)>> {
    Ok(conn
        .prepare_cached(
            "SELECT old_value, new_value FROM ticket_events
             WHERE ticket_id = ?1 AND field = ?2 AND new_id = ?3 ORDER BY id DESC LIMIT 1",
        )?
        .query_row(params![ticket_id, CUSTOM_FIELD_EVENT, field_id], |r| {
            Ok((r.get(0)?, r.get(1)?))
        })
        .optional()?)
}

/// The history's `field` of a custom field's change.
pub const CUSTOM_FIELD_EVENT: &str = "custom_field";

/// Marks the ticket changed now (a change kept outside its row, such as a custom field value).
pub fn touch(conn: &Connection, ticket_id: i64, at: i64) -> Result<()> {
    conn.prepare_cached("UPDATE tickets SET updated_at = ?2 WHERE id = ?1")?
        .execute(params![ticket_id, at])?;
    Ok(())
}

fn insert_event(
    conn: &Connection,
    ticket_id: i64,
    actor: &Actor,
    field: &str,
    (old_id, old): (Option<i64>, Option<&str>),
    (new_id, new): (Option<i64>, Option<&str>),
    at: i64,
) -> Result<()> {
    conn.prepare_cached(
        "INSERT INTO ticket_events (ticket_id, staff_id, actor_kind, actor_name, field, old_value,
             new_value, old_id, new_id, created_at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)",
    )?
    .execute(params![
        ticket_id,
        actor.staff_id,
        actor.kind.as_str(),
        actor.name,
        field,
        old,
        new,
        old_id,
        new_id,
        at
    ])?;
    Ok(())
}

// --- Merging ----------------------------------------------------------------------------------

/// The ticket `ticket_id` was merged into (its id and tracking ID), if it was.
pub fn merged_into(conn: &Connection, ticket_id: i64) -> Result<Option<(i64, String)>> {
    Ok(conn
        .prepare_cached(
            "SELECT s.id, s.tracking_id FROM tickets t JOIN tickets s ON s.id = t.merged_into_id
             WHERE t.id = ?1",
        )?
        .query_row([ticket_id], |r| Ok((r.get(0)?, r.get(1)?)))
        .optional()?)
}

/// The access tokens of the tickets merged into `ticket_id`: their secret links open it.
pub fn merged_tokens(conn: &Connection, ticket_id: i64) -> Result<Vec<String>> {
    let rows = conn
        .prepare_cached("SELECT access_token FROM tickets WHERE merged_into_id = ?1")?
        .query_map([ticket_id], |r| r.get(0))?
        .collect::<rusqlite::Result<Vec<String>>>()?;
    Ok(rows)
}

/// The tracking IDs of the tickets merged into `ticket_id`, oldest first.
pub fn merged_here(conn: &Connection, ticket_id: i64) -> Result<Vec<String>> {
    let rows = conn
        .prepare_cached("SELECT tracking_id FROM tickets WHERE merged_into_id = ?1 ORDER BY id")?
        .query_map([ticket_id], |r| r.get(0))?
        .collect::<rusqlite::Result<Vec<String>>>()?;
    Ok(rows)
}

/// How many files the ticket's messages carry.
pub fn attachment_count(conn: &Connection, ticket_id: i64) -> Result<i64> {
    Ok(conn
        .prepare_cached("SELECT COUNT(*) FROM attachments WHERE ticket_id = ?1")?
        .query_row([ticket_id], |r| r.get(0))?)
}

/// Moves the whole conversation of `from` (messages, attachments, history) to `into`, and the
/// tickets merged into `from` with it; returns how many messages moved. The triggers rebuild
/// both tickets' search text and move their revisions.
pub fn move_conversation(conn: &Connection, from: i64, into: i64) -> Result<i64> {
    let moved = conn
        .prepare_cached("UPDATE messages SET ticket_id = ?2 WHERE ticket_id = ?1")?
        .execute(params![from, into])? as i64;
    conn.prepare_cached("UPDATE attachments SET ticket_id = ?2 WHERE ticket_id = ?1")?
        .execute(params![from, into])?;
    conn.prepare_cached("UPDATE ticket_events SET ticket_id = ?2 WHERE ticket_id = ?1")?
        .execute(params![from, into])?;
    conn.prepare_cached(
        "UPDATE tickets SET message_count = message_count + ?2,
             updated_at = max(updated_at, (SELECT updated_at FROM tickets WHERE id = ?3))
         WHERE id = ?1",
    )?
    .execute(params![into, moved, from])?;
    conn.prepare_cached("UPDATE tickets SET message_count = 0, merged_into_id = ?2 WHERE id = ?1")?
        .execute(params![from, into])?;
    conn.prepare_cached("UPDATE tickets SET merged_into_id = ?2 WHERE merged_into_id = ?1")?
        .execute(params![from, into])?;
    Ok(moved)
}

// --- Reading ----------------------------------------------------------------------------------

pub fn get(conn: &Connection, id: i64) -> Result<Option<Ticket>> {
    let sql = format!("SELECT {TICKET_COLUMNS} FROM tickets WHERE id = ?1");
    Ok(conn
        .prepare_cached(&sql)?
        .query_row([id], ticket_from_row)
        .optional()?)
}

pub fn get_by_tracking_id(conn: &Connection, tracking_id: &str) -> Result<Option<Ticket>> {
    let sql = format!("SELECT {TICKET_COLUMNS} FROM tickets WHERE tracking_id = ?1");
    Ok(conn
        .prepare_cached(&sql)?
        .query_row([tracking_id], ticket_from_row)
        .optional()?)
}

/// A ticket with the channel it came in through: what the rules look at, in one read.
pub fn with_channel(conn: &Connection, id: i64) -> Result<Option<(Ticket, Channel)>> {
    let sql = format!("SELECT {TICKET_COLUMNS}, channel FROM tickets WHERE id = ?1");
    let row = conn
        .prepare_cached(&sql)?
        .query_row([id], |r| {
            Ok((ticket_from_row(r)?, r.get::<_, String>(AFTER_TICKET)?))
        })
        .optional()?;
    Ok(row.map(|(t, channel)| (t, channel_of(&channel))))
}

fn channel_of(stored: &str) -> Channel {
    // Every stored value is one of ours (migration 0010); anything else came from no person.
    Channel::parse(stored).unwrap_or(Channel::System)
}

/// A recent ticket and its text, for trying a rule on it ("Test this rule").
pub struct RecentTicket {
    pub ticket: Ticket,
    pub channel: Channel,
    pub first_message: String,
    /// The newest message of any kind (the first one when there is no other).
    pub last_message: String,
}

/// The `limit` newest tickets, newest first, each with its first and newest message.
pub fn newest_with_text(conn: &Connection, limit: i64) -> Result<Vec<RecentTicket>> {
    let columns = TICKET_COLUMNS
        .split(", ")
        .map(|c| format!("t.{c}"))
        .collect::<Vec<_>>()
        .join(", ");
    let sql = format!(
        "SELECT {columns}, t.channel,
             coalesce((SELECT body FROM messages WHERE ticket_id = t.id ORDER BY id LIMIT 1), ''),
             coalesce((SELECT body FROM messages WHERE ticket_id = t.id ORDER BY id DESC LIMIT 1), '')
         FROM tickets t ORDER BY t.id DESC LIMIT ?1"
    );
    let rows = conn
        .prepare_cached(&sql)?
        .query_map([limit], |r| {
            Ok(RecentTicket {
                ticket: ticket_from_row(r)?,
                channel: channel_of(&r.get::<_, String>(AFTER_TICKET)?),
                first_message: r.get(AFTER_TICKET + 1)?,
                last_message: r.get(AFTER_TICKET + 2)?,
            })
        })?
        .collect::<rusqlite::Result<Vec<_>>>()?;
    Ok(rows)
}

/// The language the requester wrote in (a code; see `Lang::from_code`).
pub fn requester_lang(conn: &Connection, ticket_id: i64) -> Result<String> {
    Ok(conn
        .prepare_cached("SELECT lang FROM tickets WHERE id = ?1")?
        .query_row([ticket_id], |r| r.get(0))?)
}

/// The text of the ticket's first message.
pub fn first_message_body(conn: &Connection, ticket_id: i64) -> Result<String> {
    Ok(conn
        .prepare_cached("SELECT body FROM messages WHERE ticket_id = ?1 ORDER BY id LIMIT 1")?
        .query_row([ticket_id], |r| r.get(0))
        .optional()?
        .unwrap_or_default())
}

/// The conversation, oldest first, with each message's attachments (two queries in all).
pub fn messages(conn: &Connection, ticket_id: i64, include_notes: bool) -> Result<Vec<Message>> {
    let mut stmt = conn.prepare_cached(
        "SELECT id, kind, staff_id, author_name, body, created_at FROM messages
         WHERE ticket_id = ?1 AND (?2 OR kind <> 'note') ORDER BY created_at, id",
    )?;
    let mut messages = stmt
        .query_map(params![ticket_id, include_notes], |r| {
            Ok(Message {
                id: r.get(0)?,
                kind: MessageKind::parse(&r.get::<_, String>(1)?),
                staff_id: r.get(2)?,
                author_name: r.get(3)?,
                body: r.get(4)?,
                created_at: r.get(5)?,
                attachments: Vec::new(),
            })
        })?
        .collect::<rusqlite::Result<Vec<_>>>()?;
    let mut stmt = conn.prepare_cached(
        "SELECT id, message_id, filename, content_type, size FROM attachments WHERE ticket_id = ?1 ORDER BY id",
    )?;
    let attachments = stmt.query_map([ticket_id], |r| {
        Ok(AttachmentMeta {
            id: r.get(0)?,
            message_id: r.get(1)?,
            filename: r.get(2)?,
            content_type: r.get(3)?,
            size: r.get(4)?,
        })
    })?;
    for a in attachments {
        let a = a?;
        if let Some(m) = messages.iter_mut().find(|m| m.id == a.message_id) {
            m.attachments.push(a);
        }
    }
    Ok(messages)
}

/// The ticket's history, oldest first, with values as stored (`RefData::label_history` names
/// them in a viewer's language).
pub fn history(conn: &Connection, ticket_id: i64) -> Result<Vec<HistoryEntry>> {
    let mut stmt = conn.prepare_cached(
        "SELECT actor_name, field, old_value, new_value, created_at, actor_kind, old_id, new_id
         FROM ticket_events WHERE ticket_id = ?1 ORDER BY created_at, id",
    )?;
    let rows = stmt
        .query_map([ticket_id], |r| {
            Ok(HistoryEntry {
                actor_name: r.get(0)?,
                actor_kind: r.get(5)?,
                field: r.get(1)?,
                old_value: r.get(2)?,
                new_value: r.get(3)?,
                old_id: r.get(6)?,
                new_id: r.get(7)?,
                created_at: r.get(4)?,
            })
        })?
        .collect::<rusqlite::Result<Vec<_>>>()?;
    Ok(rows)
}

/// Other tickets of the same requester, newest first.
pub fn by_requester(
    conn: &Connection,
    email: &str,
    except: i64,
    limit: i64,
    access: &Access,
) -> Result<Vec<Ticket>> {
    let visible = access
        .sql_condition("category_id")
        .map(|c| format!("AND {c}"))
        .unwrap_or_default();
    let sql = format!(
        "SELECT {TICKET_COLUMNS} FROM tickets WHERE requester_email = ?1 AND id <> ?2 {visible}
         ORDER BY created_at DESC LIMIT ?3"
    );
    let rows = conn
        .prepare_cached(&sql)?
        .query_map(params![email, except, limit], ticket_from_row)?
        .collect::<rusqlite::Result<Vec<_>>>()?;
    Ok(rows)
}

pub fn attachment(conn: &Connection, id: i64) -> Result<Option<AttachmentFile>> {
    Ok(conn
        .prepare_cached(
            "SELECT a.ticket_id, m.kind = 'note', a.filename, a.content_type, a.data
             FROM attachments a JOIN messages m ON m.id = a.message_id WHERE a.id = ?1",
        )?
        .query_row([id], |r| {
            Ok(AttachmentFile {
                ticket_id: r.get(0)?,
                is_note: r.get(1)?,
                filename: r.get(2)?,
                content_type: r.get(3)?,
                data: r.get(4)?,
            })
        })
        .optional()?)
}

/// The ticket subject and text of a message (to start an article from it).
/// A message's text with its ticket's subject, when its ticket is one `access` allows.
pub fn message_with_subject(
    conn: &Connection,
    message_id: i64,
    access: &Access,
) -> Result<Option<(String, String)>> {
    let row: Option<(String, String, i64)> = conn
        .prepare_cached(
            "SELECT t.subject, m.body, t.category_id FROM messages m
             JOIN tickets t ON t.id = m.ticket_id WHERE m.id = ?1",
        )?
        .query_row([message_id], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))
        .optional()?;
    Ok(row
        .filter(|(_, _, category)| access.allows(*category))
        .map(|(subject, body, _)| (subject, body)))
}

/// Tickets in the built-in "resolved" status since `before` or earlier, oldest first, at most
/// `limit` (a requester's reply takes a ticket out of "resolved", so none of these has one).
pub fn resolved_before(conn: &Connection, before: i64, limit: i64) -> Result<Vec<i64>> {
    let ids = conn
        .prepare_cached(
            "SELECT id FROM tickets
             WHERE status_id = (SELECT id FROM statuses WHERE slug = 'resolved')
               AND resolved_at <= ?1
             ORDER BY resolved_at LIMIT ?2",
        )?
        .query_map(params![before, limit], |r| r.get(0))?
        .collect::<rusqlite::Result<Vec<i64>>>()?;
    Ok(ids)
}

/// How many tickets the database holds.
pub fn count(conn: &Connection) -> Result<i64> {
    Ok(conn.query_row("SELECT COUNT(*) FROM tickets", [], |r| r.get(0))?)
}

/// How many tickets have a requester whose address does not end in `suffix` (e.g.
/// `@office.example`; compared without case, `%` and `_` in it count as LIKE wildcards).
pub fn count_requesters_outside(conn: &Connection, suffix: &str) -> Result<i64> {
    Ok(conn
        .prepare_cached("SELECT COUNT(*) FROM tickets WHERE requester_email NOT LIKE '%' || ?1")?
        .query_row([suffix], |r| r.get(0))?)
}

// --- Spam and deletion --------------------------------------------------------------------

/// Marks a ticket as spam; false when it already was.
pub fn mark_spam(conn: &Connection, ticket_id: i64, by: Option<i64>, at: i64) -> Result<bool> {
    Ok(conn
        .prepare_cached(
            "INSERT OR IGNORE INTO ticket_spam (ticket_id, marked_at, marked_by) VALUES (?1, ?2, ?3)",
        )?
        .execute(params![ticket_id, at, by])?
        > 0)
}

/// Takes the spam mark off a ticket; false when it had none.
pub fn unmark_spam(conn: &Connection, ticket_id: i64) -> Result<bool> {
    Ok(conn
        .prepare_cached("DELETE FROM ticket_spam WHERE ticket_id = ?1")?
        .execute([ticket_id])?
        > 0)
}

pub fn is_spam(conn: &Connection, ticket_id: i64) -> Result<bool> {
    Ok(conn
        .prepare_cached("SELECT 1 FROM ticket_spam WHERE ticket_id = ?1")?
        .exists([ticket_id])?)
}

/// The condition that hides spam from a query over `tickets t` (the lists, counts, export).
pub const NOT_SPAM: &str = "t.id NOT IN (SELECT ticket_id FROM ticket_spam)";

/// What a ticket holds: its messages and attachments.
pub fn content_counts(conn: &Connection, ticket_id: i64) -> Result<(i64, i64)> {
    Ok(conn
        .prepare_cached(
            "SELECT (SELECT COUNT(*) FROM messages WHERE ticket_id = ?1),
                    (SELECT COUNT(*) FROM attachments WHERE ticket_id = ?1)",
        )?
        .query_row([ticket_id], |r| Ok((r.get(0)?, r.get(1)?)))?)
}

/// Deletes the ticket row; the schema's cascades take its messages, attachments (stored in the
/// database, so no file is left anywhere), history, service-level and report rows, ratings and
/// spam mark, and the search trigger its index row. Rows that only point at it (`ON DELETE SET
/// NULL`: mail, webhook deliveries, imports) are the caller's to remove first.
pub fn delete_ticket(conn: &Connection, ticket_id: i64) -> Result<bool> {
    conn.prepare_cached("DELETE FROM mail_imports WHERE ticket_id = ?1")?
        .execute([ticket_id])?;
    Ok(conn
        .prepare_cached("DELETE FROM tickets WHERE id = ?1")?
        .execute([ticket_id])?
        > 0)
}

/// The ids of every ticket `email` is the requester of.
pub fn ids_of_requester(conn: &Connection, email: &str) -> Result<Vec<i64>> {
    let ids = conn
        .prepare_cached("SELECT id FROM tickets WHERE requester_email = ?1 ORDER BY id")?
        .query_map([email], |r| r.get(0))?
        .collect::<rusqlite::Result<Vec<i64>>>()?;
    Ok(ids)
}

/// A requester's tickets, newest change first, spam left out ("My tickets" on the portal).
pub fn of_requester(conn: &Connection, email: &str, limit: i64) -> Result<Vec<Ticket>> {
    let sql = format!(
        "SELECT {TICKET_COLUMNS} FROM tickets t WHERE t.requester_email = ?1 AND {NOT_SPAM}
         ORDER BY t.created_at DESC, t.id DESC LIMIT ?2"
    );
    let rows = conn
        .prepare_cached(&sql)?
        .query_map(params![email, limit], ticket_from_row)?
        .collect::<rusqlite::Result<Vec<_>>>()?;
    Ok(rows)
}

#[cfg(test)]
mod columns_tests {
    #[test]
    fn after_ticket_counts_the_ticket_columns() {
        assert_eq!(
            super::TICKET_COLUMNS.split(", ").count(),
            super::AFTER_TICKET
        );
    }
}
