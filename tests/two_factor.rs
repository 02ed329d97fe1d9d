//! Two-factor sign-in (TOTP) for staff, through the real pages: enrolment from Preferences with
//! the secret read off the page and the codes computed here with the TOTP crate, the code step
//! after the password (wrong, expired and reused codes, recovery codes, the throttle), the
//! desk-wide requirement, an admin's reset and `helpdesk user reset-2fa`.

use std::time::{SystemTime, UNIX_EPOCH};

use rocket::http::{Cookie, Status};
use rocket::local::blocking::Client;
use totp_rs::{Builder, Secret};

use crate::common::server;
use crate::common::{
    ADMIN_EMAIL, ADMIN_PASSWORD, AGENT_EMAIL, AGENT_PASSWORD, TestApp, csrf, csrf_in, get_ok,
    location, login, post_form,
};

const ENROL: &str = "/staff/preferences/two-factor";

/// What Tera's escaping did to text in the page, undone.
fn unescape(html: &str) -> String {
    html.replace("&#x2F;", "/")
        .replace("&amp;", "&")
        .replace("&quot;", "\"")
        .replace("&#x27;", "'")
        .replace("&lt;", "<")
        .replace("&gt;", ">")
}

/// The text of the element with `id`, up to its closing tag.
fn element_text(body: &str, id: &str) -> String {
    let marker = format!("id=\"{id}\"");
    let start = body
        .find(&marker)
        .unwrap_or_else(|| panic!("no #{id} in {body}"));
    let start = start + body[start..].find('>').expect("tag end") + 1;
    let end = start + body[start..].find('<').expect("closing tag");
    unescape(&body[start..end])
}

/// The code an authenticator app shows `offset` steps of 30 s from now.
fn code_at(secret: &str, offset: i64) -> String {
    let now = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_secs() as i64;
    let totp = Builder::new()
        .with_secret(Secret::try_from_base32(secret).expect("base32 secret"))
        .build()
        .expect("totp");
    totp.generate(((now / 30 + offset) * 30) as u64).to_string()
}

/// A six-digit code that is none of the valid ones around now.
fn wrong_code(secret: &str) -> String {
    let near: Vec<String> = (-12..=2).map(|o| code_at(secret, o)).collect();
    (0..1_000_000)
        .map(|n| format!("{n:06}"))
        .find(|c| !near.contains(c))
        .expect("a wrong code")
}

/// The recovery codes listed on the page.
fn recovery_codes(body: &str) -> Vec<String> {
    let list = &body[body.find("class=\"recovery-codes\"").expect("codes list")..];
    let list = &list[..list.find("</ul>").expect("list end")];
    list.split("<code>")
        .skip(1)
        .map(|part| part[..part.find("</code>").expect("code end")].to_string())
        .collect()
}

struct Enrolled {
    secret: String,
    /// The code that confirmed the enrolment (so used).
    first_code: String,
    recovery: Vec<String>,
}

/// Sets up two-factor sign-in for whoever `client` is signed in as, through the pages.
fn enrol(client: &Client, email: &str) -> Enrolled {
    let page = get_ok(client, ENROL);
    let secret = element_text(&page, "totp-secret").replace(' ', "");
    assert_eq!(secret.len(), 32, "160 bits in base32: {secret}");
    let uri = element_text(&page, "totp-uri");
    assert_eq!(
        uri,
        format!(
            "otpauth://totp/Helpdesk:{}?secret={secret}&issuer=Helpdesk",
            email.replace('@', "%40")
        )
    );
    assert!(
        unescape(&page).contains("src=\"data:image/svg+xml,%3C"),
        "the QR code is drawn on the page"
    );
    // A reload shows the same secret: a scan is not undone.
    let again = get_ok(client, ENROL);
    assert_eq!(element_text(&again, "totp-secret").replace(' ', ""), secret);
    let first_code = code_at(&secret, 0);
    let res = post_form(
        client,
        ENROL,
        &[("csrf_token", &csrf_in(&page)), ("code", &first_code)],
    );
    assert_eq!(res.status(), Status::Ok, "enrolment confirmed");
    let body = res.into_string().unwrap_or_default();
    assert!(body.contains("Two-factor sign-in is on"), "{body}");
    let recovery = recovery_codes(&body);
    assert_eq!(recovery.len(), 10, "{recovery:?}");
    Enrolled {
        secret,
        first_code,
        recovery,
    }
}

fn logout(client: &Client) {
    let token = csrf(client, "/staff/login");
    let res = post_form(client, "/staff/logout", &[("csrf_token", &token)]);
    assert_eq!(res.status(), Status::SeeOther);
}

/// Email and password only; returns where the answer sends the browser.
fn password_step(client: &Client, email: &str, password: &str) -> String {
    let token = csrf(client, "/staff/login");
    let res = post_form(
        client,
        "/staff/login",
        &[
            ("csrf_token", &token),
            ("email", email),
            ("password", password),
        ],
    );
    assert_eq!(res.status(), Status::SeeOther, "password accepted");
    location(&res)
}

/// Posts `code` on the code page; returns the status and the page (or the redirect target).
fn code_step(client: &Client, code: &str) -> (Status, String) {
    let token = csrf(client, "/staff/login");
    let res = post_form(
        client,
        "/staff/login/code",
        &[("csrf_token", &token), ("code", code)],
    );
    let status = res.status();
    if status == Status::SeeOther {
        return (status, location(&res));
    }
    (status, res.into_string().unwrap_or_default())
}

fn opens_the_desk(client: &Client) -> bool {
    let res = client.get("/staff/tickets").dispatch();
    match res.status() {
        Status::Ok => true,
        Status::SeeOther => false,
        other => panic!("unexpected {other}"),
    }
}

fn staff_id(app: &TestApp, email: &str) -> i64 {
    app.count(&format!("SELECT id FROM staff WHERE email = '{email}'"))
}

fn audited(app: &TestApp, action: &str) -> i64 {
    app.count(&format!(
        "SELECT count(*) FROM audit_log WHERE action = '{action}'"
    ))
}

#[test]
fn with_two_factor_the_password_alone_opens_nothing_and_the_current_code_does() {
    let app = TestApp::new();
    login(&app.client, AGENT_EMAIL, AGENT_PASSWORD);
    let prefs = get_ok(&app.client, "/staff/preferences");
    assert!(prefs.contains("Set up two-factor sign-in"), "{prefs}");
    let enrolled = enrol(&app.client, AGENT_EMAIL);
    assert_eq!(audited(&app, "2fa_enabled"), 1);
    let prefs = get_ok(&app.client, "/staff/preferences");
    assert!(prefs.contains("Unused recovery codes: 10."), "{prefs}");
    logout(&app.client);

    // The password alone: the code page, no session.
    assert_eq!(
        password_step(&app.client, AGENT_EMAIL, AGENT_PASSWORD),
        "/staff/login/code"
    );
    assert!(
        !opens_the_desk(&app.client),
        "no session after the password"
    );
    assert!(app.client.cookies().get_private("sid").is_none());
    let page = get_ok(&app.client, "/staff/login/code");
    assert!(page.contains("name=\"code\""), "{page}");
    // What the browser holds after the password opens nothing elsewhere, even sent as the
    // session cookie.
    let pending = app
        .client
        .cookies()
        .get_private("signin")
        .expect("pending sign-in cookie")
        .into_owned();
    let other = app.other_client();
    for cookie in [
        pending.clone(),
        Cookie::new("sid", pending.value().to_string()),
    ] {
        let res = other
            .get("/staff/tickets")
            .private_cookie(cookie)
            .dispatch();
        assert_eq!(res.status(), Status::SeeOther);
        assert!(location(&res).starts_with("/staff/login"));
    }

    // Wrong, expired and already used codes are refused, each with its reason.
    let refusals = [
        (wrong_code(&enrolled.secret), "That code is not right."),
        (
            "<b>'; DROP TABLE staff".to_string(),
            "That code is not right.",
        ),
        (code_at(&enrolled.secret, -5), "That code has expired."),
        (enrolled.first_code.clone(), "That code was already used."),
    ];
    for (code, message) in &refusals {
        let (status, body) = code_step(&app.client, code);
        assert_eq!(status, Status::Unauthorized, "{code}");
        assert!(body.contains(message), "{code}: {body}");
        assert!(!opens_the_desk(&app.client));
    }
    assert_eq!(audited(&app, "login_failed"), refusals.len() as i64);

    // The current code signs in, once.
    let fresh = code_at(&enrolled.secret, 1);
    let (status, to) = code_step(&app.client, &fresh);
    assert_eq!((status, to.as_str()), (Status::SeeOther, "/staff"));
    assert!(opens_the_desk(&app.client));
    assert_eq!(
        app.count("SELECT count(*) FROM audit_log WHERE action = 'login' AND detail = '2fa=totp'"),
        1
    );
    logout(&app.client);
    password_step(&app.client, AGENT_EMAIL, AGENT_PASSWORD);
    let (status, body) = code_step(&app.client, &fresh);
    assert_eq!(status, Status::Unauthorized);
    assert!(body.contains("That code was already used."), "{body}");

    // A recovery code works in its place, once.
    let (status, _) = code_step(&app.client, &enrolled.recovery[0]);
    assert_eq!(status, Status::SeeOther);
    assert!(opens_the_desk(&app.client));
    assert_eq!(audited(&app, "2fa_recovery_code_used"), 1);
    logout(&app.client);
    password_step(&app.client, AGENT_EMAIL, AGENT_PASSWORD);
    let (status, body) = code_step(&app.client, &enrolled.recovery[0]);
    assert_eq!(status, Status::Unauthorized);
    assert!(
        body.contains("That recovery code was already used"),
        "{body}"
    );
    // Typed loosely (capitals, no dash) it is the same code.
    let loose = enrolled.recovery[1].replace('-', " ").to_uppercase();
    let (status, _) = code_step(&app.client, &loose);
    assert_eq!(status, Status::SeeOther);
    assert!(opens_the_desk(&app.client));
    let prefs = get_ok(&app.client, "/staff/preferences");
    assert!(prefs.contains("Unused recovery codes: 8."), "{prefs}");
}

#[test]
fn wrong_codes_are_throttled_with_wrong_passwords() {
    let app = TestApp::new();
    login(&app.client, AGENT_EMAIL, AGENT_PASSWORD);
    let enrolled = enrol(&app.client, AGENT_EMAIL);
    logout(&app.client);
    let wrong = wrong_code(&enrolled.secret);
    password_step(&app.client, AGENT_EMAIL, AGENT_PASSWORD);
    for _ in 0..3 {
        assert_eq!(code_step(&app.client, &wrong).0, Status::Unauthorized);
    }
    // The right password again does not forgive the wrong codes.
    password_step(&app.client, AGENT_EMAIL, AGENT_PASSWORD);
    for _ in 0..2 {
        assert_eq!(code_step(&app.client, &wrong).0, Status::Unauthorized);
    }
    let (status, body) = code_step(&app.client, &code_at(&enrolled.secret, 1));
    assert_eq!(status, Status::TooManyRequests, "even the right code waits");
    assert!(body.contains("Too many failed attempts"), "{body}");
    assert!(!opens_the_desk(&app.client));
    // And so does the password.
    let token = csrf(&app.client, "/staff/login");
    let res = post_form(
        &app.client,
        "/staff/login",
        &[
            ("csrf_token", &token),
            ("email", AGENT_EMAIL),
            ("password", AGENT_PASSWORD),
        ],
    );
    assert_eq!(res.status(), Status::TooManyRequests);
}

#[test]
fn a_sign_in_that_waits_too_long_starts_over() {
    let app = TestApp::new();
    let res = app.client.get("/staff/login/code").dispatch();
    assert_eq!(res.status(), Status::SeeOther, "no pending sign-in");
    assert_eq!(location(&res), "/staff/login");

    login(&app.client, AGENT_EMAIL, AGENT_PASSWORD);
    let enrolled = enrol(&app.client, AGENT_EMAIL);
    logout(&app.client);
    password_step(&app.client, AGENT_EMAIL, AGENT_PASSWORD);
    let last_step = app.count("SELECT last_step FROM staff_totp");
    // Five minutes later (set in the database rather than waited for).
    app.db
        .write_blocking(|c| {
            c.execute("UPDATE staff_pending_logins SET expires_at = 0", [])?;
            Ok(())
        })
        .unwrap();
    let (status, to) = code_step(&app.client, &code_at(&enrolled.secret, 1));
    assert_eq!((status, to.as_str()), (Status::SeeOther, "/staff/login"));
    let page = get_ok(&app.client, "/staff/login");
    assert!(page.contains("The sign-in took too long."), "{page}");
    assert!(!opens_the_desk(&app.client));
    assert_eq!(
        app.count("SELECT last_step FROM staff_totp"),
        last_step,
        "the code was not used up"
    );
}

#[test]
fn required_two_factor_sends_members_without_it_to_enrolment_and_nowhere_else() {
    let app = TestApp::new();
    login(&app.client, ADMIN_EMAIL, ADMIN_PASSWORD);
    let settings = |require: bool| {
        let token = csrf(&app.client, "/admin/settings");
        let mut fields = vec![
            ("csrf_token", token.as_str()),
            ("desk_name", "Helpdesk"),
            ("max_attachment_mb", "10"),
            ("allowed_extensions", "pdf, png"),
        ];
        if require {
            fields.push(("require_2fa", "true"));
        }
        post_form(&app.client, "/admin/settings", &fields).status()
    };
    // An admin without it cannot require it of others yet.
    assert_eq!(settings(true), Status::UnprocessableEntity);
    let page = get_ok(&app.client, "/admin/settings");
    assert!(!page.contains("name=\"require_2fa\" value=\"true\" checked"));
    let admin = enrol(&app.client, ADMIN_EMAIL);
    assert_eq!(settings(true), Status::SeeOther);
    assert_eq!(audited(&app, "require_2fa_changed"), 1);
    assert!(get_ok(&app.client, "/admin/settings").contains("value=\"true\" checked"));

    // The agent signs in with a password and is sent to enrolment, and can open nothing else.
    let agent = app.other_client();
    assert_eq!(password_step(&agent, AGENT_EMAIL, AGENT_PASSWORD), ENROL);
    for path in [
        "/staff",
        "/staff/tickets",
        "/staff/preferences",
        "/staff/kb",
        "/staff/tickets/new",
        "/admin",
        "/admin/staff",
    ] {
        let res = agent.get(path).dispatch();
        assert_eq!(res.status(), Status::SeeOther, "{path}");
        assert_eq!(location(&res), ENROL, "{path}");
    }
    let page = get_ok(&agent, ENROL);
    assert!(page.contains("requires two-factor sign-in"), "{page}");
    assert!(
        page.contains("action=\"/staff/logout\""),
        "they can log out"
    );
    let token = csrf_in(&page);
    let res = post_form(
        &agent,
        "/staff/preferences",
        &[("csrf_token", &token), ("lang", "es")],
    );
    assert_eq!(res.status(), Status::SeeOther);
    assert_eq!(location(&res), ENROL, "forms are closed too");
    let enrolled = enrol(&agent, AGENT_EMAIL);
    assert!(opens_the_desk(&agent), "enrolled, the desk opens");

    // Turning it off is refused while it is required.
    let token = csrf(&agent, ENROL);
    let res = post_form(
        &agent,
        "/staff/preferences/two-factor/disable",
        &[
            ("csrf_token", &token),
            ("current_password", AGENT_PASSWORD),
            ("code", &enrolled.recovery[0]),
        ],
    );
    assert_eq!(res.status(), Status::UnprocessableEntity);
    assert!(
        res.into_string()
            .unwrap_or_default()
            .contains("it cannot be turned off")
    );
    assert_eq!(
        app.count("SELECT count(*) FROM staff_recovery_codes WHERE used_at IS NULL"),
        20,
        "nothing was used up"
    );
    // The admin, who has it, keeps working.
    assert!(get_ok(&app.client, "/admin/staff").contains(AGENT_EMAIL));
    let _ = admin;
}

#[test]
fn an_admin_resets_a_members_two_factor_and_they_sign_in_with_the_password() {
    let app = TestApp::new();
    let agent = app.other_client();
    login(&agent, AGENT_EMAIL, AGENT_PASSWORD);
    enrol(&agent, AGENT_EMAIL);
    let id = staff_id(&app, AGENT_EMAIL);

    login(&app.client, ADMIN_EMAIL, ADMIN_PASSWORD);
    let member = format!("/admin/staff/{id}");
    let page = get_ok(&app.client, &member);
    assert!(page.contains("On since"), "{page}");
    let res = post_form(
        &app.client,
        &format!("{member}/two-factor/reset"),
        &[("csrf_token", &csrf_in(&page))],
    );
    assert_eq!(res.status(), Status::SeeOther);
    assert_eq!(location(&res), member);
    let page = get_ok(&app.client, &member);
    assert!(
        page.contains("this account signs in with its password alone"),
        "{page}"
    );
    assert!(!opens_the_desk(&agent), "their sessions were ended");
    assert_eq!(app.count("SELECT count(*) FROM staff_totp"), 0);
    assert_eq!(app.count("SELECT count(*) FROM staff_recovery_codes"), 0);
    let admin_id = staff_id(&app, ADMIN_EMAIL);
    assert_eq!(
        app.count(&format!(
            "SELECT count(*) FROM audit_log WHERE action = '2fa_reset' AND staff_id = {admin_id}
             AND detail LIKE 'id={id} email={AGENT_EMAIL}%'"
        )),
        1
    );
    assert_eq!(password_step(&agent, AGENT_EMAIL, AGENT_PASSWORD), "/staff");
    assert!(opens_the_desk(&agent));
}

#[test]
fn helpdesk_user_reset_2fa_lets_the_member_in_with_the_password() {
    let app = TestApp::new();
    login(&app.client, AGENT_EMAIL, AGENT_PASSWORD);
    enrol(&app.client, AGENT_EMAIL);
    let run = server::run(
        &app.config.db,
        &["user", "reset-2fa", "Agent@Example.com"],
        &[],
        b"",
    );
    assert_eq!(run.code, Some(0), "{run:?}");
    assert!(
        run.stdout
            .contains("Two-factor sign-in removed for agent@example.com"),
        "{run:?}"
    );
    assert!(!opens_the_desk(&app.client), "their sessions were ended");
    assert_eq!(audited(&app, "cli_2fa_reset"), 1);
    assert_eq!(
        password_step(&app.client, AGENT_EMAIL, AGENT_PASSWORD),
        "/staff"
    );
    assert!(opens_the_desk(&app.client));

    let unknown = server::run(
        &app.config.db,
        &["user", "reset-2fa", "nobody@example.com"],
        &[],
        b"",
    );
    assert_eq!(unknown.code, Some(1), "{unknown:?}");
    assert!(
        unknown
            .stderr
            .contains("no staff account with email nobody@example.com"),
        "{unknown:?}"
    );
}

#[test]
fn recovery_codes_are_renewed_and_two_factor_turned_off_with_password_and_code() {
    let app = TestApp::new();
    login(&app.client, AGENT_EMAIL, AGENT_PASSWORD);
    let enrolled = enrol(&app.client, AGENT_EMAIL);

    let post = |path: &str, fields: &[(&str, &str)]| {
        let token = csrf(&app.client, ENROL);
        let mut all = vec![("csrf_token", token.as_str())];
        all.extend_from_slice(fields);
        let res = post_form(&app.client, path, &all);
        (res.status(), res.into_string().unwrap_or_default())
    };
    let regenerate = "/staff/preferences/two-factor/recovery-codes";
    let (status, body) = post(regenerate, &[("code", &wrong_code(&enrolled.secret))]);
    assert_eq!(status, Status::UnprocessableEntity);
    assert!(body.contains("That code is not right."), "{body}");
    let (status, body) = post(regenerate, &[("code", &code_at(&enrolled.secret, 1))]);
    assert_eq!(status, Status::Ok);
    let renewed = recovery_codes(&body);
    assert_eq!(renewed.len(), 10);
    assert!(renewed.iter().all(|c| !enrolled.recovery.contains(c)));
    assert_eq!(audited(&app, "2fa_recovery_codes_regenerated"), 1);

    let disable = "/staff/preferences/two-factor/disable";
    let (status, body) = post(
        disable,
        &[
            ("current_password", "not-my-password"),
            ("code", &renewed[0]),
        ],
    );
    assert_eq!(status, Status::UnprocessableEntity);
    assert!(
        body.contains("That is not your current password."),
        "{body}"
    );
    // An old recovery code no longer counts.
    let (status, body) = post(
        disable,
        &[
            ("current_password", AGENT_PASSWORD),
            ("code", &enrolled.recovery[0]),
        ],
    );
    assert_eq!(status, Status::UnprocessableEntity);
    assert!(body.contains("That code is not right."), "{body}");
    assert_eq!(
        app.count("SELECT count(*) FROM staff_recovery_codes WHERE used_at IS NULL"),
        10,
        "refusals used nothing up"
    );
    let token = csrf(&app.client, ENROL);
    let res = post_form(
        &app.client,
        disable,
        &[
            ("csrf_token", &token),
            ("current_password", AGENT_PASSWORD),
            ("code", &renewed[0]),
        ],
    );
    assert_eq!(res.status(), Status::SeeOther);
    assert_eq!(location(&res), "/staff/preferences");
    assert_eq!(audited(&app, "2fa_disabled"), 1);
    assert!(get_ok(&app.client, "/staff/preferences").contains("Set up two-factor sign-in"));

    logout(&app.client);
    assert_eq!(
        password_step(&app.client, AGENT_EMAIL, AGENT_PASSWORD),
        "/staff"
    );
}

#[test]
fn the_pages_are_in_spanish_too() {
    let app = TestApp::new();
    login(&app.client, AGENT_EMAIL, AGENT_PASSWORD);
    let res = app
        .client
        .get(ENROL)
        .header(crate::common::accept_language("es"))
        .dispatch();
    assert_eq!(res.status(), Status::Ok);
    let body = res.into_string().unwrap_or_default();
    assert!(
        body.contains("Activar el inicio de sesión en dos pasos"),
        "{body}"
    );
}
