//! Custom fields end to end through the real app: an admin defines a required select for
//! Hardware; the portal asks for it only there, refuses it empty or with an unknown option
//! (input kept), and stores it; staff see and change it (history), find the ticket by a field
//! value, filter the list by it, export it and read and write it through the API; a deactivated
//! field leaves the forms and keeps its values; Spanish labels on Spanish pages; the admin
//! form's refusals.

use rocket::http::{ContentType, Header, Status};
use serde_json::{Value, json};

use crate::api_openapi::token as api_token;
use crate::common::{
    ADMIN_EMAIL, ADMIN_PASSWORD, Multipart, TestApp, accept_language, csrf, get_ok, location,
    login, post_form,
};
use helpdesk::auth::api_tokens::Scope;

const HARDWARE: &str = "2";

/// An admin (logged in on `app.client`) adds a field; returns its id.
fn add_field(app: &TestApp, fields: &[(&str, &str)]) -> i64 {
    let token = csrf(&app.client, "/admin/fields/new");
    let mut form = vec![("csrf_token", token.as_str())];
    form.extend_from_slice(fields);
    let res = post_form(&app.client, "/admin/fields", &form);
    assert_eq!(res.status(), Status::SeeOther, "field saved");
    app.count("SELECT MAX(id) FROM fields")
}

/// The Done-when field: a required select of Hardware tickets, shown to requesters, with a
/// Spanish label.
fn device_field(app: &TestApp) -> i64 {
    add_field(
        app,
        &[
            ("label", "Device"),
            ("label_es", "Dispositivo"),
            ("help", "What is broken?"),
            ("kind", "select"),
            ("options", "Laptop\nDesktop\nPrinter\nPhone\nOther"),
            ("required", "true"),
            ("visible_to_requester", "true"),
            ("categories", HARDWARE),
        ],
    )
}

/// Submits the portal form with `extra` (name, value) fields; returns the response's status,
/// location and body.
fn submit(app: &TestApp, category: &str, extra: &[(&str, &str)]) -> (Status, String, String) {
    let token = csrf(&app.client, "/tickets/new");
    let mut form = Multipart::new();
    form.text("csrf_token", &token)
        .text("name", "Ana Garcia")
        .text("email", "ana@office.example")
        .text("category", category)
        .text("priority", "")
        .text("subject", "Screen flickers")
        .text("message", "My screen flickers since Monday.");
    for (name, value) in extra {
        form.text(name, value);
    }
    let res = form.post(&app.client, "/tickets");
    let status = res.status();
    let loc = location(&res);
    (status, loc, res.into_string().unwrap_or_default())
}

fn tid_of(loc: &str) -> String {
    loc.trim_start_matches("/tickets/")
        .split('?')
        .next()
        .unwrap()
        .to_string()
}

fn api(app: &TestApp, method: &str, path: &str, token: &str, body: Value) -> (Status, Value) {
    let method = if method == "POST" {
        rocket::http::Method::Post
    } else {
        rocket::http::Method::Patch
    };
    let res = app
        .client
        .req(method, format!("/api/v1{path}"))
        .header(Header::new("Authorization", format!("Bearer {token}")))
        .header(ContentType::JSON)
        .body(body.to_string())
        .dispatch();
    let status = res.status();
    let text = res.into_string().unwrap_or_default();
    (status, serde_json::from_str(&text).unwrap_or(Value::Null))
}

#[test]
fn a_required_select_for_hardware_from_the_portal_to_search_export_and_api() {
    let app = TestApp::new();
    login(&app.client, ADMIN_EMAIL, ADMIN_PASSWORD);
    let device = device_field(&app);
    let asset = add_field(
        &app,
        &[
            ("label", "Asset tag"),
            ("kind", "text"),
            ("visible_to_requester", "true"),
        ],
    );

    // The portal form has the select, marked as Hardware's.
    let page = get_ok(&app.client, "/tickets/new");
    assert!(
        page.contains(&format!(
            "<select id=\"field-{device}\" name=\"fields[{device}]\""
        )),
        "the select field is a <select>"
    );
    assert!(page.contains("<option value=\"Printer\""));
    assert!(page.contains("For: Hardware"), "marked with its category");

    // Left empty for Hardware: refused next to the field, what was typed kept.
    let asset_name = format!("fields[{asset}]");
    let (status, _, body) = submit(&app, HARDWARE, &[(&asset_name, "AT-4711")]);
    assert_eq!(status, Status::UnprocessableEntity);
    assert!(body.contains(&format!("id=\"field_{device}-error\"")));
    assert!(body.contains("This field is required."));
    assert!(body.contains("value=\"Screen flickers\""), "subject kept");
    assert!(body.contains("value=\"AT-4711\""), "the other field kept");
    assert_eq!(app.count("SELECT COUNT(*) FROM tickets"), 0);

    // An option it does not have.
    let name = format!("fields[{device}]");
    let (status, _, body) = submit(&app, HARDWARE, &[(&name, "Tablet")]);
    assert_eq!(status, Status::UnprocessableEntity);
    assert!(body.contains("Choose one of the options listed."));

    // Another category does not ask for it.
    let (status, _, _) = submit(&app, "3", &[]);
    assert_eq!(status, Status::SeeOther, "not required outside Hardware");

    // Given: stored, and shown to the requester.
    let (status, loc, _) = submit(
        &app,
        HARDWARE,
        &[(&name, "Laptop"), (&asset_name, "AT-4711")],
    );
    assert_eq!(status, Status::SeeOther);
    let tid = tid_of(&loc);
    let id = crate::common::ticket_id(&app, &tid);
    let portal = get_ok(&app.client, &format!("/tickets/{tid}"));
    assert!(
        portal.contains("<dt>Device</dt><dd>Laptop</dd>"),
        "{portal}"
    );

    // Staff see it, change it, and the history says so.
    let staff_page = get_ok(&app.client, &format!("/staff/tickets/{id}"));
    assert!(staff_page.contains("<option value=\"Laptop\" selected>"));
    let token = csrf(&app.client, &format!("/staff/tickets/{id}"));
    let res = post_form(
        &app.client,
        &format!("/staff/tickets/{id}/fields"),
        &[
            ("csrf_token", &token),
            (&name, "Desktop"),
            (&asset_name, "AT-4711"),
        ],
    );
    assert_eq!(res.status(), Status::SeeOther);
    let staff_page = get_ok(&app.client, &format!("/staff/tickets/{id}"));
    assert!(
        staff_page.contains("Device: Laptop → Desktop"),
        "history records the change"
    );
    // An unknown option is refused there too, and nothing changes.
    let res = post_form(
        &app.client,
        &format!("/staff/tickets/{id}/fields"),
        &[("csrf_token", &token), (&name, "Fax")],
    );
    assert_eq!(res.status(), Status::UnprocessableEntity);
    assert_eq!(
        app.count(&format!(
            "SELECT COUNT(*) FROM ticket_field_values WHERE ticket_id = {id} AND value = 'Desktop'"
        )),
        1
    );

    // Found by the asset tag, and by the list's filter.
    let found = get_ok(&app.client, "/staff/tickets?view=all&q=AT-4711");
    assert!(found.contains(&tid), "search finds the asset tag");
    let filtered = get_ok(
        &app.client,
        &format!("/staff/tickets?view=all&field_{device}=Desktop"),
    );
    assert!(filtered.contains(&tid));
    let other = get_ok(
        &app.client,
        &format!("/staff/tickets?view=all&field_{device}=Printer"),
    );
    assert!(!other.contains(&tid), "filtered out");

    // Exported: one column per active field.
    let csv = get_ok(&app.client, "/staff/tickets.csv?view=all");
    let header = csv.lines().next().unwrap();
    assert!(header.ends_with(",device,asset_tag"), "{header}");
    let row = csv.lines().find(|l| l.contains(&tid)).unwrap();
    assert!(row.ends_with(",Desktop,AT-4711"), "{row}");

    // The API shows it and takes it, with the same checks.
    let (_, key) = api_token(&app, ADMIN_EMAIL, Scope::ReadWrite);
    let res = app
        .client
        .get(format!("/api/v1/tickets/{tid}"))
        .header(Header::new("Authorization", format!("Bearer {key}")))
        .dispatch();
    let ticket: Value = serde_json::from_str(&res.into_string().unwrap()).unwrap();
    assert_eq!(
        ticket["fields"],
        json!({"device": "Desktop", "asset_tag": "AT-4711"})
    );
    let body = |fields: Value| {
        json!({
            "subject": "Dock broken", "message": "The dock does not charge.",
            "requester": {"name": "Ana", "email": "ana@office.example"},
            "category": 2, "fields": fields,
        })
    };
    let (status, err) = api(&app, "POST", "/tickets", &key, body(json!({})));
    assert_eq!(status, Status::UnprocessableEntity);
    assert!(
        err["error"]["message"]
            .as_str()
            .unwrap()
            .starts_with("fields.device:"),
        "{err}"
    );
    let (status, err) = api(
        &app,
        "POST",
        "/tickets",
        &key,
        body(json!({"device": "Tablet"})),
    );
    assert_eq!(status, Status::UnprocessableEntity, "{err}");
    let (status, made) = api(
        &app,
        "POST",
        "/tickets",
        &key,
        body(json!({"device": "Phone"})),
    );
    assert_eq!(status, Status::Created, "{made}");
    assert_eq!(made["fields"]["device"], "Phone");
    let made_tid = made["tracking_id"].as_str().unwrap();
    let (status, patched) = api(
        &app,
        "PATCH",
        &format!("/tickets/{made_tid}"),
        &key,
        json!({"fields": {"asset_tag": "AT-9"}}),
    );
    assert_eq!(status, Status::Ok, "{patched}");
    assert_eq!(
        patched["fields"],
        json!({"device": "Phone", "asset_tag": "AT-9"})
    );
    let (status, _) = api(
        &app,
        "PATCH",
        &format!("/tickets/{made_tid}"),
        &key,
        json!({"fields": {"device": null}}),
    );
    assert_eq!(status, Status::UnprocessableEntity, "required: not cleared");
}

#[test]
fn each_kind_is_checked_and_a_deactivated_field_keeps_its_values() {
    let app = TestApp::new();
    login(&app.client, ADMIN_EMAIL, ADMIN_PASSWORD);
    let number = add_field(&app, &[("label", "Cost"), ("kind", "number")]);
    let date = add_field(&app, &[("label", "Bought on"), ("kind", "date")]);
    let multi = add_field(
        &app,
        &[
            ("label", "Ports"),
            ("kind", "multi_select"),
            ("options", "USB\nHDMI"),
        ],
    );
    let check = add_field(&app, &[("label", "Under warranty"), ("kind", "checkbox")]);
    let token = csrf(&app.client, "/staff/tickets/new");
    let post = |extra: &[(&str, &str)]| {
        let mut form = Multipart::new();
        form.text("csrf_token", &token)
            .text("name", "Ana")
            .text("email", "ana@office.example")
            .text("category", HARDWARE)
            .text("priority", "")
            .text("subject", "Laptop")
            .text("message", "Broken.");
        for (n, v) in extra {
            form.text(n, v);
        }
        let res = form.post(&app.client, "/staff/tickets/new");
        (res.status(), res.into_string().unwrap_or_default())
    };
    let n = |id: i64| format!("fields[{id}]");
    let (status, body) = post(&[(&n(number), "12,5")]);
    assert_eq!(status, Status::UnprocessableEntity);
    assert!(body.contains("Enter a number"));
    let (status, body) = post(&[(&n(date), "2025-02-30")]);
    assert_eq!(status, Status::UnprocessableEntity);
    assert!(body.contains("Enter a date as YYYY-MM-DD"));
    let (status, body) = post(&[(&n(multi), "USB"), (&n(multi), "VGA")]);
    assert_eq!(status, Status::UnprocessableEntity);
    assert!(body.contains("Choose one of the options listed."));
    let (status, body) = post(&[(&n(check), "perhaps")]);
    assert_eq!(status, Status::UnprocessableEntity, "{body}");
    assert_eq!(app.count("SELECT COUNT(*) FROM tickets"), 0);
    let (status, _) = post(&[
        (&n(number), "12.5"),
        (&n(date), "2025-02-28"),
        (&n(multi), "HDMI"),
        (&n(multi), "USB"),
        (&n(check), "true"),
    ]);
    assert_eq!(status, Status::SeeOther);
    let id = app.count("SELECT MAX(id) FROM tickets");
    let stored = |field: i64| -> String {
        app.db
            .read_blocking(move |c| {
                Ok(c.query_row(
                    "SELECT value FROM ticket_field_values WHERE ticket_id = ?1 AND field_id = ?2",
                    [id, field],
                    |r| r.get(0),
                )?)
            })
            .unwrap()
    };
    assert_eq!(stored(number), "12.5");
    assert_eq!(stored(multi), "[\"USB\",\"HDMI\"]");
    assert_eq!(stored(check), "true");

    // Deactivated: gone from the forms, the value kept and shown to staff as such.
    let token = csrf(&app.client, "/admin/fields");
    let res = post_form(
        &app.client,
        &format!("/admin/fields/{number}/active"),
        &[("csrf_token", &token), ("active", "false")],
    );
    assert_eq!(res.status(), Status::SeeOther);
    let form = get_ok(&app.client, "/staff/tickets/new");
    assert!(!form.contains(&format!("name=\"fields[{number}]\"")));
    let page = get_ok(&app.client, &format!("/staff/tickets/{id}"));
    assert!(page.contains("deactivated field"), "shown as inactive");
    assert!(page.contains("12.5"));
    assert_eq!(stored(number), "12.5");
}

#[test]
fn the_admin_form_refuses_bad_fields_next_to_the_input() {
    let app = TestApp::new();
    login(&app.client, ADMIN_EMAIL, ADMIN_PASSWORD);
    let token = csrf(&app.client, "/admin/fields/new");
    let refused = |fields: &[(&str, &str)], message: &str| {
        let mut form = vec![("csrf_token", token.as_str())];
        form.extend_from_slice(fields);
        let res = post_form(&app.client, "/admin/fields", &form);
        assert_eq!(res.status(), Status::UnprocessableEntity, "{fields:?}");
        let body = res.into_string().unwrap();
        assert!(body.contains(message), "{message} in {body}");
    };
    refused(
        &[("label", " "), ("kind", "text")],
        "Enter a label of at most 100 characters.",
    );
    refused(
        &[
            ("label", "Device"),
            ("kind", "select"),
            ("options", "\n \n"),
        ],
        "A select field needs at least one option",
    );
    refused(
        &[("label", "Device"), ("kind", "colour")],
        "Choose one of the kinds listed.",
    );
    refused(
        &[("label", "Device"), ("kind", "text"), ("categories", "999")],
        "Tick only categories from the list.",
    );
    assert_eq!(app.count("SELECT COUNT(*) FROM fields"), 0, "nothing saved");
    // A label taken once is refused the second time.
    add_field(&app, &[("label", "Device"), ("kind", "text")]);
    refused(
        &[("label", "device"), ("kind", "text")],
        "Another field already has this label.",
    );
}

#[test]
fn spanish_pages_show_the_spanish_labels() {
    let app = TestApp::new();
    login(&app.client, ADMIN_EMAIL, ADMIN_PASSWORD);
    let device = device_field(&app);
    let page = app
        .client
        .get("/tickets/new")
        .header(accept_language("es"))
        .dispatch()
        .into_string()
        .unwrap();
    assert!(page.contains(&format!("<label for=\"field-{device}\">Dispositivo")));
    assert!(page.contains("Para: Equipos"), "category named in Spanish");
    let admin = app
        .client
        .get("/admin/fields")
        .header(accept_language("es"))
        .dispatch()
        .into_string()
        .unwrap();
    assert!(admin.contains("Campos personalizados"));
}
