//! The ticket search index with one row per message (migration 0039): a ticket is found once
//! whichever of its messages holds the words, leaves the index when it is spam or deleted, its
//! messages follow it when it is merged, and a count past the cap says so.

use crate::common::*;
use rocket::http::Status;
use rocket::local::blocking::Client;

fn search(client: &Client, q: &str) -> String {
    get_ok(
        client,
        &format!("/staff/tickets?view=all&q={}", urlencode(q)),
    )
}

fn reply(staff: &Client, id: i64, kind: &str, message: &str) {
    let token = csrf(staff, &format!("/staff/tickets/{id}"));
    let res = post_form(
        staff,
        &format!("/staff/tickets/{id}/reply"),
        &[("csrf_token", &token), ("kind", kind), ("message", message)],
    );
    assert_eq!(res.status(), Status::SeeOther, "{kind} should be saved");
}

/// How many times the list shows a link to ticket `id`'s page.
fn links_to(page: &str, id: i64) -> usize {
    page.matches(&format!("href=\"/staff/tickets/{id}\""))
        .count()
}

fn rows_of(app: &TestApp, id: i64) -> i64 {
    app.count(&format!(
        "SELECT COUNT(*) FROM ticket_search WHERE rowid >> 24 = {id}"
    ))
}

#[test]
fn a_word_in_the_third_message_finds_its_ticket_once() {
    let app = TestApp::new();
    let tid = submit_ticket(&app.client, &TicketInput::default(), &[]);
    let other = submit_ticket(&app.client, &TicketInput::default(), &[]);
    let id = ticket_id(&app, &tid);
    let staff = app.other_client();
    login(&staff, AGENT_EMAIL, AGENT_PASSWORD);
    let before = links_to(&search(&staff, "zzz"), id);
    reply(&staff, id, "reply", "Could you send a photo of the screen?");
    reply(
        &staff,
        id,
        "note",
        "The kangaroo sticker covers the serial number.",
    );
    reply(
        &staff,
        id,
        "reply",
        "Please peel the kangaroo sticker off, then the kangaroo...",
    );
    assert_eq!(
        rows_of(&app, id),
        5,
        "the ticket's own row and one per message"
    );
    let page = search(&staff, "kangaroo");
    assert!(page.contains(&tid) && !page.contains(&other));
    assert_eq!(
        links_to(&page, id),
        links_to(&get_ok(&staff, "/staff/tickets?view=all"), id) - before,
        "listed once, however many of its messages match"
    );
    assert!(page.contains("count\">1 tickets"), "{page}");
    assert!(
        page.contains("<mark>kangaroo</mark>"),
        "a snippet of a matching message"
    );
    // Words from different messages and the subject still find it together.
    assert!(search(&staff, "kangaroo photo serial").contains(&tid));
    assert!(!search(&staff, "kangaroo wombat").contains(&tid));
    // By relevance too, once.
    let ranked = get_ok(
        &staff,
        "/staff/tickets?view=all&q=kangaroo+photo&sort=relevance",
    );
    assert!(ranked.contains(&tid) && !ranked.contains(&other));
}

#[test]
fn spam_and_deleted_tickets_leave_the_index() {
    let app = TestApp::new();
    let spam = submit_ticket(
        &app.client,
        &TicketInput {
            subject: "Cheap platypus pills",
            ..TicketInput::default()
        },
        &[],
    );
    let gone = submit_ticket(
        &app.client,
        &TicketInput {
            subject: "Old platypus request",
            ..TicketInput::default()
        },
        &[],
    );
    let (spam_id, gone_id) = (ticket_id(&app, &spam), ticket_id(&app, &gone));
    login(&app.client, ADMIN_EMAIL, ADMIN_PASSWORD);
    reply(&app.client, spam_id, "note", "platypus again");
    reply(&app.client, gone_id, "reply", "platypus answered");
    assert_eq!((rows_of(&app, spam_id), rows_of(&app, gone_id)), (3, 3));

    let token = csrf(&app.client, &format!("/staff/tickets/{spam_id}"));
    let res = post_form(
        &app.client,
        &format!("/staff/tickets/{spam_id}/spam"),
        &[("csrf_token", &token)],
    );
    assert_eq!(res.status(), Status::SeeOther);
    assert_eq!(rows_of(&app, spam_id), 0, "no row of a spam ticket is left");
    // A message arriving for it later stays out too.
    reply(&app.client, spam_id, "note", "platypus once more");
    assert_eq!(rows_of(&app, spam_id), 0);
    assert!(!search(&app.client, "platypus").contains(&spam));

    let token = csrf(&app.client, &format!("/staff/tickets/{gone_id}/delete"));
    let res = post_form(
        &app.client,
        &format!("/staff/tickets/{gone_id}/delete"),
        &[("csrf_token", &token)],
    );
    assert_eq!(res.status(), Status::SeeOther);
    assert_eq!(
        rows_of(&app, gone_id),
        0,
        "no row of a deleted ticket is left"
    );
    assert_eq!(
        app.count("SELECT COUNT(*) FROM ticket_search WHERE ticket_search MATCH 'platypus'"),
        0
    );

    // Not spam after all: every message is found again, each once.
    let token = csrf(&app.client, &format!("/staff/tickets/{spam_id}"));
    let res = post_form(
        &app.client,
        &format!("/staff/tickets/{spam_id}/not-spam"),
        &[("csrf_token", &token)],
    );
    assert_eq!(res.status(), Status::SeeOther);
    assert_eq!(rows_of(&app, spam_id), 4);
    assert!(search(&app.client, "platypus").contains(&spam));
}

#[test]
fn a_merged_tickets_messages_are_found_under_the_surviving_ticket() {
    let app = TestApp::new();
    let from = submit_ticket(
        &app.client,
        &TicketInput {
            subject: "Projector in room 4",
            message: "The projector shows a marmoset screensaver only.",
            ..TicketInput::default()
        },
        &[],
    );
    let into = submit_ticket(
        &app.client,
        &TicketInput {
            subject: "Room 4 beamer",
            message: "Nothing on the wall.",
            ..TicketInput::default()
        },
        &[],
    );
    let (from_id, into_id) = (ticket_id(&app, &from), ticket_id(&app, &into));
    login(&app.client, AGENT_EMAIL, AGENT_PASSWORD);
    reply(
        &app.client,
        from_id,
        "note",
        "Lamp hours: ocelot counter at 2000.",
    );
    let token = csrf(&app.client, &format!("/staff/tickets/{from_id}"));
    let res = post_form(
        &app.client,
        &format!("/staff/tickets/{from_id}/merge"),
        &[("csrf_token", &token), ("into", &into), ("confirm", "true")],
    );
    assert_eq!(res.status(), Status::SeeOther);
    // The messages moved: their rows with them; the merged ticket keeps its own row.
    assert_eq!((rows_of(&app, from_id), rows_of(&app, into_id)), (1, 4));
    for word in ["marmoset", "ocelot"] {
        let page = search(&app.client, word);
        assert!(
            page.contains(&into),
            "{word} is found under the surviving ticket"
        );
        assert!(
            !page.contains(&from),
            "{word} is no longer in the merged one"
        );
    }
    // A word of the merged ticket's message and one of the survivor's subject, together.
    assert!(search(&app.client, "marmoset beamer").contains(&into));
}

#[test]
fn a_count_past_the_cap_says_more_than_1000() {
    let app = TestApp::new();
    app.db
        .write_blocking(|c| {
            Ok(c.execute_batch(
                "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 1001)
                 INSERT INTO tickets (tracking_id, access_token, subject, requester_name,
                     requester_email, category_id, priority_id, status_id, created_at, updated_at)
                 SELECT printf('CAP-%03d-%04d', i / 10000, i), 'x' || i, 'Lemur number ' || i,
                     'Ana', 'ana@office.example', 1, 1, 1, i, i
                 FROM n;",
            )?)
        })
        .expect("tickets");
    login(&app.client, AGENT_EMAIL, AGENT_PASSWORD);
    let page = search(&app.client, "lemur");
    assert!(page.contains("More than 1,000 tickets"), "{page}");
    let page = search(&app.client, "lemur 1001");
    assert!(page.contains("count\">1 tickets"), "{page}");
}
