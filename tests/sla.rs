//! Service levels through the real pages over a real SQLite file: the policy form and its
//! refusals, due times in business hours across a weekend, a holiday and Madrid's clock change,
//! the clock standing still while the ticket waits on the requester, a priority change, the
//! overdue and due-today views and the due sort (per-category access kept). Times are set in the
//! ticket's stored fields and the clock recomputed from them (`sla::recompute`), never waited for.
//! Escalations, with a real SMTP server and the real binary, are in `sla_escalation`.

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

fn one(app: &TestApp, sql: &str, id: i64) -> Option<i64> {
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

fn admin_client(app: &TestApp) -> Client {
    let admin = app.other_client();
    login(&admin, ADMIN_EMAIL, ADMIN_PASSWORD);
    admin
}

fn ticket_in(app: &TestApp, category: &str, subject: &str) -> i64 {
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

#[test]
fn the_policy_form_shows_each_problem_next_to_its_field_and_saves_nothing() {
    let app = TestApp::new();
    let admin = admin_client(&app);
    let page = get_ok(&admin, "/admin/sla");
    assert!(
        page.contains("href=\"/admin/sla\" aria-current=\"page\""),
        "{page}"
    );
    for name in [
        "name",
        "priority",
        "category",
        "first_response_minutes",
        "resolution_minutes",
        "business_hours",
    ] {
        assert!(page.contains(&format!("name=\"{name}\"")), "{name}");
    }
    let bad = [
        ("name", ""),
        ("priority", "99"),
        ("category", "999"),
        ("first_response_minutes", "0"),
        ("resolution_minutes", "-30"),
        ("business_hours", "on"),
        ("steps[1].action", "email_assignee"),
        ("steps[1].target", "first_response"),
        ("steps[1].percent", "150"),
        ("steps[2].action", "reassign"),
        ("steps[2].target", "resolution"),
        ("steps[2].percent", "100"),
        ("steps[2].staff", ""),
        ("steps[3].action", "make_coffee"),
        ("steps[3].target", "lunch"),
        ("steps[3].percent", "50"),
    ];
    let res = add_policy(&admin, &bad);
    assert_eq!(res.status(), Status::UnprocessableEntity);
    let body = res.into_string().unwrap_or_default();
    for (field, text) in [
        ("name", "Please enter a name"),
        ("priority", "Please choose one of the listed priorities."),
        ("category", "Please choose one of the listed categories"),
        (
            "first_response_minutes",
            "Enter a whole number of minutes greater than 0",
        ),
        (
            "resolution_minutes",
            "Enter a whole number of minutes greater than 0",
        ),
        ("step1_percent", "Enter a percentage from 1 to 100"),
        ("step2_staff", "Choose an active staff member"),
        ("step3_action", "Choose one of the listed actions."),
        ("step3_target", "Choose first response or resolution."),
    ] {
        let shown = format!("id=\"{field}-error\">{text}");
        assert!(body.contains(&shown), "{shown} in {body}");
    }
    assert!(body.contains("value=\"-30\""), "what was typed is kept");
    assert!(body.contains("Please correct the fields marked below."));
    let count = |sql: &str| app.count(sql);
    assert_eq!(count("SELECT count(*) FROM sla_policies"), 0);
    assert_eq!(count("SELECT count(*) FROM sla_escalations"), 0);

    // In Spanish too.
    let token = csrf(&admin, "/admin/sla");
    let mut fields = vec![("csrf_token", token.as_str())];
    fields.extend_from_slice(&bad);
    let res = admin
        .post("/admin/sla")
        .header(rocket::http::ContentType::Form)
        .header(accept_language("es"))
        .body(
            fields
                .iter()
                .map(|(k, v)| format!("{}={}", urlencode(k), urlencode(v)))
                .collect::<Vec<_>>()
                .join("&"),
        )
        .dispatch();
    assert_eq!(res.status(), Status::UnprocessableEntity);
    let body = res.into_string().unwrap_or_default();
    assert!(
        body.contains(
            "id=\"first_response_minutes-error\">Escriba un número entero de minutos mayor que 0"
        ),
        "{body}"
    );
    // Without the CSRF token: refused, nothing saved.
    let res = post_form(
        &admin,
        "/admin/sla",
        &[
            ("name", "x"),
            ("priority", HIGH),
            ("first_response_minutes", "5"),
        ],
    );
    assert_eq!(res.status(), Status::Forbidden);

    // A good one, with two steps.
    let good = [
        ("name", "High, Hardware"),
        ("priority", HIGH),
        ("category", HARDWARE),
        ("first_response_minutes", "30"),
        ("resolution_minutes", "480"),
        ("business_hours", "on"),
        ("steps[1].action", "email_assignee"),
        ("steps[1].target", "first_response"),
        ("steps[1].percent", "75"),
        ("steps[2].action", "email_admins"),
        ("steps[2].target", "resolution"),
        ("steps[2].percent", "100"),
        ("steps[3].action", ""),
        ("steps[3].target", "first_response"),
        ("steps[3].percent", "100"),
    ];
    let res = add_policy(&admin, &good);
    assert_eq!(res.status(), Status::SeeOther);
    assert_eq!(location(&res), "/admin/sla");
    let list = get_ok(&admin, "/admin/sla");
    assert!(list.contains("Policy created."), "{list}");
    assert!(list.contains("High, Hardware") && list.contains("30 min") && list.contains("8 h"));
    let id = app.count("SELECT id FROM sla_policies");
    assert_eq!(count("SELECT count(*) FROM sla_escalations"), 2);
    // The same priority and category again: refused next to the category.
    let res = add_policy(&admin, &good);
    assert_eq!(res.status(), Status::UnprocessableEntity);
    let body = res.into_string().unwrap_or_default();
    assert!(body.contains(
        "id=\"category-error\">There is already a policy for this priority and category."
    ));
    assert_eq!(count("SELECT count(*) FROM sla_policies"), 1);

    // Edited: a step saved as it was keeps its id (and what it fired on), a changed one is new.
    let step_ids = || {
        app.db
            .read_blocking(|c| {
                let mut stmt = c.prepare("SELECT slot, id FROM sla_escalations ORDER BY slot")?;
                let rows = stmt
                    .query_map([], |r| Ok((r.get::<_, i64>(0)?, r.get::<_, i64>(1)?)))?
                    .collect::<rusqlite::Result<Vec<_>>>()?;
                Ok(rows)
            })
            .unwrap()
    };
    let before = step_ids();
    let edit = format!("/admin/sla/{id}");
    let page = get_ok(&admin, &edit);
    assert!(page.contains("name=\"steps[1].percent\" type=\"number\" min=\"1\" max=\"100\" step=\"1\" value=\"75\""), "{page}");
    let token = csrf_in(&page);
    let mut changed: Vec<(&str, &str)> = vec![("csrf_token", token.as_str())];
    changed.extend(good.iter().map(|(k, v)| match *k {
        "resolution_minutes" => (*k, "600"),
        "steps[2].percent" => (*k, "90"),
        _ => (*k, *v),
    }));
    let res = post_form(&admin, &edit, &changed);
    assert_eq!(res.status(), Status::SeeOther);
    let after = step_ids();
    assert_eq!(after[0], before[0], "the unchanged step is kept");
    assert_ne!(after[1].1, before[1].1, "the changed step is a new one");
    assert_eq!(count("SELECT resolution_minutes FROM sla_policies"), 600);
    // A bad edit changes nothing.
    let mut broken = changed.clone();
    broken.retain(|(k, _)| *k != "first_response_minutes");
    broken.push(("first_response_minutes", "-1"));
    let res = post_form(&admin, &edit, &broken);
    assert_eq!(res.status(), Status::UnprocessableEntity);
    assert!(
        res.into_string()
            .unwrap_or_default()
            .contains("id=\"first_response_minutes-error\"")
    );
    assert_eq!(count("SELECT first_response_minutes FROM sla_policies"), 30);
    assert_eq!(step_ids(), after);

    let token = csrf(&admin, &edit);
    let res = post_form(&admin, &format!("{edit}/delete"), &[("csrf_token", &token)]);
    assert_eq!(res.status(), Status::SeeOther);
    assert_eq!(count("SELECT count(*) FROM sla_policies"), 0);
    assert_eq!(count("SELECT count(*) FROM sla_escalations"), 0);
    assert_eq!(
        admin.get(edit.as_str()).dispatch().status(),
        Status::NotFound
    );
    for action in [
        "sla_policy_create",
        "sla_policy_update",
        "sla_policy_delete",
    ] {
        let sql = format!("SELECT count(*) FROM audit_log WHERE action = '{action}'");
        assert_eq!(count(&sql), 1, "{action}");
    }
    // Agents may not.
    let agent = app.other_client();
    login(&agent, AGENT_EMAIL, AGENT_PASSWORD);
    assert_eq!(
        agent.get("/admin/sla").dispatch().status(),
        Status::Forbidden
    );
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

/// The tracking IDs of the list page at `path`, in order.
fn listed(client: &Client, path: &str) -> Vec<String> {
    let page = get_ok(client, path);
    page.split("class=\"mono\"><a href=\"/staff/tickets/")
        .skip(1)
        .filter_map(|rest| rest.split('>').nth(1))
        .map(|s| s.split('<').next().unwrap_or("").to_string())
        .collect()
}

#[test]
fn overdue_and_due_today_views_and_the_due_sort_keep_to_the_viewers_categories() {
    let app = TestApp::new();
    let admin = admin_client(&app);
    // A week to respond, in calendar time: every due time below is set through the creation.
    let week = 7 * 24 * 60;
    simple_policy(&admin, "Medium, a week", MEDIUM, &week.to_string(), "20160");
    let agent_id = app.count("SELECT id FROM staff WHERE email = 'agent@example.com'");
    let path = format!("/admin/staff/{agent_id}");
    let token = csrf(&admin, &path);
    let res = post_form(
        &admin,
        &path,
        &[
            ("csrf_token", &token),
            ("name", "Gus Agent"),
            ("role", "agent"),
            ("active", "on"),
            ("categories", HARDWARE),
        ],
    );
    assert_eq!(
        res.status(),
        Status::SeeOther,
        "the agent works Hardware only"
    );

    let now = helpdesk::db::now();
    let day_end = helpdesk::desk_time::day_end(now, &jiff::tz::TimeZone::UTC);
    let due_at = |id: i64, due: i64| backdate(&app, id, due - week * 60, now);
    let overdue = ticket_in(&app, HARDWARE, "Overdue printer");
    due_at(overdue, now - 3600);
    let today = ticket_in(&app, HARDWARE, "Due today scanner");
    due_at(today, now + (day_end - now) / 2);
    let later = ticket_in(&app, HARDWARE, "Later laptop");
    due_at(later, now + 3 * 86_400 + 1800);
    let elsewhere = ticket_in(&app, ACCOUNTS, "Overdue password reset");
    due_at(elsewhere, now - 7200);
    // No policy for Low: no deadline.
    let none = ticket_in(&app, HARDWARE, "No deadline mouse");
    app.db
        .write_blocking(move |c| {
            c.execute("UPDATE tickets SET priority_id = 1 WHERE id = ?1", [none])?;
            helpdesk::sla::recompute(c, none, now)
        })
        .unwrap();
    let tid = |id: i64| {
        app.db
            .read_blocking(move |c| {
                Ok(
                    c.query_row("SELECT tracking_id FROM tickets WHERE id = ?1", [id], |r| {
                        r.get::<_, String>(0)
                    })?,
                )
            })
            .unwrap()
    };
    let (o, t, l, e, n) = (
        tid(overdue),
        tid(today),
        tid(later),
        tid(elsewhere),
        tid(none),
    );

    // The admin sees every category; the oldest breach first.
    assert_eq!(
        listed(&admin, "/staff/tickets?view=overdue"),
        vec![e.clone(), o.clone()]
    );
    let page = get_ok(&admin, "/staff/tickets?view=overdue");
    assert!(page.contains("aria-current=\"page\">Overdue"), "{page}");
    assert!(page.contains("class=\"due due-breached\""), "{page}");
    assert!(
        page.contains("breached by 1 h") && page.contains("breached by 2 h"),
        "{page}"
    );

    let agent = app.other_client();
    login(&agent, AGENT_EMAIL, AGENT_PASSWORD);
    assert_eq!(
        listed(&agent, "/staff/tickets?view=overdue"),
        vec![o.clone()]
    );
    assert_eq!(
        listed(&agent, "/staff/tickets?view=due_today"),
        vec![t.clone()]
    );
    // Sorted by due time: soonest first, the ticket without a deadline last.
    assert_eq!(
        listed(&agent, "/staff/tickets?view=all&sort=due"),
        vec![o.clone(), t.clone(), l.clone(), n.clone()]
    );
    assert_eq!(
        listed(&agent, "/staff/tickets?view=all&sort=due&dir=desc"),
        vec![l.clone(), t.clone(), o.clone(), n.clone()]
    );
    let page = get_ok(&agent, "/staff/tickets?view=all&sort=due");
    // Less than a quarter of the week left today; three days left of seven is fine.
    assert!(page.contains("class=\"due due-soon\""), "{page}");
    assert!(
        page.contains("class=\"due due-fine\"") && page.contains("due in 3 d"),
        "{page}"
    );
    assert!(
        page.contains("<option value=\"due\" selected>Due time</option>"),
        "{page}"
    );
    let es = agent
        .get("/staff/tickets?view=overdue")
        .header(accept_language("es"))
        .dispatch()
        .into_string()
        .unwrap_or_default();
    assert!(
        es.contains("Vencidos") && es.contains("Vencen hoy") && es.contains("vencido hace 1 h")
    );
    assert!(!es.contains(&e), "another category's ticket never shows");
}

#[test]
fn the_due_sort_pages_through_the_tickets_with_a_deadline_then_those_without() {
    let app = TestApp::new();
    let admin = admin_client(&app);
    simple_policy(&admin, "Medium", MEDIUM, "600", "6000");
    // Software is Low by default: no policy, no deadline.
    let software = "5";
    let mut without = Vec::new();
    for n in 0..27 {
        without.push(ticket_in(&app, software, &format!("Licence {n}")));
    }
    let now = helpdesk::db::now();
    let mut with = Vec::new();
    for n in 0..3 {
        let id = ticket_in(&app, HARDWARE, &format!("Broken screen {n}"));
        backdate(&app, id, now - 3600 * (n + 1), now);
        with.push(id);
    }
    let ids = |page: u32| -> Vec<i64> {
        listed(
            &admin,
            &format!("/staff/tickets?view=all&sort=due&page={page}"),
        )
        .iter()
        .map(|tid| ticket_id(&app, tid))
        .collect()
    };
    let (first, second) = (ids(1), ids(2));
    assert_eq!(first.len(), 25);
    // The most overdue first, then the rest newest first.
    assert_eq!(&first[..3], &[with[2], with[1], with[0]]);
    let mut rest: Vec<i64> = first[3..].iter().chain(&second).copied().collect();
    assert_eq!(rest.len(), 27, "{first:?} {second:?}");
    assert_eq!(rest[0], *without.last().unwrap(), "newest first");
    rest.sort_unstable();
    assert_eq!(rest, without, "each once, across the pages");
    assert!(ids(3).is_empty());
}
