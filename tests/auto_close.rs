//! Auto-close: resolved tickets nobody answered for `auto_close_days` close, once, with the
//! requester told in their language; 0 never closes; bad values are refused.

use std::time::{Duration, Instant};

use crate::common::*;
use helpdesk::automation::auto_close;
use helpdesk::notify::MailCtx;
use helpdesk::settings::Settings;
use rocket::http::Status;

const DAY: i64 = 86_400;

/// A ticket resolved by the admin `days_ago` days before `now`; its id.
fn resolved_ticket(
    app: &TestApp,
    admin: &rocket::local::blocking::Client,
    subject: &str,
    days_ago: i64,
    now: i64,
) -> i64 {
    let tid = submit_ticket(
        &app.client,
        &TicketInput {
            subject,
            ..TicketInput::default()
        },
        &[],
    );
    let id = ticket_id(app, &tid);
    let resolved = app.count("SELECT id FROM statuses WHERE slug = 'resolved'");
    let token = csrf(admin, &format!("/staff/tickets/{id}"));
    let res = post_form(
        admin,
        &format!("/staff/tickets/{id}/update"),
        &[("csrf_token", &token), ("status", &resolved.to_string())],
    );
    assert_eq!(res.status(), Status::SeeOther);
    let at = now - days_ago * DAY;
    app.db
        .write_blocking(move |c| {
            c.execute(
                "UPDATE tickets SET resolved_at = ?2 WHERE id = ?1",
                [id, at],
            )?;
            Ok(())
        })
        .expect("backdate");
    id
}

fn status_of(app: &TestApp, id: i64) -> String {
    let id_ = id;
    app.db
        .read_blocking(move |c| {
            Ok(c.query_row(
                "SELECT s.slug FROM tickets t JOIN statuses s ON s.id = t.status_id WHERE t.id = ?1",
                [id_],
                |r| r.get(0),
            )?)
        })
        .expect("status")
}

/// "Run now" on the admin jobs page, then waits for the app's own job runner to finish that run;
/// returns the run's summary.
fn run_job_now(app: &TestApp, admin: &rocket::local::blocking::Client) -> String {
    let runs =
        || app.count("SELECT COALESCE((SELECT runs FROM jobs WHERE name = 'auto_close'), 0)");
    let before = runs();
    let token = csrf(admin, "/admin/jobs");
    let res = post_form(
        admin,
        "/admin/jobs/auto_close/run",
        &[("csrf_token", &token)],
    );
    assert_eq!(res.status(), Status::SeeOther);
    let deadline = Instant::now() + Duration::from_secs(30);
    while runs() == before {
        assert!(Instant::now() < deadline, "the job ran");
        std::thread::sleep(Duration::from_millis(20));
    }
    app.db
        .read_blocking(|c| {
            Ok(c.query_row(
                "SELECT last_summary FROM jobs WHERE name = 'auto_close'",
                [],
                |r| r.get(0),
            )?)
        })
        .expect("summary")
}

fn close_due(app: &TestApp, days: u32, now: i64) -> usize {
    let config = app.config.clone();
    app.db
        .write_blocking(move |c| {
            let mail = MailCtx::from_parts(&config, &Settings::load(c)?);
            auto_close::close_due(c, &mail, days, now)
        })
        .expect("close pass")
}

#[test]
fn resolved_tickets_close_after_the_period_once_and_the_requester_is_told() {
    let app = TestApp::with_config(|c| c.smtp_url = "smtp://127.0.0.1:9".to_string());
    let admin = app.other_client();
    login(&admin, ADMIN_EMAIL, ADMIN_PASSWORD);
    let now = 1_900_000_000;
    let old = resolved_ticket(&app, &admin, "Old resolved printer", 8, now);
    let spanish = resolved_ticket(&app, &admin, "Impresora resuelta", 7, now);
    app.db
        .write_blocking(move |c| {
            c.execute("UPDATE tickets SET lang = 'es' WHERE id = ?1", [spanish])?;
            Ok(())
        })
        .expect("lang");
    let recent = resolved_ticket(&app, &admin, "Recent resolved printer", 6, now);
    assert_eq!(close_due(&app, 7, now), 2);
    assert_eq!(status_of(&app, old), "closed");
    assert_eq!(status_of(&app, spanish), "closed");
    assert_eq!(status_of(&app, recent), "resolved");
    let closed_mails = |lead: &str| {
        app.count(&format!(
            "SELECT COUNT(*) FROM outbox WHERE to_addr = 'ana@office.example' AND subject LIKE '%{lead}:%'"
        ))
    };
    assert_eq!(closed_mails("Closed"), 1);
    assert_eq!(closed_mails("Cerrada"), 1);
    let body: String = app
        .db
        .read_blocking(|c| {
            Ok(c.query_row(
                "SELECT body_text FROM outbox WHERE subject LIKE '%Cerrada:%'",
                [],
                |r| r.get(0),
            )?)
        })
        .expect("mail");
    assert!(body.contains("7 días"), "{body}");
    // The history names who closed it.
    let page = get_ok(&admin, &format!("/staff/tickets/{old}"));
    assert!(page.contains("Auto-close"), "{page}");
    // Run again: nothing more to do, no second mail.
    assert_eq!(close_due(&app, 7, now), 0);
    assert_eq!(closed_mails("Closed"), 1);
    // The third closes when its day comes.
    assert_eq!(close_due(&app, 7, now + DAY), 1);
    assert_eq!(status_of(&app, recent), "closed");
}

#[test]
fn the_job_closes_them_and_zero_means_never() {
    let app = TestApp::new();
    let admin = app.other_client();
    login(&admin, ADMIN_EMAIL, ADMIN_PASSWORD);
    let now = helpdesk::db::now();
    let id = resolved_ticket(&app, &admin, "Forgotten laptop", 30, now);
    // 0 days: the job leaves it alone.
    let token = csrf(&admin, "/admin/settings");
    let settings = |days: &str| {
        post_form(
            &admin,
            "/admin/settings",
            &[
                ("csrf_token", &token),
                ("desk_name", "Helpdesk"),
                ("max_attachment_mb", "10"),
                ("allowed_extensions", "png, pdf"),
                ("auto_close_days", days),
            ],
        )
    };
    assert_eq!(settings("0").status(), Status::SeeOther);
    let summary = run_job_now(&app, &admin);
    assert!(
        summary.contains("no resolved ticket due to close"),
        "{summary}"
    );
    assert_eq!(status_of(&app, id), "resolved");
    // Refused values change nothing.
    for bad in ["-1", "400", "soon", ""] {
        let res = settings(bad);
        assert_eq!(res.status(), Status::UnprocessableEntity, "{bad}");
        let body = res.into_string().unwrap_or_default();
        assert!(body.contains("from 0 to 365"), "{body}");
    }
    assert_eq!(
        app.count("SELECT CAST(value AS INTEGER) FROM settings WHERE key = 'auto_close_days'"),
        0
    );
    // 7 days: the real job runner's pass closes it.
    assert_eq!(settings("7").status(), Status::SeeOther);
    let summary = run_job_now(&app, &admin);
    assert!(summary.contains("1 resolved ticket closed"), "{summary}");
    assert_eq!(status_of(&app, id), "closed");
    let page = get_ok(&admin, "/admin/settings");
    assert!(page.contains("name=\"auto_close_days\""));
}
