//! The agent home (`/staff`): every number is the total of the list it links to (followed
//! here), in the viewer's categories; the last 7 days' created and resolved; the deadlines only
//! while service levels exist; the page complete in Spanish.

use crate::common::*;
use crate::sla::{ACCOUNTS, HARDWARE, MEDIUM, admin_client, backdate, simple_policy, ticket_in};
use rocket::http::Status;
use rocket::local::blocking::Client;

const DAY: i64 = 86_400;

/// Every number on the home page with the list address it links to, in page order.
fn numbers(page: &str) -> Vec<(String, i64)> {
    page.split("href=\"/staff/tickets?")
        .skip(1)
        .map(|rest| {
            let (link, after) = rest.split_once('"').expect("link ends");
            let after = after.trim_start_matches('>');
            let after = after
                .strip_prefix("<span class=\"tile-count\">")
                .unwrap_or(after);
            let after = after.strip_prefix("<strong>").unwrap_or(after);
            let digits: String = after.chars().take_while(char::is_ascii_digit).collect();
            let count = digits
                .parse()
                .unwrap_or_else(|_| panic!("a number after the link {link}: {after:.80}"));
            (link.replace("&amp;", "&"), count)
        })
        .collect()
}

/// The number the tile `key` shows.
fn tile(page: &str, key: &str) -> Option<i64> {
    let marker = format!("class=\"tile tile-{key}");
    let rest = &page[page.find(&marker)?..];
    let start = rest.find("<span class=\"tile-count\">")? + "<span class=\"tile-count\">".len();
    rest[start..]
        .chars()
        .take_while(char::is_ascii_digit)
        .collect::<String>()
        .parse()
        .ok()
}

/// The total the list page at `query` states ("N tickets"), 0 for "no tickets".
fn list_total(client: &Client, query: &str) -> i64 {
    let page = get_ok(client, &format!("/staff/tickets?{query}"));
    let rest = page
        .split("<p class=\"muted count\">")
        .nth(1)
        .unwrap_or_else(|| panic!("the count of {query}"));
    assert!(!rest.starts_with("More than"), "{query}: capped");
    rest.chars()
        .take_while(char::is_ascii_digit)
        .collect::<String>()
        .parse()
        .unwrap_or_else(|_| panic!("{query}: {rest:.60}"))
}

/// Each number of `client`'s home equals its list's total; the home page.
fn home_matches_its_lists(client: &Client) -> String {
    let page = get_ok(client, "/staff");
    let all = numbers(&page);
    assert!(all.len() >= 3 + 7 * 2 + 2, "{all:?}");
    for (link, count) in &all {
        assert_eq!(list_total(client, link), *count, "/staff/tickets?{link}");
    }
    page
}

fn set(app: &TestApp, admin: &Client, id: i64, field: &str, value: &str) {
    let token = csrf(admin, &format!("/staff/tickets/{id}"));
    let res = post_form(
        admin,
        &format!("/staff/tickets/{id}/update"),
        &[("csrf_token", &token), (field, value)],
    );
    assert_eq!(res.status(), Status::SeeOther, "{field}={value} on {id}");
    let _ = app;
}

fn status(app: &TestApp, slug: &str) -> String {
    app.count(&format!("SELECT id FROM statuses WHERE slug = '{slug}'"))
        .to_string()
}

/// Moves ticket `id`'s creation and resolutions `days` days back.
fn days_ago(app: &TestApp, id: i64, days: i64) {
    let shift = days * DAY;
    app.db
        .write_blocking(move |c| {
            c.execute(
                "UPDATE tickets SET created_at = created_at - ?2 WHERE id = ?1",
                [id, shift],
            )?;
            c.execute(
                "UPDATE ticket_resolutions SET resolved_at = resolved_at - ?2 WHERE ticket_id = ?1",
                [id, shift],
            )?;
            Ok(())
        })
        .expect("backdate");
}

/// The last row of the week's table: today's created and resolved.
fn today(page: &str) -> (i64, i64) {
    let all = numbers(page);
    // Tiles, the two totals above the chart, 7 days of two numbers, the two totals below.
    let n = all.len();
    (all[n - 4].1, all[n - 3].1)
}

fn yesterday(page: &str) -> (i64, i64) {
    let all = numbers(page);
    let n = all.len();
    (all[n - 6].1, all[n - 5].1)
}

#[test]
fn every_number_is_the_total_of_the_list_it_links_to() {
    let app = TestApp::new();
    let admin = admin_client(&app);
    let agent = app.other_client();
    login(&agent, AGENT_EMAIL, AGENT_PASSWORD);
    let gus = app.count("SELECT id FROM staff WHERE email = 'agent@example.com'");

    // Nothing yet: zeros, each still linking to its (empty) list; no deadlines without SLA.
    let page = home_matches_its_lists(&agent);
    assert_eq!(tile(&page, "mine"), Some(0));
    assert_eq!(
        tile(&page, "overdue"),
        None,
        "no service levels, no deadlines"
    );

    let mine1 = ticket_in(&app, HARDWARE, "Printer jam");
    let mine2 = ticket_in(&app, ACCOUNTS, "Locked out");
    for id in [mine1, mine2] {
        set(&app, &admin, id, "assignee", &gus.to_string());
    }
    let unassigned = ticket_in(&app, HARDWARE, "Scanner");
    let waiting = ticket_in(&app, ACCOUNTS, "Password reset");
    set(&app, &admin, waiting, "status", &status(&app, "waiting"));
    let resolved_today = ticket_in(&app, HARDWARE, "Mouse");
    set(
        &app,
        &admin,
        resolved_today,
        "status",
        &status(&app, "resolved"),
    );
    let resolved_yesterday = ticket_in(&app, ACCOUNTS, "VPN");
    set(
        &app,
        &admin,
        resolved_yesterday,
        "status",
        &status(&app, "resolved"),
    );
    days_ago(&app, resolved_yesterday, 1);
    // Resolved today, reopened, resolved again: once on the day, once in the week.
    let twice = ticket_in(&app, HARDWARE, "Monitor");
    set(&app, &admin, twice, "status", &status(&app, "resolved"));
    set(&app, &admin, twice, "status", &status(&app, "in_progress"));
    set(&app, &admin, twice, "status", &status(&app, "resolved"));
    assert_eq!(
        app.count(&format!(
            "SELECT COUNT(*) FROM ticket_resolutions WHERE ticket_id = {twice}"
        )),
        2
    );

    let page = home_matches_its_lists(&agent);
    assert_eq!(tile(&page, "mine"), Some(2));
    assert_eq!(tile(&page, "unassigned"), Some(2), "{page}");
    assert_eq!(tile(&page, "waiting"), Some(1));
    assert_eq!(today(&page), (6, 2), "created and resolved today");
    assert_eq!(yesterday(&page), (1, 1), "created and resolved yesterday");
    assert!(
        page.contains("<strong>7</strong> created") && page.contains("<strong>3</strong> resolved"),
        "{page}"
    );
    // The admin's own tickets: none.
    let admin_home = home_matches_its_lists(&admin);
    assert_eq!(tile(&admin_home, "mine"), Some(0));

    // With service levels: overdue and due today, in the viewer's day.
    let week = 7 * 24 * 60;
    simple_policy(&admin, "Medium, a week", MEDIUM, &week.to_string(), "20160");
    let now = helpdesk::db::now();
    let day_end = helpdesk::desk_time::day_end(now, &jiff::tz::TimeZone::UTC);
    backdate(&app, mine1, now - 3600 - week * 60, now);
    backdate(&app, unassigned, now + (day_end - now) / 2 - week * 60, now);
    let page = home_matches_its_lists(&agent);
    assert_eq!(tile(&page, "overdue"), Some(1), "{page}");
    assert_eq!(tile(&page, "due_today"), Some(1), "{page}");

    // The chart: drawn without script, titled, with the same numbers in a table.
    assert!(page.contains("<svg class=\"week-chart\""), "{page}");
    assert!(page.contains("<title id=\"week-chart-title\">"));
    assert!(page.contains("<caption>Created and resolved per day</caption>"));
    assert!(page.contains("aria-current=\"page\">Home</a>"), "{page}");

    // A list of days says so, keeps them in its form, and a bad date is no filter, not an error.
    let day = helpdesk::desk_time::local_date(now, &jiff::tz::TimeZone::UTC);
    let list = get_ok(
        &agent,
        &format!("/staff/tickets?view=all&resolved_from={day}&resolved_to={day}"),
    );
    assert!(
        list.contains(&format!("Resolved from {day} to {day}")),
        "{list}"
    );
    assert!(list.contains(&format!(
        "<input type=\"hidden\" name=\"resolved_from\" value=\"{day}\">"
    )));
    let all = list_total(&agent, "view=all");
    assert_eq!(list_total(&agent, "view=all&created_from=2026-02-30"), all);
    assert_eq!(
        list_total(
            &agent,
            "view=all&created_from=2026-03-02&created_to=2026-03-01"
        ),
        all
    );

    // Signing in lands on the home; a login that asked for /staff keeps working.
    let fresh = app.other_client();
    let token = csrf(&fresh, "/staff/login?next=/staff");
    let res = post_form(
        &fresh,
        "/staff/login",
        &[
            ("csrf_token", &token),
            ("email", AGENT_EMAIL),
            ("password", AGENT_PASSWORD),
            ("next", "/staff"),
        ],
    );
    assert_eq!(location(&res), "/staff");
    assert!(get_ok(&fresh, "/staff").contains("My open tickets"));
    let stranger = app.other_client();
    let res = stranger.get("/staff").dispatch();
    assert_eq!(res.status(), Status::SeeOther);
    assert_eq!(location(&res), "/staff/login?next=%2Fstaff");
}

#[test]
fn a_limited_agent_counts_only_their_categories() {
    let app = TestApp::new();
    let admin = admin_client(&app);
    let gus = app.count("SELECT id FROM staff WHERE email = 'agent@example.com'");
    let path = format!("/admin/staff/{gus}");
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
    assert_eq!(res.status(), Status::SeeOther, "Gus works Hardware only");
    let agent = app.other_client();
    login(&agent, AGENT_EMAIL, AGENT_PASSWORD);

    let hardware = ticket_in(&app, HARDWARE, "Printer jam");
    set(&app, &admin, hardware, "assignee", &gus.to_string());
    ticket_in(&app, HARDWARE, "Scanner");
    for subject in ["Locked out", "Password reset", "MFA"] {
        let id = ticket_in(&app, ACCOUNTS, subject);
        set(&app, &admin, id, "status", &status(&app, "waiting"));
    }
    let accounts_done = ticket_in(&app, ACCOUNTS, "VPN");
    set(
        &app,
        &admin,
        accounts_done,
        "status",
        &status(&app, "resolved"),
    );

    let page = home_matches_its_lists(&agent);
    assert_eq!(tile(&page, "mine"), Some(1));
    assert_eq!(tile(&page, "unassigned"), Some(1));
    assert_eq!(tile(&page, "waiting"), Some(0));
    assert_eq!(today(&page), (2, 0), "only Hardware's");
    // The admin sees every category.
    let page = home_matches_its_lists(&admin);
    assert_eq!(tile(&page, "unassigned"), Some(4));
    assert_eq!(tile(&page, "waiting"), Some(3));
    assert_eq!(today(&page), (6, 1));
}

#[test]
fn the_home_is_complete_in_spanish() {
    let app = TestApp::new();
    let admin = admin_client(&app);
    simple_policy(&admin, "Medium, a day", MEDIUM, "60", "1440");
    let id = ticket_in(&app, HARDWARE, "Impresora");
    set(&app, &admin, id, "status", &status(&app, "resolved"));
    let page = admin
        .get("/staff")
        .header(accept_language("es-ES,es;q=0.9"))
        .dispatch()
        .into_string()
        .unwrap_or_default();
    for words in [
        "<html lang=\"es\">",
        ">Inicio</a>",
        "Mis tickets abiertos",
        "Sin asignar",
        "Vencidos",
        "Vencen hoy",
        "Esperando al solicitante",
        "Los últimos 7 días",
        "creados",
        "resueltos",
        "Creados y resueltos por día",
        "Tickets creados y resueltos en cada uno de los últimos 7 días",
        "(hoy)",
        "7 días",
        "Días en su zona horaria",
    ] {
        assert!(page.contains(words), "{words}: {page}");
    }
    let weekday = ["lun ", "mar ", "mié ", "jue ", "vie ", "sáb ", "dom "];
    assert_eq!(
        weekday.iter().filter(|d| page.contains(*d)).count(),
        7,
        "{page}"
    );
    for english in [
        "My open tickets",
        "Unassigned",
        "Overdue",
        "Due today",
        "Waiting on requester",
        "The last 7 days",
        " created<",
        " resolved<",
        "Created and resolved",
        ">Home<",
        "today)",
        "Mon ",
        "Sun ",
    ] {
        assert!(!page.contains(english), "{english} in: {page}");
    }
}
