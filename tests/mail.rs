//! Outgoing mail, end to end: the real binary sends through a real SMTP server (Python's
//! `aiosmtpd`, started by the test on a loopback port) and the test reads what arrived.
//! Notifications for the requester, their threading headers and secret link, internal notes that
//! send nothing, mail queued while the SMTP server is down surviving `kill -9`, and
//! `helpdesk mail test`.

mod common;

use std::path::Path;
use std::process::Command;
use std::time::{Duration, Instant};

use common::Multipart;
use common::server::{self, Server};
use common::smtp::Smtp;
use rusqlite::{Connection, OpenFlags};
use serde_json::Value;

/// `helpdesk serve` over `db` on `port` with `base_url` pointing at it and mail going to
/// `smtp_port`, like `Server::start` plus the mail settings.
fn start_helpdesk(db: &Path, port: u16, smtp_port: u16) -> Server {
    Server::start_with(
        db,
        port,
        &[
            ("HELPDESK_BASE_URL", format!("http://127.0.0.1:{port}")),
            ("HELPDESK_SMTP_URL", format!("smtp://127.0.0.1:{smtp_port}")),
            (
                "HELPDESK_MAIL_FROM",
                "Help Desk <desk@example.com>".to_string(),
            ),
        ],
    )
}

fn call(res: Result<ureq::Response, ureq::Error>) -> ureq::Response {
    match res {
        Ok(r) => r,
        Err(ureq::Error::Status(_, r)) => r,
        Err(e) => panic!("request failed: {e}"),
    }
}

/// Submits a ticket through the portal; returns its tracking ID.
fn submit(server: &Server, lang: &str, email: &str, subject: &str) -> String {
    let agent = server::agent();
    let page = call(
        agent
            .get(&server.url("/tickets/new"))
            .set("Accept-Language", lang)
            .call(),
    )
    .into_string()
    .expect("form");
    let token = common::csrf_in(&page);
    let mut form = Multipart::new();
    form.text("csrf_token", &token)
        .text("name", "Ana Employee")
        .text("email", email)
        .text("category", "1")
        .text("subject", subject)
        .text("message", "The printer on floor 2 prints blank pages.");
    let res = call(
        agent
            .post(&server.url("/tickets"))
            .set("Accept-Language", lang)
            .set("Content-Type", &Multipart::header_value())
            .send_bytes(&form.finish()),
    );
    assert_eq!(res.status(), 303, "submission accepted");
    let location = res.header("Location").unwrap_or("").to_string();
    let tid = location
        .strip_prefix("/tickets/")
        .and_then(|r| r.strip_suffix("?created=true"))
        .expect("redirect to the new ticket")
        .to_string();
    assert!(common::is_tracking_id(&tid), "{tid}");
    tid
}

/// Logs in as the first admin, whose password the server printed at its first start.
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

fn query_i64(db: &Path, sql: &str, param: &str) -> i64 {
    let conn = Connection::open_with_flags(db, OpenFlags::SQLITE_OPEN_READ_ONLY).expect("open db");
    conn.query_row(sql, [param], |r| r.get(0)).expect(sql)
}

fn staff_reply(server: &Server, agent: &ureq::Agent, token: &str, id: i64, kind: &str, text: &str) {
    let mut form = Multipart::new();
    form.text("csrf_token", token)
        .text("message", text)
        .text("status", "")
        .text("kind", kind);
    let res = call(
        agent
            .post(&server.url(&format!("/staff/tickets/{id}/reply")))
            .set("Content-Type", &Multipart::header_value())
            .send_bytes(&form.finish()),
    );
    assert_eq!(res.status(), 303, "{kind} accepted");
}

fn field<'a>(mail: &'a Value, key: &str) -> &'a str {
    mail[key].as_str().unwrap_or("")
}

#[test]
fn the_requester_hears_of_receipt_replies_and_resolution_but_not_of_notes() {
    let dir = tempfile::tempdir().expect("temp dir");
    let smtp_port = server::free_port();
    let smtp = Smtp::start(dir.path(), smtp_port);
    let db = dir.path().join("helpdesk.db");
    let server = start_helpdesk(&db, server::free_port(), smtp_port);

    // Received: the tracking ID in the subject and a secret link that opens the ticket.
    let subject = "Printer prints blank pages";
    let tid = submit(&server, "en", "ana@example.com", subject);
    let mails = smtp.wait_for(1);
    let created = &mails[0];
    assert!(
        field(created, "subject").contains(&format!("[#{tid}]")),
        "{created:#?}"
    );
    assert_eq!(created["rcpt_tos"][0], "ana@example.com");
    assert_eq!(created["mail_from"], "desk@example.com");
    let text = field(created, "text");
    let prefix = server.url(&format!("/tickets/{tid}?token="));
    let start = text.find(&prefix).expect("secret link in the mail");
    let link: String = text[start..]
        .chars()
        .take_while(|c| !c.is_whitespace())
        .collect();
    let page = call(server::agent().get(&link).call());
    assert_eq!(page.status(), 200);
    let page = page.into_string().expect("page");
    assert!(page.contains(subject), "the secret link shows the ticket");
    let root = field(created, "message_id").to_string();
    assert!(root.starts_with(&format!("<ticket-{tid}")) && root.ends_with("@127.0.0.1>"));

    // A staff reply: a mail in the same thread, with the reply's text.
    let id = query_i64(&db, "SELECT id FROM tickets WHERE tracking_id = ?1", &tid);
    let (agent, token) = login_admin(&server);
    staff_reply(
        &server,
        &agent,
        &token,
        id,
        "reply",
        "Please check the toner cartridge.",
    );
    let mails = smtp.wait_for(2);
    let reply = &mails[1];
    assert!(field(reply, "subject").contains(&format!("[#{tid}]")));
    assert!(field(reply, "text").contains("Please check the toner cartridge."));
    assert_eq!(field(reply, "in_reply_to"), root);
    assert!(field(reply, "references").contains(&root));
    assert_ne!(field(reply, "message_id"), root);

    // An internal note: nothing is queued, nothing arrives.
    staff_reply(
        &server,
        &agent,
        &token,
        id,
        "note",
        "Secret: the toner is out of stock.",
    );
    let outbox = query_i64(&db, "SELECT count(*) FROM outbox WHERE ?1 <> ''", "x");
    assert_eq!(outbox, 2, "a note queues no mail");

    // Resolved by staff: a mail with the link to reopen.
    let resolved = query_i64(&db, "SELECT id FROM statuses WHERE slug = ?1", "resolved");
    let res = call(
        agent
            .post(&server.url(&format!("/staff/tickets/{id}/update")))
            .send_form(&[("csrf_token", &token), ("status", &resolved.to_string())]),
    );
    assert_eq!(res.status(), 303);
    let mails = smtp.wait_for(3);
    let done = &mails[2];
    assert!(field(done, "subject").contains(&format!("[#{tid}]")));
    assert!(field(done, "subject").contains("Resolved"));
    assert!(field(done, "text").contains(&link));
    assert_eq!(field(done, "in_reply_to"), root);

    // A Spanish-speaking employee gets Spanish mail.
    let tid_es = submit(&server, "es-ES,es;q=0.9", "luis@example.com", "Sin red");
    let mails = smtp.wait_for(4);
    let es = &mails[3];
    assert!(field(es, "subject").contains(&format!("[#{tid_es}] Solicitud recibida")));
    assert!(field(es, "text").contains("ID de seguimiento"));

    std::thread::sleep(Duration::from_millis(1500));
    let all = smtp.messages();
    assert_eq!(all.len(), 4, "no other mail: {all:#?}");
    assert!(
        all.iter().all(|m| !field(m, "text").contains("Secret")),
        "the note never leaves the desk"
    );
    let unsent = query_i64(
        &db,
        "SELECT count(*) FROM outbox WHERE sent_at IS NULL AND ?1 <> ''",
        "x",
    );
    assert_eq!(unsent, 0);
}

#[test]
fn mail_queued_while_smtp_is_down_survives_kill9_and_arrives_once() {
    let dir = tempfile::tempdir().expect("temp dir");
    let smtp_port = server::free_port();
    let db = dir.path().join("helpdesk.db");
    let port = server::free_port();
    let server = start_helpdesk(&db, port, smtp_port);
    let tids: Vec<String> = (0..3)
        .map(|i| submit(&server, "en", "ana@example.com", &format!("Pending {i}")))
        .collect();
    // Wait until the worker tried each one and failed: the SMTP server is not running.
    let deadline = Instant::now() + Duration::from_secs(30);
    while query_i64(
        &db,
        "SELECT count(*) FROM outbox WHERE attempts > 0 AND last_error IS NOT NULL AND ?1 <> ''",
        "x",
    ) < 3
    {
        assert!(Instant::now() < deadline, "the worker tried to send");
        std::thread::sleep(Duration::from_millis(50));
    }
    server.kill9();
    let check = Command::new(server::binary())
        .arg("--db")
        .arg(&db)
        .arg("check")
        .env("HELPDESK_SMTP_URL", format!("smtp://127.0.0.1:{smtp_port}"))
        .output()
        .expect("run helpdesk check");
    let stdout = String::from_utf8_lossy(&check.stdout);
    assert!(check.status.success(), "{check:?}");
    assert!(
        stdout.contains("mail: on") && stdout.contains("outbox: 3 waiting"),
        "{stdout}"
    );
    assert!(stdout.contains("outbox: last error: "), "{stdout}");

    let smtp = Smtp::start(dir.path(), smtp_port);
    let server = start_helpdesk(&db, port, smtp_port);
    let mails = smtp.wait_for(3);
    // Give a double delivery time to show itself.
    std::thread::sleep(Duration::from_millis(2500));
    let mails_after = smtp.messages();
    assert_eq!(
        mails_after.len(),
        3,
        "each pending mail exactly once: {mails:#?}"
    );
    for tid in &tids {
        let n = mails_after
            .iter()
            .filter(|m| field(m, "subject").contains(&format!("[#{tid}]")))
            .count();
        assert_eq!(n, 1, "one mail for {tid}");
    }
    let unsent = query_i64(
        &db,
        "SELECT count(*) FROM outbox WHERE sent_at IS NULL AND ?1 <> ''",
        "x",
    );
    assert_eq!(unsent, 0);
    drop(server);
}

#[test]
fn mail_test_command_delivers_and_bad_settings_are_refused() {
    let dir = tempfile::tempdir().expect("temp dir");
    let smtp_port = server::free_port();
    let smtp = Smtp::start(dir.path(), smtp_port);
    let run = |env: &[(&str, String)]| {
        let mut cmd = Command::new(server::binary());
        for (key, _) in std::env::vars() {
            if key.starts_with("HELPDESK_") {
                cmd.env_remove(key);
            }
        }
        cmd.arg("--db").arg(dir.path().join("helpdesk.db")).args([
            "mail",
            "test",
            "--to",
            "x@example.com",
        ]);
        for (k, v) in env {
            cmd.env(k, v);
        }
        cmd.output().expect("run helpdesk mail test")
    };

    let out = run(&[("HELPDESK_SMTP_URL", format!("smtp://127.0.0.1:{smtp_port}"))]);
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "{out:?}");
    assert!(
        stdout.contains("x@example.com") && stdout.contains("250"),
        "{stdout}"
    );
    let mails = smtp.wait_for(1);
    assert_eq!(mails[0]["rcpt_tos"][0], "x@example.com");
    assert_eq!(mails[0]["mail_from"], "helpdesk@localhost");

    // No SMTP server configured: a clear failure.
    let out = run(&[]);
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("smtp_url"));

    // Bad settings are configuration errors (exit 2).
    let out = run(&[
        ("HELPDESK_SMTP_URL", "ftp://127.0.0.1".to_string()),
        ("HELPDESK_MAIL_FROM", "not an address".to_string()),
    ]);
    assert_eq!(out.status.code(), Some(2), "{out:?}");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("smtp_url") && stderr.contains("mail_from"),
        "{stderr}"
    );
}

#[test]
fn without_smtp_url_nothing_is_queued_and_failures_back_off() {
    let app = common::TestApp::new();
    common::submit_ticket(&app.client, &common::TicketInput::default(), &[]);
    assert_eq!(app.count("SELECT count(*) FROM outbox"), 0, "mail is off");

    // On, with nobody listening: queued, tried, and put off for 30 seconds.
    let dead_port = server::free_port();
    let app =
        common::TestApp::with_config(|c| c.smtp_url = format!("smtp://127.0.0.1:{dead_port}"));
    let tid = common::submit_ticket(&app.client, &common::TicketInput::default(), &[]);
    assert_eq!(
        app.count(&format!(
            "SELECT count(*) FROM outbox WHERE subject LIKE '[#{tid}]%' AND to_addr = 'ana@office.example'"
        )),
        1
    );
    let deadline = Instant::now() + Duration::from_secs(30);
    while app.count("SELECT count(*) FROM outbox WHERE attempts > 0") == 0 {
        assert!(Instant::now() < deadline, "the worker tried to send");
        std::thread::sleep(Duration::from_millis(50));
    }
    assert_eq!(
        app.count(
            "SELECT count(*) FROM outbox WHERE sent_at IS NULL AND last_error IS NOT NULL
             AND next_attempt_at - unixepoch() BETWEEN 25 AND 30"
        ),
        1,
        "a failed mail waits 30 s before the next try"
    );
}
