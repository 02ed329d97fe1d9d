//! The desk's time: its zone, business hours and holidays on Admin > Settings, a staff member's
//! own zone in Preferences, and every time shown in the viewer's zone (requesters: the desk's),
//! with relative times in the viewer's language.

use crate::common::*;
use rocket::http::Status;
use rocket::local::blocking::Client;

/// 2026-07-01T10:00:00Z: 12:00 in Madrid (CEST), 06:00 in New York (EDT).
const JULY_FIRST_10Z: i64 = 1_782_900_000;

fn sql(app: &TestApp, statement: &str) {
    let statement = statement.to_string();
    app.db
        .write_blocking(move |c| Ok(c.execute_batch(&statement)?))
        .expect("test SQL");
}

fn query_text(app: &TestApp, statement: &str) -> String {
    let statement = statement.to_string();
    app.db
        .read_blocking(move |c| Ok(c.query_row(&statement, [], |r| r.get(0))?))
        .expect("test query")
}

/// The admin saves the settings form as it is, with `timezone` as given.
fn save_settings<'c>(
    client: &'c Client,
    timezone: &str,
    desk_name: &str,
) -> rocket::local::blocking::LocalResponse<'c> {
    let token = csrf(client, "/admin/settings");
    post_form(
        client,
        "/admin/settings",
        &[
            ("csrf_token", &token),
            ("desk_name", desk_name),
            ("max_attachment_mb", "10"),
            ("allowed_extensions", "pdf, png, txt"),
            ("timezone", timezone),
        ],
    )
}

/// A desk in Madrid with one ticket whose times are all 2026-07-01T10:00Z. Returns the app
/// (the admin logged in on its client), the tracking ID and the ticket's id.
fn madrid_desk_with_a_july_ticket() -> (TestApp, String, i64) {
    let app = TestApp::new();
    login(&app.client, ADMIN_EMAIL, ADMIN_PASSWORD);
    let saved = save_settings(&app.client, "Europe/Madrid", "Helpdesk").status();
    assert_eq!(saved, Status::SeeOther);
    let requester = app.other_client();
    let tid = submit_ticket(&requester, &TicketInput::default(), &[]);
    let id = ticket_id(&app, &tid);
    // The ticket was written through the portal; only its times are moved, here in the test.
    sql(
        &app,
        &format!(
            "UPDATE tickets SET created_at = {JULY_FIRST_10Z}, updated_at = {JULY_FIRST_10Z} WHERE id = {id};
             UPDATE messages SET created_at = {JULY_FIRST_10Z} WHERE ticket_id = {id};"
        ),
    );
    (app, tid, id)
}

/// The value of the input named `name` on `page`, as the browser reads it (Tera writes `/` as
/// `&#x2F;`).
fn input_value(page: &str, name: &str) -> String {
    let at = page.find(&format!("name=\"{name}\"")).expect("the input");
    let rest = &page[at..];
    let start = rest.find("value=\"").expect("its value") + 7;
    let end = rest[start..].find('"').expect("closing quote") + start;
    rest[start..end].replace("&#x2F;", "/")
}

fn set_own_zone(client: &Client, zone: &str) -> Status {
    let token = csrf(client, "/staff/preferences");
    post_form(
        client,
        "/staff/preferences",
        &[
            ("csrf_token", &token),
            ("lang", "en"),
            ("new_ticket", "true"),
            ("timezone", zone),
        ],
    )
    .status()
}

#[test]
fn the_desks_zone_shows_on_the_ticket_pages_and_a_staff_members_own_zone_wins() {
    let (app, tid, id) = madrid_desk_with_a_july_ticket();
    let settings = get_ok(&app.client, "/admin/settings");
    assert_eq!(
        input_value(&settings, "timezone"),
        "Europe/Madrid",
        "the zone is kept"
    );

    // The admin has no zone of their own: the desk's.
    let page = get_ok(&app.client, &format!("/staff/tickets/{id}"));
    assert!(page.contains("2026-07-01 12:00 CEST"), "{page}");
    assert!(!page.contains("10:00 UTC"));
    assert!(page.contains("datetime=\"2026-07-01T10:00:00Z\""));

    // An agent in New York sees 06:00.
    let agent = app.other_client();
    login(&agent, AGENT_EMAIL, AGENT_PASSWORD);
    assert_eq!(set_own_zone(&agent, "America/New_York"), Status::SeeOther);
    let prefs = get_ok(&agent, "/staff/preferences");
    assert_eq!(input_value(&prefs, "timezone"), "America/New_York");
    let page = get_ok(&agent, &format!("/staff/tickets/{id}"));
    assert!(page.contains("2026-07-01 06:00 EDT"), "{page}");
    assert!(!page.contains("12:00 CEST"));
    let list = get_ok(&agent, "/staff/tickets?view=all");
    assert!(list.contains("title=\"2026-07-01 06:00 EDT\""), "{list}");

    // Emptied, their zone is the desk's again.
    assert_eq!(set_own_zone(&agent, ""), Status::SeeOther);
    let page = get_ok(&agent, &format!("/staff/tickets/{id}"));
    assert!(page.contains("2026-07-01 12:00 CEST"));

    // The requester sees the desk's zone, whatever any agent chose.
    assert_eq!(set_own_zone(&agent, "America/New_York"), Status::SeeOther);
    let requester = app.other_client();
    let token = query_text(
        &app,
        &format!("SELECT access_token FROM tickets WHERE id = {id}"),
    );
    let page = get_ok(&requester, &format!("/tickets/{tid}?token={token}"));
    assert!(page.contains("2026-07-01 12:00 CEST"), "{page}");
    assert!(!page.contains("EDT"));
}

#[test]
fn an_unknown_zone_is_refused_next_to_its_field_and_nothing_is_saved() {
    let app = TestApp::new();
    login(&app.client, ADMIN_EMAIL, ADMIN_PASSWORD);
    let res = save_settings(&app.client, "Europe/Atlantis", "Renamed desk");
    assert_eq!(res.status(), Status::UnprocessableEntity);
    let body = res.into_string().unwrap_or_default();
    assert!(body.contains("id=\"timezone-error\""), "{body}");
    assert!(body.contains("Unknown time zone"));
    assert_eq!(
        input_value(&body, "timezone"),
        "Europe/Atlantis",
        "what was typed is kept"
    );
    assert_eq!(
        app.count("SELECT count(*) FROM settings WHERE key IN ('timezone', 'desk_name')"),
        0
    );
    assert!(!get_ok(&app.client, "/").contains("Renamed desk"));
    // Empty is no zone either.
    assert_eq!(
        save_settings(&app.client, " ", "Renamed desk").status(),
        Status::UnprocessableEntity
    );
    // The canonical spelling is stored.
    assert_eq!(
        save_settings(&app.client, "europe/madrid", "Renamed desk").status(),
        Status::SeeOther
    );
    assert_eq!(
        query_text(&app, "SELECT value FROM settings WHERE key = 'timezone'"),
        "Europe/Madrid"
    );

    // A staff member's own zone is checked the same way.
    let res = {
        let token = csrf(&app.client, "/staff/preferences");
        post_form(
            &app.client,
            "/staff/preferences",
            &[
                ("csrf_token", &token),
                ("lang", "es"),
                ("timezone", "Nowhere/Else"),
            ],
        )
    };
    assert_eq!(res.status(), Status::UnprocessableEntity);
    let body = res.into_string().unwrap_or_default();
    assert!(body.contains("id=\"timezone-error\""), "{body}");
    assert_eq!(
        app.count("SELECT count(*) FROM staff WHERE timezone <> '' OR lang = 'es'"),
        0,
        "nothing of the refused form is saved"
    );
}

fn hours_form(token: &str, days: &[(&str, &str, &str, &str, &str)]) -> Vec<(String, String)> {
    let mut fields = vec![("csrf_token".to_string(), token.to_string())];
    for (day, start, end, start2, end2) in days {
        fields.push((format!("days[{day}].open"), "true".into()));
        for (name, value) in [
            ("start", start),
            ("end", end),
            ("start2", start2),
            ("end2", end2),
        ] {
            fields.push((format!("days[{day}].{name}"), value.to_string()));
        }
    }
    fields
}

fn post_hours<'c>(
    client: &'c Client,
    fields: &[(String, String)],
) -> rocket::local::blocking::LocalResponse<'c> {
    let fields: Vec<(&str, &str)> = fields
        .iter()
        .map(|(k, v)| (k.as_str(), v.as_str()))
        .collect();
    post_form(client, "/admin/settings/hours", &fields)
}

fn stored_hours(app: &TestApp) -> String {
    query_text(
        app,
        "SELECT coalesce(group_concat(weekday || ':' || start_min || '-' || end_min, ' '), '')
         FROM (SELECT * FROM business_hours ORDER BY weekday, start_min)",
    )
}

#[test]
fn business_hours_are_saved_whole_or_refused_with_an_error_next_to_the_day() {
    let app = TestApp::new();
    login(&app.client, ADMIN_EMAIL, ADMIN_PASSWORD);
    let defaults = "1:540-1020 2:540-1020 3:540-1020 4:540-1020 5:540-1020";
    assert_eq!(
        stored_hours(&app),
        defaults,
        "Monday to Friday, 09:00-17:00"
    );
    let page = get_ok(&app.client, "/admin/settings");
    assert!(
        page.contains("name=\"days[mon].start\" value=\"09:00\""),
        "{page}"
    );

    // Monday's openings overlap, Tuesday ends before it starts: both refused, nothing saved.
    let token = csrf(&app.client, "/admin/settings");
    let res = post_hours(
        &app.client,
        &hours_form(
            &token,
            &[
                ("mon", "09:00", "14:00", "13:00", "18:00"),
                ("tue", "17:00", "09:00", "", ""),
                ("wed", "10:00", "12:00", "", ""),
            ],
        ),
    );
    assert_eq!(res.status(), Status::UnprocessableEntity);
    let body = res.into_string().unwrap_or_default();
    assert!(
        body.contains("id=\"hours_mon-error\">The two openings overlap."),
        "{body}"
    );
    assert!(body.contains("id=\"hours_tue-error\">The end must be after the start."));
    assert!(!body.contains("hours_wed-error"));
    assert!(
        body.contains("name=\"days[mon].start2\" value=\"13:00\""),
        "what was typed is kept"
    );
    assert_eq!(stored_hours(&app), defaults, "nothing saved");

    // Every day closed is refused too.
    let res = post_hours(&app.client, &hours_form(&token, &[]));
    assert_eq!(res.status(), Status::UnprocessableEntity);
    assert!(
        res.into_string()
            .unwrap_or_default()
            .contains("open on at least one day")
    );
    assert_eq!(stored_hours(&app), defaults);

    // A split shift on Monday, Saturday mornings, open until midnight on Friday.
    let res = post_hours(
        &app.client,
        &hours_form(
            &token,
            &[
                ("mon", "15:00", "18:00", "08:00", "14:00"),
                ("fri", "08:00", "00:00", "", ""),
                ("sat", "10:00", "13:00", "", ""),
            ],
        ),
    );
    assert_eq!(res.status(), Status::SeeOther);
    assert_eq!(
        stored_hours(&app),
        "1:480-840 1:900-1080 5:480-1440 6:600-780"
    );
    let page = get_ok(&app.client, "/admin/settings");
    assert!(page.contains("name=\"days[mon].start2\" value=\"15:00\""));
    assert!(page.contains("name=\"days[fri].end\" value=\"00:00\""));
    assert_eq!(
        app.count("SELECT count(*) FROM audit_log WHERE action = 'business_hours_update'"),
        1
    );
}

#[test]
fn holidays_are_added_and_removed_and_bad_dates_refused() {
    let app = TestApp::new();
    login(&app.client, ADMIN_EMAIL, ADMIN_PASSWORD);
    let token = csrf(&app.client, "/admin/settings");
    let add = |date: &str, name: &str| {
        post_form(
            &app.client,
            "/admin/settings/holidays",
            &[
                ("csrf_token", &token),
                ("holiday_date", date),
                ("holiday_name", name),
            ],
        )
    };
    let res = add("2026-02-30", "Nonsense day");
    assert_eq!(res.status(), Status::UnprocessableEntity);
    let body = res.into_string().unwrap_or_default();
    assert!(
        body.contains("id=\"holiday_date-error\">Enter a real date"),
        "{body}"
    );
    assert!(body.contains("value=\"Nonsense day\""));
    assert_eq!(add("2026-12-25", "").status(), Status::UnprocessableEntity);
    assert_eq!(app.count("SELECT count(*) FROM holidays"), 0);

    assert_eq!(add("2026-12-25", "Navidad").status(), Status::SeeOther);
    let page = get_ok(&app.client, "/admin/settings");
    assert!(page.contains("2026-12-25") && page.contains("Navidad"));
    let res = add("2026-12-25", "Again");
    assert_eq!(res.status(), Status::UnprocessableEntity);
    assert!(
        res.into_string()
            .unwrap_or_default()
            .contains("a holiday already")
    );
    assert_eq!(query_text(&app, "SELECT name FROM holidays"), "Navidad");

    let res = post_form(
        &app.client,
        "/admin/settings/holidays/remove",
        &[("csrf_token", &token), ("day", "2026-12-25")],
    );
    assert_eq!(res.status(), Status::SeeOther);
    assert_eq!(app.count("SELECT count(*) FROM holidays"), 0);
    // Without the CSRF token nothing changes.
    let res = post_form(
        &app.client,
        "/admin/settings/holidays",
        &[("holiday_date", "2026-01-01"), ("holiday_name", "New Year")],
    );
    assert_eq!(res.status(), Status::Forbidden);
    assert_eq!(app.count("SELECT count(*) FROM holidays"), 0);
}

#[test]
fn relative_times_speak_the_viewers_language() {
    let (app, _tid, id) = madrid_desk_with_a_july_ticket();
    // Last changed 2 hours and 5 minutes ago, by the clock of this run.
    sql(
        &app,
        &format!(
            "UPDATE tickets SET updated_at = unixepoch() - 7500 WHERE id = {id};
             UPDATE messages SET created_at = unixepoch() - 7500 WHERE ticket_id = {id};"
        ),
    );
    let english = get_ok(&app.client, "/staff/tickets?view=all");
    assert!(english.contains(">2 hours ago</time>"), "{english}");
    let page = get_ok(&app.client, &format!("/staff/tickets/{id}"));
    assert!(page.contains(">2 hours ago</time>"), "{page}");

    let agent = app.other_client();
    login(&agent, AGENT_EMAIL, AGENT_PASSWORD);
    let spanish = agent
        .get("/staff/tickets?view=all")
        .header(accept_language("es"))
        .dispatch()
        .into_string()
        .unwrap_or_default();
    assert!(spanish.contains(">hace 2 horas</time>"), "{spanish}");
    let page = agent
        .get(format!("/staff/tickets/{id}"))
        .header(accept_language("es"))
        .dispatch()
        .into_string()
        .unwrap_or_default();
    assert!(page.contains(">hace 2 horas</time>"), "{page}");
}

#[test]
fn mail_shows_the_readers_zone() {
    let dead_port = crate::common::server::free_port();
    let app = TestApp::with_config(|c| c.smtp_url = format!("smtp://127.0.0.1:{dead_port}"));
    login(&app.client, ADMIN_EMAIL, ADMIN_PASSWORD);
    assert_eq!(
        save_settings(&app.client, "Europe/Madrid", "Helpdesk").status(),
        Status::SeeOther
    );
    let agent = app.other_client();
    login(&agent, AGENT_EMAIL, AGENT_PASSWORD);
    assert_eq!(set_own_zone(&agent, "America/New_York"), Status::SeeOther);
    let tid = submit_ticket(&app.other_client(), &TicketInput::default(), &[]);
    let created: i64 = query_text(
        &app,
        &format!("SELECT CAST(created_at AS TEXT) FROM tickets WHERE tracking_id = '{tid}'"),
    )
    .parse()
    .unwrap();
    let local = |zone: &str| {
        jiff::Timestamp::from_second(created)
            .unwrap()
            .to_zoned_datetime(jiff::tz::TimeZone::get(zone).unwrap())
            .strftime("%Y-%m-%d %H:%M %Z")
            .to_string()
    };
    let body = |to: &str| {
        query_text(
            &app,
            &format!("SELECT body_text FROM outbox WHERE to_addr = '{to}'"),
        )
    };
    assert!(
        body("ana@office.example").contains(&local("Europe/Madrid")),
        "the requester: the desk's zone"
    );
    assert!(
        body(AGENT_EMAIL).contains(&local("America/New_York")),
        "{}",
        body(AGENT_EMAIL)
    );
    assert!(
        body(ADMIN_EMAIL).contains(&local("Europe/Madrid")),
        "staff without a zone: the desk's"
    );
}

/// Every time a template shows goes through the viewer's zone (`datetime(tz=tz)`) and every
/// relative one through the request's now (`ago(now=now)`): a template that forgot would not
/// render, and this finds it before a page does.
#[test]
fn every_template_passes_the_zone_and_now() {
    let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/templates");
    let mut stack = vec![std::path::PathBuf::from(dir)];
    let mut found = Vec::new();
    let mut uses = 0;
    while let Some(path) = stack.pop() {
        if path.is_dir() {
            stack.extend(std::fs::read_dir(&path).unwrap().map(|e| e.unwrap().path()));
            continue;
        }
        let text = std::fs::read_to_string(&path).unwrap();
        for (filter, arg) in [("datetime", "(tz="), ("ago", "(now="), ("due", "(now=")] {
            for (at, _) in text.match_indices(&format!("| {filter}")) {
                uses += 1;
                let rest = &text[at + filter.len() + 2..];
                if !rest.starts_with(arg) {
                    found.push(format!(
                        "{}: | {filter}{}",
                        path.display(),
                        &rest[..rest.len().min(20)]
                    ));
                }
            }
        }
    }
    assert!(uses > 20, "only {uses} uses found");
    assert!(found.is_empty(), "{}", found.join("\n"));
}
