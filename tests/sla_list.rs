//! Service levels on the staff list: the overdue and due-today views and the due sort, each
//! keeping to the viewer's categories, and paging across the tickets with a deadline and those
//! without. Due times are set through the tickets' stored creation times.

use crate::common::*;
use crate::sla::{ACCOUNTS, HARDWARE, MEDIUM, admin_client, backdate, simple_policy, ticket_in};
use rocket::http::Status;
use rocket::local::blocking::Client;

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
