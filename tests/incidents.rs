//! Outage detection and incidents (issue 17 item 2): a burst of similar tickets raises one
//! suspected incident and unrelated ones none (times set through the desk's clock parameter);
//! confirm and publish, the portal banner and "Me too"; a reply on the incident reaching every
//! requester at a real SMTP server; the API's GET and PATCH.

use rocket::http::{ContentType, Header, Status};
use serde_json::{Value, json};

use crate::common::smtp::Smtp;
use crate::common::{
    ADMIN_EMAIL, ADMIN_PASSWORD, AGENT_EMAIL, AGENT_PASSWORD, TestApp, csrf, get_ok, location,
    login, post_form, server,
};
use helpdesk::auth::api_tokens::{self, Scope};
use helpdesk::i18n::Lang;
use helpdesk::notify::MailCtx;
use helpdesk::settings::Settings;
use helpdesk::tickets::{Actor, Channel, NewTicket};
use helpdesk::workflow::{Ctx, Desk};

const T0: i64 = 1_900_000_000;

/// Opens a ticket as `email` at time `at` (the desk's clock parameter), in category 2.
fn open_at(app: &TestApp, at: i64, email: &str, subject: &str, message: &str, lang: Lang) -> i64 {
    let (email, subject, message) = (email.to_string(), subject.to_string(), message.to_string());
    let config = app.config.clone();
    app.db
        .write_blocking(move |c| {
            let priority: i64 =
                c.query_row("SELECT id FROM priorities LIMIT 1", [], |r| r.get(0))?;
            let ctx = Ctx::new(MailCtx::from_parts(&config, &Settings::load(c)?), at);
            let new = NewTicket {
                requester_name: email.split('@').next().unwrap().to_string(),
                requester_email: email.clone(),
                category_id: 2,
                priority_id: priority,
                subject,
                message,
                attachments: Vec::new(),
                channel: Channel::Portal,
                assignee_id: None,
                lang,
            };
            let events = Desk::new(c, &ctx).open(&Actor::requester("x"), &new)?;
            Ok(helpdesk::tickets::events::created(&events)
                .next()
                .unwrap()
                .0)
        })
        .unwrap()
}

const VPN: [(&str, &str); 6] = [
    ("VPN not connecting", "The VPN client fails since 9:00."),
    ("Can't reach VPN", "It times out from home."),
    ("Cannot connect to the VPN", "Connection failed, error 809."),
    ("VPN down?", "Is the VPN down for everyone?"),
    ("La VPN no conecta", "No puedo conectar desde casa."),
    ("VPN connection keeps failing", "It drops at once."),
];

fn vpn_burst(app: &TestApp, start: i64) -> Vec<i64> {
    VPN.iter()
        .enumerate()
        .map(|(i, (s, m))| {
            let lang = if i == 4 { Lang::Es } else { Lang::En };
            open_at(
                app,
                start + 120 * i as i64,
                &format!("user{i}@office.example"),
                s,
                m,
                lang,
            )
        })
        .collect()
}

#[test]
fn a_burst_of_similar_tickets_raises_one_suspected_incident_and_unrelated_ones_none() {
    let app = TestApp::new();
    // Unrelated tickets in the same minutes: nothing.
    let unrelated = [
        ("Printer out of toner", "Floor 3 printer."),
        ("Laptop screen flickers", "Since the update."),
        ("Keyboard missing keys", "The E key fell off."),
        ("Monitor will not turn on", "No light at all."),
        ("Need a second mouse", "For the meeting room."),
    ];
    for (i, (s, m)) in unrelated.iter().enumerate() {
        open_at(
            &app,
            T0 + 30 * i as i64,
            &format!("other{i}@office.example"),
            s,
            m,
            Lang::En,
        );
    }
    // The same person writing five times about the VPN is no burst either.
    for i in 0..5 {
        open_at(
            &app,
            T0 + 200 + i,
            "same@office.example",
            "VPN not connecting",
            "Again.",
            Lang::En,
        );
    }
    assert_eq!(app.count("SELECT count(*) FROM incidents"), 0);

    // Six people within 12 minutes: one suspected incident with all six.
    let later = T0 + 7200;
    let ids = vpn_burst(&app, later);
    assert_eq!(app.count("SELECT count(*) FROM incidents"), 1);
    assert_eq!(
        app.count("SELECT count(*) FROM incidents WHERE status = 'suggested'"),
        1
    );
    let attached = app.count("SELECT count(*) FROM incident_tickets WHERE attached = 1");
    assert_eq!(attached, 6, "the first three raise it, the rest join it");
    // A matching ticket much later joins it rather than raising another.
    let late = open_at(
        &app,
        later + 3600,
        "late@office.example",
        "VPN still down",
        "",
        Lang::En,
    );
    assert_eq!(app.count("SELECT count(*) FROM incidents"), 1);
    assert_eq!(
        app.count(&format!(
            "SELECT count(*) FROM incident_tickets WHERE ticket_id = {late}"
        )),
        1
    );
    // Outside the window, four VPN tickets spread over hours raise nothing new: the count stays.
    assert!(ids.len() == 6);

    // The agent home and the list show it, with its tickets, and one click confirms it.
    login(&app.client, AGENT_EMAIL, AGENT_PASSWORD);
    let home = get_ok(&app.client, "/staff");
    assert!(home.contains("7 tickets in"), "{home}");
    assert!(home.contains("VPN not connecting"));
    assert!(home.contains("La VPN no conecta"));
    let list = get_ok(&app.client, "/staff/tickets");
    assert!(list.contains("Suspected incident"));
    let incident: i64 = app.count("SELECT id FROM incidents");
    let token = csrf(&app.client, "/staff");
    // Without the CSRF token: refused, nothing changes.
    let res = post_form(
        &app.client,
        &format!("/staff/incidents/{incident}/confirm"),
        &[],
    );
    assert_ne!(res.status(), Status::SeeOther);
    assert_eq!(
        app.count("SELECT count(*) FROM incidents WHERE status = 'open'"),
        0
    );
    let res = post_form(
        &app.client,
        &format!("/staff/incidents/{incident}/confirm"),
        &[("csrf_token", &token)],
    );
    assert_eq!(res.status(), Status::SeeOther);
    assert_eq!(
        app.count("SELECT count(*) FROM incidents WHERE status = 'open'"),
        1
    );
}

#[test]
fn detection_thresholds_are_admin_settings_and_bad_values_are_refused() {
    let app = TestApp::new();
    login(&app.client, ADMIN_EMAIL, ADMIN_PASSWORD);
    let token = csrf(&app.client, "/admin/settings");
    let res = post_form(
        &app.client,
        "/admin/settings/incidents",
        &[
            ("csrf_token", &token),
            ("enabled", "true"),
            ("min_tickets", "1"),
            ("window_minutes", "abc"),
            ("attach", "auto"),
        ],
    );
    assert_eq!(res.status(), Status::UnprocessableEntity);
    let page = res.into_string().unwrap();
    assert!(page.contains("A whole number from 2 to 100."), "{page}");
    assert!(page.contains("A whole number of minutes from 1 to 1440."));
    assert_eq!(
        app.count("SELECT count(*) FROM settings WHERE key LIKE 'incidents_%'"),
        0
    );
    let res = post_form(
        &app.client,
        "/admin/settings/incidents",
        &[
            ("csrf_token", &token),
            ("enabled", "true"),
            ("min_tickets", "8"),
            ("window_minutes", "10"),
            ("attach", "suggest"),
        ],
    );
    assert_eq!(res.status(), Status::SeeOther);
    // Six tickets are no longer enough.
    vpn_burst(&app, T0);
    assert_eq!(app.count("SELECT count(*) FROM incidents"), 0);
}

fn raise_and_confirm(app: &TestApp) -> i64 {
    vpn_burst(app, helpdesk::db::now() - 900);
    let id = app.count("SELECT id FROM incidents");
    app.db
        .write_blocking(move |c| {
            helpdesk::incidents::store::set_status(c, id, helpdesk::incidents::Status::Open, 0)?;
            Ok(())
        })
        .unwrap();
    id
}

#[test]
fn a_published_incident_is_a_banner_on_the_portal_and_me_too_adds_a_linked_ticket() {
    let app = TestApp::new();
    let staff = app.other_client();
    login(&staff, AGENT_EMAIL, AGENT_PASSWORD);
    let id = raise_and_confirm(&app);
    let page = format!("/staff/incidents/{id}");
    let token = csrf(&staff, &page);
    // Publishing without a title: refused next to the field.
    let res = post_form(
        &staff,
        &format!("{page}/publish"),
        &[
            ("csrf_token", &token),
            ("public", "true"),
            ("public_title", " "),
        ],
    );
    assert_eq!(res.status(), Status::UnprocessableEntity);
    assert!(
        res.into_string()
            .unwrap()
            .contains("A known issue needs a title for the portal.")
    );
    assert_eq!(
        app.count("SELECT count(*) FROM incidents WHERE public = 1"),
        0
    );
    let res = post_form(
        &staff,
        &format!("{page}/publish"),
        &[
            ("csrf_token", &token),
            ("public", "true"),
            ("public_title", "VPN is down"),
        ],
    );
    assert_eq!(res.status(), Status::SeeOther);

    let visitor = app.other_client();
    let home = get_ok(&visitor, "/");
    assert!(home.contains("Known issue:"), "{home}");
    assert!(home.contains("VPN is down since"));
    assert!(get_ok(&visitor, "/tickets/new").contains("VPN is down since"));
    // Shown first while typing; no one's ticket subjects.
    let res = visitor.get("/suggest?q=vpn%20not%20working").dispatch();
    let body: Value = res.into_json().unwrap();
    assert_eq!(body["known_issues"][0]["title"], "VPN is down");
    assert!(!body.to_string().contains("Can't reach VPN"));

    // "Me too" with a bad address: refused next to the field, no ticket.
    let before = app.count("SELECT count(*) FROM tickets");
    let token = csrf(&visitor, "/");
    let me_too = format!("/known-issues/{id}/me-too");
    let res = post_form(
        &visitor,
        &me_too,
        &[("csrf_token", &token), ("email", "not-an-address")],
    );
    assert_eq!(res.status(), Status::UnprocessableEntity);
    assert_eq!(app.count("SELECT count(*) FROM tickets"), before);
    // Without the CSRF token: refused.
    let res = post_form(&visitor, &me_too, &[("email", "zoe@office.example")]);
    assert_ne!(res.status(), Status::SeeOther);
    assert_eq!(app.count("SELECT count(*) FROM tickets"), before);
    // One step: a ticket linked to the incident, the requester on its page.
    let res = post_form(
        &visitor,
        &me_too,
        &[("csrf_token", &token), ("email", "zoe@office.example")],
    );
    assert_eq!(res.status(), Status::SeeOther);
    let to = location(&res);
    assert!(to.starts_with("/tickets/"), "{to}");
    assert_eq!(app.count("SELECT count(*) FROM tickets"), before + 1);
    assert_eq!(
        app.count(&format!(
            "SELECT count(*) FROM incident_tickets it JOIN tickets t ON t.id = it.ticket_id
             WHERE it.incident_id = {id} AND it.attached = 1 AND t.requester_email = 'zoe@office.example'"
        )),
        1
    );
    let ticket = get_ok(&visitor, &to);
    assert!(ticket.contains("VPN is down"));
    // Pressed again: the same ticket, no second one.
    let res = post_form(
        &visitor,
        &me_too,
        &[("csrf_token", &token), ("email", "zoe@office.example")],
    );
    assert_eq!(res.status(), Status::SeeOther);
    assert_eq!(app.count("SELECT count(*) FROM tickets"), before + 1);
    // An unknown or unpublished incident: 404.
    let res = post_form(
        &visitor,
        "/known-issues/999/me-too",
        &[("csrf_token", &token), ("email", "zoe@office.example")],
    );
    assert_eq!(res.status(), Status::NotFound);
}

#[test]
fn a_reply_on_the_incident_reaches_every_requester_and_resolving_resolves_them_all() {
    let port = server::free_port();
    let dir = tempfile::tempdir().unwrap();
    let smtp = Smtp::start(dir.path(), port);
    let app = TestApp::with_config(|c| c.smtp_url = format!("smtp://127.0.0.1:{port}"));
    app.db
        .write_blocking(|c| Ok(c.execute("UPDATE staff SET notify_new_ticket = 0", [])?))
        .unwrap();
    let id = raise_and_confirm(&app);
    let staff = app.other_client();
    login(&staff, AGENT_EMAIL, AGENT_PASSWORD);
    let page = format!("/staff/incidents/{id}");
    let token = csrf(&staff, &page);
    // An empty reply: refused next to the field, nothing queued.
    let res = post_form(
        &staff,
        &format!("{page}/reply"),
        &[("csrf_token", &token), ("body", "  ")],
    );
    assert_eq!(res.status(), Status::UnprocessableEntity);
    assert!(
        res.into_string()
            .unwrap()
            .contains("Write the reply first.")
    );
    assert_eq!(app.count("SELECT count(*) FROM incident_batches"), 0);
    let res = post_form(
        &staff,
        &format!("{page}/reply"),
        &[
            ("csrf_token", &token),
            ("body", "The VPN gateway is restarting; back by 10:00."),
        ],
    );
    assert_eq!(res.status(), Status::SeeOther);
    for i in 0..6 {
        let to = format!("user{i}@office.example");
        let got = smtp.wait_for_to(&to, 2);
        assert!(
            got.iter().any(|m| m["text"]
                .as_str()
                .unwrap_or("")
                .contains("The VPN gateway is restarting")),
            "{to}: {got:#?}"
        );
    }
    // Each in their own ticket: six staff messages, one per ticket.
    assert_eq!(
        app.count("SELECT count(DISTINCT ticket_id) FROM messages WHERE kind = 'staff' AND body LIKE 'The VPN gateway%'"),
        6
    );
    let res = post_form(
        &staff,
        &format!("{page}/resolve"),
        &[("csrf_token", &token)],
    );
    assert_eq!(res.status(), Status::SeeOther);
    assert_eq!(
        app.count("SELECT count(*) FROM incidents WHERE status = 'resolved'"),
        1
    );
    for i in 0..6 {
        smtp.wait_for_to(&format!("user{i}@office.example"), 3);
    }
    assert_eq!(
        app.count(
            "SELECT count(*) FROM tickets t JOIN statuses s ON s.id = t.status_id
             WHERE s.slug = 'resolved' AND t.id IN (SELECT ticket_id FROM incident_tickets)"
        ),
        6
    );
}

fn token(app: &TestApp, email: &str, scope: Scope) -> String {
    let email = email.to_string();
    app.db
        .write_blocking(move |c| {
            let id: i64 = c.query_row("SELECT id FROM staff WHERE email = ?1", [&email], |r| {
                r.get(0)
            })?;
            api_tokens::create(c, id, "test", scope, 0)
        })
        .unwrap()
        .1
}

#[test]
fn the_api_lists_and_changes_incidents() {
    let app = TestApp::new();
    let rw = token(&app, ADMIN_EMAIL, Scope::ReadWrite);
    let read = token(&app, AGENT_EMAIL, Scope::Read);
    let auth = |t: &str| Header::new("Authorization", format!("Bearer {t}"));
    let res = app.client.get("/api/v1/incidents").dispatch();
    assert_eq!(res.status(), Status::Unauthorized);
    let empty: Value = app
        .client
        .get("/api/v1/incidents")
        .header(auth(&read))
        .dispatch()
        .into_json()
        .unwrap();
    assert_eq!(empty, json!({"incidents": []}));

    let ids = vpn_burst(&app, helpdesk::db::now() - 900);
    let body: Value = app
        .client
        .get("/api/v1/incidents")
        .header(auth(&read))
        .dispatch()
        .into_json()
        .unwrap();
    let one = &body["incidents"][0];
    let id = one["id"].as_i64().unwrap();
    assert_eq!(one["status"], "suggested");
    assert_eq!(one["title"], "VPN not connecting");
    assert_eq!(one["public"], false);
    assert_eq!(one["public_title"], "");
    assert_eq!(one["tickets"].as_array().unwrap().len(), ids.len());
    assert!(one["tickets"][0].as_str().unwrap().len() == 12);

    let patch = |t: &str, path: &str, body: &str| {
        app.client
            .patch(path.to_string())
            .header(auth(t))
            .header(ContentType::JSON)
            .body(body)
            .dispatch()
    };
    let path = format!("/api/v1/incidents/{id}");
    let res = patch(&read, &path, r#"{"status": "open"}"#);
    assert_eq!(res.status(), Status::Forbidden);
    let res = patch(&rw, "/api/v1/incidents/999", r#"{"status": "open"}"#);
    assert_eq!(res.status(), Status::NotFound);
    assert_eq!(
        res.into_json::<Value>().unwrap()["error"]["code"],
        "not_found"
    );
    for bad in [
        r#"{"status": "bogus"}"#,
        r#"{"public": true}"#,
        r#"{"status": 5}"#,
        r#"{"colour": "red"}"#,
    ] {
        let res = patch(&rw, &path, bad);
        assert_eq!(res.status(), Status::UnprocessableEntity, "{bad}");
        assert_eq!(
            res.into_json::<Value>().unwrap()["error"]["code"],
            "validation_failed"
        );
    }
    assert_eq!(
        app.count("SELECT count(*) FROM incidents WHERE status = 'suggested' AND public = 0"),
        1
    );

    let res = patch(
        &rw,
        &path,
        r#"{"public": true, "public_title": "VPN is down"}"#,
    );
    assert_eq!(res.status(), Status::Ok);
    let now: Value = res.into_json().unwrap();
    assert_eq!(now["status"], "open");
    assert_eq!(now["public"], true);
    assert_eq!(now["public_title"], "VPN is down");
    assert!(get_ok(&app.other_client(), "/").contains("VPN is down since"));

    let res = patch(&rw, &path, r#"{"status": "resolved"}"#);
    assert_eq!(res.status(), Status::Ok);
    let now: Value = res.into_json().unwrap();
    assert_eq!(now["status"], "resolved");
    assert_eq!(now["public"], false);
    assert!(!get_ok(&app.other_client(), "/").contains("VPN is down since"));
    // Resolved incidents are no longer listed.
    let body: Value = app
        .client
        .get("/api/v1/incidents")
        .header(auth(&read))
        .dispatch()
        .into_json()
        .unwrap();
    assert_eq!(body, json!({"incidents": []}));
}
