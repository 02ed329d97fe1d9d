//! Webhook delivery against real HTTP receivers started by each test, over a real SQLite file
//! with no server (so no job runner): tickets are opened through `workflow::Desk` as any
//! submission is, and the `webhook_deliver` pass is run at chosen moments. A receiver that is
//! down (a closed port) and comes back, one that answers 500, one that redirects, one that never
//! answers (and holds back no other webhook), the 24 hours after which a delivery fails,
//! redelivery, a burst of 1,000 events delivered in order, and the real binary killed with
//! `kill -9` while a delivery is in flight.

use std::time::{Duration, Instant};

use crate::common::receiver::{Receiver, Reply};
use crate::common::server::{Server, free_port};
use helpdesk::db::Db;
use helpdesk::i18n::Lang;
use helpdesk::jobs::JobCtx;
use helpdesk::notify::MailCtx;
use helpdesk::tickets::{Actor, Channel, NewTicket};
use helpdesk::webhooks::deliver::{self, deliver_due};
use helpdesk::webhooks::store::{self, NewWebhook};
use helpdesk::webhooks::{EventKind, Events, Preset};
use helpdesk::workflow::{Ctx, Desk};
use tempfile::TempDir;

const TIMEOUT: Duration = Duration::from_secs(5);
const SECRET: &str = "test-secret-0123456789";
/// A moment in 2031: far from the real clock, which nothing here reads.
const T0: i64 = 1_925_107_200;

/// (status, attempts, next_attempt_at, last_status_code, last_error) of a delivery.
type Row = (String, i64, i64, Option<i64>, Option<String>);

struct Setup {
    db: Db,
    _dir: TempDir,
}

fn desk() -> Setup {
    let dir = tempfile::tempdir().unwrap();
    let db = Db::open(&dir.path().join("helpdesk.db")).unwrap();
    Setup { db, _dir: dir }
}

impl Setup {
    fn webhook(&self, url: &str) -> i64 {
        let hook = NewWebhook {
            name: String::new(),
            url: url.to_string(),
            secret: SECRET.to_string(),
            events: Events::NONE.with(EventKind::TicketCreated),
            preset: Preset::Generic,
            active: true,
        };
        self.db
            .write_blocking(|c| store::insert(c, &hook, T0))
            .unwrap()
    }

    /// Opens a ticket at `now` as a portal submission does; returns its id.
    fn submit(&self, subject: &str, now: i64) -> i64 {
        let ticket = NewTicket {
            requester_name: "Ana Garcia".into(),
            requester_email: "ana@office.example".into(),
            category_id: 2,
            priority_id: 2,
            subject: subject.into(),
            message: "It shows offline.".into(),
            attachments: Vec::new(),
            channel: Channel::Portal,
            assignee_id: None,
            lang: Lang::En,
        };
        let mail = MailCtx {
            config_on: false,
            silent: false,
            base_url: "http://127.0.0.1:8080".into(),
            desk_name: "Helpdesk".into(),
        };
        self.db
            .write_blocking(|c| {
                let ctx = Ctx::new(mail, now);
                let events = Desk::new(c, &ctx).open(&Actor::requester("Ana Garcia"), &ticket)?;
                Ok(events[0].ticket_id)
            })
            .unwrap()
    }

    fn pass(&self, now: i64) -> deliver::Summary {
        deliver_due(&self.db, TIMEOUT, now).unwrap()
    }

    /// Each delivery, oldest first.
    fn deliveries(&self) -> Vec<Row> {
        self.db
            .read_blocking(|c| {
                let mut stmt = c.prepare(
                    "SELECT status, attempts, next_attempt_at, last_status_code, last_error
                     FROM webhook_deliveries ORDER BY id",
                )?;
                let rows = stmt
                    .query_map([], |r| {
                        Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?, r.get(4)?))
                    })?
                    .collect::<rusqlite::Result<Vec<_>>>()?;
                Ok(rows)
            })
            .unwrap()
    }
}

fn subjects(receiver: &Receiver) -> Vec<String> {
    receiver
        .requests()
        .iter()
        .map(|r| r.json()["ticket"]["subject"].as_str().unwrap().to_string())
        .collect()
}

#[test]
fn a_receiver_that_is_down_is_retried_with_back_off_and_gets_everything_in_order_when_back() {
    let d = desk();
    let port = free_port();
    d.webhook(&format!("http://127.0.0.1:{port}/in"));
    d.submit("First", T0);
    let s = d.pass(T0);
    assert_eq!((s.delivered, s.retrying), (0, 1));
    let rows = d.deliveries();
    assert_eq!(rows[0].0, "pending");
    assert_eq!(rows[0].1, 1);
    assert_eq!(rows[0].2, T0 + 30, "30 s after the first failure");
    assert_eq!(rows[0].3, None, "no answer");
    assert!(
        rows[0].4.as_deref().unwrap().contains("onnection refused"),
        "{rows:?}"
    );

    // A later event waits behind it: nothing is tried before the retry is due.
    d.submit("Second", T0 + 5);
    assert_eq!(d.pass(T0 + 10), deliver::Summary::default());
    assert_eq!(d.deliveries()[1].1, 0, "not tried out of order");
    assert_eq!(d.pass(T0 + 30).retrying, 1);
    assert_eq!(d.deliveries()[0].2, T0 + 90, "then a minute");
    assert_eq!(d.pass(T0 + 90).retrying, 1);
    assert_eq!(d.deliveries()[0].2, T0 + 210, "then two");

    // Back: both go, oldest first, each signed.
    let receiver = Receiver::start_on(port);
    let s = d.pass(T0 + 210);
    assert_eq!(s.delivered, 2, "{s}");
    assert_eq!(subjects(&receiver), ["First", "Second"]);
    for r in receiver.requests() {
        let t = r.signed_at(SECRET).expect("valid signature");
        assert!((t - (T0 + 210)).abs() <= 300);
    }
    let rows = d.deliveries();
    assert_eq!((rows[0].0.as_str(), rows[0].1), ("delivered", 4));
    assert_eq!((rows[1].0.as_str(), rows[1].1), ("delivered", 1));
    assert_eq!(rows[0].3, Some(200));
    assert_eq!(
        d.pass(T0 + 300),
        deliver::Summary::default(),
        "nothing twice"
    );
}

#[test]
fn a_500_is_retried_and_what_the_receiver_said_is_logged() {
    let d = desk();
    let receiver = Receiver::start();
    receiver.then(Reply::Status(500, "database is down"));
    d.webhook(&receiver.url("/in"));
    d.submit("Printer", T0);
    assert_eq!(d.pass(T0).retrying, 1);
    let rows = d.deliveries();
    assert_eq!(rows[0].3, Some(500));
    assert_eq!(rows[0].4.as_deref(), Some("HTTP 500: database is down"));
    assert_eq!(d.pass(T0 + 30).delivered, 1);
    assert_eq!(d.deliveries()[0].0, "delivered");
    assert_eq!(
        d.deliveries()[0].4,
        None,
        "the error is cleared once delivered"
    );
    assert_eq!(receiver.requests().len(), 2);
}

#[test]
fn a_redirect_is_a_failure_and_never_followed() {
    let d = desk();
    let receiver = Receiver::start();
    receiver.reply(Reply::Redirect("/elsewhere"));
    d.webhook(&receiver.url("/in"));
    d.submit("Printer", T0);
    assert_eq!(d.pass(T0).retrying, 1);
    let rows = d.deliveries();
    assert_eq!(rows[0].3, Some(302));
    assert!(
        rows[0]
            .4
            .as_deref()
            .unwrap()
            .contains("redirects are not followed")
    );
    let paths: Vec<String> = receiver.requests().iter().map(|r| r.path.clone()).collect();
    assert_eq!(paths, ["/in"], "/elsewhere is never asked");
}

#[test]
fn a_receiver_that_never_answers_times_out_and_holds_back_no_other_webhook() {
    let d = desk();
    let silent = Receiver::start();
    silent.reply(Reply::Silence);
    let good = Receiver::start();
    let slow_hook = d.webhook(&silent.url("/slow"));
    d.webhook(&good.url("/fast"));
    d.submit("Printer", T0);
    // The job's own pass, as the server runs it: it does not wait for the silent receiver.
    let config = helpdesk::Config {
        webhook_timeout_secs: 3,
        ..helpdesk::Config::default()
    };
    let ctx = JobCtx {
        db: d.db.clone(),
        config: std::sync::Arc::new(config),
        now: T0,
        first: true,
    };
    let started = Instant::now();
    let summary = deliver::pass(&ctx).unwrap();
    assert!(
        started.elapsed() < Duration::from_secs(3),
        "the pass did not wait for it"
    );
    assert!(
        summary.contains("1 delivered") && summary.contains("1 webhooks still sending"),
        "{summary}"
    );
    assert_eq!(
        good.requests().len(),
        1,
        "the other webhook got its event meanwhile"
    );
    assert_eq!(silent.requests().len(), 1, "the request was sent");
    // A second pass while it still waits starts nothing more for that webhook.
    assert!(deliver::pass(&ctx).unwrap().starts_with("0 delivered"));
    // Then the timeout counts as a failed attempt, retried later.
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let rows = d.db.read_blocking(move |c| {
            Ok(c.query_row(
                "SELECT attempts, last_error FROM webhook_deliveries WHERE webhook_id = ?1",
                [slow_hook],
                |r| Ok((r.get::<_, i64>(0)?, r.get::<_, Option<String>>(1)?)),
            )?)
        });
        if let Ok((1, Some(error))) = rows {
            assert!(error.to_lowercase().contains("timed out"), "{error}");
            break;
        }
        assert!(Instant::now() < deadline, "the attempt never ended");
        std::thread::sleep(Duration::from_millis(50));
    }
    assert_eq!(silent.requests().len(), 1);
}

#[test]
fn after_24_hours_of_failures_a_delivery_fails_and_the_next_one_is_tried() {
    let d = desk();
    let port = free_port();
    d.webhook(&format!("http://127.0.0.1:{port}/in"));
    d.submit("First", T0);
    d.submit("Second", T0 + 3600);
    d.pass(T0);
    let day = 24 * 3600;
    let s = d.pass(T0 + day + 60);
    assert_eq!((s.failed, s.retrying), (1, 1), "{s}");
    let rows = d.deliveries();
    assert_eq!(rows[0].0, "failed");
    assert_eq!(rows[0].1, 2);
    assert_eq!(rows[1].0, "pending", "its own day is not over");
    assert_eq!(rows[1].1, 1);
    assert_eq!(d.pass(T0 + 2 * day).failed, 1);
    assert_eq!(d.deliveries()[1].0, "failed");
}

#[test]
fn a_redelivery_sends_the_same_delivery_again() {
    let d = desk();
    let receiver = Receiver::start();
    let hook = d.webhook(&receiver.url("/in"));
    d.submit("Printer", T0);
    assert_eq!(d.pass(T0).delivered, 1);
    let id = d
        .db
        .read_blocking(|c| Ok(c.query_row("SELECT id FROM webhook_deliveries", [], |r| r.get(0))?))
        .unwrap();
    let again =
        d.db.write_blocking(move |c| store::redeliver(c, hook, id, T0 + 100))
            .unwrap();
    assert!(again.is_some());
    assert_eq!(d.deliveries()[0].0, "pending");
    assert_eq!(d.pass(T0 + 100).delivered, 1);
    let got = receiver.requests();
    assert_eq!(got.len(), 2);
    assert_eq!(
        got[0].header("x-helpdesk-delivery"),
        got[1].header("x-helpdesk-delivery")
    );
    assert_eq!(got[0].body, got[1].body);
    assert_eq!(got[1].signed_at(SECRET), Some(T0 + 100), "signed anew");
    let other =
        d.db.write_blocking(move |c| store::redeliver(c, hook + 1, id, T0))
            .unwrap();
    assert!(other.is_none(), "only through its own webhook");
}

#[test]
fn a_burst_of_a_thousand_events_is_delivered_in_order() {
    let d = desk();
    let receiver = Receiver::start();
    d.webhook(&receiver.url("/in"));
    for i in 0..1000 {
        d.submit(&format!("Ticket {i:04}"), T0);
    }
    let mut delivered = 0;
    for _ in 0..10 {
        delivered += d.pass(T0 + 1).delivered;
        if delivered == 1000 {
            break;
        }
    }
    assert_eq!(delivered, 1000);
    let got = subjects(&receiver);
    let expected: Vec<String> = (0..1000).map(|i| format!("Ticket {i:04}")).collect();
    assert_eq!(got, expected, "in the order they happened");
    let ids: std::collections::BTreeSet<String> = receiver
        .requests()
        .iter()
        .map(|r| {
            assert!(r.signed_at(SECRET).is_some());
            r.header("x-helpdesk-delivery").unwrap().to_string()
        })
        .collect();
    assert_eq!(ids.len(), 1000, "each its own delivery id");
}

/// The real binary, killed with `kill -9` while the receiver holds a delivery unanswered: started
/// again, it sends that delivery again, the same id and body (receivers dedupe by the id).
#[test]
fn a_delivery_in_flight_when_the_server_is_killed_is_sent_again_after_a_restart() {
    let d = desk();
    let receiver = Receiver::start();
    receiver.reply(Reply::Silence);
    d.webhook(&receiver.url("/in"));
    d.submit("Printer", helpdesk::db::now());
    let server = Server::start(d.db.path());
    let first = receiver.wait_for(1);
    server.kill9();
    assert_eq!(
        d.deliveries()[0].0,
        "pending",
        "nothing was recorded for it"
    );
    receiver.reply(Reply::Status(200, "ok"));
    let _server = Server::start(d.db.path());
    let got = receiver.wait_for(2);
    assert_eq!(
        got[1].header("x-helpdesk-delivery"),
        first[0].header("x-helpdesk-delivery")
    );
    assert_eq!(got[1].body, first[0].body);
    assert!(got[1].signed_at(SECRET).is_some());
    let deadline = Instant::now() + Duration::from_secs(30);
    while d.deliveries()[0].0 != "delivered" {
        assert!(Instant::now() < deadline, "never marked delivered");
        std::thread::sleep(Duration::from_millis(50));
    }
    assert_eq!(
        d.deliveries()[0].1,
        1,
        "one attempt recorded: the one that was answered"
    );
}
