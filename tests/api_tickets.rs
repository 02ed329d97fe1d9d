//! The API's ticket routes behave as the desk does: the list's filters and cursor pages (stable
//! while tickets change), replies that mail or not, the history naming the token's member, files
//! up and down, and refusals that name what was wrong.

use std::collections::BTreeSet;

use rocket::http::{ContentType, Header, Status};
use serde_json::{Value, json};

use crate::api_openapi::token;
use crate::common::{ADMIN_EMAIL, AGENT_EMAIL, Multipart, TestApp, TicketInput, submit_ticket};
use helpdesk::auth::api_tokens::Scope;

fn call(
    app: &TestApp,
    method: &str,
    path: &str,
    token: &str,
    body: Option<Value>,
) -> (Status, Value) {
    let method = match method {
        "GET" => rocket::http::Method::Get,
        "POST" => rocket::http::Method::Post,
        _ => rocket::http::Method::Patch,
    };
    let mut req = app
        .client
        .req(method, format!("/api/v1{path}"))
        .header(Header::new("Authorization", format!("Bearer {token}")));
    if let Some(b) = body {
        req = req.header(ContentType::JSON).body(b.to_string());
    }
    let res = req.dispatch();
    let status = res.status();
    let text = res.into_string().unwrap_or_default();
    (status, serde_json::from_str(&text).unwrap_or(Value::Null))
}

fn get(app: &TestApp, path: &str, token: &str) -> Value {
    let (status, body) = call(app, "GET", path, token, None);
    assert_eq!(status, Status::Ok, "GET {path}: {body}");
    body
}

fn tracking_ids(page: &Value) -> Vec<String> {
    page["data"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["tracking_id"].as_str().unwrap().to_string())
        .collect()
}

fn open(app: &TestApp, token: &str, subject: &str, email: &str, category: i64) -> String {
    let body = json!({
        "subject": subject,
        "message": format!("About {subject}."),
        "requester": {"name": "Some One", "email": email},
        "category": category,
    });
    let (status, ticket) = call(app, "POST", "/tickets", token, Some(body));
    assert_eq!(status, Status::Created, "{ticket}");
    ticket["tracking_id"].as_str().unwrap().to_string()
}

/// Walks every page of `query` at `limit` a page; `between` runs after the first page.
fn walk(app: &TestApp, token: &str, query: &str, mut between: impl FnMut()) -> Vec<String> {
    let mut seen = Vec::new();
    let mut cursor: Option<String> = None;
    for page_no in 0.. {
        assert!(page_no < 100, "the walk never ends");
        let path = match &cursor {
            Some(c) => format!("/tickets?{query}&cursor={c}"),
            None => format!("/tickets?{query}"),
        };
        let page = get(app, &path, token);
        seen.extend(tracking_ids(&page));
        if page_no == 0 {
            between();
        }
        match page["next_cursor"].as_str() {
            Some(c) => cursor = Some(c.to_string()),
            None => break,
        }
    }
    seen
}

#[test]
fn cursor_pages_list_each_ticket_once_while_tickets_change() {
    let app = TestApp::new();
    let (_, rw) = token(&app, ADMIN_EMAIL, Scope::ReadWrite);
    let opened: Vec<String> = (0..23)
        .map(|i| open(&app, &rw, &format!("Ticket {i}"), "a@office.example", 2))
        .collect();
    // Their changes a second apart, some in the same second (the id breaks the tie).
    app.db
        .write_blocking(|c| {
            c.execute("UPDATE tickets SET updated_at = 1000 + id / 2", [])?;
            Ok(())
        })
        .unwrap();
    let all = walk(&app, &rw, "limit=5", || {});
    assert_eq!(all.len(), 23);
    assert_eq!(
        all.iter().collect::<BTreeSet<_>>().len(),
        23,
        "no ticket twice"
    );
    let newest_first: Vec<String> = opened.iter().rev().cloned().collect();
    assert_eq!(all, newest_first);

    // While a client pages: a listed ticket and a not yet listed one change, a ticket opens.
    let (first, later) = (opened[22].clone(), opened[3].clone());
    let mut added = String::new();
    let walked = walk(&app, &rw, "limit=5", || {
        for tid in [&first, &later] {
            let (status, _) = call(
                &app,
                "PATCH",
                &format!("/tickets/{tid}"),
                &rw,
                Some(json!({"priority": 4})),
            );
            assert_eq!(status, Status::Ok);
        }
        added = open(&app, &rw, "Opened meanwhile", "b@office.example", 2);
    });
    assert_eq!(
        walked.iter().collect::<BTreeSet<_>>().len(),
        walked.len(),
        "no ticket twice: {walked:?}"
    );
    let unchanged: Vec<&String> = opened
        .iter()
        .filter(|t| **t != first && **t != later)
        .collect();
    for t in &unchanged {
        assert!(walked.contains(t), "{t} was skipped");
    }
    // What changed meanwhile is what `updated_since` the walk's start finds.
    let since = get(&app, "/tickets?updated_since=2001-01-01T00:00:00Z", &rw);
    let changed: BTreeSet<String> = tracking_ids(&since).into_iter().collect();
    assert_eq!(changed, BTreeSet::from([first, later, added]));
}

#[test]
fn the_list_filters_as_asked_and_names_a_bad_parameter() {
    let app = TestApp::new();
    let (_, rw) = token(&app, ADMIN_EMAIL, Scope::ReadWrite);
    let (_, agent) = token(&app, AGENT_EMAIL, Scope::ReadWrite);
    let printer = open(
        &app,
        &rw,
        "Printer jams on floor 3",
        "ana@office.example",
        2,
    );
    let vpn = open(&app, &rw, "VPN drops", "luis@office.example", 3);
    let agent_id = app.count("SELECT id FROM staff WHERE email = 'agent@example.com'");
    let (status, _) = call(
        &app,
        "PATCH",
        &format!("/tickets/{vpn}"),
        &rw,
        Some(json!({"assignee": agent_id, "status": 2})),
    );
    assert_eq!(status, Status::Ok);

    let only =
        |query: &str, token: &str| tracking_ids(&get(&app, &format!("/tickets?{query}"), token));
    assert_eq!(only("category=3", &rw), [vpn.as_str()]);
    assert_eq!(only("status=2", &rw), [vpn.as_str()]);
    assert_eq!(only("assignee=none", &rw), [printer.as_str()]);
    assert_eq!(only(&format!("assignee={agent_id}"), &rw), [vpn.as_str()]);
    assert_eq!(only("assignee=me", &agent), [vpn.as_str()]);
    assert_eq!(only("assignee=me", &rw), Vec::<String>::new());
    assert_eq!(
        only("requester=ANA@office.example", &rw),
        [printer.as_str()]
    );
    assert_eq!(only("q=jams+printer", &rw), [printer.as_str()]);
    assert_eq!(only(&format!("q={vpn}"), &rw), [vpn.as_str()]);
    assert_eq!(
        only("updated_since=2999-01-01T00:00:00%2B02:00", &rw),
        Vec::<String>::new()
    );
    assert_eq!(only("limit=1", &rw).len(), 1);

    for (query, named) in [
        ("status=new", "status:"),
        ("priority=99", "priority:"),
        ("category=-1", "category:"),
        ("assignee=someone", "assignee:"),
        ("assignee=9999", "assignee:"),
        ("requester=ana", "requester:"),
        ("updated_since=yesterday", "updated_since:"),
        ("limit=0", "limit:"),
        ("limit=101", "limit:"),
        ("cursor=MTIz", "cursor:"),
        ("sort=subject", "`sort`"),
        ("limit=5&limit=6", "limit:"),
    ] {
        let (status, body) = call(&app, "GET", &format!("/tickets?{query}"), &rw, None);
        assert_eq!(status, Status::UnprocessableEntity, "{query}: {body}");
        let message = body["error"]["message"].as_str().unwrap();
        assert!(message.contains(named), "{query}: {message}");
    }
}

#[test]
fn replies_mail_unless_told_not_to_and_the_history_names_the_member() {
    let app = TestApp::with_config(|c| c.smtp_url = "smtp://127.0.0.1:9".into());
    let (_, rw) = token(&app, ADMIN_EMAIL, Scope::ReadWrite);
    let tid = submit_ticket(&app.client, &TicketInput::default(), &[]);
    let to_requester =
        || app.count("SELECT COUNT(*) FROM outbox WHERE to_addr = 'ana@office.example'");
    let before = to_requester();
    let path = format!("/tickets/{tid}/messages");
    let (status, _) = call(
        &app,
        "POST",
        &path,
        &rw,
        Some(json!({"body": "Quiet fix.", "notify": false})),
    );
    assert_eq!(status, Status::Created);
    assert_eq!(to_requester(), before, "notify: false mails nobody");
    let (status, _) = call(
        &app,
        "POST",
        &path,
        &rw,
        Some(json!({"body": "Internal.", "kind": "note"})),
    );
    assert_eq!(status, Status::Created);
    assert_eq!(to_requester(), before, "a note never reaches the requester");
    let (status, reply) = call(
        &app,
        "POST",
        &path,
        &rw,
        Some(json!({"body": "Fixed, try now."})),
    );
    assert_eq!(status, Status::Created);
    assert_eq!(reply["kind"], "reply");
    assert_eq!(reply["author"]["name"], "Alice Admin");
    assert_eq!(to_requester(), before + 1, "a reply mails the requester");

    let (status, _) = call(
        &app,
        "PATCH",
        &format!("/tickets/{tid}"),
        &rw,
        Some(json!({"status": 5})),
    );
    assert_eq!(status, Status::Ok);
    let by = app.count(
        "SELECT COUNT(*) FROM ticket_events WHERE field = 'status' AND actor_name = 'Alice Admin'",
    );
    assert_eq!(by, 1, "the history names the token's member");
    let ticket = get(&app, &format!("/tickets/{tid}"), &rw);
    assert!(ticket["resolved_at"].is_string(), "{ticket}");
}

#[test]
fn refused_changes_name_the_field_and_change_nothing() {
    let app = TestApp::new();
    let (_, rw) = token(&app, ADMIN_EMAIL, Scope::ReadWrite);
    let tid = submit_ticket(&app.client, &TicketInput::default(), &[]);
    let one = format!("/tickets/{tid}");
    let before = get(&app, &one, &rw);
    let events = || app.count("SELECT COUNT(*) FROM ticket_events");
    let events_before = events();
    for (body, named) in [
        (json!({}), "changes nothing"),
        (json!({"status": 999}), "status:"),
        (json!({"status": null}), "status:"),
        (json!({"priority": 999}), "priority:"),
        (json!({"category": 999}), "category:"),
        (json!({"assignee": 999}), "assignee:"),
        (json!({"priority": "high"}), "priority:"),
        (
            json!({"priority": 1, "tags": ["x"]}),
            "unknown field `tags`",
        ),
    ] {
        let (status, answer) = call(&app, "PATCH", &one, &rw, Some(body.clone()));
        assert_eq!(status, Status::UnprocessableEntity, "{body}: {answer}");
        let message = answer["error"]["message"].as_str().unwrap();
        assert!(message.contains(named), "{body}: {message}");
    }
    for (body, named) in [
        (
            json!({"subject": " ", "message": "m", "requester": {"name": "A", "email": "a@b.example"}, "category": 2}),
            "subject:",
        ),
        (
            json!({"subject": "s", "message": "m", "requester": {"name": "A", "email": "nope"}, "category": 2}),
            "requester.email:",
        ),
        (
            json!({"subject": "s", "message": "m", "requester": {"name": "A"}, "category": 2}),
            "requester: missing field `email`",
        ),
        (
            json!({"subject": "s", "message": "m", "requester": {"name": "A", "email": "a@b.example"}, "category": 99}),
            "category:",
        ),
        (
            json!({"subject": "s", "message": "m", "requester": {"name": "A", "email": "a@b.example"}, "category": "2"}),
            "category: invalid type",
        ),
    ] {
        let (status, answer) = call(&app, "POST", "/tickets", &rw, Some(body.clone()));
        assert_eq!(status, Status::UnprocessableEntity, "{body}: {answer}");
        let message = answer["error"]["message"].as_str().unwrap();
        assert!(message.contains(named), "{body}: {message}");
    }
    assert_eq!(get(&app, &one, &rw), before);
    assert_eq!(events(), events_before);
    assert_eq!(app.count("SELECT COUNT(*) FROM tickets"), 1);
}

#[test]
fn files_go_up_as_a_message_and_come_down_as_they_went() {
    let app = TestApp::new();
    let (_, rw) = token(&app, ADMIN_EMAIL, Scope::ReadWrite);
    let tid = submit_ticket(&app.client, &TicketInput::default(), &[]);
    let mut form = Multipart::new();
    form.file("file", "error.log", "text/plain", b"E: paper jam\n")
        .file("file", "photo.png", "image/png", b"\x89PNG...")
        .text("kind", "reply")
        .text("notify", "false");
    let res = app
        .client
        .post(format!("/api/v1/tickets/{tid}/attachments"))
        .header(Header::new("Authorization", format!("Bearer {rw}")))
        .header(Multipart::content_type())
        .body(form.finish())
        .dispatch();
    assert_eq!(res.status(), Status::Created);
    let message: Value = serde_json::from_str(&res.into_string().unwrap()).unwrap();
    assert_eq!(message["kind"], "reply");
    assert_eq!(message["body"], "Attached: error.log, photo.png");
    let files = message["attachments"].as_array().unwrap();
    assert_eq!(files.len(), 2);
    let url = files[0]["url"].as_str().unwrap();
    let res = app
        .client
        .get(url.to_string())
        .header(Header::new("Authorization", format!("Bearer {rw}")))
        .dispatch();
    assert_eq!(res.status(), Status::Ok);
    assert_eq!(
        res.content_type().unwrap().to_string(),
        "text/plain; charset=utf-8"
    );
    assert!(
        res.headers()
            .get_one("Content-Disposition")
            .unwrap()
            .starts_with("attachment")
    );
    assert_eq!(res.into_bytes().unwrap(), b"E: paper jam\n");
    // Anything but multipart is refused as such.
    let (status, refused) = call(
        &app,
        "POST",
        &format!("/tickets/{tid}/attachments"),
        &rw,
        Some(json!({"file": "x"})),
    );
    assert_eq!(status, Status::UnsupportedMediaType);
    assert!(
        refused["error"]["message"]
            .as_str()
            .unwrap()
            .contains("multipart"),
        "{refused}"
    );
    // Listed with the conversation.
    let conversation = get(&app, &format!("/tickets/{tid}/messages"), &rw);
    assert_eq!(
        conversation["data"][1]["attachments"],
        message["attachments"]
    );
}

#[test]
fn a_member_of_several_categories_pages_through_theirs_alone() {
    let app = TestApp::new();
    let (_, rw) = token(&app, ADMIN_EMAIL, Scope::ReadWrite);
    let mut theirs = Vec::new();
    for i in 0..9 {
        let category = 2 + i % 3;
        let tid = open(
            &app,
            &rw,
            &format!("Ticket {i}"),
            "a@office.example",
            category,
        );
        if category != 4 {
            theirs.push(tid);
        }
    }
    app.db
        .write_blocking(|c| {
            c.execute("UPDATE tickets SET updated_at = 1000 + id", [])?;
            let id: i64 = c.query_row(
                "SELECT id FROM staff WHERE email = ?1",
                [AGENT_EMAIL],
                |r| r.get(0),
            )?;
            helpdesk::auth::access::set(c, id, false, &[2, 3])
        })
        .unwrap();
    let (_, limited) = token(&app, AGENT_EMAIL, Scope::Read);
    theirs.reverse();
    assert_eq!(walk(&app, &limited, "limit=4", || {}), theirs);
    assert_eq!(walk(&app, &limited, "limit=4&q=ticket", || {}), theirs);
    let in_four = tracking_ids(&get(&app, "/tickets?category=4", &limited));
    assert!(in_four.is_empty(), "{in_four:?}");
}
