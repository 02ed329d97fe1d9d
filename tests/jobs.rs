//! The background jobs, end to end: the real binary (`helpdesk serve`, `helpdesk jobs`,
//! `helpdesk jobs run`) over a real SQLite file, a real SMTP server (aiosmtpd) and a real IMAP
//! server (Dovecot); a server killed with SIGKILL and started again; the admin jobs page over
//! the real app.

use std::path::Path;
use std::time::{Duration, Instant};

use crate::common;
use crate::common::dovecot::Dovecot;
use crate::common::server::{self, Run, Server};
use crate::common::smtp::Smtp;
use crate::common::{ADMIN_EMAIL, ADMIN_PASSWORD, AGENT_EMAIL, AGENT_PASSWORD, TestApp};
use crate::common::{accept_language, csrf, get_ok, location, login, post_form};
use rocket::http::Status;
use rusqlite::{Connection, OpenFlags, OptionalExtension};

/// `helpdesk --db DB ARGS` with `env` on top of the test defaults, `stdin` on its input.
fn helpdesk(db: &Path, args: &[&str], env: &[(&str, String)], stdin: &str) -> Run {
    let env: Vec<(&str, &str)> = env.iter().map(|(k, v)| (*k, v.as_str())).collect();
    server::run(db, args, &env, stdin.as_bytes())
}

/// A job's stored state: (runs, failures, last_run_at, next_run_at), None before its first run.
fn job(db: &Path, name: &str) -> Option<(i64, i64, Option<i64>, Option<i64>)> {
    let conn = Connection::open_with_flags(db, OpenFlags::SQLITE_OPEN_READ_ONLY).expect("open db");
    conn.query_row(
        "SELECT runs, failures, last_run_at, next_run_at FROM jobs WHERE name = ?1",
        [name],
        |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)),
    )
    .optional()
    .expect("read the jobs table")
}

fn runs(db: &Path, name: &str) -> i64 {
    job(db, name).map_or(0, |j| j.0)
}

fn count(db: &Path, sql: &str) -> i64 {
    let conn = Connection::open_with_flags(db, OpenFlags::SQLITE_OPEN_READ_ONLY).expect("open db");
    conn.query_row(sql, [], |r| r.get(0)).expect(sql)
}

/// Polls `done` until it holds, failing with `what` after 30 seconds.
fn wait_until(what: &str, mut done: impl FnMut() -> bool) {
    let deadline = Instant::now() + Duration::from_secs(30);
    while !done() {
        assert!(Instant::now() < deadline, "timed out waiting until {what}");
        std::thread::sleep(Duration::from_millis(50));
    }
}

/// The line `helpdesk jobs` prints for `name`.
fn listed<'a>(list: &'a Run, name: &str) -> &'a str {
    list.stdout
        .lines()
        .find(|l| l.starts_with(&format!("{name} ")))
        .unwrap_or_else(|| panic!("{name} is listed: {list:?}"))
}

fn raw_mail(from: &str, subject: &str, message_id: &str) -> String {
    format!(
        "From: {from}\r\nTo: help@desk.example.com\r\nSubject: {subject}\r\n\
         Message-ID: <{message_id}>\r\nDate: Mon, 3 Feb 2025 10:00:00 +0000\r\n\
         Content-Type: text/plain; charset=utf-8\r\n\r\nThe printer prints blank pages.\r\n"
    )
}

#[test]
fn jobs_run_sends_queued_mail_without_a_server_and_is_refused_while_one_runs() {
    let dir = tempfile::tempdir().expect("temp dir");
    let db = dir.path().join("helpdesk.db");
    let smtp_port = server::free_port();
    let smtp = Smtp::start(dir.path(), smtp_port);
    let env = [("HELPDESK_SMTP_URL", format!("smtp://127.0.0.1:{smtp_port}"))];

    // A mail piped in opens a ticket, whose receipt is queued: no server runs to send it.
    let piped = helpdesk(
        &db,
        &["mail", "pipe"],
        &env,
        &raw_mail("Ana <ana@example.com>", "Printer", "pipe-1@example.com"),
    );
    assert_eq!(piped.code, Some(0), "{piped:?}");
    assert_eq!(
        count(&db, "SELECT count(*) FROM outbox WHERE sent_at IS NULL"),
        1
    );
    assert!(smtp.messages().is_empty());
    assert_eq!(job(&db, "mail_send"), None, "never ran");

    let run = helpdesk(&db, &["jobs", "run", "mail_send"], &env, "");
    assert_eq!(run.code, Some(0), "{run:?}");
    assert!(
        run.stdout.contains("mail_send: ok") && run.stdout.contains("1 sent"),
        "{run:?}"
    );
    let mails = smtp.wait_for_to("ana@example.com", 1);
    assert!(
        mails[0]["subject"]
            .as_str()
            .unwrap_or("")
            .contains("Printer")
    );
    assert_eq!(
        count(&db, "SELECT count(*) FROM outbox WHERE sent_at IS NULL"),
        0
    );
    let (sends, failures, last_run, next_run) = job(&db, "mail_send").expect("recorded");
    assert_eq!((sends, failures), (1, 0));
    assert!(next_run > last_run, "{last_run:?} {next_run:?}");
    let list = helpdesk(&db, &["jobs"], &env, "");
    assert_eq!(list.code, Some(0), "{list:?}");
    assert!(listed(&list, "mail_send").ends_with("free"), "{list:?}");
    assert!(list.stdout.contains("last run ok"), "{list:?}");

    let unknown = helpdesk(&db, &["jobs", "run", "mail_sned"], &env, "");
    assert_eq!(unknown.code, Some(1), "{unknown:?}");
    assert!(
        unknown.stderr.contains("mail_sned") && unknown.stderr.contains("mail_send, mail_fetch"),
        "{unknown:?}"
    );
    let off = helpdesk(&db, &["jobs", "run", "mail_fetch"], &env, "");
    assert_eq!(off.code, Some(1), "{off:?}");
    assert!(off.stderr.contains("off"), "{off:?}");

    // A running server holds the job's lock: a pass by hand would race it.
    let server = Server::start_with(&db, server::free_port(), &env);
    wait_until("the server's sender ran", || runs(&db, "mail_send") > 1);
    let refused = helpdesk(&db, &["jobs", "run", "mail_send"], &env, "");
    assert_eq!(refused.code, Some(1), "{refused:?}");
    assert!(refused.stderr.contains("holds the lock"), "{refused:?}");
    let list = helpdesk(&db, &["jobs"], &env, "");
    assert!(
        listed(&list, "mail_send").ends_with("held by a running process"),
        "{list:?}"
    );
    drop(server);
    assert_eq!(smtp.messages().len(), 1, "sent once");
}

/// Logs in as the first admin, whose password `server` printed at the database's first start.
fn login_admin(server: &Server, startup_output: &[String]) -> ureq::Agent {
    let password = startup_output
        .iter()
        .find_map(|l| l.trim().strip_prefix("password:"))
        .expect("first admin password printed")
        .trim()
        .to_string();
    let agent = server::agent();
    let token = server::csrf_from(&agent, &server.url("/staff/login"));
    let res = agent.post(&server.url("/staff/login")).send_form(&[
        ("csrf_token", &token),
        ("email", "admin@localhost"),
        ("password", &password),
    ]);
    assert_eq!(res.map(|r| r.status()).ok(), Some(303), "admin login");
    agent
}

#[test]
fn a_killed_server_resumes_its_jobs_where_they_were() {
    let dovecot = Dovecot::start();
    let dir = tempfile::tempdir().expect("temp dir");
    let db = dir.path().join("helpdesk.db");
    let smtp_port = server::free_port();
    let mut env = dovecot.env();
    // Nothing listens on the SMTP port yet: mail is queued and fails.
    env.push(("HELPDESK_SMTP_URL", format!("smtp://127.0.0.1:{smtp_port}")));
    // The mailbox is polled at start, then not for an hour.
    env.push(("HELPDESK_IMAP_INTERVAL_SECS", "3600".into()));
    dovecot.append(
        "INBOX",
        raw_mail("Ana <ana@example.com>", "Printer", "resume-1@example.com").as_bytes(),
    );
    let first = Server::start_with(&db, server::free_port(), &env);
    let startup_output = first.startup_output.clone();
    wait_until("the mailbox was polled", || runs(&db, "mail_fetch") == 1);
    assert_eq!(count(&db, "SELECT count(*) FROM tickets"), 1);
    // The receipt to Ana and the "new ticket" to the admin, both tried and failed.
    wait_until("the queued mail was tried", || {
        count(
            &db,
            "SELECT count(*) FROM outbox WHERE attempts > 0 AND sent_at IS NULL",
        ) == 2
    });
    wait_until("the sender ran a few times", || runs(&db, "mail_send") >= 3);

    let list = helpdesk(&db, &["jobs"], &env, "");
    assert_eq!(list.code, Some(0), "{list:?}");
    for name in ["mail_send", "mail_fetch"] {
        let line = listed(&list, name);
        assert!(line.contains(" UTC "), "{name} has a last run: {list:?}");
        assert!(line.ends_with("held by a running process"), "{list:?}");
    }
    assert!(
        list.stdout.contains("last run ok") && list.stdout.contains("1 message: 1 ticket"),
        "{list:?}"
    );

    first.kill9();
    let sends = runs(&db, "mail_send");
    let fetch = job(&db, "mail_fetch").expect("mail_fetch state");
    assert_eq!(fetch.0, 1);
    let next_fetch = fetch.3.expect("next poll stored");
    assert!(
        next_fetch > fetch.2.unwrap_or(0) + 3000,
        "an hour later: {fetch:?}"
    );

    let smtp = Smtp::start(dir.path(), smtp_port);
    let second = Server::start_with(&db, server::free_port(), &env);
    // Overdue at once: the waiting mail goes out without waiting out its back-off.
    smtp.wait_for(2);
    assert_eq!(smtp.to("ana@example.com").len(), 1);
    wait_until("the sender counts on", || {
        runs(&db, "mail_send") >= sends + 2
    });
    let (_, failures, _, _) = job(&db, "mail_send").expect("mail_send state");
    assert_eq!(failures, 0, "an SMTP failure is the mail's, not the job's");
    // The poll is not due for an hour: the restarted server waits for it.
    assert_eq!(
        job(&db, "mail_fetch"),
        Some(fetch),
        "mail_fetch resumed, not run"
    );

    // Run now wakes it in the server: the new message is imported and its receipt sent.
    dovecot.append(
        "INBOX",
        raw_mail("Bo <bo@example.com>", "Scanner", "resume-2@example.com").as_bytes(),
    );
    let admin = login_admin(&second, &startup_output);
    let page = admin
        .get(&second.url("/admin/jobs"))
        .call()
        .expect("jobs page")
        .into_string()
        .expect("body");
    assert!(
        page.contains("mail_fetch") && page.contains("Run now"),
        "{page}"
    );
    let token = common::csrf_in(&page);
    let res = admin
        .post(&second.url("/admin/jobs/mail_fetch/run"))
        .send_form(&[("csrf_token", &token)])
        .expect("run now");
    assert_eq!(res.status(), 303);
    wait_until("the woken poll ran", || runs(&db, "mail_fetch") == 2);
    assert_eq!(count(&db, "SELECT count(*) FROM tickets"), 2);
    smtp.wait_for_to("bo@example.com", 1);
    let list = helpdesk(&db, &["jobs"], &env, "");
    assert!(listed(&list, "mail_fetch").contains(" 2 "), "{list:?}");
    drop(second);
    assert_eq!(smtp.to("ana@example.com").len(), 1, "each mail once");
}

#[test]
fn the_admin_jobs_page_lists_the_jobs_and_run_now_needs_the_csrf_token() {
    let app = TestApp::new();
    let res = app.client.get("/admin/jobs").dispatch();
    assert_eq!(res.status(), Status::SeeOther, "anonymous");
    assert!(location(&res).starts_with("/staff/login"));
    let agent = app.other_client();
    login(&agent, AGENT_EMAIL, AGENT_PASSWORD);
    let agent_token = csrf(&agent, "/staff/tickets");
    assert_eq!(
        agent.get("/admin/jobs").dispatch().status(),
        Status::Forbidden
    );
    let res = post_form(
        &agent,
        "/admin/jobs/mail_send/run",
        &[("csrf_token", &agent_token)],
    );
    assert_eq!(res.status(), Status::Forbidden, "agent POST");

    login(&app.client, ADMIN_EMAIL, ADMIN_PASSWORD);
    let page = get_ok(&app.client, "/admin/jobs");
    for text in [
        "Background jobs",
        "mail_send",
        "Sends the queued mail",
        "mail_fetch",
        "Run now",
        "Off: this server is not set up for it",
        "href=\"/admin/jobs\" aria-current=\"page\"",
    ] {
        assert!(page.contains(text), "{text:?} in {page}");
    }
    assert!(
        page.contains("action=\"/admin/jobs/mail_send/run\""),
        "{page}"
    );
    assert!(
        !page.contains("action=\"/admin/jobs/mail_fetch/run\""),
        "no button for a job that is off"
    );
    let es = app
        .client
        .get("/admin/jobs")
        .header(accept_language("es"))
        .dispatch()
        .into_string()
        .unwrap_or_default();
    for text in [
        "Tareas en segundo plano",
        "Envía el correo en cola",
        "Ejecutar ahora",
        "Desactivada: este servidor no está preparado para ella",
    ] {
        assert!(es.contains(text), "{text:?} in {es}");
    }
    // The app's own runner sends: its page says so once it ran.
    wait_until_app(
        &app,
        "SELECT count(*) FROM jobs WHERE name = 'mail_send' AND runs > 0",
    );
    let page = get_ok(&app.client, "/admin/jobs");
    assert!(page.contains("Held by a running server"), "{page}");
    assert!(page.contains("Done: no mail due"), "{page}");

    // Without the token: 403, nothing done.
    for token in ["", "wrong"] {
        let res = post_form(
            &app.client,
            "/admin/jobs/mail_send/run",
            &[("csrf_token", token)],
        );
        assert_eq!(res.status(), Status::Forbidden, "token {token:?}");
    }
    assert_eq!(
        app.count("SELECT count(*) FROM audit_log WHERE action = 'job_run'"),
        0
    );

    let token = csrf(&app.client, "/admin/jobs");
    let res = post_form(
        &app.client,
        "/admin/jobs/mail_send/run",
        &[("csrf_token", &token)],
    );
    assert_eq!(res.status(), Status::SeeOther);
    assert_eq!(location(&res), "/admin/jobs");
    let page = get_ok(&app.client, "/admin/jobs");
    assert!(page.contains("The job will run within a second."), "{page}");
    assert_eq!(
        app.count(
            "SELECT count(*) FROM audit_log WHERE action = 'job_run' AND detail = 'job=mail_send'"
        ),
        1
    );
    let res = post_form(
        &app.client,
        "/admin/jobs/mail_fetch/run",
        &[("csrf_token", &token)],
    );
    assert_eq!(res.status(), Status::SeeOther);
    let page = get_ok(&app.client, "/admin/jobs");
    assert!(
        page.contains("This job is off: this server is not set up for it."),
        "{page}"
    );
    let res = post_form(
        &app.client,
        "/admin/jobs/no_such_job/run",
        &[("csrf_token", &token)],
    );
    assert_eq!(res.status(), Status::NotFound);
    assert_eq!(
        app.count("SELECT count(*) FROM audit_log WHERE action = 'job_run'"),
        1
    );
    let audit = get_ok(&app.client, "/admin/audit");
    assert!(audit.contains("Job run by hand"), "{audit}");
}

fn wait_until_app(app: &TestApp, sql: &str) {
    wait_until(sql, || app.count(sql) > 0);
}

#[test]
fn jobs_interval_secs_is_checked_with_every_other_bad_key() {
    let dir = tempfile::tempdir().expect("temp dir");
    let db = dir.path().join("helpdesk.db");
    let bad = helpdesk(
        &db,
        &["jobs"],
        &[
            ("HELPDESK_JOBS_INTERVAL_SECS", "0".into()),
            ("HELPDESK_IMAP_INTERVAL_SECS", "0".into()),
        ],
        "",
    );
    assert_eq!(bad.code, Some(2), "{bad:?}");
    assert!(
        bad.stderr
            .contains("jobs_interval_secs: 0 is outside 1..=3600")
            && bad.stderr.contains("imap_interval_secs: 0 is outside"),
        "{bad:?}"
    );
    let file = dir.path().join("helpdesk.toml");
    std::fs::write(&file, "jobs_interval_secs = \"often\"\n").expect("config file");
    let config = file.to_str().expect("utf-8 path");
    let bad = helpdesk(&db, &["--config", config, "jobs"], &[], "");
    assert_eq!(bad.code, Some(2), "{bad:?}");
    assert!(bad.stderr.contains("jobs_interval_secs:"), "{bad:?}");
    std::fs::write(&file, "jobs_interval_secs = 3600\n").expect("config file");
    let good = helpdesk(&db, &["--config", config, "jobs"], &[], "");
    assert_eq!(good.code, Some(0), "{good:?}");
}
