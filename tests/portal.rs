//! The employee portal, driven through the real app.

use crate::common::*;
use rocket::http::Status;

#[test]
fn home_and_form_render_with_every_field() {
    let app = TestApp::new();
    let home = get_ok(&app.client, "/");
    assert!(home.contains("How can we help?"));
    let form = get_ok(&app.client, "/tickets/new");
    for field in [
        "name",
        "email",
        "category",
        "priority",
        "subject",
        "message",
        "attachments",
    ] {
        assert!(
            form.contains(&format!("name=\"{field}\"")),
            "form has field {field}"
        );
    }
    // Critical is reserved for staff: employees cannot pick it.
    assert!(form.contains(">High<"));
    assert!(!form.contains(">Critical<"));
}

#[test]
fn submission_redirects_to_ticket_page_with_tracking_id_and_attachment() {
    let app = TestApp::new();
    let tid = submit_ticket(
        &app.client,
        &TicketInput::default(),
        &[("error.png", "image/png", b"\x89PNG fake image")],
    );
    let page = get_ok(&app.client, &format!("/tickets/{tid}"));
    assert!(page.contains(&tid));
    assert!(page.contains("Printer on floor 2 is offline"));
    assert!(page.contains("The printer by the kitchen shows offline."));
    assert!(page.contains("error.png"));
    assert_eq!(app.count("SELECT COUNT(*) FROM attachments"), 1);
    // The download is the same bytes, as an attachment with a content type we chose.
    let id = app.count("SELECT id FROM attachments");
    let res = app
        .client
        .get(format!("/tickets/{tid}/attachments/{id}"))
        .dispatch();
    assert_eq!(res.status(), Status::Ok);
    assert!(
        res.headers()
            .get_one("Content-Disposition")
            .unwrap_or("")
            .starts_with("attachment;")
    );
    assert_eq!(res.headers().get_one("Content-Type"), Some("image/png"));
    assert_eq!(res.into_bytes().unwrap_or_default(), b"\x89PNG fake image");
}

#[test]
fn tracking_ids_are_unique_and_well_formed() {
    let app = TestApp::new();
    let mut seen = std::collections::HashSet::new();
    for _ in 0..20 {
        let tid = submit_ticket(&app.client, &TicketInput::default(), &[]);
        assert!(is_tracking_id(&tid));
        assert!(seen.insert(tid));
    }
}

#[test]
fn validation_errors_keep_input_and_sit_next_to_fields() {
    let app = TestApp::new();
    let token = csrf(&app.client, "/tickets/new");
    let mut form = Multipart::new();
    form.text("csrf_token", &token)
        .text("name", "Ana")
        .text("email", "not-an-email")
        .text("category", "")
        .text("subject", "Wi-Fi down in room 4")
        .text("message", "");
    let res = form.post(&app.client, "/tickets");
    assert_eq!(res.status(), Status::UnprocessableEntity);
    let body = res.into_string().unwrap_or_default();
    assert!(
        body.contains("value=\"Wi-Fi down in room 4\""),
        "subject kept"
    );
    assert!(body.contains("value=\"not-an-email\""), "email kept");
    assert!(body.contains("id=\"email-error\""));
    assert!(body.contains("id=\"category-error\""));
    assert!(body.contains("id=\"message-error\""));
    assert!(!body.contains("id=\"subject-error\""));
    assert_eq!(app.count("SELECT COUNT(*) FROM tickets"), 0);
}

#[test]
fn staff_only_priority_and_bad_attachment_types_are_refused() {
    let app = TestApp::new();
    let critical = app
        .count("SELECT id FROM priorities WHERE slug = 'critical'")
        .to_string();
    let token = csrf(&app.client, "/tickets/new");
    let mut form = Multipart::new();
    form.text("csrf_token", &token)
        .text("name", "Ana")
        .text("email", "ana@office.example")
        .text("category", "1")
        .text("priority", &critical)
        .text("subject", "Urgent")
        .text("message", "Everything is on fire")
        .file(
            "attachments",
            "payload.html",
            "text/html",
            b"<script>alert(1)</script>",
        );
    let res = form.post(&app.client, "/tickets");
    assert_eq!(res.status(), Status::UnprocessableEntity);
    let body = res.into_string().unwrap_or_default();
    assert!(body.contains("id=\"priority-error\""));
    assert!(body.contains("id=\"attachments-error\""));
    assert!(body.contains("payload.html"));
    assert_eq!(app.count("SELECT COUNT(*) FROM tickets"), 0);
}

#[test]
fn lookup_by_tracking_id_and_email_with_one_generic_error() {
    let app = TestApp::new();
    let tid = submit_ticket(&app.client, &TicketInput::default(), &[]);
    let other = app.other_client();
    // Without proof the ticket page shows only the small access form.
    let page = get_ok(&other, &format!("/tickets/{tid}"));
    assert!(!page.contains("The printer by the kitchen"));
    assert!(page.contains("name=\"email\""));
    let token = csrf(&other, "/");
    let wrong_email = post_form(
        &other,
        "/tickets/lookup",
        &[
            ("csrf_token", &token),
            ("tracking_id", &tid),
            ("email", "eve@evil.example"),
        ],
    );
    assert_eq!(wrong_email.status(), Status::NotFound);
    let msg1 = wrong_email.into_string().unwrap_or_default();
    let wrong_id = post_form(
        &other,
        "/tickets/lookup",
        &[
            ("csrf_token", &token),
            ("tracking_id", "AAA-BBB-CCCC"),
            ("email", "ana@office.example"),
        ],
    );
    let msg2 = wrong_id.into_string().unwrap_or_default();
    let generic = "We could not find a ticket with that tracking ID and email address";
    assert!(msg1.contains(generic) && msg2.contains(generic));
    // Lowercase and without dashes is accepted, email case-insensitively.
    let typed = tid.to_lowercase().replace('-', "");
    let ok = post_form(
        &other,
        "/tickets/lookup",
        &[
            ("csrf_token", &token),
            ("tracking_id", &typed),
            ("email", "ANA@office.example"),
        ],
    );
    assert_eq!(ok.status(), Status::SeeOther);
    assert_eq!(location(&ok), format!("/tickets/{tid}"));
    assert!(get_ok(&other, &format!("/tickets/{tid}")).contains("The printer by the kitchen"));
}

#[test]
fn lookup_failures_are_throttled_per_client_address() {
    let app = TestApp::new();
    let token = csrf(&app.client, "/");
    let attempt = |ip: &str| {
        app.client
            .post("/tickets/lookup")
            .header(rocket::http::ContentType::Form)
            .remote(format!("{ip}:5000").parse().expect("addr"))
            .body(format!(
                "csrf_token={}&tracking_id=AAA-BBB-CCCC&email=x%40y.example",
                urlencode(&token)
            ))
            .dispatch()
            .status()
    };
    for _ in 0..10 {
        assert_eq!(attempt("10.0.0.7"), Status::NotFound);
    }
    assert_eq!(attempt("10.0.0.7"), Status::TooManyRequests);
    // Another address is not punished for it.
    assert_eq!(attempt("10.0.0.8"), Status::NotFound);
}

#[test]
fn secret_link_opens_the_ticket() {
    let app = TestApp::new();
    let tid = submit_ticket(&app.client, &TicketInput::default(), &[]);
    let t = tid.clone();
    let token: String = app
        .db
        .read_blocking(move |c| {
            Ok(c.query_row(
                "SELECT access_token FROM tickets WHERE tracking_id = ?1",
                [&t],
                |r| r.get(0),
            )?)
        })
        .expect("token");
    let other = app.other_client();
    let bad = get_ok(&other, &format!("/tickets/{tid}?token=0000"));
    assert!(!bad.contains("The printer by the kitchen"));
    let good = get_ok(&other, &format!("/tickets/{tid}?token={token}"));
    assert!(good.contains("The printer by the kitchen"));
    // The link's access is remembered.
    assert!(get_ok(&other, &format!("/tickets/{tid}")).contains("The printer by the kitchen"));
}

#[test]
fn requester_replies_resolves_and_reopens() {
    let app = TestApp::new();
    let tid = submit_ticket(&app.client, &TicketInput::default(), &[]);
    let token = csrf(&app.client, &format!("/tickets/{tid}"));
    let mut form = Multipart::new();
    form.text("csrf_token", &token)
        .text("message", "It also makes a clicking noise.")
        .file("attachments", "noise.txt", "text/plain", b"click click");
    let res = form.post(&app.client, &format!("/tickets/{tid}/reply"));
    assert_eq!(res.status(), Status::SeeOther);
    let page = get_ok(&app.client, &format!("/tickets/{tid}"));
    assert!(page.contains("It also makes a clicking noise."));
    assert!(page.contains("noise.txt"));

    let res = post_form(
        &app.client,
        &format!("/tickets/{tid}/resolve"),
        &[("csrf_token", &token)],
    );
    assert_eq!(res.status(), Status::SeeOther);
    let page = get_ok(&app.client, &format!("/tickets/{tid}"));
    assert!(page.contains("status-resolved"));
    assert!(page.contains("Reopen the ticket"));

    let res = post_form(
        &app.client,
        &format!("/tickets/{tid}/reopen"),
        &[("csrf_token", &token)],
    );
    assert_eq!(res.status(), Status::SeeOther);
    let page = get_ok(&app.client, &format!("/tickets/{tid}"));
    assert!(page.contains("status-in_progress"));
    // Each change is in the history, by the requester.
    assert_eq!(
        app.count("SELECT COUNT(*) FROM ticket_events WHERE field = 'status' AND staff_id IS NULL"),
        2
    );
}

#[test]
fn a_stranger_cannot_reply_or_download() {
    let app = TestApp::new();
    let tid = submit_ticket(
        &app.client,
        &TicketInput::default(),
        &[("a.txt", "text/plain", b"secret")],
    );
    let other = app.other_client();
    let token = csrf(&other, "/");
    let res = post_form(
        &other,
        &format!("/tickets/{tid}/resolve"),
        &[("csrf_token", &token)],
    );
    assert_eq!(res.status(), Status::Forbidden);
    let id = app.count("SELECT id FROM attachments");
    assert_eq!(
        other
            .get(format!("/tickets/{tid}/attachments/{id}"))
            .dispatch()
            .status(),
        Status::NotFound
    );
    assert_eq!(
        app.count("SELECT COUNT(*) FROM ticket_events WHERE field = 'status'"),
        0
    );
}

#[test]
fn healthz_answers() {
    let app = TestApp::new();
    let res = app.client.get("/healthz").dispatch();
    assert_eq!(res.status(), Status::Ok);
    assert_eq!(res.into_string().as_deref(), Some("ok"));
}

#[test]
fn the_page_after_submitting_confirms_it() {
    let app = TestApp::new();
    let token = csrf(&app.client, "/tickets/new");
    let mut form = Multipart::new();
    form.text("csrf_token", &token)
        .text("name", "Ana")
        .text("email", "ana@office.example")
        .text("category", "1")
        .text("subject", "Keyboard broken")
        .text("message", "Two keys are missing.");
    let res = form.post(&app.client, "/tickets");
    let page = get_ok(&app.client, &location(&res));
    assert!(page.contains("Your ticket has been submitted."));
    // A later visit does not repeat the banner.
    let tid = location(&res)
        .trim_start_matches("/tickets/")
        .split('?')
        .next()
        .unwrap_or("")
        .to_string();
    assert!(
        !get_ok(&app.client, &format!("/tickets/{tid}"))
            .contains("Your ticket has been submitted.")
    );
}

/// The form is rendered once and kept (see web/page_cache.rs): each visitor still gets their own
/// token, and what admins change shows at once.
#[test]
fn the_shared_form_has_each_visitors_token_and_follows_admin_changes() {
    let app = TestApp::new();
    let other = app.other_client();
    let mine = csrf(&app.client, "/tickets/new");
    let theirs = csrf(&other, "/tickets/new");
    assert_ne!(mine, theirs, "a token per visitor");
    assert_eq!(csrf(&other, "/tickets/new"), theirs, "and it stays theirs");
    assert!(!get_ok(&other, "/tickets/new").contains("csrf-slot"));
    submit_ticket(&other, &TicketInput::default(), &[]);

    // An admin on the same desk changes the settings and a category, then logs out.
    admin_renames_desk_and_hardware(&app);

    let form = get_ok(&app.client, "/tickets/new");
    assert!(!form.contains("/staff/logout"), "seen as an employee again");
    assert!(form.contains("Floor 2 IT"), "new desk name shown at once");
    assert!(form.contains("data-max-bytes=\"7340032\""));
    assert!(form.contains(">Printers and PCs<") && !form.contains(">Hardware<"));
    let token = csrf_in(&form);
    assert_eq!(token, csrf(&app.client, "/tickets/new"));
    assert!(token != theirs && !token.contains("slot"));
}
