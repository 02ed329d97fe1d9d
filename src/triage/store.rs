//! SQL of `triage_models` and `triage_suggestions`, and the resolved tickets training reads.

use rusqlite::{Connection, OptionalExtension, params};

use crate::error::Result;
use crate::triage::model::Example;
use crate::triage::text;

/// What is known of the stored model without reading its blob.
#[derive(Debug, Clone, serde::Serialize)]
pub struct ModelInfo {
    pub id: i64,
    pub uid: String,
    pub trained_at: i64,
    pub tickets: i64,
    pub resolved: i64,
    pub train_ms: i64,
    pub eval: String,
}

/// Resolved tickets (not spam), oldest first: their subject and first message as features,
/// and the category, priority and assignee the desk settled on.
pub fn examples(conn: &Connection) -> Result<Vec<Example>> {
    let mut stmt = conn.prepare(
        "SELECT t.subject, m.body, t.category_id, t.priority_id, t.assignee_id
         FROM tickets t
         JOIN messages m ON m.id = (SELECT MIN(id) FROM messages WHERE ticket_id = t.id)
         WHERE t.resolved_at IS NOT NULL
           AND NOT EXISTS (SELECT 1 FROM ticket_spam s WHERE s.ticket_id = t.id)
         ORDER BY t.created_at, t.id",
    )?;
    let mut rows = stmt.query([])?;
    let mut out = Vec::new();
    while let Some(r) = rows.next()? {
        let subject: String = r.get(0)?;
        let body: String = r.get(1)?;
        out.push(Example {
            features: text::features(&ticket_text(&subject, &body)),
            category: r.get(2)?,
            priority: r.get(3)?,
            assignee: r.get(4)?,
        });
    }
    Ok(out)
}

/// The text a ticket is classified by: its subject, then its first message.
pub fn ticket_text(subject: &str, body: &str) -> String {
    let body: String = body.chars().take(text::MAX_CHARS).collect();
    format!("{subject}\n{body}")
}

/// Resolved tickets now (the retraining job compares with the model's count).
pub fn resolved_count(conn: &Connection) -> Result<i64> {
    Ok(conn.query_row(
        "SELECT COUNT(*) FROM tickets WHERE resolved_at IS NOT NULL",
        [],
        |r| r.get(0),
    )?)
}

pub struct NewModel<'a> {
    pub uid: &'a str,
    pub format: i64,
    pub trained_at: i64,
    pub tickets: i64,
    pub resolved: i64,
    pub train_ms: i64,
    pub eval: &'a str,
    pub blob: &'a [u8],
}

/// Stores a new model in place of the old ones; returns its id.
pub fn insert_model(conn: &Connection, m: &NewModel<'_>) -> Result<i64> {
    conn.execute("DELETE FROM triage_models", [])?;
    conn.execute(
        "INSERT INTO triage_models (uid, format, trained_at, tickets, resolved, train_ms, eval, blob)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
        params![
            m.uid,
            m.format,
            m.trained_at,
            m.tickets,
            m.resolved,
            m.train_ms,
            m.eval,
            m.blob
        ],
    )?;
    Ok(conn.last_insert_rowid())
}

/// The model in use, without its blob.
pub fn latest(conn: &Connection) -> Result<Option<ModelInfo>> {
    Ok(conn
        .prepare_cached(
            "SELECT id, uid, trained_at, tickets, resolved, train_ms, eval
             FROM triage_models ORDER BY id DESC LIMIT 1",
        )?
        .query_row([], |r| {
            Ok(ModelInfo {
                id: r.get(0)?,
                uid: r.get(1)?,
                trained_at: r.get(2)?,
                tickets: r.get(3)?,
                resolved: r.get(4)?,
                train_ms: r.get(5)?,
                eval: r.get(6)?,
            })
        })
        .optional()?)
}

/// The id and uid of the model in use: all a prediction reads before its cache.
pub fn latest_uid(conn: &Connection) -> Result<Option<(i64, String)>> {
    Ok(conn
        .prepare_cached("SELECT id, uid FROM triage_models ORDER BY id DESC LIMIT 1")?
        .query_row([], |r| Ok((r.get(0)?, r.get(1)?)))
        .optional()?)
}

/// A model's blob, when it is still the stored one.
pub fn blob(conn: &Connection, id: i64) -> Result<Option<Vec<u8>>> {
    Ok(conn
        .query_row("SELECT blob FROM triage_models WHERE id = ?1", [id], |r| {
            r.get(0)
        })
        .optional()?)
}

/// The prediction for one ticket.
#[derive(Debug, Clone, Default, PartialEq, serde::Serialize)]
pub struct Suggestion {
    pub ticket_id: i64,
    pub model_id: i64,
    pub category_id: Option<i64>,
    pub category_confidence: f64,
    pub priority_id: Option<i64>,
    pub priority_confidence: f64,
    pub assignee_id: Option<i64>,
    pub assignee_confidence: f64,
    pub applied: bool,
}

pub fn insert_suggestion(conn: &Connection, s: &Suggestion, now: i64) -> Result<()> {
    conn.prepare_cached(
        "INSERT OR REPLACE INTO triage_suggestions (ticket_id, model_id, category_id,
             category_confidence, priority_id, priority_confidence, assignee_id,
             assignee_confidence, applied, created_at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)",
    )?
    .execute(params![
        s.ticket_id,
        s.model_id,
        s.category_id,
        s.category_confidence,
        s.priority_id,
        s.priority_confidence,
        s.assignee_id,
        s.assignee_confidence,
        s.applied,
        now
    ])?;
    Ok(())
}

pub fn suggestion(conn: &Connection, ticket_id: i64) -> Result<Option<Suggestion>> {
    Ok(conn
        .prepare_cached(
            "SELECT ticket_id, model_id, category_id, category_confidence, priority_id,
                    priority_confidence, assignee_id, assignee_confidence, applied
             FROM triage_suggestions WHERE ticket_id = ?1",
        )?
        .query_row([ticket_id], |r| {
            Ok(Suggestion {
                ticket_id: r.get(0)?,
                model_id: r.get(1)?,
                category_id: r.get(2)?,
                category_confidence: r.get(3)?,
                priority_id: r.get(4)?,
                priority_confidence: r.get(5)?,
                assignee_id: r.get(6)?,
                assignee_confidence: r.get(7)?,
                applied: r.get(8)?,
            })
        })
        .optional()?)
}

/// Marks a ticket's suggestion as applied by the desk (the "I don't know" category).
pub fn mark_applied(conn: &Connection, ticket_id: i64) -> Result<()> {
    conn.execute(
        "UPDATE triage_suggestions SET applied = 1 WHERE ticket_id = ?1",
        [ticket_id],
    )?;
    Ok(())
}

/// A ticket's subject and first message (what it is classified by).
pub fn ticket_and_first_message(
    conn: &Connection,
    ticket_id: i64,
) -> Result<Option<(String, String)>> {
    Ok(conn
        .prepare_cached(
            "SELECT t.subject,
                    COALESCE((SELECT body FROM messages WHERE ticket_id = t.id ORDER BY id LIMIT 1), '')
             FROM tickets t WHERE t.id = ?1",
        )?
        .query_row([ticket_id], |r| Ok((r.get(0)?, r.get(1)?)))
        .optional()?)
}
