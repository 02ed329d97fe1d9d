//! Admin > Webhooks: bad input refused next to its field with nothing stored, the secret
//! generated and shown, kept or replaced, delete, the audit log (never the secret nor the URL's
//! path), "Send test event" and "Redeliver" through a real HTTP receiver.

use std::time::Duration;

use crate::common::receiver::Receiver;
use crate::common::*;
use crate::webhooks::{add_webhook, admin, events, secret, webhook};
use rocket::http::Status;

#[test]
fn admins_manage_webhooks_and_bad_input_is_refused_next_to_its_field() {
    let app = TestApp::new();
    let agent = app.other_client();
    login(&agent, AGENT_EMAIL, AGENT_PASSWORD);
    assert_eq!(
        agent.get("/admin/webhooks").dispatch().status(),
        Status::Forbidden
    );
    let admin = admin(&app);
    let page = get_ok(&admin, "/admin/webhooks");
    assert!(page.contains("No webhooks yet.") && page.contains("X-Helpdesk-Signature"));
    assert!(get_ok(&admin, "/admin/staff").contains("href=\"/admin/webhooks\""));

    let refused = [
        (
            vec![("url", ""), ("events", "ticket.created")],
            "Enter the address",
        ),
        (
            vec![
                ("url", "ftp://example.com/in"),
                ("events", "ticket.created"),
            ],
            "addresses can receive webhooks",
        ),
        (
            vec![
                ("url", "https://exa mple.com/in"),
                ("events", "ticket.created"),
            ],
            "This is not a URL",
        ),
        (
            vec![("url", "https://example.com/in")],
            "Tick at least one event",
        ),
        (
            vec![
                ("url", "https://example.com/in"),
                ("events", "ticket.deleted"),
            ],
            "does not exist",
        ),
        (
            vec![
                ("url", "https://example.com/in"),
                ("events", "ticket.created"),
                ("secret", "short"),
            ],
            "16 to 200 characters",
        ),
        (
            vec![
                ("url", "https://ntfy.sh/"),
                ("events", "ticket.created"),
                ("preset", "ntfy"),
            ],
            "the topic&#x27;s address",
        ),
    ];
    for (mut fields, message) in refused {
        if !fields.iter().any(|(k, _)| *k == "preset") {
            fields.push(("preset", "generic"));
        }
        let res = add_webhook(&admin, &fields);
        assert_eq!(res.status(), Status::UnprocessableEntity, "{fields:?}");
        let page = res.into_string().unwrap();
        assert!(
            page.contains("field-error") && page.contains(message),
            "{message}"
        );
        assert_eq!(
            app.count("SELECT count(*) FROM webhooks"),
            0,
            "nothing stored"
        );
    }

    // A good one: its secret is generated and shown on its page.
    let res = add_webhook(
        &admin,
        &[
            ("name", "Ops tools"),
            ("url", "https://hooks.example.com/helpdesk?token=abc"),
            ("events", "ticket.created"),
            ("events", "message.created"),
            ("preset", "generic"),
            ("active", "on"),
        ],
    );
    assert_eq!(res.status(), Status::SeeOther);
    let id = app.count("SELECT id FROM webhooks");
    assert_eq!(location(&res), format!("/admin/webhooks/{id}"));
    let generated = secret(&app, id);
    assert!(generated.starts_with("whsec_") && generated.len() > 40);
    let page = get_ok(&admin, &format!("/admin/webhooks/{id}"));
    assert!(
        page.contains(&generated),
        "the secret is shown to the admin"
    );
    assert!(page.contains("Nothing sent yet."));
    let list = get_ok(&admin, "/admin/webhooks");
    assert!(list.contains("Ops tools") && list.contains("hooks.example.com"));

    // Saved with the secret left empty: it stays; a typed one replaces it.
    let token = csrf(&admin, &format!("/admin/webhooks/{id}"));
    let save = |fields: &[(&str, &str)]| {
        let mut all = vec![("csrf_token", token.as_str())];
        all.extend_from_slice(fields);
        post_form(&admin, &format!("/admin/webhooks/{id}"), &all).status()
    };
    let base = [
        ("name", "Ops tools"),
        ("url", "https://hooks.example.com/v2"),
        ("events", "ticket.resolved"),
        ("preset", "slack"),
    ];
    assert_eq!(save(&base), Status::SeeOther);
    let stored = app
        .db
        .read_blocking(move |c| Ok(helpdesk::webhooks::store::get(c, id)?.unwrap()));
    let stored = stored.unwrap();
    assert_eq!(stored.secret, generated);
    assert_eq!(stored.url, "https://hooks.example.com/v2");
    assert_eq!(stored.events.names(), ["ticket.resolved"]);
    assert!(!stored.active, "unticked: inactive");
    let mut with_secret = base.to_vec();
    with_secret.push(("secret", "a-new-secret-of-some-length"));
    assert_eq!(save(&with_secret), Status::SeeOther);
    assert_eq!(secret(&app, id), "a-new-secret-of-some-length");
    // Bad input on the edit form changes nothing.
    assert_eq!(
        save(&[
            ("url", "mailto:ops@example.com"),
            ("events", "ticket.created"),
            ("preset", "generic")
        ]),
        Status::UnprocessableEntity
    );
    assert_eq!(secret(&app, id), "a-new-secret-of-some-length");

    let token = csrf(&admin, &format!("/admin/webhooks/{id}"));
    let res = post_form(
        &admin,
        &format!("/admin/webhooks/{id}/delete"),
        &[("csrf_token", &token)],
    );
    assert_eq!(res.status(), Status::SeeOther);
    assert_eq!(app.count("SELECT count(*) FROM webhooks"), 0);

    // The audit log has each change, never the secret nor the URL's path or query.
    let audit: Vec<(String, String)> = app
        .db
        .read_blocking(|c| {
            let mut stmt = c.prepare(
                "SELECT action, detail FROM audit_log WHERE action LIKE 'webhook_%' ORDER BY id",
            )?;
            let rows = stmt
                .query_map([], |r| Ok((r.get(0)?, r.get(1)?)))?
                .collect::<rusqlite::Result<Vec<_>>>()?;
            Ok(rows)
        })
        .unwrap();
    let actions: Vec<&str> = audit.iter().map(|(a, _)| a.as_str()).collect();
    assert_eq!(
        actions,
        [
            "webhook_created",
            "webhook_updated",
            "webhook_updated",
            "webhook_deleted"
        ]
    );
    assert!(audit[2].1.contains("secret=changed"));
    for (_, detail) in &audit {
        assert!(detail.contains("host=hooks.example.com"), "{detail}");
        assert!(
            !detail.contains("token=abc") && !detail.contains("/v2") && !detail.contains("whsec_")
        );
    }
    assert!(get_ok(&admin, "/admin/audit").contains("Webhook created"));
}

#[test]
fn the_admin_sends_a_test_event_and_redelivers_one() {
    let receiver = Receiver::start();
    let app = TestApp::new();
    let admin = admin(&app);
    let id = webhook(
        &app,
        &admin,
        &receiver.url("/in"),
        &["ticket.created"],
        "generic",
    );
    let secret = secret(&app, id);
    let page = format!("/admin/webhooks/{id}");
    let token = csrf(&admin, &page);
    let res = post_form(&admin, &format!("{page}/test"), &[("csrf_token", &token)]);
    assert_eq!(res.status(), Status::SeeOther);
    let got = receiver.wait_for(1);
    assert_eq!(got[0].header("x-helpdesk-event"), Some("webhook.test"));
    assert!(got[0].signed_at(&secret).is_some());
    assert_eq!(got[0].json()["webhook"]["id"], id);

    // Redeliver: the same delivery again, newly signed; the log shows it, the audit log too.
    let delivery = app.count("SELECT id FROM webhook_deliveries");
    let deadline = std::time::Instant::now() + Duration::from_secs(30);
    while app.count("SELECT count(*) FROM webhook_deliveries WHERE status = 'delivered'") == 0 {
        assert!(std::time::Instant::now() < deadline);
        std::thread::sleep(Duration::from_millis(20));
    }
    let log = get_ok(&admin, &page);
    assert!(log.contains("Delivered") && log.contains("webhook.test"));
    let res = post_form(
        &admin,
        &format!("{page}/deliveries/{delivery}/redeliver"),
        &[("csrf_token", &token)],
    );
    assert_eq!(res.status(), Status::SeeOther);
    let got = receiver.wait_for(2);
    assert_eq!(
        got[1].header("x-helpdesk-delivery"),
        got[0].header("x-helpdesk-delivery")
    );
    assert_eq!(got[1].body, got[0].body);
    assert!(got[1].signed_at(&secret).is_some());
    assert_eq!(
        app.count("SELECT count(*) FROM audit_log WHERE action = 'webhook_redelivered'"),
        1
    );
    // Without the token: refused, nothing queued.
    let res = post_form(
        &admin,
        &format!("{page}/deliveries/{delivery}/redeliver"),
        &[],
    );
    assert_eq!(res.status(), Status::Forbidden);
    let res = post_form(
        &admin,
        &format!("/admin/webhooks/{id}/deliveries/999/redeliver"),
        &[("csrf_token", &token)],
    );
    assert_eq!(res.status(), Status::NotFound);
    assert_eq!(events(&receiver), ["webhook.test", "webhook.test"]);
}
