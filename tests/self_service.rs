//! "My tickets" end to end: a requester asks for a sign-in link on the portal, gets it by mail
//! through a real SMTP server (aiosmtpd), opens it once, and sees every ticket of their address
//! (and only those), each openable without its tracking ID. The answer is the same for an
//! address without tickets (and no mail goes to it); a used or expired link says so.

use rocket::http::Status;
use rocket::local::blocking::Client;

use crate::common::server;
use crate::common::smtp::Smtp;
use crate::common::*;
use helpdesk::auth::requester_links;

fn ask_for_link(client: &Client, email: &str) -> (Status, String) {
    let token = csrf(client, "/tickets/mine");
    let res = post_form(
        client,
        "/tickets/mine",
        &[("csrf_token", &token), ("email", email)],
    );
    let status = res.status();
    (status, res.into_string().unwrap_or_default())
}

/// The sign-in link in the mails to `addr` (its path and query).
fn sign_in_link(smtp: &Smtp, addr: &str, mails_expected: usize) -> String {
    let mails = smtp.wait_for_to(addr, mails_expected);
    let text = mails
        .iter()
        .filter_map(|m| m["text"].as_str())
        .find(|t| t.contains("/tickets/mine/signin?token="))
        .expect("a sign-in mail")
        .to_string();
    let start = text.find("/tickets/mine/signin?token=").expect("link");
    let rest = &text[start..];
    let end = rest.find(char::is_whitespace).unwrap_or(rest.len());
    rest[..end].to_string()
}

/// Posts the link's sign-in button: status and Location or page.
fn sign_in(client: &Client, link: &str) -> (Status, String) {
    let page = client
        .get(link.to_string())
        .dispatch()
        .into_string()
        .unwrap_or_default();
    let csrf_token = csrf_in(&page);
    let token = link.split("token=").nth(1).expect("token");
    let res = post_form(
        client,
        "/tickets/mine/signin",
        &[("csrf_token", &csrf_token), ("token", token)],
    );
    let status = res.status();
    let loc = location(&res);
    (
        status,
        if loc.is_empty() {
            res.into_string().unwrap_or_default()
        } else {
            loc
        },
    )
}

#[test]
fn a_requester_gets_a_link_by_mail_and_sees_all_their_tickets_once() {
    let dir = tempfile::tempdir().expect("temp dir");
    let port = server::free_port();
    let smtp = Smtp::start(dir.path(), port);
    let app = TestApp::with_config(|c| c.smtp_url = format!("smtp://127.0.0.1:{port}"));
    let ana = "ana@office.example";
    let first = submit_ticket(
        &app.client,
        &TicketInput {
            subject: "Printer jams",
            ..TicketInput::default()
        },
        &[],
    );
    let second = submit_ticket(
        &app.client,
        &TicketInput {
            subject: "Monitor flickers",
            ..TicketInput::default()
        },
        &[],
    );
    let bobs = submit_ticket(
        &app.client,
        &TicketInput {
            email: "bob@office.example",
            subject: "Bob's keyboard",
            ..TicketInput::default()
        },
        &[],
    );
    // The "request received" mails come first.
    smtp.wait_for_to(ana, 2);

    // The same answer for an address with tickets and one without; mail only to the first.
    let browser = app.other_client();
    let (status, known) = ask_for_link(&browser, ana);
    assert_eq!(status, Status::Ok);
    let (status, unknown) = ask_for_link(&browser, "nobody@office.example");
    assert_eq!(status, Status::Ok);
    assert!(known.contains("id=\"mine-sent\""), "{known}");
    assert_eq!(
        known.replace(ana, "X"),
        unknown.replace("nobody@office.example", "X"),
        "the page must not tell whether an address has tickets"
    );
    let link = sign_in_link(&smtp, ana, 3);
    assert!(
        smtp.to("nobody@office.example").is_empty(),
        "no mail for an address without tickets"
    );
    assert_eq!(app.count("SELECT COUNT(*) FROM requester_links"), 1);
    let token = link.split("token=").nth(1).unwrap().to_string();
    let stored = token.clone();
    let in_clear = app
        .db
        .read_blocking(move |c| {
            Ok(c.query_row(
                "SELECT COUNT(*) FROM requester_links WHERE token_hash = ?1",
                [&stored],
                |r| r.get::<_, i64>(0),
            )?)
        })
        .unwrap();
    assert_eq!(in_clear, 0, "only a hash of the token is stored");

    // Opening the link changes nothing; its button signs in.
    let (status, to) = sign_in(&browser, &link);
    assert_eq!(status, Status::SeeOther);
    assert_eq!(to, "/tickets/mine");
    let list = get_ok(&browser, "/tickets/mine");
    assert!(list.contains(&first) && list.contains(&second), "{list}");
    assert!(!list.contains(&bobs), "only this address's tickets");
    assert!(
        list.find(&second).unwrap() < list.find(&first).unwrap(),
        "newest first"
    );
    // Each opens without its tracking ID; somebody else's does not.
    let page = get_ok(&browser, &format!("/tickets/{first}"));
    assert!(
        page.contains("Printer jams") && page.contains("/reply"),
        "{page}"
    );
    let other = get_ok(&browser, &format!("/tickets/{bobs}"));
    assert!(
        !other.contains("Bob&#x27;s keyboard") && !other.contains("/reply"),
        "{other}"
    );

    // Used once: the link now says so, and offers a new one.
    let (status, page) = sign_in(&app.other_client(), &link);
    assert_eq!(status, Status::BadRequest);
    assert!(
        page.contains("id=\"mine-used\"") && page.contains("action=\"/tickets/mine\""),
        "{page}"
    );

    // Signing out ends the session on the server.
    let token = csrf(&browser, "/tickets/mine");
    let res = post_form(&browser, "/tickets/mine/signout", &[("csrf_token", &token)]);
    assert_eq!(res.status(), Status::SeeOther);
    assert_eq!(app.count("SELECT COUNT(*) FROM requester_sessions"), 0);
    let page = get_ok(&browser, &format!("/tickets/{first}"));
    assert!(
        !page.contains("/reply"),
        "signed out: the lookup form again"
    );
}

#[test]
fn an_expired_link_says_so() {
    let app = TestApp::new();
    submit_ticket(&app.client, &TicketInput::default(), &[]);
    // A link made 31 minutes ago (the time is the store's parameter: no sleeping).
    let made = helpdesk::db::now() - requester_links::LINK_SECS - 60;
    let token = app
        .db
        .write_blocking(move |c| requester_links::create(c, "ana@office.example", made))
        .unwrap();
    let link = format!("/tickets/mine/signin?token={token}");
    let browser = app.other_client();
    let res = browser.get(link.clone()).dispatch();
    assert_eq!(res.status(), Status::BadRequest);
    let page = res.into_string().unwrap_or_default();
    assert!(page.contains("id=\"mine-expired\""), "{page}");
    let (status, page) = sign_in(&app.other_client(), &link);
    assert_eq!(status, Status::BadRequest);
    assert!(page.contains("id=\"mine-expired\""), "{page}");
    assert_eq!(app.count("SELECT COUNT(*) FROM requester_sessions"), 0);
}

#[test]
fn the_link_comes_in_spanish_from_the_spanish_page_and_the_lookup_form_leads_to_it() {
    let dir = tempfile::tempdir().expect("temp dir");
    let port = server::free_port();
    let smtp = Smtp::start(dir.path(), port);
    let app = TestApp::with_config(|c| c.smtp_url = format!("smtp://127.0.0.1:{port}"));
    submit_ticket(&app.client, &TicketInput::default(), &[]);
    smtp.wait_for_to("ana@office.example", 1);
    let home = app
        .client
        .get("/")
        .header(accept_language("es"))
        .dispatch()
        .into_string()
        .unwrap();
    assert!(
        home.contains("href=\"/tickets/mine\"")
            && home.contains("¿Olvidó su número de seguimiento?"),
        "{home}"
    );
    let page = app
        .client
        .get("/tickets/mine")
        .header(accept_language("es"))
        .dispatch()
        .into_string()
        .unwrap();
    assert!(page.contains("Enviarme un enlace de acceso"), "{page}");
    let token = csrf_in(&page);
    let res = app
        .client
        .post("/tickets/mine")
        .header(rocket::http::ContentType::Form)
        .header(accept_language("es"))
        .body(format!("csrf_token={token}&email=ana%40office.example"))
        .dispatch();
    assert_eq!(res.status(), Status::Ok);
    assert!(
        res.into_string()
            .unwrap()
            .contains("le hemos enviado un enlace")
    );
    let mails = smtp.wait_for_to("ana@office.example", 2);
    let mail = mails
        .iter()
        .find(|m| {
            m["text"]
                .as_str()
                .unwrap_or("")
                .contains("/tickets/mine/signin")
        })
        .unwrap();
    assert!(
        mail["subject"]
            .as_str()
            .unwrap()
            .contains("enlace de acceso"),
        "{mail}"
    );
    assert!(
        mail["text"].as_str().unwrap().contains("30 minutos"),
        "{mail}"
    );
    // A bad address gets a clear message next to the field.
    let res = post_form(
        &app.client,
        "/tickets/mine",
        &[("csrf_token", &token), ("email", "not-an-address")],
    );
    assert_eq!(res.status(), Status::UnprocessableEntity);
    assert!(res.into_string().unwrap().contains("id=\"email-error\""));
}
