//! Issue 16's leftovers on the staff ticket page, through the real app: the custom fields are
//! part of the page's one form (a reply with field changes is one action and one history entry,
//! only changed fields count, a bad value refused next to its field with the input kept), and
//! followers hear by mail (a real SMTP server) of tag, link and custom field changes too, never
//! of their own.

use rocket::http::Status;
use rocket::local::blocking::Client;

use crate::common::server;
use crate::common::smtp::Smtp;
use crate::common::*;

const HARDWARE: &str = "2";

/// An admin (logged in on `client`) adds a field for Hardware; returns its id.
fn add_field(
    app: &TestApp,
    client: &Client,
    label: &str,
    kind: &str,
    extra: &[(&str, &str)],
) -> i64 {
    let token = csrf(client, "/admin/fields/new");
    let mut form = vec![
        ("csrf_token", token.as_str()),
        ("label", label),
        ("kind", kind),
        ("categories", HARDWARE),
    ];
    form.extend_from_slice(extra);
    let res = post_form(client, "/admin/fields", &form);
    assert_eq!(res.status(), Status::SeeOther, "field saved");
    app.count("SELECT MAX(id) FROM fields")
}

/// Posts the page's one form as a browser would: every input of the page's `ticket-form`
/// (the custom fields card's included), with `set` overriding or adding values.
fn send_page_form(client: &Client, id: i64, set: &[(&str, &str)]) -> (Status, String) {
    let page = get_ok(client, &format!("/staff/tickets/{id}"));
    let mut form = Multipart::new();
    let mut sent: Vec<(String, String)> = hidden_and_chosen(&page);
    for (k, v) in set {
        sent.retain(|(name, _)| name != k || *k == "fields_shown");
        sent.push((k.to_string(), v.to_string()));
    }
    for (k, v) in &sent {
        form.text(k, v);
    }
    let res = form.post(client, &format!("/staff/tickets/{id}/reply"));
    let status = res.status();
    (status, res.into_string().unwrap_or_default())
}

/// The page's hidden inputs, its custom field text inputs and selected options, as
/// (name, value): what a browser sends of fields nobody touched.
fn hidden_and_chosen(page: &str) -> Vec<(String, String)> {
    let mut out = Vec::new();
    let attr = |tag: &str, name: &str| -> Option<String> {
        let start = tag.find(&format!(" {name}=\""))? + name.len() + 3;
        let end = tag[start..].find('"')? + start;
        Some(tag[start..end].replace("&#x2F;", "/").replace("&amp;", "&"))
    };
    for tag in page.split('<').filter(|t| t.starts_with("input ")) {
        let (Some(name), value) = (attr(tag, "name"), attr(tag, "value").unwrap_or_default())
        else {
            continue;
        };
        let hidden = tag.contains("type=\"hidden\"");
        let custom_text = name.starts_with("fields[") && !tag.contains("type=\"checkbox\"");
        if hidden || custom_text {
            out.push((name, value));
        }
    }
    // The sidebar's selects and the custom field selects: their selected option.
    let mut rest = page;
    while let Some(at) = rest.find("<select ") {
        let tail = &rest[at..];
        let end = tail.find("</select>").unwrap_or(tail.len());
        let select = &tail[..end];
        if let Some(name) = attr(select, "name")
            && (select.contains("form=\"ticket-form\""))
        {
            let value = select
                .split("<option ")
                .find(|o| o.contains(" selected"))
                .and_then(|o| attr(&format!(" {o}"), "value"))
                .unwrap_or_default();
            out.push((name, value));
        }
        rest = &tail[end..];
    }
    out
}

#[test]
fn a_reply_with_custom_field_changes_is_one_action_and_only_changed_fields_count() {
    let app = TestApp::new();
    login(&app.client, ADMIN_EMAIL, ADMIN_PASSWORD);
    let device = add_field(
        &app,
        &app.client,
        "Device",
        "select",
        &[("options", "Laptop\nDesktop\nPrinter")],
    );
    let asset = add_field(&app, &app.client, "Asset tag", "text", &[]);
    // Required, empty on this ticket and untouched: it never blocks a reply.
    let serial = add_field(
        &app,
        &app.client,
        "Serial",
        "number",
        &[("required", "true")],
    );
    let tid = submit_ticket(&app.other_client(), &TicketInput::default(), &[]);
    let id = ticket_id(&app, &tid);
    let (d, a, s) = (device.to_string(), asset.to_string(), serial.to_string());

    // The card's inputs belong to the page's one form.
    let page = get_ok(&app.client, &format!("/staff/tickets/{id}"));
    assert!(
        page.contains(&format!(
            "<select id=\"field-{device}\" name=\"fields[{device}]\" form=\"ticket-form\""
        )),
        "{page}"
    );
    assert!(page.contains(&format!(
        "name=\"fields_shown\" value=\"{device}\" form=\"ticket-form\""
    )));
    let high = app
        .count("SELECT id FROM priorities WHERE slug = 'high'")
        .to_string();
    let (status, body) = send_page_form(
        &app.client,
        id,
        &[
            ("kind", "reply"),
            ("message", "Swapping the laptop today."),
            (&format!("fields[{d}]"), "Laptop"),
            (&format!("fields[{a}]"), "AT-1"),
            ("priority", &high),
        ],
    );
    assert_eq!(status, Status::SeeOther, "{body}");
    // One moment, one actor: the reply, the priority and both values are one history entry.
    let moments = app.count(&format!(
        "SELECT COUNT(DISTINCT created_at) FROM ticket_events WHERE ticket_id = {id} AND field IN ('custom_field', 'priority')"
    ));
    assert_eq!(moments, 1);
    assert_eq!(
        app.count(&format!(
            "SELECT COUNT(*) FROM ticket_events WHERE ticket_id = {id} AND field = 'custom_field'"
        )),
        2
    );
    let page = get_ok(&app.client, &format!("/staff/tickets/{id}"));
    assert!(
        page.contains("Device: — → Laptop")
            || page.contains("Device:  → Laptop")
            || page.contains("→ Laptop"),
        "{page}"
    );
    assert_eq!(
        app.count(&format!("SELECT COUNT(*) FROM ticket_field_values WHERE ticket_id = {id} AND field_id = {serial}")),
        0,
        "the untouched field stays empty"
    );

    // Sent again with nothing changed in the card: no custom field change is recorded, even if
    // someone else changed a value meanwhile (the page's was_fields still say Laptop).
    app.db
        .write_blocking(move |c| {
            Ok(c.execute(
                "UPDATE ticket_field_values SET value = 'Printer' WHERE ticket_id = ?1 AND field_id = ?2",
                [id, device],
            )?)
        })
        .unwrap();
    // The page was loaded before that change: what it showed was Laptop.
    let was = format!("was_fields[{d}]");
    let (status, _) = send_page_form(
        &app.client,
        id,
        &[
            ("kind", "note"),
            ("message", "Checked the cupboard."),
            (&format!("fields[{d}]"), "Laptop"),
            (&was, "Laptop"),
        ],
    );
    assert_eq!(status, Status::SeeOther);
    assert_eq!(
        app.count(&format!(
            "SELECT COUNT(*) FROM ticket_events WHERE ticket_id = {id} AND field = 'custom_field'"
        )),
        2,
        "no new custom field entry"
    );
    assert_eq!(
        app.count(&format!(
            "SELECT COUNT(*) FROM ticket_field_values WHERE ticket_id = {id} AND value = 'Printer'"
        )),
        1,
        "the other agent's value stays"
    );

    // A bad number: refused next to its field, the input kept, nothing sent.
    let messages = app.count("SELECT COUNT(*) FROM messages");
    let (status, body) = send_page_form(
        &app.client,
        id,
        &[
            ("kind", "reply"),
            ("message", "This should not go out."),
            (&format!("fields[{s}]"), "twelve"),
        ],
    );
    assert_eq!(status, Status::UnprocessableEntity);
    assert!(
        body.contains(&format!("id=\"field_{serial}-error\"")),
        "{body}"
    );
    assert!(body.contains("value=\"twelve\""), "input kept");
    assert!(body.contains("This should not go out."), "reply kept");
    assert_eq!(app.count("SELECT COUNT(*) FROM messages"), messages);

    // "Save changes" saves the card's values alone.
    let (status, _) = send_page_form(
        &app.client,
        id,
        &[("kind", "save"), (&format!("fields[{s}]"), "42")],
    );
    assert_eq!(status, Status::SeeOther);
    assert_eq!(
        app.count(&format!("SELECT COUNT(*) FROM ticket_field_values WHERE ticket_id = {id} AND field_id = {serial} AND value = '42'")),
        1
    );
}

#[test]
fn followers_are_mailed_tag_link_and_custom_field_changes_and_never_their_own() {
    let port = server::free_port();
    let dir = tempfile::tempdir().unwrap();
    let smtp = Smtp::start(dir.path(), port);
    let app = TestApp::with_config(|c| c.smtp_url = format!("smtp://127.0.0.1:{port}"));
    app.db
        .write_blocking(|c| Ok(c.execute("UPDATE staff SET notify_new_ticket = 0", [])?))
        .unwrap();
    let admin = app.other_client();
    login(&admin, ADMIN_EMAIL, ADMIN_PASSWORD);
    let device = add_field(
        &app,
        &admin,
        "Device",
        "select",
        &[("options", "Laptop\nDesktop")],
    );
    let tid = submit_ticket(&app.other_client(), &TicketInput::default(), &[]);
    let id = ticket_id(&app, &tid);
    let other_tid = submit_ticket(
        &app.other_client(),
        &TicketInput {
            subject: "Second screen flickers",
            ..TicketInput::default()
        },
        &[],
    );
    let agent = app.other_client();
    login(&agent, AGENT_EMAIL, AGENT_PASSWORD);
    // Both follow the ticket.
    for client in [&admin, &agent] {
        let token = csrf(client, &format!("/staff/tickets/{id}"));
        let res = post_form(
            client,
            &format!("/staff/tickets/{id}/follow"),
            &[("csrf_token", &token)],
        );
        assert_eq!(res.status(), Status::SeeOther);
    }

    // Gus tags, links and sets the Device.
    let token = csrf(&agent, &format!("/staff/tickets/{id}"));
    let res = post_form(
        &agent,
        &format!("/staff/tickets/{id}/tags"),
        &[("csrf_token", &token), ("tag", "vpn")],
    );
    assert_eq!(res.status(), Status::SeeOther);
    let res = post_form(
        &agent,
        &format!("/staff/tickets/{id}/links"),
        &[("csrf_token", &token), ("tracking_id", &other_tid)],
    );
    assert_eq!(res.status(), Status::SeeOther);
    let d = device.to_string();
    let (status, _) = send_page_form(
        &agent,
        id,
        &[("kind", "save"), (&format!("fields[{d}]"), "Desktop")],
    );
    assert_eq!(status, Status::SeeOther);

    let mails = smtp.wait_for_to(ADMIN_EMAIL, 3);
    assert_eq!(mails.len(), 3, "{mails:#?}");
    let text: Vec<&str> = mails.iter().map(|m| m["text"].as_str().unwrap()).collect();
    assert!(
        text.iter().any(|t| t.contains("Tag added: vpn")),
        "{text:#?}"
    );
    assert!(
        text.iter()
            .any(|t| t.contains(&format!("Linked to {other_tid}"))),
        "{text:#?}"
    );
    assert!(
        text.iter().any(|t| t.contains("Device: — → Desktop")),
        "{text:#?}"
    );
    assert!(text.iter().all(|t| t.contains("Gus Agent")));
    // Gus, the actor, got none of them (the admin's three arrived; his would have been first).
    let updates = |to: &str| {
        smtp.to(to)
            .into_iter()
            .filter(|m| m["subject"].as_str().unwrap().contains("Update"))
            .count()
    };
    assert_eq!(updates(AGENT_EMAIL), 0);

    // Alice removes the tag: Gus hears of it, Alice does not.
    let token = csrf(&admin, &format!("/staff/tickets/{id}"));
    let res = post_form(
        &admin,
        &format!("/staff/tickets/{id}/tags/remove"),
        &[("csrf_token", &token), ("tag", "vpn")],
    );
    assert_eq!(res.status(), Status::SeeOther);
    let got = smtp.wait_for_to(AGENT_EMAIL, 1);
    assert!(
        got.iter()
            .any(|m| m["text"].as_str().unwrap().contains("Tag removed: vpn")),
        "{got:#?}"
    );
    assert_eq!(updates(ADMIN_EMAIL), 3);
}
