//! Bulk actions on the staff list: one `BulkAction` applied to many tickets, each ticket on its
//! own through `workflow::Desk::bulk` (its own transaction in the request, its own savepoint in
//! the background job), so one ticket's refusal undoes only that ticket, and each gets its own
//! history; its failures reported by ticket.
//!
//! A few tickets are done in the request (`IN_REQUEST`); "all N matching this filter" (up to
//! `MAX_TICKETS`) becomes a job (`bulk_jobs`, one `bulk_job_items` row per ticket with its
//! outcome) that the `bulk_actions` background job works through in short groups of tickets
//! per transaction (each ticket in its own savepoint), so other requests wait for at most one
//! group (`GROUP_TIME`).

use std::time::{Duration, Instant};

use rusqlite::{Connection, OptionalExtension, params};
use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};
use crate::jobs::JobCtx;
use crate::notify::MailCtx;
use crate::settings::Settings;
use crate::tickets::Actor;
use crate::workflow::{Ctx, Desk};

/// The most tickets one bulk action takes ("all N matching this filter").
pub const MAX_TICKETS: usize = 10_000;
/// Selections up to this size are done in the request; larger ones in the background.
pub const IN_REQUEST: usize = 100;
/// Tickets whose pending ids a pass reads at once.
const BATCH: i64 = 100;
/// A pass hands the job runner back its thread after this long; the next pass goes on.
const PASS_BUDGET: Duration = Duration::from_secs(20);

/// What to do to every selected ticket; `None` leaves that part alone.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct BulkAction {
    pub status: Option<i64>,
    pub priority: Option<i64>,
    pub category: Option<i64>,
    /// `Some(None)` unassigns.
    pub assignee: Option<Option<i64>>,
    /// Normalised tag names (`tags::normalize`).
    pub add_tag: Option<String>,
    pub remove_tag: Option<String>,
    /// The tracking ID of the ticket to merge every selected ticket into.
    pub merge_into: Option<String>,
    /// Mark as spam (`Some(true)`: and ban each requester's address). Alone, never with the
    /// changes above.
    #[serde(default)]
    pub spam: Option<bool>,
    /// Delete for good (admins only, after a confirmation). Alone, never with anything else.
    #[serde(default)]
    pub delete: bool,
}

impl BulkAction {
    pub fn is_empty(&self) -> bool {
        *self == BulkAction::default()
    }

    /// Whether it takes the tickets out of the desk (spam or deletion): such an action does
    /// nothing else.
    pub fn takes_out(&self) -> bool {
        self.spam.is_some() || self.delete
    }
}

/// One ticket the action could not change, and why (an i18n key, or the desk's message).
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct Failure {
    pub ticket_id: i64,
    pub tracking_id: Option<String>,
    pub reason: String,
}

/// Why a ticket's change failed, as the results list says it.
pub fn reason(e: &Error) -> String {
    match e {
        Error::NotFound => "bulk_error_gone".into(),
        Error::Forbidden => "bulk_error_forbidden".into(),
        Error::BadRequest(m) => m.clone(),
        other => other.to_string(),
    }
}

/// Applies `action` to one ticket in one write transaction (the caller's); its events' reactions
/// run there too. See `workflow::Desk::bulk`. A deletion is audited by tracking ID, as the
/// ticket page's own delete is (`ip`: the client's address when a request does it).
pub fn apply_one(
    conn: &Connection,
    mail: &MailCtx,
    actor: &Actor,
    ticket_id: i64,
    action: &BulkAction,
    now: i64,
    ip: Option<&str>,
) -> Result<usize> {
    let ctx = Ctx::new(mail.clone(), now);
    let events = Desk::new(conn, &ctx).bulk(actor, ticket_id, action)?;
    for e in &events {
        if let crate::tickets::What::Deleted { tracking_id } = &e.what {
            crate::audit::record(conn, actor.staff_id, "ticket_deleted", tracking_id, ip)?;
        }
    }
    Ok(events.len())
}

/// A background bulk job as its page shows it.
#[derive(Debug, Clone, Serialize)]
pub struct Job {
    pub id: i64,
    pub staff_id: i64,
    pub action: BulkAction,
    pub total: i64,
    pub done: i64,
    pub failed: i64,
    pub created_at: i64,
    pub finished_at: Option<i64>,
}

/// Queues `action` on `ids` for the background job (waking it once committed); returns the
/// job's id.
pub fn create_job(
    conn: &Connection,
    staff_id: i64,
    action: &BulkAction,
    ids: &[i64],
    now: i64,
) -> Result<i64> {
    let json = serde_json::to_string(action).map_err(|e| Error::internal(e.to_string()))?;
    conn.prepare_cached(
        "INSERT INTO bulk_jobs (staff_id, action, total, created_at) VALUES (?1, ?2, ?3, ?4)",
    )?
    .execute(params![staff_id, json, ids.len() as i64, now])?;
    let job = conn.last_insert_rowid();
    let mut insert = conn.prepare_cached(
        "INSERT OR IGNORE INTO bulk_job_items (job_id, ticket_id) VALUES (?1, ?2)",
    )?;
    for id in ids {
        insert.execute(params![job, id])?;
    }
    crate::jobs::wake::after_commit(crate::jobs::BULK_ACTIONS);
    Ok(job)
}

fn job_from_row(r: &rusqlite::Row<'_>) -> rusqlite::Result<(Job, String)> {
    Ok((
        Job {
            id: r.get(0)?,
            staff_id: r.get(1)?,
            action: BulkAction::default(),
            total: r.get(3)?,
            done: r.get(4)?,
            failed: r.get(5)?,
            created_at: r.get(6)?,
            finished_at: r.get(7)?,
        },
        r.get(2)?,
    ))
}

pub fn job(conn: &Connection, id: i64) -> Result<Option<Job>> {
    let row = conn
        .prepare_cached(
            "SELECT id, staff_id, action, total, done, failed, created_at, finished_at
             FROM bulk_jobs WHERE id = ?1",
        )?
        .query_row([id], job_from_row)
        .optional()?;
    Ok(row.map(|(mut job, action)| {
        job.action = serde_json::from_str(&action).unwrap_or_default();
        job
    }))
}

/// The tickets of job `id` that failed, by id, with their tracking IDs where they still exist.
pub fn failures(conn: &Connection, id: i64, limit: i64) -> Result<Vec<Failure>> {
    let rows = conn
        .prepare_cached(
            "SELECT i.ticket_id, t.tracking_id, coalesce(i.error, '') FROM bulk_job_items i
             LEFT JOIN tickets t ON t.id = i.ticket_id
             WHERE i.job_id = ?1 AND i.state = 'failed' ORDER BY i.ticket_id LIMIT ?2",
        )?
        .query_map(params![id, limit], |r| {
            Ok(Failure {
                ticket_id: r.get(0)?,
                tracking_id: r.get(1)?,
                reason: r.get(2)?,
            })
        })?
        .collect::<rusqlite::Result<Vec<_>>>()?;
    Ok(rows)
}

/// The oldest unfinished job and up to a batch of its pending tickets.
fn next_work(conn: &Connection) -> Result<Option<(Job, Vec<i64>)>> {
    let id: Option<i64> = conn
        .prepare_cached("SELECT id FROM bulk_jobs WHERE finished_at IS NULL ORDER BY id LIMIT 1")?
        .query_row([], |r| r.get(0))
        .optional()?;
    let Some(job) = id.map(|id| self::job(conn, id)).transpose()?.flatten() else {
        return Ok(None);
    };
    let ids = conn
        .prepare_cached(
            "SELECT ticket_id FROM bulk_job_items WHERE job_id = ?1 AND state = 'pending'
             ORDER BY ticket_id LIMIT ?2",
        )?
        .query_map(params![job.id, BATCH], |r| r.get(0))?
        .collect::<rusqlite::Result<Vec<i64>>>()?;
    Ok(Some((job, ids)))
}

/// Marks one ticket of a job done or failed; false when it was no longer pending (another
/// pass took it).
fn settle(conn: &Connection, job: i64, ticket: i64, error: Option<&str>) -> Result<bool> {
    let state = if error.is_some() { "failed" } else { "done" };
    let changed = conn
        .prepare_cached(
            "UPDATE bulk_job_items SET state = ?3, error = ?4
             WHERE job_id = ?1 AND ticket_id = ?2 AND state = 'pending'",
        )?
        .execute(params![job, ticket, state, error])?;
    if changed > 0 {
        conn.prepare_cached(
            "UPDATE bulk_jobs SET done = done + 1, failed = failed + ?2 WHERE id = ?1",
        )?
        .execute(params![job, error.is_some()])?;
    }
    Ok(changed > 0)
}

fn is_pending(conn: &Connection, job: i64, ticket: i64) -> Result<bool> {
    Ok(conn
        .prepare_cached(
            "SELECT 1 FROM bulk_job_items WHERE job_id = ?1 AND ticket_id = ?2 AND state = 'pending'",
        )?
        .exists(params![job, ticket])?)
}

/// The staff member behind a job, while their account is active.
fn job_actor(conn: &Connection, staff_id: i64) -> Result<Option<Actor>> {
    Ok(crate::auth::users::get(conn, staff_id)?
        .filter(|s| s.active)
        .map(|s| Actor::staff(s.id, &s.name)))
}

/// A job's tickets share a transaction for at most this long, or this many of them: committing
/// once per ticket was most of a 10,000-ticket job's time, and a request waiting for the writer
/// waits for at most one such group.
const GROUP_TIME: Duration = Duration::from_millis(25);
const GROUP_MAX: usize = 64;
/// Works the job's `ids` from the start, as many as one group takes, in one transaction: each
/// ticket in its own savepoint, its change and its mark together, so a refused change is undone
/// alone and marked with its reason while the others are kept (a refused ticket's job wakes
/// still run after the commit: a wake for nothing costs nothing). Returns how many were taken,
/// at least one of a non-empty `ids`. The database itself failing fails the whole group: its
/// tickets stay pending.
fn work_group(ctx: &JobCtx, job: &Job, ids: &[i64]) -> Result<usize> {
    let config = ctx.config.clone();
    ctx.db.write_blocking(|c| {
        let started = Instant::now();
        let actor = job_actor(c, job.staff_id)?;
        let mail = MailCtx::from_parts(&config, &Settings::load(c)?);
        let mut taken = 0;
        for &ticket in ids {
            if taken == GROUP_MAX || (taken > 0 && started.elapsed() >= GROUP_TIME) {
                break;
            }
            taken += 1;
            if !is_pending(c, job.id, ticket)? {
                continue;
            }
            c.execute_batch("SAVEPOINT bulk_ticket")?;
            let attempt = actor.as_ref().ok_or(Error::Forbidden).and_then(|actor| {
                apply_one(c, &mail, actor, ticket, &job.action, crate::db::now(), None)?;
                settle(c, job.id, ticket, None)
            });
            match attempt {
                Ok(_) => c.execute_batch("RELEASE bulk_ticket")?,
                Err(e @ (Error::Internal(_) | Error::StorageFull | Error::ReadOnly)) => {
                    return Err(e);
                }
                Err(e) => {
                    c.execute_batch("ROLLBACK TO bulk_ticket; RELEASE bulk_ticket")?;
                    settle(c, job.id, ticket, Some(&reason(&e)))?;
                }
            }
        }
        Ok(taken)
    })
}

/// Between two groups: lets the requests waiting for the writer go first. A plain yield is not
/// enough, since the lock is not fair (this thread would take it again before the writer
/// thread wakes), so this sleeps a moment, and a little longer while requests are queued, never
/// more than `GIVE_WAY_MAX`, so that a desk under steady load still sees the job advance.
fn give_way(ctx: &JobCtx) {
    let started = Instant::now();
    loop {
        std::thread::sleep(Duration::from_millis(1));
        if ctx.db.queued_writes() == 0 || started.elapsed() >= GIVE_WAY_MAX {
            break;
        }
    }
}

/// The longest a job waits for queued requests between two of its groups.
const GIVE_WAY_MAX: Duration = Duration::from_millis(5);

/// The job's pass: works through the unfinished bulk jobs, oldest first, a group of tickets per
/// transaction, for up to `PASS_BUDGET`; the next pass goes on where this one stopped.
pub fn pass(ctx: &JobCtx) -> Result<String> {
    let started = Instant::now();
    let mut tickets = 0;
    while started.elapsed() < PASS_BUDGET {
        let Some((job, ids)) = ctx.db.read_blocking(next_work)? else {
            break;
        };
        if ids.is_empty() {
            ctx.db.write_blocking(|c| {
                c.prepare_cached(
                    "UPDATE bulk_jobs SET finished_at = ?2 WHERE id = ?1 AND finished_at IS NULL",
                )?
                .execute(params![job.id, crate::db::now()])?;
                Ok(())
            })?;
            continue;
        }
        let mut rest = &ids[..];
        while !rest.is_empty() {
            let taken = work_group(ctx, &job, rest)?;
            tickets += taken;
            rest = &rest[taken..];
            give_way(ctx);
            if started.elapsed() >= PASS_BUDGET {
                break;
            }
        }
    }
    Ok(match tickets {
        0 => "no bulk action waiting".to_string(),
        1 => "1 ticket of a bulk action done".to_string(),
        n => format!("{n} tickets of bulk actions done"),
    })
}

/// The ids of every ticket the list's filter `f` shows (its text search included), oldest
/// first, at most `MAX_TICKETS + 1` (one more tells the caller there are too many).
pub fn matching_ids(
    conn: &Connection,
    f: &crate::tickets::list::Filter,
    me: i64,
    refdata: &crate::tickets::RefData,
) -> Result<Vec<i64>> {
    let (clauses, params) = crate::tickets::list::export_conditions(conn, f, me, refdata)?;
    let where_sql = if clauses.is_empty() {
        String::new()
    } else {
        format!("WHERE {}", clauses.join(" AND "))
    };
    let sql = format!(
        "SELECT t.id FROM tickets t {where_sql} ORDER BY t.id LIMIT {}",
        MAX_TICKETS + 1
    );
    let ids = conn
        .prepare_cached(&sql)?
        .query_map(rusqlite::params_from_iter(params.iter()), |r| r.get(0))?
        .collect::<rusqlite::Result<Vec<i64>>>()?;
    Ok(ids)
}

/// The tracking IDs of those of `ids` that exist.
pub fn tracking_ids(conn: &Connection, ids: &[i64]) -> Result<Vec<(i64, String)>> {
    let mut stmt = conn.prepare_cached("SELECT tracking_id FROM tickets WHERE id = ?1")?;
    let mut out = Vec::new();
    for &id in ids {
        if let Some(tid) = stmt.query_row([id], |r| r.get(0)).optional()? {
            out.push((id, tid));
        }
    }
    Ok(out)
}
