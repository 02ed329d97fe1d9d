//! Recurring tickets: the admin form (bad input refused next to its field, nothing saved), the
//! job's pass run at chosen moments (one ticket per due time, however often it runs; pause and
//! resume; only the latest missed due time after downtime; a change of the desk's zone), and
//! the real binary killed and started again over a due schedule (`recurring_restart`).

use crate::common::*;
use helpdesk::automation::recurring;
use jiff::Timestamp;
use jiff::tz::TimeZone;
use rocket::http::Status;
use rocket::local::blocking::Client;

const DAY: i64 = 86_400;

/// A valid form: a daily ticket at 08:00 in General, from the admin.
fn fields() -> Vec<(&'static str, String)> {
    [
        ("name", "Backup check"),
        ("subject", "Check last night's backups"),
        ("message", "Read the backup report and note anything odd."),
        ("category", "1"),
        ("priority", "2"),
        ("assignee", ""),
        ("requester_name", "Alice Admin"),
        ("requester_email", ADMIN_EMAIL),
        ("lang", "en"),
        ("repeat", "daily"),
        ("day_of_month", ""),
        ("time", "08:00"),
    ]
    .into_iter()
    .map(|(k, v)| (k, v.to_string()))
    .collect()
}

/// `fields()` with `changes` applied (a field set twice is sent twice: ticked weekdays).
pub fn with(changes: &[(&'static str, &str)]) -> Vec<(&'static str, String)> {
    let mut all = fields();
    for (key, value) in changes {
        if *key != "weekdays" {
            all.retain(|(k, _)| k != key);
        }
        all.push((key, value.to_string()));
    }
    all
}

fn post<'c>(
    client: &'c Client,
    path: &str,
    form: &[(&'static str, String)],
) -> rocket::local::blocking::LocalResponse<'c> {
    let token = csrf(client, "/admin/recurring");
    let mut all: Vec<(&str, &str)> = vec![("csrf_token", &token)];
    all.extend(form.iter().map(|(k, v)| (*k, v.as_str())));
    post_form(client, path, &all)
}

fn admin(app: &TestApp) -> Client {
    let client = app.other_client();
    login(&client, ADMIN_EMAIL, ADMIN_PASSWORD);
    client
}

/// Creates one through the admin form; its id.
fn create(app: &TestApp, client: &Client, form: &[(&'static str, String)]) -> i64 {
    let res = post(client, "/admin/recurring", form);
    assert_eq!(res.status(), Status::SeeOther, "{:?}", res.into_string());
    app.count("SELECT max(id) FROM recurring_tickets")
}

fn next_run(app: &TestApp, id: i64) -> Option<i64> {
    app.db
        .read_blocking(move |c| {
            Ok(c.query_row(
                "SELECT next_run_at FROM recurring_tickets WHERE id = ?1",
                [id],
                |r| r.get(0),
            )?)
        })
        .expect("next run")
}

/// One pass of the job at `now`; the tickets it opened.
fn pass(app: &TestApp, now: i64) -> usize {
    let outcome = recurring::run_due(&app.db, &app.config, now).expect("pass");
    assert!(outcome.failed.is_empty(), "{:?}", outcome.failed);
    outcome.opened.len()
}

fn set_zone(app: &TestApp, zone: &'static str) {
    app.db
        .write_blocking(move |c| {
            helpdesk::settings::set(c, helpdesk::desk_time::store::TIMEZONE_KEY, zone)
        })
        .expect("zone");
}

/// `t` in `zone` as `2026-06-01 08:00`.
fn local(t: i64, zone: &str) -> String {
    let zone = TimeZone::get(zone).unwrap();
    Timestamp::from_second(t)
        .unwrap()
        .to_zoned_datetime(zone)
        .strftime("%Y-%m-%d %H:%M")
        .to_string()
}

#[test]
fn the_form_refuses_bad_input_next_to_each_field_and_saves_nothing() {
    let app = TestApp::new();
    let client = admin(&app);
    let bad = with(&[
        ("name", " "),
        ("subject", ""),
        ("message", "   "),
        ("category", "999"),
        ("priority", "999"),
        ("assignee", "999"),
        ("requester_name", ""),
        ("requester_email", "not an address"),
        ("repeat", "weekly"),
        ("time", "25:00"),
    ]);
    let res = post(&client, "/admin/recurring", &bad);
    assert_eq!(res.status(), Status::UnprocessableEntity);
    let page = res.into_string().unwrap_or_default();
    for message in [
        "Please enter a name (at most 100 characters).",
        "Please enter a subject.",
        "Please write a message.",
        "Choose an active category.",
        "Please choose one of the listed priorities.",
        "Choose an active staff member, or auto-assignment.",
        "Enter who the ticket is from",
        "Please enter a valid email address",
        "Tick at least one weekday for a weekly schedule.",
        "Enter a time of day such as 08:00",
    ] {
        assert!(page.contains(message), "{message}: {page}");
    }
    // What was typed is kept.
    assert!(page.contains("value=\"not an address\""), "{page}");
    let monthly = with(&[("repeat", "monthly"), ("day_of_month", "32")]);
    let res = post(&client, "/admin/recurring", &monthly);
    assert_eq!(res.status(), Status::UnprocessableEntity);
    assert!(
        res.into_string()
            .unwrap_or_default()
            .contains("Enter a day of the month from 1 to 31.")
    );
    let res = post(&client, "/admin/recurring", &with(&[("repeat", "yearly")]));
    assert_eq!(res.status(), Status::UnprocessableEntity);
    // An agent limited to General cannot get Hardware's tickets.
    let agent = app.count(&format!(
        "SELECT id FROM staff WHERE email = '{AGENT_EMAIL}'"
    ));
    app.db
        .write_blocking(move |c| {
            c.execute("UPDATE staff SET all_categories = 0 WHERE id = ?1", [agent])?;
            c.execute(
                "INSERT INTO staff_categories (staff_id, category_id) VALUES (?1, 1)",
                [agent],
            )?;
            Ok(())
        })
        .expect("limit the agent");
    let agent = agent.to_string();
    let hardware = with(&[("category", "2"), ("assignee", &agent)]);
    let res = post(&client, "/admin/recurring", &hardware);
    assert_eq!(res.status(), Status::UnprocessableEntity);
    assert!(
        res.into_string()
            .unwrap_or_default()
            .contains("This agent does not work in that category.")
    );
    // In Spanish, the same refusal in Spanish.
    let token = csrf(&client, "/admin/recurring");
    let mut form: Vec<(&str, &str)> = vec![("csrf_token", &token)];
    let spanish = with(&[("time", "8h")]);
    form.extend(spanish.iter().map(|(k, v)| (*k, v.as_str())));
    let body = form
        .iter()
        .map(|(k, v)| format!("{}={}", urlencode(k), urlencode(v)))
        .collect::<Vec<_>>()
        .join("&");
    let res = client
        .post("/admin/recurring")
        .header(rocket::http::ContentType::Form)
        .header(accept_language("es"))
        .body(body)
        .dispatch();
    assert_eq!(res.status(), Status::UnprocessableEntity);
    let page = res.into_string().unwrap_or_default();
    assert!(
        page.contains("Escriba una hora del día como 08:00"),
        "{page}"
    );
    // Without the form's token: refused before anything is read.
    let res = post_form(&client, "/admin/recurring", &[("name", "x")]);
    assert_eq!(res.status(), Status::Forbidden);
    assert_eq!(app.count("SELECT count(*) FROM recurring_tickets"), 0);

    // A good one for General with that agent is saved; a bad edit changes nothing.
    let id = create(&app, &client, &with(&[("assignee", &agent)]));
    let res = post(
        &client,
        &format!("/admin/recurring/{id}"),
        &with(&[("assignee", &agent), ("category", "2"), ("subject", "")]),
    );
    assert_eq!(res.status(), Status::UnprocessableEntity);
    assert_eq!(
        app.count(
            "SELECT count(*) FROM recurring_tickets WHERE category_id = 1 AND subject LIKE 'Check%'"
        ),
        1
    );
    assert_eq!(
        app.count("SELECT count(*) FROM audit_log WHERE action = 'recurring_create'"),
        1
    );
    assert_eq!(
        app.count("SELECT count(*) FROM audit_log WHERE action = 'recurring_update'"),
        0
    );
}

#[test]
fn a_daily_schedule_opens_one_ticket_per_day_and_never_two_for_one_due_time() {
    let app = TestApp::new();
    set_zone(&app, "Europe/Madrid");
    let client = admin(&app);
    let list = get_ok(&client, "/admin/recurring");
    assert!(list.contains("No recurring tickets yet."), "{list}");
    let id = create(&app, &client, &fields());
    let first = next_run(&app, id).expect("scheduled");
    assert!(local(first, "Europe/Madrid").ends_with(" 08:00"));
    assert!(first > helpdesk::db::now() && first <= helpdesk::db::now() + DAY);
    let list = get_ok(&client, "/admin/recurring");
    assert!(
        list.contains("Backup check") && list.contains("Every day at 08:00"),
        "{list}"
    );
    assert!(list.contains(&local(first, "Europe/Madrid")), "{list}");

    assert_eq!(pass(&app, first - 60), 0, "not due yet");
    assert_eq!(pass(&app, first), 1, "due");
    assert_eq!(pass(&app, first), 0, "the same due time again");
    assert_eq!(pass(&app, first + 30), 0, "the next look");
    let second = next_run(&app, id).expect("next");
    assert!(local(second, "Europe/Madrid").ends_with(" 08:00"));
    assert!(
        (23 * 3600..=25 * 3600).contains(&(second - first)),
        "the next day"
    );
    assert_eq!(pass(&app, second + 5), 1, "the next day");
    assert_eq!(pass(&app, second + 5), 0);
    assert_eq!(app.count("SELECT count(*) FROM tickets"), 2);

    // Each is an ordinary new ticket from the admin, in General, opened by the schedule.
    let ticket = app.count("SELECT max(id) FROM tickets");
    assert_eq!(
        app.count(&format!(
            "SELECT count(*) FROM tickets t JOIN statuses s ON s.id = t.status_id
             WHERE t.id = {ticket} AND t.subject = 'Check last night''s backups'
             AND t.requester_email = '{ADMIN_EMAIL}' AND t.category_id = 1 AND t.priority_id = 2
             AND t.channel = 'recurring' AND s.slug = 'new'"
        )),
        1
    );
    assert_eq!(
        app.count(&format!(
            "SELECT count(*) FROM ticket_events WHERE ticket_id = {ticket}
             AND field = 'created' AND actor_kind = 'system' AND actor_name = 'Backup check'"
        )),
        1
    );
    let page = get_ok(&client, &format!("/staff/tickets/{ticket}"));
    assert!(page.contains("<strong>Backup check</strong>"), "{page}");
    let list = get_ok(&client, "/admin/recurring");
    assert!(
        list.contains(&format!("href=\"/staff/tickets/{ticket}\"")),
        "{list}"
    );
    let spanish = client
        .get("/admin/recurring")
        .header(accept_language("es"))
        .dispatch()
        .into_string()
        .unwrap_or_default();
    assert!(
        spanish.contains("Tickets periódicos") && spanish.contains("Cada día a las 08:00"),
        "{spanish}"
    );
}

#[test]
fn a_weekly_schedule_runs_on_its_weekdays_and_deleting_it_stops_it() {
    let app = TestApp::new();
    let client = admin(&app);
    let form = with(&[
        ("repeat", "weekly"),
        ("weekdays", "mon"),
        ("weekdays", "thu"),
        ("time", "17:30"),
    ]);
    let id = create(&app, &client, &form);
    let edit = get_ok(&client, &format!("/admin/recurring/{id}"));
    assert!(
        edit.contains("value=\"mon\" checked") && edit.contains("value=\"thu\" checked"),
        "{edit}"
    );
    assert!(!edit.contains("value=\"tue\" checked"));
    let list = get_ok(&client, "/admin/recurring");
    assert!(list.contains("Every Mon, Thu at 17:30"), "{list}");
    let mut due = next_run(&app, id).expect("scheduled");
    let mut days = Vec::new();
    for _ in 0..4 {
        assert_eq!(pass(&app, due), 1);
        let weekday = Timestamp::from_second(due)
            .unwrap()
            .to_zoned_datetime(TimeZone::UTC)
            .strftime("%a %H:%M")
            .to_string();
        days.push(weekday);
        due = next_run(&app, id).expect("next");
    }
    days.sort();
    days.dedup();
    assert_eq!(days, ["Mon 17:30", "Thu 17:30"]);
    let token = csrf(&client, &format!("/admin/recurring/{id}"));
    let res = post_form(
        &client,
        &format!("/admin/recurring/{id}/delete"),
        &[("csrf_token", &token)],
    );
    assert_eq!(res.status(), Status::SeeOther);
    assert_eq!(pass(&app, due + 7 * DAY), 0);
    assert_eq!(app.count("SELECT count(*) FROM tickets"), 4, "kept");
    assert_eq!(app.count("SELECT count(*) FROM recurring_tickets"), 0);
}

#[test]
fn a_paused_schedule_opens_nothing_and_resumes_from_now() {
    let app = TestApp::new();
    let client = admin(&app);
    let id = create(&app, &client, &fields());
    let first = next_run(&app, id).expect("scheduled");
    let button = |action: &str| {
        let token = csrf(&client, "/admin/recurring");
        let res = post_form(
            &client,
            &format!("/admin/recurring/{id}/{action}"),
            &[("csrf_token", &token)],
        );
        assert_eq!(res.status(), Status::SeeOther);
    };
    button("pause");
    assert_eq!(next_run(&app, id), None);
    assert!(get_ok(&client, "/admin/recurring").contains("Paused"));
    assert_eq!(
        pass(&app, first + 3 * DAY),
        0,
        "paused over three due times"
    );
    let before = helpdesk::db::now();
    button("resume");
    let resumed = next_run(&app, id).expect("scheduled again");
    // Its first due time after now: none of the ones it was paused over.
    assert!(resumed > before && resumed <= before + DAY, "{resumed}");
    assert!(local(resumed, "UTC").ends_with(" 08:00"));
    assert_eq!(pass(&app, resumed - 1), 0);
    assert_eq!(pass(&app, resumed), 1);
    assert_eq!(app.count("SELECT count(*) FROM tickets"), 1);
    for action in ["recurring_pause", "recurring_resume"] {
        assert_eq!(
            app.count(&format!(
                "SELECT count(*) FROM audit_log WHERE action = '{action}'"
            )),
            1
        );
    }
}

#[test]
fn after_two_days_down_only_the_latest_missed_due_time_opens_a_ticket() {
    let app = TestApp::new();
    let client = admin(&app);
    let agent = app.count(&format!(
        "SELECT id FROM staff WHERE email = '{AGENT_EMAIL}'"
    ));
    let id = create(&app, &client, &with(&[("assignee", &agent.to_string())]));
    let missed = next_run(&app, id).expect("scheduled");
    // Down from before the first due time until an hour after the third.
    let back = missed + 2 * DAY + 3600;
    assert_eq!(pass(&app, back), 1, "one ticket, not three");
    assert_eq!(pass(&app, back), 0);
    assert_eq!(
        app.count(&format!(
            "SELECT last_run_at FROM recurring_tickets WHERE id = {id}"
        )),
        missed + 2 * DAY,
        "served for the latest missed due time"
    );
    assert_eq!(next_run(&app, id), Some(missed + 3 * DAY));
    assert_eq!(
        app.count(&format!(
            "SELECT count(*) FROM tickets WHERE assignee_id = {agent}"
        )),
        1
    );

    // The assignee leaves: the ticket still comes, unassigned, and the list says why.
    app.db
        .write_blocking(move |c| {
            c.execute("UPDATE staff SET active = 0 WHERE id = ?1", [agent])?;
            Ok(())
        })
        .expect("deactivate");
    assert_eq!(pass(&app, missed + 3 * DAY), 1);
    assert_eq!(
        app.count("SELECT count(*) FROM tickets WHERE assignee_id IS NULL"),
        1
    );
    let list = get_ok(&client, "/admin/recurring");
    assert!(
        list.contains("Its assignee can no longer take these tickets"),
        "{list}"
    );
}

#[test]
fn a_new_desk_zone_moves_the_next_run_to_the_local_time_there() {
    let app = TestApp::new();
    let client = admin(&app);
    let id = create(&app, &client, &fields());
    let utc_run = next_run(&app, id).expect("scheduled");
    assert!(local(utc_run, "UTC").ends_with(" 08:00"));
    set_zone(&app, "America/New_York");
    let now = helpdesk::db::now();
    assert_eq!(pass(&app, now), 0);
    let moved = next_run(&app, id).expect("moved");
    assert!(
        local(moved, "America/New_York").ends_with(" 08:00"),
        "{}",
        local(moved, "America/New_York")
    );
    assert!(moved > now && moved <= now + DAY);
}
