//! Canned replies: written through Staff > Canned replies, shared by admins or kept personal,
//! refused with the problem next to the field, and used on a ticket: without JavaScript through
//! the app (Rocket's client over a real SQLite file), and with it in real headless Chromium.

use crate::common::browser::{Driver, admin_password, click, find, staff_logs_in, wait_for};
use crate::common::server::{self, Server};
use crate::common::*;
use fantoccini::Locator;
use fantoccini::key::Key;
use helpdesk::auth::{Role, users};
use rocket::http::Status;
use rocket::local::blocking::Client;

const OTHER_EMAIL: &str = "olga@example.com";
const OTHER_PASSWORD: &str = "olga-password-1";

const RESET_TITLE: &str = "Password reset done";
const RESET_BODY: &str = "Hello {{ requester.name }},\n\nyour password was reset. Your request \
                          {{ticket.tracking_id}} is now {{ ticket.status }}.\n\n\
                          {{ agent.name }}, {{ desk.name }}";

/// Adds a second agent, Olga, to `app`.
fn add_other_agent(app: &TestApp) {
    app.db
        .write_blocking(|c| {
            let h = users::hash_password(OTHER_PASSWORD, 4)?;
            users::create(c, OTHER_EMAIL, "Olga Other", Role::Agent, &h)?;
            Ok(())
        })
        .expect("second agent");
}

/// Sends the canned-reply form at `path` (`/staff/canned/new` or `/staff/canned/ID`) as the
/// page offers it, with `fields` over the defaults of an empty form.
fn send_form<'c>(
    client: &'c Client,
    path: &str,
    fields: &[(&str, &str)],
) -> rocket::local::blocking::LocalResponse<'c> {
    let token = csrf(client, "/staff/canned/new");
    let mut all = vec![
        ("csrf_token", token.as_str()),
        ("title", ""),
        ("body", ""),
        ("scope", "personal"),
        ("category", ""),
        ("status", ""),
        ("priority", ""),
    ];
    for (name, value) in fields {
        all.retain(|(n, _)| n != name);
        all.push((name, value));
    }
    post_form(client, path, &all)
}

fn canned_id(app: &TestApp, title: &str) -> i64 {
    let title = title.to_string();
    app.db
        .read_blocking(move |c| {
            Ok(c.query_row(
                "SELECT id FROM canned_replies WHERE title = ?1",
                [&title],
                |r| r.get(0),
            )?)
        })
        .expect("canned reply saved")
}

fn resolved(app: &TestApp) -> String {
    app.count("SELECT id FROM statuses WHERE slug = 'resolved'")
        .to_string()
}

/// The text of the `<textarea id="ID">` on `page`, as a browser shows it.
fn textarea(page: &str, id: &str) -> String {
    let open = format!("<textarea id=\"{id}\"");
    let start = page.find(&open).expect("the textarea");
    let start = start + page[start..].find('>').expect("end of the tag") + 1;
    let end = start + page[start..].find("</textarea>").expect("closing tag");
    unescape(&page[start..end])
}

/// The `value` of the `<input>` with `id` on `page`.
fn input_value(page: &str, id: &str) -> String {
    let tag_start = page
        .find(&format!("id=\"{id}\""))
        .unwrap_or_else(|| panic!("no element #{id}"));
    let tag_start = page[..tag_start].rfind('<').expect("tag");
    let tag_end = tag_start + page[tag_start..].find('>').expect("end of the tag");
    let tag = &page[tag_start..tag_end];
    let value = tag.find("value=\"").map_or("", |i| {
        let rest = &tag[i + 7..];
        &rest[..rest.find('"').unwrap_or(0)]
    });
    unescape(value)
}

fn unescape(s: &str) -> String {
    s.replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&quot;", "\"")
        .replace("&#x27;", "'")
        .replace("&#x2F;", "/")
        .replace("&amp;", "&")
}

/// The table row of the canned replies list whose title is `title` (its HTML), if listed.
fn list_row(page: &str, title: &str) -> Option<String> {
    page.split("<tr>")
        .find(|row| row.contains(&format!(">{title}<")))
        .map(|row| row[..row.find("</tr>").unwrap_or(row.len())].to_string())
}

#[test]
fn shared_and_personal_canned_replies_and_who_sees_them() {
    let app = TestApp::new();
    add_other_agent(&app);
    let admin = app.other_client();
    login(&admin, ADMIN_EMAIL, ADMIN_PASSWORD);
    let resolved = resolved(&app);

    // An admin writes a shared one that resolves the ticket.
    let res = send_form(
        &admin,
        "/staff/canned/new",
        &[
            ("title", RESET_TITLE),
            ("body", RESET_BODY),
            ("scope", "shared"),
            ("status", &resolved),
        ],
    );
    assert_eq!(res.status(), Status::SeeOther);
    assert_eq!(location(&res), "/staff/canned");
    let shared = canned_id(&app, RESET_TITLE);

    // An agent writes a personal one, and may not share it.
    let agent = app.other_client();
    login(&agent, AGENT_EMAIL, AGENT_PASSWORD);
    let res = send_form(
        &agent,
        "/staff/canned/new",
        &[
            ("title", "My printer steps"),
            ("body", "Turn it off and on, {{ requester.name }}."),
            ("scope", "shared"),
        ],
    );
    assert_eq!(res.status(), Status::UnprocessableEntity);
    assert!(
        res.into_string()
            .unwrap_or_default()
            .contains("Only admins can share canned replies")
    );
    assert_eq!(app.count("SELECT COUNT(*) FROM canned_replies"), 1);
    let res = send_form(
        &agent,
        "/staff/canned/new",
        &[
            ("title", "My printer steps"),
            ("body", "Turn it off and on, {{ requester.name }}."),
            ("assign_to_me", "true"),
        ],
    );
    assert_eq!(res.status(), Status::SeeOther);
    let personal = canned_id(&app, "My printer steps");

    // The agent's list: both, the personal one editable, the shared one not.
    let list = get_ok(&agent, "/staff/canned");
    let row = list_row(&list, "My printer steps").expect("own reply listed");
    assert!(
        row.contains("Personal") && row.contains("assigned to you"),
        "{row}"
    );
    assert!(row.contains(&format!("href=\"/staff/canned/{personal}\"")));
    let row = list_row(&list, RESET_TITLE).expect("shared reply listed");
    assert!(
        row.contains("Shared") && row.contains("status: Resolved"),
        "{row}"
    );
    assert!(
        !row.contains("href="),
        "agents do not edit shared replies: {row}"
    );
    assert_eq!(
        agent
            .get(format!("/staff/canned/{shared}"))
            .dispatch()
            .status(),
        Status::Forbidden
    );

    // Another agent sees the shared one only; the personal one is not even found.
    let other = app.other_client();
    login(&other, OTHER_EMAIL, OTHER_PASSWORD);
    let list = get_ok(&other, "/staff/canned");
    assert!(list_row(&list, RESET_TITLE).is_some());
    assert!(list_row(&list, "My printer steps").is_none());
    assert!(!list.contains("Turn it off and on"));
    for path in [
        format!("/staff/canned/{personal}"),
        format!("/staff/tickets/1/canned/{personal}"),
    ] {
        assert_eq!(
            other.get(path.as_str()).dispatch().status(),
            Status::NotFound,
            "{path}"
        );
    }
    let token = csrf(&other, "/staff/canned");
    let res = post_form(
        &other,
        &format!("/staff/canned/{personal}/delete"),
        &[("csrf_token", &token)],
    );
    assert_eq!(res.status(), Status::NotFound);
    // Personal means personal: the admin does not see it either.
    assert!(list_row(&get_ok(&admin, "/staff/canned"), "My printer steps").is_none());

    // The owner changes and then deletes theirs.
    let res = send_form(
        &agent,
        &format!("/staff/canned/{personal}"),
        &[
            ("title", "Printer steps"),
            ("body", "Turn it off and on again."),
        ],
    );
    assert_eq!(res.status(), Status::SeeOther);
    assert!(list_row(&get_ok(&agent, "/staff/canned"), "Printer steps").is_some());
    let token = csrf(&agent, "/staff/canned");
    let res = post_form(
        &agent,
        &format!("/staff/canned/{personal}/delete"),
        &[("csrf_token", &token)],
    );
    assert_eq!(res.status(), Status::SeeOther);
    assert_eq!(app.count("SELECT COUNT(*) FROM canned_replies"), 1);
    // Without the CSRF token nothing is deleted.
    let res = post_form(
        &admin,
        &format!("/staff/canned/{shared}/delete"),
        &[("csrf_token", "forged")],
    );
    assert_eq!(res.status(), Status::Forbidden);
    assert_eq!(app.count("SELECT COUNT(*) FROM canned_replies"), 1);
}

#[test]
fn bad_input_is_refused_next_to_the_field_and_nothing_is_saved() {
    let app = TestApp::new();
    login(&app.client, AGENT_EMAIL, AGENT_PASSWORD);

    let res = send_form(
        &app.client,
        "/staff/canned/new",
        &[
            ("title", "Welcome"),
            (
                "body",
                "Hi {{ requester.nmae }}, see {{ticket.link}}. {{ ticket.subject }}",
            ),
        ],
    );
    assert_eq!(res.status(), Status::UnprocessableEntity);
    let page = res.into_string().unwrap_or_default();
    assert!(
        page.contains(
            "<p class=\"field-error\" id=\"body-error\">Unknown placeholder: \
             {{ requester.nmae }}, {{ ticket.link }}."
        ),
        "the unknown names next to the text field:\n{page}"
    );
    // What was typed is still there to correct.
    assert!(textarea(&page, "body").contains("{{ requester.nmae }}"));
    assert_eq!(input_value(&page, "title"), "Welcome");

    let res = send_form(
        &app.client,
        "/staff/canned/new",
        &[("title", "Closing"), ("body", "Regards, {{ agent.name }")],
    );
    assert_eq!(res.status(), Status::UnprocessableEntity);
    assert!(
        res.into_string()
            .unwrap_or_default()
            .contains("A placeholder is not closed")
    );

    let long = "x".repeat(121);
    let res = send_form(
        &app.client,
        "/staff/canned/new",
        &[("title", &long), ("body", "  ")],
    );
    assert_eq!(res.status(), Status::UnprocessableEntity);
    let page = res.into_string().unwrap_or_default();
    assert!(page.contains("The title can be at most 120 characters long."));
    assert!(page.contains("Enter the text of the reply."));

    let res = send_form(
        &app.client,
        "/staff/canned/new",
        &[
            ("title", "Odd"),
            ("body", "Text"),
            ("status", "9999"),
            ("category", "x"),
        ],
    );
    assert_eq!(res.status(), Status::UnprocessableEntity);
    let page = res.into_string().unwrap_or_default();
    assert!(page.contains("Choose a status from the list."));
    assert!(page.contains("Choose a category from the list."));
    assert_eq!(app.count("SELECT COUNT(*) FROM canned_replies"), 0);

    // Changing a saved one to a bad text keeps the saved one as it was.
    let res = send_form(
        &app.client,
        "/staff/canned/new",
        &[
            ("title", "Thanks"),
            ("body", "Thanks, {{ requester.name }}."),
        ],
    );
    assert_eq!(res.status(), Status::SeeOther);
    let id = canned_id(&app, "Thanks");
    let res = send_form(
        &app.client,
        &format!("/staff/canned/{id}"),
        &[("title", "Thanks!"), ("body", "Thanks, {{ requester }}.")],
    );
    assert_eq!(res.status(), Status::UnprocessableEntity);
    assert!(
        res.into_string()
            .unwrap_or_default()
            .contains("Unknown placeholder: {{ requester }}")
    );
    assert_eq!(
        app.count(
            "SELECT COUNT(*) FROM canned_replies WHERE title = 'Thanks' \
             AND body = 'Thanks, {{ requester.name }}.'"
        ),
        1
    );
}

/// A requester's ticket, an admin's shared "Password reset done" that resolves it, and an agent
/// on its page. Mail goes to an SMTP port nobody listens on, so it stays in the outbox to read.
fn ticket_and_shared_reply() -> (TestApp, Client, i64, String, i64) {
    let dead = server::free_port();
    let app = TestApp::with_config(|c| c.smtp_url = format!("smtp://127.0.0.1:{dead}"));
    let tid = submit_ticket(&app.client, &TicketInput::default(), &[]);
    let id = ticket_id(&app, &tid);
    let admin = app.other_client();
    login(&admin, ADMIN_EMAIL, ADMIN_PASSWORD);
    let resolved = resolved(&app);
    let res = send_form(
        &admin,
        "/staff/canned/new",
        &[
            ("title", RESET_TITLE),
            ("body", RESET_BODY),
            ("scope", "shared"),
            ("status", &resolved),
        ],
    );
    assert_eq!(res.status(), Status::SeeOther);
    let canned = canned_id(&app, RESET_TITLE);
    let agent = app.other_client();
    login(&agent, AGENT_EMAIL, AGENT_PASSWORD);
    (app, agent, id, tid, canned)
}

#[test]
fn a_canned_reply_with_placeholders_on_a_ticket_without_javascript() {
    let (app, agent, id, tid, canned) = ticket_and_shared_reply();
    // A personal reply for another category is not offered on this Hardware ticket.
    let software = app
        .count("SELECT id FROM categories WHERE name = 'Software'")
        .to_string();
    let res = send_form(
        &agent,
        "/staff/canned/new",
        &[
            ("title", "Reinstall the app"),
            ("body", "Please reinstall it."),
            ("category", &software),
        ],
    );
    assert_eq!(res.status(), Status::SeeOther);

    let page = get_ok(&agent, &format!("/staff/tickets/{id}"));
    assert!(page.contains(&format!(
        "<option value=\"{canned}\" >{RESET_TITLE}</option>"
    )));
    assert!(
        !page.contains("Reinstall the app"),
        "other categories' replies are not offered"
    );
    let token = csrf_in(&page);

    // "Insert": the page comes back with the text filled in, nothing sent yet.
    let mut form = Multipart::new();
    form.text("csrf_token", &token)
        .text("message", "")
        .text("canned", &canned.to_string())
        .text("canned_id", "")
        .text("status", "")
        .text("kind", "insert");
    let res = form.post(&agent, &format!("/staff/tickets/{id}/reply"));
    assert_eq!(res.status(), Status::Ok);
    let page = res.into_string().unwrap_or_default();
    let text = textarea(&page, "message");
    let expected = format!(
        "Hello Ana Garcia,\n\nyour password was reset. Your request {tid} is now Resolved.\n\n\
         Gus Agent, Helpdesk"
    );
    assert_eq!(text, expected);
    assert_eq!(input_value(&page, "canned-id"), canned.to_string());
    assert!(page.contains("Canned reply used:"));
    assert!(page.contains("status: Resolved"));
    assert_eq!(
        app.count("SELECT COUNT(*) FROM messages"),
        1,
        "nothing sent yet"
    );

    // Send it as the form now stands (the agent added a line).
    let body = format!("{text}\nP.S. Choose a long one.");
    let mut form = Multipart::new();
    form.text("csrf_token", &token)
        .text("message", &body)
        .text("canned", &canned.to_string())
        .text("canned_id", &input_value(&page, "canned-id"))
        .text("canned_apply", "true")
        .text("status", "")
        .text("kind", "reply");
    let res = form.post(&agent, &format!("/staff/tickets/{id}/reply"));
    assert_eq!(res.status(), Status::SeeOther);

    // The requester reads the rendered text, in the portal and in the mail waiting for them.
    let portal = get_ok(&app.client, &format!("/tickets/{tid}"));
    assert!(portal.contains(&format!(
        "your password was reset. Your request {tid} is now Resolved."
    )));
    assert!(portal.contains("Hello Ana Garcia,"));
    assert!(portal.contains("status-resolved"));
    let mail = app
        .db
        .read_blocking(|c| {
            Ok(c.query_row(
                "SELECT body_text FROM outbox WHERE to_addr = 'ana@office.example' \
                 ORDER BY id DESC LIMIT 1",
                [],
                |r| r.get::<_, String>(0),
            )?)
        })
        .expect("mail to the requester");
    assert!(mail.contains("Hello Ana Garcia,"), "{mail}");
    assert!(
        mail.contains(&format!("Your request {tid} is now Resolved.")),
        "{mail}"
    );
    assert!(!mail.contains("{{"), "{mail}");
    // Resolved by that same reply, and counted once.
    assert_eq!(
        app.count(&format!(
            "SELECT COUNT(*) FROM tickets t JOIN statuses s ON s.id = t.status_id \
             WHERE t.id = {id} AND s.slug = 'resolved'"
        )),
        1
    );
    let staff_view = get_ok(&agent, &format!("/staff/tickets/{id}"));
    assert!(staff_view.contains("New → Resolved"));
    let list = get_ok(&agent, "/staff/canned");
    let row = list_row(&list, RESET_TITLE).expect("listed");
    assert!(
        row.contains("<td class=\"canned-used-count\">1</td>"),
        "{row}"
    );
}

#[test]
fn unticked_changes_are_not_applied_and_a_deleted_reply_is_reported() {
    let (app, agent, id, _tid, canned) = ticket_and_shared_reply();
    let token = csrf(&agent, &format!("/staff/tickets/{id}"));
    // Unticked "apply its changes": the text goes, the status stays, the use counts.
    let mut form = Multipart::new();
    form.text("csrf_token", &token)
        .text("message", "Your password was reset.")
        .text("canned_id", &canned.to_string())
        .text("status", "")
        .text("kind", "reply");
    let res = form.post(&agent, &format!("/staff/tickets/{id}/reply"));
    assert_eq!(res.status(), Status::SeeOther);
    assert_eq!(
        app.count(&format!(
            "SELECT COUNT(*) FROM tickets t JOIN statuses s ON s.id = t.status_id \
             WHERE t.id = {id} AND s.slug = 'new'"
        )),
        1
    );
    assert_eq!(
        app.count(&format!(
            "SELECT usage_count FROM canned_replies WHERE id = {canned}"
        )),
        1
    );

    // Deleted between inserting and sending: the form comes back saying so, nothing is sent.
    app.db
        .write_blocking(move |c| {
            helpdesk::tickets::canned::delete(c, canned)?;
            Ok(())
        })
        .expect("delete");
    let mut form = Multipart::new();
    form.text("csrf_token", &token)
        .text("message", "Your password was reset again.")
        .text("canned_id", &canned.to_string())
        .text("canned_apply", "true")
        .text("status", "")
        .text("kind", "reply");
    let res = form.post(&agent, &format!("/staff/tickets/{id}/reply"));
    assert_eq!(res.status(), Status::UnprocessableEntity);
    let page = res.into_string().unwrap_or_default();
    assert!(page.contains("That canned reply no longer exists"));
    assert_eq!(textarea(&page, "message"), "Your password was reset again.");
    assert_eq!(app.count("SELECT COUNT(*) FROM messages"), 2);
    // The form shown again no longer names it, so sending it as it stands goes through.
    assert_eq!(input_value(&page, "canned-id"), "");
}

#[test]
fn the_reply_form_in_spanish() {
    let (_app, agent, id, _tid, _canned) = ticket_and_shared_reply();
    let page = agent
        .get(format!("/staff/tickets/{id}"))
        .header(accept_language("es"))
        .dispatch()
        .into_string()
        .unwrap_or_default();
    assert!(page.contains("Respuesta predefinida"));
    assert!(page.contains(">Insertar<"));
    let list = agent
        .get("/staff/canned")
        .header(accept_language("es"))
        .dispatch()
        .into_string()
        .unwrap_or_default();
    assert!(
        list.contains("Compartida") && list.contains("estado: Resuelto"),
        "{list}"
    );
}

/// In Chromium: the admin writes a shared canned reply through the form, then on a ticket types
/// a greeting, searches the canned replies by title and inserts one at the cursor; the sent
/// reply carries the rendered text and resolves the ticket.
#[test]
fn search_and_insert_at_the_cursor_in_the_browser() {
    let _heavy = heavy_test_lock();
    let driver = Driver::start();
    let dir = tempfile::tempdir().expect("temp dir");
    let server = Server::start(&dir.path().join("helpdesk.db"));
    let password = admin_password(&server);

    // An employee's ticket, through the portal form.
    let employee = server::agent();
    let token = server::csrf_from(&employee, &server.url("/tickets/new"));
    let mut form = Multipart::new();
    form.text("csrf_token", &token)
        .text("name", "Ana Garcia")
        .text("email", "ana@office.example")
        .text("category", "4")
        .text("subject", "Cannot log in")
        .text("message", "My password expired.");
    let res = employee
        .post(&server.url("/tickets"))
        .set("Content-Type", &Multipart::header_value())
        .send_bytes(&form.finish())
        .expect("submit the ticket");
    assert_eq!(res.status(), 303);
    let tid = res
        .header("Location")
        .and_then(|l| l.strip_prefix("/tickets/"))
        .and_then(|l| l.split('?').next())
        .expect("tracking ID")
        .to_string();

    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("tokio runtime");
    rt.block_on(async {
        let b = driver.session("canned").await;
        staff_logs_in(&b, &server, &password).await;

        // Staff > Canned replies > New, from the navigation.
        click(&b, "nav a[href='/staff/canned']").await;
        click(&b, "a[href='/staff/canned/new']").await;
        find(&b, "#title").await.send_keys(RESET_TITLE).await.expect("title");
        find(&b, "#body").await.send_keys(RESET_BODY).await.expect("body");
        click(&b, "input[name='scope'][value='shared']").await;
        find(&b, "select#status")
            .await
            .select_by_label("Resolved")
            .await
            .expect("choose Resolved");
        click(&b, "form.card button[type='submit']").await;
        wait_for(&b, Locator::Css("table.canned-table"), "the list of canned replies").await;

        // On the ticket: a greeting and a signature, the cursor on the empty line between.
        b.goto(&server.url("/staff/tickets/1")).await.expect("open the ticket");
        let message = find(&b, "textarea#message").await;
        message.send_keys("Hi,\n\nBest").await.expect("type");
        message.send_keys(&Key::Up.to_string()).await.expect("cursor up");
        // The search box replaces nothing: the list stays for those who prefer it.
        find(&b, "#canned-q").await.send_keys("reset").await.expect("search");
        let result = wait_for(
            &b,
            Locator::Css("#canned-results button.canned-result"),
            "a canned reply found by title",
        )
        .await;
        assert_eq!(result.text().await.expect("result").trim(), RESET_TITLE);
        // Typing on narrows it down to nothing.
        find(&b, "#canned-q").await.send_keys(" printer").await.expect("search more");
        wait_for(
            &b,
            Locator::XPath("//ul[@id='canned-results']/li[contains(., 'No canned reply has that title.')]"),
            "no match",
        )
        .await;
        for _ in 0..8 {
            find(&b, "#canned-q").await.send_keys(&Key::Backspace.to_string()).await.expect("erase");
        }
        wait_for(&b, Locator::Css("#canned-results button.canned-result"), "the match again")
            .await
            .click()
            .await
            .expect("insert it");
        wait_for(&b, Locator::Css("#canned-used:not([hidden])"), "the canned reply in use").await;

        let rendered = format!(
            "Hello Ana Garcia,\n\nyour password was reset. Your request {tid} is now Resolved.\n\n\
             Administrator, Helpdesk"
        );
        let text = find(&b, "textarea#message")
            .await
            .prop("value")
            .await
            .expect("reply text")
            .unwrap_or_default();
        assert_eq!(text, format!("Hi,\n{rendered}\nBest"), "inserted at the cursor");
        let hidden = find(&b, "#canned-id").await.prop("value").await.expect("canned_id");
        assert_eq!(hidden.as_deref(), Some("1"));
        let changes = find(&b, "#canned-changes").await.text().await.expect("changes");
        assert_eq!(changes.trim(), "status: Resolved");

        click(&b, "button[name='kind'][value='reply']").await;
        wait_for(
            &b,
            Locator::XPath(&format!(
                "//article[contains(@class, 'message-staff')]//div[contains(@class, 'message-body')]\
                 [contains(., 'Your request {tid} is now Resolved.')]"
            )),
            "the sent reply",
        )
        .await;
        let status = find(&b, "select#status option:checked").await;
        assert_eq!(status.text().await.expect("status").trim(), "Resolved");

        b.goto(&server.url("/staff/canned")).await.expect("open the list");
        let used = wait_for(&b, Locator::Css("td.canned-used-count"), "the usage count").await;
        assert_eq!(used.text().await.expect("count").trim(), "1");
        b.close().await.expect("close the browser");
    });
    drop(driver);
}
