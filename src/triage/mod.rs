//! Learned triage (issue 17 item 3): a classifier trained on the desk's own resolved tickets
//! (subject and first message → category, priority and assignee; English and Spanish alike),
//! stored in the database (`store`), kept in memory per model (`cache`), retrained by the
//! `triage_train` job when enough new tickets were resolved and by `helpdesk triage train`.
//!
//! Every new ticket gets a prediction when triage is on and a model exists (`react`, one of the
//! desk's reactions, in the ticket's transaction); staff see it with one click to accept. A
//! portal ticket whose requester chose "I don't know" takes the predicted category when the
//! confidence reaches the admin's threshold (`choose_category`), else the desk's default one.

pub mod cache;
pub mod eval;
pub mod model;
pub mod store;
pub mod text;

use std::time::Instant;

use rusqlite::Connection;

use crate::db::Db;
use crate::error::Result;
use crate::tickets::Event;
use crate::tickets::actions::Changes;
use store::Suggestion;

/// The portal's category value for "I don't know".
pub const UNKNOWN_CATEGORY: &str = "unknown";

const KEY_ENABLED: &str = "triage_enabled";
const KEY_THRESHOLD: &str = "triage_threshold";
const KEY_RETRAIN_AFTER: &str = "triage_retrain_after";

/// The admin's triage settings (Admin > Triage), in the `settings` table.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct TriageSettings {
    pub enabled: bool,
    /// The confidence (0..1) at which an "I don't know" ticket takes the predicted category.
    pub threshold: f64,
    /// The job retrains once this many more tickets were resolved since the last training.
    pub retrain_after: i64,
}

impl Default for TriageSettings {
    fn default() -> Self {
        TriageSettings {
            enabled: false,
            threshold: 0.6,
            retrain_after: 200,
        }
    }
}

pub const MIN_RETRAIN_AFTER: i64 = 10;
pub const MAX_RETRAIN_AFTER: i64 = 1_000_000;

impl TriageSettings {
    pub fn load(conn: &Connection) -> Result<TriageSettings> {
        let mut s = TriageSettings::default();
        if let Some(v) = crate::settings::get(conn, KEY_ENABLED)? {
            s.enabled = v == "1";
        }
        if let Some(v) = crate::settings::get(conn, KEY_THRESHOLD)?.and_then(|v| v.parse().ok()) {
            s.threshold = f64::clamp(v, 0.0, 1.0);
        }
        if let Some(v) = crate::settings::get(conn, KEY_RETRAIN_AFTER)?.and_then(|v| v.parse().ok())
        {
            s.retrain_after = i64::clamp(v, MIN_RETRAIN_AFTER, MAX_RETRAIN_AFTER);
        }
        Ok(s)
    }

    pub fn save(&self, conn: &Connection) -> Result<()> {
        crate::settings::set(conn, KEY_ENABLED, if self.enabled { "1" } else { "0" })?;
        crate::settings::set(conn, KEY_THRESHOLD, &self.threshold.to_string())?;
        crate::settings::set(conn, KEY_RETRAIN_AFTER, &self.retrain_after.to_string())?;
        Ok(())
    }
}

/// Whether triage is on: one settings read, the only cost of a new ticket when it is off.
pub fn enabled(conn: &Connection) -> Result<bool> {
    Ok(crate::settings::get(conn, KEY_ENABLED)?.is_some_and(|v| v == "1"))
}

/// The prediction for a text, from the model in use; none without a model.
pub fn predict(conn: &Connection, subject: &str, body: &str) -> Result<Option<Suggestion>> {
    let Some((model_id, model)) = cache::current(conn)? else {
        return Ok(None);
    };
    let features = text::features(&store::ticket_text(subject, body));
    let category = model.category.predict(&features);
    let priority = model.priority.predict(&features);
    let assignee = model.assignee.predict(&features);
    Ok(Some(Suggestion {
        model_id,
        category_id: category.map(|g| g.label),
        category_confidence: category.map_or(0.0, |g| f64::from(g.confidence)),
        priority_id: priority.map(|g| g.label),
        priority_confidence: priority.map_or(0.0, |g| f64::from(g.confidence)),
        assignee_id: assignee.map(|g| g.label),
        assignee_confidence: assignee.map_or(0.0, |g| f64::from(g.confidence)),
        ..Suggestion::default()
    }))
}

/// For a ticket whose requester chose "I don't know": the predicted category and its default
/// priority when triage is on, the model sure enough and the category still active; `None`
/// means the desk's default category.
pub fn choose_category(conn: &Connection, subject: &str, body: &str) -> Result<Option<(i64, i64)>> {
    let settings = TriageSettings::load(conn)?;
    if !settings.enabled {
        return Ok(None);
    }
    let Some(s) = predict(conn, subject, body)? else {
        return Ok(None);
    };
    let Some(category) = s
        .category_id
        .filter(|_| s.category_confidence >= settings.threshold)
    else {
        return Ok(None);
    };
    let chosen = crate::tickets::categories::category_exists(conn, category)?
        .filter(|(_, active)| *active)
        .map(|_| category);
    match chosen {
        Some(id) => Ok(crate::tickets::categories::default_priority(conn, id)?.map(|p| (id, p))),
        None => Ok(None),
    }
}

/// The desk's reaction to new tickets: each gets its prediction stored, when triage is on.
pub fn react(conn: &Connection, events: &[Event], now: i64) -> Result<()> {
    let mut created = crate::tickets::events::created(events).peekable();
    if created.peek().is_none() || !enabled(conn)? {
        return Ok(());
    }
    for (ticket_id, _) in created {
        let Some((subject, body)) = store::ticket_and_first_message(conn, ticket_id)? else {
            continue;
        };
        if let Some(mut s) = predict(conn, &subject, &body)? {
            s.ticket_id = ticket_id;
            store::insert_suggestion(conn, &s, now)?;
        }
    }
    Ok(())
}

/// The changes accepting a ticket's prediction makes: its category, priority, and assignee when
/// that person is active and works the predicted category.
pub fn accept_changes(conn: &Connection, ticket_id: i64) -> Result<Option<Changes>> {
    let Some(s) = store::suggestion(conn, ticket_id)? else {
        return Ok(None);
    };
    let category = s.category_id.filter(|id| {
        matches!(
            crate::tickets::categories::category_exists(conn, *id),
            Ok(Some(_))
        )
    });
    let mut assignee = None;
    if let (Some(staff), Some(cat)) = (s.assignee_id, category) {
        let active = crate::tickets::store::staff_active(conn, staff)?.unwrap_or(false);
        if active && crate::auth::access::staff_may_see(conn, staff, cat)? {
            assignee = Some(Some(staff));
        }
    }
    let priority = match s.priority_id {
        Some(p) if crate::tickets::categories::priority_exists(conn, p)? => Some(p),
        _ => None,
    };
    Ok(Some(Changes {
        category,
        priority,
        assignee,
        ..Changes::default()
    }))
}

/// What a training did.
#[derive(Debug, Clone)]
pub struct Trained {
    pub model_id: i64,
    pub tickets: usize,
    pub millis: u128,
    pub eval: eval::Evaluation,
}

/// Trains on every resolved ticket (after measuring on the newest 20% held out) and stores the
/// model in place of the last; `None` on a desk with no resolved ticket (nothing to learn).
pub fn train(db: &Db, now: i64) -> Result<Option<Trained>> {
    let clock = Instant::now();
    let (examples, resolved) =
        db.read_blocking(|c| Ok((store::examples(c)?, store::resolved_count(c)?)))?;
    if examples.is_empty() {
        return Ok(None);
    }
    let evaluation = eval::evaluate(&examples);
    let model = model::Model::train(&examples);
    let blob = model.to_bytes();
    let uid = crate::util::random_hex(16);
    let millis = clock.elapsed().as_millis();
    let eval_json = serde_json::to_string(&evaluation)
        .map_err(|e| crate::error::Error::internal(e.to_string()))?;
    let new = store::NewModel {
        uid: &uid,
        format: model::FORMAT,
        trained_at: now,
        tickets: examples.len() as i64,
        resolved,
        train_ms: i64::try_from(millis).unwrap_or(i64::MAX),
        eval: &eval_json,
        blob: &blob,
    };
    let model_id = db.write_blocking(|c| store::insert_model(c, &new))?;
    cache::keep(&uid, model_id, model);
    Ok(Some(Trained {
        model_id,
        tickets: examples.len(),
        millis,
        eval: evaluation,
    }))
}

/// The `triage_train` job: retrains when triage is on and enough tickets were resolved since
/// the last training (or there is no model yet and some are).
pub fn train_pass(ctx: &crate::jobs::JobCtx) -> Result<String> {
    let (settings, latest, resolved) = ctx.db.read_blocking(|c| {
        Ok((
            TriageSettings::load(c)?,
            store::latest(c)?,
            store::resolved_count(c)?,
        ))
    })?;
    if !settings.enabled {
        return Ok("triage is off".into());
    }
    let since = resolved - latest.as_ref().map_or(0, |m| m.resolved);
    let due = match &latest {
        Some(_) => since >= settings.retrain_after,
        None => resolved > 0,
    };
    if !due {
        return Ok(format!(
            "{since} newly resolved, retraining at {}",
            settings.retrain_after
        ));
    }
    Ok(match train(&ctx.db, ctx.now)? {
        Some(t) => format!(
            "trained on {} tickets in {} ms; category accuracy {:.0}%",
            t.tickets,
            t.millis,
            t.eval.category.accuracy() * 100.0
        ),
        None => "no resolved tickets to learn from".into(),
    })
}

/// For a portal ticket whose requester chose "I don't know" (it comes with the desk's default
/// category): the predicted category when the model is sure enough, with that category's
/// default priority unless the requester picked one (`keep_priority`). Whether it changed.
pub fn apply_to_new(
    conn: &Connection,
    ticket: &mut crate::tickets::NewTicket,
    keep_priority: bool,
) -> Result<bool> {
    let Some((category, priority)) = choose_category(conn, &ticket.subject, &ticket.message)?
    else {
        return Ok(false);
    };
    ticket.category_id = category;
    if !keep_priority {
        ticket.priority_id = priority;
    }
    Ok(true)
}
