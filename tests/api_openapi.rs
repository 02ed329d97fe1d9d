//! The API's OpenAPI document kept true: every route the app mounts under `/api/v1` is in the
//! served document and every documented operation exists; each operation is called for real
//! (its successes and its error answers: 400, 401, 403, 404, 413, 422) and each answer's body
//! is checked against the schema the document gives for its status.
//!
//! The calls are in `examples`, keyed by the document's operation. A documented operation
//! without an example fails the test: whoever documents a route adds its calls there.

use std::collections::{BTreeMap, BTreeSet};

use rocket::http::{ContentType, Header, Method, Status};
use serde_json::{Value, json};

use crate::common::openapi::{Spec, document_path};
use crate::common::{Multipart, TestApp, TicketInput, submit_ticket};
use helpdesk::auth::api_tokens::{self, Scope};

/// What a call sends as its body.
pub enum Body {
    None,
    /// Sent as `application/json`, whatever it holds (malformed JSON too).
    Json(String),
    Multipart(Multipart),
}

/// One request and the status it must get.
pub struct Call {
    pub method: Method,
    pub uri: String,
    pub token: Option<String>,
    pub body: Body,
    pub expect: u16,
}

impl Call {
    fn new(method: Method, uri: impl Into<String>, token: Option<&str>, expect: u16) -> Call {
        Call {
            method,
            uri: uri.into(),
            token: token.map(str::to_string),
            body: Body::None,
            expect,
        }
    }

    fn json(mut self, body: Value) -> Call {
        self.body = Body::Json(body.to_string());
        self
    }

    fn raw(mut self, body: &str) -> Call {
        self.body = Body::Json(body.to_string());
        self
    }

    fn multipart(mut self, form: Multipart) -> Call {
        self.body = Body::Multipart(form);
        self
    }
}

/// The app, a ticket with a file, and tokens.
pub struct Fixture {
    pub app: TestApp,
    /// A portal ticket (category 2) with one attachment.
    pub tid: String,
    pub attachment: i64,
    /// The admin's read-write token, the agent's read token, a revoked one.
    pub rw: String,
    pub read: String,
    pub revoked: String,
}

pub fn token(app: &TestApp, email: &str, scope: Scope) -> (i64, String) {
    let email = email.to_string();
    app.db
        .write_blocking(move |c| {
            let id: i64 = c.query_row("SELECT id FROM staff WHERE email = ?1", [&email], |r| {
                r.get(0)
            })?;
            api_tokens::create(c, id, "test", scope, 0)
        })
        .unwrap()
}

impl Fixture {
    pub fn new() -> Fixture {
        let app = TestApp::new();
        let tid = submit_ticket(
            &app.client,
            &TicketInput::default(),
            &[("notes.txt", "text/plain", b"printer log")],
        );
        let attachment = app.count("SELECT MAX(id) FROM attachments");
        let (_, rw) = token(&app, crate::common::ADMIN_EMAIL, Scope::ReadWrite);
        let (_, read) = token(&app, crate::common::AGENT_EMAIL, Scope::Read);
        let (id, revoked) = token(&app, crate::common::ADMIN_EMAIL, Scope::ReadWrite);
        app.db
            .write_blocking(move |c| api_tokens::revoke(c, id, 1).map(|_| ()))
            .unwrap();
        Fixture {
            app,
            tid,
            attachment,
            rw,
            read,
            revoked,
        }
    }

    /// Sends `call`; the status, the Content-Type and the body.
    pub fn send(&self, call: &Call) -> (u16, String, Vec<u8>) {
        let mut req = self.app.client.req(call.method, call.uri.clone());
        if let Some(t) = &call.token {
            req = req.header(Header::new("Authorization", format!("Bearer {t}")));
        }
        req = match &call.body {
            Body::None => req,
            Body::Json(s) => req.header(ContentType::JSON).body(s.clone()),
            Body::Multipart(m) => req.header(Multipart::content_type()).body(m.finish()),
        };
        let res = req.dispatch();
        let status = res.status().code;
        let ctype = res
            .content_type()
            .map(|c| c.to_string())
            .unwrap_or_default();
        (status, ctype, res.into_bytes().unwrap_or_default())
    }
}

/// The example calls of every documented operation, keyed by ("METHOD", "/path").
pub fn examples(fx: &Fixture) -> BTreeMap<(String, String), Vec<Call>> {
    let (rw, read, revoked) = (
        Some(fx.rw.as_str()),
        Some(fx.read.as_str()),
        Some(fx.revoked.as_str()),
    );
    let tid = &fx.tid;
    let unknown = "/api/v1/tickets/AAA-AAA-AAAA";
    let one = format!("/api/v1/tickets/{tid}");
    let messages = format!("{one}/messages");
    let attachments = format!("{one}/attachments");
    let new_ticket = json!({
        "subject": "VPN drops every hour",
        "message": "Since Monday the VPN disconnects every hour.",
        "requester": {"name": "Luis Soto", "email": "luis@office.example"},
        "category": 3,
    });
    let oversized = format!("{{\"body\": \"{}\"}}", "x".repeat(1024 * 1024 + 10));
    let file = |name: &str, data: &[u8]| {
        let mut m = Multipart::new();
        m.file("file", name, "application/octet-stream", data);
        m
    };
    let mut with_text = file("trace.log", b"line 1\nline 2\n");
    with_text
        .text("body", "The trace you asked for.")
        .text("kind", "note");
    let mut unknown_part = file("trace.log", b"x");
    unknown_part.text("colour", "red");
    let key = |m: &str, p: &str| (m.to_string(), p.to_string());
    let mut ex = BTreeMap::new();
    ex.insert(
        key("GET", "/openapi.json"),
        vec![Call::new(Method::Get, "/api/v1/openapi.json", None, 200)],
    );
    ex.insert(
        key("GET", "/statuses"),
        vec![
            Call::new(Method::Get, "/api/v1/statuses", read, 200),
            Call::new(Method::Get, "/api/v1/statuses", None, 401),
        ],
    );
    for path in ["/categories", "/priorities", "/staff", "/kb/articles"] {
        let uri = format!("/api/v1{path}");
        ex.insert(
            key("GET", path),
            vec![
                Call::new(Method::Get, uri.clone(), read, 200),
                Call::new(Method::Get, uri, None, 401),
            ],
        );
    }
    ex.get_mut(&key("GET", "/kb/articles")).unwrap().extend([
        Call::new(
            Method::Get,
            "/api/v1/kb/articles?limit=1&status=draft",
            rw,
            200,
        ),
        Call::new(Method::Get, "/api/v1/kb/articles?limit=0", rw, 400),
    ]);
    ex.insert(
        key("GET", "/kb/search"),
        vec![
            Call::new(Method::Get, "/api/v1/kb/search?q=printer", read, 200),
            Call::new(Method::Get, "/api/v1/kb/search?q=", read, 400),
            Call::new(Method::Get, "/api/v1/kb/search?q=printer", None, 401),
        ],
    );
    ex.insert(
        key("GET", "/tickets"),
        vec![
            Call::new(Method::Get, "/api/v1/tickets", rw, 200),
            Call::new(
                Method::Get,
                "/api/v1/tickets?limit=1&assignee=none&q=printer",
                read,
                200,
            ),
            Call::new(
                Method::Get,
                "/api/v1/tickets?updated_since=2020-01-01T00:00:00Z",
                rw,
                200,
            ),
            Call::new(Method::Get, "/api/v1/tickets", None, 401),
            Call::new(Method::Get, "/api/v1/tickets", Some("hd_malformed"), 401),
            Call::new(Method::Get, "/api/v1/tickets", revoked, 401),
            Call::new(Method::Get, "/api/v1/tickets?limit=101", rw, 422),
            Call::new(Method::Get, "/api/v1/tickets?status=999", rw, 422),
            Call::new(Method::Get, "/api/v1/tickets?cursor=garbled", rw, 422),
            Call::new(Method::Get, "/api/v1/tickets?stauts=1", rw, 422),
        ],
    );
    ex.insert(
        key("POST", "/tickets"),
        vec![
            Call::new(Method::Post, "/api/v1/tickets", rw, 201).json(new_ticket.clone()),
            Call::new(Method::Post, "/api/v1/tickets", rw, 400).raw("{\"subject\": "),
            Call::new(Method::Post, "/api/v1/tickets", rw, 422)
                .json(json!({"subject": "x", "message": "y", "requester": {"name": "A", "email": "a@b.example"}, "category": 2, "colour": "red"})),
            Call::new(Method::Post, "/api/v1/tickets", rw, 422)
                .json(json!({"subject": "", "message": "y", "requester": {"name": "A", "email": "not-mail"}, "category": 2})),
            Call::new(Method::Post, "/api/v1/tickets", rw, 413).raw(&oversized),
            Call::new(Method::Post, "/api/v1/tickets", read, 403).json(new_ticket.clone()),
            Call::new(Method::Post, "/api/v1/tickets", None, 401).json(new_ticket),
        ],
    );
    ex.insert(
        key("GET", "/tickets/{tracking_id}"),
        vec![
            Call::new(Method::Get, one.clone(), read, 200),
            Call::new(Method::Get, unknown, read, 404),
            Call::new(Method::Get, "/api/v1/tickets/not-an-id", read, 404),
            Call::new(Method::Get, one.clone(), None, 401),
        ],
    );
    ex.insert(
        key("PATCH", "/tickets/{tracking_id}"),
        vec![
            Call::new(Method::Patch, one.clone(), rw, 200)
                .json(json!({"priority": 3, "assignee": null})),
            Call::new(Method::Patch, one.clone(), rw, 200)
                .json(json!({"status": 2, "assignee": 2})),
            Call::new(Method::Patch, one.clone(), rw, 422).json(json!({})),
            Call::new(Method::Patch, one.clone(), rw, 422).json(json!({"status": "open"})),
            Call::new(Method::Patch, one.clone(), rw, 422).json(json!({"category": 999})),
            Call::new(Method::Patch, one.clone(), rw, 400).raw("{"),
            Call::new(Method::Patch, one.clone(), rw, 413).raw(&oversized),
            Call::new(Method::Patch, unknown, rw, 404).json(json!({"priority": 1})),
            Call::new(Method::Patch, one.clone(), read, 403).json(json!({"priority": 1})),
            Call::new(Method::Patch, one.clone(), None, 401).json(json!({"priority": 1})),
        ],
    );
    ex.insert(
        key("GET", "/tickets/{tracking_id}/messages"),
        vec![
            Call::new(Method::Get, messages.clone(), read, 200),
            Call::new(Method::Get, format!("{unknown}/messages"), read, 404),
            Call::new(Method::Get, messages.clone(), None, 401),
        ],
    );
    ex.insert(
        key("POST", "/tickets/{tracking_id}/messages"),
        vec![
            Call::new(Method::Post, messages.clone(), rw, 201)
                .json(json!({"body": "Restarted the spooler.", "kind": "reply", "notify": false})),
            Call::new(Method::Post, messages.clone(), rw, 201)
                .json(json!({"body": "Spooler was stuck.", "kind": "note"})),
            Call::new(Method::Post, messages.clone(), rw, 422)
                .json(json!({"body": "x", "kind": "shout"})),
            Call::new(Method::Post, messages.clone(), rw, 422).json(json!({"body": "  "})),
            Call::new(Method::Post, messages.clone(), rw, 400).raw("not json"),
            Call::new(Method::Post, messages.clone(), rw, 413).raw(&oversized),
            Call::new(Method::Post, format!("{unknown}/messages"), rw, 404)
                .json(json!({"body": "x"})),
            Call::new(Method::Post, messages.clone(), read, 403).json(json!({"body": "x"})),
            Call::new(Method::Post, messages, None, 401).json(json!({"body": "x"})),
        ],
    );
    ex.insert(
        key("POST", "/tickets/{tracking_id}/attachments"),
        vec![
            Call::new(Method::Post, attachments.clone(), rw, 201).multipart(with_text),
            Call::new(Method::Post, attachments.clone(), rw, 201)
                .multipart(file("screen.png", b"\x89PNG fake")),
            Call::new(Method::Post, attachments.clone(), rw, 422)
                .multipart(file("virus.exe", b"MZ")),
            Call::new(Method::Post, attachments.clone(), rw, 422).multipart(unknown_part),
            // The desk's limit is 10 MB a file (Admin > Settings).
            Call::new(Method::Post, attachments.clone(), rw, 413)
                .multipart(file("huge.pdf", &vec![b'%'; 10 * 1024 * 1024 + 1])),
            Call::new(Method::Post, attachments.clone(), rw, 415).json(json!({"file": "x"})),
            Call::new(Method::Post, format!("{unknown}/attachments"), rw, 404)
                .multipart(file("a.txt", b"a")),
            Call::new(Method::Post, attachments.clone(), read, 403).multipart(file("a.txt", b"a")),
            Call::new(Method::Post, attachments, None, 401).multipart(file("a.txt", b"a")),
        ],
    );
    let download = format!("/api/v1/tickets/{tid}/attachments/{}", fx.attachment);
    ex.insert(
        key("GET", "/tickets/{tracking_id}/attachments/{id}"),
        vec![
            Call::new(Method::Get, download.clone(), read, 200),
            Call::new(
                Method::Get,
                format!("/api/v1/tickets/{tid}/attachments/999999"),
                read,
                404,
            ),
            Call::new(
                Method::Get,
                format!("{unknown}/attachments/{}", fx.attachment),
                read,
                404,
            ),
            Call::new(Method::Get, download, None, 401),
        ],
    );
    // Incidents (tests/incidents.rs checks the changes themselves).
    ex.insert(
        key("GET", "/incidents"),
        vec![
            Call::new(Method::Get, "/api/v1/incidents", read, 200),
            Call::new(Method::Get, "/api/v1/incidents", None, 401),
        ],
    );
    ex.insert(
        key("PATCH", "/incidents/{id}"),
        vec![
            Call::new(Method::Patch, "/api/v1/incidents/999", rw, 404)
                .json(json!({"status": "open"})),
            Call::new(Method::Patch, "/api/v1/incidents/999", read, 403)
                .json(json!({"status": "open"})),
            Call::new(Method::Patch, "/api/v1/incidents/999", rw, 422).json(json!({"status": 5})),
        ],
    );
    ex
}

fn served_document(fx: &Fixture) -> Spec {
    let (status, ctype, body) = fx.send(&Call::new(Method::Get, "/api/v1/openapi.json", None, 200));
    assert_eq!(status, 200);
    assert!(ctype.starts_with("application/json"), "{ctype}");
    Spec::new(serde_json::from_slice(&body).expect("the document is JSON"))
}

/// Every route under /api/v1, as ("GET", "/tickets/{tracking_id}").
fn mounted_routes(fx: &Fixture) -> BTreeSet<(String, String)> {
    fx.app
        .client
        .rocket()
        .routes()
        .filter(|r| r.uri.base() == "/api/v1")
        .map(|r| {
            let path = r.uri.unmounted_origin.path().as_str().to_string();
            (r.method.as_str().to_string(), document_path(&path, ""))
        })
        .collect()
}

#[test]
fn the_document_describes_exactly_the_mounted_routes() {
    let fx = Fixture::new();
    let spec = served_document(&fx);
    let documented = spec.operations();
    let mounted = mounted_routes(&fx);
    let undocumented: Vec<_> = mounted.difference(&documented).collect();
    assert!(
        undocumented.is_empty(),
        "routes mounted under /api/v1 but missing from /api/v1/openapi.json: {undocumented:?}"
    );
    let phantom: Vec<_> = documented.difference(&mounted).collect();
    assert!(
        phantom.is_empty(),
        "operations in /api/v1/openapi.json that no route serves: {phantom:?}"
    );
}

#[test]
fn every_answer_of_every_operation_matches_the_document() {
    let fx = Fixture::new();
    let spec = served_document(&fx);
    let mut examples = examples(&fx);
    let mut problems = Vec::new();
    for (method, path) in spec.operations() {
        let Some(calls) = examples.remove(&(method.clone(), path.clone())) else {
            problems.push(format!(
                "{method} {path} is documented but has no example request: add its calls to \
                 `examples` in tests/api_openapi.rs"
            ));
            continue;
        };
        for call in calls {
            let (status, ctype, body) = fx.send(&call);
            let what = format!("{method} {} (expected {})", call.uri, call.expect);
            if status != call.expect {
                problems.push(format!(
                    "{what}: got {status}: {}",
                    String::from_utf8_lossy(&body)
                ));
                continue;
            }
            if let (Body::Json(sent), true) = (&call.body, status < 300)
                && let Some(schema) = spec.request_schema(&method, &path)
            {
                let sent: Value = serde_json::from_str(sent).unwrap();
                for e in spec.schema_errors(&schema, &sent) {
                    problems.push(format!("{what}: the request body breaks its schema: {e}"));
                }
            }
            match spec.response_schema(&method, &path, status) {
                Some(schema) => {
                    assert!(ctype.starts_with("application/json"), "{what}: {ctype}");
                    let body: Value = serde_json::from_slice(&body)
                        .unwrap_or_else(|e| panic!("{what}: not JSON ({e})"));
                    for e in spec.schema_errors(&schema, &body) {
                        problems.push(format!("{what}: {e}\n    body: {body}"));
                    }
                }
                // A file: the bytes themselves.
                None => assert!(!body.is_empty(), "{what}: an empty body"),
            }
        }
    }
    let left: Vec<_> = examples.keys().collect();
    assert!(
        left.is_empty(),
        "examples for operations the document does not have: {left:?}"
    );
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}

#[test]
fn the_check_refuses_a_key_the_schema_does_not_allow() {
    let fx = Fixture::new();
    let spec = served_document(&fx);
    let call = Call::new(
        Method::Get,
        format!("/api/v1/tickets/{}", fx.tid),
        Some(&fx.read),
        200,
    );
    let (status, _, body) = fx.send(&call);
    assert_eq!(status, Status::Ok.code);
    let ticket: Value = serde_json::from_slice(&body).unwrap();
    let path = "/tickets/{tracking_id}";
    spec.check("GET", path, 200, &ticket);

    let mut extra = ticket.clone();
    extra["colour"] = json!("red");
    assert!(!spec.answer_errors("GET", path, 200, &extra).is_empty());
    let mut nested = ticket.clone();
    nested["status"]["colour"] = json!("red");
    assert!(!spec.answer_errors("GET", path, 200, &nested).is_empty());
    let mut missing = ticket.clone();
    missing.as_object_mut().unwrap().remove("updated_at");
    assert!(!spec.answer_errors("GET", path, 200, &missing).is_empty());
    let mut bad_time = ticket;
    bad_time["created_at"] = json!("yesterday");
    assert!(!spec.answer_errors("GET", path, 200, &bad_time).is_empty());
}
