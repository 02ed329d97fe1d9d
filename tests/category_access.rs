//! Per-category access: an agent limited to some categories sees, finds, is told about and
//! changes only their tickets, on every surface; everything else answers 404. Admins are never
//! limited.

use crate::common::*;
use rocket::http::Status;
use rocket::local::blocking::Client;

const GENERAL: &str = "1";
const HARDWARE: &str = "2";

/// The agent's staff id (the second account `TestApp` creates).
fn agent_id(app: &TestApp) -> i64 {
    app.count(&format!(
        "SELECT id FROM staff WHERE email = '{AGENT_EMAIL}'"
    ))
}

/// The admin (on `admin`) saves the agent's page with these access fields.
fn set_access<'c>(
    admin: &'c Client,
    agent: i64,
    access: &[(&str, &str)],
) -> rocket::local::blocking::LocalResponse<'c> {
    let path = format!("/admin/staff/{agent}");
    let token = csrf(admin, &path);
    let mut fields = vec![
        ("csrf_token", token.as_str()),
        ("name", "Gus Agent"),
        ("role", "agent"),
        ("active", "on"),
    ];
    fields.extend_from_slice(access);
    post_form(admin, &path, &fields)
}

struct Desk {
    app: TestApp,
    agent: Client,
    admin: Client,
    general_tid: String,
    hardware_tid: String,
    hardware_id: i64,
}

/// Two tickets, one in General and one (with a file) in Hardware; the agent limited to General.
fn desk() -> Desk {
    let app = TestApp::with_config(|c| c.smtp_url = "smtp://127.0.0.1:9".to_string());
    let admin = app.other_client();
    login(&admin, ADMIN_EMAIL, ADMIN_PASSWORD);
    let status = set_access(&admin, agent_id(&app), &[("categories", GENERAL)]).status();
    assert_eq!(status, Status::SeeOther, "access saved");
    let general_tid = submit_ticket(
        &app.client,
        &TicketInput {
            category: GENERAL,
            subject: "Calendar invitations vanish",
            message: "Outlook loses the zebracalendar invites.",
            ..TicketInput::default()
        },
        &[],
    );
    let hardware_tid = submit_ticket(
        &app.client,
        &TicketInput {
            category: HARDWARE,
            subject: "Docking station flickers",
            message: "The quokkadock screen flickers every minute.",
            ..TicketInput::default()
        },
        &[("photo.png", "image/png", b"\x89PNG fake image bytes")],
    );
    let hardware_id = ticket_id(&app, &hardware_tid);
    let agent = app.other_client();
    login(&agent, AGENT_EMAIL, AGENT_PASSWORD);
    Desk {
        app,
        agent,
        admin,
        general_tid,
        hardware_tid,
        hardware_id,
    }
}

#[test]
fn a_limited_agent_lists_and_finds_only_their_categories() {
    let d = desk();
    let list = get_ok(&d.agent, "/staff/tickets?view=all");
    assert!(list.contains("Calendar invitations vanish"));
    assert!(!list.contains("Docking station flickers"));
    // The category filter offers only their categories.
    assert!(!list.contains(">Hardware</option>"), "{list}");
    for q in [
        "quokkadock",
        "Docking",
        d.hardware_tid.as_str(),
        "ana@office",
    ] {
        let found = get_ok(
            &d.agent,
            &format!("/staff/tickets?view=all&q={}", urlencode(q)),
        );
        assert!(!found.contains("Docking station flickers"), "search {q}");
    }
    let found = get_ok(&d.agent, "/staff/tickets?view=all&q=zebracalendar");
    assert!(found.contains("Calendar invitations vanish"));
    // Filtering on the other category by hand gives nothing either.
    let other = get_ok(
        &d.agent,
        &format!("/staff/tickets?view=all&category={HARDWARE}"),
    );
    assert!(!other.contains("Docking station flickers"));
    // The admin sees both.
    let all = get_ok(&d.admin, "/staff/tickets?view=all");
    assert!(
        all.contains("Calendar invitations vanish") && all.contains("Docking station flickers")
    );
}

#[test]
fn another_categorys_ticket_page_file_and_suggestions_are_not_found() {
    let d = desk();
    let id = d.hardware_id;
    assert_eq!(
        d.agent
            .get(format!("/staff/tickets/{id}"))
            .dispatch()
            .status(),
        Status::NotFound
    );
    let aid = d.app.count(&format!(
        "SELECT id FROM attachments WHERE ticket_id = {id}"
    ));
    assert_eq!(
        d.agent
            .get(format!("/staff/tickets/{id}/attachments/{aid}"))
            .dispatch()
            .status(),
        Status::NotFound
    );
    let admin_file = d
        .admin
        .get(format!("/staff/tickets/{id}/attachments/{aid}"))
        .dispatch();
    assert_eq!(admin_file.status(), Status::Ok, "admins are never limited");
    let mid = d
        .app
        .count(&format!("SELECT id FROM messages WHERE ticket_id = {id}"));
    assert_eq!(
        d.agent
            .get(format!("/staff/kb/new?from_message={mid}"))
            .dispatch()
            .status(),
        Status::NotFound
    );
    // The requester's other tickets on the General ticket's page leave the Hardware one out.
    let general_id = ticket_id(&d.app, &d.general_tid);
    let page = get_ok(&d.agent, &format!("/staff/tickets/{general_id}"));
    assert!(!page.contains("Docking station flickers"));
    let page = get_ok(&d.admin, &format!("/staff/tickets/{general_id}"));
    assert!(page.contains("Docking station flickers"));
    // A canned reply rendered for the other category's ticket (it would carry the requester's
    // name and address) is not found either.
    let token = csrf(&d.admin, "/staff/canned/new");
    let res = post_form(
        &d.admin,
        "/staff/canned/new",
        &[
            ("csrf_token", &token),
            ("title", "Hello"),
            ("body", "Hello {{ requester.name }}"),
            ("scope", "shared"),
        ],
    );
    assert_eq!(res.status(), Status::SeeOther);
    let cid = d.app.count("SELECT MAX(id) FROM canned_replies");
    let canned = |client: &rocket::local::blocking::Client, ticket: i64| {
        client
            .get(format!("/staff/tickets/{ticket}/canned/{cid}"))
            .dispatch()
            .status()
    };
    assert_eq!(canned(&d.agent, id), Status::NotFound);
    assert_eq!(
        canned(&d.agent, ticket_id(&d.app, &d.general_tid)),
        Status::Ok
    );
    // Suggestions while typing offer articles only: no ticket of any category, not even to a
    // staff session.
    let json = d
        .agent
        .get("/suggest?q=docking%20calendar%20station%20invitations")
        .dispatch()
        .into_string()
        .unwrap_or_default();
    assert!(json.contains("\"articles\""), "{json}");
    assert!(!json.contains("Calendar invitations vanish"), "{json}");
    assert!(!json.contains("Docking station flickers"), "{json}");
}

#[test]
fn a_limited_agent_cannot_change_another_categorys_ticket() {
    let d = desk();
    let id = d.hardware_id;
    let general_id = ticket_id(&d.app, &d.general_tid);
    let token = csrf(&d.agent, &format!("/staff/tickets/{general_id}"));
    let before = d.app.count(&format!(
        "SELECT message_count FROM tickets WHERE id = {id}"
    ));
    let res = post_form(
        &d.agent,
        &format!("/staff/tickets/{id}/reply"),
        &[
            ("csrf_token", &token),
            ("message", "Sneaky"),
            ("kind", "reply"),
        ],
    );
    assert_eq!(res.status(), Status::NotFound);
    let res = post_form(
        &d.agent,
        &format!("/staff/tickets/{id}/update"),
        &[("csrf_token", &token), ("priority", "1")],
    );
    assert_eq!(res.status(), Status::NotFound);
    assert_eq!(
        d.app.count(&format!(
            "SELECT message_count FROM tickets WHERE id = {id}"
        )),
        before
    );
    assert_eq!(
        d.app.count(&format!(
            "SELECT COUNT(*) FROM ticket_events WHERE ticket_id = {id} AND field <> 'created'"
        )),
        0,
        "nothing changed"
    );
    // Nor move their own ticket into a category they do not work.
    let res = post_form(
        &d.agent,
        &format!("/staff/tickets/{general_id}/update"),
        &[("csrf_token", &token), ("category", HARDWARE)],
    );
    assert_eq!(res.status(), Status::BadRequest);
    assert_eq!(
        d.app.count(&format!(
            "SELECT category_id FROM tickets WHERE id = {general_id}"
        )),
        1
    );
    // Nor open one there on someone's behalf.
    let token = csrf(&d.agent, "/staff/tickets/new");
    let mut form = Multipart::new();
    form.text("csrf_token", &token)
        .text("name", "Bo")
        .text("email", "bo@office.example")
        .text("category", HARDWARE)
        .text("priority", "")
        .text("assignee", "")
        .text("subject", "Keyboard missing keys")
        .text("message", "Three keys are gone.");
    let res = form.post(&d.agent, "/staff/tickets/new");
    assert_eq!(res.status(), Status::UnprocessableEntity);
    assert_eq!(
        d.app
            .count("SELECT COUNT(*) FROM tickets WHERE subject = 'Keyboard missing keys'"),
        0
    );
}

#[test]
fn tickets_are_assigned_and_notified_only_to_agents_of_their_category() {
    let d = desk();
    let agent = agent_id(&d.app);
    // New-ticket mail went to the admin (who sees everything) for both tickets, to the agent
    // only for General.
    let mails_to = |addr: &str, subject: &str| {
        d.app.count(&format!(
            "SELECT COUNT(*) FROM outbox WHERE to_addr = '{addr}' AND subject LIKE '%{subject}%'"
        ))
    };
    assert_eq!(mails_to(ADMIN_EMAIL, "Docking station"), 1);
    assert_eq!(mails_to(AGENT_EMAIL, "Calendar invitations"), 1);
    assert_eq!(mails_to(AGENT_EMAIL, "Docking station"), 0);
    // The Hardware ticket's assignee list leaves the agent out, and assigning anyway is refused.
    let id = d.hardware_id;
    let page = get_ok(&d.admin, &format!("/staff/tickets/{id}"));
    assert!(!page.contains(">Gus Agent</option>"), "{page}");
    let general = get_ok(
        &d.admin,
        &format!("/staff/tickets/{}", ticket_id(&d.app, &d.general_tid)),
    );
    assert!(general.contains(">Gus Agent</option>"));
    let token = csrf_in(&page);
    let res = post_form(
        &d.admin,
        &format!("/staff/tickets/{id}/update"),
        &[("csrf_token", &token), ("assignee", &agent.to_string())],
    );
    assert_eq!(res.status(), Status::BadRequest);
    assert_eq!(
        d.app.count(&format!(
            "SELECT COUNT(*) FROM tickets WHERE id = {id} AND assignee_id IS NOT NULL"
        )),
        0
    );
}

#[test]
fn the_admin_page_sets_and_shows_access_and_refuses_none() {
    let app = TestApp::new();
    login(&app.client, ADMIN_EMAIL, ADMIN_PASSWORD);
    let agent = agent_id(&app);
    let page = get_ok(&app.client, &format!("/admin/staff/{agent}"));
    assert!(
        page.contains("name=\"all_categories\" value=\"on\" checked"),
        "{page}"
    );
    // Limited to two categories.
    let res = set_access(
        &app.client,
        agent,
        &[
            ("access_shown", "true"),
            ("categories", GENERAL),
            ("categories", "3"),
        ],
    );
    assert_eq!(res.status(), Status::SeeOther);
    let page = get_ok(&app.client, &format!("/admin/staff/{agent}"));
    assert!(!page.contains("name=\"all_categories\" value=\"on\" checked"));
    assert!(page.contains("name=\"categories\" value=\"1\" checked"));
    assert!(page.contains("name=\"categories\" value=\"3\" checked"));
    assert!(!page.contains("name=\"categories\" value=\"2\" checked"));
    assert_eq!(
        app.count("SELECT COUNT(*) FROM audit_log WHERE action = 'staff_update' AND detail LIKE '%categories=[1, 3]%'"),
        1
    );
    // Neither "all" nor any category: refused, nothing saved.
    let res = set_access(&app.client, agent, &[("access_shown", "true")]);
    assert_eq!(res.status(), Status::UnprocessableEntity);
    let body = res.into_string().unwrap_or_default();
    assert!(body.contains("at least one category"), "{body}");
    assert_eq!(
        app.count(&format!(
            "SELECT COUNT(*) FROM staff_categories WHERE staff_id = {agent}"
        )),
        2
    );
    // A post that does not speak of access (no access fields) leaves it as it was.
    let res = set_access(&app.client, agent, &[]);
    assert_eq!(res.status(), Status::SeeOther);
    assert_eq!(
        app.count(&format!(
            "SELECT all_categories FROM staff WHERE id = {agent}"
        )),
        0
    );
    // Back to every category.
    let res = set_access(&app.client, agent, &[("all_categories", "on")]);
    assert_eq!(res.status(), Status::SeeOther);
    assert_eq!(
        app.count(&format!(
            "SELECT all_categories FROM staff WHERE id = {agent}"
        )),
        1
    );
}

#[test]
fn promoted_to_admin_the_same_account_sees_every_category() {
    let d = desk();
    // Promoted to admin, the same account sees everything at once.
    let res = d
        .admin
        .get(format!("/admin/staff/{}", agent_id(&d.app)))
        .dispatch();
    assert_eq!(res.status(), Status::Ok);
    let path = format!("/admin/staff/{}", agent_id(&d.app));
    let token = csrf(&d.admin, &path);
    let res = post_form(
        &d.admin,
        &path,
        &[
            ("csrf_token", &token),
            ("name", "Gus Agent"),
            ("role", "admin"),
            ("active", "on"),
            ("categories", GENERAL),
        ],
    );
    assert_eq!(res.status(), Status::SeeOther);
    let page = d
        .agent
        .get(format!("/staff/tickets/{}", d.hardware_id))
        .dispatch();
    assert_eq!(page.status(), Status::Ok);
}
