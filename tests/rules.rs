//! Automation rules end to end through the real app: made on Admin > Rules, set off by portal
//! submissions, requester and staff replies and staff changes, seen on the staff ticket page and
//! in the database.

use crate::common::*;
use rocket::http::Status;
use rocket::local::blocking::Client;

/// The app with the admin signed in on `app.client`; requesters use their own client.
fn admin_app() -> TestApp {
    let app = TestApp::new();
    login(&app.client, ADMIN_EMAIL, ADMIN_PASSWORD);
    app
}

fn id_of(app: &TestApp, sql: &str) -> String {
    app.count(sql).to_string()
}

fn accounts(app: &TestApp) -> String {
    id_of(
        app,
        "SELECT id FROM categories WHERE name = 'Accounts & access'",
    )
}

fn priority(app: &TestApp, slug: &str) -> String {
    id_of(
        app,
        &format!("SELECT id FROM priorities WHERE slug = '{slug}'"),
    )
}

/// Creates a rule through the admin form; `fields` come after the CSRF token. Returns its id.
fn create_rule(app: &TestApp, fields: &[(&str, &str)]) -> i64 {
    let token = csrf(&app.client, "/admin/rules/new");
    let mut all = vec![("csrf_token", token.as_str())];
    all.extend_from_slice(fields);
    let res = post_form(&app.client, "/admin/rules", &all);
    assert_eq!(res.status(), Status::SeeOther, "rule {fields:?} saved");
    location(&res)
        .trim_start_matches("/admin/rules/")
        .parse()
        .expect("redirect to the rule's page")
}

/// A rule on new tickets, from anyone, all conditions, active, plus `fields`.
fn on_created(app: &TestApp, name: &str, fields: &[(&str, &str)]) -> i64 {
    let mut all = vec![
        ("name", name),
        ("active", "true"),
        ("event", "created"),
        ("by", "any"),
        ("match_mode", "all"),
    ];
    all.extend_from_slice(fields);
    create_rule(app, &all)
}

fn submit(portal: &Client, email: &str, subject: &str, message: &str) -> String {
    submit_ticket(
        portal,
        &TicketInput {
            email,
            subject,
            message,
            ..TicketInput::default()
        },
        &[],
    )
}

/// The bodies of a ticket's internal notes, oldest first.
fn notes(app: &TestApp, tid: &str) -> Vec<String> {
    let tid = tid.to_string();
    app.db
        .read_blocking(move |c| {
            let mut stmt = c.prepare(
                "SELECT m.body FROM messages m JOIN tickets t ON t.id = m.ticket_id
                 WHERE t.tracking_id = ?1 AND m.kind = 'note' ORDER BY m.id",
            )?;
            let rows = stmt
                .query_map([&tid], |r| r.get(0))?
                .collect::<rusqlite::Result<Vec<String>>>()?;
            Ok(rows)
        })
        .unwrap()
}

fn ticket_field(app: &TestApp, tid: &str, column: &str) -> i64 {
    app.count(&format!(
        "SELECT {column} FROM tickets WHERE tracking_id = '{tid}'"
    ))
}

/// How many history entries the rule named `name` left on the ticket.
fn rule_entries(app: &TestApp, tid: &str, name: &str) -> i64 {
    app.count(&format!(
        "SELECT COUNT(*) FROM ticket_events e JOIN tickets t ON t.id = e.ticket_id
         WHERE t.tracking_id = '{tid}' AND e.actor_kind = 'rule' AND e.actor_name = '{name}'"
    ))
}

#[test]
fn spanish_words_match_without_accents_and_the_ticket_page_names_the_rule() {
    let app = admin_app();
    let (accounts, high) = (accounts(&app), priority(&app, "high"));
    on_created(
        &app,
        "Contraseñas a Cuentas",
        &[
            ("message_words", "contrasena, clave"),
            ("set_category", &accounts),
            ("set_priority", &high),
        ],
    );
    let portal = app.other_client();
    let tid = submit(
        &portal,
        "ana@office.example",
        "No puedo entrar",
        "No puedo entrar, la contraseña caducó",
    );
    assert_eq!(
        ticket_field(&app, &tid, "category_id").to_string(),
        accounts
    );
    assert_eq!(ticket_field(&app, &tid, "priority_id").to_string(), high);
    let id = ticket_id(&app, &tid);
    let page = get_ok(&app.client, &format!("/staff/tickets/{id}"));
    assert!(page.contains(&format!(
        r#"<option value="{accounts}" selected>Accounts &amp; access"#
    )));
    assert!(page.contains(&format!(r#"<option value="{high}" selected>High"#)));
    assert!(
        page.contains("<strong>Contraseñas a Cuentas</strong>"),
        "{page}"
    );
    assert!(page.contains("Hardware → Accounts &amp; access"));
    assert!(page.contains("Medium → High"));
    assert_eq!(rule_entries(&app, &tid, "Contraseñas a Cuentas"), 2);

    // Whole words: a plural is another word, and the subject is not the message.
    let other = submit(
        &portal,
        "ana@office.example",
        "Mi contraseña",
        "Olvidé todas mis contraseñas",
    );
    assert_eq!(ticket_field(&app, &other, "category_id"), 2, "unchanged");
    assert_eq!(rule_entries(&app, &other, "Contraseñas a Cuentas"), 0);
}

#[test]
fn all_of_needs_every_condition_and_any_of_one() {
    let app = admin_app();
    let conditions = [
        ("subject_words", "impresora"),
        ("requester_domain", "sales.example"),
    ];
    for (name, mode, note) in [
        ("All of", "all", "all of them"),
        ("Any of", "any", "one of them"),
    ] {
        create_rule(
            &app,
            &[
                ("name", name),
                ("active", "true"),
                ("event", "created"),
                ("by", "any"),
                ("match_mode", mode),
                conditions[0],
                conditions[1],
                ("add_note", "true"),
                ("note", note),
            ],
        );
    }
    let portal = app.other_client();
    let office = submit(
        &portal,
        "ana@office.example",
        "La IMPRESORA no va",
        "Nada sale.",
    );
    assert_eq!(notes(&app, &office), vec!["one of them"]);
    let sales = submit(&portal, "bo@Sales.Example", "Impresóra rota", "Nada.");
    assert_eq!(notes(&app, &sales), vec!["all of them", "one of them"]);
    let neither = submit(&portal, "cy@office.example", "Mi portátil", "Nada.");
    assert!(notes(&app, &neither).is_empty());
}

#[test]
fn a_rule_on_requester_updates_adds_a_note_and_ignores_staff_replies() {
    let app = admin_app();
    create_rule(
        &app,
        &[
            ("name", "Requester wrote again"),
            ("active", "true"),
            ("event", "updated"),
            ("by", "requester"),
            ("match_mode", "all"),
            ("add_note", "true"),
            ("note", "The requester added something: check it."),
        ],
    );
    let portal = app.other_client();
    let tid = submit(&portal, "ana@office.example", "Wifi", "No connection.");
    assert!(notes(&app, &tid).is_empty(), "a new ticket is no update");

    let token = csrf(&portal, &format!("/tickets/{tid}"));
    let mut form = Multipart::new();
    form.text("csrf_token", &token)
        .text("message", "Still nothing.");
    let res = form.post(&portal, &format!("/tickets/{tid}/reply"));
    assert_eq!(res.status(), Status::SeeOther);
    assert_eq!(
        notes(&app, &tid),
        vec!["The requester added something: check it."]
    );

    let id = ticket_id(&app, &tid);
    let token = csrf(&app.client, &format!("/staff/tickets/{id}"));
    let mut reply = Multipart::new();
    reply
        .text("csrf_token", &token)
        .text("message", "Try the other network.")
        .text("kind", "reply")
        .text("status", "");
    let res = reply.post(&app.client, &format!("/staff/tickets/{id}/reply"));
    assert_eq!(res.status(), Status::SeeOther);
    assert_eq!(
        notes(&app, &tid).len(),
        1,
        "a staff reply is not the requester's"
    );
    let page = get_ok(&app.client, &format!("/staff/tickets/{id}"));
    assert!(page.contains("<strong>Requester wrote again</strong> <span class=\"badge badge-note\">rule</span> · added an internal note"));
}

#[test]
fn rules_that_undo_each_other_run_once_each_and_the_change_succeeds() {
    let app = admin_app();
    let (high, low) = (priority(&app, "high"), priority(&app, "low"));
    for (name, to) in [("Make it high", &high), ("Make it low", &low)] {
        create_rule(
            &app,
            &[
                ("name", name),
                ("active", "true"),
                ("event", "updated"),
                ("by", "any"),
                ("match_mode", "all"),
                ("set_priority", to),
            ],
        );
    }
    let portal = app.other_client();
    let tid = submit(&portal, "ana@office.example", "Screen", "Flickers.");
    let id = ticket_id(&app, &tid);
    let in_progress = id_of(&app, "SELECT id FROM statuses WHERE slug = 'in_progress'");
    let medium = priority(&app, "medium");
    let token = csrf(&app.client, &format!("/staff/tickets/{id}"));
    let res = post_form(
        &app.client,
        &format!("/staff/tickets/{id}/update"),
        &[
            ("csrf_token", &token),
            ("status", &in_progress),
            ("priority", &medium),
            ("category", "2"),
            ("assignee", ""),
        ],
    );
    assert_eq!(res.status(), Status::SeeOther);
    assert_eq!(rule_entries(&app, &tid, "Make it high"), 1);
    assert_eq!(rule_entries(&app, &tid, "Make it low"), 1);
    assert_eq!(ticket_field(&app, &tid, "priority_id").to_string(), low);
    let page = get_ok(&app.client, &format!("/staff/tickets/{id}"));
    assert!(page.contains("Medium → High") && page.contains("High → Low"));
}

#[test]
fn what_a_rule_changes_sets_off_the_update_rules_once() {
    let app = admin_app();
    let accounts = accounts(&app);
    on_created(
        &app,
        "Accounts",
        &[("subject_words", "password"), ("set_category", &accounts)],
    );
    create_rule(
        &app,
        &[
            ("name", "Tell accounts"),
            ("active", "true"),
            ("event", "updated"),
            ("by", "any"),
            ("match_mode", "all"),
            ("categories", &accounts),
            ("add_note", "true"),
            ("note", "Now in accounts."),
        ],
    );
    let portal = app.other_client();
    let tid = submit(&portal, "ana@office.example", "Password expired", "Help.");
    assert_eq!(
        ticket_field(&app, &tid, "category_id").to_string(),
        accounts
    );
    assert_eq!(notes(&app, &tid), vec!["Now in accounts."]);
}

#[test]
fn stop_processing_and_inactive_rules() {
    let app = admin_app();
    on_created(
        &app,
        "First",
        &[("add_note", "true"), ("note", "first"), ("stop", "true")],
    );
    on_created(&app, "Second", &[("add_note", "true"), ("note", "second")]);
    // No "active" field: an unticked box, the rule is saved off.
    let off = create_rule(
        &app,
        &[
            ("name", "Off"),
            ("event", "created"),
            ("by", "any"),
            ("match_mode", "all"),
            ("add_note", "true"),
            ("note", "off"),
        ],
    );
    let portal = app.other_client();
    let tid = submit(&portal, "ana@office.example", "Mouse", "Broken.");
    assert_eq!(notes(&app, &tid), vec!["first"]);

    // Moved to the top and turned on, it runs before the stop.
    let token = csrf(&app.client, "/admin/rules");
    for _ in 0..2 {
        let res = post_form(
            &app.client,
            &format!("/admin/rules/{off}/move"),
            &[("csrf_token", &token), ("direction", "up")],
        );
        assert_eq!(res.status(), Status::SeeOther);
    }
    let res = post_form(
        &app.client,
        &format!("/admin/rules/{off}/active"),
        &[("csrf_token", &token), ("active", "true")],
    );
    assert_eq!(res.status(), Status::SeeOther);
    let list = get_ok(&app.client, "/admin/rules");
    let (o, f) = (
        list.find(">Off</a>").unwrap(),
        list.find(">First</a>").unwrap(),
    );
    assert!(o < f, "Off is listed first");
    let tid = submit(&portal, "ana@office.example", "Mouse again", "Broken.");
    assert_eq!(notes(&app, &tid), vec!["off", "first"]);
}

#[test]
fn test_this_rule_lists_matching_recent_tickets_and_changes_nothing() {
    let app = admin_app();
    let portal = app.other_client();
    let wifi = submit(&portal, "ana@office.example", "Wifi drops", "Every hour.");
    let other = submit(&portal, "ana@office.example", "Printer", "Jammed.");
    let again = submit(&portal, "bo@office.example", "No WIFI in room 4", "None.");
    let high = priority(&app, "high");
    let id = on_created(
        &app,
        "Wifi is urgent",
        &[("subject_words", "wifi"), ("set_priority", &high)],
    );
    let before = app.count("SELECT COUNT(*) FROM ticket_events")
        + app.count("SELECT SUM(revision) FROM tickets");
    let page = get_ok(&app.client, &format!("/admin/rules/{id}/test"));
    assert!(
        page.contains("It matches 2 of the 3 newest tickets."),
        "{page}"
    );
    assert!(page.contains(&wifi) && page.contains(&again) && !page.contains(&other));
    let after = app.count("SELECT COUNT(*) FROM ticket_events")
        + app.count("SELECT SUM(revision) FROM tickets");
    assert_eq!(before, after, "nothing changed");
    assert_ne!(ticket_field(&app, &wifi, "priority_id").to_string(), high);
}

#[test]
fn bad_input_gets_errors_next_to_the_fields_and_saves_nothing() {
    let app = admin_app();
    let token = csrf(&app.client, "/admin/rules/new");
    let res = post_form(
        &app.client,
        "/admin/rules",
        &[
            ("csrf_token", &token),
            ("name", "  "),
            ("event", "created"),
            ("by", "any"),
            ("match_mode", "all"),
            ("categories", "9999"),
            ("requester_domain", "not a domain"),
            ("subject_words", "wifi, ?!"),
            ("add_note", "true"),
            ("note", ""),
        ],
    );
    assert_eq!(res.status(), Status::UnprocessableEntity);
    let body = res.into_string().unwrap();
    for (field, message) in [
        ("name", "Give the rule a name"),
        ("categories", "Choose from the list"),
        ("requester_domain", "Enter a domain"),
        ("subject_words", "Separate entries with commas"),
        ("note", "Write the note"),
    ] {
        assert!(
            body.contains(&format!(
                r#"<p class="field-error" id="{field}-error">{message}"#
            )),
            "error next to {field}"
        );
    }
    assert!(body.contains("wifi, ?!"), "input kept");
    // A deactivated assignee, and a rule that does nothing.
    let agent = id_of(
        &app,
        "SELECT id FROM staff WHERE email = 'agent@example.com'",
    );
    deactivate_agent(&app);
    let res = post_form(
        &app.client,
        "/admin/rules",
        &[
            ("csrf_token", &token),
            ("name", "Assign"),
            ("event", "created"),
            ("by", "any"),
            ("match_mode", "all"),
            ("set_assignee", &agent),
        ],
    );
    assert_eq!(res.status(), Status::UnprocessableEntity);
    assert!(
        res.into_string()
            .unwrap()
            .contains("This staff account is deactivated.")
    );
    let res = post_form(
        &app.client,
        "/admin/rules",
        &[
            ("csrf_token", &token),
            ("name", "Nothing"),
            ("event", "sometimes"),
            ("by", "any"),
            ("match_mode", "all"),
        ],
    );
    assert_eq!(res.status(), Status::UnprocessableEntity);
    let body = res.into_string().unwrap();
    assert!(body.contains(r#"id="event-error">Choose one of the options offered."#));
    assert_eq!(app.count("SELECT COUNT(*) FROM rules"), 0);
    assert_eq!(
        app.count("SELECT COUNT(*) FROM audit_log WHERE action LIKE 'rule_%'"),
        0
    );

    // And in Spanish.
    let res = app
        .client
        .post("/admin/rules")
        .header(rocket::http::ContentType::Form)
        .header(accept_language("es"))
        .body(format!(
            "csrf_token={token}&name=&event=created&by=any&match_mode=all&stop=true"
        ))
        .dispatch();
    assert_eq!(res.status(), Status::UnprocessableEntity);
    assert!(
        res.into_string()
            .unwrap()
            .contains("Pon a la regla un nombre")
    );
}

/// The admin unticks "active" on the agent's account page.
fn deactivate_agent(app: &TestApp) {
    let agent = app.count("SELECT id FROM staff WHERE email = 'agent@example.com'");
    let token = csrf(&app.client, &format!("/admin/staff/{agent}"));
    let res = post_form(
        &app.client,
        &format!("/admin/staff/{agent}"),
        &[
            ("csrf_token", &token),
            ("name", "Gus Agent"),
            ("role", "agent"),
        ],
    );
    assert_eq!(res.status(), Status::SeeOther);
}

#[test]
fn a_rule_assigning_to_a_deactivated_agent_does_not_break_a_submission() {
    let app = admin_app();
    let agent = id_of(
        &app,
        "SELECT id FROM staff WHERE email = 'agent@example.com'",
    );
    let high = priority(&app, "high");
    on_created(
        &app,
        "Give it to Gus",
        &[("set_assignee", &agent), ("set_priority", &high)],
    );
    deactivate_agent(&app);
    let portal = app.other_client();
    let tid = submit(&portal, "ana@office.example", "Keyboard", "Sticky keys.");
    assert_eq!(
        app.count(&format!(
            "SELECT COUNT(*) FROM tickets WHERE tracking_id = '{tid}' AND assignee_id IS NULL"
        )),
        1
    );
    assert_eq!(
        ticket_field(&app, &tid, "priority_id").to_string(),
        high,
        "the rest is done"
    );
    let list = get_ok(&app.client, "/admin/rules");
    assert!(list.contains("Last skipped: Set assignee"), "{list}");
    assert!(list.contains("that staff account is deactivated"));
    let es = app
        .client
        .get("/admin/rules")
        .header(accept_language("es"))
        .dispatch()
        .into_string()
        .unwrap();
    assert!(es.contains("Última omitida: Cambiar el responsable"));
    assert!(es.contains("Probar esta regla"));
}

#[test]
fn the_edit_form_shows_the_saved_rule_and_saving_it_again_keeps_it() {
    let app = admin_app();
    let accounts = accounts(&app);
    let id = on_created(
        &app,
        "Round trip",
        &[
            ("channels", "portal"),
            ("channels", "email"),
            ("category_op", "is_not"),
            ("categories", &accounts),
            ("message_words", "contraseña, no funciona"),
            ("assigned", "no"),
            ("set_assignee", "none"),
            ("stop", "true"),
        ],
    );
    let saved = app.count(&format!(
        "SELECT length(conditions) + length(actions) FROM rules WHERE id = {id}"
    ));
    let page = get_ok(&app.client, &format!("/admin/rules/{id}"));
    assert!(
        page.contains(r#"value="portal" checked"#) && page.contains(r#"value="email" checked"#)
    );
    assert!(page.contains(r#"<option value="is_not" selected>"#));
    assert!(page.contains("contraseña, no funciona"));
    assert!(page.contains(r#"<option value="none" selected>"#));
    let token = csrf_in(&page);
    let res = post_form(
        &app.client,
        &format!("/admin/rules/{id}"),
        &[
            ("csrf_token", &token),
            ("name", "Round trip"),
            ("active", "true"),
            ("event", "created"),
            ("by", "any"),
            ("match_mode", "all"),
            ("channels", "portal"),
            ("channels", "email"),
            ("category_op", "is_not"),
            ("categories", &accounts),
            ("message_words", "contraseña, no funciona"),
            ("assigned", "no"),
            ("set_assignee", "none"),
            ("stop", "true"),
        ],
    );
    assert_eq!(res.status(), Status::SeeOther);
    assert_eq!(
        app.count(&format!(
            "SELECT length(conditions) + length(actions) FROM rules WHERE id = {id}"
        )),
        saved
    );
    let token = csrf(&app.client, "/admin/rules");
    let res = post_form(
        &app.client,
        &format!("/admin/rules/{id}/delete"),
        &[("csrf_token", &token)],
    );
    assert_eq!(res.status(), Status::SeeOther);
    assert_eq!(app.count("SELECT COUNT(*) FROM rules"), 0);
    assert_eq!(
        app.count("SELECT COUNT(*) FROM audit_log WHERE action LIKE 'rule_%'"),
        3
    );
}

/// The desk open round the clock every day, with or without today (and the days either side,
/// so a run at midnight cannot slip out) as holidays.
fn always_open(app: &TestApp, holiday_today: bool) {
    app.db
        .write_blocking(move |c| {
            c.execute_batch(
                "DELETE FROM business_hours; DELETE FROM holidays;
                 INSERT INTO business_hours (weekday, start_min, end_min)
                 VALUES (1,0,1440),(2,0,1440),(3,0,1440),(4,0,1440),(5,0,1440),(6,0,1440),(7,0,1440);",
            )?;
            if holiday_today {
                c.execute_batch(
                    "INSERT INTO holidays (day, name) VALUES (date('now','-1 day'), 'a'),
                     (date('now'), 'b'), (date('now','+1 day'), 'c');",
                )?;
            }
            Ok(())
        })
        .expect("desk hours");
}

#[test]
fn a_rule_mails_from_its_template_within_business_hours_only() {
    let app = TestApp::with_config(|c| c.smtp_url = "smtp://127.0.0.1:9".to_string());
    login(&app.client, ADMIN_EMAIL, ADMIN_PASSWORD);
    on_created(
        &app,
        "Acknowledge in hours",
        &[
            ("business_hours", "yes"),
            ("email_to", "requester"),
            ("email_subject", "We are on it: {{ ticket.subject }}"),
            (
                "email_body",
                "Hello {{requester.name}}, your request {{ ticket.tracking_id }} is in {{ ticket.category }}.",
            ),
        ],
    );
    on_created(
        &app,
        "Copy to the boss",
        &[
            ("email_to", "address"),
            ("email_address", "Boss@Office.example"),
            ("email_subject", "New: {{ ticket.subject }}"),
            ("email_body", "From {{ requester.email }}"),
        ],
    );
    let portal = app.other_client();
    always_open(&app, false);
    let tid = submit(
        &portal,
        "ana@office.example",
        "Toner empty",
        "No toner on floor 2.",
    );
    let mail = |to: &str, like: &str| {
        let (to, like) = (to.to_string(), like.to_string());
        app.db
            .read_blocking(move |c| {
                let mut stmt = c.prepare(
                    "SELECT subject || '\n' || body_text FROM outbox WHERE to_addr = ?1 AND subject LIKE ?2",
                )?;
                let rows = stmt
                    .query_map([to, like], |r| r.get::<_, String>(0))?
                    .collect::<rusqlite::Result<Vec<_>>>()?;
                Ok(rows)
            })
            .expect("outbox")
    };
    let acks = mail("ana@office.example", "%We are on it%");
    assert_eq!(acks.len(), 1, "{acks:?}");
    assert!(
        acks[0].starts_with(&format!("[#{tid}] We are on it: Toner empty")),
        "{acks:?}"
    );
    assert!(
        acks[0].contains(&format!(
            "Hello Ana Garcia, your request {tid} is in Hardware."
        )),
        "{acks:?}"
    );
    let copies = mail("boss@office.example", "%New: Toner empty%");
    assert_eq!(copies.len(), 1);
    assert!(copies[0].contains("From ana@office.example"));
    // On a holiday the desk is closed: no acknowledgement, the copy still goes.
    always_open(&app, true);
    submit(
        &portal,
        "ana@office.example",
        "Scanner jammed",
        "Paper stuck.",
    );
    assert!(mail("ana@office.example", "%We are on it: Scanner%").is_empty());
    assert_eq!(
        mail("boss@office.example", "%New: Scanner jammed%").len(),
        1
    );
    // The form shows the saved mail action, and refuses unknown placeholders and bad addresses.
    let page = get_ok(&app.client, "/admin/rules");
    assert!(page.contains("Acknowledge in hours"));
    let token = csrf(&app.client, "/admin/rules/new");
    let res = post_form(
        &app.client,
        "/admin/rules",
        &[
            ("csrf_token", &token),
            ("name", "Broken mail"),
            ("active", "true"),
            ("event", "created"),
            ("by", "any"),
            ("match_mode", "all"),
            ("email_to", "requester"),
            ("email_subject", "Hi {{ ticket.nonsense }}"),
            ("email_body", "Body {{ requester.name"),
        ],
    );
    assert_eq!(res.status(), Status::UnprocessableEntity);
    let body = res.into_string().unwrap_or_default();
    assert!(body.contains("ticket.nonsense"), "{body}");
    let res = post_form(
        &app.client,
        "/admin/rules",
        &[
            ("csrf_token", &token),
            ("name", "Bad address"),
            ("active", "true"),
            ("event", "created"),
            ("by", "any"),
            ("match_mode", "all"),
            ("email_to", "address"),
            ("email_address", "not an address"),
            ("email_subject", "Hi"),
            ("email_body", "Body"),
        ],
    );
    assert_eq!(res.status(), Status::UnprocessableEntity);
    assert_eq!(
        app.count("SELECT COUNT(*) FROM rules WHERE name IN ('Broken mail', 'Bad address')"),
        0
    );
}
