//! The admin mail pages over the real app and a real SQLite file: SMTP settings and the test
//! email through a real SMTP server (`aiosmtpd`, see common/smtp.rs), the outbox (retry now,
//! retry all, discard) and the quarantine of incoming mail (view escaped, download, retry the
//! import, delete), who may use them and CSRF.

use std::time::{Duration, Instant};

use crate::common;
use crate::common::smtp::Smtp;
use crate::common::{ADMIN_EMAIL, ADMIN_PASSWORD, AGENT_EMAIL, AGENT_PASSWORD, TestApp};
use crate::common::{csrf, get_ok, location, login, post_form, server};
use helpdesk::mail::incoming::{self, Outcome};
use helpdesk::mail::settings::Saved;
use helpdesk::settings::Settings;
use rocket::http::Status;
use rocket::local::blocking::Client;

fn admin(app: &TestApp) -> String {
    login(&app.client, ADMIN_EMAIL, ADMIN_PASSWORD);
    csrf(&app.client, "/admin/mail")
}

fn saved(app: &TestApp) -> Saved {
    app.db
        .read_blocking(Saved::load)
        .expect("load mail settings")
}

/// POSTs the SMTP form with `fields` on top of an empty form.
fn save_smtp(client: &Client, token: &str, fields: &[(&str, &str)]) -> (Status, String) {
    let mut form = vec![
        ("csrf_token", token),
        ("host", ""),
        ("port", ""),
        ("security", "none"),
        ("user", ""),
        ("password", ""),
        ("from", ""),
        ("reply_to", ""),
    ];
    for (k, v) in fields {
        form.retain(|(key, _)| key != k);
        form.push((k, v));
    }
    let res = post_form(client, "/admin/mail", &form);
    let status = res.status();
    (status, res.into_string().unwrap_or_default())
}

/// Sends the test email and returns the page it redirects to (which shows the outcome).
fn send_test(client: &Client, token: &str, to: &str) -> String {
    let res = post_form(
        client,
        "/admin/mail/test",
        &[("csrf_token", token), ("to", to)],
    );
    assert_eq!(res.status(), Status::SeeOther, "the test email answers 303");
    assert_eq!(location(&res), "/admin/mail");
    get_ok(client, "/admin/mail")
}

fn audits(app: &TestApp, action: &str) -> i64 {
    app.count(&format!(
        "SELECT count(*) FROM audit_log WHERE action = '{action}'"
    ))
}

#[test]
fn saved_smtp_settings_send_the_test_email_and_errors_are_shown() {
    let app = TestApp::new();
    let token = admin(&app);
    let page = get_ok(&app.client, "/admin/mail");
    assert!(page.contains("Mail is off"), "nothing configured yet");
    let es = app
        .client
        .get("/admin/mail")
        .header(common::accept_language("es"))
        .dispatch()
        .into_string()
        .unwrap_or_default();
    assert!(es.contains("Ajustes de correo") && es.contains("Enviar correo de prueba"));

    let dir = tempfile::tempdir().expect("temp dir");
    let port = server::free_port();
    let smtp = Smtp::start(dir.path(), port);
    let port_text = port.to_string();
    let (status, _) = save_smtp(
        &app.client,
        &token,
        &[
            ("host", "127.0.0.1"),
            ("port", &port_text),
            ("from", "Help Desk <desk@example.com>"),
            ("password", "s3cret-pass"),
        ],
    );
    assert_eq!(status, Status::SeeOther);
    let page = get_ok(&app.client, "/admin/mail");
    assert!(page.contains("Mail settings saved."));
    assert!(page.contains(&format!("127.0.0.1:{port} (none)")), "{page}");
    assert!(!page.contains("s3cret-pass"), "the password is never shown");
    assert!(page.contains("A password is set"));
    assert_eq!(audits(&app, "mail_settings_update"), 1);
    let detail: String = app
        .db
        .read_blocking(|c| {
            Ok(c.query_row(
                "SELECT detail FROM audit_log WHERE action = 'mail_settings_update'",
                [],
                |r| r.get(0),
            )?)
        })
        .expect("audit detail");
    assert!(detail.contains("password=changed") && !detail.contains("s3cret"));

    // The test email goes to the admin by default and arrives at the SMTP server.
    assert!(page.contains(&format!("value=\"{ADMIN_EMAIL}\"")));
    let page = send_test(&app.client, &token, ADMIN_EMAIL);
    assert!(page.contains("Test email sent"), "{page}");
    assert!(page.contains("250"), "the server's answer is shown");
    let mails = smtp.wait_for(1);
    assert_eq!(mails[0]["rcpt_tos"][0], ADMIN_EMAIL);
    assert_eq!(mails[0]["mail_from"], "desk@example.com");
    assert_eq!(audits(&app, "mail_test"), 1);

    // With only the saved settings (no smtp_url), tickets notify too.
    let tid = common::submit_ticket(&app.client, &common::TicketInput::default(), &[]);
    let received = smtp.wait_for_to("ana@office.example", 1);
    assert!(
        received[0]["subject"]
            .as_str()
            .is_some_and(|s| s.contains(&format!("[#{tid}]"))),
        "{received:#?}"
    );
    // The admin's and the agent's "new ticket" mails go out too.
    smtp.wait_for_to(AGENT_EMAIL, 1);
    let delivered = smtp.wait_for(4).len();
    assert_eq!(delivered, 4, "{:#?}", smtp.messages());

    // A blank password keeps the stored one; the checkbox removes it.
    let (status, _) = save_smtp(
        &app.client,
        &token,
        &[("host", "127.0.0.1"), ("port", &port_text)],
    );
    assert_eq!(status, Status::SeeOther);
    assert_eq!(saved(&app).password, "s3cret-pass");

    // Invalid input: 422, a message next to each field, the input kept, nothing stored.
    let before = saved(&app);
    for (field, value, message) in [
        ("port", "70000", "between 1 and 65535"),
        ("port", "abc", "between 1 and 65535"),
        ("host", "smtp example!com", "Enter a host name"),
        ("from", "not an address", "Enter an email address"),
        ("reply_to", "x@", "Enter an email address"),
    ] {
        let mut fields = vec![("host", "127.0.0.1"), ("port", port_text.as_str())];
        fields.retain(|(k, _)| *k != field);
        fields.push((field, value));
        let (status, body) = save_smtp(&app.client, &token, &fields);
        assert_eq!(status, Status::UnprocessableEntity, "{field}={value}");
        assert!(body.contains(message), "{field}={value}: {body}");
        assert!(body.contains(&format!("id=\"{field}-error\"")), "{field}");
        let shown = value.replace('!', "&#x21;");
        assert!(
            body.contains(&format!("value=\"{value}\"")) || body.contains(&shown),
            "{field} keeps {value}"
        );
        assert_eq!(saved(&app), before, "{field}={value} changed nothing");
    }

    // TLS against a plain-text server: the handshake error is shown, never a 500.
    let (status, _) = save_smtp(
        &app.client,
        &token,
        &[
            ("host", "127.0.0.1"),
            ("port", &port_text),
            ("security", "tls"),
        ],
    );
    assert_eq!(status, Status::SeeOther);
    let page = send_test(&app.client, &token, ADMIN_EMAIL);
    assert!(page.contains("The test email could not be sent"), "{page}");
    assert_eq!(
        smtp.messages().len(),
        delivered,
        "nothing arrived over the failed TLS"
    );

    // A port nobody listens on: the exact error, as a flash, never a 500.
    let dead = server::free_port().to_string();
    let (status, _) = save_smtp(
        &app.client,
        &token,
        &[("host", "127.0.0.1"), ("port", &dead)],
    );
    assert_eq!(status, Status::SeeOther);
    let page = send_test(&app.client, &token, "someone@localhost");
    assert!(page.contains("The test email could not be sent"), "{page}");
    assert!(
        page.to_lowercase().contains("connection refused"),
        "the SMTP error is shown: {page}"
    );
    assert_eq!(smtp.messages().len(), delivered, "nothing else arrived");

    // A bad recipient is a field error, not a send.
    let res = post_form(
        &app.client,
        "/admin/mail/test",
        &[("csrf_token", &token), ("to", "nobody")],
    );
    assert_eq!(res.status(), Status::UnprocessableEntity);
    assert!(
        res.into_string()
            .unwrap_or_default()
            .contains("id=\"test_to-error\"")
    );
}

#[test]
fn only_admins_with_a_csrf_token_get_in() {
    let app = TestApp::new();
    let pages = [
        "/admin/mail",
        "/admin/mail/outbox",
        "/admin/mail/quarantine",
        "/admin/mail/quarantine/1",
        "/admin/mail/quarantine/1/raw",
    ];
    for path in pages {
        let res = app.client.get(path).dispatch();
        assert_eq!(res.status(), Status::SeeOther, "anonymous {path}");
        assert!(location(&res).starts_with("/staff/login"), "{path}");
    }
    let agent = app.other_client();
    login(&agent, AGENT_EMAIL, AGENT_PASSWORD);
    let token = csrf(&agent, "/staff/tickets");
    for path in pages {
        assert_eq!(
            agent.get(path).dispatch().status(),
            Status::Forbidden,
            "agent {path}"
        );
    }
    let res = post_form(
        &agent,
        "/admin/mail",
        &[
            ("csrf_token", &token),
            ("host", "evil.example"),
            ("security", "none"),
        ],
    );
    assert_eq!(res.status(), Status::Forbidden, "agent POST");
    assert_eq!(saved(&app).host, "", "the agent changed nothing");

    // The admin without the token: 403 on every form, nothing changed.
    let _ = admin(&app);
    for path in [
        "/admin/mail",
        "/admin/mail/test",
        "/admin/mail/outbox/retry-all",
        "/admin/mail/outbox/1/retry",
        "/admin/mail/outbox/1/discard",
        "/admin/mail/quarantine/1/retry",
        "/admin/mail/quarantine/1/delete",
    ] {
        let res = post_form(
            &app.client,
            path,
            &[
                ("csrf_token", "wrong"),
                ("host", "evil.example"),
                ("security", "none"),
                ("to", ADMIN_EMAIL),
            ],
        );
        assert_eq!(res.status(), Status::Forbidden, "{path} without CSRF");
    }
    assert_eq!(saved(&app).host, "");
    assert_eq!(
        app.count("SELECT count(*) FROM audit_log WHERE action LIKE 'mail%'"),
        0
    );
}

/// Waits until `sql` counts at least `n`.
fn wait_count(app: &TestApp, sql: &str, n: i64) {
    let deadline = Instant::now() + Duration::from_secs(30);
    while app.count(sql) < n {
        assert!(Instant::now() < deadline, "waited for {sql} >= {n}");
        std::thread::sleep(Duration::from_millis(50));
    }
}

#[test]
fn failed_mail_is_listed_and_retry_now_delivers_it_once() {
    let port = server::free_port();
    let app = TestApp::with_config(|c| c.smtp_url = format!("smtp://127.0.0.1:{port}"));
    // Only the requesters' mail in this test: staff want no "new ticket" mail.
    app.db
        .write_blocking(|c| Ok(c.execute("UPDATE staff SET notify_new_ticket = 0", [])?))
        .expect("staff preferences");
    let first = common::submit_ticket(&app.client, &common::TicketInput::default(), &[]);
    let second = common::submit_ticket(
        &app.client,
        &common::TicketInput {
            subject: "Second ticket that nobody needs mail for",
            ..common::TicketInput::default()
        },
        &[],
    );
    wait_count(
        &app,
        "SELECT count(*) FROM outbox WHERE attempts > 0 AND last_error IS NOT NULL",
        2,
    );
    let token = admin(&app);
    let id = |tid: &str| -> i64 {
        app.count(&format!(
            "SELECT id FROM outbox WHERE subject LIKE '[#{tid}]%'"
        ))
    };
    let (first_id, second_id) = (id(&first), id(&second));

    let page = get_ok(&app.client, "/admin/mail/outbox");
    assert!(page.contains(&format!("[#{first}]")), "{page}");
    assert!(
        page.to_lowercase().contains("connection refused"),
        "the error is listed"
    );
    assert!(
        page.contains("badge-alert\">2<"),
        "two failures in the nav: {page}"
    );
    assert!(page.contains(&format!("/admin/mail/outbox/{first_id}/retry")));
    for other in ["/admin/staff", "/admin/settings", "/admin/audit"] {
        let page = get_ok(&app.client, other);
        assert!(
            page.contains("title=\"Failed or quarantined mail\">2</span>"),
            "the nav badge on {other}"
        );
    }

    // Discard the second: kept and listed as discarded, never sent.
    let res = post_form(
        &app.client,
        &format!("/admin/mail/outbox/{second_id}/discard"),
        &[("csrf_token", &token)],
    );
    assert_eq!(res.status(), Status::SeeOther);
    assert_eq!(
        app.count(&format!(
            "SELECT count(*) FROM outbox WHERE id = {second_id} AND discarded_at IS NOT NULL AND sent_at IS NULL"
        )),
        1
    );

    let dir = tempfile::tempdir().expect("temp dir");
    let smtp = Smtp::start(dir.path(), port);
    let res = post_form(
        &app.client,
        &format!("/admin/mail/outbox/{first_id}/retry"),
        &[("csrf_token", &token)],
    );
    assert_eq!(res.status(), Status::SeeOther);
    let mails = smtp.wait_for(1);
    assert!(mails[0]["subject"].as_str().unwrap_or("").contains(&first));
    // Retry all with nothing else waiting: the discarded mail stays unsent.
    let res = post_form(
        &app.client,
        "/admin/mail/outbox/retry-all",
        &[("csrf_token", &token)],
    );
    assert_eq!(res.status(), Status::SeeOther);
    std::thread::sleep(Duration::from_millis(2000));
    assert_eq!(
        smtp.messages().len(),
        1,
        "exactly once, and not the discarded one"
    );
    wait_count(
        &app,
        &format!("SELECT count(*) FROM outbox WHERE id = {first_id} AND sent_at IS NOT NULL"),
        1,
    );

    let page = get_ok(&app.client, "/admin/mail/outbox");
    assert!(page.contains("Recently sent") && page.contains("Discarded"));
    assert!(page.contains("No mail is waiting."), "{page}");
    assert!(!page.contains("badge-alert"), "nothing failed any more");
    assert_eq!(audits(&app, "mail_discard"), 1);
    assert_eq!(audits(&app, "mail_retry"), 1);
    assert_eq!(audits(&app, "mail_retry_all"), 1);
}

const HOSTILE: &[u8] = b"From: <script>alert(1)</script>\r\n\
Subject: <script>alert('subject')</script> hello\r\n\
Message-ID: <hostile-1@example.com>\r\n\
\r\n\
<script>alert('body')</script>\r\n\
\xff\xfe not even UTF-8\r\n";

const PRINTER: &[u8] = b"From: Ana Lopez <ana@example.com>\r\n\
Subject: Printer on floor 3 is jammed\r\n\
Message-ID: <printer-1@example.com>\r\n\
Content-Type: text/plain; charset=utf-8\r\n\
\r\n\
Paper jam in tray 2.\r\n";

fn import(app: &TestApp, raw: &'static [u8]) -> Outcome {
    let config = app.config.clone();
    app.db
        .write_blocking(move |c| {
            let settings = Settings::load(c)?;
            incoming::import(c, raw, &settings, &config)
        })
        .expect("import")
}

#[test]
fn quarantine_is_listed_shown_escaped_downloaded_retried_and_deleted() {
    let app = TestApp::new();
    let Outcome::Quarantined { id: hostile, .. } = import(&app, HOSTILE) else {
        panic!("a message without a usable From is quarantined");
    };
    // No active category: a new ticket cannot be created, the message waits in quarantine.
    app.db
        .write_blocking(|c| Ok(c.execute("UPDATE categories SET active = 0", [])?))
        .expect("deactivate categories");
    let Outcome::Quarantined {
        id: printer,
        reason,
    } = import(&app, PRINTER)
    else {
        panic!("no category: quarantined");
    };
    assert!(reason.contains("no active category"), "{reason}");

    let token = admin(&app);
    let page = get_ok(&app.client, "/admin/mail/quarantine");
    assert!(page.contains("Printer on floor 3 is jammed"), "{page}");
    assert!(page.contains("ana@example.com"));
    assert!(page.contains("no active category"));
    assert!(
        page.contains("badge-alert\">2<"),
        "two quarantined in the nav"
    );
    assert!(!page.contains("<script>alert"), "never rendered as HTML");

    let view = get_ok(&app.client, &format!("/admin/mail/quarantine/{hostile}"));
    assert!(!view.contains("<script>alert"), "{view}");
    assert!(
        view.contains("&lt;script&gt;alert("),
        "shown escaped: {view}"
    );
    assert!(view.contains("not even UTF-8"));

    let res = app
        .client
        .get(format!("/admin/mail/quarantine/{hostile}/raw"))
        .dispatch();
    assert_eq!(res.status(), Status::Ok);
    let header = |name: &str| res.headers().get_one(name).unwrap_or("").to_string();
    assert_eq!(header("Content-Type"), "message/rfc822");
    assert!(header("Content-Disposition").starts_with("attachment;"));
    assert!(header("Content-Security-Policy").contains("sandbox"));
    assert_eq!(
        res.into_bytes().unwrap_or_default(),
        HOSTILE,
        "byte-identical"
    );

    // Retried before the cause is fixed: still quarantined, listed once, with the reason.
    let retry = format!("/admin/mail/quarantine/{printer}/retry");
    let res = post_form(&app.client, &retry, &[("csrf_token", &token)]);
    assert_eq!(res.status(), Status::SeeOther);
    let page = get_ok(&app.client, &location(&res));
    assert!(page.contains("still cannot be imported"), "{page}");
    assert_eq!(app.count("SELECT count(*) FROM mail_quarantine"), 2);
    assert_eq!(app.count("SELECT count(*) FROM tickets"), 0);

    // Fixed: the import makes the ticket and the page links to it.
    app.db
        .write_blocking(|c| Ok(c.execute("UPDATE categories SET active = 1", [])?))
        .expect("activate categories");
    let res = post_form(&app.client, &retry, &[("csrf_token", &token)]);
    assert_eq!(res.status(), Status::SeeOther);
    let page = get_ok(&app.client, &location(&res));
    assert!(page.contains("The message was imported."), "{page}");
    let ticket = app.count(
        "SELECT id FROM tickets WHERE subject = 'Printer on floor 3 is jammed'
         AND requester_email = 'ana@example.com'",
    );
    assert!(
        page.contains(&format!("href=\"&#x2F;staff&#x2F;tickets&#x2F;{ticket}\""))
            || page.contains(&format!("href=\"/staff/tickets/{ticket}\"")),
        "{page}"
    );
    assert_eq!(
        app.count("SELECT count(*) FROM mail_quarantine WHERE retried_at IS NULL"),
        1
    );
    let res = post_form(&app.client, &retry, &[("csrf_token", &token)]);
    assert_eq!(res.status(), Status::BadRequest, "imported once only");
    assert_eq!(app.count("SELECT count(*) FROM tickets"), 1);

    // Delete: not without the token, then gone.
    let delete = format!("/admin/mail/quarantine/{hostile}/delete");
    let res = post_form(&app.client, &delete, &[("csrf_token", "nope")]);
    assert_eq!(res.status(), Status::Forbidden);
    assert_eq!(app.count("SELECT count(*) FROM mail_quarantine"), 2);
    let res = post_form(&app.client, &delete, &[("csrf_token", &token)]);
    assert_eq!(res.status(), Status::SeeOther);
    assert_eq!(
        app.count(&format!(
            "SELECT count(*) FROM mail_quarantine WHERE id = {hostile}"
        )),
        0
    );
    let res = app
        .client
        .get(format!("/admin/mail/quarantine/{hostile}"))
        .dispatch();
    assert_eq!(res.status(), Status::NotFound);
    let page = get_ok(&app.client, "/admin/mail/quarantine");
    assert!(page.contains("No message is in quarantine."), "{page}");
    assert_eq!(audits(&app, "quarantine_retry"), 2);
    assert_eq!(audits(&app, "quarantine_delete"), 1);
}
