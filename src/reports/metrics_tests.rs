use rusqlite::Connection;

use super::*;
use crate::auth::{Role, users};
use crate::i18n::Lang;
use crate::notify::MailCtx;
use crate::tickets::actions::{Changes, NewMessage};
use crate::tickets::{Actor, Channel, NewTicket};
use crate::workflow::{Ctx, Desk};

/// 2026-03-06 is a Friday; the desk keeps its default hours, Monday to Friday 09:00–17:00 UTC.
fn at(s: &str) -> i64 {
    s.parse::<jiff::Timestamp>().unwrap().as_second()
}

fn ctx(now: &str) -> Ctx {
    Ctx::new(
        MailCtx {
            config_on: false,
            silent: true,
            base_url: "http://help.example.com".into(),
            desk_name: "Help".into(),
        },
        at(now),
    )
}

fn message(kind: MessageKind, body: &str) -> NewMessage {
    NewMessage {
        kind,
        body: body.into(),
        attachments: Vec::new(),
    }
}

fn rows(conn: &Connection, id: i64) -> (TicketRow, Vec<ResolutionRow>) {
    (
        ticket_row(conn, id).unwrap().unwrap(),
        resolution_rows(conn, id).unwrap(),
    )
}

#[test]
fn durations_are_stored_when_they_happen_across_a_weekend_and_a_reopening() {
    let mut conn = Connection::open_in_memory().unwrap();
    crate::db::migrate(&mut conn).unwrap();
    let hash = users::hash_password("agent-password-1", 4).unwrap();
    let ana = users::create(&conn, "ana@example.com", "Ana", Role::Agent, &hash).unwrap();
    let staff = Actor::staff(ana, "Ana");
    let eva = Actor::requester("Eva");
    let ticket = NewTicket {
        requester_name: "Eva".into(),
        requester_email: "Eva@Example.com".into(),
        category_id: 1,
        priority_id: 2,
        subject: "Printer".into(),
        message: "It is offline.".into(),
        attachments: Vec::new(),
        channel: Channel::Portal,
        assignee_id: None,
        lang: Lang::En,
    };
    let c = ctx("2026-03-06T16:00:00Z");
    let events = Desk::new(&conn, &c).open(&eva, &ticket).unwrap();
    let id = events[0].ticket_id;
    let (row, res) = rows(&conn, id);
    assert_eq!(row.created_at, at("2026-03-06T16:00:00Z"));
    assert_eq!((row.first_response_at, row.resolved_at), (None, None));
    assert_eq!(row.channel, "portal");
    assert!(res.is_empty());

    // A note changes nothing; the first staff reply, on Monday at 10:00, is the first response:
    // 66 hours, of which two are business hours (Friday 16–17, Monday 9–10).
    let c = ctx("2026-03-09T09:30:00Z");
    Desk::new(&conn, &c)
        .reply(
            &staff,
            id,
            &message(MessageKind::Note, "Looking"),
            &Changes::default(),
        )
        .unwrap();
    assert_eq!(rows(&conn, id).0.first_response_at, None);
    let c = ctx("2026-03-09T10:00:00Z");
    let assign = Changes {
        assignee: Some(Some(ana)),
        ..Changes::default()
    };
    Desk::new(&conn, &c)
        .reply(&staff, id, &message(MessageKind::Staff, "On it"), &assign)
        .unwrap();
    let (row, _) = rows(&conn, id);
    assert_eq!(row.first_response_at, Some(at("2026-03-09T10:00:00Z")));
    assert_eq!(row.first_response_by, Some(ana));
    assert_eq!(row.first_response_secs, Some(66 * 3600));
    assert_eq!(row.first_response_minutes, Some(120));
    assert_eq!(row.assignee_id, Some(ana));

    // Resolved at noon, reopened by the requester on Tuesday at 9, resolved again at 10.
    let c = ctx("2026-03-09T12:00:00Z");
    Desk::new(&conn, &c).resolve(&staff, id).unwrap();
    let (row, res) = rows(&conn, id);
    assert_eq!(row.resolved_at, Some(at("2026-03-09T12:00:00Z")));
    assert_eq!(res.len(), 1);
    assert_eq!((res[0].secs, res[0].minutes), (68 * 3600, 240));
    assert_eq!((res[0].agent_id, res[0].reopened_at), (Some(ana), None));

    let c = ctx("2026-03-10T09:00:00Z");
    Desk::new(&conn, &c)
        .reply(
            &eva,
            id,
            &message(MessageKind::Requester, "Again"),
            &Changes::default(),
        )
        .unwrap();
    let (row, res) = rows(&conn, id);
    assert_eq!(row.resolved_at, None);
    assert_eq!(res[0].reopened_at, Some(at("2026-03-10T09:00:00Z")));

    let c = ctx("2026-03-10T10:00:00Z");
    Desk::new(&conn, &c).resolve(&staff, id).unwrap();
    let (row, res) = rows(&conn, id);
    assert_eq!(row.resolved_at, Some(at("2026-03-10T10:00:00Z")));
    assert_eq!(res.len(), 2);
    assert_eq!(res[0].reopened_at, Some(at("2026-03-10T09:00:00Z")));
    assert_eq!((res[1].minutes, res[1].reopened_at), (600, None));
    // The first response's minutes were not computed again.
    assert_eq!(row.first_response_minutes, Some(120));

    // A rebuild from scratch finds the same, but for the reopening, which it dates at the next
    // resolution: it has no record of it.
    let before = rows(&conn, id);
    rebuild(&conn, at("2026-03-11T00:00:00Z")).unwrap();
    let after = rows(&conn, id);
    assert_eq!(after.0, before.0);
    assert_eq!(after.1[1], before.1[1]);
    assert_eq!(after.1[0].reopened_at, Some(at("2026-03-10T10:00:00Z")));

    // The migration's mark is gone once the rows are filled.
    fill_after_migration(&mut conn).unwrap();
    assert_eq!(
        crate::settings::get(&conn, FILL_KEY).unwrap().as_deref(),
        Some("done")
    );
}
