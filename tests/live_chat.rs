//! "Chat with IT" (issue 17 item 1): the portal offers it while an agent has the desk open; a
//! chat is a ticket with the channel `chat` opened through the desk's usual action; once the
//! requester leaves it goes on by email in the same thread. In real headless Chromium: the
//! whole flow, live, with the agent's alert.

use fantoccini::{Client, Locator};
use rocket::http::Status;

use crate::common::browser::{Driver, admin_password, click, staff_logs_in, type_into, wait_for};
use crate::common::server::Server;
use crate::common::{
    self, ADMIN_EMAIL, ADMIN_PASSWORD, AGENT_EMAIL, AGENT_PASSWORD, TestApp, csrf, location, login,
    post_form,
};

fn chat_form(
    client: &rocket::local::blocking::Client,
    fields: &[(&str, &str)],
) -> (Status, String, String) {
    // The form is on the home page only while an agent is online; its token is the page's.
    let token = csrf(client, "/tickets/new");
    let mut all = vec![("csrf_token", token.as_str())];
    all.extend_from_slice(fields);
    let res = post_form(client, "/chat", &all);
    let status = res.status();
    let loc = location(&res);
    (status, loc, res.into_string().unwrap_or_default())
}

#[test]
fn a_chat_is_a_chat_ticket_that_goes_on_by_email_in_the_same_thread() {
    let app = TestApp::with_config(|c| c.smtp_url = "smtp://127.0.0.1:9".into());
    // Nobody has the desk open: no "Chat now".
    let home = common::get_ok(&app.client, "/");
    assert!(!home.contains("id=\"chat-form\""));

    // Bad input: each problem next to its field, no ticket.
    let (status, _, body) = chat_form(
        &app.client,
        &[("name", " "), ("email", "not-an-email"), ("message", "")],
    );
    assert_eq!(status, Status::UnprocessableEntity);
    for field in ["name", "email", "message"] {
        assert!(
            body.contains(&format!("id=\"{field}-error\"")),
            "{field}: {body}"
        );
    }
    assert_eq!(app.count("SELECT COUNT(*) FROM tickets"), 0);

    let (status, loc, _) = chat_form(
        &app.client,
        &[
            ("name", "Ana Garcia"),
            ("email", "Ana@Office.example"),
            (
                "message",
                "My laptop will not join the Wi-Fi since this morning.",
            ),
        ],
    );
    assert_eq!(status, Status::SeeOther);
    let tid = loc
        .trim_start_matches("/tickets/")
        .split('?')
        .next()
        .unwrap_or("")
        .to_string();
    assert!(common::is_tracking_id(&tid), "{loc}");
    // Landed on the live ticket page, with access like after a normal submission.
    let page = common::get_ok(&app.client, &loc);
    assert!(page.contains("id=\"live\""), "the live page");
    assert!(page.contains("My laptop will not join the Wi-Fi"));
    assert_eq!(
        app.count("SELECT COUNT(*) FROM tickets WHERE channel = 'chat' AND requester_email = 'ana@office.example'"),
        1
    );

    // The agent answers after the requester left: the answer goes by mail, in the thread of the
    // confirmation mail.
    let staff = app.other_client();
    login(&staff, AGENT_EMAIL, AGENT_PASSWORD);
    let id = common::ticket_id(&app, &tid);
    let token = csrf(&staff, &format!("/staff/tickets/{id}"));
    let res = post_form(
        &staff,
        &format!("/staff/tickets/{id}/reply"),
        &[
            ("csrf_token", &token),
            ("kind", "reply"),
            ("message", "Forget the network and join it again."),
        ],
    );
    assert_eq!(res.status(), Status::SeeOther);
    let (first, reply_to, body) = app
        .db
        .read_blocking(move |c| {
            let first: String = c.query_row(
                "SELECT message_id FROM outbox WHERE ticket_id = ?1 AND to_addr = 'ana@office.example' ORDER BY id LIMIT 1",
                [id],
                |r| r.get(0),
            )?;
            let (reply_to, body): (Option<String>, String) = c.query_row(
                "SELECT in_reply_to, body_text FROM outbox WHERE ticket_id = ?1 AND to_addr = 'ana@office.example' ORDER BY id DESC LIMIT 1",
                [id],
                |r| Ok((r.get(0)?, r.get(1)?)),
            )?;
            Ok((first, reply_to, body))
        })
        .expect("the mails");
    assert_eq!(reply_to.as_deref(), Some(first.as_str()), "same thread");
    assert!(body.contains("Forget the network and join it again."));
}

async fn text_of(client: &Client, css: &str) -> String {
    client
        .find(Locator::Css(css))
        .await
        .expect("element")
        .text()
        .await
        .unwrap_or_default()
}

/// The chat passes the ticket form's own checks: a bot filling the honeypot is told it worked,
/// a banned domain is refused next to the email (and counted); neither stores anything.
#[test]
fn the_chat_refuses_bots_and_banned_addresses_like_the_ticket_form() {
    let app = TestApp::new();
    login(&app.client, ADMIN_EMAIL, ADMIN_PASSWORD);
    let token = csrf(&app.client, "/admin/bans");
    let res = post_form(
        &app.client,
        "/admin/bans",
        &[("csrf_token", &token), ("value", "spam.example")],
    );
    assert_eq!(res.status(), Status::SeeOther);
    let portal = app.other_client();
    let message = ("message", "Cheap pills for the whole office, today only.");
    let (status, loc, _) = chat_form(
        &portal,
        &[
            ("name", "Bot"),
            ("email", "bot@ok.example"),
            message,
            ("website", "http://bot.example"),
        ],
    );
    assert_eq!(
        (status, loc.as_str()),
        (Status::SeeOther, "/tickets/received")
    );
    let (status, _, body) = chat_form(
        &portal,
        &[("name", "Bot"), ("email", "Bot@Spam.Example"), message],
    );
    assert_eq!(status, Status::UnprocessableEntity);
    assert!(body.contains("id=\"email-error\""), "{body}");
    assert!(body.contains("this address"), "{body}");
    assert_eq!(app.count("SELECT COUNT(*) FROM tickets"), 0);
    assert_eq!(app.count("SELECT refused_submissions FROM bans"), 1);
}

#[test]
fn the_chat_flow_live_in_chromium() {
    let _heavy = common::heavy_test_lock();
    let driver = Driver::start();
    let dir = tempfile::tempdir().expect("temp dir");
    let server = Server::start(&dir.path().join("helpdesk.db"));
    let password = admin_password(&server);
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("tokio runtime");
    rt.block_on(async {
        // The agent has the desk open.
        let agent = driver.session("agent").await;
        staff_logs_in(&agent, &server, &password).await;

        // The employee sees "Chat now" and starts a chat.
        let employee = driver.session("employee").await;
        employee.goto(&server.url("/")).await.expect("portal home");
        wait_for(&employee, Locator::Css("#chat-form"), "Chat now").await;
        type_into(&employee, "#chat-name", "Ana Garcia").await;
        type_into(&employee, "#chat-email", "ana@office.example").await;
        type_into(&employee, "#chat-message", "The printer eats every page.").await;
        click(&employee, "#chat-start").await;
        wait_for(
            &employee,
            Locator::Css("#tracking-id"),
            "the chat's ticket page",
        )
        .await;
        wait_for(
            &employee,
            Locator::Css("#live.live-connected"),
            "the live stream",
        )
        .await;
        // A marker that a reload would wipe.
        employee
            .execute("window.__sameDocument = true;", vec![])
            .await
            .expect("marker");

        // The agent's desk alerts and leads to the ticket.
        let alert = wait_for(
            &agent,
            Locator::Css(".live-chat-alert a"),
            "the new chat alert",
        )
        .await;
        assert!(
            text_of(&agent, ".live-chat-alert")
                .await
                .contains("Ana Garcia")
        );
        alert.click().await.expect("open the chat");
        wait_for(
            &agent,
            Locator::Css("form#ticket-form"),
            "the chat's staff page",
        )
        .await;
        wait_for(
            &agent,
            Locator::Css("#live.live-connected"),
            "the staff stream",
        )
        .await;

        // The employee types: the agent sees it.
        type_into(&employee, "textarea#message", "Hello?").await;
        wait_for(
            &agent,
            Locator::XPath("//p[@id='live-typing'][contains(., 'Ana Garcia')]"),
            "the requester typing",
        )
        .await;

        // The agent answers: it appears on the employee's page without a reload.
        type_into(
            &agent,
            "textarea#message",
            "Open the back tray and pull the roller.",
        )
        .await;
        click(&agent, "#send-reply").await;
        wait_for(
            &employee,
            Locator::XPath(
                "//section[contains(@class, 'conversation')]//*[contains(., 'pull the roller')]",
            ),
            "the agent's reply, live",
        )
        .await;
        let same = employee
            .execute("return window.__sameDocument === true;", vec![])
            .await
            .expect("marker");
        assert_eq!(same.as_bool(), Some(true), "no reload");
        let typed = employee
            .execute("return document.getElementById('message').value;", vec![])
            .await
            .expect("draft");
        assert_eq!(
            typed.as_str(),
            Some("Hello?"),
            "the reply being typed stays"
        );
        employee.close().await.expect("close");
        agent.close().await.expect("close");
    });
}
