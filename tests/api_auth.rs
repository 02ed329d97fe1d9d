//! The API's door: bearer tokens, the one error shape, a revoked token or a deactivated account
//! stopping at once.

use rocket::http::{Header, Status};
use serde_json::Value;

use crate::common::{TestApp, TicketInput, submit_ticket};
use helpdesk::auth::api_tokens::{self, Scope};

fn token_for(app: &TestApp, email: &str, scope: Scope) -> (i64, String) {
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

fn get_json(app: &TestApp, path: &str, token: Option<&str>) -> (Status, Value) {
    let mut req = app.client.get(path);
    if let Some(t) = token {
        req = req.header(Header::new("Authorization", format!("Bearer {t}")));
    }
    let res = req.dispatch();
    let status = res.status();
    let body: Value = serde_json::from_str(&res.into_string().unwrap_or_default())
        .expect("every API answer is JSON");
    (status, body)
}

#[test]
fn a_token_reads_and_bad_tokens_get_the_error_shape() {
    let app = TestApp::new();
    let tid = submit_ticket(&app.client, &TicketInput::default(), &[]);
    let (_, token) = token_for(&app, crate::common::AGENT_EMAIL, Scope::Read);

    let (status, body) = get_json(&app, &format!("/api/v1/tickets/{tid}"), Some(&token));
    assert_eq!(status, Status::Ok, "{body}");
    assert_eq!(body["tracking_id"], tid);
    assert_eq!(body["status"]["slug"], "new");
    assert_eq!(body["requester"]["email"], TicketInput::default().email);

    for bad in [None, Some("hd_nope"), Some("not-a-token")] {
        let (status, body) = get_json(&app, "/api/v1/statuses", bad);
        assert_eq!(status, Status::Unauthorized);
        assert_eq!(body["error"]["code"], "unauthorized", "{body}");
        assert!(
            body["error"]["message"]
                .as_str()
                .is_some_and(|m| !m.is_empty())
        );
    }
    let (status, body) = get_json(&app, "/api/v1/nothing-here", Some(&token));
    assert_eq!(status, Status::NotFound);
    assert_eq!(body["error"]["code"], "not_found");
}

#[test]
fn revoking_or_deactivating_stops_a_token_at_once() {
    let app = TestApp::new();
    let (id, token) = token_for(&app, crate::common::AGENT_EMAIL, Scope::ReadWrite);
    assert_eq!(
        get_json(&app, "/api/v1/statuses", Some(&token)).0,
        Status::Ok
    );
    app.db
        .write_blocking(move |c| api_tokens::revoke(c, id, 1).map(|_| ()))
        .unwrap();
    assert_eq!(
        get_json(&app, "/api/v1/statuses", Some(&token)).0,
        Status::Unauthorized
    );

    let (_, token) = token_for(&app, crate::common::AGENT_EMAIL, Scope::ReadWrite);
    app.db
        .write_blocking(|c| {
            c.execute(
                "UPDATE staff SET active = 0 WHERE email = ?1",
                [crate::common::AGENT_EMAIL],
            )?;
            Ok(())
        })
        .unwrap();
    let (status, body) = get_json(&app, "/api/v1/statuses", Some(&token));
    assert_eq!(status, Status::Unauthorized);
    assert!(
        body["error"]["message"]
            .as_str()
            .unwrap()
            .contains("deactivated")
    );
}
