//! Every state-changing route refuses a request without its CSRF token: the test walks all the
//! routes the real app mounts, so a route added later cannot forget the check.

use rocket::http::{ContentType, Method, Status};
use rocket::local::blocking::Client;

use crate::common::*;

/// Methods that change state. GET and HEAD never do in this app.
const UNSAFE: [Method; 4] = [Method::Post, Method::Put, Method::Patch, Method::Delete];

/// The route's full URI (its mount point included) with each dynamic segment filled in: a
/// ticket's tracking ID for `<tid>`, an article's slug for `<slug>`, else `1` (the first
/// ticket, article, category, status, priority and staff account all have id 1 here).
fn fill(uri: &str, tid: &str, slug: &str) -> String {
    let value = |segment: &str| -> Option<String> {
        let name = segment.strip_prefix('<')?.strip_suffix('>')?;
        let name = name.trim_end_matches("..");
        Some(match name {
            "tid" => tid.to_string(),
            "slug" => slug.to_string(),
            _ => "1".to_string(),
        })
    };
    let (path, query) = uri.split_once('?').unwrap_or((uri, ""));
    let path: Vec<String> = path
        .split('/')
        .map(|s| value(s).unwrap_or_else(|| s.to_string()))
        .collect();
    let query: Vec<String> = query
        .split('&')
        .filter(|s| !s.is_empty() && !s.ends_with("..>"))
        .map(|s| match value(s) {
            Some(v) => format!("{}={}", &s[1..s.len() - 1], urlencode(&v)),
            None => s.to_string(),
        })
        .collect();
    match query.is_empty() {
        true => path.join("/"),
        false => format!("{}?{}", path.join("/"), query.join("&")),
    }
}

/// The status of `method uri` with a body of no fields at all (so no `csrf_token` either).
fn without_token(client: &Client, method: Method, uri: &str, multipart: bool) -> Status {
    let req = client.req(method, uri.to_string());
    let req = match multipart {
        true => req
            .header(Multipart::content_type())
            .body(Multipart::new().finish()),
        false => req.header(ContentType::Form).body(""),
    };
    req.dispatch().status()
}

/// Rows in the tables the routes write, and the tickets' revisions (moved by any change to one).
fn written(app: &TestApp) -> Vec<i64> {
    let tables = [
        "tickets",
        "messages",
        "attachments",
        "ticket_events",
        "audit_log",
        "staff",
        "categories",
        "statuses",
        "priorities",
        "kb_articles",
        "kb_categories",
        "kb_files",
        "outbox",
        "mail_quarantine",
    ];
    let mut seen: Vec<i64> = tables
        .iter()
        .map(|t| app.count(&format!("SELECT count(*) FROM {t}")))
        .collect();
    seen.push(app.count("SELECT coalesce(sum(revision), 0) FROM tickets"));
    seen
}

#[test]
fn every_state_changing_route_refuses_a_request_without_its_csrf_token() {
    let app = TestApp::new();
    // The client submitted this ticket, so it may use the requester's routes on it too.
    let tid = submit_ticket(&app.client, &TicketInput::default(), &[]);
    login(&app.client, ADMIN_EMAIL, ADMIN_PASSWORD);
    let token = csrf(&app.client, "/staff/kb/new");
    let res = post_form(
        &app.client,
        "/staff/kb/new",
        &[
            ("csrf_token", &token),
            ("slug", "printer-offline"),
            ("state", "published"),
            ("sort", "0"),
            ("title_en", "Fix a printer that shows offline"),
            ("body_en", "Turn it off and on."),
        ],
    );
    assert_eq!(res.status(), Status::SeeOther, "article saved");
    drop(res);
    let before = written(&app);

    let mut routes: Vec<(Method, String, Option<String>)> = app
        .client
        .rocket()
        .routes()
        .filter(|r| UNSAFE.contains(&r.method))
        .map(|r| {
            let format = r.format.as_ref().map(|f| f.to_string());
            (r.method, r.uri.as_str().to_string(), format)
        })
        // The bearer-token API (none yet) carries no cookies, so no CSRF token either.
        .filter(|(_, uri, _)| !uri.starts_with("/api/"))
        .collect();
    // A logout that went through would turn every later staff route into a redirect to the
    // login page: walk it last, so such a failure names the logout alone.
    routes.sort_by_key(|(_, uri, _)| uri.ends_with("/logout"));
    let walked: Vec<&str> = routes.iter().map(|(_, uri, _)| uri.as_str()).collect();
    for needed in [
        "/staff/login",
        "/lang",
        "/tickets",
        "/staff/tickets/<id>/reply",
    ] {
        assert!(walked.contains(&needed), "{needed} is walked: {walked:?}");
    }

    let mut accepted = Vec::new();
    for (method, uri, format) in &routes {
        let target = fill(uri, &tid, "printer-offline");
        for multipart in [false, true] {
            let wanted = if multipart { "multipart" } else { "x-www-form" };
            if format.as_ref().is_some_and(|f| !f.contains(wanted)) {
                continue;
            }
            let status = without_token(&app.client, *method, &target, multipart);
            if status != Status::Forbidden {
                let kind = if multipart { "multipart" } else { "urlencoded" };
                accepted.push(format!("{method} {target} ({uri}, {kind}): {status}"));
            }
        }
    }
    assert!(
        accepted.is_empty(),
        "every state-changing route answers 403 without a CSRF token; these did not:\n{}",
        accepted.join("\n")
    );
    assert_eq!(written(&app), before, "nothing was written");
    // Still logged in: the logout without a token was refused too.
    get_ok(&app.client, "/staff/tickets");
}
