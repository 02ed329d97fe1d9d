//! Webhooks end to end through the real pages, with a real HTTP receiver started by each test
//! (`common::receiver`) that checks every signature with the hmac crate: a portal submission
//! reaching the receiver within seconds, signed, and again after the receiver was down, each
//! event and its filter, a deactivated webhook, every chat preset's body, and `sla.breached` from
//! the escalation job. The admin pages are in `webhooks_admin`, delivery itself (retries, order,
//! timeouts, `kill -9`) in `webhooks_delivery`; the helpers here serve all.

use std::time::Duration;

use crate::common::receiver::Receiver;
use crate::common::*;
use crate::sla::{HIGH, backdate, simple_policy, utc};
use helpdesk::webhooks::deliver;
use rocket::http::Status;
use rocket::local::blocking::Client;
use serde_json::Value;

const TIMEOUT: Duration = Duration::from_secs(5);

pub fn admin(app: &TestApp) -> Client {
    let client = app.other_client();
    login(&client, ADMIN_EMAIL, ADMIN_PASSWORD);
    client
}

/// Posts the new-webhook form with `fields` (and the token).
pub fn add_webhook<'c>(
    admin: &'c Client,
    fields: &[(&str, &str)],
) -> rocket::local::blocking::LocalResponse<'c> {
    let token = csrf(admin, "/admin/webhooks");
    let mut all = vec![("csrf_token", token.as_str())];
    all.extend_from_slice(fields);
    post_form(admin, "/admin/webhooks", &all)
}

/// Creates an active webhook to `url` for `events` in `preset`; returns its id.
pub fn webhook(app: &TestApp, admin: &Client, url: &str, events: &[&str], preset: &str) -> i64 {
    let mut fields = vec![("url", url), ("preset", preset), ("active", "on")];
    fields.extend(events.iter().map(|e| ("events", *e)));
    let res = add_webhook(admin, &fields);
    assert_eq!(res.status(), Status::SeeOther, "webhook to {url} created");
    app.count("SELECT max(id) FROM webhooks")
}

pub fn secret(app: &TestApp, id: i64) -> String {
    app.db
        .read_blocking(move |c| {
            Ok(
                c.query_row("SELECT secret FROM webhooks WHERE id = ?1", [id], |r| {
                    r.get(0)
                })?,
            )
        })
        .unwrap()
}

fn deliveries(app: &TestApp, webhook: i64) -> i64 {
    app.count(&format!(
        "SELECT count(*) FROM webhook_deliveries WHERE webhook_id = {webhook}"
    ))
}

/// Every request's event name, in order.
pub fn events(receiver: &Receiver) -> Vec<String> {
    receiver
        .requests()
        .iter()
        .map(|r| r.header("x-helpdesk-event").unwrap_or("").to_string())
        .collect()
}

/// The "done when": a portal submission reaches the receiver, signed, within seconds,
/// through the server's own job runner; and again once the receiver is back after being down
/// (the minute is given to the job's pass, not waited for).
#[test]
fn a_portal_submission_reaches_the_receiver_signed_within_seconds_and_after_it_was_down() {
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

    let submitted = helpdesk::db::now();
    let tid = submit_ticket(&app.other_client(), &TicketInput::default(), &[]);
    let got = receiver.wait_for(1);
    let req = &got[0];
    assert!(req.at.elapsed() < Duration::from_secs(30));
    assert_eq!(req.method, "POST");
    assert_eq!(req.path, "/in");
    assert_eq!(req.header("x-helpdesk-event"), Some("ticket.created"));
    assert_eq!(req.header("content-type"), Some("application/json"));
    assert_eq!(req.header("user-agent"), Some("Helpdesk-Webhooks"));
    let t = req.signed_at(&secret).expect("a valid signature");
    assert!((t - submitted).abs() <= 300, "t is the time of sending");
    assert!(req.signed_at("another secret").is_none());
    let body = req.json();
    assert_eq!(body["event"], "ticket.created");
    assert_eq!(body["delivery"].as_str(), req.header("x-helpdesk-delivery"));
    assert_eq!(body["ticket"]["tracking_id"], tid.as_str());
    assert_eq!(body["ticket"]["requester"]["name"], "Ana Garcia");
    assert_eq!(body["ticket"]["status"]["slug"], "new");
    assert_eq!(body["actor"]["kind"], "requester");

    // Down: the port is closed. The next submission still goes through at once.
    let port = receiver.port;
    receiver.stop();
    let tid2 = submit_ticket(
        &app.other_client(),
        &TicketInput {
            subject: "Monitor flickers",
            ..TicketInput::default()
        },
        &[],
    );
    // The job tried and logged the failure.
    let deadline = std::time::Instant::now() + Duration::from_secs(30);
    let error: String = loop {
        let e: Option<String> = app
            .db
            .read_blocking(|c| {
                Ok(c.query_row(
                    "SELECT last_error FROM webhook_deliveries ORDER BY id DESC LIMIT 1",
                    [],
                    |r| r.get(0),
                )?)
            })
            .unwrap();
        if let Some(e) = e {
            break e;
        }
        assert!(std::time::Instant::now() < deadline, "no attempt was made");
        std::thread::sleep(Duration::from_millis(50));
    };
    assert!(!error.is_empty());
    let page = get_ok(&admin, &format!("/admin/webhooks/{id}"));
    assert!(page.contains("Waiting") && page.contains("next try"));

    // Back a minute later.
    let receiver = Receiver::start_on(port);
    let later = helpdesk::db::now() + 61;
    let summary = deliver::deliver_due(&app.db, TIMEOUT, later).unwrap();
    assert_eq!(summary.delivered, 1, "{summary}");
    let got = receiver.wait_for(1);
    let body = got[0].json();
    assert_eq!(body["ticket"]["tracking_id"], tid2.as_str());
    let t = got[0].signed_at(&secret).expect("signed");
    assert!((t - later).abs() <= 300);
    assert_eq!(
        app.count("SELECT count(*) FROM webhook_deliveries WHERE status = 'delivered'"),
        2
    );
}

#[test]
fn each_webhook_gets_its_chosen_events_and_a_deactivated_one_nothing() {
    let receiver = Receiver::start();
    let app = TestApp::new();
    let admin = admin(&app);
    let all = [
        "ticket.created",
        "ticket.updated",
        "message.created",
        "ticket.resolved",
    ];
    let everything = webhook(&app, &admin, &receiver.url("/all"), &all, "generic");
    let messages_only = webhook(
        &app,
        &admin,
        &receiver.url("/messages"),
        &["message.created"],
        "generic",
    );
    // Created active, then deactivated on its page.
    let off = webhook(&app, &admin, &receiver.url("/off"), &all, "generic");
    let token = csrf(&admin, &format!("/admin/webhooks/{off}"));
    let res = post_form(
        &admin,
        &format!("/admin/webhooks/{off}"),
        &[
            ("csrf_token", &token),
            ("url", &receiver.url("/off")),
            ("events", "ticket.created"),
            ("preset", "generic"),
        ],
    );
    assert_eq!(res.status(), Status::SeeOther);

    let tid = submit_ticket(&app.other_client(), &TicketInput::default(), &[]);
    let ticket = ticket_id(&app, &tid);
    let agent = app.other_client();
    login(&agent, AGENT_EMAIL, AGENT_PASSWORD);
    let token = csrf(&agent, &format!("/staff/tickets/{ticket}"));
    let post = |path: &str, fields: &[(&str, &str)]| {
        let mut all = vec![("csrf_token", token.as_str())];
        all.extend_from_slice(fields);
        let res = post_form(&agent, &format!("/staff/tickets/{ticket}/{path}"), &all);
        assert_eq!(res.status(), Status::SeeOther, "{path}");
    };
    post(
        "reply",
        &[("message", "Checking the cable."), ("kind", "note")],
    );
    post("update", &[("priority", HIGH)]);
    post(
        "reply",
        &[
            ("message", "Fixed, it was the cable."),
            ("kind", "reply"),
            ("status", "5"),
        ],
    );

    receiver.wait_for(8);
    let of = |path: &str| -> Vec<Value> {
        receiver
            .requests()
            .iter()
            .filter(|r| r.path == path)
            .map(|r| r.json())
            .collect()
    };
    let names = |bodies: &[Value]| -> Vec<String> {
        bodies
            .iter()
            .map(|b| b["event"].as_str().unwrap().to_string())
            .collect()
    };
    let to_all = of("/all");
    assert_eq!(
        names(&to_all),
        [
            "ticket.created",
            "message.created",
            "ticket.updated",
            "message.created",
            "ticket.updated",
            "ticket.resolved"
        ],
        "in the order they happened"
    );
    let note = &to_all[1]["message"];
    assert_eq!(note["kind"], "note");
    assert_eq!(note["body"], "Checking the cable.");
    assert_eq!(note["author"]["name"], "Gus Agent");
    let change = &to_all[2]["changes"][0];
    assert_eq!(change["field"], "priority");
    assert_eq!(change["old"]["name"], "Medium");
    assert_eq!(change["new"]["name"], "High");
    assert_eq!(to_all[3]["message"]["kind"], "staff");
    assert_eq!(to_all[4]["changes"][0]["field"], "status");
    assert_eq!(to_all[4]["changes"][0]["new"]["name"], "Resolved");
    assert_eq!(to_all[5]["ticket"]["status"]["slug"], "resolved");
    assert_eq!(to_all[5]["actor"]["name"], "Gus Agent");

    let to_messages = of("/messages");
    assert_eq!(names(&to_messages), ["message.created", "message.created"]);
    assert!(of("/off").is_empty());
    assert_eq!(deliveries(&app, off), 0, "nothing is even queued for it");
    assert_eq!(deliveries(&app, everything), 6);
    assert_eq!(deliveries(&app, messages_only), 2);
}

#[test]
fn each_preset_posts_its_services_format() {
    let receiver = Receiver::start();
    let app = TestApp::new();
    let admin = admin(&app);
    for preset in ["generic", "slack", "teams", "mattermost", "discord"] {
        webhook(
            &app,
            &admin,
            &receiver.url(&format!("/{preset}")),
            &["ticket.created"],
            preset,
        );
    }
    webhook(
        &app,
        &admin,
        &receiver.url("/ntfy/helpdesk"),
        &["ticket.created"],
        "ntfy",
    );
    let tid = submit_ticket(&app.other_client(), &TicketInput::default(), &[]);
    let id = ticket_id(&app, &tid);
    let got = receiver.wait_for(6);
    let body = |path: &str| -> Value {
        got.iter()
            .find(|r| r.path == path)
            .unwrap_or_else(|| panic!("nothing at {path}"))
            .json()
    };
    let link = format!("{}/staff/tickets/{id}", app.config.base_url);
    let line = "Printer on floor 2 is offline — Ana Garcia, Hardware, Medium";
    let generic = body("/generic");
    assert_eq!(generic["ticket"]["category"]["name"], "Hardware");
    assert_eq!(
        body("/slack")["text"],
        format!("New ticket <{link}|{tid}>: {line}")
    );
    let markdown = format!("New ticket [{tid}]({link}): {line}");
    assert_eq!(body("/mattermost")["text"], markdown);
    let discord = body("/discord");
    assert_eq!(discord["content"], markdown);
    assert_eq!(discord["allowed_mentions"]["parse"], serde_json::json!([]));
    let teams = body("/teams");
    assert_eq!(teams["type"], "message");
    let card = &teams["attachments"][0];
    assert_eq!(
        card["contentType"],
        "application/vnd.microsoft.card.adaptive"
    );
    assert_eq!(card["content"]["type"], "AdaptiveCard");
    assert_eq!(
        card["content"]["body"][0]["text"],
        format!("New ticket {tid}")
    );
    assert_eq!(card["content"]["body"][1]["text"], line);
    assert_eq!(card["content"]["actions"][0]["url"], link.as_str());
    // ntfy: JSON publishing goes to the server's root, with the topic in the body.
    let ntfy = body("/ntfy/");
    assert_eq!(ntfy["topic"], "helpdesk");
    assert_eq!(ntfy["title"], format!("New ticket {tid}"));
    assert_eq!(ntfy["message"], line);
    assert_eq!(ntfy["click"], link.as_str());
    // Every preset is signed like the generic one.
    for r in &got {
        assert!(r.header("x-helpdesk-signature").is_some());
        assert_eq!(r.header("x-helpdesk-event"), Some("ticket.created"));
    }
}

/// `sla.breached` comes from the escalation job's pass at the breach, once, even for a policy
/// without escalation steps.
#[test]
fn a_breach_is_announced_once_by_the_escalation_job() {
    let app = TestApp::new();
    let admin = admin(&app);
    simple_policy(&admin, "High", HIGH, "30", "240");
    let receiver = Receiver::start();
    let id = webhook(
        &app,
        &admin,
        &receiver.url("/sla"),
        &["sla.breached"],
        "generic",
    );
    let tid = submit_ticket(
        &app.other_client(),
        &TicketInput {
            category: "3",
            ..TicketInput::default()
        },
        &[],
    );
    let ticket = ticket_id(&app, &tid);
    // Years ahead, so the server's own runner (at the real time) never reaches it.
    let opened = utc("2031-01-06T09:00:00Z");
    backdate(&app, ticket, opened, opened);
    let config = app.config.clone();
    let pass = |at: i64| {
        let config = config.clone();
        app.db
            .write_blocking(move |c| {
                let settings = helpdesk::settings::Settings::load(c)?;
                let mail = helpdesk::notify::MailCtx::from_parts(&config, &settings);
                helpdesk::sla::escalate::escalate_due(c, &mail, at)
            })
            .unwrap();
    };
    pass(opened + 29 * 60);
    assert_eq!(deliveries(&app, id), 0, "not yet");
    pass(opened + 30 * 60);
    pass(opened + 31 * 60);
    assert_eq!(deliveries(&app, id), 1, "the first response's breach, once");
    pass(opened + 240 * 60);
    assert_eq!(deliveries(&app, id), 2, "then the resolution's");
    deliver::deliver_due(&app.db, TIMEOUT, opened + 240 * 60).unwrap();
    let got = receiver.wait_for(2);
    let first = got[0].json();
    assert_eq!(first["event"], "sla.breached");
    assert_eq!(first["breach"]["target"], "first_response");
    assert_eq!(first["breach"]["due_at"], "2031-01-06T09:30:00Z");
    assert_eq!(first["ticket"]["tracking_id"], tid.as_str());
    assert_eq!(got[1].json()["breach"]["target"], "resolution");
}
