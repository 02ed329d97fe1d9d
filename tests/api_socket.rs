//! The API end to end: the real binary on a real socket, tokens made with the real CLI, every
//! answer checked against the document the server itself serves.

use std::path::Path;

use serde_json::{Value, json};

use crate::common::openapi::Spec;
use crate::common::server::{self, Server};

/// `helpdesk token create ...`: the token, alone on standard output.
fn token(db: &Path, email: &str, scope: &str) -> String {
    let run = server::run(
        db,
        &[
            "token", "create", "--email", email, "--name", "e2e", "--scope", scope,
        ],
        &[],
        b"",
    );
    assert_eq!(run.code, Some(0), "{run:?}");
    let token = run.stdout.trim().to_string();
    assert!(
        token.starts_with("hd_") && !token.contains('\n'),
        "only the token on stdout: {run:?}"
    );
    token
}

fn add_agent(db: &Path, email: &str) {
    let run = server::run(
        db,
        &[
            "user",
            "add",
            "--role",
            "agent",
            "--email",
            email,
            "--name",
            email,
            "--password-stdin",
        ],
        &[],
        b"a-long-password-1\n",
    );
    assert_eq!(run.code, Some(0), "{run:?}");
}

struct Api<'a> {
    server: &'a Server,
    spec: Spec,
}

/// An answer: its status, its JSON body and its Location header.
struct Answer {
    status: u16,
    body: Value,
    location: Option<String>,
}

impl Api<'_> {
    /// Sends a request; the answer's body is checked against the document's schema for
    /// `template` (the path as the document writes it) and the status.
    fn call(
        &self,
        method: &str,
        path: &str,
        template: &str,
        token: &str,
        body: Option<&str>,
    ) -> Answer {
        let req = server::agent()
            .request(method, &self.server.url(&format!("/api/v1{path}")))
            .set("Authorization", &format!("Bearer {token}"))
            .set("Content-Type", "application/json");
        let res = match body {
            Some(b) => req.send_string(b),
            None => req.call(),
        };
        let res = match res {
            Ok(r) => r,
            Err(ureq::Error::Status(_, r)) => r,
            Err(e) => panic!("{method} {path}: {e}"),
        };
        let status = res.status();
        let location = res.header("Location").map(str::to_string);
        let text = res.into_string().expect("body");
        let body: Value = serde_json::from_str(&text)
            .unwrap_or_else(|e| panic!("{method} {path}: not JSON ({e}): {text}"));
        self.spec.check(method, template, status, &body);
        Answer {
            status,
            body,
            location,
        }
    }
}

#[test]
fn a_cli_token_works_the_desk_over_http_and_every_answer_matches_the_document() {
    let dir = tempfile::tempdir().expect("temp dir");
    let db = dir.path().join("helpdesk.db");
    let server = Server::start(&db);
    add_agent(&db, "ana@example.com");
    add_agent(&db, "lim@example.com");
    // Lim works only "Accounts & access" (category 4).
    let limited = helpdesk::db::Db::open(&db).unwrap();
    limited
        .write_blocking(|c| {
            let id: i64 = c.query_row(
                "SELECT id FROM staff WHERE email = 'lim@example.com'",
                [],
                |r| r.get(0),
            )?;
            helpdesk::auth::access::set(c, id, false, &[4])
        })
        .unwrap();

    let admin = token(&db, "admin@localhost", "read-write");
    let reader = token(&db, "ana@example.com", "read");
    let lim = token(&db, "lim@example.com", "read-write");
    for (args, needle) in [
        (
            vec!["--email", "nobody@example.com", "--name", "x"],
            "no staff account",
        ),
        (
            vec![
                "--email",
                "ana@example.com",
                "--name",
                "x",
                "--scope",
                "admin",
            ],
            "scope must be",
        ),
    ] {
        let mut all = vec!["token", "create"];
        all.extend(args);
        let run = server::run(&db, &all, &[], b"");
        assert_eq!(run.code, Some(1), "{run:?}");
        assert!(
            run.stderr.contains(needle) && run.stdout.is_empty(),
            "{run:?}"
        );
    }

    let doc: Value = serde_json::from_str(
        &server::agent()
            .get(&server.url("/api/v1/openapi.json"))
            .call()
            .expect("the document needs no token")
            .into_string()
            .expect("body"),
    )
    .expect("JSON");
    let api = Api {
        server: &server,
        spec: Spec::new(doc),
    };

    // Create, read, list.
    let new = json!({
        "subject": "Laptop will not charge",
        "message": "The charger light stays off.",
        "requester": {"name": "Marta Ruiz", "email": "Marta@Office.example"},
        "category": 2,
    });
    let created = api.call(
        "POST",
        "/tickets",
        "/tickets",
        &admin,
        Some(&new.to_string()),
    );
    assert_eq!(created.status, 201, "{}", created.body);
    let tid = created.body["tracking_id"].as_str().unwrap().to_string();
    assert_eq!(
        created.location.as_deref(),
        Some(format!("/api/v1/tickets/{tid}").as_str())
    );
    assert_eq!(created.body["channel"], "api");
    assert_eq!(created.body["requester"]["email"], "marta@office.example");
    assert_eq!(created.body["status"]["slug"], "new");
    let one = format!("/tickets/{tid}");
    let got = api.call("GET", &one, "/tickets/{tracking_id}", &reader, None);
    assert_eq!((got.status, &got.body), (200, &created.body));
    let listed = api.call(
        "GET",
        "/tickets?requester=marta@office.example",
        "/tickets",
        &reader,
        None,
    );
    assert_eq!(listed.status, 200);
    assert_eq!(listed.body["data"][0]["tracking_id"], tid.as_str());
    assert_eq!(listed.body["next_cursor"], Value::Null);

    // Update, reply, note, read the conversation.
    let ana_id: i64 = limited
        .read_blocking(|c| {
            Ok(c.query_row(
                "SELECT id FROM staff WHERE email = 'ana@example.com'",
                [],
                |r| r.get(0),
            )?)
        })
        .unwrap();
    let patched = api.call(
        "PATCH",
        &one,
        "/tickets/{tracking_id}",
        &admin,
        Some(&json!({"status": 2, "priority": 3, "assignee": ana_id}).to_string()),
    );
    assert_eq!(patched.status, 200, "{}", patched.body);
    assert_eq!(patched.body["status"]["slug"], "in_progress");
    assert_eq!(patched.body["assignee"]["email"], "ana@example.com");
    let messages = format!("{one}/messages");
    let template = "/tickets/{tracking_id}/messages";
    let reply = api.call(
        "POST",
        &messages,
        template,
        &admin,
        Some(r#"{"body": "Try another socket, please.", "kind": "reply"}"#),
    );
    assert_eq!(reply.status, 201, "{}", reply.body);
    assert_eq!(reply.body["kind"], "reply");
    let note = api.call(
        "POST",
        &messages,
        template,
        &admin,
        Some(r#"{"body": "Charger probably dead.", "kind": "note", "notify": false}"#),
    );
    assert_eq!(note.status, 201, "{}", note.body);
    let conversation = api.call("GET", &messages, template, &reader, None);
    let kinds: Vec<&str> = conversation.body["data"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["kind"].as_str().unwrap())
        .collect();
    assert_eq!(kinds, ["requester", "reply", "note"]);
    let after = api.call("GET", &one, "/tickets/{tracking_id}", &reader, None);
    assert!(
        after.body["first_response_at"].is_string(),
        "{}",
        after.body
    );
    assert_eq!(after.body["message_count"], 3);

    // Refused requests change nothing.
    let before = after.body;
    let refusals = [
        (
            "PATCH",
            one.as_str(),
            "/tickets/{tracking_id}",
            reader.as_str(),
            r#"{"priority": 1}"#.to_string(),
            403,
            "read-only",
        ),
        (
            "POST",
            messages.as_str(),
            template,
            reader.as_str(),
            r#"{"body": "hi"}"#.to_string(),
            403,
            "read-only",
        ),
        (
            "PATCH",
            one.as_str(),
            "/tickets/{tracking_id}",
            admin.as_str(),
            "{\"priority\": ".to_string(),
            400,
            "malformed JSON",
        ),
        (
            "PATCH",
            one.as_str(),
            "/tickets/{tracking_id}",
            admin.as_str(),
            r#"{"priority": 1, "colour": "red"}"#.to_string(),
            422,
            "colour",
        ),
        (
            "PATCH",
            one.as_str(),
            "/tickets/{tracking_id}",
            admin.as_str(),
            r#"{"assignee": "ana"}"#.to_string(),
            422,
            "assignee",
        ),
        (
            "POST",
            messages.as_str(),
            template,
            admin.as_str(),
            format!("{{\"body\": \"{}\"}}", "x".repeat(1024 * 1024)),
            413,
            "limit",
        ),
    ];
    for (method, path, template, token, body, status, needle) in refusals {
        let answer = api.call(method, path, template, token, Some(&body));
        assert_eq!(answer.status, status, "{method} {path}: {}", answer.body);
        let message = answer.body["error"]["message"].as_str().unwrap();
        assert!(message.contains(needle), "{status}: {message}");
    }
    let unchanged = api.call("GET", &one, "/tickets/{tracking_id}", &admin, None);
    assert_eq!(
        unchanged.body, before,
        "refused requests changed the ticket"
    );

    // The limited agent neither sees nor changes another category's ticket, nor moves theirs
    // into one.
    let missing = api.call("GET", &one, "/tickets/{tracking_id}", &lim, None);
    assert_eq!(missing.status, 404);
    let missing = api.call(
        "PATCH",
        &one,
        "/tickets/{tracking_id}",
        &lim,
        Some(r#"{"priority": 1}"#),
    );
    assert_eq!(missing.status, 404);
    let missing = api.call(
        "POST",
        &messages,
        template,
        &lim,
        Some(r#"{"body": "hello"}"#),
    );
    assert_eq!(missing.status, 404);
    let mut theirs = new.clone();
    theirs["category"] = json!(4);
    let theirs = api.call(
        "POST",
        "/tickets",
        "/tickets",
        &lim,
        Some(&theirs.to_string()),
    );
    assert_eq!(theirs.status, 201, "{}", theirs.body);
    let refused = api.call("POST", "/tickets", "/tickets", &lim, Some(&new.to_string()));
    assert_eq!(refused.status, 403, "{}", refused.body);
    let theirs_path = format!("/tickets/{}", theirs.body["tracking_id"].as_str().unwrap());
    let moved = api.call(
        "PATCH",
        &theirs_path,
        "/tickets/{tracking_id}",
        &lim,
        Some(r#"{"category": 2}"#),
    );
    assert_eq!(moved.status, 422, "{}", moved.body);
    assert!(
        moved.body["error"]["message"]
            .as_str()
            .unwrap()
            .starts_with("category:")
    );
    let visible = api.call("GET", "/tickets", "/tickets", &lim, None);
    let seen: Vec<&str> = visible.body["data"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["tracking_id"].as_str().unwrap())
        .collect();
    assert_eq!(seen, [theirs.body["tracking_id"].as_str().unwrap()]);
    assert_eq!(
        unchanged.body,
        api.call("GET", &one, "/tickets/{tracking_id}", &admin, None)
            .body
    );

    // Listed, then revoked with the CLI: the token stops at once.
    let list = server::run(
        &db,
        &["token", "list", "--email", "admin@localhost"],
        &[],
        b"",
    );
    assert_eq!(list.code, Some(0), "{list:?}");
    let line = list.stdout.lines().next().expect("one token");
    assert!(
        line.contains(&admin[..9]) && line.contains("live"),
        "{list:?}"
    );
    let id = line.split('\t').next().unwrap();
    let revoke = server::run(&db, &["token", "revoke", id], &[], b"");
    assert_eq!(revoke.code, Some(0), "{revoke:?}");
    let gone = api.call("GET", "/tickets", "/tickets", &admin, None);
    assert_eq!(gone.status, 401);
    let again = server::run(&db, &["token", "revoke", id], &[], b"");
    assert_eq!(again.code, Some(1), "{again:?}");
    let audited = limited
        .read_blocking(|c| {
            Ok(c.query_row(
                "SELECT COUNT(*) FROM audit_log WHERE action IN ('cli_api_token_created', 'cli_api_token_revoked')",
                [],
                |r| r.get::<_, i64>(0),
            )?)
        })
        .unwrap();
    assert_eq!(audited, 4, "three tokens made, one revoked");
}
