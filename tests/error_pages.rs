//! Error pages keep the layout of where one was: the desk's under `/staff` and `/admin` (with the
//! staff member's navigation), the portal's elsewhere; a 403 says why (an agent on an admin page,
//! a refused action, a form's expired token); the API's JSON errors stay as they are.

use crate::common::*;
use rocket::http::{ContentType, Status};
use rocket::local::blocking::Client;

fn agent(app: &TestApp) -> Client {
    let client = app.other_client();
    login(&client, AGENT_EMAIL, AGENT_PASSWORD);
    client
}

/// Status and page of a GET, in `lang`.
fn get_in(client: &Client, path: &str, lang: &str) -> (Status, String) {
    let res = client.get(path).header(accept_language(lang)).dispatch();
    (res.status(), res.into_string().unwrap_or_default())
}

/// The desk's layout with the agent signed in: the wide body and the staff navigation.
fn desk_with_agent(page: &str) -> bool {
    page.contains("<body class=\"desk\">")
        && page.contains("href=\"/staff/kb\"")
        && page.contains("Gus Agent")
        && !page.contains("href=\"/staff/login\"")
}

fn portal(page: &str) -> bool {
    page.contains("<body class=\"portal\">") && page.contains("href=\"/tickets/new\"")
}

#[test]
fn an_agent_on_an_admin_page_is_told_it_is_for_administrators_in_the_desk() {
    let app = TestApp::new();
    let staff = agent(&app);
    for path in [
        "/admin",
        "/admin/settings",
        "/admin/mail",
        "/admin/categories/1",
    ] {
        let (status, page) = get_in(&staff, path, "en");
        assert_eq!(status, Status::Forbidden, "{path}");
        assert!(
            page.contains("This page is for administrators."),
            "{path}: {page}"
        );
        assert!(
            !page.contains("security token"),
            "not a CSRF message: {path}"
        );
        assert!(desk_with_agent(&page), "{path}: {page}");
        assert!(page.contains("<a class=\"button\" href=\"/staff\">Back to the desk</a>"));
    }
    let (_, page) = get_in(&staff, "/admin/settings", "es");
    assert!(page.contains("Esta página es para administradores."));
    // A form posted to an admin page with a valid token: the same answer, nothing saved.
    let token = csrf(&staff, "/staff/tickets");
    let res = post_form(
        &staff,
        "/admin/categories",
        &[
            ("csrf_token", &token),
            ("name", "Sneaky"),
            ("default_priority", "1"),
        ],
    );
    assert_eq!(res.status(), Status::Forbidden);
    assert!(
        res.into_string()
            .unwrap_or_default()
            .contains("for administrators")
    );
    assert_eq!(
        app.count("SELECT COUNT(*) FROM categories WHERE name = 'Sneaky'"),
        0
    );
    // Nobody signed in: still the login form.
    let res = app.client.get("/admin/settings").dispatch();
    assert_eq!(res.status(), Status::SeeOther);
    assert!(location(&res).starts_with("/staff/login"));
}

#[test]
fn a_forms_expired_token_and_a_refused_action_say_different_things() {
    let app = TestApp::new();
    let staff = agent(&app);
    let res = post_form(
        &staff,
        "/staff/kb/categories",
        &[("csrf_token", "expired"), ("name", "X")],
    );
    assert_eq!(res.status(), Status::Forbidden);
    let page = res.into_string().unwrap_or_default();
    assert!(page.contains("security token"), "{page}");
    assert!(desk_with_agent(&page), "{page}");

    // A shared canned reply is the admins' to change: the handler refuses the agent.
    let admin = app.other_client();
    login(&admin, ADMIN_EMAIL, ADMIN_PASSWORD);
    let token = csrf(&admin, "/staff/canned/new");
    let res = post_form(
        &admin,
        "/staff/canned/new",
        &[
            ("csrf_token", &token),
            ("title", "Shared one"),
            ("body", "Hello"),
            ("scope", "shared"),
            ("category", ""),
            ("status", ""),
            ("priority", ""),
        ],
    );
    assert_eq!(res.status(), Status::SeeOther);
    let shared = app.count("SELECT id FROM canned_replies WHERE title = 'Shared one'");
    let (status, page) = get_in(&staff, &format!("/staff/canned/{shared}"), "en");
    assert_eq!(status, Status::Forbidden);
    assert!(page.contains("You may not do this here."), "{page}");
    assert!(!page.contains("security token") && desk_with_agent(&page));
}

#[test]
fn not_found_keeps_the_desks_or_the_portals_layout() {
    let app = TestApp::new();
    let staff = agent(&app);
    // No such route, and a handler's own "not found", in the desk.
    for path in [
        "/staff/no-such-page",
        "/staff/tickets/999999",
        "/staff/kb/999999",
    ] {
        let (status, page) = get_in(&staff, path, "en");
        assert_eq!(status, Status::NotFound, "{path}");
        assert!(page.contains("This page does not exist."), "{path}");
        assert!(desk_with_agent(&page), "{path}: {page}");
    }
    let (status, page) = get_in(&staff, "/staff/nada", "es");
    assert_eq!(status, Status::NotFound);
    assert!(page.contains("Volver al escritorio") && page.contains("<body class=\"desk\">"));
    // An admin's desk under /admin.
    let admin = app.other_client();
    login(&admin, ADMIN_EMAIL, ADMIN_PASSWORD);
    let (status, page) = get_in(&admin, "/admin/nothing-here", "en");
    assert_eq!(status, Status::NotFound);
    assert!(page.contains("<body class=\"desk\">") && page.contains("href=\"/admin\""));
    // The portal's for everyone else, signed in or not.
    let (status, page) = get_in(&app.client, "/no-such-page", "en");
    assert_eq!(status, Status::NotFound);
    assert!(portal(&page), "{page}");
    assert!(page.contains("href=\"/\">Back to the home page</a>"));
    let (status, page) = get_in(&app.client, "/kb/no-such-article", "en");
    assert_eq!(status, Status::NotFound);
    assert!(portal(&page));
    // Someone not signed in under /staff: the desk's page, and the way to sign in.
    let (status, page) = get_in(&app.client, "/staff/no-such-page", "en");
    assert_eq!(status, Status::NotFound);
    assert!(page.contains("<body class=\"desk\">") && page.contains("href=\"/staff/login\""));
}

#[test]
fn server_errors_keep_the_layout_too() {
    let app = TestApp::new();
    let staff = agent(&app);
    // Tables gone from under the pages: each answers 500 in its own layout.
    app.db
        .write_blocking(|c| {
            c.execute_batch(
                "ALTER TABLE canned_replies RENAME TO canned_gone;
                 ALTER TABLE kb_articles RENAME TO kb_gone;",
            )?;
            Ok(())
        })
        .unwrap();
    let (status, page) = get_in(&staff, "/staff/canned", "en");
    assert_eq!(status, Status::InternalServerError);
    assert!(page.contains("Something went wrong on our side."), "{page}");
    assert!(desk_with_agent(&page), "{page}");
    let (status, page) = get_in(&app.client, "/kb", "en");
    assert_eq!(status, Status::InternalServerError);
    assert!(portal(&page), "{page}");
}

#[test]
fn the_api_keeps_its_json_errors() {
    let app = TestApp::new();
    let res = app.client.get("/api/v1/no-such-thing").dispatch();
    assert_eq!(res.status(), Status::NotFound);
    assert_eq!(res.content_type(), Some(ContentType::JSON));
    let body = res.into_string().unwrap_or_default();
    assert!(body.starts_with("{\"error\":"), "{body}");
    let res = app.client.get("/api/v1/statuses").dispatch();
    assert_eq!(res.status(), Status::Unauthorized);
    assert_eq!(res.content_type(), Some(ContentType::JSON));
}
