//! The staff list that fits and the status pills (issue 15, items 2 and 3): an agent hides a
//! column and it stays hidden on their next visits (not for others); the pager says which
//! tickets a page holds ("26–50 of 55") with first / previous / next; an admin's colour for a
//! status is saved and is the pill's class on the list, the ticket pages and the portal; a
//! colour outside the palette is refused next to the field with the form kept; every colour of
//! the palette is readable (WCAG AA) in light and dark mode.

use helpdesk::i18n::Lang;
use helpdesk::notify::MailCtx;
use helpdesk::tickets::statuses::COLORS;
use helpdesk::tickets::{Actor, Channel, NewTicket};
use helpdesk::workflow::{Ctx, Desk};
use rocket::http::Status;
use rocket::local::blocking::Client;

use crate::common::*;
use crate::sla::admin_client;

/// Opens `n` tickets through the real ticket action, one second apart (the newest last).
fn open_tickets(app: &TestApp, n: i64) {
    let start = helpdesk::db::now() - n - 10;
    for i in 0..n {
        let ticket = NewTicket {
            requester_name: format!("Requester {i}"),
            requester_email: format!("r{i}@office.example"),
            category_id: 2,
            priority_id: 2,
            subject: format!("Ticket number {i}"),
            message: "Something broke.".into(),
            attachments: Vec::new(),
            channel: Channel::Portal,
            assignee_id: None,
            lang: Lang::En,
        };
        app.db
            .write_blocking(move |c| {
                let mail = MailCtx {
                    config_on: false,
                    silent: true,
                    base_url: "http://help.example.com".into(),
                    desk_name: "Help".into(),
                };
                let ctx = Ctx::new(mail, start + i);
                Desk::new(c, &ctx).open(&Actor::requester("Requester"), &ticket)?;
                Ok(())
            })
            .expect("open a ticket");
    }
}

fn agent_client(app: &TestApp) -> Client {
    let agent = app.other_client();
    login(&agent, AGENT_EMAIL, AGENT_PASSWORD);
    agent
}

/// Saves the list's columns as `shown` (ticked) from the list at `back`.
fn show_columns(client: &Client, shown: &[&str], back: &str) -> String {
    let token = csrf(client, "/staff/tickets");
    let mut fields = vec![("csrf_token", token.as_str()), ("back", back)];
    fields.extend(shown.iter().map(|c| ("show", *c)));
    let res = post_form(client, "/staff/tickets/columns", &fields);
    assert_eq!(res.status(), Status::SeeOther);
    location(&res)
}

const ALL_BUT_PRIORITY: [&str; 7] = [
    "tracking_id",
    "requester",
    "category",
    "status",
    "due",
    "assignee",
    "updated",
];

#[test]
fn a_hidden_column_stays_hidden_for_that_agent_only() {
    let app = TestApp::new();
    open_tickets(&app, 3);
    let agent = agent_client(&app);
    let list = get_ok(&agent, "/staff/tickets?view=all");
    assert!(list.contains("<th scope=\"col\" class=\"col-priority\">Priority</th>"));
    assert!(list.contains("class=\"prio prio-medium\""));
    assert!(list.contains("<input type=\"checkbox\" name=\"show\" value=\"priority\" checked>"));

    // Back to the same list, filters and page as they were.
    let back = show_columns(&agent, &ALL_BUT_PRIORITY, "view=all&sort=subject&page=1");
    assert_eq!(back, "/staff/tickets?view=all&sort=subject&page=1");
    let list = get_ok(&agent, &back);
    assert!(
        list.contains("The list&#x27;s columns are saved.")
            || list.contains("The list's columns are saved.")
    );
    assert!(!list.contains("class=\"col-priority\""), "{list}");
    assert!(!list.contains("prio-medium"));
    assert!(list.contains("<input type=\"checkbox\" name=\"show\" value=\"priority\" >"));
    assert!(list.contains("class=\"col-status\"") && list.contains("Ticket number 2"));

    // The next visit (another browser, signed in again) keeps it; another agent sees it.
    let later = agent_client(&app);
    let list = get_ok(&later, "/staff/tickets");
    assert!(!list.contains("class=\"col-priority\""));
    let admin = admin_client(&app);
    assert!(get_ok(&admin, "/staff/tickets").contains("class=\"col-priority\""));

    // The requester and category beside the subject can go too; the subject always stays.
    show_columns(&later, &["status", "updated"], "");
    let list = get_ok(&later, "/staff/tickets?view=all");
    for gone in [
        "tk-requester",
        "tk-category",
        "col-due",
        "col-assignee",
        // The tracking ID's cell (the bulk toolbar has mono text of its own).
        "<td class=\"mono\"><a href=\"/staff/tickets/",
    ] {
        assert!(!list.contains(gone), "{gone} hidden");
    }
    assert!(list.contains("class=\"tk-subject\"") && list.contains("class=\"col-updated\""));
    // A back address that is not a plain query string is not followed.
    assert_eq!(
        show_columns(&later, &ALL_BUT_PRIORITY, "x=1\r\nSet-Cookie: a"),
        "/staff/tickets"
    );
}

#[test]
fn the_columns_form_needs_its_csrf_token() {
    let app = TestApp::new();
    let agent = agent_client(&app);
    let res = post_form(
        &agent,
        "/staff/tickets/columns",
        &[("show", "status"), ("back", "")],
    );
    assert_ne!(res.status(), Status::SeeOther);
    assert!(get_ok(&agent, "/staff/tickets").contains("value=\"priority\" checked"));
}

#[test]
fn the_pager_says_which_tickets_a_page_holds_of_how_many() {
    let app = TestApp::new();
    open_tickets(&app, 55);
    let agent = agent_client(&app);
    let first = get_ok(&agent, "/staff/tickets?view=all");
    assert!(
        first.contains("<span class=\"pager-range\">1–25 of 55</span>"),
        "{first}"
    );
    assert!(first.contains("rel=\"next\"") && !first.contains("rel=\"prev\""));

    let second = get_ok(&agent, "/staff/tickets?view=all&page=2");
    assert!(second.contains("<span class=\"pager-range\">26–50 of 55</span>"));
    assert!(second.contains("rel=\"prev\"") && second.contains("rel=\"next\""));
    // The second page's previous page is the first: no separate "First".
    assert!(!second.contains(">First</a>"));
    let third = get_ok(&agent, "/staff/tickets?view=all&page=3");
    assert!(third.contains("<span class=\"pager-range\">51–55 of 55</span>"));
    assert!(third.contains("page=1\">First</a>") && !third.contains("rel=\"next\""));
    // The count above the list is as it was ("55 tickets"), in Spanish too.
    assert!(third.contains("<p class=\"muted count\">55 tickets"));
    let es = agent
        .get("/staff/tickets?view=all&page=2")
        .header(accept_language("es"))
        .dispatch()
        .into_string()
        .unwrap_or_default();
    assert!(es.contains("<span class=\"pager-range\">26–50 de 55</span>"));
    // Each row has its updated time as "… ago", the exact time on hover and for machines.
    assert!(second.contains("<td class=\"col-updated small\"><time datetime=\""));
    assert!(second.contains(" ago</time>") || second.contains("just now</time>"));
}

fn status_id(app: &TestApp, slug: &str) -> String {
    app.count(&format!("SELECT id FROM statuses WHERE slug = '{slug}'"))
        .to_string()
}

fn save_status<'c>(
    admin: &'c Client,
    id: &str,
    name: &str,
    color: &str,
) -> rocket::local::blocking::LocalResponse<'c> {
    let token = csrf(admin, "/admin/workflow");
    post_form(
        admin,
        &format!("/admin/statuses/{id}"),
        &[
            ("csrf_token", &token),
            ("name", name),
            ("name_es", ""),
            ("sort", "30"),
            ("color", color),
        ],
    )
}

#[test]
fn built_in_statuses_start_with_their_colours() {
    let app = TestApp::new();
    let colour = |slug: &str| {
        let slug = slug.to_string();
        app.db
            .read_blocking(move |c| {
                Ok(
                    c.query_row("SELECT color FROM statuses WHERE slug = ?1", [slug], |r| {
                        r.get::<_, String>(0)
                    })?,
                )
            })
            .unwrap()
    };
    for (slug, want) in [
        ("new", "blue"),
        ("in_progress", "purple"),
        ("waiting", "amber"),
        ("on_hold", "teal"),
        ("resolved", "green"),
        ("closed", "gray"),
    ] {
        assert_eq!(colour(slug), want, "{slug}");
    }
}

#[test]
fn an_admin_chooses_a_status_colour_and_every_pill_shows_it() {
    let app = TestApp::new();
    // One app instance for the admin and the employee (each instance caches reference data
    // apart); the employee's portal access is this client's cookie.
    let (admin, employee) = (&app.client, &app.client);
    login(admin, ADMIN_EMAIL, ADMIN_PASSWORD);
    let tid = submit_ticket(employee, &TicketInput::default(), &[]);
    let id = ticket_id(&app, &tid);
    let new = status_id(&app, "new");
    // As it starts: the built-in "New" is blue everywhere.
    assert!(get_ok(admin, "/staff/tickets").contains("class=\"status status-new pill-blue\""));

    let page = get_ok(admin, "/admin/workflow");
    assert!(page.contains("<option value=\"blue\" selected>Blue</option>"));
    assert!(page.contains("<option value=\"red\" >Red</option>"));
    let res = save_status(admin, &new, "New", "red");
    assert_eq!(res.status(), Status::SeeOther);
    assert_eq!(
        app.count(&format!(
            "SELECT color = 'red' FROM statuses WHERE id = {new}"
        )),
        1
    );
    let page = get_ok(admin, "/admin/workflow");
    assert!(page.contains("<option value=\"red\" selected>Red</option>"));
    let pill = "class=\"status status-new pill-red\"";
    assert!(get_ok(admin, "/staff/tickets").contains(pill), "the list");
    let staff_page = get_ok(admin, &format!("/staff/tickets/{id}"));
    assert!(
        staff_page.contains(&format!(
            "<p class=\"ticket-status\"><span {pill}>New</span>"
        )),
        "the staff ticket's title"
    );
    let portal = get_ok(employee, &format!("/tickets/{tid}"));
    assert!(portal.contains(pill), "the portal's ticket page");
    let es = admin
        .get("/admin/workflow")
        .header(accept_language("es"))
        .dispatch()
        .into_string()
        .unwrap_or_default();
    assert!(es.contains(">Rojo</option>") && es.contains(">Verde azulado</option>"));

    // A new status gets the colour chosen in the add form.
    let token = csrf(admin, "/admin/workflow");
    let res = post_form(
        admin,
        "/admin/statuses",
        &[
            ("csrf_token", &token),
            ("name", "Waiting on vendor"),
            ("sort", "45"),
            ("color", "orange"),
        ],
    );
    assert_eq!(res.status(), Status::SeeOther);
    assert_eq!(
        app.count(
            "SELECT COUNT(*) FROM statuses WHERE name = 'Waiting on vendor' AND color = 'orange'"
        ),
        1
    );
}

#[test]
fn a_colour_outside_the_palette_is_refused_with_the_form_kept() {
    let app = TestApp::new();
    let admin = admin_client(&app);
    let waiting = status_id(&app, "waiting");
    let res = save_status(&admin, &waiting, "Waiting for parts", "#ff00ff");
    assert_eq!(res.status(), Status::UnprocessableEntity);
    let page = res.into_string().unwrap_or_default();
    assert!(
        page.contains(&format!(
            "<p class=\"field-error\" id=\"sf{waiting}-color-error\">Choose one of the listed colours.</p>"
        )),
        "{page}"
    );
    assert!(page.contains(&format!(
        "aria-describedby=\"sf{waiting}-color-error color-help\" aria-invalid=\"true\""
    )));
    assert!(
        page.contains("value=\"Waiting for parts\""),
        "the typed name is kept"
    );
    // Nothing changed; the list still offers the saved colour.
    assert_eq!(
        app.count(&format!(
            "SELECT COUNT(*) FROM statuses WHERE id = {waiting} AND color = 'amber' AND name = 'Waiting on requester'"
        )),
        1
    );
    assert!(page.contains("<option value=\"amber\" selected>Amber</option>"));
    // The add form refuses it the same way, and adds nothing.
    let token = csrf(&admin, "/admin/workflow");
    let res = post_form(
        &admin,
        "/admin/statuses",
        &[
            ("csrf_token", &token),
            ("name", "Parked"),
            ("sort", "45"),
            ("color", "magenta"),
        ],
    );
    assert_eq!(res.status(), Status::UnprocessableEntity);
    let page = res.into_string().unwrap_or_default();
    assert!(page.contains("id=\"new-status-color-error\">Choose one of the listed colours.</p>"));
    assert!(page.contains("value=\"Parked\""));
    assert_eq!(
        app.count("SELECT COUNT(*) FROM statuses WHERE name = 'Parked'"),
        0
    );
}

/// WCAG relative luminance of `#rrggbb`.
fn luminance(hex: &str) -> f64 {
    let hex = hex.trim_start_matches('#');
    let channel = |i: usize| {
        let c = f64::from(u8::from_str_radix(&hex[i..i + 2], 16).unwrap()) / 255.0;
        if c <= 0.03928 {
            c / 12.92
        } else {
            ((c + 0.055) / 1.055).powf(2.4)
        }
    };
    0.2126 * channel(0) + 0.7152 * channel(2) + 0.0722 * channel(4)
}

fn contrast(a: &str, b: &str) -> f64 {
    let (la, lb) = (luminance(a), luminance(b));
    (la.max(lb) + 0.05) / (la.min(lb) + 0.05)
}

/// The value of `--name:` in `block` (a run of CSS declarations).
fn var<'a>(block: &'a str, name: &str) -> &'a str {
    let key = format!("{name}:");
    let start = block.find(&key).unwrap_or_else(|| panic!("{name} is set")) + key.len();
    block[start..].split(';').next().unwrap().trim()
}

#[test]
fn every_palette_colour_is_readable_in_light_and_dark_mode() {
    let css = include_str!("../static/app.css");
    // The palette's variables: the light block, then the dark one.
    let at = css.find("--pill-gray-bg:").expect("the palette");
    let light = &css[at..];
    let dark_at = light
        .find("prefers-color-scheme: dark")
        .expect("its dark variant");
    let (light, dark) = light.split_at(dark_at);
    for color in COLORS {
        for (mode, block) in [("light", light), ("dark", dark)] {
            let bg = var(block, &format!("--pill-{color}-bg"));
            let fg = var(block, &format!("--pill-{color}"));
            let ratio = contrast(bg, fg);
            assert!(
                ratio >= 4.5,
                "{color} in {mode} mode: {fg} on {bg} is {ratio:.2}:1"
            );
        }
        assert!(
            css.contains(&format!(
                ".pill-{color} {{ background: var(--pill-{color}-bg); color: var(--pill-{color});"
            )),
            "{color} has its pill rule"
        );
    }
}
