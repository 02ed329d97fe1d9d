//! Followers, mentions and CC (issue 16 item 7) through the real app: staff follow a ticket and
//! hear of other people's changes only; an `@handle` in a note mails that colleague once, if they
//! may see the ticket; CC addresses from the portal form get the staff replies (a real SMTP
//! server) and never the notes; an incoming mail's Cc become CC followers and their mailed
//! replies are added as theirs.

use rocket::http::Status;
use rocket::local::blocking::Client;

use crate::common::server;
use crate::common::smtp::Smtp;
use crate::common::*;

/// Sends a reply ("reply") or note ("note") as the client's staff member.
pub fn staff_says(
    client: &Client,
    id: i64,
    kind: &str,
    text: &str,
    extra: &[(&str, &str)],
) -> Status {
    let token = csrf(client, &format!("/staff/tickets/{id}"));
    let mut form = Multipart::new();
    form.text("csrf_token", &token)
        .text("message", text)
        .text("kind", kind);
    for (k, v) in extra {
        form.text(k, v);
    }
    form.post(client, &format!("/staff/tickets/{id}/reply"))
        .status()
}

/// How many mails were queued to `to` whose subject contains `subject`.
fn mails(app: &TestApp, to: &str, subject: &str) -> i64 {
    app.count(&format!(
        "SELECT COUNT(*) FROM outbox WHERE to_addr = '{to}' AND subject LIKE '%{subject}%'"
    ))
}

fn body_of_last(app: &TestApp, to: &str, subject: &str) -> String {
    let (to, subject) = (to.to_string(), format!("%{subject}%"));
    app.db
        .read_blocking(move |c| {
            Ok(c.query_row(
                "SELECT body_text FROM outbox WHERE to_addr = ?1 AND subject LIKE ?2
                 ORDER BY id DESC LIMIT 1",
                [&to, &subject],
                |r| r.get(0),
            )?)
        })
        .expect("a mail")
}

fn mailing_app() -> TestApp {
    // Mail is queued for a server that never answers: the outbox is what the desk sent.
    TestApp::with_config(|c| c.smtp_url = "smtp://127.0.0.1:9".to_string())
}

fn staff_id(app: &TestApp, email: &str) -> i64 {
    app.count(&format!("SELECT id FROM staff WHERE email = '{email}'"))
}

#[test]
fn followers_hear_of_other_peoples_changes_and_not_of_their_own() {
    let app = mailing_app();
    let tid = submit_ticket(&app.client, &TicketInput::default(), &[]);
    let id = ticket_id(&app, &tid);
    let admin = app.other_client();
    login(&admin, ADMIN_EMAIL, ADMIN_PASSWORD);
    let agent = app.other_client();
    login(&agent, AGENT_EMAIL, AGENT_PASSWORD);

    let page = get_ok(&admin, &format!("/staff/tickets/{id}"));
    assert!(page.contains("id=\"follow\""), "a Follow button");
    let token = csrf_in(&page);
    let res = post_form(
        &admin,
        &format!("/staff/tickets/{id}/follow"),
        &[("csrf_token", &token)],
    );
    assert_eq!(res.status(), Status::SeeOther);
    let page = get_ok(&admin, &format!("/staff/tickets/{id}"));
    assert!(
        page.contains("id=\"unfollow\"") && page.contains("Alice Admin"),
        "following"
    );

    // Gus replies and changes the priority: Alice hears of both, in one mail each action.
    assert_eq!(
        staff_says(&agent, id, "reply", "Have you tried turning it off?", &[]),
        Status::SeeOther
    );
    assert_eq!(mails(&app, ADMIN_EMAIL, "Update:"), 1);
    let body = body_of_last(&app, ADMIN_EMAIL, "Update:");
    assert!(
        body.contains("Gus Agent") && body.contains("Have you tried turning it off?"),
        "{body}"
    );
    let token = csrf(&agent, &format!("/staff/tickets/{id}"));
    let res = post_form(
        &agent,
        &format!("/staff/tickets/{id}/update"),
        &[("csrf_token", &token), ("priority", "3")],
    );
    assert_eq!(res.status(), Status::SeeOther);
    assert_eq!(mails(&app, ADMIN_EMAIL, "Update:"), 2);
    assert!(body_of_last(&app, ADMIN_EMAIL, "Update:").contains("Priority:"));
    // The requester's reply too.
    let mut form = Multipart::new();
    form.text("csrf_token", &csrf(&app.client, &format!("/tickets/{tid}")))
        .text("message", "Still offline.");
    assert_eq!(
        form.post(&app.client, &format!("/tickets/{tid}/reply"))
            .status(),
        Status::SeeOther
    );
    assert_eq!(mails(&app, ADMIN_EMAIL, "Update:"), 3);

    // Her own note is no news to her; Gus, not following, gets no follower mail at all.
    assert_eq!(
        staff_says(&admin, id, "note", "Ordering a new toner.", &[]),
        Status::SeeOther
    );
    assert_eq!(mails(&app, ADMIN_EMAIL, "Update:"), 3);
    assert_eq!(mails(&app, AGENT_EMAIL, "Update:"), 0);

    // Unfollowed, nothing more.
    let token = csrf(&admin, &format!("/staff/tickets/{id}"));
    post_form(
        &admin,
        &format!("/staff/tickets/{id}/unfollow"),
        &[("csrf_token", &token)],
    );
    assert_eq!(
        staff_says(&agent, id, "note", "Toner arrived.", &[]),
        Status::SeeOther
    );
    assert_eq!(mails(&app, ADMIN_EMAIL, "Update:"), 3);
}

#[test]
fn a_mention_mails_that_colleague_once_and_only_when_they_may_see_the_ticket() {
    let app = mailing_app();
    let general = submit_ticket(
        &app.client,
        &TicketInput {
            category: "1",
            ..TicketInput::default()
        },
        &[],
    );
    let hardware = submit_ticket(
        &app.client,
        &TicketInput {
            category: "2",
            subject: "Broken dock",
            ..TicketInput::default()
        },
        &[],
    );
    let admin = app.other_client();
    login(&admin, ADMIN_EMAIL, ADMIN_PASSWORD);

    // The note box offers the colleagues who may see the ticket.
    let list: serde_json::Value = serde_json::from_str(&get_ok(
        &admin,
        &format!("/staff/tickets/{}/mentions", ticket_id(&app, &hardware)),
    ))
    .unwrap();
    assert!(
        list.as_array()
            .unwrap()
            .iter()
            .any(|p| p["handle"] == "agent" && p["name"] == "Gus Agent"),
        "{list}"
    );

    // By first name and by handle, twice in one note: one mail. A reply never mentions.
    let hw = ticket_id(&app, &hardware);
    assert_eq!(
        staff_says(
            &admin,
            hw,
            "note",
            "@Gus can you look? (@agent, this one)",
            &[]
        ),
        Status::SeeOther
    );
    assert_eq!(mails(&app, AGENT_EMAIL, "You were mentioned"), 1);
    assert!(body_of_last(&app, AGENT_EMAIL, "You were mentioned").contains("can you look?"));
    assert_eq!(
        staff_says(&admin, hw, "reply", "@gus will look at it", &[]),
        Status::SeeOther
    );
    assert_eq!(mails(&app, AGENT_EMAIL, "You were mentioned"), 1);
    // Nobody by that name, and no mention of oneself.
    assert_eq!(
        staff_says(&admin, hw, "note", "@nobody @alice", &[]),
        Status::SeeOther
    );
    assert_eq!(mails(&app, ADMIN_EMAIL, "You were mentioned"), 0);

    // Gus limited to General: a mention on the Hardware ticket reaches nobody.
    let gus = staff_id(&app, AGENT_EMAIL);
    let path = format!("/admin/staff/{gus}");
    let token = csrf(&admin, &path);
    let res = post_form(
        &admin,
        &path,
        &[
            ("csrf_token", &token),
            ("name", "Gus Agent"),
            ("role", "agent"),
            ("active", "on"),
            ("categories", "1"),
        ],
    );
    assert_eq!(res.status(), Status::SeeOther);
    assert_eq!(
        staff_says(&admin, hw, "note", "@gus again", &[]),
        Status::SeeOther
    );
    assert_eq!(mails(&app, AGENT_EMAIL, "You were mentioned"), 1);
    let list = get_ok(&admin, &format!("/staff/tickets/{hw}/mentions"));
    assert!(!list.contains("Gus Agent"), "{list}");
    // On the General ticket he is mentioned.
    assert_eq!(
        staff_says(&admin, ticket_id(&app, &general), "note", "@gus here", &[]),
        Status::SeeOther
    );
    assert_eq!(mails(&app, AGENT_EMAIL, "You were mentioned"), 2);
}

/// Submits a portal ticket with `cc`; the response.
fn submit_with_cc<'c>(client: &'c Client, cc: &str) -> rocket::local::blocking::LocalResponse<'c> {
    let token = csrf(client, "/tickets/new");
    let mut form = Multipart::new();
    form.text("csrf_token", &token)
        .text("name", "Ana Garcia")
        .text("email", "ana@office.example")
        .text("category", "2")
        .text("subject", "Projector in room 4")
        .text("message", "The projector shows no picture.")
        .text("cc", cc);
    form.post(client, "/tickets")
}

#[test]
fn bad_cc_lists_are_refused_next_to_the_field_and_the_ticket_page_adds_and_removes() {
    let app = TestApp::new();
    let res = submit_with_cc(&app.client, "bob@office.example, not-an-address");
    assert_eq!(res.status(), Status::UnprocessableEntity);
    let page = res.into_string().unwrap();
    assert!(
        page.contains("id=\"cc-error\"") && page.contains("not-an-address"),
        "error and input kept"
    );
    let eleven: Vec<String> = (0..11).map(|i| format!("p{i}@office.example")).collect();
    let res = submit_with_cc(&app.client, &eleven.join("\n"));
    assert_eq!(res.status(), Status::UnprocessableEntity);
    assert!(res.into_string().unwrap().contains("At most 10"));
    assert_eq!(
        app.count("SELECT COUNT(*) FROM tickets"),
        0,
        "nothing stored"
    );

    let res = submit_with_cc(&app.client, "Bob@Office.example\ncarol@office.example");
    assert_eq!(res.status(), Status::SeeOther);
    let tid = location(&res)
        .trim_start_matches("/tickets/")
        .split('?')
        .next()
        .unwrap()
        .to_string();
    let page = get_ok(&app.client, &format!("/tickets/{tid}"));
    assert!(
        page.contains("bob@office.example") && page.contains("carol@office.example"),
        "{page}"
    );
    let token = csrf_in(&page);
    post_form(
        &app.client,
        &format!("/tickets/{tid}/cc/remove"),
        &[("csrf_token", &token), ("email", "bob@office.example")],
    );
    post_form(
        &app.client,
        &format!("/tickets/{tid}/cc"),
        &[("csrf_token", &token), ("cc", "dan@office.example")],
    );
    let res = post_form(
        &app.client,
        &format!("/tickets/{tid}/cc"),
        &[("csrf_token", &token), ("cc", "nope")],
    );
    assert_eq!(res.status(), Status::SeeOther);
    let page = get_ok(&app.client, &format!("/tickets/{tid}"));
    assert!(
        !page.contains("bob@office.example") && page.contains("dan@office.example"),
        "{page}"
    );
    assert!(
        page.contains("Each CC must be an email address"),
        "the refusal is said"
    );
    // Staff see them on the ticket.
    login(&app.other_client(), ADMIN_EMAIL, ADMIN_PASSWORD);
    let admin = app.other_client();
    login(&admin, ADMIN_EMAIL, ADMIN_PASSWORD);
    let page = get_ok(&admin, &format!("/staff/tickets/{}", ticket_id(&app, &tid)));
    assert!(page.contains("carol@office.example") && page.contains("dan@office.example"));
}

#[test]
fn a_cc_from_the_portal_form_receives_the_staff_reply_and_not_the_note() {
    let port = server::free_port();
    let dir = tempfile::tempdir().unwrap();
    let smtp = Smtp::start(dir.path(), port);
    let app = TestApp::with_config(|c| c.smtp_url = format!("smtp://127.0.0.1:{port}"));
    app.db
        .write_blocking(|c| Ok(c.execute("UPDATE staff SET notify_new_ticket = 0", [])?))
        .unwrap();
    let res = submit_with_cc(&app.client, "bob@office.example");
    assert_eq!(res.status(), Status::SeeOther);
    let tid = location(&res)
        .trim_start_matches("/tickets/")
        .split('?')
        .next()
        .unwrap()
        .to_string();
    let id = ticket_id(&app, &tid);
    let agent = app.other_client();
    login(&agent, AGENT_EMAIL, AGENT_PASSWORD);
    assert_eq!(
        staff_says(&agent, id, "note", "Secret: the projector is stolen.", &[]),
        Status::SeeOther
    );
    assert_eq!(
        staff_says(&agent, id, "reply", "A technician comes at 3 pm.", &[]),
        Status::SeeOther
    );

    let got = smtp.wait_for_to("bob@office.example", 1);
    assert_eq!(got.len(), 1, "{got:#?}");
    let mail = &got[0];
    assert!(
        mail["subject"]
            .as_str()
            .unwrap()
            .contains(&format!("[#{tid}]"))
    );
    assert!(
        mail["text"]
            .as_str()
            .unwrap()
            .contains("A technician comes at 3 pm.")
    );
    // The requester got theirs too; the note reached neither.
    let ana = smtp.wait_for_to("ana@office.example", 2);
    for m in smtp.messages() {
        assert!(
            !m["text"].as_str().unwrap().contains("stolen"),
            "a note was mailed: {m:#?}"
        );
    }
    assert!(
        ana.iter()
            .any(|m| m["text"].as_str().unwrap().contains("3 pm"))
    );
}

fn import(app: &TestApp, raw: String) -> String {
    let config = app.config.clone();
    let outcome = app
        .db
        .write_blocking(move |c| {
            let settings = helpdesk::settings::Settings::load(c)?;
            helpdesk::mail::incoming::import(c, raw.as_bytes(), &settings, &config)
        })
        .expect("import");
    outcome.to_string()
}

#[test]
fn mail_ccs_become_cc_followers_and_their_mailed_replies_are_theirs() {
    let app = mailing_app();
    let first = "From: Ana Garcia <ana@office.example>\r\nTo: helpdesk@localhost\r\n\
        Cc: \"Bob Stone\" <bob@office.example>, helpdesk@localhost, Ana <ana@office.example>\r\n\
        Subject: Wifi drops\r\nMessage-ID: <first-1@office.example>\r\n\r\nThe wifi drops every hour.\r\n";
    let outcome = import(&app, first.to_string());
    let tid = outcome
        .strip_prefix("new ticket ")
        .expect(&outcome)
        .to_string();
    let id = ticket_id(&app, &tid);
    assert_eq!(
        app.count(&format!(
            "SELECT COUNT(*) FROM ticket_followers WHERE ticket_id = {id} AND kind = 'cc'"
        )),
        1,
        "only Bob: not the desk, not the sender"
    );
    // Bob gets the staff reply, and answers it.
    let agent = app.other_client();
    login(&agent, AGENT_EMAIL, AGENT_PASSWORD);
    assert_eq!(
        staff_says(&agent, id, "reply", "Which floor?", &[]),
        Status::SeeOther
    );
    assert_eq!(mails(&app, "bob@office.example", "New reply"), 1);
    let bobs = app
        .db
        .read_blocking(move |c| {
            Ok(c.query_row(
                "SELECT message_id FROM outbox WHERE to_addr = 'bob@office.example'",
                [],
                |r| r.get::<_, String>(0),
            )?)
        })
        .unwrap();
    let answer = format!(
        "From: Bob Stone <bob@office.example>\r\nTo: helpdesk@localhost\r\n\
         Subject: Re: [#{tid}] Wifi drops\r\nIn-Reply-To: {bobs}\r\nMessage-ID: <bob-2@office.example>\r\n\r\n\
         Third floor, by the stairs.\r\n"
    );
    assert_eq!(import(&app, answer), format!("added to ticket {tid}"));
    let (kind, author, body): (String, String, String) = app
        .db
        .read_blocking(move |c| {
            Ok(c.query_row(
                "SELECT kind, author_name, body FROM messages WHERE ticket_id = ?1 ORDER BY id DESC LIMIT 1",
                [id],
                |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
            )?)
        })
        .unwrap();
    assert_eq!(kind, "requester");
    assert_eq!(author, "Bob Stone <bob@office.example>");
    assert_eq!(body, "Third floor, by the stairs.", "verified: no marker");
    // A stranger's mail about the ticket is still no reply to it.
    let stranger = format!(
        "From: eve@elsewhere.example\r\nSubject: Re: [#{tid}] Wifi drops\r\nMessage-ID: <eve-1@elsewhere.example>\r\n\r\nHi\r\n"
    );
    assert!(import(&app, stranger).starts_with("new ticket"));
}
