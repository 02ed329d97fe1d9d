//! Outgoing mail, end to end: the real binary sends through a real SMTP server (Python's
//! `aiosmtpd`, started by the test on a loopback port) and the test reads what arrived.
//! Notifications for the requester, their threading headers and secret link, internal notes that
//! send nothing, mail queued while the SMTP server is down surviving `kill -9`, and
//! `helpdesk mail test`.

use std::path::Path;
use std::process::Command;
use std::time::{Duration, Instant};

use crate::common;
use crate::common::Multipart;
use crate::common::server::{self, Server};
use crate::common::smtp::Smtp;
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
    submit_as(&server::agent(), server, lang, email, subject, "1")
}

/// As `submit`, in `category`, by `agent` (who can then reply on the ticket's page).
fn submit_as(
    agent: &ureq::Agent,
    server: &Server,
    lang: &str,
    email: &str,
    subject: &str,
    category: &str,
) -> String {
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
        .text("category", category)
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
    let mails = smtp.wait_for_to("ana@example.com", 1);
    let created = &mails[0];
    assert!(
        field(created, "subject").contains(&format!("[#{tid}]")),
        "{created:#?}"
    );
    assert_eq!(created["rcpt_tos"][0], "ana@example.com");
    assert_eq!(created["mail_from"], "desk@example.com");
    // Automatic mail says so (RFC 3834), so auto-responders leave it unanswered.
    assert_eq!(field(created, "auto_submitted"), "auto-generated");
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
    let mails = smtp.wait_for_to("ana@example.com", 2);
    let reply = &mails[1];
    assert!(field(reply, "subject").contains(&format!("[#{tid}]")));
    assert!(field(reply, "text").contains("Please check the toner cartridge."));
    assert_eq!(field(reply, "in_reply_to"), root);
    assert!(field(reply, "references").contains(&root));
    assert_ne!(field(reply, "message_id"), root);
    assert_eq!(field(reply, "auto_submitted"), "auto-generated");

    // An internal note: nothing is queued, nothing arrives.
    staff_reply(
        &server,
        &agent,
        &token,
        id,
        "note",
        "Secret: the toner is out of stock.",
    );
    let outbox = query_i64(
        &db,
        "SELECT count(*) FROM outbox WHERE to_addr = ?1",
        "ana@example.com",
    );
    assert_eq!(outbox, 2, "a note queues no mail");

    // Resolved by staff: a mail with the link to reopen.
    let resolved = query_i64(&db, "SELECT id FROM statuses WHERE slug = ?1", "resolved");
    let res = call(
        agent
            .post(&server.url(&format!("/staff/tickets/{id}/update")))
            .send_form(&[("csrf_token", &token), ("status", &resolved.to_string())]),
    );
    assert_eq!(res.status(), 303);
    let mails = smtp.wait_for_to("ana@example.com", 3);
    let done = &mails[2];
    assert!(field(done, "subject").contains(&format!("[#{tid}]")));
    assert!(field(done, "subject").contains("Resolved"));
    assert!(field(done, "text").contains(&link));
    assert_eq!(field(done, "in_reply_to"), root);

    // A Spanish-speaking employee gets Spanish mail.
    let tid_es = submit(&server, "es-ES,es;q=0.9", "luis@example.com", "Sin red");
    let mails = smtp.wait_for_to("luis@example.com", 1);
    let es = &mails[0];
    assert!(field(es, "subject").contains(&format!("[#{tid_es}] Solicitud recibida")));
    assert!(field(es, "text").contains("ID de seguimiento"));
    // Answered by an English-speaking agent, the employee still gets Spanish mail.
    let es_id = query_i64(
        &db,
        "SELECT id FROM tickets WHERE tracking_id = ?1",
        &tid_es,
    );
    staff_reply(
        &server,
        &agent,
        &token,
        es_id,
        "reply",
        "Reinicie el router.",
    );
    let mails = smtp.wait_for_to("luis@example.com", 2);
    assert!(
        field(&mails[1], "subject").contains(&format!("[#{tid_es}] Nueva respuesta")),
        "{mails:#?}"
    );

    std::thread::sleep(Duration::from_millis(1500));
    // Five to the employees, and the admin (the only staff member) heard of both new tickets.
    let all = smtp.messages();
    assert_eq!(all.len(), 7, "no other mail: {all:#?}");
    assert_eq!(smtp.to("admin@localhost").len(), 2, "{all:#?}");
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

/// Logs `email` in with the browser language `lang`; returns the agent and a CSRF token.
fn login_as(server: &Server, email: &str, password: &str, lang: &str) -> (ureq::Agent, String) {
    let agent = server::agent();
    let token = server::csrf_from(&agent, &server.url("/staff/login"));
    let res = call(
        agent
            .post(&server.url("/staff/login"))
            .set("Accept-Language", lang)
            .send_form(&[
                ("csrf_token", &token),
                ("email", email),
                ("password", password),
            ]),
    );
    assert_eq!(res.status(), 303, "{email} logs in");
    let token = server::csrf_from(&agent, &server.url("/staff/tickets"));
    (agent, token)
}

fn post(server: &Server, agent: &ureq::Agent, path: &str, form: &[(&str, &str)]) {
    let res = call(agent.post(&server.url(path)).send_form(form));
    assert_eq!(
        res.status(),
        303,
        "POST {path}: {}",
        res.into_string().unwrap_or_default()
    );
}

fn subjects(mails: &[Value]) -> Vec<String> {
    mails
        .iter()
        .map(|m| field(m, "subject").to_string())
        .collect()
}

#[test]
fn staff_hear_of_new_tickets_replies_and_assignments_as_they_chose() {
    let dir = tempfile::tempdir().expect("temp dir");
    let smtp_port = server::free_port();
    let smtp = Smtp::start(dir.path(), smtp_port);
    let db = dir.path().join("helpdesk.db");
    let server = start_helpdesk(&db, server::free_port(), smtp_port);
    let (admin, token) = login_admin(&server);

    // Two agents: Gus handles Hardware and works in Spanish; Eva wants no new-ticket mail.
    for (email, name) in [("gus@example.com", "Gus"), ("eva@example.com", "Eva")] {
        post(
            &server,
            &admin,
            "/admin/staff",
            &[
                ("csrf_token", &token),
                ("email", email),
                ("name", name),
                ("role", "agent"),
                ("password", "agent-password-1"),
            ],
        );
    }
    let gus = query_i64(
        &db,
        "SELECT id FROM staff WHERE email = ?1",
        "gus@example.com",
    );
    let eva = query_i64(
        &db,
        "SELECT id FROM staff WHERE email = ?1",
        "eva@example.com",
    );
    let hardware = query_i64(&db, "SELECT id FROM categories WHERE name = ?1", "Hardware");
    let medium = query_i64(&db, "SELECT id FROM priorities WHERE slug = ?1", "medium");
    post(
        &server,
        &admin,
        &format!("/admin/categories/{hardware}"),
        &[
            ("csrf_token", &token),
            ("name", "Hardware"),
            ("default_priority", &medium.to_string()),
            ("active", "true"),
            ("agents", &gus.to_string()),
        ],
    );
    login_as(
        &server,
        "gus@example.com",
        "agent-password-1",
        "es-ES,es;q=0.9",
    );
    let (eva_agent, eva_token) = login_as(&server, "eva@example.com", "agent-password-1", "en");
    post(
        &server,
        &eva_agent,
        "/staff/preferences",
        &[
            ("csrf_token", &eva_token),
            ("lang", "en"),
            ("requester_reply", "true"),
            ("assigned", "true"),
        ],
    );
    let prefs = call(eva_agent.get(&server.url("/staff/preferences")).call())
        .into_string()
        .expect("preferences page");
    assert!(
        !prefs.contains(r#"name="new_ticket" value="true" checked"#),
        "saved as off"
    );
    assert!(prefs.contains(r#"name="assigned" value="true" checked"#));

    // A Hardware ticket: only Gus (its agent) hears of it, in Spanish, with a desk link.
    let employee = server::agent();
    let hw = submit_as(
        &employee,
        &server,
        "en",
        "ana@example.com",
        "Dead printer",
        &hardware.to_string(),
    );
    let hw_id = query_i64(&db, "SELECT id FROM tickets WHERE tracking_id = ?1", &hw);
    let to_gus = smtp.wait_for_to("gus@example.com", 1);
    assert_eq!(
        field(&to_gus[0], "subject"),
        format!("[#{hw}] Nuevo ticket: Dead printer")
    );
    assert!(field(&to_gus[0], "text").contains("The printer on floor 2 prints blank pages."));
    assert!(field(&to_gus[0], "text").contains(&server.url(&format!("/staff/tickets/{hw_id}"))));
    let html = field(&to_gus[0], "html");
    assert!(
        html.contains("<!DOCTYPE html>") && html.contains("Abrir el ticket"),
        "{html}"
    );

    // A General ticket (no agents): every staff member who wants it, so not Eva.
    let general = submit(&server, "en", "luis@example.com", "Need a mouse");
    smtp.wait_for_to("admin@localhost", 1);
    smtp.wait_for_to("gus@example.com", 2);
    assert!(subjects(&smtp.to("admin@localhost"))[0].contains(&format!("[#{general}] New ticket")));

    // Assigned to Eva by the admin: she hears of it; assigning oneself sends nothing.
    post(
        &server,
        &admin,
        &format!("/staff/tickets/{hw_id}/update"),
        &[("csrf_token", &token), ("assignee", &eva.to_string())],
    );
    let to_eva = smtp.wait_for_to("eva@example.com", 1);
    assert_eq!(
        field(&to_eva[0], "subject"),
        format!("[#{hw}] Assigned to you: Dead printer")
    );
    let general_id = query_i64(
        &db,
        "SELECT id FROM tickets WHERE tracking_id = ?1",
        &general,
    );
    let admin_id = query_i64(
        &db,
        "SELECT id FROM staff WHERE email = ?1",
        "admin@localhost",
    );
    post(
        &server,
        &admin,
        &format!("/staff/tickets/{general_id}/update"),
        &[("csrf_token", &token), ("assignee", &admin_id.to_string())],
    );

    // The requester answers on the portal: the assignee (Eva) hears of it, with the text.
    let page = call(employee.get(&server.url(&format!("/tickets/{hw}"))).call())
        .into_string()
        .expect("ticket page");
    let mut form = Multipart::new();
    form.text("csrf_token", &common::csrf_in(&page)).text(
        "message",
        "It still prints blank pages after the new toner.",
    );
    let res = call(
        employee
            .post(&server.url(&format!("/tickets/{hw}/reply")))
            .set("Content-Type", &Multipart::header_value())
            .send_bytes(&form.finish()),
    );
    assert_eq!(res.status(), 303);
    let to_eva = smtp.wait_for_to("eva@example.com", 2);
    assert!(field(&to_eva[1], "subject").contains("Requester replied"));
    assert!(field(&to_eva[1], "text").contains("after the new toner"));

    // A reply sent without notifying: shown on the ticket, no mail to the requester.
    let mut form = Multipart::new();
    form.text("csrf_token", &token)
        .text("message", "Quiet fix: swapped the fuser.")
        .text("status", "")
        .text("silent", "true")
        .text("kind", "reply");
    let res = call(
        admin
            .post(&server.url(&format!("/staff/tickets/{hw_id}/reply")))
            .set("Content-Type", &Multipart::header_value())
            .send_bytes(&form.finish()),
    );
    assert_eq!(res.status(), 303);
    let page = call(employee.get(&server.url(&format!("/tickets/{hw}"))).call())
        .into_string()
        .expect("ticket page");
    assert!(
        page.contains("Quiet fix: swapped the fuser."),
        "the reply is on the ticket"
    );

    std::thread::sleep(Duration::from_millis(1500));
    let all = smtp.messages();
    assert_eq!(
        smtp.to("ana@example.com").len(),
        1,
        "only the receipt: {all:#?}"
    );
    assert_eq!(smtp.to("admin@localhost").len(), 1, "{all:#?}");
    assert_eq!(smtp.to("gus@example.com").len(), 2, "{all:#?}");
    assert_eq!(smtp.to("eva@example.com").len(), 2, "{all:#?}");
    assert_eq!(all.len(), 7, "{all:#?}");
}

#[test]
fn two_servers_on_one_database_send_each_mail_once() {
    let dir = tempfile::tempdir().expect("temp dir");
    let smtp_port = server::free_port();
    let smtp = Smtp::start(dir.path(), smtp_port);
    let db = dir.path().join("helpdesk.db");
    let first = start_helpdesk(&db, server::free_port(), smtp_port);
    let second = start_helpdesk(&db, server::free_port(), smtp_port);
    let tids: Vec<String> = (0..4)
        .map(|i| {
            let server = if i % 2 == 0 { &first } else { &second };
            submit(server, "en", "ana@example.com", &format!("Twice {i}"))
        })
        .collect();
    smtp.wait_for_to("ana@example.com", 4);
    // A mail is marked sent right after the SMTP server accepted it; a kill in between sends it
    // again after the takeover (at least once, by design). Kill once all four are marked, however
    // slowly a busy machine gets from the one to the other.
    let deadline = Instant::now() + Duration::from_secs(30);
    while query_i64(
        &db,
        "SELECT count(*) FROM outbox WHERE to_addr = ?1 AND sent_at IS NOT NULL",
        "ana@example.com",
    ) < 4
    {
        assert!(
            Instant::now() < deadline,
            "the first server marked its mail sent"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
    // The second server takes over the sending when the first one dies.
    first.kill9();
    let late = submit(&second, "en", "ana@example.com", "After the first died");
    smtp.wait_for_to("ana@example.com", 5);
    std::thread::sleep(Duration::from_millis(2500));
    let mails = smtp.to("ana@example.com");
    assert_eq!(mails.len(), 5, "each mail once: {mails:#?}");
    for tid in tids.iter().chain([&late]) {
        let n = mails
            .iter()
            .filter(|m| field(m, "subject").contains(&format!("[#{tid}]")))
            .count();
        assert_eq!(n, 1, "one mail for {tid}");
    }
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
        stdout.contains("mail: on") && stdout.contains("outbox: 6 waiting"),
        "{stdout}"
    );
    assert!(stdout.contains("outbox: last error: "), "{stdout}");

    let smtp = Smtp::start(dir.path(), smtp_port);
    let server = start_helpdesk(&db, port, smtp_port);
    // Each ticket: the requester's receipt and the admin's "new ticket".
    let mails = smtp.wait_for(6);
    // Give a double delivery time to show itself.
    std::thread::sleep(Duration::from_millis(2500));
    let mails_after = smtp.messages();
    assert_eq!(
        mails_after.len(),
        6,
        "each pending mail exactly once: {mails:#?}"
    );
    for tid in &tids {
        let n = mails_after
            .iter()
            .filter(|m| field(m, "subject").contains(&format!("[#{tid}]")))
            .count();
        assert_eq!(n, 2, "one mail to each for {tid}");
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
    assert_eq!(mails[0]["auto_submitted"], "auto-generated");

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
    while app
        .count("SELECT count(*) FROM outbox WHERE attempts > 0 AND to_addr = 'ana@office.example'")
        == 0
    {
        assert!(Instant::now() < deadline, "the worker tried to send");
        std::thread::sleep(Duration::from_millis(50));
    }
    assert_eq!(
        app.count(
            "SELECT count(*) FROM outbox WHERE sent_at IS NULL AND last_error IS NOT NULL
             AND next_attempt_at - unixepoch() BETWEEN 25 AND 30 AND to_addr = 'ana@office.example'"
        ),
        1,
        "a failed mail waits 30 s before the next try"
    );
}
