//! The satisfaction survey end to end through the real mail: the real binary resolves a ticket,
//! the "resolved" mail reaches a real SMTP server with the two answers' links in both parts, a
//! mail scanner following them answers nothing, the requester's click and save is stored and
//! shown to staff; with the survey off the mail has no links.

use std::path::Path;

use crate::common::server::{self, Server};
use crate::common::smtp::Smtp;
use crate::common::*;
use rusqlite::{Connection, OpenFlags};
use serde_json::Value;

fn call(res: Result<ureq::Response, ureq::Error>) -> ureq::Response {
    match res {
        Ok(r) => r,
        Err(ureq::Error::Status(_, r)) => r,
        Err(e) => panic!("request failed: {e}"),
    }
}

fn start_helpdesk(db: &Path, port: u16, smtp_port: u16) -> Server {
    Server::start_with(
        db,
        port,
        &[
            ("HELPDESK_BASE_URL", format!("http://127.0.0.1:{port}")),
            ("HELPDESK_SMTP_URL", format!("smtp://127.0.0.1:{smtp_port}")),
        ],
    )
}

/// Submits a ticket from a fresh browser; its tracking ID.
fn submit(server: &Server, email: &str, subject: &str) -> String {
    let agent = server::agent();
    let page = call(agent.get(&server.url("/tickets/new")).call())
        .into_string()
        .expect("form");
    let mut form = Multipart::new();
    form.text("csrf_token", &csrf_in(&page))
        .text("name", "Ana Employee")
        .text("email", email)
        .text("category", "1")
        .text("subject", subject)
        .text("message", "The printer on floor 2 prints blank pages.");
    let res = call(
        agent
            .post(&server.url("/tickets"))
            .set("Content-Type", &Multipart::header_value())
            .send_bytes(&form.finish()),
    );
    assert_eq!(res.status(), 303);
    res.header("Location")
        .and_then(|l| l.strip_prefix("/tickets/"))
        .and_then(|l| l.strip_suffix("?created=true"))
        .expect("redirect to the ticket")
        .to_string()
}

fn login_admin(server: &Server) -> (ureq::Agent, String) {
    let password = server
        .startup_output
        .iter()
        .find_map(|l| l.trim().strip_prefix("password:"))
        .expect("first admin password printed")
        .trim()
        .to_string();
    let agent = server::agent();
    let token = server::csrf_from(&agent, &server.url("/staff/login"));
    let res = call(agent.post(&server.url("/staff/login")).send_form(&[
        ("csrf_token", &token),
        ("email", "admin@localhost"),
        ("password", &password),
    ]));
    assert_eq!(res.status(), 303, "admin login");
    let token = server::csrf_from(&agent, &server.url("/staff/tickets"));
    (agent, token)
}

fn query(db: &Path, sql: &str, param: &str) -> Option<String> {
    let conn = Connection::open_with_flags(db, OpenFlags::SQLITE_OPEN_READ_ONLY).expect("open db");
    conn.query_row(sql, [param], |r| r.get(0)).expect(sql)
}

fn text<'a>(mail: &'a Value, key: &str) -> &'a str {
    mail[key].as_str().unwrap_or("")
}

/// The address after `label` on a line of the mail's text.
fn link_after(mail_text: &str, label: &str) -> String {
    let start = mail_text.find(label).expect(label) + label.len();
    mail_text[start..]
        .trim_start()
        .chars()
        .take_while(|c| !c.is_whitespace())
        .collect()
}

fn resolve(server: &Server, admin: &ureq::Agent, token: &str, db: &Path, tid: &str) -> String {
    let id = query(
        db,
        "SELECT CAST(id AS TEXT) FROM tickets WHERE tracking_id = ?1",
        tid,
    )
    .expect("ticket");
    let resolved = query(
        db,
        "SELECT CAST(id AS TEXT) FROM statuses WHERE slug = ?1",
        "resolved",
    )
    .expect("status");
    let res = call(
        admin
            .post(&server.url(&format!("/staff/tickets/{id}/update")))
            .send_form(&[("csrf_token", token), ("status", &resolved)]),
    );
    assert_eq!(res.status(), 303);
    id
}

#[test]
fn the_requester_rates_from_the_resolve_mail_and_staff_see_it() {
    let dir = tempfile::tempdir().expect("temp dir");
    let smtp_port = server::free_port();
    let smtp = Smtp::start(dir.path(), smtp_port);
    let db = dir.path().join("helpdesk.db");
    let server = start_helpdesk(&db, server::free_port(), smtp_port);
    let (admin, token) = login_admin(&server);

    let tid = submit(&server, "ana@example.com", "Printer prints blank pages");
    smtp.wait_for_to("ana@example.com", 1);
    let id = resolve(&server, &admin, &token, &db, &tid);
    let mails = smtp.wait_for_to("ana@example.com", 2);
    let done = &mails[1];
    assert!(text(done, "subject").contains("Resolved"), "{done:#?}");
    let mail_text = text(done, "text");
    assert!(mail_text.contains("How did we do?"), "{mail_text}");
    let good = link_after(mail_text, "Good:");
    let bad = link_after(mail_text, "Bad:");
    assert!(
        good.starts_with(&server.url(&format!("/tickets/{tid}/rate?rating=good&"))),
        "{good}"
    );
    assert!(bad.contains("rating=bad"), "{bad}");
    // The HTML part carries the same two links (Tera escapes the `&`s).
    let html = text(done, "html").replace("&#x2F;", "/");
    assert!(
        html.contains(&format!(r#"href="{}""#, good.replace('&', "&amp;")))
            && html.contains(&format!(r#"href="{}""#, bad.replace('&', "&amp;"))),
        "{html}"
    );

    // A mail scanner follows both links: pages, no answer.
    let scanner = server::agent();
    for link in [&good, &bad] {
        assert_eq!(call(scanner.get(link).call()).status(), 200);
    }
    let stored = || {
        query(
            &db,
            "SELECT rating FROM ticket_resolutions WHERE ticket_id = ?1",
            &id,
        )
    };
    assert_eq!(stored(), None, "following a link answers nothing");

    // The requester clicks "Good" in their mail client: the form, good chosen, a comment box.
    let browser = server::agent();
    let page = call(browser.get(&good).call());
    assert_eq!(page.status(), 200);
    let page = page.into_string().expect("page");
    assert!(
        page.contains(r#"name="rating" value="good" required checked"#),
        "{page}"
    );
    assert!(page.contains(r#"name="comment""#), "{page}");
    let res = call(
        browser
            .post(&server.url(&format!("/tickets/{tid}/rate")))
            .send_form(&[
                ("csrf_token", &csrf_in(&page)),
                ("resolution", "1"),
                ("rating", "good"),
                ("comment", "Fixed within the hour, thanks Alice!"),
            ]),
    );
    assert_eq!(res.status(), 303);
    assert_eq!(
        res.header("Location"),
        Some(format!("/tickets/{tid}#rating").as_str())
    );
    assert_eq!(stored().as_deref(), Some("good"));
    let page = call(browser.get(&server.url(&format!("/tickets/{tid}"))).call())
        .into_string()
        .expect("ticket page");
    assert!(page.contains("Thank you! Your answer is saved."), "{page}");
    assert!(page.contains("You told us we did well"), "{page}");

    // Staff see it on the ticket, with the comment, and in the history.
    let staff_page = call(
        admin
            .get(&server.url(&format!("/staff/tickets/{id}")))
            .call(),
    )
    .into_string()
    .expect("staff page");
    assert!(
        staff_page.contains("Requester&#x27;s rating"),
        "{staff_page}"
    );
    assert!(
        staff_page.contains(r#"<span class="badge rating-good">Good</span>"#),
        "{staff_page}"
    );
    assert!(staff_page.contains("Fixed within the hour, thanks Alice!"));
    let history = staff_page
        .split("<ol class=\"history\">")
        .nth(1)
        .expect("history");
    assert!(
        history.contains("Rating: <span class=\"badge rating-good\">Good</span> — “Fixed within the hour, thanks Alice!”"),
        "{history}"
    );
    // And in the ticket object of the API and webhooks.
    let conn = Connection::open_with_flags(&db, OpenFlags::SQLITE_OPEN_READ_ONLY).expect("db");
    let object = helpdesk::tickets::json::ticket_object(&conn, id.parse().expect("id"))
        .expect("query")
        .expect("ticket");
    assert_eq!(object["rating"]["rating"], "good");
    assert_eq!(
        object["rating"]["comment"],
        "Fixed within the hour, thanks Alice!"
    );
    assert!(object["rating"]["rated_at"].is_string());

    // Survey off (Admin > Settings): the next resolve mail has no links.
    let res = call(admin.post(&server.url("/admin/settings")).send_form(&[
        ("csrf_token", &token),
        ("desk_name", "Helpdesk"),
        ("max_attachment_mb", "10"),
        ("allowed_extensions", "pdf, png"),
        ("timezone", "UTC"),
        ("auto_close_days", "7"),
        ("csat_shown", "true"),
    ]));
    assert_eq!(res.status(), 303);
    let tid2 = submit(&server, "ben@example.com", "No sound");
    smtp.wait_for_to("ben@example.com", 1);
    resolve(&server, &admin, &token, &db, &tid2);
    let mails = smtp.wait_for_to("ben@example.com", 2);
    assert!(text(&mails[1], "subject").contains("Resolved"));
    assert!(
        !text(&mails[1], "text").contains("/rate?") && !text(&mails[1], "html").contains("/rate?"),
        "{:#?}",
        mails[1]
    );
}
