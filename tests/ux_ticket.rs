//! The staff ticket page's one form (issue 15, items 1 and 4), through Rocket's client: a reply
//! and the ticket's fields saved in one action and one history entry, "Send and resolve", "Save
//! changes" without text, a refused form that keeps everything, and the confirmation each
//! action answers with (`role="status"`).

use crate::common::*;
use rocket::http::Status;
use rocket::local::blocking::Client;

struct Desk {
    app: TestApp,
    staff: Client,
    id: i64,
    token: String,
}

fn desk() -> Desk {
    let app = TestApp::new();
    let tid = submit_ticket(&app.client, &TicketInput::default(), &[]);
    let id = ticket_id(&app, &tid);
    let staff = app.other_client();
    login(&staff, AGENT_EMAIL, AGENT_PASSWORD);
    let token = csrf(&staff, &format!("/staff/tickets/{id}"));
    Desk {
        app,
        staff,
        id,
        token,
    }
}

impl Desk {
    fn slug_id(&self, table: &str, slug: &str) -> String {
        self.app
            .count(&format!("SELECT id FROM {table} WHERE slug = '{slug}'"))
            .to_string()
    }

    /// The page's one form as the browser sends it: the fields as the page showed them
    /// (`was_*`, the ticket's current values) with `fields` chosen over them.
    fn post(&self, fields: &[(&str, &str)]) -> rocket::local::blocking::LocalResponse<'_> {
        let (status, priority, category) = (
            self.field("status_id"),
            self.field("priority_id"),
            self.field("category_id"),
        );
        let shown = [
            ("status", status),
            ("priority", priority),
            ("category", category),
            ("assignee", String::new()),
        ];
        let mut form = Multipart::new();
        form.text("csrf_token", &self.token);
        for (name, value) in &shown {
            form.text(&format!("was_{name}"), value);
            if !fields.iter().any(|(n, _)| n == name) {
                form.text(name, value);
            }
        }
        for (name, value) in fields {
            form.text(name, value);
        }
        form.post(&self.staff, &format!("/staff/tickets/{}/reply", self.id))
    }

    fn field(&self, column: &str) -> String {
        self.app
            .count(&format!(
                "SELECT {column} FROM tickets WHERE id = {}",
                self.id
            ))
            .to_string()
    }

    fn page(&self) -> String {
        get_ok(&self.staff, &format!("/staff/tickets/{}", self.id))
    }
}

/// The `<select id="{id}">` of a page.
fn select<'p>(page: &'p str, id: &str) -> &'p str {
    let start = page
        .find(&format!("<select id=\"{id}\""))
        .unwrap_or_else(|| panic!("no select #{id}"));
    let end = page[start..].find("</select>").expect("end of select") + start;
    &page[start..end]
}

fn history(page: &str) -> Vec<&str> {
    let start = page.find("<ol class=\"history\">").expect("history list");
    let end = page[start..].find("</ol>").expect("end of history") + start;
    page[start..end].split("<li>").skip(1).collect()
}

#[test]
fn a_reply_and_changed_fields_are_saved_in_one_action_and_one_history_entry() {
    let d = desk();
    let high = d.slug_id("priorities", "high");
    let res = d.post(&[
        ("kind", "reply"),
        ("message", "Replaced the toner; raising the priority."),
        ("priority", &high),
    ]);
    assert_eq!(res.status(), Status::SeeOther);
    let message = d.app.count("SELECT MAX(id) FROM messages");
    assert_eq!(
        location(&res),
        format!("/staff/tickets/{}#m{message}", d.id),
        "the page opens at the new message"
    );
    assert_eq!(d.field("priority_id"), high);
    let page = d.page();
    assert!(
        page.contains(
            r#"<div class="flash flash-success" role="status">Reply sent and ticket updated.</div>"#
        ),
        "{page}"
    );
    assert!(page.contains("Replaced the toner; raising the priority."));
    let entries = history(&page);
    let entry = entries
        .iter()
        .find(|e| e.contains("Medium → High"))
        .expect("the priority change in the history");
    assert!(
        entry.contains(&format!("href=\"#m{message}\"")) && entry.contains("with a reply"),
        "one entry names the change and the reply: {entry}"
    );
    // Fields left as the page showed them are no changes.
    assert_eq!(
        d.app
            .count("SELECT COUNT(*) FROM ticket_events WHERE field IN ('status', 'category')"),
        0
    );
    assert!(select(&page, "priority").contains(&format!("<option value=\"{high}\" selected>")));
}

#[test]
fn send_and_resolve_resolves_with_the_reply_and_a_note_keeps_the_status() {
    let d = desk();
    let res = d.post(&[("kind", "resolve"), ("message", "Fixed, closing this.")]);
    assert_eq!(res.status(), Status::SeeOther);
    assert_eq!(d.field("status_id"), d.slug_id("statuses", "resolved"));
    let page = d.page();
    assert!(page.contains("role=\"status\">Reply sent and ticket updated.</div>"));
    assert!(
        history(&page)
            .iter()
            .any(|e| e.contains("New → Resolved") && e.contains("with a reply"))
    );

    let res = d.post(&[("kind", "note"), ("message", "Toner from the cupboard.")]);
    assert_eq!(res.status(), Status::SeeOther);
    assert_eq!(d.field("status_id"), d.slug_id("statuses", "resolved"));
    let page = d.page();
    assert!(
        page.contains("role=\"status\">Internal note added.</div>"),
        "{page}"
    );
}

#[test]
fn a_refused_reply_comes_back_with_the_text_and_every_choice_kept() {
    let d = desk();
    let (high, waiting) = (
        d.slug_id("priorities", "high"),
        d.slug_id("statuses", "waiting"),
    );
    let (was_status, was_priority) = (d.field("status_id"), d.field("priority_id"));
    // No text: the reply is refused, and nothing is saved.
    let res = d.post(&[
        ("kind", "reply"),
        ("message", "   "),
        ("priority", &high),
        ("status", &waiting),
        ("silent", "true"),
    ]);
    assert_eq!(res.status(), Status::UnprocessableEntity);
    let page = res.into_string().unwrap_or_default();
    assert!(page.contains("Please write a message."));
    assert!(page.contains(r#"aria-invalid="true" aria-describedby="message-error" autofocus"#));
    assert!(select(&page, "priority").contains(&format!("<option value=\"{high}\" selected>")));
    assert!(select(&page, "status").contains(&format!("<option value=\"{waiting}\" selected>")));
    assert!(page.contains(&format!("name=\"was_status\" value=\"{was_status}\"")));
    assert!(page.contains("name=\"silent\" value=\"true\" checked"));
    assert_eq!(d.field("priority_id"), was_priority);
    assert_eq!(d.field("status_id"), was_status);

    // An unknown assignee: the text typed stays, the error and the focus go to the assignee.
    let res = d.post(&[
        ("kind", "reply"),
        ("message", "On it & more <soon>."),
        ("priority", &high),
        ("assignee", "999"),
    ]);
    assert_eq!(res.status(), Status::UnprocessableEntity);
    let page = res.into_string().unwrap_or_default();
    assert!(
        page.contains(">On it &amp; more &lt;soon&gt;.</textarea>"),
        "{page}"
    );
    let assignee = select(&page, "assignee");
    assert!(assignee.contains("aria-invalid=\"true\"") && assignee.contains("autofocus"));
    assert!(page.contains("Please choose one of the listed agents."));
    assert!(!select(&page, "status").contains("autofocus"));
    assert!(select(&page, "priority").contains(&format!("<option value=\"{high}\" selected>")));
    assert_eq!(d.app.count("SELECT COUNT(*) FROM messages"), 1);
    assert_eq!(d.field("priority_id"), was_priority);
}

#[test]
fn a_reply_does_not_undo_what_someone_changed_meanwhile() {
    let d = desk();
    let (medium, low) = (d.field("priority_id"), d.slug_id("priorities", "low"));
    // Someone else lowers the priority after this page was loaded.
    let other = d.app.other_client();
    login(&other, ADMIN_EMAIL, ADMIN_PASSWORD);
    let token = csrf(&other, &format!("/staff/tickets/{}", d.id));
    let res = post_form(
        &other,
        &format!("/staff/tickets/{}/update", d.id),
        &[("csrf_token", &token), ("priority", &low)],
    );
    assert_eq!(res.status(), Status::SeeOther);
    // The reply still carries the priority the page showed, unchanged: no change.
    let mut form = Multipart::new();
    form.text("csrf_token", &d.token)
        .text("kind", "reply")
        .text("message", "Looking into it.")
        .text("priority", &medium)
        .text("was_priority", &medium);
    let res = form.post(&d.staff, &format!("/staff/tickets/{}/reply", d.id));
    assert_eq!(res.status(), Status::SeeOther);
    assert_eq!(d.field("priority_id"), low);
}

#[test]
fn save_changes_needs_no_text_and_keeps_text_typed() {
    let d = desk();
    let high = d.slug_id("priorities", "high");
    let res = d.post(&[("kind", "save"), ("message", ""), ("priority", &high)]);
    assert_eq!(res.status(), Status::SeeOther);
    assert_eq!(location(&res), format!("/staff/tickets/{}", d.id));
    assert_eq!(d.field("priority_id"), high);
    assert!(d.page().contains("role=\"status\">Ticket updated.</div>"));
    // With text in the box: the fields are saved, the text comes back unsent.
    let low = d.slug_id("priorities", "low");
    let res = d.post(&[
        ("kind", "save"),
        ("message", "Draft answer"),
        ("priority", &low),
    ]);
    assert_eq!(res.status(), Status::Ok);
    let page = res.into_string().unwrap_or_default();
    assert!(page.contains(">Draft answer</textarea>"));
    assert!(page.contains("Changes saved. Your text is not sent yet"));
    assert_eq!(d.field("priority_id"), low);
    assert_eq!(d.app.count("SELECT COUNT(*) FROM messages"), 1);
}

#[test]
fn desk_actions_confirm_themselves_in_spanish_too() {
    let d = desk();
    let token = csrf(&d.staff, "/staff/preferences");
    let _ = post_form(
        &d.staff,
        "/lang",
        &[("csrf_token", &token), ("lang", "es"), ("next", "/staff")],
    );
    let res = d.post(&[("kind", "note"), ("message", "Nota")]);
    assert_eq!(res.status(), Status::SeeOther);
    assert!(
        d.page()
            .contains("role=\"status\">Nota interna añadida.</div>")
    );
    // Opening a ticket for an employee confirms it too.
    let token = csrf(&d.staff, "/staff/tickets/new");
    let mut form = Multipart::new();
    form.text("csrf_token", &token)
        .text("name", "Ana Garcia")
        .text("email", "ana@office.example")
        .text("category", "2")
        .text("priority", "")
        .text("subject", "Monitor flickers")
        .text("message", "Since Monday.");
    let res = form.post(&d.staff, "/staff/tickets/new");
    assert_eq!(res.status(), Status::SeeOther);
    let page = get_ok(&d.staff, &location(&res));
    assert!(
        page.contains("role=\"status\">Ticket abierto.</div>"),
        "{page}"
    );
}

#[test]
fn an_employees_reply_is_confirmed_too() {
    let app = TestApp::new();
    let tid = submit_ticket(&app.client, &TicketInput::default(), &[]);
    let token = csrf(&app.client, &format!("/tickets/{tid}"));
    let mut form = Multipart::new();
    form.text("csrf_token", &token)
        .text("message", "It works again, thanks.");
    let res = form.post(&app.client, &format!("/tickets/{tid}/reply"));
    assert_eq!(res.status(), Status::SeeOther);
    let page = get_ok(&app.client, &format!("/tickets/{tid}"));
    assert!(
        page.contains("role=\"status\">Your reply was sent.</div>"),
        "{page}"
    );
}
