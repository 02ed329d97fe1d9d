//! The `webhook_deliver` job: POSTs the queued deliveries, on threads of its own, never a
//! request's.
//!
//! - **In order per webhook.** Each webhook's deliveries go oldest first, one at a time, and a
//!   later one waits while an earlier one waits for its retry: a receiver sees the events in the
//!   order they happened.
//! - **One slow webhook holds back no other.** A pass starts one thread per webhook with due work
//!   (none for a webhook a thread already serves) and waits for them a moment only; a thread
//!   still waiting on a receiver that does not answer goes on alone, and the next pass, a second
//!   later, serves the others. Every request has a timeout (`webhook_timeout_secs`).
//! - **Retries.** 2xx is delivered. Anything else (another status, a redirect, which is never
//!   followed, a refused connection, a timeout) is retried after 30 s, 1, 2, 5, 10 and 30 min,
//!   then every hour, until 24 hours after the event was queued; then it is `failed`.
//! - **Durable.** The state is in the table: a restart resumes where it was, and a delivery in
//!   flight when the process died is sent again (receivers dedupe by `X-Helpdesk-Delivery`).
//! - **The clock is a parameter**: a pass works at `JobCtx::now`, and the times it records move
//!   on from there with the time it has taken, so tests set times instead of waiting.

use std::collections::BTreeSet;
use std::io::Read;
use std::path::{Path, PathBuf};
use std::sync::Mutex;
use std::sync::mpsc;
use std::time::{Duration, Instant};

use super::store::{self, Attempt, Outgoing};
use super::{Preset, presets, signature};
use crate::db::Db;
use crate::error::{Error, Result};
use crate::jobs::JobCtx;

/// Sent with every delivery.
pub const USER_AGENT: &str = "Helpdesk-Webhooks";

/// Waits after each failed attempt, the first one first; the last repeats.
const BACKOFF_SECS: [i64; 7] = [30, 60, 120, 300, 600, 1800, 3600];

/// How long a pass waits for its threads before it leaves them to finish alone.
const PASS_WAIT: Duration = Duration::from_secs(2);

/// A thread gives its webhook back after this many deliveries or this long (the next pass takes
/// it up again), so that a webhook's state (deactivated, deleted) is looked at again.
const MAX_PER_RUN: usize = 1000;
const MAX_RUN: Duration = Duration::from_secs(20);

/// Delivered and failed deliveries are forgotten after 30 days.
pub const KEEP_SECS: i64 = 30 * 24 * 3600;

/// Seconds to wait after the `attempts`-th failed attempt: 30 s, 1 min, 2, 5, 10, 30 min, then
/// an hour.
pub fn backoff_secs(attempts: i64) -> i64 {
    let i = usize::try_from(attempts.saturating_sub(1))
        .unwrap_or(0)
        .min(BACKOFF_SECS.len() - 1);
    BACKOFF_SECS[i]
}

/// When to try again after attempt number `attempts` failed at `at`; None once the delivery's
/// retries have run out (`expires_at`). The last try is at `expires_at` itself.
pub fn next_attempt(attempts: i64, at: i64, expires_at: i64) -> Option<i64> {
    (at < expires_at).then(|| (at + backoff_secs(attempts)).min(expires_at))
}

/// What a pass did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Summary {
    pub delivered: usize,
    /// Attempts that failed and will be retried.
    pub retrying: usize,
    /// Deliveries given up on.
    pub failed: usize,
    /// Webhooks whose thread was still at work when the pass ended.
    pub still_sending: usize,
}

impl std::fmt::Display for Summary {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{} delivered, {} to retry, {} failed",
            self.delivered, self.retrying, self.failed
        )?;
        if self.still_sending > 0 {
            write!(f, ", {} webhooks still sending", self.still_sending)?;
        }
        Ok(())
    }
}

impl Summary {
    fn add(&mut self, other: Summary) {
        self.delivered += other.delivered;
        self.retrying += other.retrying;
        self.failed += other.failed;
    }
}

/// The job's pass.
pub fn pass(ctx: &JobCtx) -> Result<String> {
    let timeout = Duration::from_secs(ctx.config.webhook_timeout_secs.max(1));
    run(&ctx.db, timeout, ctx.now, Some(PASS_WAIT)).map(|s| s.to_string())
}

/// One pass at `now` that waits for every delivery it starts: what tests and a one-off run use.
pub fn deliver_due(db: &Db, timeout: Duration, now: i64) -> Result<Summary> {
    run(db, timeout, now, None)
}

/// The webhooks a thread of this process is serving, by database: at most one thread per
/// webhook, which is what keeps its deliveries in order.
static SERVING: Mutex<BTreeSet<(PathBuf, i64)>> = Mutex::new(BTreeSet::new());

/// A webhook taken for one thread; given back when dropped.
struct Serving((PathBuf, i64));

impl Serving {
    fn take(db: &Path, webhook_id: i64) -> Option<Serving> {
        let key = (db.to_path_buf(), webhook_id);
        let mut serving = SERVING.lock().unwrap_or_else(|p| p.into_inner());
        // Lazily: a `Serving` made and dropped here would lock `SERVING` again.
        serving.insert(key.clone()).then(|| Serving(key))
    }
}

impl Drop for Serving {
    fn drop(&mut self) {
        SERVING
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .remove(&self.0);
    }
}

/// Starts a thread for each webhook with due work that no thread serves yet, then waits for them
/// `wait` at most (None: until all are done).
fn run(db: &Db, timeout: Duration, now: i64, wait: Option<Duration>) -> Result<Summary> {
    forget_old(db, now)?;
    let due = db.read_blocking(|c| store::due_webhooks(c, now))?;
    let (done, results) = mpsc::channel();
    let mut started = 0;
    let clock = Instant::now();
    for webhook_id in due {
        let Some(serving) = Serving::take(db.path(), webhook_id) else {
            continue;
        };
        let (db, done) = (db.clone(), done.clone());
        std::thread::Builder::new()
            .name(format!("webhook-{webhook_id}"))
            .spawn(move || {
                let summary = drain(&db, timeout, webhook_id, now, clock).unwrap_or_else(|e| {
                    log::error!("webhook {webhook_id}: {e}");
                    Summary::default()
                });
                // Given back before the pass hears of it, so that the next pass can take it.
                drop(serving);
                let _ = done.send(summary);
            })
            .map_err(|e| Error::internal(format!("starting a webhook thread: {e}")))?;
        started += 1;
    }
    drop(done);
    let deadline = wait.map(|w| clock + w);
    let mut summary = Summary::default();
    let mut finished = 0;
    while finished < started {
        let got = match deadline {
            None => results.recv().ok(),
            Some(d) => results
                .recv_timeout(d.saturating_duration_since(Instant::now()))
                .ok(),
        };
        let Some(one) = got else { break };
        summary.add(one);
        finished += 1;
    }
    summary.still_sending = started - finished;
    Ok(summary)
}

/// Forgets old delivered and failed deliveries, a batch per pass.
fn forget_old(db: &Db, now: i64) -> Result<()> {
    let before = now - KEEP_SECS;
    if db.read_blocking(|c| store::has_old(c, before))? {
        db.write_blocking(|c| store::purge(c, before, 1000))?;
    }
    Ok(())
}

/// Sends webhook `webhook_id`'s due deliveries in order until one fails, none is due, or the
/// run's bounds are reached. Times are `now` moved on by the time since `clock`.
fn drain(db: &Db, timeout: Duration, webhook_id: i64, now: i64, clock: Instant) -> Result<Summary> {
    let agent = ureq::AgentBuilder::new()
        .redirects(0)
        .timeout_connect(timeout)
        .timeout(timeout)
        .user_agent(USER_AGENT)
        .build();
    let at = || now + i64::try_from(clock.elapsed().as_secs()).unwrap_or(0);
    let mut summary = Summary::default();
    for _ in 0..MAX_PER_RUN {
        if clock.elapsed() > MAX_RUN {
            break;
        }
        let Some(d) = db.read_blocking(|c| store::head(c, webhook_id))? else {
            break;
        };
        if d.next_attempt_at > at() {
            break;
        }
        let mut attempt = send(&agent, &d, at())?;
        attempt.at = at();
        let attempts = d.attempts + 1;
        let next = match &attempt.error {
            None => None,
            Some(_) => next_attempt(attempts, attempt.at, d.expires_at),
        };
        db.write_blocking(|c| store::record_attempt(c, d.id, attempts, &attempt, next))?;
        match (&attempt.error, next) {
            (None, _) => summary.delivered += 1,
            (Some(e), Some(_)) => {
                log::warn!("webhook {webhook_id}: {} {}: {e}", d.event, d.delivery_id);
                summary.retrying += 1;
                break;
            }
            (Some(e), None) => {
                log::warn!(
                    "webhook {webhook_id}: {} {} failed for good: {e}",
                    d.event,
                    d.delivery_id
                );
                summary.failed += 1;
                // The next one is tried at once: its own retries are what count for it.
            }
        }
    }
    Ok(summary)
}

/// Where a delivery is POSTed: the webhook's URL, or for ntfy its server's root.
fn target(d: &Outgoing) -> String {
    match d.preset {
        Preset::Ntfy => presets::ntfy_root(&d.url).unwrap_or_else(|| d.url.clone()),
        _ => d.url.clone(),
    }
}

/// The first characters of a receiver's answer, for the log.
fn excerpt(resp: ureq::Response) -> String {
    let mut text = String::new();
    let _ = resp.into_reader().take(64 * 1024).read_to_string(&mut text);
    let text: String = text.trim().chars().take(200).collect();
    text
}

/// One attempt at a delivery, signed at `t`.
fn send(agent: &ureq::Agent, d: &Outgoing, t: i64) -> Result<Attempt> {
    let signature = signature::header(&d.secret, t, d.payload.as_bytes())?;
    let answer = agent
        .post(&target(d))
        .set("Content-Type", "application/json")
        .set("X-Helpdesk-Event", &d.event)
        .set("X-Helpdesk-Delivery", &d.delivery_id)
        .set("X-Helpdesk-Signature", &signature)
        .send_string(&d.payload);
    let (status_code, error) = match answer {
        Ok(resp) if (200..300).contains(&resp.status()) => {
            let code = resp.status();
            // Read to the end (bounded) so the connection can carry the next delivery.
            let _ = excerpt(resp);
            (Some(code), None)
        }
        Ok(resp) => {
            let code = resp.status();
            let to = resp.header("Location").unwrap_or("").to_string();
            let error = if (300..400).contains(&code) {
                format!("HTTP {code}: redirected to {to:?}; redirects are not followed")
            } else {
                format!("HTTP {code}: {}", excerpt(resp))
            };
            (Some(code), Some(error))
        }
        Err(ureq::Error::Status(code, resp)) => {
            (Some(code), Some(format!("HTTP {code}: {}", excerpt(resp))))
        }
        Err(ureq::Error::Transport(e)) => (None, Some(e.to_string())),
    };
    Ok(Attempt {
        at: t,
        status_code,
        error,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn retries_back_off_then_stop_after_a_day() {
        let waits: Vec<i64> = (1..=9).map(backoff_secs).collect();
        assert_eq!(waits, [30, 60, 120, 300, 600, 1800, 3600, 3600, 3600]);
        let queued = 1_000_000;
        let expires = queued + super::super::RETRY_WINDOW_SECS;
        assert_eq!(next_attempt(1, queued, expires), Some(queued + 30));
        assert_eq!(
            next_attempt(30, expires - 60, expires),
            Some(expires),
            "the last try is at the end of the day"
        );
        assert_eq!(next_attempt(31, expires, expires), None, "then it fails");
    }
}
