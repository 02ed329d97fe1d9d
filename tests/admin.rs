//! Admin pages: staff accounts, categories, statuses and priorities, settings, audit log.

use crate::common::*;
use rocket::http::Status;

fn admin_app() -> TestApp {
    let app = TestApp::new();
    login(&app.client, ADMIN_EMAIL, ADMIN_PASSWORD);
    app
}

#[test]
fn admin_creates_an_agent_who_can_then_log_in() {
    let app = admin_app();
    let token = csrf(&app.client, "/admin/staff");
    let res = post_form(
        &app.client,
        "/admin/staff",
        &[
            ("csrf_token", &token),
            ("email", "ben@example.com"),
            ("name", "Ben"),
            ("role", "agent"),
            ("password", "bens-password-1"),
        ],
    );
    assert_eq!(res.status(), Status::SeeOther);
    assert!(get_ok(&app.client, "/admin/staff").contains("ben@example.com"));
    let ben = app.other_client();
    login(&ben, "ben@example.com", "bens-password-1");
    assert_eq!(
        ben.get("/admin/staff").dispatch().status(),
        Status::Forbidden
    );
    // Duplicate email and short password are field errors, input kept.
    let res = post_form(
        &app.client,
        "/admin/staff",
        &[
            ("csrf_token", &token),
            ("email", "BEN@example.com"),
            ("name", "Ben Two"),
            ("role", "agent"),
            ("password", "long-enough-1"),
        ],
    );
    assert_eq!(res.status(), Status::UnprocessableEntity);
    let body = res.into_string().unwrap_or_default();
    assert!(body.contains("already exists"));
    assert!(body.contains("value=\"Ben Two\""));
    let res = post_form(
        &app.client,
        "/admin/staff",
        &[
            ("csrf_token", &token),
            ("email", "dan@example.com"),
            ("name", "Dan"),
            ("role", "agent"),
            ("password", "short"),
        ],
    );
    assert_eq!(res.status(), Status::UnprocessableEntity);
    assert!(
        res.into_string()
            .unwrap_or_default()
            .contains("at least 10 characters")
    );
    assert_eq!(app.count("SELECT COUNT(*) FROM staff"), 3);
    assert!(app.count("SELECT COUNT(*) FROM audit_log WHERE action LIKE '%staff%'") >= 1);
}

#[test]
fn generated_password_is_shown_once_and_works() {
    let app = admin_app();
    let token = csrf(&app.client, "/admin/staff");
    let res = post_form(
        &app.client,
        "/admin/staff",
        &[
            ("csrf_token", &token),
            ("email", "cleo@example.com"),
            ("name", "Cleo"),
            ("role", "admin"),
            ("password", ""),
        ],
    );
    assert_eq!(res.status(), Status::SeeOther);
    let page = get_ok(&app.client, &location(&res));
    let marker = "<code class=\"mono\">";
    let i = page
        .find(marker)
        .unwrap_or_else(|| panic!("generated password not shown: {page}"));
    let password = page[i + marker.len()..]
        .split('<')
        .next()
        .unwrap_or("")
        .to_string();
    assert!(password.len() >= 12, "password {password:?}");
    let cleo = app.other_client();
    login(&cleo, "cleo@example.com", &password);
    // Shown once: a reload does not show it again.
    assert!(!get_ok(&app.client, &location(&res)).contains(&password));
}

#[test]
fn deactivating_and_resetting_a_password_end_the_agents_sessions() {
    let app = admin_app();
    let agent_id = app.count("SELECT id FROM staff WHERE email = 'agent@example.com'");
    let agent = app.other_client();
    login(&agent, AGENT_EMAIL, AGENT_PASSWORD);
    let token = csrf(&app.client, &format!("/admin/staff/{agent_id}"));
    let res = post_form(
        &app.client,
        &format!("/admin/staff/{agent_id}/password"),
        &[("csrf_token", &token)],
    );
    assert_eq!(res.status(), Status::SeeOther);
    assert_eq!(
        agent.get("/staff/tickets").dispatch().status(),
        Status::SeeOther,
        "session ended by the reset"
    );
    let token2 = csrf(&app.client, &format!("/admin/staff/{agent_id}"));
    // No "active" field = unchecked box = deactivate.
    let res = post_form(
        &app.client,
        &format!("/admin/staff/{agent_id}"),
        &[
            ("csrf_token", &token2),
            ("name", "Gus Agent"),
            ("role", "agent"),
        ],
    );
    assert_eq!(res.status(), Status::SeeOther);
    assert_eq!(
        app.count("SELECT active FROM staff WHERE email = 'agent@example.com'"),
        0
    );
}

#[test]
fn the_last_admin_cannot_demote_or_deactivate_themself() {
    let app = admin_app();
    let me = app.count("SELECT id FROM staff WHERE email = 'admin@example.com'");
    let token = csrf(&app.client, &format!("/admin/staff/{me}"));
    let res = post_form(
        &app.client,
        &format!("/admin/staff/{me}"),
        &[
            ("csrf_token", &token),
            ("name", "Alice"),
            ("role", "agent"),
            ("active", "true"),
        ],
    );
    assert_eq!(res.status(), Status::UnprocessableEntity);
    assert_eq!(
        app.count("SELECT COUNT(*) FROM staff WHERE role = 'admin' AND active = 1"),
        1
    );
}

#[test]
fn categories_with_default_priority_and_agents() {
    let app = admin_app();
    let high = app
        .count("SELECT id FROM priorities WHERE slug = 'high'")
        .to_string();
    let token = csrf(&app.client, "/admin/categories");
    let res = post_form(
        &app.client,
        "/admin/categories",
        &[
            ("csrf_token", &token),
            ("name", "Printers"),
            ("default_priority", &high),
        ],
    );
    assert_eq!(res.status(), Status::SeeOther);
    let id = app.count("SELECT id FROM categories WHERE name = 'Printers'");
    let agent = app
        .count("SELECT id FROM staff WHERE email = 'agent@example.com'")
        .to_string();
    let res = post_form(
        &app.client,
        &format!("/admin/categories/{id}"),
        &[
            ("csrf_token", &token),
            ("name", "Printers & scanners"),
            ("default_priority", &high),
            ("active", "true"),
            ("agents", &agent),
        ],
    );
    assert_eq!(res.status(), Status::SeeOther);
    assert_eq!(
        app.count(&format!(
            "SELECT COUNT(*) FROM category_agents WHERE category_id = {id}"
        )),
        1
    );
    // Employees see it, and a ticket in it gets its default priority.
    let employee = app.other_client();
    let form = get_ok(&employee, "/tickets/new");
    assert!(form.contains("Printers &amp; scanners"));
    submit_ticket(
        &employee,
        &TicketInput {
            category: &id.to_string(),
            ..TicketInput::default()
        },
        &[],
    );
    assert_eq!(
        app.count(&format!(
            "SELECT priority_id FROM tickets WHERE category_id = {id}"
        ))
        .to_string(),
        high
    );
    // Deactivated categories disappear from the portal.
    let res = post_form(
        &app.client,
        &format!("/admin/categories/{id}"),
        &[
            ("csrf_token", &token),
            ("name", "Printers & scanners"),
            ("default_priority", &high),
        ],
    );
    assert_eq!(res.status(), Status::SeeOther);
    assert!(!get_ok(&app.client, "/tickets/new").contains("Printers &amp; scanners"));
}

#[test]
fn statuses_and_priorities_can_be_added_and_renamed() {
    let app = admin_app();
    let token = csrf(&app.client, "/admin/workflow");
    let res = post_form(
        &app.client,
        "/admin/statuses",
        &[
            ("csrf_token", &token),
            ("name", "Waiting on vendor"),
            ("sort", "45"),
        ],
    );
    assert_eq!(res.status(), Status::SeeOther);
    assert!(get_ok(&app.client, "/admin/workflow").contains("Waiting on vendor"));
    let critical = app.count("SELECT id FROM priorities WHERE slug = 'critical'");
    let res = post_form(
        &app.client,
        &format!("/admin/priorities/{critical}"),
        &[
            ("csrf_token", &token),
            ("name", "Emergency"),
            ("rank", "40"),
            ("requester_selectable", "true"),
        ],
    );
    assert_eq!(res.status(), Status::SeeOther);
    let form = get_ok(&app.other_client(), "/tickets/new");
    assert!(
        form.contains(">Emergency<"),
        "renamed priority now open to employees"
    );
    // A built-in closed status stays closed whatever the form says.
    let resolved = app.count("SELECT id FROM statuses WHERE slug = 'resolved'");
    post_form(
        &app.client,
        &format!("/admin/statuses/{resolved}"),
        &[("csrf_token", &token), ("name", "Solved"), ("sort", "50")],
    );
    assert_eq!(
        app.count("SELECT is_closed FROM statuses WHERE slug = 'resolved'"),
        1
    );
    assert_eq!(
        app.count("SELECT COUNT(*) FROM statuses WHERE name = 'Solved'"),
        1
    );
}

#[test]
fn settings_change_the_desk_name_and_upload_rules() {
    let app = admin_app();
    let token = csrf(&app.client, "/admin/settings");
    let res = post_form(
        &app.client,
        "/admin/settings",
        &[
            ("csrf_token", &token),
            ("desk_name", "ACME IT <help>"),
            ("max_attachment_mb", "1"),
            ("allowed_extensions", "txt, pdf"),
        ],
    );
    assert_eq!(res.status(), Status::SeeOther);
    let employee = app.other_client();
    let home = get_ok(&employee, "/");
    assert!(home.contains("ACME IT &lt;help&gt;"));
    let employee_token = csrf(&employee, "/tickets/new");
    let mut form = Multipart::new();
    form.text("csrf_token", &employee_token)
        .text("name", "Ana")
        .text("email", "ana@office.example")
        .text("category", "1")
        .text("subject", "Screenshot")
        .text("message", "see image")
        .file("attachments", "shot.png", "image/png", b"png");
    let body = form
        .post(&employee, "/tickets")
        .into_string()
        .unwrap_or_default();
    assert!(body.contains("shot.png"), "png no longer allowed");
    let mut form = Multipart::new();
    form.text("csrf_token", &employee_token)
        .text("name", "Ana")
        .text("email", "ana@office.example")
        .text("category", "1")
        .text("subject", "Log")
        .text("message", "see log")
        .file(
            "attachments",
            "big.txt",
            "text/plain",
            &vec![b'x'; 1024 * 1024 + 1],
        );
    assert_eq!(
        form.post(&employee, "/tickets").status(),
        Status::UnprocessableEntity
    );
    // Out-of-range values are field errors.
    let res = post_form(
        &app.client,
        "/admin/settings",
        &[
            ("csrf_token", &token),
            ("desk_name", ""),
            ("max_attachment_mb", "0"),
            ("allowed_extensions", ""),
        ],
    );
    assert_eq!(res.status(), Status::UnprocessableEntity);
    assert!(get_ok(&employee, "/").contains("ACME IT &lt;help&gt;"));
}

#[test]
fn audit_log_lists_logins_and_changes() {
    let app = admin_app();
    let page = get_ok(&app.client, "/admin/audit");
    assert!(page.contains("Alice Admin"));
    assert!(app.count("SELECT COUNT(*) FROM audit_log WHERE action = 'login'") >= 1);
}

#[test]
fn admin_posts_need_csrf_and_admin_role() {
    let app = admin_app();
    let res = post_form(
        &app.client,
        "/admin/settings",
        &[
            ("desk_name", "Hacked"),
            ("max_attachment_mb", "5"),
            ("allowed_extensions", "exe"),
        ],
    );
    assert_eq!(res.status(), Status::Forbidden);
    let agent = app.other_client();
    login(&agent, AGENT_EMAIL, AGENT_PASSWORD);
    let token = csrf(&agent, "/staff/tickets");
    let res = post_form(
        &agent,
        "/admin/settings",
        &[
            ("csrf_token", &token),
            ("desk_name", "Hacked"),
            ("max_attachment_mb", "5"),
            ("allowed_extensions", "exe"),
        ],
    );
    assert_eq!(res.status(), Status::Forbidden);
    assert!(!get_ok(&app.client, "/").contains("Hacked"));
}
