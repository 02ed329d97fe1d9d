//! Every statement on `webhooks` and `webhook_deliveries` (migration 0026). Plain functions over
//! a connection; the caller picks the transaction and passes the time.

use rusqlite::{Connection, OptionalExtension, Row, params};
use serde::Serialize;

use super::{Events, Preset, RETRY_WINDOW_SECS, Webhook};
use crate::error::Result;

/// A webhook as the admin saves it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewWebhook {
    pub name: String,
    pub url: String,
    pub secret: String,
    pub events: Events,
    pub preset: Preset,
    pub active: bool,
}

const COLUMNS: &str =
    "id, name, url, secret, events, preset, active, created_at, updated_at FROM webhooks";

fn webhook(r: &Row<'_>) -> rusqlite::Result<Webhook> {
    let preset: String = r.get(5)?;
    let events: String = r.get(4)?;
    Ok(Webhook {
        id: r.get(0)?,
        name: r.get(1)?,
        url: r.get(2)?,
        secret: r.get(3)?,
        events: Events::from_stored(&events),
        preset: Preset::parse(&preset).unwrap_or(Preset::Generic),
        active: r.get(6)?,
        created_at: r.get(7)?,
        updated_at: r.get(8)?,
    })
}

pub fn insert(c: &Connection, w: &NewWebhook, now: i64) -> Result<i64> {
    c.prepare_cached(
        "INSERT INTO webhooks (name, url, secret, events, preset, active, created_at, updated_at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?7)",
    )?
    .execute(params![
        w.name,
        w.url,
        w.secret,
        w.events.stored(),
        w.preset.as_str(),
        w.active,
        now
    ])?;
    Ok(c.last_insert_rowid())
}

/// False when there is no such webhook.
pub fn update(c: &Connection, id: i64, w: &NewWebhook, now: i64) -> Result<bool> {
    let n = c
        .prepare_cached(
            "UPDATE webhooks SET name = ?2, url = ?3, secret = ?4, events = ?5, preset = ?6,
                 active = ?7, updated_at = ?8
             WHERE id = ?1",
        )?
        .execute(params![
            id,
            w.name,
            w.url,
            w.secret,
            w.events.stored(),
            w.preset.as_str(),
            w.active,
            now
        ])?;
    Ok(n == 1)
}

/// Deletes a webhook and its deliveries; false when there is no such webhook.
pub fn delete(c: &Connection, id: i64) -> Result<bool> {
    Ok(c.prepare_cached("DELETE FROM webhooks WHERE id = ?1")?
        .execute([id])?
        == 1)
}

pub fn get(c: &Connection, id: i64) -> Result<Option<Webhook>> {
    Ok(
        c.prepare_cached(&format!("SELECT {COLUMNS} WHERE id = ?1"))?
            .query_row([id], webhook)
            .optional()?,
    )
}

pub fn all(c: &Connection) -> Result<Vec<Webhook>> {
    let rows = c
        .prepare_cached(&format!("SELECT {COLUMNS} ORDER BY id"))?
        .query_map([], webhook)?
        .collect::<rusqlite::Result<Vec<_>>>()?;
    Ok(rows)
}

/// What queueing needs of an active webhook.
#[derive(Debug, Clone)]
pub struct Subscriber {
    pub id: i64,
    pub url: String,
    pub events: Events,
    pub preset: Preset,
}

/// The active webhooks: read by every ticket change, so one small prepared statement (a desk
/// has a handful of webhooks, and none at all costs a look at an empty table).
pub fn subscribers(c: &Connection) -> Result<Vec<Subscriber>> {
    let rows = c
        .prepare_cached("SELECT id, url, events, preset FROM webhooks WHERE active = 1")?
        .query_map([], |r| {
            let events: String = r.get(2)?;
            let preset: String = r.get(3)?;
            Ok(Subscriber {
                id: r.get(0)?,
                url: r.get(1)?,
                events: Events::from_stored(&events),
                preset: Preset::parse(&preset).unwrap_or(Preset::Generic),
            })
        })?
        .collect::<rusqlite::Result<Vec<_>>>()?;
    Ok(rows)
}

/// A delivery to queue.
pub struct NewDelivery<'a> {
    pub webhook_id: i64,
    pub delivery_id: &'a str,
    pub event: &'a str,
    pub ticket_id: Option<i64>,
    pub payload: &'a str,
    /// When it is queued; it is due at once and retried for `RETRY_WINDOW_SECS`.
    pub now: i64,
}

/// Queues one delivery and asks for the `webhook_deliver` job to be woken once the transaction
/// commits.
pub fn queue(c: &Connection, d: &NewDelivery<'_>) -> Result<i64> {
    c.prepare_cached(
        "INSERT INTO webhook_deliveries (webhook_id, delivery_id, event, ticket_id, payload,
             next_attempt_at, expires_at, created_at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?6)",
    )?
    .execute(params![
        d.webhook_id,
        d.delivery_id,
        d.event,
        d.ticket_id,
        d.payload,
        d.now,
        d.now + RETRY_WINDOW_SECS
    ])?;
    crate::jobs::wake::after_commit(crate::jobs::WEBHOOK_DELIVER);
    Ok(c.last_insert_rowid())
}

/// The active webhooks whose oldest waiting delivery is due at `now` (one index look each).
pub fn due_webhooks(c: &Connection, now: i64) -> Result<Vec<i64>> {
    let ids = c
        .prepare_cached(
            "SELECT w.id FROM webhooks w
             WHERE w.active = 1
               AND (SELECT d.next_attempt_at FROM webhook_deliveries d
                    WHERE d.webhook_id = w.id AND d.status = 'pending'
                    ORDER BY d.id LIMIT 1) <= ?1
             ORDER BY w.id",
        )?
        .query_map([now], |r| r.get(0))?
        .collect::<rusqlite::Result<Vec<i64>>>()?;
    Ok(ids)
}

/// A delivery as the sender needs it, with its webhook's current address and secret.
#[derive(Debug, Clone)]
pub struct Outgoing {
    pub id: i64,
    pub delivery_id: String,
    pub event: String,
    pub payload: String,
    pub attempts: i64,
    pub next_attempt_at: i64,
    pub expires_at: i64,
    pub url: String,
    pub secret: String,
    pub preset: Preset,
}

/// The oldest waiting delivery of webhook `webhook_id`, while the webhook is active.
pub fn head(c: &Connection, webhook_id: i64) -> Result<Option<Outgoing>> {
    Ok(c.prepare_cached(
        "SELECT d.id, d.delivery_id, d.event, d.payload, d.attempts, d.next_attempt_at,
                d.expires_at, w.url, w.secret, w.preset
         FROM webhook_deliveries d JOIN webhooks w ON w.id = d.webhook_id
         WHERE d.webhook_id = ?1 AND d.status = 'pending' AND w.active = 1
         ORDER BY d.id LIMIT 1",
    )?
    .query_row([webhook_id], |r| {
        let preset: String = r.get(9)?;
        Ok(Outgoing {
            id: r.get(0)?,
            delivery_id: r.get(1)?,
            event: r.get(2)?,
            payload: r.get(3)?,
            attempts: r.get(4)?,
            next_attempt_at: r.get(5)?,
            expires_at: r.get(6)?,
            url: r.get(7)?,
            secret: r.get(8)?,
            preset: Preset::parse(&preset).unwrap_or(Preset::Generic),
        })
    })
    .optional()?)
}

/// How an attempt ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Attempt {
    /// When it was made.
    pub at: i64,
    /// The HTTP status, when the receiver answered.
    pub status_code: Option<u16>,
    /// Why it failed; None when it was delivered (a 2xx answer).
    pub error: Option<String>,
}

/// Records attempt number `attempts` at waiting delivery `id`: delivered, or failed with the
/// next attempt at `next` (None: it is given up, `failed`). Only a waiting delivery changes (an
/// admin may have deleted the webhook meanwhile).
pub fn record_attempt(
    c: &Connection,
    id: i64,
    attempts: i64,
    attempt: &Attempt,
    next: Option<i64>,
) -> Result<()> {
    let code = attempt.status_code.map(i64::from);
    match &attempt.error {
        None => c
            .prepare_cached(
                "UPDATE webhook_deliveries SET status = 'delivered', attempts = ?2,
                     last_attempt_at = ?3, delivered_at = ?3, last_status_code = ?4,
                     last_error = NULL
                 WHERE id = ?1 AND status = 'pending'",
            )?
            .execute(params![id, attempts, attempt.at, code])?,
        Some(error) => c
            .prepare_cached(
                "UPDATE webhook_deliveries SET attempts = ?2, last_attempt_at = ?3,
                     last_status_code = ?4, last_error = ?5,
                     status = CASE WHEN ?6 IS NULL THEN 'failed' ELSE 'pending' END,
                     next_attempt_at = COALESCE(?6, next_attempt_at)
                 WHERE id = ?1 AND status = 'pending'",
            )?
            .execute(params![id, attempts, attempt.at, code, error, next])?,
    };
    Ok(())
}

/// Sends delivery `id` of webhook `webhook_id` again from `now`: waiting, due at once, with a
/// new 24 hours of retries and its attempts counted afresh; the same delivery id and body.
/// Returns its delivery id, None when the webhook has no such delivery.
pub fn redeliver(c: &Connection, webhook_id: i64, id: i64, now: i64) -> Result<Option<String>> {
    let delivery_id: Option<String> = c
        .prepare_cached(
            "UPDATE webhook_deliveries SET status = 'pending', attempts = 0, next_attempt_at = ?3,
                 expires_at = ?4, delivered_at = NULL
             WHERE id = ?1 AND webhook_id = ?2
             RETURNING delivery_id",
        )?
        .query_row(params![id, webhook_id, now, now + RETRY_WINDOW_SECS], |r| {
            r.get(0)
        })
        .optional()?;
    if delivery_id.is_some() {
        crate::jobs::wake::after_commit(crate::jobs::WEBHOOK_DELIVER);
    }
    Ok(delivery_id)
}

/// One line of a webhook's delivery log.
#[derive(Debug, Clone, Serialize)]
pub struct LogRow {
    pub id: i64,
    pub delivery_id: String,
    pub event: String,
    pub ticket_id: Option<i64>,
    pub payload: String,
    pub status: String,
    pub attempts: i64,
    pub next_attempt_at: i64,
    pub last_attempt_at: Option<i64>,
    pub last_status_code: Option<i64>,
    pub last_error: Option<String>,
    pub created_at: i64,
    pub delivered_at: Option<i64>,
}

/// A page of webhook `webhook_id`'s deliveries, newest first.
pub fn log(c: &Connection, webhook_id: i64, limit: i64, offset: i64) -> Result<Vec<LogRow>> {
    let rows = c
        .prepare_cached(
            "SELECT id, delivery_id, event, ticket_id, payload, status, attempts, next_attempt_at,
                    last_attempt_at, last_status_code, last_error, created_at, delivered_at
             FROM webhook_deliveries WHERE webhook_id = ?1
             ORDER BY id DESC LIMIT ?2 OFFSET ?3",
        )?
        .query_map(params![webhook_id, limit, offset], |r| {
            Ok(LogRow {
                id: r.get(0)?,
                delivery_id: r.get(1)?,
                event: r.get(2)?,
                ticket_id: r.get(3)?,
                payload: r.get(4)?,
                status: r.get(5)?,
                attempts: r.get(6)?,
                next_attempt_at: r.get(7)?,
                last_attempt_at: r.get(8)?,
                last_status_code: r.get(9)?,
                last_error: r.get(10)?,
                created_at: r.get(11)?,
                delivered_at: r.get(12)?,
            })
        })?
        .collect::<rusqlite::Result<Vec<_>>>()?;
    Ok(rows)
}

/// A webhook's deliveries by status.
#[derive(Debug, Clone, Copy, Default, Serialize)]
pub struct Counts {
    pub total: i64,
    pub pending: i64,
    pub failed: i64,
}

pub fn counts(c: &Connection, webhook_id: i64) -> Result<Counts> {
    Ok(c.prepare_cached(
        "SELECT count(*), count(*) FILTER (WHERE status = 'pending'),
                count(*) FILTER (WHERE status = 'failed')
         FROM webhook_deliveries WHERE webhook_id = ?1",
    )?
    .query_row([webhook_id], |r| {
        Ok(Counts {
            total: r.get(0)?,
            pending: r.get(1)?,
            failed: r.get(2)?,
        })
    })?)
}

/// Whether some delivered or failed delivery is older than `before` (a read, so that a pass with
/// nothing to forget writes nothing).
pub fn has_old(c: &Connection, before: i64) -> Result<bool> {
    Ok(c.prepare_cached(
        "SELECT 1 FROM webhook_deliveries WHERE created_at < ?1 AND status <> 'pending' LIMIT 1",
    )?
    .exists([before])?)
}

/// Forgets up to `limit` delivered or failed deliveries older than `before`.
pub fn purge(c: &Connection, before: i64, limit: i64) -> Result<usize> {
    Ok(c.prepare_cached(
        "DELETE FROM webhook_deliveries WHERE id IN (
             SELECT id FROM webhook_deliveries
             WHERE created_at < ?1 AND status <> 'pending' LIMIT ?2)",
    )?
    .execute(params![before, limit])?)
}

/// Forgets every delivery about ticket `ticket_id` (the ticket is being deleted), sent or not:
/// their bodies hold the ticket's text. Rows removed.
pub fn forget_ticket(c: &Connection, ticket_id: i64) -> Result<usize> {
    Ok(
        c.prepare_cached("DELETE FROM webhook_deliveries WHERE ticket_id = ?1")?
            .execute([ticket_id])?,
    )
}

/// Forgets every delivery whose body names `text` (a data-protection erasure of an address):
/// rows removed.
pub fn forget_mentioning(c: &Connection, text: &str) -> Result<usize> {
    Ok(c.prepare_cached(
        "DELETE FROM webhook_deliveries WHERE instr(lower(payload), lower(?1)) > 0",
    )?
    .execute([text])?)
}
