//! Ticket pages are kept rendered between views (see `web::page_cache`); these tests show that
//! whatever changes, wherever it is made, the next view shows it. A second client is a second
//! app on the same database file, like a second server process: its writes reach the first app
//! only through the database.

use crate::common::*;
use rocket::http::Status;
use rocket::local::blocking::Client;

fn staff_reply(client: &Client, id: i64, kind: &str, status: &str, message: &str) {
    let token = csrf(client, &format!("/staff/tickets/{id}"));
    let mut form = Multipart::new();
    form.text("csrf_token", &token)
        .text("kind", kind)
        .text("status", status)
        .text("message", message);
    let res = form.post(client, &format!("/staff/tickets/{id}/reply"));
    assert_eq!(res.status(), Status::SeeOther, "{kind} accepted");
}

fn set_status(client: &Client, app: &TestApp, id: i64, slug: &str) {
    let token = csrf(client, &format!("/staff/tickets/{id}"));
    let row = |sql: String| app.count(&sql).to_string();
    let res = post_form(
        client,
        &format!("/staff/tickets/{id}/update"),
        &[
            ("csrf_token", &token),
            (
                "status",
                &row(format!("SELECT id FROM statuses WHERE slug = '{slug}'")),
            ),
            (
                "priority",
                &row(format!("SELECT priority_id FROM tickets WHERE id = {id}")),
            ),
            (
                "category",
                &row(format!("SELECT category_id FROM tickets WHERE id = {id}")),
            ),
            ("assignee", ""),
        ],
    );
    assert_eq!(res.status(), Status::SeeOther, "status change accepted");
}

#[test]
fn the_requesters_page_shows_changes_made_by_another_server() {
    let app = TestApp::new();
    let tid = submit_ticket(&app.client, &TicketInput::default(), &[]);
    let id = ticket_id(&app, &tid);
    let path = format!("/tickets/{tid}");
    let first = get_ok(&app.client, &path);
    assert_eq!(first, get_ok(&app.client, &path), "the same page twice");

    let staff = app.other_client();
    login(&staff, AGENT_EMAIL, AGENT_PASSWORD);
    staff_reply(&staff, id, "reply", "", "Please restart the printer.");
    let page = get_ok(&app.client, &path);
    assert!(page.contains("Please restart the printer."), "{page}");

    staff_reply(&staff, id, "note", "", "Toner order pending.");
    let page = get_ok(&app.client, &path);
    assert!(
        !page.contains("Toner order pending."),
        "notes stay internal"
    );

    set_status(&staff, &app, id, "resolved");
    let page = get_ok(&app.client, &path);
    assert!(page.contains("status-resolved") && page.contains("Reopen the ticket"));

    // A write from outside any server (a script, another tool) counts too.
    let conn = rusqlite::Connection::open(&app.config.db).expect("open db");
    conn.execute(
        "UPDATE messages SET body = 'Please restart the printer, then the PC.' \
         WHERE body = 'Please restart the printer.'",
        [],
    )
    .expect("edit message");
    drop(conn);
    let page = get_ok(&app.client, &path);
    assert!(page.contains("then the PC."), "edited message shown");
}

#[test]
fn each_visitor_gets_their_own_token_and_flash_messages_show_once() {
    let app = TestApp::new();
    let tid = submit_ticket(&app.client, &TicketInput::default(), &[]);
    let path = format!("/tickets/{tid}");
    let mine = csrf(&app.client, &path);

    // A colleague opens the secret link from the notification email.
    let secret = {
        let tid = tid.clone();
        app.db
            .read_blocking(move |c| {
                Ok(c.query_row(
                    "SELECT access_token FROM tickets WHERE tracking_id = ?1",
                    [&tid],
                    |r| r.get::<_, String>(0),
                )?)
            })
            .expect("token")
    };
    let colleague = app.other_client();
    let theirs = csrf(&colleague, &format!("{path}?token={secret}"));
    assert_ne!(mine, theirs);
    assert_eq!(csrf(&app.client, &path), mine, "each keeps their own token");
    assert!(!get_ok(&app.client, &path).contains("csrf-slot"));

    let res = post_form(
        &app.client,
        &format!("{path}/resolve"),
        &[("csrf_token", &mine)],
    );
    assert_eq!(res.status(), Status::SeeOther);
    let with_flash = get_ok(&app.client, &path);
    assert!(with_flash.contains("class=\"flash"), "confirmation shown");
    let after = get_ok(&app.client, &path);
    assert!(!after.contains("class=\"flash"), "and only once");
    assert!(after.contains("status-resolved"));
}

#[test]
fn admin_renames_show_on_a_kept_page_at_once() {
    let app = TestApp::new();
    let tid = submit_ticket(&app.client, &TicketInput::default(), &[]);
    let path = format!("/tickets/{tid}");
    assert!(get_ok(&app.client, &path).contains(">Hardware<"));

    admin_renames_desk_and_hardware(&app);

    let page = get_ok(&app.client, &path);
    assert!(
        !page.contains("/staff/logout"),
        "seen as the employee again"
    );
    assert!(page.contains(">Printers and PCs<") && !page.contains(">Hardware<"));
    assert!(page.contains("Floor 2 IT"));
}

#[test]
fn the_staff_page_follows_the_requesters_other_tickets_and_the_viewer() {
    let app = TestApp::new();
    let older = submit_ticket(
        &app.client,
        &TicketInput {
            subject: "Old VPN problem",
            ..TicketInput::default()
        },
        &[],
    );
    let older_id = ticket_id(&app, &older);
    let id = ticket_id(
        &app,
        &submit_ticket(&app.client, &TicketInput::default(), &[]),
    );
    let path = format!("/staff/tickets/{id}");

    login(&app.client, AGENT_EMAIL, AGENT_PASSWORD);
    let page = get_ok(&app.client, &path);
    assert!(page.contains("Old VPN problem") && page.contains("Gus Agent"));
    assert_eq!(page, get_ok(&app.client, &path), "the same page twice");

    // On another server, an admin resolves the older ticket and answers this one.
    let admin = app.other_client();
    login(&admin, ADMIN_EMAIL, ADMIN_PASSWORD);
    set_status(&admin, &app, older_id, "resolved");
    let page = get_ok(&app.client, &path);
    let history = &page[page.find("Old VPN problem").expect("listed")..];
    assert!(
        history[..history.find("</li>").expect("item")].contains("Resolved"),
        "the other ticket's new status"
    );
    staff_reply(&admin, id, "note", "", "Checked the switch.");
    let page = get_ok(&app.client, &path);
    assert!(page.contains("Checked the switch.") && page.contains("Internal note"));

    // Another agent on this browser sees the page as theirs.
    let token = csrf_in(&page);
    let res = post_form(&app.client, "/staff/logout", &[("csrf_token", &token)]);
    assert_eq!(res.status(), Status::SeeOther);
    login(&app.client, ADMIN_EMAIL, ADMIN_PASSWORD);
    let page = get_ok(&app.client, &path);
    assert!(page.contains("(Alice Admin)") && !page.contains("(Gus Agent)"));
    assert!(page.contains("href=\"/admin\""), "an admin's menu");
}

#[test]
fn the_staff_list_shows_changes_made_by_another_server() {
    let app = TestApp::new();
    let first = ticket_id(
        &app,
        &submit_ticket(&app.client, &TicketInput::default(), &[]),
    );
    login(&app.client, AGENT_EMAIL, AGENT_PASSWORD);
    let list = "/staff/tickets?view=all";
    let page = get_ok(&app.client, list);
    assert!(page.contains("status-new") && page.contains("(1)"));
    assert_eq!(page, get_ok(&app.client, list), "the same page twice");

    let other = app.other_client();
    login(&other, ADMIN_EMAIL, ADMIN_PASSWORD);
    set_status(&other, &app, first, "resolved");
    let page = get_ok(&app.client, list);
    assert!(page.contains("status-resolved") && !page.contains("status-new"));

    staff_reply(&other, first, "reply", "", "Done.");
    assert!(
        get_ok(&app.client, list).contains("(2)"),
        "message count moved"
    );

    submit_ticket(
        &other,
        &TicketInput {
            subject: "Wi-Fi down in room 4",
            ..TicketInput::default()
        },
        &[],
    );
    let page = get_ok(&app.client, list);
    assert!(
        page.contains("Wi-Fi down in room 4"),
        "a new ticket is listed"
    );
    let search = get_ok(&app.client, "/staff/tickets?view=all&q=room");
    assert!(search.contains("Wi-Fi down in room 4") && !search.contains("Printer on floor 2"));
}
