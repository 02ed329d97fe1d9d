//! Wake signals: a way to run a job before its next tick, because work for it was just queued.
//!
//! Code that queues work inside a write calls `after_commit(job)`, which wakes the job through
//! the database's after-commit hooks (`db::after_commit`): only once the write's transaction
//! committed, never when it (or its commit) failed, so a job is woken only for work that really
//! exists, and never before it can see it. `now(job)` wakes at once,
//! for work that is already committed (an admin's "Run now").
//!
//! Each name has a counter that every wake moves on; every runner of that job in the process
//! watches it, so a wake that arrives while a pass runs is not lost: the runner goes round once
//! more.

use std::collections::BTreeMap;
use std::sync::Mutex;

use tokio::sync::watch;

/// The wake signals of a process, by job name.
pub struct Registry {
    signals: Mutex<BTreeMap<String, watch::Sender<u64>>>,
}

impl Default for Registry {
    fn default() -> Self {
        Registry::new()
    }
}

impl Registry {
    pub const fn new() -> Registry {
        Registry {
            signals: Mutex::new(BTreeMap::new()),
        }
    }

    fn with<T>(&self, job: &str, f: impl FnOnce(&watch::Sender<u64>) -> T) -> T {
        let mut signals = self.signals.lock().unwrap_or_else(|p| p.into_inner());
        let sender = signals
            .entry(job.to_string())
            .or_insert_with(|| watch::Sender::new(0));
        f(sender)
    }

    /// Wakes every runner of `job` (or the next pass of one that is running now).
    pub fn wake(&self, job: &str) {
        self.with(job, |s| s.send_modify(|n| *n = n.wrapping_add(1)));
    }

    /// What a runner of `job` waits on; it sees the wakes from now on.
    pub fn subscribe(&self, job: &str) -> Wakes {
        Wakes(self.with(job, |s| s.subscribe()))
    }
}

/// The wakes of one job, as one runner sees them.
pub struct Wakes(watch::Receiver<u64>);

impl Wakes {
    /// Whether a wake came since the last `woken` or `clear`.
    pub fn pending(&self) -> bool {
        self.0.has_changed().unwrap_or(false)
    }

    /// Forgets the wakes so far: a pass is about to start, and will see the work they announced.
    pub fn clear(&mut self) {
        self.0.borrow_and_update();
    }

    /// Returns at the next wake, or at once if one came since the last `woken` or `clear`.
    pub async fn woken(&mut self) {
        if self.0.changed().await.is_err() {
            // The registry never drops a sender; should it, there is nothing left to wait for.
            std::future::pending::<()>().await;
        }
    }
}

/// The process's registry.
static REGISTRY: Registry = Registry::new();

/// Wakes `job` at once.
pub fn now(job: &str) {
    REGISTRY.wake(job);
}

/// The wakes of `job` in this process.
pub fn subscribe(job: &str) -> Wakes {
    REGISTRY.subscribe(job)
}

/// Asks for `job` to be woken when the write running on this thread commits. Call it next to
/// the statement that queues the work.
pub fn after_commit(job: &'static str) {
    crate::db::after_commit(move || REGISTRY.wake(job));
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_wake_reaches_every_runner_of_its_job_and_only_those() {
        let registry = Registry::new();
        let mut first = registry.subscribe("send");
        let second = registry.subscribe("send");
        let other = registry.subscribe("fetch");
        assert!(!first.pending() && !second.pending());
        registry.wake("send");
        assert!(first.pending() && second.pending());
        assert!(!other.pending(), "another job is not woken");
        first.clear();
        assert!(!first.pending());
        assert!(second.pending(), "each runner sees the wake once");
    }

    #[test]
    fn a_wake_during_a_pass_is_kept_for_the_next_one() {
        let registry = Registry::new();
        let mut runner = registry.subscribe("send");
        registry.wake("send");
        // The pass starts: it covers the wakes so far.
        runner.clear();
        registry.wake("send");
        registry.wake("send");
        assert!(runner.pending(), "woken again once the pass ends");
        runner.clear();
        assert!(!runner.pending(), "two wakes, one more pass");
    }

    #[test]
    fn a_runner_sees_wakes_from_when_it_subscribed() {
        let registry = Registry::new();
        registry.wake("send");
        let runner = registry.subscribe("send");
        assert!(!runner.pending());
    }

    #[test]
    fn now_wakes_at_once() {
        // The process registry: a name of its own, so that no other test's wakes interfere.
        let job = subscribe("test_now");
        assert!(!job.pending());
        now("test_now");
        assert!(job.pending(), "now wakes at once");
    }

    #[tokio::test]
    async fn woken_returns_for_a_wake_that_came_before_it_waited() {
        let registry = Registry::new();
        let mut runner = registry.subscribe("send");
        registry.wake("send");
        tokio::time::timeout(std::time::Duration::from_secs(5), runner.woken())
            .await
            .expect("woken at once");
        assert!(!runner.pending());
    }
}
