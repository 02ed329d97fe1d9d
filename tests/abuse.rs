//! Spam and abuse on the public form, end to end: the honeypot stores nothing, the submission
//! limits answer 429 with the form kept (and 0 turns them off), a banned domain's tickets are
//! refused on the portal and its mail (piped through the real binary) creates nothing, both
//! counted on Admin > Bans; staff mark a ticket as spam (banning its requester in the same
//! click) and it leaves the lists and the search; an admin deletes a ticket with everything of
//! it.

use rocket::http::Status;
use rocket::local::blocking::Client;

use crate::common::server;
use crate::common::*;

/// Posts the portal form with `email`, `subject` and the honeypot `website`: status, Location
/// and page.
fn submit(client: &Client, email: &str, subject: &str, website: &str) -> (Status, String, String) {
    let token = csrf(client, "/tickets/new");
    let mut form = Multipart::new();
    form.text("csrf_token", &token)
        .text("name", "Ana Garcia")
        .text("email", email)
        .text("category", "2")
        .text("priority", "")
        .text("subject", subject)
        .text("message", "The printer by the kitchen shows offline.")
        .text("website", website);
    let res = form.post(client, "/tickets");
    let status = res.status();
    let loc = location(&res);
    (status, loc, res.into_string().unwrap_or_default())
}

#[test]
fn a_bot_filling_the_honeypot_is_told_it_worked_and_nothing_is_stored() {
    let app = TestApp::new();
    let form = get_ok(&app.client, "/tickets/new");
    let at = form.find("name=\"website\"").expect("the honeypot field");
    let field = &form[form[..at].rfind('<').unwrap()..at + form[at..].find('>').unwrap()];
    assert!(
        field.contains("tabindex=\"-1\"") && field.contains("autocomplete=\"off\""),
        "{field}"
    );
    assert!(
        form.contains("class=\"hp-field\" aria-hidden=\"true\""),
        "hidden from people"
    );

    let (status, to, _) = submit(
        &app.client,
        "bot@spam.example",
        "Cheap pills",
        "http://spam.example",
    );
    assert_eq!(status, Status::SeeOther);
    assert_eq!(to, "/tickets/received");
    let page = get_ok(&app.client, &to);
    assert!(page.contains("Your ticket has been submitted."), "{page}");
    assert_eq!(
        app.count("SELECT COUNT(*) FROM tickets"),
        0,
        "nothing stored"
    );
    assert_eq!(app.count("SELECT COUNT(*) FROM messages"), 0);

    // A person leaves it empty and gets a ticket.
    let (status, to, _) = submit(&app.client, "ana@office.example", "Printer", "");
    assert_eq!(status, Status::SeeOther);
    assert!(
        to.starts_with("/tickets/") && to.ends_with("?created=true"),
        "{to}"
    );
    assert_eq!(app.count("SELECT COUNT(*) FROM tickets"), 1);
}

#[test]
fn the_limits_answer_429_with_the_form_kept_and_zero_turns_them_off() {
    let app = TestApp::with_config(|c| {
        c.submit_limit_per_email_hour = 2;
        c.submit_limit_per_address_hour = 3;
    });
    for i in 0..2 {
        let (status, _, _) = submit(
            &app.client,
            "ana@office.example",
            &format!("Ticket {i}"),
            "",
        );
        assert_eq!(status, Status::SeeOther);
    }
    let (status, _, page) = submit(&app.client, "ana@office.example", "Third from Ana", "");
    assert_eq!(status, Status::TooManyRequests);
    assert!(
        page.contains("id=\"refused\"") && page.contains("many tickets in the last hour"),
        "{page}"
    );
    assert!(
        page.contains("value=\"Third from Ana\""),
        "the form is kept: {page}"
    );
    // Another colleague behind the same router: one more fits in the address's 3.
    let (status, _, _) = submit(&app.client, "bob@office.example", "From Bob", "");
    assert_eq!(status, Status::SeeOther);
    let (status, _, page) = submit(&app.client, "carla@office.example", "From Carla", "");
    assert_eq!(status, Status::TooManyRequests);
    assert!(page.contains("many tickets"), "{page}");
    assert_eq!(app.count("SELECT COUNT(*) FROM tickets"), 3);

    // Spanish.
    let token = csrf(&app.client, "/tickets/new");
    let mut form = Multipart::new();
    form.text("csrf_token", &token)
        .text("name", "Ana")
        .text("email", "ana@office.example")
        .text("category", "2")
        .text("subject", "Otra")
        .text("message", "Hola");
    let res = app
        .client
        .post("/tickets")
        .header(accept_language("es"))
        .header(Multipart::content_type())
        .body(form.finish())
        .dispatch();
    assert_eq!(res.status(), Status::TooManyRequests);
    assert!(
        res.into_string()
            .unwrap()
            .contains("muchas solicitudes en la última hora")
    );

    let off = TestApp::with_config(|c| {
        c.submit_limit_per_email_hour = 0;
        c.submit_limit_per_address_hour = 0;
    });
    for i in 0..25 {
        let (status, _, _) = submit(
            &off.client,
            "ana@office.example",
            &format!("Ticket {i}"),
            "",
        );
        assert_eq!(status, Status::SeeOther, "0 = no limit (ticket {i})");
    }
}

fn ban(app: &TestApp, value: &str) -> Status {
    let token = csrf(&app.client, "/admin/bans");
    post_form(
        &app.client,
        "/admin/bans",
        &[("csrf_token", &token), ("value", value)],
    )
    .status()
}

#[test]
fn a_banned_domain_s_tickets_and_mail_create_nothing_and_are_counted() {
    let app = TestApp::new();
    login(&app.client, ADMIN_EMAIL, ADMIN_PASSWORD);
    assert_eq!(ban(&app, "spam.example"), Status::SeeOther);
    assert_eq!(
        ban(&app, "spam.example"),
        Status::UnprocessableEntity,
        "already banned"
    );
    let res = {
        let token = csrf(&app.client, "/admin/bans");
        post_form(
            &app.client,
            "/admin/bans",
            &[("csrf_token", &token), ("value", "not a domain")],
        )
    };
    assert_eq!(res.status(), Status::UnprocessableEntity);
    assert!(res.into_string().unwrap().contains("id=\"value-error\""));

    let portal = app.other_client();
    let (status, _, page) = submit(&portal, "Bot@Spam.Example", "Offer", "");
    assert_eq!(status, Status::Forbidden);
    assert!(
        page.contains("We can&#x27;t accept tickets from this address")
            || page.contains("We can't accept tickets from this address"),
        "{page}"
    );
    assert!(page.contains("value=\"Offer\""), "the form is kept");

    // Mail from the banned domain, through the real pipe (the same import IMAP uses).
    let raw = b"From: Bot <bot@spam.example>\r\nTo: help@desk.example\r\nSubject: Buy now\r\nMessage-ID: <spam-1@spam.example>\r\n\r\nCheap pills.\r\n";
    let run = server::run(&app.config.db, &["mail", "pipe"], &[], raw);
    assert_eq!(run.code, Some(0), "{run:?}");
    assert!(
        run.stdout.contains("ignored: the sender is banned"),
        "{run:?}"
    );
    assert_eq!(
        app.count("SELECT COUNT(*) FROM tickets"),
        0,
        "nothing created"
    );
    assert_eq!(app.count("SELECT dropped_mails FROM bans"), 1);
    assert_eq!(app.count("SELECT refused_submissions FROM bans"), 1);
    let page = get_ok(&app.client, "/admin/bans");
    assert!(page.contains("spam.example"));
    assert!(
        page.contains("data-count=\"mails\">1<") && page.contains("data-count=\"submissions\">1<"),
        "{page}"
    );
    // Everyone else still gets in, by portal and by mail.
    let raw = b"From: Ana <ana@office.example>\r\nTo: help@desk.example\r\nSubject: Printer\r\nMessage-ID: <ok-1@office.example>\r\n\r\nIt jams.\r\n";
    let run = server::run(&app.config.db, &["mail", "pipe"], &[], raw);
    assert!(run.stdout.starts_with("new ticket"), "{run:?}");

    // Removed: accepted again.
    let id = app.count("SELECT id FROM bans");
    let token = csrf(&app.client, "/admin/bans");
    let res = post_form(
        &app.client,
        &format!("/admin/bans/{id}/remove"),
        &[("csrf_token", &token)],
    );
    assert_eq!(res.status(), Status::SeeOther);
    let (status, _, _) = submit(&portal, "bot@spam.example", "Offer", "");
    assert_eq!(status, Status::SeeOther);
}

#[test]
fn marking_spam_bans_the_requester_and_hides_the_ticket() {
    let app = TestApp::new();
    let tid = submit_ticket(
        &app.client,
        &TicketInput {
            email: "pills@junk.example",
            subject: "Viagra discount zebrafish",
            ..TicketInput::default()
        },
        &[],
    );
    let kept = submit_ticket(&app.client, &TicketInput::default(), &[]);
    let id = ticket_id(&app, &tid);
    let staff = app.other_client();
    login(&staff, AGENT_EMAIL, AGENT_PASSWORD);
    let page = get_ok(&staff, &format!("/staff/tickets/{id}"));
    assert!(
        page.contains(&format!("action=\"/staff/tickets/{id}/spam\"")),
        "the button is on the page"
    );
    assert!(
        page.contains("name=\"ban\" value=\"true\" checked"),
        "ban ticked by default"
    );
    assert!(!page.contains("/delete\""), "agents cannot delete");
    let token = csrf_in(&page);
    let res = post_form(
        &staff,
        &format!("/staff/tickets/{id}/spam"),
        &[("csrf_token", &token), ("ban", "true")],
    );
    assert_eq!(res.status(), Status::SeeOther);

    let list = get_ok(&staff, "/staff/tickets?view=all");
    assert!(!list.contains(&tid), "hidden from the list");
    assert!(list.contains(&kept));
    let found = get_ok(&staff, "/staff/tickets?view=all&q=zebrafish");
    assert!(!found.contains(&tid), "hidden from the search");
    assert_eq!(
        app.count(&format!(
            "SELECT COUNT(*) FROM ticket_metrics WHERE ticket_id = {id}"
        )),
        0,
        "out of the reports"
    );
    assert_eq!(
        app.count(
            "SELECT COUNT(*) FROM bans WHERE kind = 'email' AND value = 'pills@junk.example'"
        ),
        1
    );
    let page = get_ok(&staff, &format!("/staff/tickets/{id}"));
    assert!(
        page.contains("Marked as spam, requester banned"),
        "the history says so"
    );
    // The banned requester cannot open another.
    let (status, _, _) = submit(&app.other_client(), "pills@junk.example", "Again", "");
    assert_eq!(status, Status::Forbidden);

    // Not spam after all: back in the list.
    let token = csrf_in(&page);
    let res = post_form(
        &staff,
        &format!("/staff/tickets/{id}/not-spam"),
        &[("csrf_token", &token)],
    );
    assert_eq!(res.status(), Status::SeeOther);
    assert!(get_ok(&staff, "/staff/tickets?view=all&q=zebrafish").contains(&tid));
}

#[test]
fn an_admin_deletes_a_ticket_with_everything_of_it() {
    let app = TestApp::new();
    let tid = submit_ticket(
        &app.client,
        &TicketInput {
            subject: "Delete me quokka",
            ..TicketInput::default()
        },
        &[("log.txt", "text/plain", b"some log")],
    );
    let id = ticket_id(&app, &tid);
    let agent = app.other_client();
    login(&agent, AGENT_EMAIL, AGENT_PASSWORD);
    let token = csrf(&agent, &format!("/staff/tickets/{id}"));
    let mut form = Multipart::new();
    form.text("csrf_token", &token)
        .text("kind", "note")
        .text("message", "internal quokka note");
    assert_eq!(
        form.post(&agent, &format!("/staff/tickets/{id}/reply"))
            .status(),
        Status::SeeOther
    );
    assert_eq!(
        agent
            .get(format!("/staff/tickets/{id}/delete"))
            .dispatch()
            .status(),
        Status::Forbidden
    );
    let res = post_form(
        &agent,
        &format!("/staff/tickets/{id}/delete"),
        &[("csrf_token", &token)],
    );
    assert_eq!(res.status(), Status::Forbidden);

    login(&app.client, ADMIN_EMAIL, ADMIN_PASSWORD);
    let ticket_page = get_ok(&app.client, &format!("/staff/tickets/{id}"));
    assert!(ticket_page.contains(&format!("href=\"/staff/tickets/{id}/delete\"")));
    let confirm = get_ok(&app.client, &format!("/staff/tickets/{id}/delete"));
    assert!(confirm.contains("2 messages, 1 attachments"), "{confirm}");
    let token = csrf_in(&confirm);
    let res = post_form(
        &app.client,
        &format!("/staff/tickets/{id}/delete"),
        &[("csrf_token", &token)],
    );
    assert_eq!(res.status(), Status::SeeOther);

    for table in [
        "tickets WHERE id",
        "messages WHERE ticket_id",
        "attachments WHERE ticket_id",
        "ticket_events WHERE ticket_id",
        "ticket_metrics WHERE ticket_id",
        "ticket_sla WHERE ticket_id",
        "outbox WHERE ticket_id",
        "ticket_search WHERE rowid",
    ] {
        assert_eq!(
            app.count(&format!("SELECT COUNT(*) FROM {table} = {id}")),
            0,
            "{table}"
        );
    }
    assert_eq!(
        app.count("SELECT COUNT(*) FROM ticket_search WHERE ticket_search MATCH 'quokka'"),
        0
    );
    assert_eq!(
        app.count(&format!(
            "SELECT COUNT(*) FROM audit_log WHERE action = 'ticket_deleted' AND detail = '{tid}'"
        )),
        1,
        "audited by tracking ID"
    );
    assert_eq!(
        app.client
            .get(format!("/staff/tickets/{id}"))
            .dispatch()
            .status(),
        Status::NotFound
    );
}
