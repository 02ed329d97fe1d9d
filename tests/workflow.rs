//! The ticket actions and their reactions over a real SQLite file, with the time of each change
//! set by the test: the rules hold whatever the channel, and every change either happens whole
//! (history, timestamps, mail queued) or not at all.

use helpdesk::auth::{Role, users};
use helpdesk::db::Db;
use helpdesk::error::Error;
use helpdesk::i18n::Lang;
use helpdesk::notify::MailCtx;
use helpdesk::tickets::actions::{Changes, NewMessage};
use helpdesk::tickets::{
    self, Actor, Channel, Event, Field, MessageKind, NewTicket, What, events, store,
};
use helpdesk::workflow::{Ctx, Desk};

struct Desk0 {
    db: Db,
    _dir: tempfile::TempDir,
    agent: Actor,
    other: Actor,
}

const T0: i64 = 1_800_000_000;

fn desk() -> Desk0 {
    let dir = tempfile::tempdir().expect("temp dir");
    let db = Db::open(&dir.path().join("desk.db")).expect("open db");
    let (agent, other) = db
        .write_blocking(|c| {
            let h = users::hash_password("agent-password-1", 4)?;
            let a = users::create(c, "ana@example.com", "Ana", Role::Agent, &h)?;
            let b = users::create(c, "bo@example.com", "Bo", Role::Agent, &h)?;
            Ok((Actor::staff(a, "Ana"), Actor::staff(b, "Bo")))
        })
        .expect("staff");
    Desk0 {
        db,
        _dir: dir,
        agent,
        other,
    }
}

/// Mail on (as with `smtp_url` set), at time `now`.
fn ctx(now: i64) -> Ctx {
    Ctx::new(
        MailCtx {
            config_on: true,
            silent: false,
            base_url: "http://help.example.com".into(),
            desk_name: "Help".into(),
        },
        now,
    )
}

fn new_ticket(channel: Channel) -> NewTicket {
    NewTicket {
        requester_name: "Eva Employee".into(),
        requester_email: "eva@example.com".into(),
        category_id: 1,
        priority_id: 2,
        subject: "Printer on floor 2 is dead".into(),
        message: "It shows error 50.".into(),
        attachments: Vec::new(),
        channel,
        assignee_id: None,
        lang: Lang::En,
    }
}

fn note(body: &str, kind: MessageKind) -> NewMessage {
    NewMessage {
        kind,
        body: body.into(),
        attachments: Vec::new(),
    }
}

impl Desk0 {
    fn run(
        &self,
        now: i64,
        f: impl FnOnce(&Desk<'_>) -> helpdesk::error::Result<Vec<Event>>,
    ) -> helpdesk::error::Result<Vec<Event>> {
        self.db.write_blocking(|c| f(&Desk::new(c, &ctx(now))))
    }

    fn open(&self, now: i64) -> i64 {
        let events = self
            .run(now, |d| {
                d.open(
                    &Actor::requester("Eva Employee"),
                    &new_ticket(Channel::Portal),
                )
            })
            .expect("open");
        events::created(&events).next().expect("created").0
    }

    fn one(&self, sql: &str, id: i64) -> Option<i64> {
        let sql = sql.to_string();
        self.db
            .read_blocking(move |c| Ok(c.query_row(&sql, [id], |r| r.get(0))?))
            .expect("query")
    }

    fn status_slug(&self, id: i64) -> String {
        self.db
            .read_blocking(move |c| {
                Ok(c.query_row(
                    "SELECT s.slug FROM tickets t JOIN statuses s ON s.id = t.status_id WHERE t.id = ?1",
                    [id],
                    |r| r.get(0),
                )?)
            })
            .expect("status")
    }

    fn mails(&self, id: i64) -> Vec<(String, String)> {
        self.db
            .read_blocking(move |c| {
                let mut stmt = c.prepare(
                    "SELECT to_addr, subject FROM outbox WHERE ticket_id = ?1 ORDER BY id",
                )?;
                let rows = stmt
                    .query_map([id], |r| Ok((r.get(0)?, r.get(1)?)))?
                    .collect::<rusqlite::Result<Vec<_>>>()?;
                Ok(rows)
            })
            .expect("outbox")
    }

    fn status_id(&self, slug: &'static str) -> i64 {
        self.db
            .read_blocking(move |c| store::status_id(c, slug))
            .expect("status id")
    }
}

#[test]
fn opening_stores_the_ticket_its_message_and_history_at_the_given_time() {
    let d = desk();
    let id = d.open(T0);
    assert_eq!(
        d.one("SELECT created_at FROM tickets WHERE id = ?1", id),
        Some(T0)
    );
    assert_eq!(
        d.one("SELECT message_count FROM tickets WHERE id = ?1", id),
        Some(1)
    );
    assert_eq!(d.status_slug(id), "new");
    let history =
        d.db.read_blocking(move |c| tickets::history(c, id))
            .unwrap();
    assert_eq!(history.len(), 1);
    assert_eq!(history[0].field, "created");
    assert_eq!(history[0].created_at, T0);
    // The requester hears "we got it"; the agents (no category agents: everyone) "new ticket".
    let mails = d.mails(id);
    assert_eq!(mails.len(), 3, "{mails:?}");
    assert_eq!(mails[0].0, "eva@example.com");
}

#[test]
fn a_requester_reply_reopens_a_resolved_ticket() {
    let d = desk();
    let id = d.open(T0);
    let resolved = d.status_id("resolved");
    let events = d
        .run(T0 + 60, |desk| {
            desk.update(
                &d.agent,
                id,
                &Changes {
                    status: Some(resolved),
                    ..Changes::default()
                },
            )
        })
        .unwrap();
    assert!(events.iter().any(|e| e.what == What::Resolved));
    assert_eq!(
        d.one("SELECT resolved_at FROM tickets WHERE id = ?1", id),
        Some(T0 + 60)
    );

    let events = d
        .run(T0 + 120, |desk| {
            desk.reply(
                &Actor::requester("Eva Employee"),
                id,
                &note("Still broken.", MessageKind::Requester),
                &Changes::default(),
            )
        })
        .unwrap();
    assert_eq!(d.status_slug(id), "in_progress");
    assert_eq!(
        d.one("SELECT resolved_at FROM tickets WHERE id = ?1", id),
        None
    );
    let whats: Vec<&What> = events.iter().map(|e| &e.what).collect();
    assert!(matches!(
        whats[0],
        What::MessageAdded {
            kind: MessageKind::Requester,
            ..
        }
    ));
    assert!(matches!(
        whats[1],
        What::Changed {
            field: Field::Status,
            ..
        }
    ));
    assert_eq!(whats[2], &What::Reopened);
}

#[test]
fn the_first_staff_reply_sets_first_response_once() {
    let d = desk();
    let id = d.open(T0);
    let reply = note("Restarted it for you.", MessageKind::Staff);
    d.run(T0 + 300, |desk| {
        desk.reply(&d.agent, id, &reply, &Changes::default())
    })
    .unwrap();
    d.run(T0 + 900, |desk| {
        desk.reply(&d.other, id, &reply, &Changes::default())
    })
    .unwrap();
    assert_eq!(
        d.one("SELECT first_response_at FROM tickets WHERE id = ?1", id),
        Some(T0 + 300)
    );
    // A note is no response.
    let id2 = d.open(T0);
    d.run(T0 + 60, |desk| {
        desk.reply(
            &d.agent,
            id2,
            &note("Checking.", MessageKind::Note),
            &Changes::default(),
        )
    })
    .unwrap();
    assert_eq!(
        d.one("SELECT first_response_at FROM tickets WHERE id = ?1", id2),
        None
    );
}

#[test]
fn requesters_cannot_write_notes_or_change_fields_and_nothing_is_kept() {
    let d = desk();
    let id = d.open(T0);
    let requester = Actor::requester("Eva Employee");
    let refused = d.run(T0 + 10, |desk| {
        desk.reply(
            &requester,
            id,
            &note("psst", MessageKind::Note),
            &Changes::default(),
        )
    });
    assert!(matches!(refused, Err(Error::Forbidden)), "{refused:?}");
    let refused = d.run(T0 + 10, |desk| {
        desk.update(
            &requester,
            id,
            &Changes {
                priority: Some(4),
                ..Changes::default()
            },
        )
    });
    assert!(matches!(refused, Err(Error::Forbidden)), "{refused:?}");
    assert_eq!(
        d.one("SELECT message_count FROM tickets WHERE id = ?1", id),
        Some(1)
    );
    assert_eq!(
        d.one("SELECT priority_id FROM tickets WHERE id = ?1", id),
        Some(2)
    );
}

#[test]
fn a_deactivated_assignee_is_refused_and_the_whole_change_rolls_back() {
    let d = desk();
    let id = d.open(T0);
    let bo = d.other.staff_id.expect("staff id");
    d.db.write_blocking(move |c| {
        users::update(c, bo, "Bo", Role::Agent, false)?;
        Ok(())
    })
    .unwrap();
    // The priority change comes first in the same action: it must not stay on its own.
    let refused = d.run(T0 + 10, |desk| {
        desk.update(
            &d.agent,
            id,
            &Changes {
                priority: Some(3),
                assignee: Some(Some(bo)),
                ..Changes::default()
            },
        )
    });
    assert!(matches!(refused, Err(Error::BadRequest(_))), "{refused:?}");
    assert_eq!(
        d.one("SELECT priority_id FROM tickets WHERE id = ?1", id),
        Some(2)
    );
    assert_eq!(
        d.one("SELECT assignee_id FROM tickets WHERE id = ?1", id),
        None
    );
    let history =
        d.db.read_blocking(move |c| tickets::history(c, id))
            .unwrap();
    assert_eq!(history.len(), 1, "only 'created': {history:?}");
}

#[test]
fn replying_and_resolving_in_one_action_sends_one_mail_and_silent_sends_none() {
    let d = desk();
    let id = d.open(T0);
    let before = d.mails(id).len();
    let resolved = d.status_id("resolved");
    let changes = Changes {
        status: Some(resolved),
        ..Changes::default()
    };
    d.run(T0 + 60, |desk| {
        desk.reply(
            &d.agent,
            id,
            &note("Fixed: new toner.", MessageKind::Staff),
            &changes,
        )
    })
    .unwrap();
    let mails = d.mails(id);
    assert_eq!(mails.len(), before + 1, "{mails:?}");
    assert_eq!(mails[before].0, "eva@example.com");

    let id2 = d.open(T0);
    let before = d.mails(id2).len();
    d.db.write_blocking(|c| {
        let silent = ctx(T0 + 60).silent();
        Desk::new(c, &silent).reply(&d.agent, id2, &note("Done.", MessageKind::Staff), &changes)
    })
    .unwrap();
    assert_eq!(d.mails(id2).len(), before, "a silent reply queues no mail");
    assert_eq!(d.status_slug(id2), "resolved");
}

#[test]
fn assigning_records_who_did_it_and_tells_the_assignee() {
    let d = desk();
    let id = d.open(T0);
    let bo = d.other.staff_id.expect("staff id");
    let events = d
        .run(T0 + 5, |desk| {
            desk.update(
                &d.agent,
                id,
                &Changes {
                    assignee: Some(Some(bo)),
                    ..Changes::default()
                },
            )
        })
        .unwrap();
    assert_eq!(events.len(), 1);
    assert_eq!(events[0].by, d.agent);
    let history =
        d.db.read_blocking(move |c| tickets::history(c, id))
            .unwrap();
    let last = history.last().expect("history");
    assert_eq!(
        (
            last.field.as_str(),
            last.actor_name.as_str(),
            last.new_value.as_deref()
        ),
        ("assignee", "Ana", Some("Bo"))
    );
    assert!(d.mails(id).iter().any(|(to, _)| to == "bo@example.com"));
    // The same value again changes nothing and records nothing.
    let again = d
        .run(T0 + 6, |desk| {
            desk.update(
                &d.agent,
                id,
                &Changes {
                    assignee: Some(Some(bo)),
                    ..Changes::default()
                },
            )
        })
        .unwrap();
    assert!(again.is_empty());
}
