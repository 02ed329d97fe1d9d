//! Service levels through the real pages over a real SQLite file: due times in business hours
//! across a weekend, a holiday and Madrid's clock change, shown in the viewer's zone; the clock
//! standing still while the ticket waits on the requester; a priority change. Times are set in
//! the ticket's stored fields and the clock recomputed from them (`sla::recompute`), never waited
//! for. The policy form is in `sla_admin`, the list's views and sort in `sla_list`, escalations
//! (with a real SMTP server and the real binary) in `sla_escalation`; the helpers here serve all.

use crate::common::*;
use rocket::http::Status;
use rocket::local::blocking::Client;

pub const MEDIUM: &str = "2";
pub const HIGH: &str = "3";
pub const LOW: &str = "1";
pub const HARDWARE: &str = "2";
/// Accounts & access: Medium by default, like Hardware.
pub const ACCOUNTS: &str = "4";

pub fn utc(text: &str) -> i64 {
    text.parse::<jiff::Timestamp>().unwrap().as_second()
}

/// Posts the add-policy form of Admin > SLA with `fields` (plus the token).
pub fn add_policy<'c>(
    admin: &'c Client,
    fields: &[(&str, &str)],
) -> rocket::local::blocking::LocalResponse<'c> {
    let token = csrf(admin, "/admin/sla");
    let mut all = vec![("csrf_token", token.as_str())];
    all.extend_from_slice(fields);
    post_form(admin, "/admin/sla", &all)
}

/// A policy without escalations: `priority`, any category, targets in minutes.
pub fn simple_policy(admin: &Client, name: &str, priority: &str, first: &str, resolution: &str) {
    let res = add_policy(
        admin,
        &[
            ("name", name),
            ("priority", priority),
            ("category", ""),
            ("first_response_minutes", first),
            ("resolution_minutes", resolution),
        ],
    );
    assert_eq!(res.status(), Status::SeeOther, "policy {name} saved");
}

/// Moves the ticket's creation to `created_at` and computes its clock again at `now`.
pub fn backdate(app: &TestApp, id: i64, created_at: i64, now: i64) {
    app.db
        .write_blocking(move |c| {
            c.execute(
                "UPDATE tickets SET created_at = ?2 WHERE id = ?1",
                [id, created_at],
            )?;
            helpdesk::sla::recompute(c, id, now)
        })
        .expect("backdate");
}

pub fn one(app: &TestApp, sql: &str, id: i64) -> Option<i64> {
    let text = sql.to_string();
    app.db
        .read_blocking(move |c| {
            use rusqlite::OptionalExtension;
            Ok(c.query_row(&text, [id], |r| r.get(0)).optional()?.flatten())
        })
        .expect(sql)
}

fn first_response_due(app: &TestApp, id: i64) -> Option<i64> {
    one(
        app,
        "SELECT first_response_due_at FROM ticket_sla WHERE ticket_id = ?1",
        id,
    )
}

fn resolution_due(app: &TestApp, id: i64) -> Option<i64> {
    one(
        app,
        "SELECT resolution_due_at FROM ticket_sla WHERE ticket_id = ?1",
        id,
    )
}

pub fn admin_client(app: &TestApp) -> Client {
    let admin = app.other_client();
    login(&admin, ADMIN_EMAIL, ADMIN_PASSWORD);
    admin
}

pub fn ticket_in(app: &TestApp, category: &str, subject: &str) -> i64 {
    let tid = submit_ticket(
        &app.other_client(),
        &TicketInput {
            category,
            subject,
            ..TicketInput::default()
        },
        &[],
    );
    ticket_id(app, &tid)
}

/// The admin sets the desk's zone to Madrid (office hours Monday to Friday 09:00–17:00 are the
/// default) on the settings form.
fn madrid_desk(admin: &Client) {
    let token = csrf(admin, "/admin/settings");
    let res = post_form(
        admin,
        "/admin/settings",
        &[
            ("csrf_token", &token),
            ("desk_name", "Helpdesk"),
            ("max_attachment_mb", "10"),
            ("allowed_extensions", "pdf, png"),
            ("timezone", "Europe/Madrid"),
        ],
    );
    assert_eq!(res.status(), Status::SeeOther);
}

#[test]
fn due_times_count_business_hours_across_a_weekend_a_holiday_and_the_clock_change() {
    let app = TestApp::new();
    let admin = admin_client(&app);
    madrid_desk(&admin);
    let token = csrf(&admin, "/admin/settings");
    let holiday = |path: &str, fields: &[(&str, &str)]| {
        let mut all = vec![("csrf_token", token.as_str())];
        all.extend_from_slice(fields);
        post_form(&admin, path, &all).status()
    };
    let added = holiday(
        "/admin/settings/holidays",
        &[
            ("holiday_date", "2026-03-30"),
            ("holiday_name", "Local holiday"),
        ],
    );
    assert_eq!(added, Status::SeeOther);
    let res = add_policy(
        &admin,
        &[
            ("name", "Medium, office hours"),
            ("priority", MEDIUM),
            ("first_response_minutes", "120"),
            ("resolution_minutes", "600"),
            ("business_hours", "on"),
        ],
    );
    assert_eq!(res.status(), Status::SeeOther);
    let id = ticket_in(&app, HARDWARE, "Docking station is dead");

    // Opened on Friday 27 March 2026 at 16:00 CET: one business hour that day; Saturday and
    // Sunday closed (summer time starts on Sunday), Monday a holiday: the first response is
    // due on Tuesday at 10:00 CEST, the resolution (10 hours) on Wednesday at 10:00 CEST.
    let friday = utc("2026-03-27T15:00:00Z");
    backdate(&app, id, friday, friday);
    assert_eq!(
        first_response_due(&app, id),
        Some(utc("2026-03-31T08:00:00Z"))
    );
    assert_eq!(resolution_due(&app, id), Some(utc("2026-04-01T08:00:00Z")));
    let page = get_ok(&admin, &format!("/staff/tickets/{id}"));
    assert!(page.contains("Service level"), "{page}");
    assert!(
        page.contains("Medium, office hours · business hours"),
        "{page}"
    );
    assert!(page.contains("2026-03-31 10:00 CEST") && page.contains("2026-04-01 10:00 CEST"));
    // Seen now, long after: both breached, by how long in words.
    assert!(
        page.contains("class=\"due due-breached\">breached by "),
        "{page}"
    );
    let es = admin
        .get(format!("/staff/tickets/{id}"))
        .header(accept_language("es"))
        .dispatch()
        .into_string()
        .unwrap_or_default();
    assert!(
        es.contains("Nivel de servicio") && es.contains("vencido hace "),
        "{es}"
    );
    assert!(es.contains("Primera respuesta") && es.contains("horario laboral"));

    // Without the holiday: Monday 30 March, 10:00 CEST (08:00Z: the clock changed).
    let removed = holiday("/admin/settings/holidays/remove", &[("day", "2026-03-30")]);
    assert_eq!(removed, Status::SeeOther);
    backdate(&app, id, friday, friday);
    assert_eq!(
        first_response_due(&app, id),
        Some(utc("2026-03-30T08:00:00Z"))
    );
    let page = get_ok(&admin, &format!("/staff/tickets/{id}"));
    assert!(page.contains("2026-03-30 10:00 CEST"), "{page}");

    // A viewer in New York sees the same due time in their zone.
    let agent = app.other_client();
    login(&agent, AGENT_EMAIL, AGENT_PASSWORD);
    let token = csrf(&agent, "/staff/preferences");
    let res = post_form(
        &agent,
        "/staff/preferences",
        &[
            ("csrf_token", &token),
            ("lang", "en"),
            ("timezone", "America/New_York"),
        ],
    );
    assert_eq!(res.status(), Status::SeeOther);
    let page = get_ok(&agent, &format!("/staff/tickets/{id}"));
    assert!(page.contains("2026-03-30 04:00 EDT"), "{page}");
    let list = get_ok(&agent, "/staff/tickets?view=overdue");
    assert!(list.contains("title=\"2026-03-30 04:00 EDT\""), "{list}");
}

#[test]
fn the_clock_stands_still_while_the_ticket_waits_and_runs_on_after_the_requesters_reply() {
    let app = TestApp::new();
    let admin = admin_client(&app);
    simple_policy(&admin, "Medium, calendar", MEDIUM, "60", "480");
    let requester = app.other_client();
    let tid = submit_ticket(&requester, &TicketInput::default(), &[]);
    let id = ticket_id(&app, &tid);
    let now = helpdesk::db::now();
    let created = now - 1800;
    backdate(&app, id, created, now);
    assert_eq!(resolution_due(&app, id), Some(created + 480 * 60));
    let list = get_ok(&admin, "/staff/tickets");
    assert!(list.contains("class=\"due due-fine\""), "{list}");

    // The agent answers and sets it waiting on the requester: first response met, clock stopped.
    let waiting = app.count("SELECT id FROM statuses WHERE slug = 'waiting'");
    let token = csrf(&admin, &format!("/staff/tickets/{id}"));
    let mut form = Multipart::new();
    form.text("csrf_token", &token)
        .text("message", "Which floor is it on?")
        .text("kind", "reply")
        .text("status", &waiting.to_string());
    assert_eq!(
        form.post(&admin, &format!("/staff/tickets/{id}/reply"))
            .status(),
        Status::SeeOther
    );
    let paused_at = one(
        &app,
        "SELECT paused_at FROM ticket_sla WHERE ticket_id = ?1",
        id,
    );
    assert!(paused_at.is_some_and(|p| p >= now), "{paused_at:?}");
    let page = get_ok(&admin, &format!("/staff/tickets/{id}"));
    assert!(page.contains("class=\"due due-met\">met</span>"), "{page}");
    assert!(page.contains("clock paused") && page.contains("The clock stands still"));
    // No running deadline: not in the list's views, no due time shown.
    assert!(!get_ok(&admin, "/staff/tickets?view=due_today").contains(&tid));
    assert!(!get_ok(&admin, "/staff/tickets?view=overdue").contains(&tid));
    assert_eq!(
        one(&app, "SELECT sla_due_at FROM tickets WHERE id = ?1", id),
        None
    );

    // It waited two hours (the stored pause is moved back, not waited for)...
    app.db
        .write_blocking(move |c| {
            c.execute(
                "UPDATE ticket_sla SET paused_at = paused_at - 7200 WHERE ticket_id = ?1",
                [id],
            )?;
            Ok(())
        })
        .unwrap();
    // ...then the requester answers on the portal: in progress again, and the resolution is due
    // two hours later than before.
    let token = csrf(&requester, &format!("/tickets/{tid}"));
    let mut form = Multipart::new();
    form.text("csrf_token", &token)
        .text("message", "Floor 3, by the window.");
    assert_eq!(
        form.post(&requester, &format!("/tickets/{tid}/reply"))
            .status(),
        Status::SeeOther
    );
    assert_eq!(
        one(
            &app,
            "SELECT paused_at FROM ticket_sla WHERE ticket_id = ?1",
            id
        ),
        None
    );
    let paused = one(
        &app,
        "SELECT paused_secs FROM ticket_sla WHERE ticket_id = ?1",
        id,
    )
    .unwrap_or_default();
    assert!((7200..7260).contains(&paused), "{paused}");
    assert_eq!(resolution_due(&app, id), Some(created + 480 * 60 + paused));
    assert_eq!(
        one(&app, "SELECT sla_due_at FROM tickets WHERE id = ?1", id),
        Some(created + 480 * 60 + paused)
    );
    // The met first response keeps the due time it was met against.
    assert_eq!(first_response_due(&app, id), Some(created + 3600));
    let page = get_ok(&admin, &format!("/staff/tickets/{id}"));
    assert!(!page.contains("clock paused"), "running again");
    assert!(page.contains("class=\"due due-fine\">due in 9 h"), "{page}");
}

#[test]
fn changing_the_priority_recomputes_the_targets() {
    let app = TestApp::new();
    let admin = admin_client(&app);
    simple_policy(&admin, "Medium", MEDIUM, "240", "2880");
    simple_policy(&admin, "High", HIGH, "30", "480");
    let id = ticket_in(&app, HARDWARE, "Monitor flickers");
    let now = helpdesk::db::now();
    backdate(&app, id, now - 570, now);
    assert_eq!(first_response_due(&app, id), Some(now - 570 + 240 * 60));
    let change = |priority: &str| {
        let token = csrf(&admin, &format!("/staff/tickets/{id}"));
        let res = post_form(
            &admin,
            &format!("/staff/tickets/{id}/update"),
            &[("csrf_token", &token), ("priority", priority)],
        );
        assert_eq!(res.status(), Status::SeeOther);
    };
    change(HIGH);
    assert_eq!(first_response_due(&app, id), Some(now - 570 + 30 * 60));
    assert_eq!(resolution_due(&app, id), Some(now - 570 + 480 * 60));
    let page = get_ok(&admin, &format!("/staff/tickets/{id}"));
    assert!(
        page.contains("High · calendar time") && page.contains("due in 20 min"),
        "{page}"
    );
    // A priority without a policy: no targets any more.
    change(LOW);
    assert_eq!(first_response_due(&app, id), None);
    assert_eq!(
        one(&app, "SELECT sla_due_at FROM tickets WHERE id = ?1", id),
        None
    );
    assert!(!get_ok(&admin, &format!("/staff/tickets/{id}")).contains("Service level"));
}
