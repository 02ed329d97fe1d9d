//! The ticket loop's data: tickets, their messages, attachments and history.

pub mod list;
pub mod refdata;
pub mod uploads;

use rand::Rng;
use rand::rngs::OsRng;
use rusqlite::{Connection, OptionalExtension, params};
use serde::Serialize;

use crate::db::now;
use crate::error::{Error, Result};
pub use refdata::RefData;
pub use uploads::Upload;

/// Alphabet for tracking IDs: no 0/O, 1/I/L look-alikes.
const TRACKING_ALPHABET: &[u8] = b"ABCDEFGHJKMNPQRSTUVWXYZ23456789";

/// A new tracking ID `XXX-XXX-XXXX` from the OS's cryptographic RNG (about 49 bits).
pub fn new_tracking_id() -> String {
    let mut out = String::with_capacity(12);
    for i in 0..10 {
        if i == 3 || i == 6 {
            out.push('-');
        }
        out.push(TRACKING_ALPHABET[OsRng.gen_range(0..TRACKING_ALPHABET.len())] as char);
    }
    out
}

/// Accepts what people type: lowercase, spaces, missing dashes; returns the canonical form.
pub fn normalize_tracking_id(input: &str) -> Option<String> {
    let chars: Vec<char> = input
        .chars()
        .filter(|c| c.is_ascii_alphanumeric())
        .map(|c| c.to_ascii_uppercase())
        .collect();
    if chars.len() != 10
        || !chars
            .iter()
            .all(|c| TRACKING_ALPHABET.contains(&(*c as u8)))
    {
        return None;
    }
    let s: String = chars.into_iter().collect();
    Some(format!("{}-{}-{}", &s[0..3], &s[3..6], &s[6..10]))
}

#[derive(Debug, Clone, Serialize, Default)]
pub struct Ticket {
    pub id: i64,
    pub tracking_id: String,
    #[serde(skip)]
    pub access_token: String,
    pub subject: String,
    pub requester_name: String,
    pub requester_email: String,
    pub category_id: i64,
    pub priority_id: i64,
    pub status_id: i64,
    pub assignee_id: Option<i64>,
    pub created_at: i64,
    pub updated_at: i64,
    pub message_count: i64,
    /// Moves whenever anything shown on the ticket's pages changes (migration 0009).
    #[serde(skip)]
    pub revision: i64,
    // Display fields, filled by RefData::decorate.
    pub status: String,
    pub status_slug: String,
    pub is_closed: bool,
    pub priority: String,
    pub priority_slug: String,
    pub category: String,
    pub assignee: Option<String>,
    /// Search results only: the matching text as safe HTML (see `search::highlight`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub snippet: Option<String>,
}

pub const TICKET_COLUMNS: &str = "id, tracking_id, access_token, subject, requester_name, requester_email, \
     category_id, priority_id, status_id, assignee_id, created_at, updated_at, message_count, revision";

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
        ..Ticket::default()
    })
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum MessageKind {
    Requester,
    Staff,
    Note,
}

impl MessageKind {
    pub fn as_str(self) -> &'static str {
        match self {
            MessageKind::Requester => "requester",
            MessageKind::Staff => "staff",
            MessageKind::Note => "note",
        }
    }
    fn parse(s: &str) -> MessageKind {
        match s {
            "staff" => MessageKind::Staff,
            "note" => MessageKind::Note,
            _ => MessageKind::Requester,
        }
    }
}

#[derive(Debug, Clone, Serialize)]
pub struct AttachmentMeta {
    pub id: i64,
    pub message_id: i64,
    pub filename: String,
    pub content_type: String,
    pub size: i64,
}

#[derive(Debug, Clone, Serialize)]
pub struct Message {
    pub id: i64,
    pub kind: MessageKind,
    pub staff_id: Option<i64>,
    pub author_name: String,
    pub body: String,
    pub created_at: i64,
    pub attachments: Vec<AttachmentMeta>,
}

#[derive(Debug, Clone, Serialize)]
pub struct Event {
    pub actor_name: String,
    pub field: String,
    pub old_value: Option<String>,
    pub new_value: Option<String>,
    pub created_at: i64,
}

/// Who did something: a staff member, or the requester (staff_id None).
#[derive(Debug, Clone)]
pub struct Actor {
    pub staff_id: Option<i64>,
    pub name: String,
}

pub struct NewTicket {
    pub requester_name: String,
    pub requester_email: String,
    pub category_id: i64,
    pub priority_id: i64,
    pub subject: String,
    pub message: String,
    pub attachments: Vec<Upload>,
    /// Set when staff open the ticket on an employee's behalf.
    pub created_by: Option<Actor>,
    pub assignee_id: Option<i64>,
    /// The requester's language: their mail is written in it.
    pub lang: crate::web::Lang,
}

fn status_id(conn: &Connection, slug: &str) -> Result<i64> {
    conn.prepare_cached("SELECT id FROM statuses WHERE slug = ?1")?
        .query_row([slug], |r| r.get(0))
        .optional()?
        .ok_or_else(|| Error::internal(format!("built-in status {slug} is missing")))
}

/// Creates the ticket with its first message; returns (id, tracking ID, access token).
pub fn create(conn: &Connection, t: &NewTicket) -> Result<(i64, String, String)> {
    let now = now();
    let new_status = status_id(conn, "new")?;
    let token = crate::util::random_hex(20);
    let mut tracking_id = new_tracking_id();
    // A collision is astronomically rare, but cheap to rule out.
    while conn
        .prepare_cached("SELECT 1 FROM tickets WHERE tracking_id = ?1")?
        .exists([&tracking_id])?
    {
        tracking_id = new_tracking_id();
    }
    conn.prepare_cached(
        "INSERT INTO tickets (tracking_id, access_token, subject, requester_name, requester_email, category_id,
             priority_id, status_id, assignee_id, created_by_staff_id, created_at, updated_at, lang)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?11, ?12)",
    )?
    .execute(params![
        tracking_id,
        token,
        t.subject,
        t.requester_name,
        t.requester_email,
        t.category_id,
        t.priority_id,
        new_status,
        t.assignee_id,
        t.created_by.as_ref().and_then(|a| a.staff_id),
        now,
        t.lang.code()
    ])?;
    let id = conn.last_insert_rowid();
    let author = Actor {
        staff_id: None,
        name: t.requester_name.clone(),
    };
    insert_message(
        conn,
        id,
        MessageKind::Requester,
        &author,
        &t.message,
        &t.attachments,
        now,
    )?;
    let creator = t.created_by.clone().unwrap_or(author);
    record_event(conn, id, &creator, "created", None, Some(&tracking_id), now)?;
    Ok((id, tracking_id, token))
}

fn insert_message(
    conn: &Connection,
    ticket_id: i64,
    kind: MessageKind,
    author: &Actor,
    body: &str,
    attachments: &[Upload],
    now: i64,
) -> Result<i64> {
    conn.prepare_cached(
        "INSERT INTO messages (ticket_id, kind, staff_id, author_name, body, created_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
    )?
    .execute(params![ticket_id, kind.as_str(), author.staff_id, author.name, body, now])?;
    let message_id = conn.last_insert_rowid();
    let mut stmt = conn.prepare_cached(
        "INSERT INTO attachments (ticket_id, message_id, filename, content_type, size, created_at, data)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
    )?;
    for a in attachments {
        stmt.execute(params![
            ticket_id,
            message_id,
            a.filename,
            a.content_type,
            a.data.len() as i64,
            now,
            a.data
        ])?;
    }
    let first_response = kind == MessageKind::Staff;
    conn.prepare_cached(
        "UPDATE tickets SET message_count = message_count + 1, updated_at = ?2,
             first_response_at = CASE WHEN ?3 AND first_response_at IS NULL THEN ?2 ELSE first_response_at END
         WHERE id = ?1",
    )?
    .execute(params![ticket_id, now, first_response])?;
    Ok(message_id)
}

/// Adds a reply or note; returns the message id.
pub fn add_message(
    conn: &Connection,
    ticket_id: i64,
    kind: MessageKind,
    author: &Actor,
    body: &str,
    attachments: &[Upload],
) -> Result<i64> {
    insert_message(conn, ticket_id, kind, author, body, attachments, now())
}

pub fn record_event(
    conn: &Connection,
    ticket_id: i64,
    actor: &Actor,
    field: &str,
    old: Option<&str>,
    new: Option<&str>,
    now: i64,
) -> Result<()> {
    conn.prepare_cached(
        "INSERT INTO ticket_events (ticket_id, staff_id, actor_name, field, old_value, new_value, created_at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
    )?
    .execute(params![ticket_id, actor.staff_id, actor.name, field, old, new, now])?;
    Ok(())
}

/// A field staff (or the requester, for status) can change.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Field {
    Status,
    Priority,
    Category,
    Assignee,
}

impl Field {
    fn column(self) -> &'static str {
        match self {
            Field::Status => "status_id",
            Field::Priority => "priority_id",
            Field::Category => "category_id",
            Field::Assignee => "assignee_id",
        }
    }
    pub fn name(self) -> &'static str {
        match self {
            Field::Status => "status",
            Field::Priority => "priority",
            Field::Category => "category",
            Field::Assignee => "assignee",
        }
    }
}

fn display_name(conn: &Connection, field: Field, id: Option<i64>) -> Result<Option<String>> {
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

/// Changes one field and records it in the history. Returns false when nothing changed.
pub fn change(
    conn: &Connection,
    ticket_id: i64,
    actor: &Actor,
    field: Field,
    new: Option<i64>,
) -> Result<bool> {
    let column = field.column();
    let old: Option<i64> = conn
        .prepare_cached(&format!("SELECT {column} FROM tickets WHERE id = ?1"))?
        .query_row([ticket_id], |r| r.get(0))
        .optional()?
        .ok_or(Error::NotFound)?;
    if old == new {
        return Ok(false);
    }
    if new.is_none() && field != Field::Assignee {
        return Err(Error::BadRequest(format!("{} is required", field.name())));
    }
    let old_name = display_name(conn, field, old)?;
    let new_name = display_name(conn, field, new)?;
    let now = now();
    conn.prepare_cached(&format!(
        "UPDATE tickets SET {column} = ?2, updated_at = ?3 WHERE id = ?1"
    ))?
    .execute(params![ticket_id, new, now])?;
    if field == Field::Status {
        let closed: bool = conn
            .prepare_cached("SELECT is_closed FROM statuses WHERE id = ?1")?
            .query_row([new], |r| r.get(0))?;
        conn.prepare_cached(
            "UPDATE tickets SET resolved_at = CASE WHEN ?2 THEN COALESCE(resolved_at, ?3) ELSE NULL END WHERE id = ?1",
        )?
        .execute(params![ticket_id, closed, now])?;
    }
    record_event(
        conn,
        ticket_id,
        actor,
        field.name(),
        old_name.as_deref(),
        new_name.as_deref(),
        now,
    )?;
    Ok(true)
}

/// Sets the status by built-in slug (used by the requester's resolve/reopen and replies).
pub fn change_status_slug(
    conn: &Connection,
    ticket_id: i64,
    actor: &Actor,
    slug: &str,
) -> Result<bool> {
    let id = status_id(conn, slug)?;
    change(conn, ticket_id, actor, Field::Status, Some(id))
}

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

/// The conversation, oldest first, with each message's attachments (two queries in all).
pub fn messages(conn: &Connection, ticket_id: i64, include_notes: bool) -> Result<Vec<Message>> {
    let mut stmt = conn.prepare_cached(
        "SELECT id, kind, staff_id, author_name, body, created_at FROM messages
         WHERE ticket_id = ?1 AND (?2 OR kind <> 'note') ORDER BY id",
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

pub fn events(conn: &Connection, ticket_id: i64) -> Result<Vec<Event>> {
    let mut stmt = conn.prepare_cached(
        "SELECT actor_name, field, old_value, new_value, created_at FROM ticket_events WHERE ticket_id = ?1 ORDER BY id",
    )?;
    let rows = stmt
        .query_map([ticket_id], |r| {
            Ok(Event {
                actor_name: r.get(0)?,
                field: r.get(1)?,
                old_value: r.get(2)?,
                new_value: r.get(3)?,
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
) -> Result<Vec<Ticket>> {
    let sql = format!(
        "SELECT {TICKET_COLUMNS} FROM tickets WHERE requester_email = ?1 AND id <> ?2 ORDER BY created_at DESC LIMIT ?3"
    );
    let rows = conn
        .prepare_cached(&sql)?
        .query_map(params![email, except, limit], ticket_from_row)?
        .collect::<rusqlite::Result<Vec<_>>>()?;
    Ok(rows)
}

pub struct AttachmentFile {
    pub ticket_id: i64,
    pub is_note: bool,
    pub filename: String,
    pub content_type: String,
    pub data: Vec<u8>,
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
