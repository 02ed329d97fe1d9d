//! The background jobs: named passes of work that the server runs on their own, each every
//! interval and at once when woken (`wake`). For each database one process runs a job: the one
//! holding its lease (`lease`), a lock file beside the database; a second server waits and takes
//! over when the first stops, even by `kill -9`. What each job did last and when it runs next
//! is stored in the `jobs` table (`state`), written after every run, so a restarted server
//! resumes each job where it was.
//!
//! A job is one line in `JOBS`: its name, its interval (a function of the configuration), whether
//! this configuration runs it, and the pass itself, `fn(&JobCtx) -> Result<String>`, which does
//! the work due now and returns a one-line summary. Passes run on Tokio's blocking pool, since
//! they do blocking SQLite and network I/O.

pub mod lease;
pub mod state;
pub mod wake;

use std::panic::{AssertUnwindSafe, catch_unwind};
use std::path::Path;
use std::sync::Arc;
use std::time::{Duration, Instant};

use serde::Serialize;

use crate::config::Config;
use crate::db::{self, Db};
use crate::error::{Error, Result};
pub use state::JobState;

/// Sends the due mail of the outbox.
pub const MAIL_SEND: &str = "mail_send";
/// Imports new mail from the IMAP folder.
pub const MAIL_FETCH: &str = "mail_fetch";
/// Forgets expired staff sessions.
pub const SESSIONS_PURGE: &str = "sessions_purge";
/// Closes resolved tickets nobody answered for `auto_close_days`.
pub const AUTO_CLOSE: &str = "auto_close";
/// Opens the recurring tickets that fell due (Admin > Recurring).
pub const RECURRING_TICKETS: &str = "recurring_tickets";
/// Fires the service-level escalation steps that fell due.
pub const SLA_ESCALATE: &str = "sla_escalate";
/// POSTs the queued webhook deliveries (Admin > Webhooks).
pub const WEBHOOK_DELIVER: &str = "webhook_deliver";

/// Works through the bulk actions on "all tickets matching this filter" (`tickets::bulk`).
pub const BULK_ACTIONS: &str = "bulk_actions";
/// Sends an incident's reply to (or resolves) each of its tickets (`incidents::fanout`).
pub const INCIDENT_FANOUT: &str = "incident_fanout";

/// Retrains the triage model when enough new tickets were resolved (`triage`).
pub const TRIAGE_TRAIN: &str = "triage_train";
/// Forgets live events too old to replay (`live::prune_pass`).
pub const LIVE_PRUNE: &str = "live_prune";

/// Every job, in the order they are listed.
pub const JOBS: &[Job] = &[
    Job::new(MAIL_SEND, every_second, always, crate::mail::send_pass),
    Job::new(
        MAIL_FETCH,
        |c| c.imap_interval_secs,
        |c| !c.imap_host.is_empty(),
        crate::mail::imap::fetch_pass,
    ),
    Job::new(
        SESSIONS_PURGE,
        jobs_interval,
        always,
        crate::auth::sessions::purge_pass,
    ),
    Job::new(
        AUTO_CLOSE,
        jobs_interval,
        always,
        crate::automation::auto_close::pass,
    ),
    Job::new(
        RECURRING_TICKETS,
        jobs_interval,
        always,
        crate::automation::recurring::pass,
    ),
    Job::new(
        SLA_ESCALATE,
        jobs_interval,
        always,
        crate::sla::escalate::pass,
    ),
    Job::new(
        WEBHOOK_DELIVER,
        every_second,
        always,
        crate::webhooks::deliver::pass,
    ),
    Job::new(
        BULK_ACTIONS,
        every_second,
        always,
        crate::tickets::bulk::pass,
    ),
    Job::new(
        TRIAGE_TRAIN,
        jobs_interval,
        always,
        crate::triage::train_pass,
    ),
    Job::new(LIVE_PRUNE, jobs_interval, always, crate::live::prune_pass),
    Job::new(
        INCIDENT_FANOUT,
        every_second,
        always,
        crate::incidents::fanout::pass,
    ),
];

/// One job.
pub struct Job {
    pub name: &'static str,
    /// Seconds between the end of one run and the start of the next.
    pub interval: fn(&Config) -> u64,
    /// Whether this configuration runs the job at all.
    pub enabled: fn(&Config) -> bool,
    /// One pass: the work due now; returns a one-line summary.
    pub run: fn(&JobCtx) -> Result<String>,
}

impl Job {
    pub const fn new(
        name: &'static str,
        interval: fn(&Config) -> u64,
        enabled: fn(&Config) -> bool,
        run: fn(&JobCtx) -> Result<String>,
    ) -> Job {
        Job {
            name,
            interval,
            enabled,
            run,
        }
    }

    /// The interval in this configuration, at least a second.
    pub fn interval_secs(&self, config: &Config) -> u64 {
        (self.interval)(config).max(1)
    }
}

/// The interval of jobs that must react within a second (mail sending).
pub fn every_second(_: &Config) -> u64 {
    1
}

/// The interval of time-based jobs, which look for work that fell due: `jobs_interval_secs`.
pub fn jobs_interval(config: &Config) -> u64 {
    config.jobs_interval_secs
}

/// For jobs every configuration runs.
pub fn always(_: &Config) -> bool {
    true
}

/// The job named `name`.
pub fn find(name: &str) -> Option<&'static Job> {
    JOBS.iter().find(|j| j.name == name)
}

/// The names of all jobs, for messages.
pub fn names() -> Vec<&'static str> {
    JOBS.iter().map(|j| j.name).collect()
}

/// What a pass gets.
pub struct JobCtx {
    pub db: Db,
    pub config: Arc<Config>,
    /// When this pass started (Unix seconds): time-based work compares against it rather than
    /// reading the clock again.
    pub now: i64,
    /// The first pass since this process took the job's lease (a start or a take-over).
    pub first: bool,
}

/// Seconds to wait before the first run in a process, given the stored next run: none when it
/// is unknown (never ran) or past; else until then, but at most one interval, since the interval
/// may have been shortened since.
pub fn first_wait(next_run_at: Option<i64>, now: i64, interval_secs: u64) -> u64 {
    match next_run_at {
        Some(next) if next > now => (next - now).unsigned_abs().min(interval_secs),
        _ => 0,
    }
}

/// When the next run is due after a run that finished at `finished_at`.
pub fn next_run_at(finished_at: i64, interval_secs: u64) -> i64 {
    finished_at.saturating_add(i64::try_from(interval_secs).unwrap_or(i64::MAX))
}

/// A finished run.
#[derive(Debug, Clone)]
pub struct Pass {
    /// The summary, or what went wrong.
    pub outcome: std::result::Result<String, String>,
    pub duration_ms: i64,
    pub next_run_at: i64,
}

/// An error as a job's outcome: its message, without the HTTP status.
fn message(e: &Error) -> String {
    match e {
        Error::BadRequest(m) | Error::Internal(m) => m.clone(),
        Error::StorageFull => "the disk is full".into(),
        Error::ReadOnly => "the database cannot be written (read-only)".into(),
        other => other.to_string(),
    }
}

/// Runs one pass of `job` now and records it. The caller holds the job's lease. Fails only when
/// the run could not be recorded; the pass's own failure is in `Pass::outcome`.
pub fn run_pass(job: &Job, db: &Db, config: &Arc<Config>, first: bool) -> Result<Pass> {
    let started_at = db::now();
    let clock = Instant::now();
    let ctx = JobCtx {
        db: db.clone(),
        config: config.clone(),
        now: started_at,
        first,
    };
    let outcome = match catch_unwind(AssertUnwindSafe(|| (job.run)(&ctx))) {
        Ok(Ok(summary)) => Ok(summary),
        Ok(Err(e)) => Err(message(&e)),
        Err(_) => Err("the pass panicked".to_string()),
    };
    let duration_ms = i64::try_from(clock.elapsed().as_millis()).unwrap_or(i64::MAX);
    let next = next_run_at(db::now(), job.interval_secs(config));
    let run = state::Run {
        name: job.name,
        started_at,
        duration_ms,
        outcome: match &outcome {
            Ok(s) => Ok(s.as_str()),
            Err(e) => Err(e.as_str()),
        },
        next_run_at: next,
    };
    db.write_blocking(|c| state::record(c, &run))?;
    Ok(Pass {
        outcome,
        duration_ms,
        next_run_at: next,
    })
}

/// Runs one pass of the job `name` in this process now, as `helpdesk jobs run` does: refused for
/// an unknown name, a job this configuration does not run, and while another process (a
/// running server) holds the job's lease.
pub fn run_now(db: &Db, config: &Config, name: &str) -> Result<Pass> {
    let job = find(name).ok_or_else(|| {
        Error::BadRequest(format!(
            "there is no job {name:?}; the jobs are: {}",
            names().join(", ")
        ))
    })?;
    if !(job.enabled)(config) {
        return Err(Error::BadRequest(format!(
            "the job {name} is off in this configuration"
        )));
    }
    let Some(_lease) = lease::try_take(&config.db, name)? else {
        return Err(Error::BadRequest(format!(
            "a running process (a server?) holds the lock of the job {name} for {} and runs it \
             itself; to run it now, use \"Run now\" on its admin jobs page",
            config.db.display()
        )));
    };
    run_pass(job, db, &Arc::new(config.clone()), true)
}

/// A job as the listings show it.
#[derive(Debug, Clone, Serialize)]
pub struct Status {
    pub name: &'static str,
    pub enabled: bool,
    pub interval_secs: u64,
    /// None before its first run.
    pub state: Option<JobState>,
    /// Whether a running process holds the job's lease (so runs it, or could).
    pub locked: bool,
}

/// Every job with its stored state and whether a process holds its lease. Blocking: it reads
/// the database and tries each lock file.
pub fn status(db: &Db, config: &Config) -> Result<Vec<Status>> {
    let stored = db.read_blocking(state::all)?;
    JOBS.iter()
        .map(|job| {
            Ok(Status {
                name: job.name,
                enabled: (job.enabled)(config),
                interval_secs: job.interval_secs(config),
                state: stored.iter().find(|s| s.name == job.name).cloned(),
                locked: lease::is_held(&config.db, job.name)?,
            })
        })
        .collect()
}

/// Starts a runner for every job this configuration runs. Call it once per server, from within
/// the Tokio runtime.
pub fn start(db: Db, config: Config) {
    let config = Arc::new(config);
    for job in JOBS.iter().filter(|j| (j.enabled)(&config)) {
        tokio::spawn(runner(job, db.clone(), config.clone()));
    }
}

/// Waits until this process holds the lease for `job` (at once, unless another process runs it
/// on the same database; then when that one stops).
async fn wait_for_lease(db: &Path, job: &str) -> lease::Lease {
    let mut told = false;
    loop {
        match lease::try_take(db, job) {
            Ok(Some(lease)) => return lease,
            Ok(None) if !told => {
                log::warn!(
                    "jobs: another process runs {job} for {}; waiting until it stops",
                    db.display()
                );
                told = true;
            }
            Ok(None) => {}
            Err(e) if !told => {
                log::error!("jobs: {}", message(&e));
                told = true;
            }
            Err(_) => {}
        }
        tokio::time::sleep(Duration::from_secs(2)).await;
    }
}

/// One job's loop: takes its lease, resumes from its stored next run, then runs a pass every
/// interval and whenever woken. The same failure over and over (a server down for an hour) is
/// logged once.
async fn runner(job: &'static Job, db: Db, config: Arc<Config>) {
    // Before the lease: a wake while another process runs the job is not worth keeping, but
    // one between taking the lease and the first wait is.
    let mut wakes = wake::subscribe(job.name);
    let _lease = wait_for_lease(&config.db, job.name).await;
    let interval = job.interval_secs(&config);
    let stored = {
        let db = db.clone();
        tokio::task::spawn_blocking(move || db.read_blocking(|c| state::get(c, job.name))).await
    };
    let next = match stored {
        Ok(Ok(state)) => state.and_then(|s| s.next_run_at),
        Ok(Err(e)) => {
            log::error!("{}: reading its state: {}", job.name, message(&e));
            None
        }
        Err(e) => {
            log::error!("{}: reading its state: {e}", job.name);
            None
        }
    };
    let mut wait = Duration::from_secs(first_wait(next, db::now(), interval));
    let mut first = true;
    let mut last_error: Option<String> = None;
    loop {
        if !wait.is_zero() {
            tokio::select! {
                _ = tokio::time::sleep(wait) => {}
                _ = wakes.woken() => {}
            }
        }
        wakes.clear();
        let (db, config) = (db.clone(), config.clone());
        let pass = tokio::task::spawn_blocking(move || run_pass(job, &db, &config, first)).await;
        first = false;
        let error = match pass {
            Ok(Ok(Pass { outcome: Ok(_), .. })) => None,
            Ok(Ok(Pass {
                outcome: Err(e), ..
            })) => Some(e),
            Ok(Err(e)) => Some(format!("recording the run: {}", message(&e))),
            Err(e) => Some(e.to_string()),
        };
        match error {
            None if last_error.take().is_some() => log::info!("{}: works again", job.name),
            None => {}
            Some(e) => {
                if last_error.as_ref() != Some(&e) {
                    log::error!("{}: {e}", job.name);
                }
                last_error = Some(e);
            }
        }
        wait = Duration::from_secs(interval);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_first_run_resumes_from_the_stored_next_run() {
        let now = 1_000_000;
        assert_eq!(first_wait(None, now, 60), 0, "never ran: at once");
        assert_eq!(first_wait(Some(now - 5), now, 60), 0, "overdue: at once");
        assert_eq!(first_wait(Some(now), now, 60), 0, "due now");
        assert_eq!(
            first_wait(Some(now + 20), now, 60),
            20,
            "the rest of the wait"
        );
        assert_eq!(
            first_wait(Some(now + 3600), now, 60),
            60,
            "never more than the interval in force"
        );
    }

    #[test]
    fn the_next_run_is_one_interval_after_the_last_ended() {
        assert_eq!(next_run_at(1_000, 30), 1_030);
        assert_eq!(next_run_at(1_000, 1), 1_001);
        assert_eq!(next_run_at(i64::MAX - 1, u64::MAX), i64::MAX);
    }

    #[test]
    fn jobs_have_unique_names_and_their_intervals_come_from_the_config() {
        let mut names = names();
        names.sort_unstable();
        names.dedup();
        assert_eq!(names.len(), JOBS.len());
        let config = Config {
            imap_interval_secs: 90,
            jobs_interval_secs: 45,
            ..Config::default()
        };
        let interval = |name| find(name).map(|j| j.interval_secs(&config));
        assert_eq!(interval(MAIL_SEND), Some(1));
        assert_eq!(interval(MAIL_FETCH), Some(90));
        assert_eq!(jobs_interval(&config), 45);
        let enabled = |c: &Config, name| find(name).is_some_and(|j| (j.enabled)(c));
        assert!(enabled(&config, MAIL_SEND));
        assert!(!enabled(&config, MAIL_FETCH), "no imap_host");
        let imap = Config {
            imap_host: "imap.example.com".into(),
            ..Config::default()
        };
        assert!(enabled(&imap, MAIL_FETCH));
        assert!(find("nope").is_none());
    }
}
