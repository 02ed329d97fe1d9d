//! A forgotten staff password, end to end: the link comes by mail through a real SMTP server
//! (aiosmtpd), sets a new password once, ends the old sessions, and an unknown address gets the
//! same answer and no mail.

use rocket::http::Status;

use crate::common::server;
use crate::common::smtp::Smtp;
use crate::common::{AGENT_EMAIL, AGENT_PASSWORD, TestApp, csrf, location, login, post_form};

fn ask_for_link(app: &TestApp, email: &str) {
    let token = csrf(&app.client, "/staff/password/forgot");
    let res = post_form(
        &app.client,
        "/staff/password/forgot",
        &[("csrf_token", &token), ("email", email)],
    );
    assert_eq!(res.status(), Status::SeeOther);
    assert_eq!(location(&res), "/staff/login");
}

/// The reset link in a mail's text part.
fn link_in(mail: &serde_json::Value) -> String {
    let text = mail["text"].as_str().expect("text part");
    let start = text
        .find("/staff/password/reset?token=")
        .expect("a reset link");
    let rest = &text[start..];
    let end = rest.find(char::is_whitespace).unwrap_or(rest.len());
    rest[..end].to_string()
}

fn set_password(app: &TestApp, link: &str, password: &str) -> (Status, String) {
    let page_token = csrf(&app.client, "/staff/password/forgot");
    let token = link.split("token=").nth(1).expect("token");
    let res = post_form(
        &app.client,
        "/staff/password/reset",
        &[
            ("csrf_token", &page_token),
            ("token", token),
            ("new_password", password),
        ],
    );
    let status = res.status();
    (status, res.into_string().unwrap_or_default())
}

#[test]
fn a_mailed_link_sets_a_new_password_once() {
    let dir = tempfile::tempdir().expect("temp dir");
    let port = server::free_port();
    let smtp = Smtp::start(dir.path(), port);
    let app = TestApp::with_config(|c| c.smtp_url = format!("smtp://127.0.0.1:{port}"));
    let laptop = app.other_client();
    login(&laptop, AGENT_EMAIL, AGENT_PASSWORD);

    ask_for_link(&app, "nobody@example.com");
    ask_for_link(&app, AGENT_EMAIL);
    let mails = smtp.wait_for_to(AGENT_EMAIL, 1);
    assert_eq!(smtp.messages().len(), 1, "no mail for an unknown address");
    let link = link_in(&mails[0]);

    // Opening the link changes nothing; a too common password is refused and keeps the link.
    let res = app.client.get(link.clone()).dispatch();
    assert_eq!(res.status(), Status::Ok);
    let (status, page) = set_password(&app, &link, "qwertyuiop");
    assert_eq!(status, Status::UnprocessableEntity);
    assert!(page.contains("most common"), "{page}");

    let (status, _) = set_password(&app, &link, "my-new-secret-42");
    assert_eq!(status, Status::SeeOther);
    let res = laptop.get("/staff/tickets").dispatch();
    assert_eq!(res.status(), Status::SeeOther, "the old sessions ended");
    login(&app.client, AGENT_EMAIL, "my-new-secret-42");

    // Used once: the same link again sets nothing.
    let (status, page) = set_password(&app, &link, "another-secret-43");
    assert_eq!(status, Status::UnprocessableEntity);
    assert!(page.contains("expired or was used"), "{page}");
    let res = app.client.get(link).dispatch();
    assert_eq!(res.status(), Status::BadRequest);
}

#[test]
fn an_expired_link_is_refused() {
    let dir = tempfile::tempdir().expect("temp dir");
    let port = server::free_port();
    let smtp = Smtp::start(dir.path(), port);
    let app = TestApp::with_config(|c| c.smtp_url = format!("smtp://127.0.0.1:{port}"));
    ask_for_link(&app, AGENT_EMAIL);
    let link = link_in(&smtp.wait_for_to(AGENT_EMAIL, 1)[0]);
    app.db
        .write_blocking(|c| {
            c.execute(
                "UPDATE password_resets SET expires_at = ?1",
                [helpdesk::db::now() - 1],
            )?;
            Ok(())
        })
        .expect("expire");
    let (status, page) = set_password(&app, &link, "my-new-secret-42");
    assert_eq!(status, Status::UnprocessableEntity);
    assert!(page.contains("expired or was used"), "{page}");
    // The old password still works.
    let other = app.other_client();
    login(&other, AGENT_EMAIL, AGENT_PASSWORD);
}
