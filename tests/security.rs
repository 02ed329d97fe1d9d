//! Secure by default: escaping, CSRF, body limits, headers, safe downloads.

use crate::common::*;
use rocket::http::{ContentType, Status};

const XSS: &str = "<script>alert('x')</script>";

#[test]
fn script_in_every_field_comes_back_escaped_everywhere() {
    let app = TestApp::new();
    let tid = submit_ticket(
        &app.client,
        &TicketInput {
            name: XSS,
            email: "ana@office.example",
            category: "1",
            subject: XSS,
            message: XSS,
        },
        &[("<img src=x onerror=alert(1)>.txt", "text/plain", b"hi")],
    );
    let id = ticket_id(&app, &tid);
    let staff = app.other_client();
    login(&staff, AGENT_EMAIL, AGENT_PASSWORD);
    let token = csrf(&staff, &format!("/staff/tickets/{id}"));
    let mut note = Multipart::new();
    note.text("csrf_token", &token)
        .text("kind", "reply")
        .text("message", XSS);
    note.post(&staff, &format!("/staff/tickets/{id}/reply"));
    let pages = [
        get_ok(&app.client, &format!("/tickets/{tid}")),
        get_ok(&staff, "/staff/tickets"),
        get_ok(&staff, &format!("/staff/tickets/{id}")),
        get_ok(&staff, &format!("/staff/tickets?q={}", urlencode(XSS))),
    ];
    for page in &pages {
        assert!(!page.contains("<script>alert"), "raw script tag in page");
        assert!(!page.contains("<img src=x"), "raw img tag in page");
    }
    assert!(pages[0].contains("&lt;script&gt;alert(&#x27;x&#x27;)&lt;&#x2F;script&gt;"));
    assert!(pages[2].contains("&lt;script&gt;"));
}

#[test]
fn staff_post_without_csrf_token_is_refused_and_changes_nothing() {
    let app = TestApp::new();
    let tid = submit_ticket(&app.client, &TicketInput::default(), &[]);
    let id = ticket_id(&app, &tid);
    login(&app.client, ADMIN_EMAIL, ADMIN_PASSWORD);
    let closed = app
        .count("SELECT id FROM statuses WHERE slug = 'closed'")
        .to_string();
    let res = post_form(
        &app.client,
        &format!("/staff/tickets/{id}/update"),
        &[("status", &closed)],
    );
    assert_eq!(res.status(), Status::Forbidden);
    assert!(
        res.into_string()
            .unwrap_or_default()
            .contains("security token")
    );
    let res = post_form(
        &app.client,
        &format!("/staff/tickets/{id}/update"),
        &[("csrf_token", "forged"), ("status", &closed)],
    );
    assert_eq!(res.status(), Status::Forbidden);
    let mut reply = Multipart::new();
    reply.text("kind", "reply").text("message", "forged reply");
    assert_eq!(
        reply
            .post(&app.client, &format!("/staff/tickets/{id}/reply"))
            .status(),
        Status::Forbidden
    );
    assert_eq!(
        app.count("SELECT COUNT(*) FROM ticket_events WHERE field = 'status'"),
        0
    );
    assert_eq!(app.count("SELECT COUNT(*) FROM messages"), 1);
}

#[test]
fn portal_posts_need_the_token_too() {
    let app = TestApp::new();
    get_ok(&app.client, "/tickets/new");
    let mut form = Multipart::new();
    form.text("name", "Ana")
        .text("email", "ana@office.example")
        .text("category", "1")
        .text("subject", "x")
        .text("message", "y");
    assert_eq!(
        form.post(&app.client, "/tickets").status(),
        Status::Forbidden
    );
    let res = post_form(
        &app.client,
        "/staff/login",
        &[("email", ADMIN_EMAIL), ("password", ADMIN_PASSWORD)],
    );
    assert_eq!(res.status(), Status::Forbidden);
    assert_eq!(app.count("SELECT COUNT(*) FROM tickets"), 0);
}

#[test]
fn oversize_upload_gets_a_clear_413_page_and_the_server_keeps_serving() {
    let app = TestApp::new();
    let token = csrf(&app.client, "/tickets/new");
    let big = vec![b'a'; 30 * 1024 * 1024];
    let mut form = Multipart::new();
    form.text("csrf_token", &token)
        .text("name", "Ana")
        .text("email", "ana@office.example")
        .text("category", "1")
        .text("subject", "Huge log")
        .text("message", "See attached")
        .file("attachments", "huge.log", "text/plain", &big);
    let res = form.post(&app.client, "/tickets");
    assert_eq!(res.status(), Status::PayloadTooLarge);
    let body = res.into_string().unwrap_or_default();
    assert!(body.contains("413") && body.contains("upload is too large"));
    assert_eq!(app.count("SELECT COUNT(*) FROM tickets"), 0);
    // Still serving, and a normal ticket goes through.
    submit_ticket(&app.client, &TicketInput::default(), &[]);
}

#[test]
fn attachment_over_the_desk_limit_is_a_field_error() {
    let app = TestApp::new();
    let token = csrf(&app.client, "/tickets/new");
    let big = vec![b'a'; 11 * 1024 * 1024];
    let mut form = Multipart::new();
    form.text("csrf_token", &token)
        .text("name", "Ana")
        .text("email", "ana@office.example")
        .text("category", "1")
        .text("subject", "Big log")
        .text("message", "See attached")
        .file("attachments", "big.log", "text/plain", &big);
    let res = form.post(&app.client, "/tickets");
    assert_eq!(res.status(), Status::UnprocessableEntity);
    let body = res.into_string().unwrap_or_default();
    assert!(body.contains("big.log is larger than the allowed size"));
    assert!(body.contains("value=\"Big log\""), "input kept");
}

#[test]
fn malformed_forms_get_an_error_page_not_a_crash() {
    let app = TestApp::new();
    let token = csrf(&app.client, "/tickets/new");
    let res = app
        .client
        .post("/tickets")
        .header(Multipart::content_type())
        .body("garbage without boundaries")
        .dispatch();
    assert!(
        res.status().code >= 400 && res.status().code < 500,
        "got {}",
        res.status()
    );
    let res = app
        .client
        .post("/staff/login")
        .header(ContentType::Form)
        .body("%%%=%%%&&&")
        .dispatch();
    assert!(res.status().code >= 400 && res.status().code < 500);
    let res = app.client.get("/tickets/%00%ff").dispatch();
    assert!(res.status() == Status::Ok || res.status().code >= 400);
    let res = app.client.get("/staff/tickets/notanumber").dispatch();
    assert!(res.status().code >= 300);
    let _ = token;
    submit_ticket(&app.client, &TicketInput::default(), &[]);
}

#[test]
fn security_headers_and_cookie_flags() {
    let app = TestApp::new();
    let res = app.client.get("/").dispatch();
    let h = res.headers();
    let csp = h.get_one("Content-Security-Policy").unwrap_or("");
    assert!(csp.contains("frame-ancestors 'none'") && csp.contains("default-src 'self'"));
    assert_eq!(h.get_one("X-Content-Type-Options"), Some("nosniff"));
    assert_eq!(h.get_one("Referrer-Policy"), Some("same-origin"));
    let cookie = h.get_one("Set-Cookie").unwrap_or("");
    assert!(
        cookie.contains("HttpOnly") && cookie.contains("SameSite=Lax"),
        "cookie flags: {cookie}"
    );
}

#[test]
fn attachments_download_with_a_safe_type_whatever_the_upload_claimed() {
    let app = TestApp::with_config(|_| {});
    let tid = submit_ticket(
        &app.client,
        &TicketInput::default(),
        &[("notes.txt", "text/html", b"<script>alert(1)</script>")],
    );
    let id = app.count("SELECT id FROM attachments");
    let res = app
        .client
        .get(format!("/tickets/{tid}/attachments/{id}"))
        .dispatch();
    assert_eq!(res.status(), Status::Ok);
    assert_eq!(
        res.headers().get_one("Content-Type"),
        Some("text/plain; charset=utf-8")
    );
    assert!(
        res.headers()
            .get_one("Content-Disposition")
            .unwrap_or("")
            .starts_with("attachment; filename=\"notes.txt\"")
    );
    assert!(
        res.headers()
            .get_one("Content-Security-Policy")
            .unwrap_or("")
            .contains("sandbox")
    );
    assert_eq!(
        res.headers().get_one("X-Content-Type-Options"),
        Some("nosniff")
    );
}

#[test]
fn sessions_expire() {
    let app = TestApp::with_config(|c| c.session_hours = 1);
    // The same session cookie, but issued two hours ago.
    login(&app.client, AGENT_EMAIL, AGENT_PASSWORD);
    let sid = app
        .client
        .cookies()
        .get_private("sid")
        .expect("session cookie");
    // The fresh cookie still works…
    let fresh = app.other_client();
    let res = fresh
        .get("/staff/tickets")
        .private_cookie(sid.clone())
        .dispatch();
    assert_eq!(res.status(), Status::Ok);
    let mut parts: Vec<String> = sid.value().split(':').map(str::to_string).collect();
    parts[2] = (helpdesk::db::now() - 2 * 3600).to_string();
    let fresh = app.other_client();
    let res = fresh
        .get("/staff/tickets")
        .private_cookie(rocket::http::Cookie::build(("sid", parts.join(":"))).path("/"))
        .dispatch();
    assert_eq!(res.status(), Status::SeeOther);
    assert!(location(&res).starts_with("/staff/login"));
}

#[test]
fn tracking_ids_do_not_leak_ticket_existence() {
    let app = TestApp::new();
    let tid = submit_ticket(&app.client, &TicketInput::default(), &[]);
    let other = app.other_client();
    let real = get_ok(&other, &format!("/tickets/{tid}"));
    let fake = get_ok(&other, "/tickets/AAA-BBB-CCCC");
    // Both pages are the same access form (apart from the ID itself).
    assert_eq!(real.replace(&tid, "X"), fake.replace("AAA-BBB-CCCC", "X"));
}

/// A `next` that is no valid URI (a space, a quote, `<`, non-ASCII) is treated as none: the
/// language switch and a successful login go to their default instead of answering 500.
#[test]
fn a_next_that_is_not_a_uri_goes_to_the_default() {
    let app = TestApp::new();
    let bad = ["/a b", "/\"x", "/<script>", "/tickets/ñ", "/x\ty"];
    let token = csrf(&app.client, "/");
    for next in bad {
        let res = post_form(
            &app.client,
            "/lang",
            &[("csrf_token", &token), ("lang", "es"), ("next", next)],
        );
        assert_eq!(res.status(), Status::SeeOther, "/lang with next {next:?}");
        assert_eq!(location(&res), "/", "/lang with next {next:?}");
    }
    // A valid one is still followed.
    let res = post_form(
        &app.client,
        "/lang",
        &[
            ("csrf_token", &token),
            ("lang", "en"),
            ("next", "/kb?q=a%20b"),
        ],
    );
    assert_eq!(location(&res), "/kb?q=a%20b");

    for next in bad {
        let staff = app.other_client();
        let token = csrf(&staff, "/staff/login");
        let res = post_form(
            &staff,
            "/staff/login",
            &[
                ("csrf_token", &token),
                ("email", AGENT_EMAIL),
                ("password", AGENT_PASSWORD),
                ("next", next),
            ],
        );
        assert_eq!(res.status(), Status::SeeOther, "login with next {next:?}");
        assert_eq!(location(&res), "/staff", "login with next {next:?}");
        get_ok(&staff, "/staff");
    }
}

/// A staff attachment URL names its ticket: another ticket's file is not served under it.
#[test]
fn staff_attachment_urls_serve_only_that_tickets_files() {
    let app = TestApp::new();
    let first = submit_ticket(
        &app.client,
        &TicketInput::default(),
        &[("first.txt", "text/plain", b"first ticket's file")],
    );
    let second = submit_ticket(
        &app.client,
        &TicketInput {
            subject: "Second ticket",
            ..TicketInput::default()
        },
        &[("second.txt", "text/plain", b"second ticket's file")],
    );
    let (first, second) = (ticket_id(&app, &first), ticket_id(&app, &second));
    let file_of = |ticket: i64| {
        app.count(&format!(
            "SELECT id FROM attachments WHERE ticket_id = {ticket}"
        ))
    };
    let staff = app.other_client();
    login(&staff, AGENT_EMAIL, AGENT_PASSWORD);
    let res = staff
        .get(format!(
            "/staff/tickets/{second}/attachments/{}",
            file_of(second)
        ))
        .dispatch();
    assert_eq!(res.status(), Status::Ok);
    assert_eq!(
        res.into_string().unwrap_or_default(),
        "second ticket's file"
    );
    let res = staff
        .get(format!(
            "/staff/tickets/{first}/attachments/{}",
            file_of(second)
        ))
        .dispatch();
    assert_eq!(res.status(), Status::NotFound);
    assert!(
        !res.into_string()
            .unwrap_or_default()
            .contains("second ticket's file")
    );
    let res = staff
        .get(format!("/staff/tickets/{first}/attachments/9999"))
        .dispatch();
    assert_eq!(res.status(), Status::NotFound);
}

/// How often `token` appears in `page` outside the forms' `csrf_token` fields.
fn token_outside_forms(page: &str, token: &str) -> usize {
    let fields = page
        .matches(&format!("name=\"csrf_token\" value=\"{token}\""))
        .count();
    page.matches(token).count() - fields
}

/// Kept pages put each visitor's CSRF token in place of a placeholder; user text that holds the
/// placeholder the desk once used (a fixed string) is shown as it is, never replaced by the
/// viewer's token, on the first view and on a kept one.
#[test]
fn user_text_cannot_pull_the_viewers_csrf_token_into_a_kept_page() {
    const OLD_SLOT: &str = "csrf-slot-7e1f0b9c4a52d8e36b0f";
    let app = TestApp::new();
    let subject = format!("Printer {OLD_SLOT} offline");
    let message = format!("Token please: {OLD_SLOT}");
    let tid = submit_ticket(
        &app.client,
        &TicketInput {
            subject: &subject,
            message: &message,
            ..TicketInput::default()
        },
        &[],
    );
    let id = ticket_id(&app, &tid);
    let staff = app.other_client();
    login(&staff, AGENT_EMAIL, AGENT_PASSWORD);
    let pages = [
        (&app.client, format!("/tickets/{tid}")),
        (&staff, format!("/staff/tickets/{id}")),
        (&staff, "/staff/tickets".to_string()),
    ];
    for (client, path) in pages {
        // The first view renders and keeps the page, the second comes from the kept copy.
        for view in ["first", "kept"] {
            let page = get_ok(client, &path);
            let token = csrf_in(&page);
            assert!(
                page.contains(&subject),
                "{path} ({view}) shows the subject as written"
            );
            if !path.ends_with("/tickets") {
                assert!(
                    page.contains(&message),
                    "{path} ({view}) shows the message as written"
                );
            }
            assert_eq!(
                token_outside_forms(&page, &token),
                0,
                "{path} ({view}) shows the viewer's token outside its forms"
            );
        }
    }
}

/// Every `Set-Cookie` and the HSTS header of the responses of a visit that sets each of the
/// desk's cookies: the CSRF cookie, the language, a ticket's access, a flash message (set and
/// removed), the staff session (set and ended).
fn cookies_of_a_visit(app: &TestApp) -> (Vec<String>, Vec<Option<String>>) {
    use rocket::local::blocking::LocalResponse;
    let mut cookies = Vec::new();
    let mut hsts = Vec::new();
    let mut keep = |res: &LocalResponse<'_>| {
        cookies.extend(res.headers().get("Set-Cookie").map(str::to_string));
        hsts.push(
            res.headers()
                .get_one("Strict-Transport-Security")
                .map(str::to_string),
        );
    };
    let client = app.other_client();
    let res = client.get("/tickets/new").dispatch();
    keep(&res);
    let token = csrf_in(&res.into_string().unwrap_or_default());
    keep(&post_form(
        &client,
        "/lang",
        &[("csrf_token", &token), ("lang", "en"), ("next", "/")],
    ));
    let input = TicketInput::default();
    let mut form = Multipart::new();
    form.text("csrf_token", &token)
        .text("name", input.name)
        .text("email", input.email)
        .text("category", input.category)
        .text("priority", "")
        .text("subject", input.subject)
        .text("message", input.message);
    let res = form.post(&client, "/tickets");
    assert_eq!(res.status(), Status::SeeOther);
    keep(&res);
    let ticket = location(&res);
    keep(&client.get(ticket).dispatch());
    let token = csrf(&client, "/staff/login");
    keep(&post_form(
        &client,
        "/staff/login",
        &[
            ("csrf_token", &token),
            ("email", AGENT_EMAIL),
            ("password", AGENT_PASSWORD),
        ],
    ));
    keep(&post_form(
        &client,
        "/staff/logout",
        &[("csrf_token", &token)],
    ));
    keep(&client.get("/staff/login").dispatch());
    (cookies, hsts)
}

fn cookie_name(set_cookie: &str) -> &str {
    set_cookie.split('=').next().unwrap_or("")
}

fn is_secure(set_cookie: &str) -> bool {
    set_cookie.split("; ").any(|attr| attr == "Secure")
}

/// Behind HTTPS (`base_url` https://) every cookie the desk sets is `Secure`, flash messages and
/// removals included, and every response carries HSTS.
#[test]
fn https_base_url_makes_every_cookie_secure_and_sends_hsts() {
    let app = TestApp::with_config(|c| c.base_url = "https://help.example.com".into());
    let (cookies, hsts) = cookies_of_a_visit(&app);
    let names: std::collections::BTreeSet<&str> = cookies.iter().map(|c| cookie_name(c)).collect();
    for name in ["csrf", "lang", "tickets", "_flash", "sid"] {
        assert!(names.contains(name), "no {name} cookie set: {cookies:?}");
    }
    for cookie in &cookies {
        assert!(is_secure(cookie), "cookie without Secure: {cookie}");
    }
    for header in hsts {
        assert_eq!(header.as_deref(), Some("max-age=31536000"));
    }
}

/// With an http:// `base_url` (the default) nothing changes: no `Secure`, no HSTS.
#[test]
fn http_base_url_sets_no_secure_flag_and_no_hsts() {
    let app = TestApp::new();
    let (cookies, hsts) = cookies_of_a_visit(&app);
    let names: std::collections::BTreeSet<&str> = cookies.iter().map(|c| cookie_name(c)).collect();
    for name in ["csrf", "lang", "tickets", "_flash", "sid"] {
        assert!(names.contains(name), "no {name} cookie set: {cookies:?}");
    }
    for cookie in &cookies {
        assert!(!is_secure(cookie), "cookie with Secure over http: {cookie}");
    }
    assert!(hsts.iter().all(Option::is_none), "HSTS over http");
}
