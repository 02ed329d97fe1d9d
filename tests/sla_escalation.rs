//! Service-level escalations, with a real SMTP server (aiosmtpd): steps at 75% and at the
//! breach fire once each, mail in the reader's language and zone, raise the priority, and are in
//! the history; across `kill -9` of the real binary none is lost or doubled; and the whole
//! story end to end: a High ticket under a 1-minute first-response target is in the overdue view
//! and its assignee gets the mail once. Time is moved in the ticket's stored creation time (and
//! the clock recomputed from it), or given to the job's pass, never waited for.

use std::path::Path;
use std::time::{Duration, Instant};

use crate::common::server::{self, Server};
use crate::common::smtp::Smtp;
use crate::common::*;
use crate::sla::{HARDWARE, HIGH, MEDIUM, add_policy, backdate, utc};
use helpdesk::auth::{Role, users};
use helpdesk::db::Db;
use helpdesk::notify::MailCtx;
use helpdesk::settings::Settings;
use rocket::http::Status;
use rusqlite::{Connection, OpenFlags};
use serde_json::Value;

fn subject(mail: &Value) -> &str {
    mail["subject"].as_str().unwrap_or("")
}

/// The mails to `addr` whose subject has `word`.
fn mails_with(smtp: &Smtp, addr: &str, word: &str) -> Vec<Value> {
    smtp.to(addr)
        .into_iter()
        .filter(|m| subject(m).contains(word))
        .collect()
}

/// Polls `done` until it holds, failing with `what` after 30 seconds.
fn wait_until(what: &str, mut done: impl FnMut() -> bool) {
    let deadline = Instant::now() + Duration::from_secs(30);
    while !done() {
        assert!(Instant::now() < deadline, "timed out waiting until {what}");
        std::thread::sleep(Duration::from_millis(50));
    }
}

#[test]
fn steps_fire_once_at_75_percent_and_at_the_breach_in_the_readers_language_and_zone() {
    let dir = tempfile::tempdir().expect("temp dir");
    let port = server::free_port();
    let smtp = Smtp::start(dir.path(), port);
    let app = TestApp::with_config(|c| c.smtp_url = format!("smtp://127.0.0.1:{port}"));
    let admin = app.other_client();
    login(&admin, ADMIN_EMAIL, ADMIN_PASSWORD);
    // The assignee reads Spanish in New York, and turned every notification off: escalations
    // reach them anyway.
    let agent = app.other_client();
    login(&agent, AGENT_EMAIL, AGENT_PASSWORD);
    let token = csrf(&agent, "/staff/preferences");
    let res = post_form(
        &agent,
        "/staff/preferences",
        &[
            ("csrf_token", &token),
            ("lang", "es"),
            ("timezone", "America/New_York"),
        ],
    );
    assert_eq!(res.status(), Status::SeeOther);
    // Medium: an hour to respond, a working day to resolve, in calendar time.
    let res = add_policy(
        &admin,
        &[
            ("name", "Medium"),
            ("priority", MEDIUM),
            ("first_response_minutes", "60"),
            ("resolution_minutes", "480"),
            ("steps[1].action", "email_assignee"),
            ("steps[1].target", "first_response"),
            ("steps[1].percent", "75"),
            ("steps[2].action", "email_admins"),
            ("steps[2].target", "first_response"),
            ("steps[2].percent", "100"),
            ("steps[3].action", "raise_priority"),
            ("steps[3].target", "resolution"),
            ("steps[3].percent", "100"),
        ],
    );
    assert_eq!(res.status(), Status::SeeOther);
    let res = add_policy(
        &admin,
        &[
            ("name", "High"),
            ("priority", HIGH),
            ("first_response_minutes", "30"),
            ("resolution_minutes", "240"),
        ],
    );
    assert_eq!(res.status(), Status::SeeOther);
    let tid = submit_ticket(&app.other_client(), &TicketInput::default(), &[]);
    let id = ticket_id(&app, &tid);
    let agent_id = app.count("SELECT id FROM staff WHERE email = 'agent@example.com'");
    let token = csrf(&admin, &format!("/staff/tickets/{id}"));
    let res = post_form(
        &admin,
        &format!("/staff/tickets/{id}/update"),
        &[("csrf_token", &token), ("assignee", &agent_id.to_string())],
    );
    assert_eq!(res.status(), Status::SeeOther);

    // Opened on Monday 6 January 2031 at 09:00 UTC: years ahead, so the app's own job runner
    // (which runs at the real time) never reaches these steps; this test runs the pass itself.
    let opened = utc("2031-01-06T09:00:00Z");
    backdate(&app, id, opened, opened);
    let config = app.config.clone();
    let pass = |at: i64| {
        let config = config.clone();
        app.db
            .write_blocking(move |c| {
                let mail = MailCtx::from_parts(&config, &Settings::load(c)?);
                helpdesk::sla::escalate::escalate_due(c, &mail, at)
            })
            .expect("escalation pass")
            .0
    };
    assert_eq!(pass(opened + 44 * 60), 0, "not yet at 75%");
    assert_eq!(pass(opened + 45 * 60), 1, "75% of the first response");
    assert_eq!(pass(opened + 50 * 60), 0, "once");
    wait_until("the warning arrived", || {
        !mails_with(&smtp, AGENT_EMAIL, "Aviso de SLA").is_empty()
    });
    let warning = mails_with(&smtp, AGENT_EMAIL, "Aviso de SLA");
    assert_eq!(warning.len(), 1, "{warning:?}");
    let text = warning[0]["text"].as_str().unwrap_or("");
    assert!(
        text.contains("75%") && text.contains("primera respuesta"),
        "{text}"
    );
    assert!(text.contains("Vence el 2031-01-06 05:00 EST"), "{text}");
    assert!(text.contains(&format!("/staff/tickets/{id}")), "{text}");

    assert_eq!(pass(opened + 60 * 60), 1, "the breach");
    wait_until("the breach mail arrived", || {
        !mails_with(&smtp, ADMIN_EMAIL, "SLA breached").is_empty()
    });
    let breach = mails_with(&smtp, ADMIN_EMAIL, "SLA breached");
    assert_eq!(breach.len(), 1);
    let text = breach[0]["text"].as_str().unwrap_or("");
    assert!(
        text.contains("breached its first-response target"),
        "{text}"
    );
    assert!(text.contains("it was due 2031-01-06 10:00 UTC"), "{text}");

    // The working day runs out: the priority goes up, and the High policy's targets apply.
    assert_eq!(pass(opened + 480 * 60), 1);
    assert_eq!(
        app.count(&format!("SELECT priority_id FROM tickets WHERE id = {id}")),
        3
    );
    assert_eq!(
        app.count(&format!(
            "SELECT first_response_due_at FROM ticket_sla WHERE ticket_id = {id}"
        )),
        opened + 30 * 60
    );
    assert_eq!(pass(opened + 600 * 60), 0, "every step fired once");
    let page = get_ok(&admin, &format!("/staff/tickets/{id}"));
    for line in [
        "First response, at 75% — email the assignee",
        "First response, at the breach — email the admins",
        "Resolution, at the breach — raise the priority",
    ] {
        assert!(page.contains(line), "{line} in {page}");
    }
    assert!(
        page.contains("<strong>SLA escalation</strong> · priority: Medium → High"),
        "{page}"
    );
    assert_eq!(
        app.count(&format!(
            "SELECT count(*) FROM sla_firings WHERE ticket_id = {id}"
        )),
        3
    );
    // Every mail went out once.
    wait_until("the outbox is empty", || {
        app.count("SELECT count(*) FROM outbox WHERE sent_at IS NULL") == 0
    });
    assert_eq!(mails_with(&smtp, AGENT_EMAIL, "SLA").len(), 1);
    assert_eq!(mails_with(&smtp, ADMIN_EMAIL, "SLA").len(), 1);
}

fn count(db: &Path, sql: &str) -> i64 {
    let conn = Connection::open_with_flags(db, OpenFlags::SQLITE_OPEN_READ_ONLY).expect("open db");
    conn.query_row(sql, [], |r| r.get(0)).expect(sql)
}

fn runs(db: &Path) -> i64 {
    count(
        db,
        "SELECT COALESCE((SELECT runs FROM jobs WHERE name = 'sla_escalate'), 0)",
    )
}

/// Moves ticket `id`'s creation to `created_at` and recomputes its clock, from this process
/// (the server may be running or not).
fn backdate_file(db: &Path, id: i64, created_at: i64) {
    let db = Db::open(db).expect("open db");
    db.write_blocking(move |c| {
        c.execute(
            "UPDATE tickets SET created_at = ?2 WHERE id = ?1",
            [id, created_at],
        )?;
        helpdesk::sla::recompute(c, id, helpdesk::db::now())
    })
    .expect("backdate");
}

fn call(res: Result<ureq::Response, ureq::Error>) -> ureq::Response {
    match res {
        Ok(r) => r,
        Err(ureq::Error::Status(_, r)) => r,
        Err(e) => panic!("request failed: {e}"),
    }
}

/// Submits a ticket on the portal of `server` with `priority` (empty: the category's);
/// returns its tracking ID.
fn submit(server: &Server, subject: &str, priority: &str) -> String {
    let agent = server::agent();
    let page = call(agent.get(&server.url("/tickets/new")).call())
        .into_string()
        .expect("form");
    let token = csrf_in(&page);
    let mut form = Multipart::new();
    form.text("csrf_token", &token)
        .text("name", "Ana Employee")
        .text("email", "ana@office.example")
        .text("category", HARDWARE)
        .text("priority", priority)
        .text("subject", subject)
        .text("message", "The label printer in the warehouse is down.");
    let res = call(
        agent
            .post(&server.url("/tickets"))
            .set("Content-Type", &Multipart::header_value())
            .send_bytes(&form.finish()),
    );
    assert_eq!(res.status(), 303, "submission accepted");
    let location = res.header("Location").unwrap_or("").to_string();
    location
        .trim_start_matches("/tickets/")
        .split('?')
        .next()
        .unwrap_or("")
        .to_string()
}

fn ticket_of(db: &Path, tid: &str) -> i64 {
    let conn = Connection::open_with_flags(db, OpenFlags::SQLITE_OPEN_READ_ONLY).expect("open db");
    conn.query_row(
        "SELECT id FROM tickets WHERE tracking_id = ?1",
        [tid],
        |r| r.get(0),
    )
    .expect("ticket")
}

fn env(smtp_port: u16) -> Vec<(&'static str, String)> {
    vec![
        ("HELPDESK_SMTP_URL", format!("smtp://127.0.0.1:{smtp_port}")),
        ("HELPDESK_JOBS_INTERVAL_SECS", "1".into()),
    ]
}

#[test]
fn an_escalation_fires_once_across_kill_9_of_the_real_binary() {
    let dir = tempfile::tempdir().expect("temp dir");
    let db_path = dir.path().join("helpdesk.db");
    // The assignee and the policy, written before the first start: ten minutes to respond (in
    // calendar time), the assignee mailed at 75% and at the breach.
    let db = Db::open(&db_path).expect("open db");
    let agent = db
        .write_blocking(|c| {
            let hash = users::hash_password("agent-password-1", 4)?;
            let agent = users::create(c, "nina@desk.example", "Nina Agent", Role::Agent, &hash)?;
            let policy = helpdesk::sla::policies::NewPolicy {
                name: "Medium".into(),
                priority_id: 2,
                category_id: None,
                targets: helpdesk::sla::Targets {
                    first_response_minutes: 10,
                    resolution_minutes: 600,
                    business_hours: false,
                },
                steps: [75, 100]
                    .into_iter()
                    .enumerate()
                    .map(|(i, at_percent)| helpdesk::sla::policies::NewStep {
                        slot: i as i64 + 1,
                        target: helpdesk::sla::Target::FirstResponse,
                        at_percent,
                        action: helpdesk::sla::Action::EmailAssignee,
                        staff_id: None,
                    })
                    .collect(),
            };
            helpdesk::sla::save_policy(c, None, &policy, helpdesk::db::now())?;
            Ok(agent)
        })
        .expect("setup");
    drop(db);
    // Nothing listens on the SMTP port yet: the warning is queued and waits.
    let smtp_port = server::free_port();
    let first = Server::start_with(&db_path, server::free_port(), &env(smtp_port));
    let tid = submit(&first, "Label printer down", "");
    let id = ticket_of(&db_path, &tid);
    let db = Db::open(&db_path).expect("open db");
    db.write_blocking(move |c| {
        let mail = MailCtx {
            config_on: false,
            silent: true,
            base_url: String::new(),
            desk_name: String::new(),
        };
        let ctx = helpdesk::workflow::Ctx::new(mail, helpdesk::db::now());
        let changes = helpdesk::tickets::actions::Changes {
            assignee: Some(Some(agent)),
            ..Default::default()
        };
        helpdesk::workflow::Desk::new(c, &ctx).update(
            &helpdesk::tickets::Actor::system(),
            id,
            &changes,
        )?;
        Ok(())
    })
    .expect("assign");
    drop(db);
    // Opened 7 min 40 s ago: 75% (7 min 30 s) is past, the breach 2 min 20 s away.
    backdate_file(&db_path, id, helpdesk::db::now() - 460);
    wait_until("the 75% step fired", || {
        count(&db_path, "SELECT count(*) FROM sla_firings") == 1
    });
    wait_until("its mail was tried", || {
        count(
            &db_path,
            "SELECT count(*) FROM outbox WHERE subject LIKE '%SLA warning%' AND attempts > 0",
        ) == 1
    });
    first.kill9();

    // While it is down, the breach comes.
    let smtp = Smtp::start(dir.path(), smtp_port);
    backdate_file(&db_path, id, helpdesk::db::now() - 610);
    let second = Server::start_with(&db_path, server::free_port(), &env(smtp_port));
    wait_until("both mails arrived", || {
        mails_with(&smtp, "nina@desk.example", "SLA").len() >= 2
    });
    let before = runs(&db_path);
    wait_until("the job ran on", || runs(&db_path) >= before + 3);
    second.kill9();
    let third = Server::start_with(&db_path, server::free_port(), &env(smtp_port));
    let before = runs(&db_path);
    wait_until("the job ran after the restart", || {
        runs(&db_path) >= before + 3
    });
    drop(third);

    let mails = mails_with(&smtp, "nina@desk.example", "SLA");
    let subjects: Vec<&str> = mails.iter().map(subject).collect();
    assert_eq!(subjects.len(), 2, "{subjects:?}");
    assert!(
        subjects.iter().any(|s| s.contains("SLA warning")),
        "{subjects:?}"
    );
    assert!(
        subjects.iter().any(|s| s.contains("SLA breached")),
        "{subjects:?}"
    );
    assert_eq!(count(&db_path, "SELECT count(*) FROM sla_firings"), 2);
    assert_eq!(
        count(
            &db_path,
            "SELECT count(*) FROM ticket_events WHERE field = 'sla_escalation'"
        ),
        2
    );
    assert_eq!(
        count(
            &db_path,
            "SELECT count(*) FROM outbox WHERE subject LIKE '%SLA%'"
        ),
        2
    );
}

#[test]
fn done_when_a_high_ticket_past_a_one_minute_target_is_overdue_and_its_assignee_mailed_once() {
    let dir = tempfile::tempdir().expect("temp dir");
    let db_path = dir.path().join("helpdesk.db");
    let smtp_port = server::free_port();
    let smtp = Smtp::start(dir.path(), smtp_port);
    let server = Server::start_with(&db_path, server::free_port(), &env(smtp_port));
    let password = server
        .startup_output
        .iter()
        .find_map(|l| l.trim().strip_prefix("password:"))
        .expect("first admin password printed")
        .trim()
        .to_string();
    let added = server::run(
        &db_path,
        &[
            "user",
            "add",
            "--role",
            "agent",
            "--email",
            "nina@desk.example",
            "--name",
            "Nina Agent",
            "--password-stdin",
        ],
        &[],
        b"nina-password-1\n",
    );
    assert_eq!(added.code, Some(0), "{added:?}");
    let login_as = |email: &str, password: &str| {
        let agent = server::agent();
        let token = server::csrf_from(&agent, &server.url("/staff/login"));
        let res = call(agent.post(&server.url("/staff/login")).send_form(&[
            ("csrf_token", &token),
            ("email", email),
            ("password", password),
        ]));
        assert_eq!(res.status(), 303, "{email} logs in");
        agent
    };
    let admin = login_as("admin@localhost", &password);

    // Admin > SLA: High tickets, any category, a first response within one minute of calendar
    // time; at the breach, mail the assignee.
    let token = server::csrf_from(&admin, &server.url("/admin/sla"));
    let res = call(admin.post(&server.url("/admin/sla")).send_form(&[
        ("csrf_token", &token),
        ("name", "High: answer within a minute"),
        ("priority", HIGH),
        ("category", ""),
        ("first_response_minutes", "1"),
        ("resolution_minutes", "60"),
        ("steps[1].action", "email_assignee"),
        ("steps[1].target", "first_response"),
        ("steps[1].percent", "100"),
    ]));
    assert_eq!(
        res.status(),
        303,
        "{}",
        res.into_string().unwrap_or_default()
    );

    let tid = submit(&server, "Warehouse scanner down", HIGH);
    let id = ticket_of(&db_path, &tid);
    let nina = count(
        &db_path,
        "SELECT id FROM staff WHERE email = 'nina@desk.example'",
    );
    let token = server::csrf_from(&admin, &server.url(&format!("/staff/tickets/{id}")));
    let res = call(
        admin
            .post(&server.url(&format!("/staff/tickets/{id}/update")))
            .send_form(&[("csrf_token", &token), ("assignee", &nina.to_string())]),
    );
    assert_eq!(res.status(), 303);
    smtp.wait_for_to("nina@desk.example", 1);
    assert!(
        mails_with(&smtp, "nina@desk.example", "SLA").is_empty(),
        "not yet"
    );

    // Two minutes pass (in the ticket's stored creation time): the target was a minute.
    backdate_file(&db_path, id, helpdesk::db::now() - 120);
    let nina_agent = login_as("nina@desk.example", "nina-password-1");
    let overdue = call(
        nina_agent
            .get(&server.url("/staff/tickets?view=overdue"))
            .call(),
    )
    .into_string()
    .expect("overdue view");
    assert!(overdue.contains(&tid), "{overdue}");
    assert!(
        overdue.contains("class=\"due due-breached\"") && overdue.contains("breached by 1 min"),
        "{overdue}"
    );
    let page = call(
        nina_agent
            .get(&server.url(&format!("/staff/tickets/{id}")))
            .call(),
    )
    .into_string()
    .expect("ticket page");
    assert!(page.contains("High: answer within a minute"), "{page}");
    assert!(page.contains("breached by 1 min"), "{page}");

    let mails = {
        wait_until("the escalation mail arrived", || {
            !mails_with(&smtp, "nina@desk.example", "SLA breached").is_empty()
        });
        let before = runs(&db_path);
        wait_until("the job ran on", || runs(&db_path) >= before + 3);
        mails_with(&smtp, "nina@desk.example", "SLA")
    };
    assert_eq!(mails.len(), 1, "once: {mails:?}");
    let text = mails[0]["text"].as_str().unwrap_or("");
    assert!(
        text.contains("Warehouse scanner down") && text.contains(&tid),
        "{text}"
    );
    assert!(
        text.contains("breached its first-response target"),
        "{text}"
    );
    let page = call(
        nina_agent
            .get(&server.url(&format!("/staff/tickets/{id}")))
            .call(),
    )
    .into_string()
    .expect("ticket page");
    assert!(
        page.contains("First response, at the breach — email the assignee"),
        "{page}"
    );
}
