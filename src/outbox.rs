//! The `outbox` table: every statement on it. Mail is queued inside the transaction of the change
//! that causes it (`insert`), sent by the `mail_send` job (`due`, `mark_sent`, `mark_failed`),
//! recognised when an emailed reply answers it (`sent_to`), and looked after by admins (`list`,
//! `retry`, `discard`, `retry_all`) and `helpdesk check` (`waiting_and_last_error`). Plain
//! functions over a connection; the caller picks the transaction and passes the time.

use rusqlite::{Connection, OptionalExtension, params};
use serde::Serialize;

use crate::error::{Error, Result};

/// A mail to queue.
#[derive(Debug, Clone)]
pub struct NewMail<'a> {
    pub ticket_id: Option<i64>,
    pub to_addr: &'a str,
    pub subject: &'a str,
    pub body_text: &'a str,
    pub body_html: Option<&'a str>,
    pub message_id: &'a str,
    pub in_reply_to: Option<&'a str>,
    /// When it is queued; it is due at once.
    pub created_at: i64,
}

/// Queues one mail, due at once, and asks for the `mail_send` job to be woken once the
/// transaction commits. Returns its id.
pub fn insert(c: &Connection, mail: &NewMail<'_>) -> Result<i64> {
    c.prepare_cached(
        "INSERT INTO outbox (ticket_id, to_addr, subject, body_text, body_html, message_id,
             in_reply_to, created_at, next_attempt_at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?8)",
    )?
    .execute(params![
        mail.ticket_id,
        mail.to_addr,
        mail.subject,
        mail.body_text,
        mail.body_html,
        mail.message_id,
        mail.in_reply_to,
        mail.created_at
    ])?;
    crate::jobs::wake::after_commit(crate::jobs::MAIL_SEND);
    Ok(c.last_insert_rowid())
}

/// Whether the desk queued a mail about ticket `ticket_id` with Message-ID `message_id` (angle
/// brackets included, as stored) to `addr`, the address compared without regard to ASCII case.
/// An emailed reply naming such a Message-ID answers that mail (`crate::mail::incoming`).
pub fn sent_to(c: &Connection, ticket_id: i64, message_id: &str, addr: &str) -> Result<bool> {
    Ok(c.prepare_cached(
        "SELECT 1 FROM outbox
         WHERE message_id = ?1 AND ticket_id = ?2 AND to_addr = ?3 COLLATE NOCASE",
    )?
    .exists(params![message_id, ticket_id, addr])?)
}

/// One queued mail, as the sender needs it.
#[derive(Debug, Clone)]
pub struct Outgoing {
    pub id: i64,
    pub to_addr: String,
    pub subject: String,
    pub body_text: String,
    pub body_html: Option<String>,
    pub message_id: String,
    pub in_reply_to: Option<String>,
    pub attempts: i64,
}

/// Mails due at `now`, oldest first, at most `limit`.
pub fn due(c: &Connection, now: i64, limit: i64) -> Result<Vec<Outgoing>> {
    let mut stmt = c.prepare_cached(
        "SELECT id, to_addr, subject, body_text, body_html, message_id, in_reply_to, attempts
         FROM outbox WHERE sent_at IS NULL AND discarded_at IS NULL AND next_attempt_at <= ?1
         ORDER BY id LIMIT ?2",
    )?;
    let rows = stmt
        .query_map(params![now, limit], |r| {
            Ok(Outgoing {
                id: r.get(0)?,
                to_addr: r.get(1)?,
                subject: r.get(2)?,
                body_text: r.get(3)?,
                body_html: r.get(4)?,
                message_id: r.get(5)?,
                in_reply_to: r.get(6)?,
                attempts: r.get(7)?,
            })
        })?
        .collect::<rusqlite::Result<Vec<_>>>()?;
    Ok(rows)
}

/// The SMTP server accepted mail `id` at `now`.
pub fn mark_sent(c: &Connection, id: i64, now: i64) -> Result<()> {
    c.execute(
        "UPDATE outbox SET sent_at = ?2, last_error = NULL WHERE id = ?1",
        params![id, now],
    )?;
    Ok(())
}

/// Attempt number `attempts` at mail `id` failed with `error`; the next one is at
/// `next_attempt_at`.
pub fn mark_failed(
    c: &Connection,
    id: i64,
    attempts: i64,
    error: &str,
    next_attempt_at: i64,
) -> Result<()> {
    c.execute(
        "UPDATE outbox SET attempts = ?2, last_error = ?3, next_attempt_at = ?4
         WHERE id = ?1",
        params![id, attempts, error, next_attempt_at],
    )?;
    Ok(())
}

/// Makes every waiting mail due at `now`, without waiting out its back-off. Returns how many
/// were put forward.
pub fn retry_all(c: &Connection, now: i64) -> Result<usize> {
    Ok(c.execute(
        "UPDATE outbox SET next_attempt_at = ?1
         WHERE sent_at IS NULL AND discarded_at IS NULL AND next_attempt_at > ?1",
        [now],
    )?)
}

/// The recipient of a waiting mail, or NotFound when it was sent or discarded meanwhile.
fn waiting_to(c: &Connection, id: i64) -> Result<String> {
    c.prepare_cached(
        "SELECT to_addr FROM outbox WHERE id = ?1 AND sent_at IS NULL AND discarded_at IS NULL",
    )?
    .query_row([id], |r| r.get(0))
    .optional()?
    .ok_or(Error::NotFound)
}

/// Makes one waiting mail due at `now`; returns its recipient.
pub fn retry(c: &Connection, id: i64, now: i64) -> Result<String> {
    let to = waiting_to(c, id)?;
    c.execute(
        "UPDATE outbox SET next_attempt_at = ?2 WHERE id = ?1",
        params![id, now],
    )?;
    Ok(to)
}

/// Gives up on one waiting mail at `now`: it stays listed as discarded and is never sent.
/// Returns its recipient.
pub fn discard(c: &Connection, id: i64, now: i64) -> Result<String> {
    let to = waiting_to(c, id)?;
    c.execute(
        "UPDATE outbox SET discarded_at = ?2 WHERE id = ?1",
        params![id, now],
    )?;
    Ok(to)
}

/// Mails neither sent nor discarded.
pub fn waiting_count(c: &Connection) -> Result<i64> {
    Ok(c.prepare_cached(
        "SELECT count(*) FROM outbox WHERE sent_at IS NULL AND discarded_at IS NULL",
    )?
    .query_row([], |r| r.get(0))?)
}

/// Waiting mails that failed at least once.
pub fn failed_count(c: &Connection) -> Result<i64> {
    Ok(c.prepare_cached(
        "SELECT count(*) FROM outbox
         WHERE sent_at IS NULL AND discarded_at IS NULL AND last_error IS NOT NULL",
    )?
    .query_row([], |r| r.get(0))?)
}

/// Waiting mails and the latest error among them, for `helpdesk check`, which does not migrate:
/// on a database from before discarding existed (schema 8) every unsent mail is waiting; before
/// the outbox existed (schema 5) this fails.
pub fn waiting_and_last_error(c: &Connection) -> rusqlite::Result<(i64, Option<String>)> {
    let sql = |not_discarded: &str| {
        format!(
            "SELECT COUNT(*), (SELECT last_error FROM outbox WHERE sent_at IS NULL {not_discarded}
                 AND last_error IS NOT NULL ORDER BY id DESC LIMIT 1)
             FROM outbox WHERE sent_at IS NULL {not_discarded}"
        )
    };
    let read = |sql: String| {
        c.query_row(&sql, [], |r| {
            Ok((r.get::<_, i64>(0)?, r.get::<_, Option<String>>(1)?))
        })
    };
    read(sql("AND discarded_at IS NULL")).or_else(|_| read(sql("")))
}

/// One row of the admin lists.
#[derive(Debug, Serialize)]
pub struct OutboxRow {
    pub id: i64,
    pub to_addr: String,
    pub subject: String,
    pub attempts: i64,
    pub last_error: Option<String>,
    pub next_attempt_at: i64,
    pub created_at: i64,
    pub sent_at: Option<i64>,
    pub discarded_at: Option<i64>,
}

/// The admin lists of the outbox.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum List {
    /// Neither sent nor discarded, the next due first.
    Waiting,
    /// Newest first.
    Sent,
    /// Newest first.
    Discarded,
}

/// At most `limit` rows of one list. Each reads its own partial index.
pub fn list(c: &Connection, which: List, limit: i64) -> Result<Vec<OutboxRow>> {
    let filter = match which {
        List::Waiting => "sent_at IS NULL AND discarded_at IS NULL ORDER BY next_attempt_at, id",
        List::Sent => "sent_at IS NOT NULL ORDER BY sent_at DESC, id DESC",
        // A mail discarded while the worker was already sending it went out: it is listed as
        // sent only.
        List::Discarded => {
            "discarded_at IS NOT NULL AND sent_at IS NULL ORDER BY discarded_at DESC, id DESC"
        }
    };
    let sql = format!(
        "SELECT id, to_addr, subject, attempts, last_error, next_attempt_at, created_at, sent_at,
                discarded_at
         FROM outbox WHERE {filter} LIMIT ?1"
    );
    let mut stmt = c.prepare_cached(&sql)?;
    let rows = stmt
        .query_map([limit], |r| {
            Ok(OutboxRow {
                id: r.get(0)?,
                to_addr: r.get(1)?,
                subject: r.get(2)?,
                attempts: r.get(3)?,
                last_error: r.get(4)?,
                next_attempt_at: r.get(5)?,
                created_at: r.get(6)?,
                sent_at: r.get(7)?,
                discarded_at: r.get(8)?,
            })
        })?
        .collect::<rusqlite::Result<Vec<_>>>()?;
    Ok(rows)
}

/// Forgets every mail about ticket `ticket_id` (the ticket is being deleted): rows removed.
pub fn forget_ticket(c: &Connection, ticket_id: i64) -> Result<usize> {
    Ok(c.prepare_cached("DELETE FROM outbox WHERE ticket_id = ?1")?
        .execute([ticket_id])?)
}

/// Forgets every mail to `addr` (a data-protection erasure): rows removed.
pub fn forget_recipient(c: &Connection, addr: &str) -> Result<usize> {
    Ok(
        c.prepare_cached("DELETE FROM outbox WHERE to_addr = ?1 COLLATE NOCASE")?
            .execute([addr])?,
    )
}
