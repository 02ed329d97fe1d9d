//! API tokens through the real pages: made in Preferences (CSRF, shown once, then only their
//! prefix), revoked by their owner or an admin (401 at once), never by another agent; their last
//! use and address; the audit log; and the per-token rate limit.

use rocket::http::{Header, Status};
use rocket::local::blocking::Client;
use serde_json::Value;

use crate::common::*;

const PAGE: &str = "/staff/preferences/api-tokens";

/// The token on the page just after it was made, if shown.
fn shown_token(body: &str) -> Option<String> {
    let at = body.find("value=\"hd_")? + "value=\"".len();
    Some(body[at..at + 67].to_string())
}

/// Makes a token on the Preferences page; returns it as shown once.
fn create_token(client: &Client, name: &str, scope: &str) -> String {
    let token = csrf(client, PAGE);
    let res = post_form(
        client,
        PAGE,
        &[("csrf_token", &token), ("name", name), ("scope", scope)],
    );
    assert_eq!(res.status(), Status::SeeOther);
    assert_eq!(location(&res), PAGE);
    let body = get_ok(client, PAGE);
    let secret = shown_token(&body).expect("the new token is shown");
    assert!(secret.starts_with("hd_") && secret[3..].bytes().all(|b| b.is_ascii_hexdigit()));
    secret
}

fn api_get(client: &Client, token: &str, from: &str) -> (Status, Option<String>, Value) {
    let res = client
        .get("/api/v1/statuses")
        .header(Header::new("Authorization", format!("Bearer {token}")))
        .remote(from.parse().unwrap())
        .dispatch();
    let status = res.status();
    let retry = res.headers().get_one("Retry-After").map(str::to_string);
    let body = serde_json::from_str(&res.into_string().unwrap_or_default()).unwrap();
    (status, retry, body)
}

fn token_id(app: &TestApp, name: &str) -> i64 {
    app.count(&format!("SELECT id FROM api_tokens WHERE name = '{name}'"))
}

/// Posts the revoke form of token `id` at `base` (the owner's page or the admin's).
fn revoke<'c>(
    client: &'c Client,
    page: &str,
    base: &str,
    id: i64,
) -> rocket::local::blocking::LocalResponse<'c> {
    let token = csrf(client, page);
    post_form(
        client,
        &format!("{base}/{id}/revoke"),
        &[("csrf_token", &token)],
    )
}

#[test]
fn a_token_is_shown_once_then_only_its_prefix_and_revoking_stops_it_at_once() {
    let app = TestApp::new();
    let agent = app.other_client();
    login(&agent, AGENT_EMAIL, AGENT_PASSWORD);
    let prefs = get_ok(&agent, "/staff/preferences");
    assert!(prefs.contains("href=\"/staff/preferences/api-tokens\""));

    let secret = create_token(&agent, "Monitoring script", "read");
    let again = get_ok(&agent, PAGE);
    assert!(!again.contains(&secret), "shown once only");
    assert!(again.contains("Monitoring script"));
    assert!(
        again.contains(&format!("{}…", &secret[..9])),
        "its prefix is listed"
    );
    assert_eq!(
        app.count("SELECT COUNT(*) FROM api_tokens WHERE scope = 'read' AND revoked_at IS NULL"),
        1
    );
    let (status, _, body) = api_get(&app.client, &secret, "192.0.2.10:5000");
    assert_eq!(status, Status::Ok, "{body}");

    // Its last use and address are on the page.
    let listed = get_ok(&agent, PAGE);
    assert!(listed.contains("192.0.2.10"), "last address shown");
    assert!(!listed.contains(">never<"), "last use shown");

    let id = token_id(&app, "Monitoring script");
    let res = revoke(&agent, PAGE, PAGE, id);
    assert_eq!(res.status(), Status::SeeOther);
    let (status, _, body) = api_get(&app.client, &secret, "192.0.2.10:5000");
    assert_eq!(status, Status::Unauthorized, "{body}");
    assert_eq!(body["error"]["code"], "unauthorized");
    let listed = get_ok(&agent, PAGE);
    assert!(listed.contains("revoked"), "marked revoked");
    assert!(!listed.contains(&format!("/api-tokens/{id}/revoke")));

    let created = app.count(&format!(
        "SELECT COUNT(*) FROM audit_log WHERE action = 'api_token_created'
         AND detail = 'token={id} name=Monitoring script scope=read'"
    ));
    assert_eq!(created, 1);
    let revoked = app.count(&format!(
        "SELECT COUNT(*) FROM audit_log WHERE action = 'api_token_revoked'
         AND detail LIKE 'token={id} %by=owner'"
    ));
    assert_eq!(revoked, 1);

    // Spanish too.
    let res = agent
        .get(PAGE)
        .header(Header::new("Accept-Language", "es"))
        .dispatch();
    let body = res.into_string().unwrap();
    assert!(body.contains("Tokens de la API") && !body.contains("Revocar"));
    assert!(body.contains("revocado"), "marked revoked in Spanish");
}

#[test]
fn a_bad_name_or_scope_is_refused_next_to_the_field_and_nothing_is_stored() {
    let app = TestApp::new();
    let agent = app.other_client();
    login(&agent, AGENT_EMAIL, AGENT_PASSWORD);
    let token = csrf(&agent, PAGE);
    let long = "x".repeat(101);
    for (name, scope, field) in [
        ("   ", "read", "name-error"),
        (long.as_str(), "read", "name-error"),
        ("Fine name", "admin", "scope-error"),
        ("Fine name", "", "scope-error"),
    ] {
        let res = post_form(
            &agent,
            PAGE,
            &[("csrf_token", &token), ("name", name), ("scope", scope)],
        );
        assert_eq!(
            res.status(),
            Status::UnprocessableEntity,
            "{name:?} {scope:?}"
        );
        let body = res.into_string().unwrap();
        assert!(body.contains(&format!("id=\"{field}\"")), "{field} shown");
        assert!(shown_token(&body).is_none());
    }
    // Without the CSRF token: refused before anything happens.
    let res = post_form(&agent, PAGE, &[("name", "Sneaky"), ("scope", "read")]);
    assert_eq!(res.status(), Status::Forbidden);
    assert_eq!(app.count("SELECT COUNT(*) FROM api_tokens"), 0);
    assert_eq!(
        app.count("SELECT COUNT(*) FROM audit_log WHERE action LIKE 'api_token%'"),
        0
    );
}

#[test]
fn an_agent_cannot_revoke_another_members_token_and_an_admin_can_revoke_any() {
    let app = TestApp::new();
    let agent = app.other_client();
    login(&agent, AGENT_EMAIL, AGENT_PASSWORD);
    let admin = app.other_client();
    login(&admin, ADMIN_EMAIL, ADMIN_PASSWORD);
    let admins = create_token(&admin, "Admin export", "read-write");
    let agents = create_token(&agent, "Agent script", "read");
    let admin_token = token_id(&app, "Admin export");
    let agent_token = token_id(&app, "Agent script");

    // The agent's own page knows only the agent's tokens; the admin page is not theirs.
    let res = revoke(&agent, PAGE, PAGE, admin_token);
    assert_eq!(res.status(), Status::NotFound);
    let res = revoke(&agent, PAGE, "/admin/api-tokens", agent_token);
    assert_eq!(res.status(), Status::Forbidden);
    assert_eq!(
        agent.get("/admin/api-tokens").dispatch().status(),
        Status::Forbidden
    );
    assert_eq!(
        api_get(&app.client, &admins, "192.0.2.1:1").0,
        Status::Ok,
        "still works"
    );

    // The admin sees every token with its owner, and revokes the agent's.
    let nav = get_ok(&admin, "/admin/staff");
    assert!(
        nav.contains("href=\"/admin/api-tokens\""),
        "in the admin tabs"
    );
    let listed = get_ok(&admin, "/admin/api-tokens");
    assert!(listed.contains("Gus Agent") && listed.contains("Agent script"));
    assert!(listed.contains("Alice Admin") && listed.contains("Admin export"));
    assert!(
        !listed.contains(&agents) && !listed.contains(&admins),
        "never the tokens"
    );
    let res = revoke(
        &admin,
        "/admin/api-tokens",
        "/admin/api-tokens",
        agent_token,
    );
    assert_eq!(res.status(), Status::SeeOther);
    assert_eq!(
        api_get(&app.client, &agents, "192.0.2.1:1").0,
        Status::Unauthorized
    );
    let by_admin = app.count(&format!(
        "SELECT COUNT(*) FROM audit_log a JOIN staff s ON s.id = a.staff_id
         WHERE a.action = 'api_token_revoked' AND s.email = '{ADMIN_EMAIL}'
         AND a.detail LIKE 'token={agent_token} %by=admin'"
    ));
    assert_eq!(by_admin, 1);
    // Revoking again changes nothing and records nothing.
    let res = revoke(
        &admin,
        "/admin/api-tokens",
        "/admin/api-tokens",
        agent_token,
    );
    assert_eq!(res.status(), Status::SeeOther);
    assert_eq!(
        app.count("SELECT COUNT(*) FROM audit_log WHERE action = 'api_token_revoked'"),
        1
    );
}

#[test]
fn a_use_from_a_new_address_is_audited_with_the_touch() {
    let app = TestApp::new();
    let agent = app.other_client();
    login(&agent, AGENT_EMAIL, AGENT_PASSWORD);
    let secret = create_token(&agent, "Roaming laptop", "read");
    let id = token_id(&app, "Roaming laptop");
    let new_address = "SELECT COUNT(*) FROM audit_log WHERE action = 'api_token_new_address'";
    // As if the last use was a while ago, so the next one is recorded.
    let rewind = || {
        app.db
            .write_blocking(move |c| {
                c.execute(
                    "UPDATE api_tokens SET last_used_at = last_used_at - 120 WHERE id = ?1",
                    [id],
                )?;
                Ok(())
            })
            .unwrap()
    };

    assert_eq!(
        api_get(&app.client, &secret, "198.51.100.7:1000").0,
        Status::Ok
    );
    assert_eq!(
        app.count(new_address),
        0,
        "a first use has no address before it"
    );
    rewind();
    assert_eq!(
        api_get(&app.client, &secret, "198.51.100.7:2000").0,
        Status::Ok
    );
    assert_eq!(app.count(new_address), 0, "same address");
    rewind();
    assert_eq!(
        api_get(&app.client, &secret, "203.0.113.9:3000").0,
        Status::Ok
    );
    assert_eq!(app.count(new_address), 1);
    let detail = app.count(&format!(
        "SELECT COUNT(*) FROM audit_log WHERE action = 'api_token_new_address'
         AND detail = 'token={id} previous=198.51.100.7' AND ip = '203.0.113.9'"
    ));
    assert_eq!(detail, 1);
    assert!(get_ok(&agent, PAGE).contains("203.0.113.9"));
    let audit = get_ok(
        &app_admin(&app),
        "/admin/audit?action=api_token_new_address",
    );
    assert!(audit.contains("API token used from a new address"));
}

fn app_admin(app: &TestApp) -> Client {
    let admin = app.other_client();
    login(&admin, ADMIN_EMAIL, ADMIN_PASSWORD);
    admin
}

#[test]
fn past_the_rate_a_token_gets_429_with_retry_after_and_others_go_on() {
    let app = TestApp::with_config(|c| c.api_rate_per_minute = 3);
    let agent = app.other_client();
    login(&agent, AGENT_EMAIL, AGENT_PASSWORD);
    let busy = create_token(&agent, "Busy", "read");
    let calm = create_token(&agent, "Calm", "read");
    for _ in 0..3 {
        assert_eq!(api_get(&app.client, &busy, "192.0.2.5:1").0, Status::Ok);
    }
    let (status, retry, body) = api_get(&app.client, &busy, "192.0.2.5:1");
    assert_eq!(status, Status::TooManyRequests);
    assert_eq!(body["error"]["code"], "rate_limited", "{body}");
    let secs: u64 = retry.expect("Retry-After").parse().unwrap();
    assert!((1..=20).contains(&secs), "one request back in 20 s: {secs}");
    assert_eq!(api_get(&app.client, &calm, "192.0.2.5:1").0, Status::Ok);
}
