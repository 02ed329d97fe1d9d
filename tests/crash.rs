//! The crash drill: the real server is killed with SIGKILL while 16 clients submit tickets and
//! replies. Afterwards the database must be intact and hold everything the server acknowledged,
//! and the server must start again on it.

use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use crate::common;
use crate::common::Multipart;
use crate::common::server::{self, Server};
use rusqlite::Connection;

/// Concurrent clients: 200 submissions are in flight together when the kill lands.
const THREADS: usize = 200;
/// Ticket submissions started before the kill, at most (the kill catches some in flight).
const TARGET_ATTEMPTS: usize = 400;
/// Acknowledged tickets wanted before killing once a second has passed (and one reply: a client
/// replies on its second round, which a busy machine reaches later).
const MIN_ACKED: usize = 50;
/// Kill no later than this, however slow the machine.
const HARD_LIMIT: Duration = Duration::from_secs(10);
const EMAIL: &str = "crash@office.example";

/// What one client saw.
#[derive(Default)]
struct Seen {
    /// Tickets acknowledged with a 303 to their page: tracking ID, subject, attachment bytes.
    tickets: Vec<(String, String, Option<Vec<u8>>)>,
    /// Replies acknowledged with a 303: tracking ID and the reply's unique body.
    replies: Vec<(String, String)>,
    /// Requests cut off by the kill.
    cut: usize,
    /// Anything else: an error status, a transport error before the kill, an odd redirect.
    unexpected: Vec<String>,
}

struct Shared {
    base: String,
    killed: AtomicBool,
    attempts: AtomicUsize,
    acked: AtomicUsize,
    replied: AtomicUsize,
}

/// Sorts a failed request: cut by the kill, or a real problem.
fn failure(shared: &Shared, seen: &mut Seen, what: &str, err: ureq::Error) {
    match err {
        ureq::Error::Transport(_) if shared.killed.load(Ordering::SeqCst) => seen.cut += 1,
        ureq::Error::Transport(t) => seen
            .unexpected
            .push(format!("{what}: transport error before the kill: {t}")),
        ureq::Error::Status(code, _) => seen.unexpected.push(format!("{what}: status {code}")),
    }
}

fn client(n: usize, shared: &Shared) -> Seen {
    let mut seen = Seen::default();
    let agent = server::agent();
    let token = match agent.get(&format!("{}/tickets/new", shared.base)).call() {
        Ok(res) => match res.into_string() {
            Ok(body) if body.contains("name=\"csrf_token\"") => common::csrf_in(&body),
            // The kill can cut this very response short.
            _ if shared.killed.load(Ordering::SeqCst) => return seen,
            other => panic!("GET /tickets/new gave no form before the kill: {other:?}"),
        },
        Err(e) => {
            failure(shared, &mut seen, "GET /tickets/new", e);
            return seen;
        }
    };
    let mut i = 0;
    while !shared.killed.load(Ordering::SeqCst) {
        // A reply on one of this client's acknowledged tickets every second round.
        let reply_to = if i % 2 == 1 {
            seen.tickets.last().map(|t| t.0.clone())
        } else {
            None
        };
        if let Some(tid) = reply_to {
            let body = format!("reply {n}-{i} on {tid}");
            let mut form = Multipart::new();
            form.text("csrf_token", &token).text("message", &body);
            let res = agent
                .post(&format!("{}/tickets/{tid}/reply", shared.base))
                .set("Content-Type", &Multipart::header_value())
                .send_bytes(&form.finish());
            match res {
                Ok(r)
                    if r.status() == 303
                        && r.header("Location")
                            == Some(format!("/tickets/{tid}#latest").as_str()) =>
                {
                    seen.replies.push((tid, body));
                    shared.replied.fetch_add(1, Ordering::SeqCst);
                }
                Ok(r) => seen.unexpected.push(format!(
                    "reply: status {} to {:?}",
                    r.status(),
                    r.header("Location")
                )),
                Err(e) => {
                    failure(shared, &mut seen, "reply", e);
                    break;
                }
            }
        }
        if shared.attempts.fetch_add(1, Ordering::SeqCst) >= TARGET_ATTEMPTS + THREADS {
            break;
        }
        let subject = format!("Crash drill {n}-{i}");
        let attachment =
            (i % 4 == 1).then(|| format!("log of {subject}\n").repeat(40).into_bytes());
        let mut form = Multipart::new();
        form.text("csrf_token", &token)
            .text("name", &format!("Client {n}"))
            .text("email", EMAIL)
            .text("category", "1")
            .text("subject", &subject)
            .text("message", &format!("Message of {subject}"));
        if let Some(data) = &attachment {
            form.file(
                "attachments",
                &format!("drill-{n}-{i}.txt"),
                "text/plain",
                data,
            );
        }
        let res = agent
            .post(&format!("{}/tickets", shared.base))
            .set("Content-Type", &Multipart::header_value())
            .send_bytes(&form.finish());
        match res {
            Ok(r) if r.status() == 303 => {
                let location = r.header("Location").unwrap_or("").to_string();
                let tid = location
                    .strip_prefix("/tickets/")
                    .and_then(|rest| rest.strip_suffix("?created=true"))
                    .filter(|t| common::is_tracking_id(t));
                match tid {
                    Some(tid) => {
                        seen.tickets.push((tid.to_string(), subject, attachment));
                        shared.acked.fetch_add(1, Ordering::SeqCst);
                    }
                    None => seen
                        .unexpected
                        .push(format!("submission: odd redirect {location:?}")),
                }
            }
            Ok(r) => seen
                .unexpected
                .push(format!("submission: status {}", r.status())),
            Err(e) => {
                failure(shared, &mut seen, "submission", e);
                break;
            }
        }
        i += 1;
    }
    seen
}

fn count(conn: &Connection, sql: &str, params: impl rusqlite::Params) -> i64 {
    conn.query_row(sql, params, |r| r.get(0))
        .unwrap_or_else(|e| panic!("{sql}: {e}"))
}

#[test]
fn sigkill_under_load_loses_no_acknowledged_write() {
    let _heavy = common::heavy_test_lock();
    let started = Instant::now();
    let dir = tempfile::tempdir().expect("temp dir");
    let db = dir.path().join("helpdesk.db");
    let server = Server::start(&db);
    let shared = Arc::new(Shared {
        base: server.url(""),
        killed: AtomicBool::new(false),
        attempts: AtomicUsize::new(0),
        acked: AtomicUsize::new(0),
        replied: AtomicUsize::new(0),
    });
    let results = Arc::new(Mutex::new(Vec::new()));
    let handles: Vec<_> = (0..THREADS)
        .map(|n| {
            let shared = Arc::clone(&shared);
            let results = Arc::clone(&results);
            std::thread::spawn(move || {
                let seen = client(n, &shared);
                results.lock().unwrap_or_else(|p| p.into_inner()).push(seen);
            })
        })
        .collect();

    // Kill once the budget of submissions is under way, or after a second with enough
    // acknowledged, or at the hard limit.
    let load = Instant::now();
    loop {
        let attempts = shared.attempts.load(Ordering::SeqCst);
        let acked = shared.acked.load(Ordering::SeqCst);
        let replied = shared.replied.load(Ordering::SeqCst);
        let elapsed = load.elapsed();
        if attempts >= TARGET_ATTEMPTS
            || (elapsed >= Duration::from_secs(1) && acked >= MIN_ACKED && replied > 0)
            || elapsed >= HARD_LIMIT
        {
            break;
        }
        std::thread::sleep(Duration::from_millis(2));
    }
    shared.killed.store(true, Ordering::SeqCst);
    server.kill9();
    for h in handles {
        h.join().expect("client thread");
    }

    let seen = std::mem::take(&mut *results.lock().unwrap_or_else(|p| p.into_inner()));
    let tickets: Vec<_> = seen
        .iter()
        .flat_map(|s| s.tickets.iter().cloned())
        .collect();
    let replies: Vec<_> = seen
        .iter()
        .flat_map(|s| s.replies.iter().cloned())
        .collect();
    let unexpected: Vec<_> = seen
        .iter()
        .flat_map(|s| s.unexpected.iter().cloned())
        .collect();
    let cut: usize = seen.iter().map(|s| s.cut).sum();
    let attempts = shared
        .attempts
        .load(Ordering::SeqCst)
        .min(TARGET_ATTEMPTS + THREADS);
    eprintln!(
        "crash drill: {attempts} submissions started, {} tickets and {} replies acknowledged, {cut} requests cut by the kill",
        tickets.len(),
        replies.len()
    );
    assert!(
        unexpected.is_empty(),
        "every request before the kill succeeded: {unexpected:?}"
    );
    assert!(
        tickets.len() >= 10,
        "enough tickets were acknowledged before the kill: {}",
        tickets.len()
    );
    assert!(
        !replies.is_empty(),
        "some replies were acknowledged before the kill"
    );
    assert!(cut > 0, "the kill caught requests in flight");

    {
        let conn = Connection::open(&db).expect("open the database after the crash");
        let integrity: String = conn
            .query_row("PRAGMA integrity_check", [], |r| r.get(0))
            .expect("integrity_check");
        assert_eq!(integrity, "ok");
        assert_eq!(
            count(&conn, "SELECT COUNT(*) FROM pragma_foreign_key_check", []),
            0,
            "no broken references"
        );
        // Each ticket was written in one transaction: no ticket without its message.
        assert_eq!(
            count(
                &conn,
                "SELECT COUNT(*) FROM tickets t WHERE message_count != (SELECT COUNT(*) FROM messages m WHERE m.ticket_id = t.id)
                    OR NOT EXISTS (SELECT 1 FROM messages m WHERE m.ticket_id = t.id)",
                []
            ),
            0,
            "every ticket has exactly the messages it counts"
        );
        for (tid, subject, attachment) in &tickets {
            assert_eq!(
                count(
                    &conn,
                    "SELECT COUNT(*) FROM tickets WHERE tracking_id = ?1 AND subject = ?2",
                    [tid, subject]
                ),
                1,
                "acknowledged ticket {tid} ({subject}) survived the crash"
            );
            if let Some(data) = attachment {
                let stored: Vec<u8> = conn
                    .query_row(
                        "SELECT a.data FROM attachments a JOIN tickets t ON t.id = a.ticket_id WHERE t.tracking_id = ?1",
                        [tid],
                        |r| r.get(0),
                    )
                    .unwrap_or_else(|e| panic!("attachment of acknowledged ticket {tid} survived the crash: {e}"));
                assert_eq!(&stored, data, "attachment of {tid} is intact");
            }
        }
        for (tid, body) in &replies {
            assert_eq!(
                count(
                    &conn,
                    "SELECT COUNT(*) FROM messages m JOIN tickets t ON t.id = m.ticket_id
                     WHERE t.tracking_id = ?1 AND m.body = ?2 AND m.kind = 'requester'",
                    [tid, body]
                ),
                1,
                "acknowledged reply {body:?} survived the crash"
            );
        }
    }

    // The server starts again on the same file and works.
    let server = Server::start(&db);
    let browser = server::agent();
    let health = browser
        .get(&server.url("/healthz"))
        .call()
        .expect("healthz after restart");
    assert_eq!(health.status(), 200);
    assert_eq!(health.into_string().expect("body"), "ok");
    let token = server::csrf_from(&browser, &server.url("/tickets/new"));
    let mut form = Multipart::new();
    form.text("csrf_token", &token)
        .text("name", "After Crash")
        .text("email", EMAIL)
        .text("category", "1")
        .text("subject", "Submitted after the restart")
        .text("message", "Does it still work?");
    let res = browser
        .post(&server.url("/tickets"))
        .set("Content-Type", &Multipart::header_value())
        .send_bytes(&form.finish())
        .expect("submit after restart");
    assert_eq!(res.status(), 303);
    let location = res.header("Location").unwrap_or("").to_string();
    let page = browser
        .get(&server.url(&location))
        .call()
        .expect("new ticket page")
        .into_string()
        .expect("body");
    assert!(
        page.contains("Submitted after the restart"),
        "the new ticket's page shows it"
    );
    // A ticket acknowledged before the crash is found by its tracking ID and email.
    let (tid, subject, _) = &tickets[tickets.len() / 2];
    let res = browser
        .post(&server.url("/tickets/lookup"))
        .send_form(&[
            ("csrf_token", &token),
            ("tracking_id", tid),
            ("email", EMAIL),
        ])
        .expect("lookup after restart");
    assert_eq!(
        (res.status(), res.header("Location")),
        (303, Some(format!("/tickets/{tid}").as_str()))
    );
    let page = browser
        .get(&server.url(&format!("/tickets/{tid}")))
        .call()
        .expect("old ticket page")
        .into_string()
        .expect("body");
    assert!(
        page.contains(subject.as_str()),
        "ticket {tid} from before the crash is served"
    );
    assert!(
        started.elapsed() < Duration::from_secs(50),
        "the drill took {:?}",
        started.elapsed()
    );
}
