//! The agents' desk: login, the ticket list, a ticket's page and its actions.

use crate::common::*;
use rocket::http::Status;

#[test]
fn anonymous_staff_pages_redirect_to_login() {
    let app = TestApp::new();
    let res = app.client.get("/staff/tickets").dispatch();
    assert_eq!(res.status(), Status::SeeOther);
    assert!(location(&res).starts_with("/staff/login?next="));
}

#[test]
fn wrong_password_gets_a_clear_message_and_no_session() {
    let app = TestApp::new();
    let token = csrf(&app.client, "/staff/login");
    let res = post_form(
        &app.client,
        "/staff/login",
        &[
            ("csrf_token", &token),
            ("email", AGENT_EMAIL),
            ("password", "nope"),
        ],
    );
    assert_eq!(res.status(), Status::Unauthorized);
    assert!(
        res.into_string()
            .unwrap_or_default()
            .contains("Wrong email or password.")
    );
    assert_eq!(
        app.client.get("/staff/tickets").dispatch().status(),
        Status::SeeOther
    );
    assert_eq!(
        app.count("SELECT COUNT(*) FROM audit_log WHERE action = 'login_failed'"),
        1
    );
}

#[test]
fn login_is_throttled_per_account() {
    let app = TestApp::new();
    let token = csrf(&app.client, "/staff/login");
    for i in 0..5 {
        let res = app
            .client
            .post("/staff/login")
            .header(rocket::http::ContentType::Form)
            .remote(format!("10.1.0.{i}:4000").parse().expect("addr"))
            .body(format!(
                "csrf_token={}&email={}&password=wrong",
                urlencode(&token),
                urlencode(AGENT_EMAIL)
            ))
            .dispatch();
        assert_eq!(res.status(), Status::Unauthorized);
    }
    // Even the right password is refused now, from any address.
    let res = post_form(
        &app.client,
        "/staff/login",
        &[
            ("csrf_token", &token),
            ("email", AGENT_EMAIL),
            ("password", AGENT_PASSWORD),
        ],
    );
    assert_eq!(res.status(), Status::TooManyRequests);
    assert!(
        res.into_string()
            .unwrap_or_default()
            .contains("Too many failed attempts")
    );
    // Other accounts are unaffected.
    login(&app.client, ADMIN_EMAIL, ADMIN_PASSWORD);
}

#[test]
fn login_follows_only_local_next_paths() {
    let app = TestApp::new();
    let token = csrf(&app.client, "/staff/login");
    let res = post_form(
        &app.client,
        "/staff/login",
        &[
            ("csrf_token", &token),
            ("email", AGENT_EMAIL),
            ("password", AGENT_PASSWORD),
            ("next", "//evil.example/x"),
        ],
    );
    assert_eq!(res.status(), Status::SeeOther);
    assert_eq!(location(&res), "/staff");
}

#[test]
fn portal_ticket_shows_up_in_the_list_and_filters_work() {
    let app = TestApp::new();
    let tid = submit_ticket(&app.client, &TicketInput::default(), &[]);
    submit_ticket(
        &app.client,
        &TicketInput {
            subject: "No Wi-Fi in room 4",
            category: "3",
            email: "ben@office.example",
            ..TicketInput::default()
        },
        &[],
    );
    login(&app.client, AGENT_EMAIL, AGENT_PASSWORD);
    let list = get_ok(&app.client, "/staff/tickets");
    assert!(list.contains(&tid));
    assert!(list.contains("Printer on floor 2 is offline"));
    assert!(list.contains("No Wi-Fi in room 4"));
    assert!(list.contains("2 tickets"));
    let by_text = get_ok(&app.client, "/staff/tickets?q=wi-fi");
    assert!(by_text.contains("No Wi-Fi in room 4") && !by_text.contains("Printer on floor 2"));
    let by_tid = get_ok(
        &app.client,
        &format!("/staff/tickets?q={}", tid.to_lowercase()),
    );
    assert!(by_tid.contains("Printer on floor 2") && !by_tid.contains("No Wi-Fi"));
    let by_email = get_ok(&app.client, "/staff/tickets?q=ben%40office");
    assert!(by_email.contains("No Wi-Fi in room 4") && !by_email.contains("Printer on floor 2"));
    let by_category = get_ok(&app.client, "/staff/tickets?category=3");
    assert!(
        by_category.contains("No Wi-Fi in room 4") && !by_category.contains("Printer on floor 2")
    );
    let mine = get_ok(&app.client, "/staff/tickets?view=mine");
    assert!(mine.contains("No tickets match."));
    let unassigned = get_ok(&app.client, "/staff/tickets?view=unassigned");
    assert!(unassigned.contains("2 tickets"));
    let by_subject = get_ok(&app.client, "/staff/tickets?sort=subject&dir=asc");
    let (a, b) = (
        by_subject.find("No Wi-Fi in room 4"),
        by_subject.find("Printer on floor 2"),
    );
    assert!(a < b, "sorted by subject");
    // Junk filter values are ignored, not a crash.
    assert_eq!(
        app.client
            .get("/staff/tickets?status=abc&page=-4&sort=zzz")
            .dispatch()
            .status(),
        Status::Ok
    );
}

#[test]
fn list_pages_through_many_tickets() {
    let app = TestApp::new();
    for i in 0..55 {
        submit_ticket(
            &app.client,
            &TicketInput {
                subject: &format!("Ticket number {i:03}"),
                ..TicketInput::default()
            },
            &[],
        );
    }
    login(&app.client, AGENT_EMAIL, AGENT_PASSWORD);
    let first = get_ok(&app.client, "/staff/tickets?sort=created&dir=asc");
    assert!(first.contains("55 tickets"));
    // 25 a page: 000-024, 025-049, 050-054.
    assert!(first.contains("Ticket number 000") && first.contains("Ticket number 024"));
    assert!(!first.contains("Ticket number 025"));
    assert!(first.contains("rel=\"next\""));
    let third = get_ok(&app.client, "/staff/tickets?sort=created&dir=asc&page=3");
    assert!(third.contains("Ticket number 050") && third.contains("Ticket number 054"));
    assert!(!third.contains("Ticket number 049"));
    assert!(third.contains("rel=\"prev\"") && !third.contains("rel=\"next\""));
}

#[test]
fn agent_reply_and_status_change_reach_the_requester_and_history() {
    let app = TestApp::new();
    let tid = submit_ticket(&app.client, &TicketInput::default(), &[]);
    let id = ticket_id(&app, &tid);
    let staff = app.other_client();
    login(&staff, AGENT_EMAIL, AGENT_PASSWORD);
    let page = get_ok(&staff, &format!("/staff/tickets/{id}"));
    assert!(page.contains("The printer by the kitchen shows offline."));
    let token = csrf_in(&page);
    let resolved = app
        .count("SELECT id FROM statuses WHERE slug = 'resolved'")
        .to_string();
    let mut reply = Multipart::new();
    reply
        .text("csrf_token", &token)
        .text("kind", "reply")
        .text("status", &resolved)
        .text("message", "Restarted the print server.")
        .file(
            "attachments",
            "steps.pdf",
            "application/pdf",
            b"%PDF-1.4 fake",
        );
    assert_eq!(
        reply
            .post(&staff, &format!("/staff/tickets/{id}/reply"))
            .status(),
        Status::SeeOther
    );
    let mut note = Multipart::new();
    note.text("csrf_token", &token)
        .text("kind", "note")
        .text("message", "Switch port 12 was dead.");
    assert_eq!(
        note.post(&staff, &format!("/staff/tickets/{id}/reply"))
            .status(),
        Status::SeeOther
    );

    let requester_view = get_ok(&app.client, &format!("/tickets/{tid}"));
    assert!(requester_view.contains("Restarted the print server."));
    assert!(requester_view.contains("steps.pdf"));
    assert!(requester_view.contains("status-resolved"));
    assert!(
        !requester_view.contains("Switch port 12"),
        "internal notes never reach the requester"
    );
    let staff_view = get_ok(&staff, &format!("/staff/tickets/{id}"));
    assert!(staff_view.contains("Switch port 12 was dead."));
    assert!(staff_view.contains("Internal note"));
    // History: who, from, to.
    assert!(staff_view.contains("Gus Agent"));
    assert!(staff_view.contains("New → Resolved"));
    assert_eq!(
        app.count("SELECT COUNT(*) FROM tickets WHERE first_response_at IS NOT NULL"),
        1
    );
    // The note's attachment route is staff-only; the reply's attachment is the requester's too.
    let att = app.count("SELECT id FROM attachments");
    assert_eq!(
        app.client
            .get(format!("/tickets/{tid}/attachments/{att}"))
            .dispatch()
            .status(),
        Status::Ok
    );
}

#[test]
fn properties_change_and_each_change_is_recorded() {
    let app = TestApp::new();
    let tid = submit_ticket(&app.client, &TicketInput::default(), &[]);
    let id = ticket_id(&app, &tid);
    login(&app.client, ADMIN_EMAIL, ADMIN_PASSWORD);
    let token = csrf(&app.client, &format!("/staff/tickets/{id}"));
    let in_progress = app
        .count("SELECT id FROM statuses WHERE slug = 'in_progress'")
        .to_string();
    let high = app
        .count("SELECT id FROM priorities WHERE slug = 'high'")
        .to_string();
    let agent = app
        .count("SELECT id FROM staff WHERE email = 'agent@example.com'")
        .to_string();
    let res = post_form(
        &app.client,
        &format!("/staff/tickets/{id}/update"),
        &[
            ("csrf_token", &token),
            ("status", &in_progress),
            ("priority", &high),
            ("category", "3"),
            ("assignee", &agent),
        ],
    );
    assert_eq!(res.status(), Status::SeeOther);
    let page = get_ok(&app.client, &format!("/staff/tickets/{id}"));
    assert!(page.contains("Ticket updated."));
    for change in [
        "New → In progress",
        "Medium → High",
        "Hardware → Network &amp; Wi-Fi",
        "— → Gus Agent",
    ] {
        assert!(page.contains(change), "history shows {change}");
    }
    assert_eq!(
        app.count(
            "SELECT COUNT(*) FROM ticket_events WHERE field <> 'created' AND staff_id IS NOT NULL"
        ),
        4
    );
    // Saving the same values again records nothing new.
    post_form(
        &app.client,
        &format!("/staff/tickets/{id}/update"),
        &[
            ("csrf_token", &token),
            ("status", &in_progress),
            ("priority", &high),
            ("category", "3"),
            ("assignee", &agent),
        ],
    );
    assert_eq!(
        app.count("SELECT COUNT(*) FROM ticket_events WHERE field <> 'created'"),
        4
    );
    // The agent now sees it under "mine".
    let agent_client = app.other_client();
    login(&agent_client, AGENT_EMAIL, AGENT_PASSWORD);
    assert!(get_ok(&agent_client, "/staff/tickets?view=mine").contains(&tid));
    // Unknown ids are refused without changing anything.
    let res = post_form(
        &app.client,
        &format!("/staff/tickets/{id}/update"),
        &[("csrf_token", &token), ("status", "999")],
    );
    assert_eq!(res.status(), Status::BadRequest);
    assert_eq!(
        app.count("SELECT COUNT(*) FROM ticket_events WHERE field <> 'created'"),
        4
    );
}

#[test]
fn previous_tickets_of_the_same_requester_are_listed() {
    let app = TestApp::new();
    submit_ticket(
        &app.client,
        &TicketInput {
            subject: "Old VPN problem",
            ..TicketInput::default()
        },
        &[],
    );
    submit_ticket(
        &app.client,
        &TicketInput {
            subject: "Someone else's",
            email: "zoe@office.example",
            ..TicketInput::default()
        },
        &[],
    );
    let tid = submit_ticket(&app.client, &TicketInput::default(), &[]);
    let id = ticket_id(&app, &tid);
    login(&app.client, AGENT_EMAIL, AGENT_PASSWORD);
    let page = get_ok(&app.client, &format!("/staff/tickets/{id}"));
    assert!(page.contains("Old VPN problem"));
    assert!(!page.contains("Someone else&#x27;s") && !page.contains("Someone else's"));
}

#[test]
fn staff_create_a_ticket_on_behalf_of_an_employee() {
    let app = TestApp::new();
    login(&app.client, AGENT_EMAIL, AGENT_PASSWORD);
    let token = csrf(&app.client, "/staff/tickets/new");
    let critical = app
        .count("SELECT id FROM priorities WHERE slug = 'critical'")
        .to_string();
    let me = app
        .count("SELECT id FROM staff WHERE email = 'agent@example.com'")
        .to_string();
    let mut form = Multipart::new();
    form.text("csrf_token", &token)
        .text("name", "Carla Rossi")
        .text("email", "carla@office.example")
        .text("category", "1")
        .text("priority", &critical)
        .text("assignee", &me)
        .text("subject", "Phoned in: server room alarm")
        .text("message", "Carla called: the server room alarm is beeping.");
    let res = form.post(&app.client, "/staff/tickets/new");
    assert_eq!(res.status(), Status::SeeOther);
    let page = get_ok(&app.client, &location(&res));
    assert!(page.contains("Phoned in: server room alarm"));
    assert_eq!(
        app.count("SELECT COUNT(*) FROM tickets WHERE created_by_staff_id IS NOT NULL AND assignee_id IS NOT NULL"),
        1
    );
    assert_eq!(
        app.count("SELECT COUNT(*) FROM tickets t JOIN priorities p ON p.id = t.priority_id WHERE p.slug = 'critical'"),
        1
    );
    // The employee can open it with the tracking ID and their email.
    let tid: String = app
        .db
        .read_blocking(|c| Ok(c.query_row("SELECT tracking_id FROM tickets", [], |r| r.get(0))?))
        .expect("tid");
    let employee = app.other_client();
    let token = csrf(&employee, "/");
    let res = post_form(
        &employee,
        "/tickets/lookup",
        &[
            ("csrf_token", &token),
            ("tracking_id", &tid),
            ("email", "carla@office.example"),
        ],
    );
    assert_eq!(res.status(), Status::SeeOther);
}

#[test]
fn logout_ends_the_session() {
    let app = TestApp::new();
    login(&app.client, AGENT_EMAIL, AGENT_PASSWORD);
    let token = csrf(&app.client, "/staff/tickets");
    let res = post_form(&app.client, "/staff/logout", &[("csrf_token", &token)]);
    assert_eq!(res.status(), Status::SeeOther);
    assert_eq!(
        app.client.get("/staff/tickets").dispatch().status(),
        Status::SeeOther
    );
}

#[test]
fn password_change_ends_other_sessions() {
    let app = TestApp::new();
    login(&app.client, AGENT_EMAIL, AGENT_PASSWORD);
    assert_eq!(
        app.client.get("/staff/tickets").dispatch().status(),
        Status::Ok
    );
    app.db
        .write_blocking(|c| {
            let hash = helpdesk::auth::users::hash_password("a-new-password-9", 4)?;
            let id: i64 = c.query_row(
                "SELECT id FROM staff WHERE email = ?1",
                [AGENT_EMAIL],
                |r| r.get(0),
            )?;
            helpdesk::auth::users::set_password(c, id, &hash)
        })
        .expect("set password");
    assert_eq!(
        app.client.get("/staff/tickets").dispatch().status(),
        Status::SeeOther
    );
}

#[test]
fn agents_cannot_open_admin_pages() {
    let app = TestApp::new();
    login(&app.client, AGENT_EMAIL, AGENT_PASSWORD);
    assert_eq!(
        app.client.get("/admin/staff").dispatch().status(),
        Status::Forbidden
    );
}

#[test]
fn unknown_email_gets_the_same_answer_as_a_wrong_password() {
    let app = TestApp::new();
    let token = csrf(&app.client, "/staff/login");
    let unknown = post_form(
        &app.client,
        "/staff/login",
        &[
            ("csrf_token", &token),
            ("email", "nobody@example.com"),
            ("password", "whatever-123"),
        ],
    );
    assert_eq!(unknown.status(), Status::Unauthorized);
    let unknown = unknown.into_string().unwrap_or_default();
    let wrong = post_form(
        &app.client,
        "/staff/login",
        &[
            ("csrf_token", &token),
            ("email", AGENT_EMAIL),
            ("password", "whatever-123"),
        ],
    );
    let wrong = wrong.into_string().unwrap_or_default();
    assert!(
        unknown.contains("Wrong email or password.") && wrong.contains("Wrong email or password.")
    );
}

#[test]
fn deactivated_accounts_cannot_log_in_and_lose_their_session() {
    let app = TestApp::new();
    login(&app.client, AGENT_EMAIL, AGENT_PASSWORD);
    app.db
        .write_blocking(|c| {
            let id: i64 = c.query_row(
                "SELECT id FROM staff WHERE email = ?1",
                [AGENT_EMAIL],
                |r| r.get(0),
            )?;
            helpdesk::auth::users::update(c, id, "Gus Agent", helpdesk::auth::Role::Agent, false)
        })
        .expect("deactivate");
    assert_eq!(
        app.client.get("/staff/tickets").dispatch().status(),
        Status::SeeOther
    );
    let token = csrf(&app.client, "/staff/login");
    let res = post_form(
        &app.client,
        "/staff/login",
        &[
            ("csrf_token", &token),
            ("email", AGENT_EMAIL),
            ("password", AGENT_PASSWORD),
        ],
    );
    assert_eq!(res.status(), Status::Unauthorized);
}
