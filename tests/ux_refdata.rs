//! Categories, statuses and priorities in the viewer's language: the names an admin gives in
//! English and Spanish on every page (the ticket list, the ticket pages, their history) and in
//! mail to a requester who wrote in Spanish; the English name where no Spanish one was given.

use crate::common::*;
use rocket::http::Status;
use rocket::local::blocking::Client;

fn spanish(client: &Client) {
    let token = csrf(client, "/");
    let res = post_form(
        client,
        "/lang",
        &[("csrf_token", &token), ("lang", "es"), ("next", "/")],
    );
    assert_eq!(res.status(), Status::SeeOther);
}

fn agent(app: &TestApp, lang: &str) -> Client {
    let client = app.other_client();
    login(&client, AGENT_EMAIL, AGENT_PASSWORD);
    if lang == "es" {
        spanish(&client);
    }
    client
}

fn id_of(app: &TestApp, sql: &str) -> String {
    app.count(sql).to_string()
}

fn update(client: &Client, id: i64, fields: &[(&str, &str)]) {
    let token = csrf(client, &format!("/staff/tickets/{id}"));
    let mut all = vec![("csrf_token", token.as_str())];
    all.extend_from_slice(fields);
    let res = post_form(client, &format!("/staff/tickets/{id}/update"), &all);
    assert_eq!(res.status(), Status::SeeOther, "update {fields:?}");
}

/// The history list of a staff ticket page.
fn history(page: &str) -> &str {
    let start = page.find("<ol class=\"history\">").expect("history list");
    let end = page[start..].find("</ol>").expect("end of history") + start;
    &page[start..end]
}

#[test]
fn spanish_pages_show_spanish_category_and_status_names_history_included() {
    let app = TestApp::new();
    // A Hardware ticket ("Equipos" in Spanish), then moved along by an agent.
    let tid = submit_ticket(&app.client, &TicketInput::default(), &[]);
    let id = ticket_id(&app, &tid);
    let en = agent(&app, "en");
    let network = id_of(
        &app,
        "SELECT id FROM categories WHERE name = 'Network & Wi-Fi'",
    );
    let in_progress = id_of(&app, "SELECT id FROM statuses WHERE slug = 'in_progress'");
    let high = id_of(&app, "SELECT id FROM priorities WHERE slug = 'high'");
    update(
        &en,
        id,
        &[
            ("status", &in_progress),
            ("priority", &high),
            ("category", &network),
        ],
    );

    let es = agent(&app, "es");
    let list = get_ok(&es, "/staff/tickets");
    assert!(list.contains(">En curso<"), "status in the list");
    assert!(list.contains(">Alta<"), "priority in the list");
    assert!(
        list.contains("<span class=\"tk-category\">Red y wifi</span>"),
        "category in the list"
    );
    assert!(!list.contains("Network &amp; Wi-Fi</span>"));
    assert!(
        list.contains(">Cuentas y accesos</option>"),
        "category filter"
    );

    let page = get_ok(&es, &format!("/staff/tickets/{id}"));
    let events = history(&page);
    assert!(events.contains("Nuevo → En curso"), "{events}");
    assert!(events.contains("Media → Alta"), "{events}");
    assert!(events.contains("Equipos → Red y wifi"), "{events}");
    assert!(!events.contains("In progress") && !events.contains("Hardware"));
    assert!(
        page.contains(" selected>Red y wifi</option>"),
        "the field's choice"
    );

    // The same history in English, from the same entries.
    let page = get_ok(&en, &format!("/staff/tickets/{id}"));
    let events = history(&page);
    assert!(events.contains("New → In progress"), "{events}");
    assert!(
        events.contains("Hardware → Network &amp; Wi-Fi"),
        "{events}"
    );

    // The requester reads their ticket in Spanish too.
    spanish(&app.client);
    let portal = get_ok(&app.client, &format!("/tickets/{tid}"));
    assert!(
        portal.contains("<dd>Red y wifi</dd>"),
        "category on the portal"
    );
    assert!(portal.contains("En curso"), "status on the portal");
    let form = get_ok(&app.client, "/tickets/new");
    assert!(form.contains(">Equipos</option>") && form.contains(">Programas</option>"));
}

#[test]
fn history_written_before_the_ids_is_shown_in_the_viewers_language() {
    let app = TestApp::new();
    let tid = submit_ticket(&app.client, &TicketInput::default(), &[]);
    let id = ticket_id(&app, &tid);
    // As the desk stored field changes until now (and the demo data still does): names only.
    app.db
        .write_blocking(move |c| {
            c.execute(
                "INSERT INTO ticket_events (ticket_id, staff_id, actor_kind, actor_name, field,
                     old_value, new_value, created_at)
                 VALUES (?1, NULL, 'system', 'System', 'status', 'New', 'On hold', 1),
                        (?1, NULL, 'system', 'System', 'status', 'On hold', 'Gone status', 2)",
                [id],
            )?;
            Ok(())
        })
        .unwrap();
    let es = agent(&app, "es");
    let events = get_ok(&es, &format!("/staff/tickets/{id}"));
    let events = history(&events);
    assert!(events.contains("Nuevo → En pausa"), "{events}");
    // A name no status carries any more is shown as it was stored.
    assert!(events.contains("En pausa → Gone status"), "{events}");
}

/// Saves category `id` through Admin > Categories with these names: the answer's status and page.
fn save_category(admin: &Client, app: &TestApp, id: &str, en: &str, es: &str) -> (Status, String) {
    let token = csrf(admin, &format!("/admin/categories/{id}"));
    let medium = id_of(app, "SELECT id FROM priorities WHERE slug = 'medium'");
    let res = post_form(
        admin,
        &format!("/admin/categories/{id}"),
        &[
            ("csrf_token", &token),
            ("name", en),
            ("name_es", es),
            ("default_priority", &medium),
            ("active", "true"),
        ],
    );
    (res.status(), res.into_string().unwrap_or_default())
}

/// A page in `lang` (by Accept-Language, the client having chosen none).
fn page_in(client: &Client, path: &str, lang: &str) -> String {
    let res = client.get(path).header(accept_language(lang)).dispatch();
    assert_eq!(res.status(), Status::Ok, "GET {path}");
    res.into_string().unwrap_or_default()
}

#[test]
fn admins_name_rows_in_both_languages_and_an_empty_spanish_name_falls_back() {
    let app = TestApp::new();
    // The admin's own client: what they save clears that server's cached names at once.
    let admin = &app.client;
    login(admin, ADMIN_EMAIL, ADMIN_PASSWORD);
    let token = csrf(admin, "/admin/categories");
    let medium = id_of(&app, "SELECT id FROM priorities WHERE slug = 'medium'");
    let res = post_form(
        admin,
        "/admin/categories",
        &[
            ("csrf_token", &token),
            ("name", "Printers"),
            ("name_es", ""),
            ("default_priority", &medium),
        ],
    );
    assert_eq!(res.status(), Status::SeeOther);
    let printers = id_of(&app, "SELECT id FROM categories WHERE name = 'Printers'");
    let tid = submit_ticket(
        &app.other_client(),
        &TicketInput {
            category: &printers,
            ..TicketInput::default()
        },
        &[],
    );
    let id = ticket_id(&app, &tid);
    // No Spanish name: the English one, on Spanish pages too.
    assert!(
        page_in(admin, "/staff/tickets", "es")
            .contains("<span class=\"tk-category\">Printers</span>")
    );
    let list = page_in(admin, "/admin/categories", "es");
    assert!(list.contains("(el nombre en inglés)"), "the list says so");

    let (status, _) = save_category(admin, &app, &printers, "Printers", "Impresoras");
    assert_eq!(status, Status::SeeOther);
    assert!(
        page_in(admin, "/staff/tickets", "es")
            .contains("<span class=\"tk-category\">Impresoras</span>")
    );
    assert!(
        page_in(admin, "/staff/tickets", "en")
            .contains("<span class=\"tk-category\">Printers</span>")
    );

    // A Spanish name another category already shows on Spanish pages is refused next to the
    // field, and nothing changes.
    let (status, page) = save_category(admin, &app, &printers, "Printers", "equipos");
    assert_eq!(status, Status::UnprocessableEntity);
    assert!(
        page.contains("id=\"name_es-error\""),
        "error next to the field"
    );
    assert!(page.contains("Another one already shows this name on Spanish pages."));
    assert_eq!(
        app.count("SELECT COUNT(*) FROM categories WHERE name_es = 'Impresoras'"),
        1
    );

    // Statuses and priorities the same way, on Admin > Statuses & priorities.
    let waiting = id_of(&app, "SELECT id FROM statuses WHERE slug = 'waiting'");
    let token = csrf(admin, "/admin/workflow");
    let save_status = |es: &str| {
        post_form(
            admin,
            &format!("/admin/statuses/{waiting}"),
            &[
                ("csrf_token", &token),
                ("name", "Waiting on you"),
                ("name_es", es),
                ("sort", "30"),
            ],
        )
        .status()
    };
    assert_eq!(save_status(""), Status::SeeOther);
    update(admin, id, &[("status", &waiting)]);
    let page = page_in(admin, &format!("/staff/tickets/{id}"), "es");
    assert!(
        history(&page).contains("Nuevo → Waiting on you"),
        "fallback"
    );
    assert_eq!(save_status("Esperando su respuesta"), Status::SeeOther);
    let page = page_in(admin, &format!("/staff/tickets/{id}"), "es");
    assert!(history(&page).contains("Nuevo → Esperando su respuesta"));
    let page = page_in(admin, &format!("/staff/tickets/{id}"), "en");
    assert!(history(&page).contains("New → Waiting on you"));
    assert!(get_ok(admin, "/admin/workflow").contains("value=\"Esperando su respuesta\""));
    let high = id_of(&app, "SELECT id FROM priorities WHERE slug = 'high'");
    let res = post_form(
        admin,
        &format!("/admin/priorities/{high}"),
        &[
            ("csrf_token", &token),
            ("name", "High"),
            ("name_es", "Urgente"),
            ("rank", "30"),
            ("requester_selectable", "true"),
        ],
    );
    assert_eq!(res.status(), Status::SeeOther);
    update(admin, id, &[("priority", &high)]);
    assert!(page_in(admin, "/staff/tickets", "es").contains(">Urgente<"));
    assert!(page_in(admin, "/staff/tickets", "en").contains(">High<"));
}

#[test]
fn a_spanish_requesters_mail_names_the_category_and_status_in_spanish() {
    let dead = server::free_port();
    let app = TestApp::with_config(|c| c.smtp_url = format!("smtp://127.0.0.1:{dead}"));
    let admin = app.other_client();
    login(&admin, ADMIN_EMAIL, ADMIN_PASSWORD);
    let token = csrf(&admin, "/admin/rules/new");
    let res = post_form(
        &admin,
        "/admin/rules",
        &[
            ("csrf_token", &token),
            ("name", "Acknowledge"),
            ("active", "true"),
            ("event", "created"),
            ("by", "any"),
            ("match_mode", "all"),
            ("email_to", "requester"),
            ("email_subject", "{{ ticket.subject }}"),
            (
                "email_body",
                "Category: {{ ticket.category }}. Status: {{ ticket.status }}. Priority: {{ ticket.priority }}.",
            ),
        ],
    );
    assert_eq!(res.status(), Status::SeeOther);
    let mail_to = |email: &str| {
        let email = email.to_string();
        app.db
            .read_blocking(move |c| {
                Ok(c.query_row(
                    "SELECT body_text FROM outbox WHERE to_addr = ?1 AND subject LIKE '%Printer%'",
                    [email],
                    |r| r.get::<_, String>(0),
                )?)
            })
            .expect("the rule's mail")
    };
    let requester = app.other_client();
    spanish(&requester);
    submit_ticket(
        &requester,
        &TicketInput {
            email: "lucia@office.example",
            ..TicketInput::default()
        },
        &[],
    );
    let mail = mail_to("lucia@office.example");
    assert!(
        mail.contains("Category: Equipos. Status: Nuevo. Priority: Media."),
        "{mail}"
    );
    // The same rule for someone who wrote in English.
    submit_ticket(&app.client, &TicketInput::default(), &[]);
    let mail = mail_to("ana@office.example");
    assert!(
        mail.contains("Category: Hardware. Status: New. Priority: Medium."),
        "{mail}"
    );
}
