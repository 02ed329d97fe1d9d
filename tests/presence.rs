//! The collision warning (issue 16 item 8): a reply written on a page older than the newest
//! message is refused with the text kept and "X replied … — review before sending", and "Send
//! anyway" sends it; the presence endpoint lists the other viewers and typists and the change
//! since the page was opened; in a real browser the banner shows the other agent without reload.

use std::time::{Duration, Instant};

use rocket::http::Status;
use rocket::local::blocking::Client;
use serde_json::Value;

use crate::common::browser::{Driver, admin_password, type_into, wait_for, xpath_literal};
use crate::common::server::{self, Server};
use crate::common::*;
use crate::followers::staff_says;
use fantoccini::Locator;

/// The `value` of the page's hidden input `name`.
fn hidden(page: &str, name: &str) -> String {
    let marker = format!("name=\"{name}\" value=\"");
    let start = page.find(&marker).map(|i| i + marker.len()).expect(name);
    page[start..start + page[start..].find('"').unwrap()].to_string()
}

fn attr(page: &str, name: &str) -> String {
    let marker = format!("{name}=\"");
    let start = page.find(&marker).map(|i| i + marker.len()).expect(name);
    page[start..start + page[start..].find('"').unwrap()].to_string()
}

fn reply_seen_at<'c>(
    client: &'c Client,
    id: i64,
    token: &str,
    seen_at: &str,
    text: &str,
) -> rocket::local::blocking::LocalResponse<'c> {
    let mut form = Multipart::new();
    form.text("csrf_token", token)
        .text("message", text)
        .text("kind", "reply")
        .text("seen_at", seen_at);
    form.post(client, &format!("/staff/tickets/{id}/reply"))
}

#[test]
fn a_reply_to_an_older_conversation_is_held_with_its_text_and_send_anyway_sends_it() {
    let app = TestApp::new();
    let tid = submit_ticket(&app.client, &TicketInput::default(), &[]);
    let id = ticket_id(&app, &tid);
    let agent = app.other_client();
    login(&agent, AGENT_EMAIL, AGENT_PASSWORD);
    let admin = app.other_client();
    login(&admin, ADMIN_EMAIL, ADMIN_PASSWORD);

    let page = get_ok(&agent, &format!("/staff/tickets/{id}"));
    let (token, seen_at) = (csrf_in(&page), hidden(&page, "seen_at"));
    // Meanwhile Alice answers.
    assert_eq!(
        staff_says(&admin, id, "reply", "Fixed it remotely.", &[]),
        Status::SeeOther
    );

    let res = reply_seen_at(&agent, id, &token, &seen_at, "I will come by at noon.");
    assert_eq!(res.status(), Status::UnprocessableEntity);
    let page = res.into_string().unwrap();
    assert!(
        page.contains("Alice Admin replied just now — review before sending"),
        "{page}"
    );
    assert!(page.contains("I will come by at noon."), "the text is kept");
    assert!(
        page.contains("Fixed it remotely."),
        "the new reply is on the page"
    );
    assert!(page.contains("Send anyway"));
    assert_eq!(
        app.count("SELECT COUNT(*) FROM messages WHERE kind = 'staff'"),
        1,
        "not sent"
    );

    // "Send anyway" is the same form, now carrying the version it shows.
    let fresh = hidden(&page, "seen_at");
    assert_ne!(fresh, seen_at);
    let res = reply_seen_at(&agent, id, &token, &fresh, "I will come by at noon.");
    assert_eq!(res.status(), Status::SeeOther);
    assert_eq!(
        app.count("SELECT COUNT(*) FROM messages WHERE kind = 'staff'"),
        2
    );
    // One's own messages never count against oneself; a note is never held.
    let res = reply_seen_at(&agent, id, &token, &fresh, "And bring a cable.");
    assert_eq!(res.status(), Status::SeeOther);

    // In Spanish.
    assert_eq!(
        staff_says(&admin, id, "note", "Cable en el almacén.", &[]),
        Status::SeeOther
    );
    let mut form = Multipart::new();
    form.text("csrf_token", &token)
        .text("message", "Voy ahora.")
        .text("kind", "reply")
        .text("seen_at", &fresh);
    let res = agent
        .post(format!("/staff/tickets/{id}/reply"))
        .header(Multipart::content_type())
        .header(accept_language("es"))
        .body(form.finish())
        .dispatch();
    let page = res.into_string().unwrap();
    assert!(
        page.contains("Enviar de todos modos") && page.contains("revise antes de enviar"),
        "{page}"
    );
}

/// One look of the presence script from `agent`'s browser.
fn beat(
    server: &Server,
    agent: &ureq::Agent,
    token: &str,
    seen: &str,
    opened: &str,
    typing: bool,
) -> Value {
    let typing = typing.to_string();
    let res = call(
        agent
            .post(&server.url("/staff/tickets/1/presence"))
            .send_form(&[
                ("csrf_token", token),
                ("seen", seen),
                ("opened", opened),
                ("typing", &typing),
            ]),
    );
    assert_eq!(res.status(), 200);
    serde_json::from_str(&res.into_string().unwrap()).unwrap()
}

/// A staff member signed in on the real server: their browser and the ticket page's HTML.
fn signed_in(server: &Server, email: &str, password: &str) -> (ureq::Agent, String) {
    let agent = server::agent();
    let token = server::csrf_from(&agent, &server.url("/staff/login"));
    let res = call(agent.post(&server.url("/staff/login")).send_form(&[
        ("csrf_token", &token),
        ("email", email),
        ("password", password),
    ]));
    assert_eq!(res.status(), 303, "login as {email}");
    let page = call(agent.get(&server.url("/staff/tickets/1")).call())
        .into_string()
        .unwrap();
    (agent, page)
}

/// A real server (presence lives in its memory) with a ticket, the first admin and agent Ana.
fn desk_with_two(dir: &std::path::Path) -> (Server, String) {
    let db = dir.join("helpdesk.db");
    let server = Server::start(&db);
    let password = admin_password(&server);
    let run = server::run(
        &db,
        &[
            "user",
            "add",
            "--role",
            "agent",
            "--email",
            "ana@desk.example",
            "--name",
            "Ana Ruiz",
            "--password-stdin",
        ],
        &[],
        b"ana-password-long-1\n",
    );
    assert_eq!(run.code, Some(0), "{run:?}");
    submit(&server);
    (server, password)
}

#[test]
fn the_presence_endpoint_lists_the_other_viewers_typists_and_the_change_since_opening() {
    let dir = tempfile::tempdir().unwrap();
    let (server, password) = desk_with_two(dir.path());
    let (ana, page) = signed_in(&server, "ana@desk.example", "ana-password-long-1");
    assert!(page.contains("id=\"presence\""));
    let (ana_token, seen, opened) = (
        csrf_in(&page),
        attr(&page, "data-seen"),
        attr(&page, "data-opened"),
    );
    let first = beat(&server, &ana, &ana_token, &seen, &opened, true);
    assert_eq!(first["viewers"], serde_json::json!([]));
    assert!(first["change"].is_null());

    let (admin, page) = signed_in(&server, "admin@localhost", &password);
    let admin_token = csrf_in(&page);
    let seen_by_admin = beat(&server, &admin, &admin_token, &seen, &opened, false);
    assert_eq!(seen_by_admin["viewers"], serde_json::json!(["Ana Ruiz"]));
    assert_eq!(seen_by_admin["typing"], serde_json::json!(["Ana Ruiz"]));

    // The admin replies: Ana's next look names it.
    let mut form = Multipart::new();
    form.text("csrf_token", &admin_token)
        .text("message", "On my way.")
        .text("kind", "reply");
    let res = call(
        admin
            .post(&server.url("/staff/tickets/1/reply"))
            .set("Content-Type", &Multipart::header_value())
            .send_bytes(&form.finish()),
    );
    assert_eq!(res.status(), 303);
    let next = beat(&server, &ana, &ana_token, &seen, &opened, false);
    assert_eq!(next["viewers"], serde_json::json!(["Administrator"]));
    assert!(
        next["typing"].as_array().unwrap().is_empty(),
        "she stopped typing"
    );
    assert_eq!(next["change"]["by"], "Administrator");
    assert_eq!(next["change"]["what"], "reply");
    assert_eq!(
        next["change"]["text"],
        "Administrator replied just now — review before sending"
    );

    // Without the form's token: refused. A ticket that does not exist: not found.
    let res = call(
        ana.post(&server.url("/staff/tickets/1/presence"))
            .send_form(&[("seen", "0")]),
    );
    assert_eq!(res.status(), 403);
    let res = call(
        ana.post(&server.url("/staff/tickets/999/presence"))
            .send_form(&[("csrf_token", &ana_token)]),
    );
    assert_eq!(res.status(), 404);
}

fn call(res: Result<ureq::Response, ureq::Error>) -> ureq::Response {
    match res {
        Ok(r) => r,
        Err(ureq::Error::Status(_, r)) => r,
        Err(e) => panic!("request failed: {e}"),
    }
}

/// A ticket through the real server's portal; its staff id (the first ticket is 1).
fn submit(server: &Server) {
    let agent = server::agent();
    let page = call(agent.get(&server.url("/tickets/new")).call())
        .into_string()
        .unwrap();
    let mut form = Multipart::new();
    form.text("csrf_token", &csrf_in(&page))
        .text("name", "Ana Garcia")
        .text("email", "ana@office.example")
        .text("category", "1")
        .text("subject", "Scanner jams")
        .text("message", "The scanner jams on every page.");
    let res = call(
        agent
            .post(&server.url("/tickets"))
            .set("Content-Type", &Multipart::header_value())
            .send_bytes(&form.finish()),
    );
    assert_eq!(res.status(), 303);
}

async fn logs_in(client: &fantoccini::Client, server: &Server, email: &str, password: &str) {
    client.goto(&server.url("/staff/login")).await.unwrap();
    wait_for(
        client,
        Locator::Css("form[action='/staff/login']"),
        "the login form",
    )
    .await;
    type_into(client, "#email", email).await;
    type_into(client, "#password", password).await;
    client
        .find(Locator::Css(
            "form[action='/staff/login'] button[type='submit']",
        ))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    wait_for(
        client,
        Locator::Css("form[action='/staff/logout']"),
        "the staff navigation",
    )
    .await;
}

#[test]
fn the_banner_shows_the_other_agent_live_in_the_browser() {
    let _heavy = heavy_test_lock();
    let driver = Driver::start();
    let dir = tempfile::tempdir().unwrap();
    let (server, password) = desk_with_two(dir.path());

    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    rt.block_on(async {
        let admin = driver.session("admin").await;
        let ana = driver.session("ana").await;
        logs_in(&admin, &server, "admin@localhost", &password).await;
        logs_in(&ana, &server, "ana@desk.example", "ana-password-long-1").await;
        admin.goto(&server.url("/staff/tickets/1")).await.unwrap();
        wait_for(&admin, Locator::Css("#presence"), "the presence box").await;
        // Ana opens it after: her page names the admin at its first look, without a reload.
        ana.goto(&server.url("/staff/tickets/1")).await.unwrap();
        let xpath = format!(
            "//p[@id='presence-who'][contains(., {})]",
            xpath_literal("Also viewing: Administrator")
        );
        let started = Instant::now();
        wait_for(
            &ana,
            Locator::XPath(&xpath),
            "the other viewer in the banner",
        )
        .await;
        assert!(started.elapsed() < Duration::from_secs(30));
        admin.close().await.ok();
        ana.close().await.ok();
    });
}
