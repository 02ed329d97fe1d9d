//! Issue 16's leftovers in the staff list's bulk form, through the real app: marking many
//! tickets as spam (and banning their requesters), deleting them (admins only, after a
//! confirmation, each audited, a missing one named), in the request and in the background, and
//! the list's filter as the bulk form carries it, read by Rocket's form parser.

use rocket::http::Status;

use crate::common::*;

/// `n` tickets from the portal, each from its own requester; their ids.
fn tickets(app: &TestApp, n: usize, subject: &str) -> Vec<i64> {
    let client = app.other_client();
    (0..n)
        .map(|i| {
            let (subject, email) = (format!("{subject} {i}"), format!("user{i}@spam.example"));
            let input = TicketInput {
                subject: &subject,
                email: &email,
                ..TicketInput::default()
            };
            ticket_id(app, &submit_ticket(&client, &input, &[]))
        })
        .collect()
}

fn bulk<'c>(
    client: &'c rocket::local::blocking::Client,
    fields: &[(&str, &str)],
) -> rocket::local::blocking::LocalResponse<'c> {
    let token = csrf(client, "/staff/tickets?view=all");
    let mut all = vec![("csrf_token", token.as_str())];
    all.extend_from_slice(fields);
    post_form(client, "/staff/tickets/bulk", &all)
}

fn ids_of(ids: &[i64]) -> Vec<String> {
    ids.iter().map(|i| i.to_string()).collect()
}

/// Waits for the background job at `url` to finish; its page.
fn finished(client: &rocket::local::blocking::Client, url: &str) -> String {
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(60);
    loop {
        let page = get_ok(client, url);
        if page.contains("Finished") {
            return page;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "the job finished: {page}"
        );
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
}

#[test]
fn ticked_tickets_are_marked_as_spam_and_their_requesters_banned_in_one_post() {
    let app = TestApp::new();
    let ids = tickets(&app, 3, "Cheap pills");
    login(&app.client, AGENT_EMAIL, AGENT_PASSWORD);
    let list = get_ok(&app.client, "/staff/tickets?view=all");
    assert!(
        list.contains("<select id=\"bulk-take-out\" name=\"take_out\""),
        "{list}"
    );
    assert!(
        !list.contains("<option value=\"delete\">"),
        "an agent is not offered deletion"
    );
    let strings = ids_of(&ids);
    let mut form: Vec<(&str, &str)> = strings.iter().map(|i| ("ids", i.as_str())).collect();
    form.extend([("take_out", "spam_ban"), ("filter", "view=all")]);
    let res = bulk(&app.client, &form);
    assert_eq!(res.status(), Status::SeeOther);
    let page = get_ok(&app.client, "/staff/tickets?view=all");
    assert!(page.contains("3 tickets marked as spam."), "{page}");
    assert!(!page.contains("Cheap pills"), "hidden from the list");
    assert_eq!(app.count("SELECT COUNT(*) FROM ticket_spam"), 3);
    assert_eq!(
        app.count("SELECT COUNT(*) FROM bans WHERE value LIKE '%@spam.example'"),
        3
    );
    // One history entry each.
    for id in &ids {
        assert_eq!(
            app.count(&format!(
                "SELECT COUNT(*) FROM ticket_events WHERE ticket_id = {id} AND field = 'spam_banned'"
            )),
            1
        );
    }
}

#[test]
fn spam_or_delete_with_other_changes_is_refused_and_nothing_changes() {
    let app = TestApp::new();
    let ids = tickets(&app, 2, "Laptop broken");
    login(&app.client, ADMIN_EMAIL, ADMIN_PASSWORD);
    let high = app
        .count("SELECT id FROM priorities WHERE slug = 'high'")
        .to_string();
    let strings = ids_of(&ids);
    let res = bulk(
        &app.client,
        &[
            ("ids", &strings[0]),
            ("ids", &strings[1]),
            ("priority", &high),
            ("take_out", "spam"),
            ("filter", "view=all"),
        ],
    );
    assert_eq!(res.status(), Status::UnprocessableEntity);
    let body = res.into_string().unwrap();
    assert!(
        body.contains("cannot be combined with other changes"),
        "{body}"
    );
    assert_eq!(app.count("SELECT COUNT(*) FROM ticket_spam"), 0);
    assert_eq!(
        app.count(&format!(
            "SELECT COUNT(*) FROM tickets WHERE priority_id = {high}"
        )),
        0
    );
    let res = bulk(&app.client, &[("ids", &strings[0]), ("take_out", "shred")]);
    assert_eq!(res.status(), Status::UnprocessableEntity);
}

#[test]
fn bulk_delete_is_for_admins_confirmed_first_audited_each_and_names_the_missing_ticket() {
    let app = TestApp::new();
    let ids = tickets(&app, 3, "Old request");
    let strings = ids_of(&ids);
    let mut form: Vec<(&str, &str)> = strings.iter().map(|i| ("ids", i.as_str())).collect();
    form.extend([
        ("ids", "999999"),
        ("take_out", "delete"),
        ("filter", "view=all"),
    ]);

    // An agent may not.
    let agent = app.other_client();
    login(&agent, AGENT_EMAIL, AGENT_PASSWORD);
    let res = bulk(&agent, &form);
    assert_eq!(res.status(), Status::UnprocessableEntity);
    assert!(
        res.into_string()
            .unwrap()
            .contains("Only administrators may delete tickets.")
    );
    assert_eq!(app.count("SELECT COUNT(*) FROM tickets"), 3);

    // An admin is asked first: nothing goes before the confirmation.
    login(&app.client, ADMIN_EMAIL, ADMIN_PASSWORD);
    let res = bulk(&app.client, &form);
    assert_eq!(res.status(), Status::Ok);
    let confirm = res.into_string().unwrap();
    assert!(confirm.contains("4 tickets will be deleted"), "{confirm}");
    assert!(confirm.contains("name=\"confirm\" value=\"true\""));
    assert_eq!(app.count("SELECT COUNT(*) FROM tickets"), 3);

    // Confirmed: the three go, each audited by its tracking ID; the missing one is named.
    let tracking: Vec<String> = ids
        .iter()
        .map(|id| {
            let id = *id;
            app.db
                .read_blocking(move |c| {
                    Ok(
                        c.query_row("SELECT tracking_id FROM tickets WHERE id = ?1", [id], |r| {
                            r.get::<_, String>(0)
                        })?,
                    )
                })
                .unwrap()
        })
        .collect();
    form.push(("confirm", "true"));
    let res = bulk(&app.client, &form);
    assert_eq!(res.status(), Status::Ok);
    let result = res.into_string().unwrap();
    assert!(result.contains("3 tickets changed."), "{result}");
    assert!(
        result.contains("999999"),
        "the missing ticket is named: {result}"
    );
    assert_eq!(app.count("SELECT COUNT(*) FROM tickets"), 0);
    assert_eq!(app.count("SELECT COUNT(*) FROM messages"), 0);
    for tid in &tracking {
        assert_eq!(
            app.count(&format!(
                "SELECT COUNT(*) FROM audit_log WHERE action = 'ticket_deleted' AND detail = '{tid}'"
            )),
            1,
            "{tid} audited"
        );
    }
}

#[test]
fn all_tickets_matching_a_filter_are_deleted_in_the_background() {
    let app = TestApp::new();
    tickets(&app, 3, "Phishing mail");
    let keep = tickets(&app, 1, "Printer jam");
    login(&app.client, ADMIN_EMAIL, ADMIN_PASSWORD);
    let form = [
        ("all_matching", "true"),
        ("filter", "view=all&q=phishing&unknown_key=ignored"),
        ("take_out", "delete"),
    ];
    let res = bulk(&app.client, &form);
    assert_eq!(res.status(), Status::Ok);
    assert!(
        res.into_string()
            .unwrap()
            .contains("3 tickets will be deleted")
    );
    let mut confirmed = form.to_vec();
    confirmed.push(("confirm", "true"));
    let res = bulk(&app.client, &confirmed);
    assert_eq!(res.status(), Status::SeeOther);
    let url = location(&res);
    assert!(url.starts_with("/staff/bulk/"), "{url}");
    let page = finished(&app.client, &url);
    assert!(page.contains("3 of 3 tickets done"), "{page}");
    assert_eq!(app.count("SELECT COUNT(*) FROM tickets"), 1);
    assert_eq!(
        app.count(&format!(
            "SELECT COUNT(*) FROM tickets WHERE id = {}",
            keep[0]
        )),
        1
    );
    assert_eq!(
        app.count("SELECT COUNT(*) FROM audit_log WHERE action = 'ticket_deleted'"),
        3
    );
}

#[test]
fn the_filter_of_all_matching_is_read_by_the_form_parser_and_a_bad_value_changes_nothing() {
    let app = TestApp::new();
    login(&app.client, ADMIN_EMAIL, ADMIN_PASSWORD);
    let token = csrf(&app.client, "/admin/fields/new");
    let res = post_form(
        &app.client,
        "/admin/fields",
        &[
            ("csrf_token", &token),
            ("label", "Device"),
            ("kind", "select"),
            ("options", "Laptop\nDesktop"),
        ],
    );
    assert_eq!(res.status(), Status::SeeOther);
    let device = app.count("SELECT MAX(id) FROM fields");
    let ids = tickets(&app, 3, "Broken screen");
    // The first ticket's Device is Desktop, the others Laptop.
    for (i, id) in ids.iter().enumerate() {
        let value = if i == 0 { "Desktop" } else { "Laptop" };
        let (id, value) = (*id, value.to_string());
        app.db
            .write_blocking(move |c| {
                Ok(c.execute(
                    "INSERT INTO ticket_field_values (ticket_id, field_id, value) VALUES (?1, ?2, ?3)",
                    rusqlite::params![id, device, value],
                )?)
            })
            .unwrap();
    }
    let high = app
        .count("SELECT id FROM priorities WHERE slug = 'high'")
        .to_string();
    let count_high = || {
        app.count(&format!(
            "SELECT COUNT(*) FROM tickets WHERE priority_id = {high}"
        ))
    };

    // Bad values are refused by name, and nothing changes (rather than every ticket).
    for (filter, name) in [
        ("view=all&status=abc", "status"),
        ("view=everything", "view"),
        ("view=all&created_from=yesterday", "created_from"),
        (
            &*format!("view=all&field_{device}=Tablet"),
            &*format!("field_{device}"),
        ),
    ] {
        let res = bulk(
            &app.client,
            &[
                ("all_matching", "true"),
                ("filter", filter),
                ("priority", &high),
            ],
        );
        assert_eq!(res.status(), Status::UnprocessableEntity, "{filter}");
        let body = res.into_string().unwrap();
        assert!(
            body.contains(&format!("not valid here: {name}")),
            "{filter}: {body}"
        );
        assert_eq!(count_high(), 0, "{filter}");
    }

    // A custom field filter (percent-encoded, a repeated key: the first value counts, as on the
    // page) selects only its tickets; unknown keys are ignored.
    let filter =
        format!("view=all&q=Broken%20screen&field_{device}=Desktop&field_{device}=Laptop&x=1");
    let res = bulk(
        &app.client,
        &[
            ("all_matching", "true"),
            ("filter", &filter),
            ("priority", &high),
        ],
    );
    assert_eq!(res.status(), Status::SeeOther);
    finished(&app.client, &location(&res));
    assert_eq!(count_high(), 1);
    assert_eq!(
        app.count(&format!(
            "SELECT priority_id FROM tickets WHERE id = {}",
            ids[0]
        ))
        .to_string(),
        high
    );
}
