//! The single writer's group commit. One thread owns the turn at the write connection for the
//! async callers (`Db::write`): it takes every request waiting in its queue (up to `MAX_GROUP`,
//! for at most `MAX_GROUP_TIME`), runs each in its own savepoint of one IMMEDIATE transaction,
//! commits once, and only then answers each caller. One commit writes each changed page to the
//! WAL once for the whole group, instead of once per request, and the callers no longer take
//! turns at a lock through a blocking thread each.
//!
//! A request that fails is rolled back to its savepoint alone and answered with its error; the
//! others in the group still commit. The first request of a transaction needs no savepoint (a
//! failure rolls back the transaction, which holds nothing else), so a lone request, the usual
//! case on a quiet desk, and the big batch jobs (`demo`, `reindex`) cost what they did before.

use std::cell::RefCell;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::sync::mpsc::Receiver;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use rusqlite::Connection;
use tokio::sync::oneshot;

use crate::error::{Error, Result};

/// At most this many requests share one commit, so that a long queue still gets answers in
/// steady steps rather than one huge transaction.
pub const MAX_GROUP: usize = 64;
/// A group takes no new requests after this long: the first caller waits for the others' work
/// only this much.
pub const MAX_GROUP_TIME: Duration = Duration::from_millis(2);

/// Code run after the commit of the write that registered it (see `after_commit`).
type Hook = Box<dyn FnOnce()>;

/// What every write transaction does last, just before its commit, whatever its requests did
/// (`crate::search::flush_pending` for the desk's database).
pub(super) type BeforeCommit = fn(&Connection) -> Result<()>;

thread_local! {
    /// Hooks registered by the write request running on this thread (the writer thread, or a
    /// `write_blocking` caller): a request runs from start to end on one thread.
    static HOOKS: RefCell<Vec<Hook>> = const { RefCell::new(Vec::new()) };
}

/// Runs `hook` once the transaction of the write running on this thread has committed, and
/// never if that write fails or its commit does. For what must not happen before the change is
/// visible to every reader: waking a job for work just queued, telling live pages of a change.
/// Call it from inside a `Db::write`/`write_blocking` closure, next to the statement it is about.
/// A hook runs on the writer thread, with the write connection taken: it must be quick and must
/// not write (signal a task that does).
pub fn after_commit(hook: impl FnOnce() + 'static) {
    HOOKS.with(|h| h.borrow_mut().push(Box::new(hook)));
}

/// The hooks registered since the last call, taken away from the thread.
pub(super) fn take_hooks() -> Vec<Hook> {
    HOOKS.with(|h| std::mem::take(&mut *h.borrow_mut()))
}

pub(super) fn run_hooks(hooks: Vec<Hook>) {
    for hook in hooks {
        hook();
    }
}

/// One queued write, its types hidden so that requests of any result type share the queue.
pub(super) trait Request: Send {
    /// Runs the caller's closure; true when it returned Ok (its changes are to be kept).
    fn run(&mut self, conn: &Connection) -> bool;
    /// Answers the caller: its closure's own result, or `commit`'s error when its changes were
    /// kept but the commit failed.
    fn answer(self: Box<Self>, commit: Option<&Error>);
    /// Answers a caller whose closure never ran with `e`.
    fn refuse(self: Box<Self>, e: Error);
}

/// A write from `Db::write`: its closure, then its result until the group's commit.
pub(super) struct Pending<T, F> {
    f: Option<F>,
    out: Option<Result<T>>,
    reply: oneshot::Sender<Result<T>>,
}

impl<T, F> Pending<T, F> {
    pub fn new(f: F, reply: oneshot::Sender<Result<T>>) -> Pending<T, F> {
        Pending {
            f: Some(f),
            out: None,
            reply,
        }
    }
}

impl<T, F> Request for Pending<T, F>
where
    T: Send,
    F: FnOnce(&Connection) -> Result<T> + Send,
{
    fn run(&mut self, conn: &Connection) -> bool {
        let Some(f) = self.f.take() else {
            return false;
        };
        let out = f(conn);
        let ok = out.is_ok();
        self.out = Some(out);
        ok
    }

    fn answer(self: Box<Self>, commit: Option<&Error>) {
        let out = match (self.out, commit) {
            (Some(Ok(_)), Some(failed)) => Err(duplicate(failed)),
            (Some(out), _) => out,
            // The closure panicked: the caller gets an error, the writer carries on.
            (None, _) => Err(Error::internal("the write failed (panicked)")),
        };
        // A caller that went away (its request was cancelled) needs no answer.
        let _ = self.reply.send(out);
    }

    fn refuse(self: Box<Self>, e: Error) {
        let _ = self.reply.send(Err(e));
    }
}

/// The same error again, for each request of a group whose commit failed.
fn duplicate(e: &Error) -> Error {
    match e {
        Error::NotFound => Error::NotFound,
        Error::Forbidden => Error::Forbidden,
        Error::BadRequest(m) => Error::BadRequest(m.clone()),
        Error::TooManyRequests => Error::TooManyRequests,
        Error::PayloadTooLarge => Error::PayloadTooLarge,
        Error::StorageFull => Error::StorageFull,
        Error::ReadOnly => Error::ReadOnly,
        Error::Internal(m) => Error::Internal(m.clone()),
    }
}

/// The writer thread's loop: one group per turn, until every `Db` handle is gone.
pub(super) fn run(
    conn: Arc<Mutex<Connection>>,
    queue: Receiver<Box<dyn Request>>,
    before_commit: BeforeCommit,
) {
    let mut stats = Stats::default();
    while let Ok(first) = queue.recv() {
        // A `write_blocking` caller (a job, the CLI) holds the connection between groups; a
        // panic there leaves it usable (its transaction rolled back on unwinding).
        let conn = conn.lock().unwrap_or_else(|p| p.into_inner());
        let started = Instant::now();
        let (requests, committing) = group(
            &conn,
            first,
            &queue,
            MAX_GROUP,
            MAX_GROUP_TIME,
            before_commit,
        );
        stats.add(requests, started.elapsed(), committing);
    }
}

/// Where the writer's time goes, logged (at the debug level) every `Stats::EVERY` requests: the
/// profile of the write path that matters, since the writer is the one thing that cannot run on
/// both cores.
#[derive(Default)]
struct Stats {
    requests: usize,
    groups: usize,
    busy: Duration,
    committing: Duration,
}

impl Stats {
    const EVERY: usize = 20_000;

    fn add(&mut self, requests: usize, busy: Duration, committing: Duration) {
        self.requests += requests;
        self.groups += 1;
        self.busy += busy;
        self.committing += committing;
        if self.requests >= Stats::EVERY {
            let per = |d: Duration| d.as_micros() / self.requests as u128;
            log::debug!(
                "writer: {} writes in {} groups ({:.1} a group), {} us a write on the writer, \
                 of which {} us committing",
                self.requests,
                self.groups,
                self.requests as f64 / self.groups as f64,
                per(self.busy),
                per(self.committing),
            );
            *self = Stats::default();
        }
    }
}

/// The requests of one group whose changes are in the open transaction, with their hooks.
type Kept = Vec<(Box<dyn Request>, Vec<Hook>)>;

fn group(
    conn: &Connection,
    first: Box<dyn Request>,
    queue: &Receiver<Box<dyn Request>>,
    max: usize,
    time: Duration,
    before_commit: BeforeCommit,
) -> (usize, Duration) {
    let started = Instant::now();
    let mut kept: Kept = Vec::new();
    let mut open = false;
    let mut taken = 0;
    let mut next = Some(first);
    while let Some(mut request) = next.take() {
        taken += 1;
        if !open {
            match conn.execute_batch("BEGIN IMMEDIATE") {
                Ok(()) => open = true,
                Err(e) => {
                    // Nothing of this request ran; it gets the error, the next one tries again.
                    request.refuse(Error::from(e));
                    next = more(queue, taken >= max || started.elapsed() >= time);
                    continue;
                }
            }
        }
        let alone = kept.is_empty();
        if !alone && let Err(e) = conn.execute_batch("SAVEPOINT group_request") {
            request.refuse(Error::from(e));
            next = more(queue, taken >= max || started.elapsed() >= time);
            continue;
        }
        let _ = take_hooks(); // left by nothing that committed: not this request's
        let ok = catch_unwind(AssertUnwindSafe(|| request.run(conn))).unwrap_or(false);
        let hooks = take_hooks();
        let settled = if ok {
            if alone {
                Ok(())
            } else {
                conn.execute_batch("RELEASE group_request")
            }
        } else if alone {
            open = false;
            conn.execute_batch("ROLLBACK")
        } else {
            conn.execute_batch("ROLLBACK TO group_request; RELEASE group_request")
        };
        match settled {
            Ok(()) if ok => kept.push((request, hooks)),
            Ok(()) => request.answer(None),
            Err(e) => {
                // The transaction is in a state we cannot vouch for: undo all of it.
                let e = Error::from(e);
                request.answer(Some(&e));
                abandon(conn, std::mem::take(&mut kept), &e);
                open = false;
            }
        }
        next = more(queue, taken >= max || started.elapsed() >= time);
    }
    if !open {
        return (taken, Duration::ZERO);
    }
    let committing = Instant::now();
    // Outside every request's savepoint: the group's new search rows are indexed together
    // there (FTS5 writes what it holds at each savepoint).
    let committed = before_commit(conn).and_then(|()| {
        conn.execute_batch("COMMIT")?;
        Ok(())
    });
    let committing = committing.elapsed();
    match committed {
        Ok(()) => {
            for (request, hooks) in kept {
                run_hooks(hooks);
                request.answer(None);
            }
        }
        // No constraint of the schema is deferred to the commit (a test keeps it so), so a
        // commit fails only for the storage (disk full, read-only, I/O error), which would fail
        // each request alone as well: every request of the group gets that error.
        Err(e) => abandon(conn, kept, &e),
    }
    (taken, committing)
}

/// The next waiting request, unless the group is `full` (of requests or of time).
fn more(queue: &Receiver<Box<dyn Request>>, full: bool) -> Option<Box<dyn Request>> {
    if full {
        return None;
    }
    // Empty, or closed (the last handle gone): either way the group ends here.
    queue.try_recv().ok()
}

/// Rolls the open transaction back and answers every kept request with `e`.
fn abandon(conn: &Connection, kept: Kept, e: &Error) {
    if !conn.is_autocommit() {
        let _ = conn.execute_batch("ROLLBACK");
    }
    for (request, _hooks) in kept {
        request.answer(Some(e));
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::mpsc::channel;

    type Answer = oneshot::Receiver<Result<i64>>;

    fn db() -> (tempfile::TempDir, Connection) {
        let dir = tempfile::tempdir().expect("temp dir");
        let conn = crate::db::open_connection(&dir.path().join("w.db")).expect("open");
        conn.execute_batch(
            "CREATE TABLE t (id INTEGER PRIMARY KEY, name TEXT NOT NULL UNIQUE);
             CREATE TABLE p (id INTEGER PRIMARY KEY);
             CREATE TABLE c (id INTEGER PRIMARY KEY,
                 p INTEGER REFERENCES p(id) DEFERRABLE INITIALLY DEFERRED);",
        )
        .expect("schema");
        (dir, conn)
    }

    fn insert(name: &'static str) -> impl FnOnce(&Connection) -> Result<i64> + Send {
        move |c| {
            c.execute("INSERT INTO t (name) VALUES (?1)", [name])?;
            Ok(c.last_insert_rowid())
        }
    }

    fn request<F>(f: F) -> (Box<dyn Request>, Answer)
    where
        F: FnOnce(&Connection) -> Result<i64> + Send + 'static,
    {
        let (reply, answer) = oneshot::channel();
        (Box::new(Pending::new(f, reply)), answer)
    }

    /// Queues `requests` and runs them as one group, as the writer thread would with all of
    /// them waiting; bounds wide enough that the group takes them all.
    fn run_group(conn: &Connection, requests: Vec<Box<dyn Request>>) {
        run_group_with(conn, requests, |_| Ok(()));
    }

    fn run_group_with(conn: &Connection, requests: Vec<Box<dyn Request>>, before: BeforeCommit) {
        let (sender, queue) = channel();
        for r in requests {
            sender.send(r).expect("queue");
        }
        let first = queue.recv().expect("first");
        group(
            conn,
            first,
            &queue,
            MAX_GROUP,
            Duration::from_secs(3600),
            before,
        );
        assert!(conn.is_autocommit(), "the group's transaction is over");
    }

    fn names(conn: &Connection) -> Vec<String> {
        let mut stmt = conn
            .prepare("SELECT name FROM t ORDER BY id")
            .expect("prepare");
        stmt.query_map([], |r| r.get(0))
            .expect("query")
            .collect::<rusqlite::Result<_>>()
            .expect("rows")
    }

    fn result(mut answer: Answer) -> Result<i64> {
        answer.try_recv().expect("every caller is answered")
    }

    #[test]
    fn a_failing_request_is_undone_alone_and_the_others_commit_with_their_own_results() {
        let (_dir, conn) = db();
        let (a, ra) = request(insert("a"));
        let (b, rb) = request(insert("b"));
        let (dup, rdup) = request(insert("a"));
        let (boom, rboom) = request(|c| {
            c.execute("INSERT INTO t (name) VALUES ('half done')", [])?;
            panic!("a bug in one request");
        });
        let (e, re) = request(|c| {
            c.execute("INSERT INTO t (name) VALUES ('e')", [])?;
            // A request's own nested savepoint, left open by an error, is undone with it.
            c.execute_batch("SAVEPOINT inner; INSERT INTO t (name) VALUES ('e2')")?;
            Err(Error::BadRequest("refused".into()))
        });
        let (f, rf) = request(insert("f"));
        run_group(&conn, vec![a, b, dup, boom, e, f]);
        assert_eq!(names(&conn), ["a", "b", "f"]);
        assert_eq!(result(ra).ok(), Some(1));
        assert_eq!(result(rb).ok(), Some(2));
        assert!(matches!(result(rdup), Err(Error::Internal(m)) if m.contains("UNIQUE")));
        assert!(matches!(result(rboom), Err(Error::Internal(m)) if m.contains("panicked")));
        assert!(matches!(result(re), Err(Error::BadRequest(_))));
        assert_eq!(result(rf).ok(), Some(3));
    }

    #[test]
    fn a_failing_first_request_leaves_the_rest_of_the_group_to_commit() {
        let (_dir, conn) = db();
        conn.execute("INSERT INTO t (name) VALUES ('taken')", [])
            .expect("row");
        let (dup, rdup) = request(insert("taken"));
        let (a, ra) = request(insert("a"));
        let (b, rb) = request(insert("b"));
        run_group(&conn, vec![dup, a, b]);
        assert!(result(rdup).is_err());
        assert!(result(ra).is_ok() && result(rb).is_ok());
        assert_eq!(names(&conn), ["taken", "a", "b"]);
    }

    #[test]
    fn hooks_run_after_the_commit_and_only_for_the_requests_that_were_kept() {
        let (dir, conn) = db();
        let path = dir.path().join("w.db");
        // Each hook notes its name and the rows another connection sees: the group's commit must
        // be done by then.
        let seen = Arc::new(Mutex::new(Vec::new()));
        let with_hook = |name: &'static str| {
            let (seen, path) = (seen.clone(), path.clone());
            move |c: &Connection| {
                c.execute("INSERT INTO t (name) VALUES (?1)", [name])?;
                after_commit(move || {
                    let other = crate::db::open_connection(&path).expect("open");
                    let n: i64 = other
                        .query_row("SELECT COUNT(*) FROM t", [], |r| r.get(0))
                        .expect("count");
                    seen.lock().expect("seen").push((name, n));
                });
                Ok(c.last_insert_rowid())
            }
        };
        let (a, _ra) = request(with_hook("a"));
        let (dup, _rdup) = request(with_hook("a"));
        let (b, _rb) = request(with_hook("b"));
        run_group(&conn, vec![a, dup, b]);
        assert_eq!(*seen.lock().expect("seen"), [("a", 2), ("b", 2)]);
        assert!(take_hooks().is_empty(), "nothing left for the next group");
    }

    #[test]
    fn a_group_indexes_its_kept_tickets_at_the_commit_and_nothing_of_a_failed_one() {
        let dir = tempfile::tempdir().expect("temp dir");
        let mut conn = crate::db::open_connection(&dir.path().join("s.db")).expect("open");
        crate::db::migrate(&mut conn).expect("schema");
        let ticket = |subject: &'static str, body: &'static str, fail: bool| {
            move |c: &Connection| -> Result<i64> {
                c.execute(
                    "INSERT INTO tickets (tracking_id, access_token, subject, requester_name,
                         requester_email, category_id, priority_id, status_id, created_at,
                         updated_at)
                     VALUES (?1, 'x', ?1, 'Ana', 'ana@office.example', 1, 1, 1, 0, 0)",
                    [subject],
                )?;
                let id = c.last_insert_rowid();
                c.execute(
                    "INSERT INTO messages (ticket_id, kind, author_name, body, created_at)
                     VALUES (?1, 'requester', 'Ana', ?2, 0)",
                    rusqlite::params![id, body],
                )?;
                if fail {
                    return Err(Error::BadRequest("refused".into()));
                }
                Ok(id)
            }
        };
        let (a, ra) = request(ticket("Printer jams", "The wombat tray", false));
        let (b, rb) = request(ticket("Scanner", "A platypus page", true));
        let (c, rc) = request(ticket("Monitor", "Flickers like a wombat", false));
        run_group_with(&conn, vec![a, b, c], crate::search::flush_pending);
        assert!(result(rb).is_err());
        let (a, c) = (result(ra).expect("a"), result(rc).expect("c"));
        let found = |word: &str| -> Vec<i64> {
            let mut stmt = conn
                .prepare(
                    "SELECT DISTINCT rowid >> 24 FROM ticket_search WHERE ticket_search MATCH ?1
                     ORDER BY 1",
                )
                .expect("prepare");
            stmt.query_map([word], |r| r.get(0))
                .expect("query")
                .collect::<rusqlite::Result<_>>()
                .expect("rows")
        };
        assert_eq!(found("wombat"), [a, c]);
        assert_eq!(found("printer"), [a]);
        assert!(
            found("platypus").is_empty(),
            "the refused ticket left no row"
        );
        let waiting: i64 = conn
            .query_row("SELECT COUNT(*) FROM search_pending", [], |r| r.get(0))
            .expect("count");
        assert_eq!(waiting, 0, "nothing waits once the group committed");
    }

    #[test]
    fn a_failed_commit_answers_every_kept_request_with_its_error() {
        let (_dir, conn) = db();
        let (a, ra) = request(insert("a"));
        // A deferred foreign key is checked at COMMIT only; the app's schema has none (the
        // integration tests keep it so), this table is here to make a commit fail.
        let (orphan, rorphan) = request(|c| {
            c.execute("INSERT INTO c (p) VALUES (42)", [])?;
            Ok(0)
        });
        run_group(&conn, vec![a, orphan]);
        assert!(result(ra).is_err());
        assert!(result(rorphan).is_err());
        assert!(names(&conn).is_empty(), "nothing of the group was kept");
    }
}
