//! Staff sessions live on the server: logging out, "sign out everywhere", an admin ending a
//! member's sessions and expiry each end them, and a copy of the session cookie opens nothing
//! afterwards. Real app, real SQLite file, Rocket's client with its own cookie jars.

use rocket::http::Status;
use rocket::local::blocking::Client;

use crate::common::{
    ADMIN_EMAIL, ADMIN_PASSWORD, AGENT_EMAIL, AGENT_PASSWORD, TestApp, csrf, get_ok, location,
    login, post_form,
};

/// Whether `client`, sending `sid` as its session cookie, gets the staff list.
fn opens_the_desk(app: &TestApp, sid: &rocket::http::Cookie<'static>) -> bool {
    let other = app.other_client();
    let res = other
        .get("/staff/tickets")
        .private_cookie(sid.clone())
        .dispatch();
    match res.status() {
        Status::Ok => true,
        Status::SeeOther => {
            assert!(
                location(&res).starts_with("/staff/login"),
                "{}",
                location(&res)
            );
            false
        }
        other => panic!("unexpected {other}"),
    }
}

fn session_cookie(client: &Client) -> rocket::http::Cookie<'static> {
    client
        .cookies()
        .get_private("sid")
        .expect("session cookie")
        .into_owned()
}

fn agent_id(app: &TestApp) -> i64 {
    app.count(&format!(
        "SELECT id FROM staff WHERE email = '{AGENT_EMAIL}'"
    ))
}

#[test]
fn after_logout_a_copy_of_the_session_cookie_opens_nothing() {
    let app = TestApp::new();
    login(&app.client, AGENT_EMAIL, AGENT_PASSWORD);
    let copied = session_cookie(&app.client);
    assert!(opens_the_desk(&app, &copied), "the live session works");
    let token = csrf(&app.client, "/staff/tickets");
    let res = post_form(&app.client, "/staff/logout", &[("csrf_token", &token)]);
    assert_eq!(res.status(), Status::SeeOther);
    assert!(
        !opens_the_desk(&app, &copied),
        "logged out, the copy is dead"
    );
    assert_eq!(app.count("SELECT count(*) FROM staff_sessions"), 0);
}

#[test]
fn sign_out_everywhere_ends_every_browser_of_that_account_only() {
    let app = TestApp::new();
    login(&app.client, AGENT_EMAIL, AGENT_PASSWORD);
    let laptop = app.other_client();
    login(&laptop, AGENT_EMAIL, AGENT_PASSWORD);
    let admin = app.other_client();
    login(&admin, ADMIN_EMAIL, ADMIN_PASSWORD);
    let laptop_sid = session_cookie(&laptop);
    let admin_sid = session_cookie(&admin);

    let page = get_ok(&app.client, "/staff/preferences");
    assert!(page.contains("this browser"), "the sessions are listed");
    let token = csrf(&app.client, "/staff/preferences");
    let res = post_form(
        &app.client,
        "/staff/preferences/sign-out-everywhere",
        &[("csrf_token", &token)],
    );
    assert_eq!(res.status(), Status::SeeOther);
    assert_eq!(location(&res), "/staff/login");
    assert!(
        !opens_the_desk(&app, &laptop_sid),
        "the other browser is out"
    );
    let res = app.client.get("/staff/tickets").dispatch();
    assert_eq!(res.status(), Status::SeeOther, "and this one");
    assert!(opens_the_desk(&app, &admin_sid), "other accounts stay in");
    assert_eq!(
        app.count("SELECT count(*) FROM audit_log WHERE action = 'sign_out_everywhere'"),
        1
    );
}

#[test]
fn an_admin_ends_a_members_sessions() {
    let app = TestApp::new();
    let agent = app.other_client();
    login(&agent, AGENT_EMAIL, AGENT_PASSWORD);
    let agent_sid = session_cookie(&agent);
    login(&app.client, ADMIN_EMAIL, ADMIN_PASSWORD);
    let id = agent_id(&app);
    let page = get_ok(&app.client, &format!("/admin/staff/{id}"));
    assert!(page.contains("Open sessions: 1"), "{page}");
    let token = csrf(&app.client, &format!("/admin/staff/{id}"));
    let res = post_form(
        &app.client,
        &format!("/admin/staff/{id}/sessions/end"),
        &[("csrf_token", &token)],
    );
    assert_eq!(res.status(), Status::SeeOther);
    assert_eq!(location(&res), format!("/admin/staff/{id}"));
    assert!(!opens_the_desk(&app, &agent_sid));
    let page = get_ok(&app.client, &format!("/admin/staff/{id}"));
    assert!(page.contains("Open sessions: 0"), "{page}");
    assert_eq!(
        app.count("SELECT count(*) FROM audit_log WHERE action = 'staff_sessions_end'"),
        1
    );
}

#[test]
fn a_session_past_its_end_on_the_server_is_refused_and_purged() {
    // The server's own job runner forgets expired sessions every jobs_interval_secs.
    let app = TestApp::with_config(|c| c.jobs_interval_secs = 1);
    login(&app.client, AGENT_EMAIL, AGENT_PASSWORD);
    let sid = session_cookie(&app.client);
    assert!(opens_the_desk(&app, &sid));
    app.db
        .write_blocking(|c| {
            c.execute(
                "UPDATE staff_sessions SET expires_at = ?1",
                [helpdesk::db::now() - 1],
            )?;
            Ok(())
        })
        .expect("expire");
    assert!(!opens_the_desk(&app, &sid));
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(20);
    while app.count("SELECT count(*) FROM staff_sessions") > 0 {
        assert!(
            std::time::Instant::now() < deadline,
            "the expired session was never purged"
        );
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
    assert!(app.count("SELECT runs FROM jobs WHERE name = 'sessions_purge'") >= 1);
}

#[test]
fn a_cookie_naming_no_session_opens_nothing() {
    let app = TestApp::new();
    login(&app.client, AGENT_EMAIL, AGENT_PASSWORD);
    let sid = session_cookie(&app.client);
    let mut parts: Vec<String> = sid.value().split(':').map(str::to_string).collect();
    // The right account, epoch and time, but a token the server never issued.
    parts[3] = "0".repeat(64);
    let forged = rocket::http::Cookie::build(("sid", parts.join(":")))
        .path("/")
        .build();
    assert!(!opens_the_desk(&app, &forged));
    // An old cookie from before sessions were kept on the server (no token) neither.
    let old = rocket::http::Cookie::build(("sid", parts[..3].join(":")))
        .path("/")
        .build();
    assert!(!opens_the_desk(&app, &old));
}

/// A login attempt from `addr`, through `client` (its cookies, its device cookie).
fn attempt(client: &Client, addr: &str, email: &str, password: &str) -> Status {
    let token = csrf(client, "/staff/login");
    let body = format!(
        "csrf_token={}&email={}&password={}",
        crate::common::urlencode(&token),
        crate::common::urlencode(email),
        crate::common::urlencode(password)
    );
    client
        .post("/staff/login")
        .header(rocket::http::ContentType::Form)
        .remote(addr.parse().expect("addr"))
        .body(body)
        .dispatch()
        .status()
}

#[test]
fn a_browser_that_signed_in_before_is_not_locked_out_by_someone_elses_failures() {
    let app = TestApp::new();
    // The agent's own browser signed in once (and out again).
    assert_eq!(
        attempt(&app.client, "192.0.2.10:5000", AGENT_EMAIL, AGENT_PASSWORD),
        Status::SeeOther
    );
    let token = csrf(&app.client, "/staff/tickets");
    post_form(&app.client, "/staff/logout", &[("csrf_token", &token)]);
    // Someone elsewhere guesses the password, from many addresses: the account is locked…
    let attacker = app.other_client();
    for i in 0..5 {
        let addr = format!("198.51.100.{i}:4000");
        assert_eq!(
            attempt(&attacker, &addr, AGENT_EMAIL, "guess"),
            Status::Unauthorized
        );
    }
    assert_eq!(
        attempt(&attacker, "198.51.100.9:4000", AGENT_EMAIL, AGENT_PASSWORD),
        Status::TooManyRequests,
        "for browsers it never signed in from"
    );
    // …but not for the owner's browser, with the right password.
    assert_eq!(
        attempt(&app.client, "192.0.2.10:5000", AGENT_EMAIL, AGENT_PASSWORD),
        Status::SeeOther
    );
}

#[test]
fn failures_from_a_shared_office_address_block_only_that_account() {
    let app = TestApp::new();
    let office = "203.0.113.7:6000";
    let someone = app.other_client();
    for _ in 0..5 {
        assert_eq!(
            attempt(&someone, office, AGENT_EMAIL, "wrong"),
            Status::Unauthorized
        );
    }
    assert_eq!(
        attempt(&someone, office, AGENT_EMAIL, AGENT_PASSWORD),
        Status::TooManyRequests
    );
    // A colleague behind the same router signs in as usual.
    let colleague = app.other_client();
    assert_eq!(
        attempt(&colleague, office, ADMIN_EMAIL, ADMIN_PASSWORD),
        Status::SeeOther
    );
}

#[test]
fn a_trusted_browser_is_still_slowed_by_its_own_failures() {
    let app = TestApp::new();
    let addr = "192.0.2.20:5000";
    assert_eq!(
        attempt(&app.client, addr, AGENT_EMAIL, AGENT_PASSWORD),
        Status::SeeOther
    );
    let token = csrf(&app.client, "/staff/tickets");
    post_form(&app.client, "/staff/logout", &[("csrf_token", &token)]);
    for _ in 0..5 {
        assert_eq!(
            attempt(&app.client, addr, AGENT_EMAIL, "wrong"),
            Status::Unauthorized
        );
    }
    assert_eq!(
        attempt(&app.client, addr, AGENT_EMAIL, AGENT_PASSWORD),
        Status::TooManyRequests
    );
}

#[test]
fn staff_change_their_own_password_with_the_current_one() {
    let app = TestApp::new();
    login(&app.client, AGENT_EMAIL, AGENT_PASSWORD);
    let laptop = app.other_client();
    login(&laptop, AGENT_EMAIL, AGENT_PASSWORD);
    let laptop_sid = session_cookie(&laptop);
    let change = |current: &str, new: &str| {
        let token = csrf(&app.client, "/staff/preferences");
        let res = post_form(
            &app.client,
            "/staff/preferences/password",
            &[
                ("csrf_token", &token),
                ("current_password", current),
                ("new_password", new),
            ],
        );
        let status = res.status();
        (status, res.into_string().unwrap_or_default())
    };
    let (status, page) = change("not-my-password", "a-brand-new-pass-7");
    assert_eq!(status, Status::UnprocessableEntity);
    assert!(
        page.contains("That is not your current password."),
        "{page}"
    );
    let (status, page) = change(AGENT_PASSWORD, "1q2w3e4r5t");
    assert_eq!(status, Status::UnprocessableEntity);
    assert!(page.contains("one of the most common"), "{page}");
    let (status, page) = change(AGENT_PASSWORD, "short");
    assert_eq!(status, Status::UnprocessableEntity);
    assert!(page.contains("at least 10 characters"), "{page}");
    assert!(opens_the_desk(&app, &laptop_sid), "nothing changed yet");

    let (status, _) = change(AGENT_PASSWORD, "a-brand-new-pass-7");
    assert_eq!(status, Status::SeeOther);
    assert!(
        !opens_the_desk(&app, &laptop_sid),
        "the other browser is signed out"
    );
    let res = app.client.get("/staff/tickets").dispatch();
    assert_eq!(res.status(), Status::Ok, "this browser stays signed in");
    let fresh = app.other_client();
    assert_eq!(
        attempt(&fresh, "192.0.2.30:5000", AGENT_EMAIL, AGENT_PASSWORD),
        Status::Unauthorized
    );
    assert_eq!(
        attempt(&fresh, "192.0.2.30:5000", AGENT_EMAIL, "a-brand-new-pass-7"),
        Status::SeeOther
    );
    assert_eq!(
        app.count("SELECT count(*) FROM audit_log WHERE action = 'password_change'"),
        1
    );
}
