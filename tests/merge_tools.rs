//! Merge and "related to" links (issue 16 items 2 and 3), through the real app: the staff
//! ticket page's forms, the portal's secret links and the staff search.

use rocket::http::Status;

use crate::common::*;

/// A ticket from the portal with a file, as `email`; returns (tracking ID, id).
fn ticket(app: &TestApp, email: &str, subject: &str) -> (String, i64) {
    let input = TicketInput {
        email,
        subject,
        ..TicketInput::default()
    };
    let tid = submit_ticket(
        &app.other_client(),
        &input,
        &[("shot.png", "image/png", b"\x89PNG fake")],
    );
    let id = ticket_id(app, &tid);
    (tid, id)
}

fn reply(app: &TestApp, id: i64, text: &str) {
    let token = csrf(&app.client, &format!("/staff/tickets/{id}"));
    let res = post_form(
        &app.client,
        &format!("/staff/tickets/{id}/reply"),
        &[("csrf_token", &token), ("message", text), ("kind", "reply")],
    );
    assert_eq!(res.status(), Status::SeeOther);
}

fn merge(app: &TestApp, id: i64, into: &str, confirm: bool) -> (Status, String, String) {
    let token = csrf(&app.client, &format!("/staff/tickets/{id}"));
    let mut fields = vec![("csrf_token", token.as_str()), ("into", into)];
    if confirm {
        fields.push(("confirm", "true"));
    }
    let res = post_form(&app.client, &format!("/staff/tickets/{id}/merge"), &fields);
    let (status, loc) = (res.status(), location(&res));
    (status, loc, res.into_string().unwrap_or_default())
}

fn count(app: &TestApp, sql: &str, id: i64) -> i64 {
    app.count(&sql.replace("?", &id.to_string()))
}

/// The access token of a ticket's secret link.
fn token_of(app: &TestApp, id: i64) -> String {
    app.db
        .read_blocking(move |c| {
            Ok(c.query_row(
                "SELECT access_token FROM tickets WHERE id = ?1",
                [id],
                |r| r.get(0),
            )?)
        })
        .unwrap()
}

#[test]
fn two_tickets_merged_into_a_third_keep_every_message_and_their_links_lead_there() {
    let app = TestApp::with_config(|c| c.smtp_url = "smtp://127.0.0.1:9".into());
    let (tid_a, a) = ticket(&app, "ana@office.example", "Printer jams");
    let (tid_b, b) = ticket(&app, "bob@office.example", "Printer jams again");
    let (tid_c, c) = ticket(&app, "cleo@office.example", "Printer on floor 2");
    login(&app.client, AGENT_EMAIL, AGENT_PASSWORD);
    reply(&app, a, "Which tray?");
    reply(&app, b, "Restart it please");
    let messages = app.count("SELECT COUNT(*) FROM messages");
    let files = app.count("SELECT COUNT(*) FROM attachments");
    assert_eq!((messages, files), (5, 3));
    let mails_before = app.count("SELECT COUNT(*) FROM outbox");

    // The first step only asks: both subjects and their counts, nothing changed yet.
    let (status, _, page) = merge(&app, a, &tid_c, false);
    assert_eq!(status, Status::Ok);
    assert!(
        page.contains("Printer jams") && page.contains("Printer on floor 2"),
        "{page}"
    );
    assert!(page.contains("2 messages, 1 files"), "{page}");
    assert!(page.contains("name=\"confirm\""), "{page}");
    assert_eq!(
        count(&app, "SELECT COUNT(*) FROM messages WHERE ticket_id = ?", c),
        1
    );

    let (status, loc, _) = merge(&app, a, &tid_c, true);
    assert_eq!(
        (status, loc.as_str()),
        (Status::SeeOther, format!("/staff/tickets/{c}").as_str())
    );
    // Lowercase and without dashes, as people type it.
    let (status, _, _) = merge(&app, b, &tid_c.to_lowercase().replace('-', ""), true);
    assert_eq!(status, Status::SeeOther);

    // Every message and file is on the third ticket, in date order; nothing was lost.
    assert_eq!(app.count("SELECT COUNT(*) FROM messages"), messages);
    assert_eq!(app.count("SELECT COUNT(*) FROM attachments"), files);
    assert_eq!(
        count(&app, "SELECT COUNT(*) FROM messages WHERE ticket_id = ?", c),
        5
    );
    assert_eq!(
        count(
            &app,
            "SELECT COUNT(*) FROM attachments WHERE ticket_id = ?",
            c
        ),
        3
    );
    assert_eq!(
        count(&app, "SELECT message_count FROM tickets WHERE id = ?", c),
        5
    );
    let page = get_ok(&app.client, &format!("/staff/tickets/{c}"));
    let (jams, tray, restart) = (
        page.find("The printer by the kitchen").unwrap(),
        page.find("Which tray?").unwrap(),
        page.find("Restart it please").unwrap(),
    );
    assert!(jams < tray && tray < restart, "date order");
    assert!(
        page.contains(&tid_a) && page.contains(&tid_b),
        "merged here: {page}"
    );
    assert!(page.contains("ana@office.example") && page.contains("bob@office.example"));
    // The merged ones are closed, point at the survivor, and their requesters follow it.
    for id in [a, b] {
        assert_eq!(
            count(&app, "SELECT merged_into_id FROM tickets WHERE id = ?", id),
            c
        );
        assert_eq!(
            count(
                &app,
                "SELECT s.is_closed FROM tickets t JOIN statuses s ON s.id = t.status_id WHERE t.id = ?",
                id
            ),
            1
        );
    }
    assert_eq!(
        count(
            &app,
            "SELECT COUNT(*) FROM ticket_followers WHERE ticket_id = ? AND kind = 'requester'",
            c
        ),
        2
    );
    // Each merged requester is told once.
    let merged_mail = app.count("SELECT COUNT(*) FROM outbox WHERE subject LIKE '%Merged:%'");
    assert_eq!(merged_mail, 2);
    assert!(app.count("SELECT COUNT(*) FROM outbox") >= mails_before + 2);

    // The staff pages of the merged tickets lead to the survivor.
    let res = app.client.get(format!("/staff/tickets/{a}")).dispatch();
    assert_eq!(res.status(), Status::SeeOther);
    assert_eq!(location(&res), format!("/staff/tickets/{c}"));
    // A search by a merged ticket's tracking ID finds the survivor.
    let list = get_ok(&app.client, &format!("/staff/tickets?view=open&q={tid_a}"));
    assert!(list.contains(&format!("/staff/tickets/{c}")), "{list}");

    // The old secret links open the surviving ticket, in a browser that never saw either.
    let requester = app.other_client();
    let res = requester
        .get(format!("/tickets/{tid_a}?token={}", token_of(&app, a)))
        .dispatch();
    assert_eq!(res.status(), Status::SeeOther);
    let to = location(&res);
    assert!(to.starts_with(&format!("/tickets/{tid_c}?token=")), "{to}");
    let fresh = app.other_client();
    let page = get_ok(&fresh, &to);
    assert!(
        page.contains("Printer on floor 2") && page.contains("Restart it please"),
        "{page}"
    );
    // A wrong token opens nothing.
    let page = get_ok(&app.other_client(), &format!("/tickets/{tid_c}?token=nope"));
    assert!(!page.contains("Restart it please"));
    // The tracking-ID form with the merged ticket's email leads there too.
    let browser = app.other_client();
    let token = csrf(&browser, "/");
    let res = post_form(
        &browser,
        "/tickets/lookup",
        &[
            ("csrf_token", &token),
            ("tracking_id", &tid_b),
            ("email", "bob@office.example"),
        ],
    );
    assert_eq!(location(&res), format!("/tickets/{tid_b}"));
    let res = browser.get(format!("/tickets/{tid_b}")).dispatch();
    assert_eq!(location(&res), format!("/tickets/{tid_c}"));
    let page = get_ok(&browser, &format!("/tickets/{tid_c}"));
    assert!(page.contains("Printer on floor 2"));
}

#[test]
fn refused_merges_say_why_and_change_nothing() {
    let app = TestApp::new();
    let (_, a) = ticket(&app, "ana@office.example", "One");
    let (tid_b, b) = ticket(&app, "bob@office.example", "Two");
    let (tid_c, c) = ticket(&app, "cleo@office.example", "Three");
    login(&app.client, AGENT_EMAIL, AGENT_PASSWORD);
    let tid_a: String = app
        .db
        .read_blocking(move |cn| {
            Ok(
                cn.query_row("SELECT tracking_id FROM tickets WHERE id = ?1", [a], |r| {
                    r.get(0)
                })?,
            )
        })
        .unwrap();
    let before_events = app.count("SELECT COUNT(*) FROM ticket_events");
    let cases = [
        (a, tid_a.clone(), "cannot be merged into itself"),
        (a, "AAA-AAA-AAAA".to_string(), "no ticket you can work"),
        (a, "not an id".to_string(), "no ticket you can work"),
    ];
    for (id, into, says) in cases {
        for confirm in [false, true] {
            let (status, loc, _) = merge(&app, id, &into, confirm);
            assert_eq!(status, Status::SeeOther, "{into}");
            assert_eq!(loc, format!("/staff/tickets/{id}"));
            let page = get_ok(&app.client, &loc);
            assert!(page.contains(says), "{into}: {says} in the flash");
        }
    }
    // B into C, then A into B (merged already) or C into B (merged into it): refused.
    let (status, _, _) = merge(&app, b, &tid_c, true);
    assert_eq!(status, Status::SeeOther);
    let events = app.count("SELECT COUNT(*) FROM ticket_events");
    for (id, into) in [(a, &tid_b), (c, &tid_b)] {
        let (_, loc, _) = merge(&app, id, into, true);
        let page = get_ok(&app.client, &loc);
        assert!(
            page.contains("was itself merged into another one"),
            "{page}"
        );
    }
    assert_eq!(app.count("SELECT COUNT(*) FROM ticket_events"), events);
    assert!(events > before_events);
    assert_eq!(
        count(
            &app,
            "SELECT merged_into_id IS NULL FROM tickets WHERE id = ?",
            a
        ),
        1
    );
    assert_eq!(
        count(&app, "SELECT COUNT(*) FROM messages WHERE ticket_id = ?", a),
        1
    );
    // Without the CSRF token: refused, nothing merged.
    let res = post_form(
        &app.client,
        &format!("/staff/tickets/{a}/merge"),
        &[("into", &tid_c), ("confirm", "true")],
    );
    assert_eq!(res.status(), Status::Forbidden);
    assert_eq!(
        count(
            &app,
            "SELECT merged_into_id IS NULL FROM tickets WHERE id = ?",
            a
        ),
        1
    );
}

#[test]
fn a_limited_agent_cannot_merge_into_a_ticket_outside_their_categories() {
    let app = TestApp::new();
    let (_, a) = ticket(&app, "ana@office.example", "Hardware one");
    let input = TicketInput {
        category: "1",
        subject: "General one",
        ..TicketInput::default()
    };
    let tid_general = submit_ticket(&app.other_client(), &input, &[]);
    // The agent works Hardware (2) only.
    app.db
        .write_blocking(|c| {
            let id: i64 = c.query_row(
                "SELECT id FROM staff WHERE email = ?1",
                [AGENT_EMAIL],
                |r| r.get(0),
            )?;
            helpdesk::auth::access::set(c, id, false, &[2])
        })
        .unwrap();
    login(&app.client, AGENT_EMAIL, AGENT_PASSWORD);
    let (_, loc, _) = merge(&app, a, &tid_general, false);
    let page = get_ok(&app.client, &loc);
    assert!(page.contains("no ticket you can work"), "{page}");
    assert_eq!(
        app.count("SELECT COUNT(*) FROM tickets WHERE merged_into_id IS NOT NULL"),
        0
    );
}

#[test]
fn related_links_show_on_both_tickets_and_can_be_removed() {
    let app = TestApp::new();
    let (tid_a, a) = ticket(&app, "ana@office.example", "VPN down");
    let (tid_b, b) = ticket(&app, "bob@office.example", "Cannot reach the file server");
    login(&app.client, AGENT_EMAIL, AGENT_PASSWORD);
    let token = csrf(&app.client, &format!("/staff/tickets/{a}"));
    let res = post_form(
        &app.client,
        &format!("/staff/tickets/{a}/links"),
        &[("csrf_token", &token), ("tracking_id", &tid_b)],
    );
    assert_eq!(res.status(), Status::SeeOther);
    let page_a = get_ok(&app.client, &format!("/staff/tickets/{a}"));
    let page_b = get_ok(&app.client, &format!("/staff/tickets/{b}"));
    assert!(page_a.contains("Cannot reach the file server"), "{page_a}");
    assert!(page_b.contains("VPN down") && page_b.contains(&format!("/staff/tickets/{a}")));
    // History on both.
    for id in [a, b] {
        assert_eq!(
            count(
                &app,
                "SELECT COUNT(*) FROM ticket_events WHERE ticket_id = ? AND field = 'link_added'",
                id
            ),
            1
        );
    }
    // A search by one tracking ID lists the related ticket too.
    let list = get_ok(&app.client, &format!("/staff/tickets?view=all&q={tid_a}"));
    assert!(list.contains(&format!("/staff/tickets/{b}")), "{list}");
    // Itself, or an unknown ID: refused with a message, nothing linked.
    for (other, says) in [
        (tid_a.as_str(), "related to itself"),
        ("ZZZ-ZZZ-ZZZZ", "no ticket you can work"),
    ] {
        let res = post_form(
            &app.client,
            &format!("/staff/tickets/{a}/links"),
            &[("csrf_token", &token), ("tracking_id", other)],
        );
        assert_eq!(res.status(), Status::SeeOther);
        assert!(get_ok(&app.client, &format!("/staff/tickets/{a}")).contains(says));
    }
    assert_eq!(app.count("SELECT COUNT(*) FROM ticket_links"), 1);
    // Removed from the other side.
    let res = post_form(
        &app.client,
        &format!("/staff/tickets/{b}/links/{a}/remove"),
        &[("csrf_token", &token)],
    );
    assert_eq!(res.status(), Status::SeeOther);
    assert_eq!(app.count("SELECT COUNT(*) FROM ticket_links"), 0);
    assert!(
        !get_ok(&app.client, &format!("/staff/tickets/{a}"))
            .contains("Cannot reach the file server")
    );
    assert_eq!(
        count(
            &app,
            "SELECT COUNT(*) FROM ticket_events WHERE ticket_id = ? AND field = 'link_removed'",
            a
        ),
        1
    );
}
