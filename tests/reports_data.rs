//! The reports' fixed data set, made through the real ticket actions at set times, and helpers
//! to read a report's CSV tables and SVG charts back (`reports`, `reports_csv`).

use helpdesk::i18n::Lang;
use helpdesk::notify::MailCtx;
use helpdesk::tickets::actions::{Changes, NewMessage};
use helpdesk::tickets::csat::Draft;
use helpdesk::tickets::{Actor, Channel, MessageKind, NewTicket};
use helpdesk::workflow::{Ctx, Desk};
use rocket::http::Status;
use rocket::local::blocking::Client;

use crate::common::*;
use crate::sla::{admin_client, simple_policy, utc};

/// The days of the report: Monday 2 to Wednesday 4 March 2026, by day.
pub const RANGE: &str = "from=2026-03-02&to=2026-03-04&group=day";

pub struct Desk0<'a> {
    pub app: &'a TestApp,
    pub gus: Actor,
    pub alice: Actor,
    pub gus_id: i64,
    pub alice_id: i64,
}

impl Desk0<'_> {
    pub fn run<T: Send + 'static>(
        &self,
        at: &str,
        f: impl FnOnce(&Desk<'_>) -> helpdesk::error::Result<T> + Send + 'static,
    ) -> T {
        let now = utc(at);
        self.app
            .db
            .write_blocking(move |c| {
                let ctx = Ctx::new(
                    MailCtx {
                        config_on: false,
                        silent: true,
                        base_url: "http://help.example.com".into(),
                        desk_name: "Help".into(),
                    },
                    now,
                );
                f(&Desk::new(c, &ctx))
            })
            .expect("ticket action")
    }

    pub fn open(&self, at: &str, category: i64, priority: i64, email: &str) -> i64 {
        self.open_about(at, category, priority, email, "Report ticket")
    }

    pub fn open_about(
        &self,
        at: &str,
        category: i64,
        priority: i64,
        email: &str,
        subject: &str,
    ) -> i64 {
        let ticket = NewTicket {
            requester_name: email.split('@').next().unwrap_or("x").to_string(),
            requester_email: email.to_string(),
            category_id: category,
            priority_id: priority,
            subject: subject.into(),
            message: "Something broke.".into(),
            attachments: Vec::new(),
            channel: Channel::Portal,
            assignee_id: None,
            lang: Lang::En,
        };
        let by = Actor::requester("Requester");
        self.run(at, move |d| Ok(d.open(&by, &ticket)?[0].ticket_id))
    }

    pub fn reply(&self, at: &str, by: &Actor, id: i64) {
        let (by, gus) = (by.clone(), self.gus_id);
        self.run(at, move |d| {
            let message = NewMessage {
                kind: MessageKind::Staff,
                body: "On it.".into(),
                attachments: Vec::new(),
            };
            let assign = Changes {
                assignee: Some(Some(gus)),
                ..Changes::default()
            };
            d.reply(&by, id, &message, &assign).map(|_| ())
        });
    }

    pub fn resolve(&self, at: &str, id: i64) {
        let by = self.gus.clone();
        self.run(at, move |d| d.resolve(&by, id).map(|_| ()));
    }

    pub fn requester_reply(&self, at: &str, id: i64) {
        self.run(at, move |d| {
            let message = NewMessage {
                kind: MessageKind::Requester,
                body: "It broke again.".into(),
                attachments: Vec::new(),
            };
            d.reply(
                &Actor::requester("Requester"),
                id,
                &message,
                &Changes::default(),
            )
            .map(|_| ())
        });
    }

    pub fn rate(&self, at: &str, id: i64, rating: &str, comment: &str) {
        let draft = Draft {
            rating: rating.into(),
            comment: comment.into(),
            resolution: None,
        };
        self.run(at, move |d| {
            d.rate(&Actor::requester("Requester"), id, &draft)
                .map(|_| ())
        });
    }
}

pub const HARDWARE: i64 = 2;
pub const ACCOUNTS: i64 = 4;
const LOW: i64 = 1;
const MEDIUM: i64 = 2;

/// The fixed data set (see each line); returns the desk and the tickets' ids in order.
pub fn fixed_desk(app: &TestApp) -> (Desk0<'_>, Vec<i64>) {
    let admin = admin_client(app);
    // Medium tickets: a first response within an hour, a resolution within a day (calendar).
    simple_policy(&admin, "Medium", "2", "60", "1440");
    let id = |email: &str| app.count(&format!("SELECT id FROM staff WHERE email = '{email}'"));
    let (gus_id, alice_id) = (id(AGENT_EMAIL), id(ADMIN_EMAIL));
    let desk = Desk0 {
        app,
        gus: Actor::staff(gus_id, "Gus Agent"),
        alice: Actor::staff(alice_id, "Alice Admin"),
        gus_id,
        alice_id,
    };
    let gus = desk.gus.clone();
    let alice = desk.alice.clone();
    // T1: Friday 16:00, answered Monday 10:00 (66 h, of which 2 business hours), resolved at
    // noon (68 h; 4 business hours) and rated good, with a comment.
    let t1 = desk.open(
        "2026-02-27T16:00:00Z",
        HARDWARE,
        MEDIUM,
        "ana@office.example",
    );
    desk.reply("2026-03-02T10:00:00Z", &gus, t1);
    desk.resolve("2026-03-02T12:00:00Z", t1);
    desk.rate(
        "2026-03-02T13:00:00Z",
        t1,
        "good",
        "=HYPERLINK(\"x\") quick, thanks",
    );
    // T2: Monday 09:00, answered at 09:30, resolved Tuesday 09:00 (24 h; 8 business hours),
    // rated bad.
    let t2 = desk.open(
        "2026-03-02T09:00:00Z",
        HARDWARE,
        MEDIUM,
        "ana@office.example",
    );
    desk.reply("2026-03-02T09:30:00Z", &gus, t2);
    desk.resolve("2026-03-03T09:00:00Z", t2);
    desk.rate("2026-03-03T09:30:00Z", t2, "bad", "");
    // T3: Monday 11:00, answered by Alice at 14:00 (3 h), still open.
    let t3 = desk.open(
        "2026-03-02T11:00:00Z",
        ACCOUNTS,
        MEDIUM,
        "ana@office.example",
    );
    desk.reply("2026-03-02T14:00:00Z", &alice, t3);
    // T4 (low: no service level): Tuesday 10:00, answered at 10:10, resolved Wednesday 10:00
    // (24 h; 8 business hours), reopened at 15:00, resolved again at 16:00 (30 h; 14).
    let t4 = desk.open("2026-03-03T10:00:00Z", HARDWARE, LOW, "bo@office.example");
    desk.reply("2026-03-03T10:10:00Z", &gus, t4);
    desk.resolve("2026-03-04T10:00:00Z", t4);
    desk.requester_reply("2026-03-04T15:00:00Z", t4);
    desk.resolve("2026-03-04T16:00:00Z", t4);
    // T5: Wednesday 08:00, never answered.
    let t5 = desk.open(
        "2026-03-04T08:00:00Z",
        ACCOUNTS,
        MEDIUM,
        "ana@office.example",
    );
    (desk, vec![t1, t2, t3, t4, t5])
}

/// A report table as CSV, parsed back: the header and the rows.
pub fn csv_table(client: &Client, table: &str, query: &str) -> (Vec<String>, Vec<Vec<String>>) {
    let res = client
        .get(format!("/staff/reports.csv?table={table}&{query}"))
        .dispatch();
    assert_eq!(res.status(), Status::Ok, "{table} {query}");
    assert_eq!(
        res.content_type().map(|c| c.to_string()).as_deref(),
        Some("text/csv; charset=utf-8")
    );
    let body = res.into_bytes().unwrap_or_default();
    assert!(body.windows(2).any(|w| w == b"\r\n"), "CRLF line ends");
    let mut reader = csv::Reader::from_reader(body.as_slice());
    let header = reader
        .headers()
        .expect("header row")
        .iter()
        .map(String::from)
        .collect();
    let rows = reader
        .records()
        .map(|r| r.expect("a CSV record").iter().map(String::from).collect())
        .collect();
    (header, rows)
}

/// The value of column `name` in `row`.
pub fn col<'a>(header: &[String], row: &'a [String], name: &str) -> &'a str {
    let i = header
        .iter()
        .position(|h| h == name)
        .unwrap_or_else(|| panic!("no column {name} in {header:?}"));
    &row[i]
}

/// Every `<svg>…</svg>` of a page.
pub fn svgs(page: &str) -> Vec<String> {
    page.match_indices("<svg")
        .filter_map(|(i, _)| {
            page[i..]
                .find("</svg>")
                .map(|j| page[i..i + j + 6].to_string())
        })
        .collect()
}
