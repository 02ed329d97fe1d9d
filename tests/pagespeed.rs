//! Kept pages served without reading anything while the database has not changed (see
//! `web::page_cache`): whatever is committed since, by another agent, another server or a
//! script on the database file, the next view shows it; so do the viewer's own changes of
//! language, time zone and permissions. And the list's tag and select-field filters, counted
//! first from their own indexes, list the same tickets as before.

use crate::common::*;
use rocket::http::Status;
use rocket::local::blocking::Client;

fn open_db(app: &TestApp) -> rusqlite::Connection {
    rusqlite::Connection::open(&app.config.db).expect("open db")
}

fn new_ticket(app: &TestApp, subject: &str) -> i64 {
    let tid = submit_ticket(
        &app.client,
        &TicketInput {
            subject,
            ..TicketInput::default()
        },
        &[],
    );
    ticket_id(app, &tid)
}

fn add_tag(client: &Client, id: i64, tag: &str) {
    let token = csrf(client, &format!("/staff/tickets/{id}"));
    let res = post_form(
        client,
        &format!("/staff/tickets/{id}/tags"),
        &[("csrf_token", &token), ("tag", tag)],
    );
    assert_eq!(res.status(), Status::SeeOther, "tag {tag} added");
}

#[test]
fn the_staff_ticket_page_shows_every_change_committed_since_it_was_kept() {
    let app = TestApp::new();
    let id = new_ticket(&app, "Scanner on floor 3 offline");
    let path = format!("/staff/tickets/{id}");
    login(&app.client, AGENT_EMAIL, AGENT_PASSWORD);
    let first = get_ok(&app.client, &path);
    assert_eq!(first, get_ok(&app.client, &path), "the same page twice");

    // Another agent (another server) follows it: the followers card names them.
    let other = app.other_client();
    login(&other, ADMIN_EMAIL, ADMIN_PASSWORD);
    let token = csrf(&other, &path);
    let res = post_form(
        &other,
        &format!("/staff/tickets/{id}/follow"),
        &[("csrf_token", &token)],
    );
    assert_eq!(res.status(), Status::SeeOther);
    let page = get_ok(&app.client, &path);
    assert_ne!(page, first, "following shows");
    assert!(page.contains("Alice Admin"), "the new follower is named");

    // A tag added to another ticket is offered in this page's tag list.
    let elsewhere = new_ticket(&app, "Badge reader broken");
    add_tag(&other, elsewhere, "badge-reader");
    assert!(get_ok(&app.client, &path).contains("badge-reader"));

    // A script on the database file (another process) renames the ticket.
    let conn = open_db(&app);
    conn.execute(
        "UPDATE tickets SET subject = 'Scanner fixed by script' WHERE id = ?1",
        [id],
    )
    .expect("update");
    assert!(get_ok(&app.client, &path).contains("Scanner fixed by script"));
}

#[test]
fn a_kept_page_follows_the_viewers_language_zone_and_permissions() {
    let app = TestApp::new();
    let id = new_ticket(&app, "Monitor flickers");
    let path = format!("/staff/tickets/{id}");
    login(&app.client, AGENT_EMAIL, AGENT_PASSWORD);
    let english = get_ok(&app.client, &path);
    assert_eq!(english, get_ok(&app.client, &path));
    assert!(english.contains("lang=\"en\""));

    // Language: the switch is a cookie, nothing committed.
    let token = csrf_in(&english);
    let res = post_form(
        &app.client,
        "/lang",
        &[("csrf_token", &token), ("lang", "es"), ("next", "/")],
    );
    assert_eq!(res.status(), Status::SeeOther);
    let spanish = get_ok(&app.client, &path);
    assert!(spanish.contains("lang=\"es\""), "served in Spanish");

    // Time zone, set by another process: the times move.
    let conn = open_db(&app);
    let before = get_ok(&app.client, &path);
    conn.execute(
        "UPDATE staff SET timezone = 'Pacific/Kiritimati' WHERE email = ?1",
        [AGENT_EMAIL],
    )
    .expect("zone");
    let after = get_ok(&app.client, &path);
    assert_ne!(before, after, "times shown in the new zone");

    // Permissions: no longer allowed any category, the ticket is not found.
    conn.execute(
        "UPDATE staff SET all_categories = 0 WHERE email = ?1",
        [AGENT_EMAIL],
    )
    .expect("access");
    conn.execute(
        "DELETE FROM staff_categories WHERE staff_id = (SELECT id FROM staff WHERE email = ?1)",
        [AGENT_EMAIL],
    )
    .expect("access");
    let res = app.client.get(path.as_str()).dispatch();
    assert_eq!(
        res.status(),
        Status::NotFound,
        "the kept page is not served"
    );
}

#[test]
fn the_agent_home_list_and_portal_home_show_changes_since_kept() {
    let app = TestApp::new();
    // The portal home's most read articles: a view counted by another process reorders them.
    let home = get_ok(&app.client, "/");
    assert_eq!(home, get_ok(&app.client, "/"), "the same page twice");
    let conn = open_db(&app);
    let published: i64 = app.count("SELECT COUNT(*) FROM kb_articles WHERE state = 'published'");
    if published > 0 {
        conn.execute(
            "UPDATE kb_articles SET view_count = 1000000 WHERE id = (SELECT min(id) FROM kb_articles WHERE state = 'published')",
            [],
        )
        .expect("views");
        conn.execute(
            "UPDATE kb_translations SET title = 'Most read by far' WHERE article_id = (SELECT min(id) FROM kb_articles WHERE state = 'published')",
            [],
        )
        .expect("title");
        assert!(get_ok(&app.client, "/").contains("Most read by far"));
    }

    new_ticket(&app, "Projector lamp");
    login(&app.client, AGENT_EMAIL, AGENT_PASSWORD);
    let list = "/staff/tickets?view=all";
    let staff_home = get_ok(&app.client, "/staff");
    let page = get_ok(&app.client, list);
    assert_eq!(page, get_ok(&app.client, list));
    assert_eq!(staff_home, get_ok(&app.client, "/staff"));

    let other = app.other_client();
    submit_ticket(
        &other,
        &TicketInput {
            subject: "Keyboard missing keys",
            ..TicketInput::default()
        },
        &[],
    );
    assert!(get_ok(&app.client, list).contains("Keyboard missing keys"));
    assert_ne!(staff_home, get_ok(&app.client, "/staff"), "counted");
}

/// The tickets a list page shows, by subject.
fn listed(client: &Client, path: &str) -> Vec<String> {
    let page = get_ok(client, path);
    let mut out: Vec<String> = ["Tagged A", "Tagged B", "Tagged C", "Plain D"]
        .iter()
        .filter(|s| page.contains(*s))
        .map(|s| s.to_string())
        .collect();
    out.sort();
    out
}

/// Adds the select field "Device" (Laptop, Desktop) through Admin > Fields, as the signed-in
/// admin; its id.
fn add_device_field(app: &TestApp) -> i64 {
    let token = csrf(&app.client, "/admin/fields/new");
    let res = post_form(
        &app.client,
        "/admin/fields",
        &[
            ("csrf_token", &token),
            ("label", "Device"),
            ("kind", "select"),
            ("options", "Laptop\nDesktop"),
        ],
    );
    assert_eq!(res.status(), Status::SeeOther, "field saved");
    app.count("SELECT MAX(id) FROM fields")
}

#[test]
fn tag_and_select_field_filters_list_exactly_their_tickets() {
    let app = TestApp::new();
    let a = new_ticket(&app, "Tagged A");
    let b = new_ticket(&app, "Tagged B");
    let c = new_ticket(&app, "Tagged C");
    new_ticket(&app, "Plain D");
    login(&app.client, ADMIN_EMAIL, ADMIN_PASSWORD);
    for id in [a, b, c] {
        add_tag(&app.client, id, "vpn");
    }
    add_tag(&app.client, a, "wifi");
    let all = "/staff/tickets?view=all";
    assert_eq!(
        listed(&app.client, &format!("{all}&tag=vpn")),
        ["Tagged A", "Tagged B", "Tagged C"]
    );
    assert_eq!(
        listed(&app.client, &format!("{all}&tag=wifi")),
        ["Tagged A"]
    );
    assert!(listed(&app.client, &format!("{all}&tag=nosuchtag")).is_empty());
    let page = get_ok(&app.client, &format!("{all}&tag=vpn"));
    assert!(page.contains("of 3"), "the count: {page}");

    // A select field's option, alone and with a tag.
    let field = add_device_field(&app);
    let conn = open_db(&app);
    for id in [b, c] {
        conn.execute(
            "INSERT INTO ticket_field_values (ticket_id, field_id, value) VALUES (?1, ?2, 'Laptop')",
            [id, field],
        )
        .expect("value");
    }
    let q = format!("field_{field}=Laptop");
    assert_eq!(
        listed(&app.client, &format!("{all}&{q}")),
        ["Tagged B", "Tagged C"]
    );
    assert!(listed(&app.client, &format!("{all}&{q}&tag=wifi")).is_empty());
    assert_eq!(
        listed(&app.client, &format!("{all}&{q}&tag=vpn")),
        ["Tagged B", "Tagged C"]
    );
    assert!(listed(&app.client, &format!("{all}&field_{field}=Desktop")).is_empty());
}

#[test]
fn filters_matching_more_than_the_count_cap_list_only_their_tickets() {
    // 2,100 tickets with the tag, every other one a Laptop: both sets pass the count's cap of
    // 1,000, so the list walks its own order and tests each ticket by its key.
    let app = TestApp::new();
    login(&app.client, ADMIN_EMAIL, ADMIN_PASSWORD);
    let field = add_device_field(&app);
    open_db(&app)
        .execute_batch(&format!(
            "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 2100)
             INSERT INTO tickets (tracking_id, access_token, subject, requester_name,
                 requester_email, category_id, priority_id, status_id, created_at, updated_at)
             SELECT printf('WLK-%03d-%04d', i / 10000, i), 'x' || i,
                 CASE i % 2 WHEN 1 THEN 'Laptop walker ' ELSE 'Desktop walker ' END || i,
                 'Ana', 'ana@office.example', 1, 1, 1, i, i
             FROM n;
             INSERT INTO tags (name, created_at) VALUES ('walk', 0);
             INSERT INTO ticket_tags (tag_id, ticket_id)
                 SELECT (SELECT id FROM tags WHERE name = 'walk'), id FROM tickets;
             INSERT INTO ticket_field_values (ticket_id, field_id, value)
                 SELECT id, {field}, CASE WHEN subject LIKE 'Laptop%' THEN 'Laptop'
                                          ELSE 'Desktop' END
                 FROM tickets;"
        ))
        .expect("tickets");
    let all = "/staff/tickets?view=all";
    let walkers = |page: &str, kind: &str| page.matches(&format!("{kind} walker ")).count();

    let page = get_ok(&app.client, &format!("{all}&tag=walk&field_{field}=Laptop"));
    assert!(walkers(&page, "Laptop") >= 20, "a full first page: {page}");
    assert_eq!(walkers(&page, "Desktop"), 0, "{page}");
    assert!(page.contains("1,000+"), "the count is capped: {page}");
    // The newest first: the last Laptop ticket made leads the list.
    assert!(page.contains("Laptop walker 2099"), "{page}");

    let page = get_ok(&app.client, &format!("{all}&field_{field}=Desktop"));
    assert!(walkers(&page, "Desktop") >= 20 && walkers(&page, "Laptop") == 0);
    let page = get_ok(&app.client, &format!("{all}&q=tag:walk"));
    assert!(walkers(&page, "Desktop") >= 10 && walkers(&page, "Laptop") >= 10);
}
