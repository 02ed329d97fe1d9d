//! Similar solved tickets on the staff ticket page: the most similar resolved tickets with the
//! staff reply that resolved each, same language first, only tickets the agent may see, and
//! "Use this reply" filling the reply box.

use crate::common::multipart::Multipart;
use crate::common::*;
use rocket::http::Status;
use rocket::local::blocking::Client;

const GENERAL: &str = "1";
const HARDWARE: &str = "2";

fn app() -> TestApp {
    TestApp::with_config(|c| c.smtp_url = "smtp://127.0.0.1:9".to_string())
}

/// A desk with an admin signed in on `staff`.
struct Desk {
    app: TestApp,
    staff: Client,
}

impl Desk {
    fn new() -> Desk {
        let app = app();
        let staff = app.other_client();
        login(&staff, ADMIN_EMAIL, ADMIN_PASSWORD);
        Desk { app, staff }
    }

    /// A ticket from `requester` (a portal client, its language as it chose).
    fn open(&self, requester: &Client, category: &str, subject: &str, message: &str) -> i64 {
        let tid = submit_ticket(
            requester,
            &TicketInput {
                category,
                subject,
                message,
                ..TicketInput::default()
            },
            &[],
        );
        ticket_id(&self.app, &tid)
    }

    /// The admin answers ticket `id` with `kind` ("reply", "resolve", "note").
    fn answer(&self, id: i64, kind: &str, text: &str) {
        let token = csrf(&self.staff, &format!("/staff/tickets/{id}"));
        let mut form = Multipart::new();
        form.text("csrf_token", &token)
            .text("kind", kind)
            .text("message", text);
        let res = form.post(&self.staff, &format!("/staff/tickets/{id}/reply"));
        assert_eq!(res.status(), Status::SeeOther, "{kind} on ticket {id}");
    }

    /// A ticket solved with `reply` after an earlier, unhelpful one.
    fn solved(&self, category: &str, subject: &str, message: &str, reply: &str) -> i64 {
        let id = self.open(&self.app.client, category, subject, message);
        self.answer(id, "reply", "Looking into it.");
        self.answer(id, "resolve", reply);
        id
    }

    /// The list as the ticket page's script fetches it, for `client`.
    fn similar(&self, client: &Client, id: i64) -> String {
        get_ok(client, &format!("/staff/tickets/{id}/similar?part=1"))
    }

    fn message_id(&self, body: &str) -> i64 {
        let body = body.replace('\'', "''");
        self.app
            .count(&format!("SELECT id FROM messages WHERE body = '{body}'"))
    }
}

const PRINTER_FIX: &str = "I opened tray 2, took out the torn sheet and cleaned the rollers.";
const VPN_FIX: &str = "I updated your VPN client; it stays connected now.";

#[test]
fn a_printer_jam_shows_the_solved_printer_ticket_and_its_reply_not_the_vpn_one() {
    let d = Desk::new();
    let printer = d.solved(
        HARDWARE,
        "Printer jams on floor 3",
        "The printer keeps jamming: paper stuck in the tray.",
        PRINTER_FIX,
    );
    d.solved(
        GENERAL,
        "VPN drops at home",
        "The VPN disconnects every few minutes when I work from home.",
        VPN_FIX,
    );
    // Like the new one, but not solved: not offered.
    let unsolved = d.open(
        &d.app.client,
        HARDWARE,
        "Paper jam in the printer again",
        "Another paper jam, the printer on floor 4 this time.",
    );
    let current = d.open(
        &d.app.client,
        HARDWARE,
        "Printer paper jam floor 2",
        "The printer on floor 2 has a paper jam.",
    );

    let list = d.similar(&d.staff, current);
    assert!(list.contains("Printer jams on floor 3"), "{list}");
    assert!(list.contains(PRINTER_FIX), "the resolving reply: {list}");
    assert!(
        !list.contains("Looking into it."),
        "the reply that resolved it, not an earlier one: {list}"
    );
    assert!(!list.contains("VPN drops at home"), "{list}");
    assert!(
        !list.contains(&format!("/staff/tickets/{unsolved}\"")),
        "an unresolved ticket is not offered: {list}"
    );
    assert!(list.contains(&format!("/staff/tickets/{printer}\"")));
    let reuse = format!(
        "/staff/tickets/{current}?reuse={}#message",
        d.message_id(PRINTER_FIX)
    );
    assert!(list.contains(&reuse), "{list}");

    // Without JavaScript: the ticket page links to the same list as a page.
    let page = get_ok(&d.staff, &format!("/staff/tickets/{current}"));
    assert!(page.contains(&format!("href=\"/staff/tickets/{current}/similar\"")));
    let alone = get_ok(&d.staff, &format!("/staff/tickets/{current}/similar"));
    assert!(alone.contains("<html") && alone.contains(PRINTER_FIX));

    // Once the open one is solved too, the printer tickets offer each other.
    d.answer(unsolved, "resolve", "Cleared the jam.");
    let list = d.similar(&d.staff, current);
    assert!(
        list.contains(&format!("/staff/tickets/{unsolved}\"")),
        "{list}"
    );
    // A ticket with nothing like it solved says so.
    let lonely = d.open(
        &d.app.client,
        GENERAL,
        "Quarterly zeppelin audit",
        "Zeppelin hangar keys.",
    );
    assert!(
        d.similar(&d.staff, lonely)
            .contains("No similar solved tickets.")
    );
}

#[test]
fn reuse_fills_the_reply_box_and_only_with_a_staff_reply() {
    let d = Desk::new();
    d.solved(
        HARDWARE,
        "Printer jams on floor 3",
        "Paper stuck in the printer tray.",
        PRINTER_FIX,
    );
    let current = d.open(
        &d.app.client,
        HARDWARE,
        "Printer paper jam floor 2",
        "The printer has a paper jam.",
    );
    let mid = d.message_id(PRINTER_FIX);
    let page = get_ok(&d.staff, &format!("/staff/tickets/{current}?reuse={mid}"));
    let textarea = page
        .split("<textarea id=\"message\"")
        .nth(1)
        .and_then(|rest| rest.split("</textarea>").next())
        .expect("the reply box");
    assert!(textarea.ends_with(PRINTER_FIX), "{textarea}");
    // Nothing was sent.
    assert_eq!(
        d.app.count(&format!(
            "SELECT COUNT(*) FROM messages WHERE ticket_id = {current}"
        )),
        1
    );

    // An internal note or the requester's message is not a reply to reuse; neither is a
    // message that does not exist: the page says so next to the box, and fills in nothing.
    d.answer(current, "note", "Secret internal remark.");
    for bad in [
        d.message_id("Secret internal remark."),
        d.message_id("The printer has a paper jam."),
        999_999,
    ] {
        let res = d
            .staff
            .get(format!("/staff/tickets/{current}?reuse={bad}"))
            .dispatch();
        assert_eq!(res.status(), Status::UnprocessableEntity);
        let body = res.into_string().unwrap_or_default();
        assert!(body.contains("can no longer be reused"), "{body}");
        assert!(!body.contains(">Secret internal remark.</textarea>"));
    }
    // Something that is not a message id is no reply at all: the plain page.
    let res = d
        .staff
        .get(format!("/staff/tickets/{current}?reuse=abc"))
        .dispatch();
    assert_eq!(res.status(), Status::Ok);
}

#[test]
fn a_spanish_ticket_gets_spanish_solved_tickets_first() {
    let d = Desk::new();
    let spanish = d.app.other_client();
    let token = csrf(&spanish, "/");
    post_form(
        &spanish,
        "/lang",
        &[("csrf_token", &token), ("lang", "es"), ("next", "/")],
    );
    // The English one is the closer match by words alone.
    d.solved(
        GENERAL,
        "Excel macros crash",
        "Excel macros crash every time I run the Excel macros.",
        "I turned off the broken add-in; the macros run again.",
    );
    let id = d.open(
        &spanish,
        GENERAL,
        "Excel se cierra",
        "Excel se cierra al usar macros.",
    );
    d.answer(
        id,
        "resolve",
        "Desactivé el complemento; las macros funcionan.",
    );
    let current = d.open(
        &spanish,
        GENERAL,
        "Las macros de Excel fallan",
        "Excel falla con las macros.",
    );
    assert_eq!(
        d.app.count(&format!(
            "SELECT COUNT(*) FROM tickets WHERE lang = 'es' AND id = {current}"
        )),
        1,
        "the ticket is in Spanish"
    );
    let list = d.similar(&d.staff, current);
    let es = list.find("Excel se cierra").expect("the Spanish one");
    let en = list
        .find("Excel macros crash")
        .expect("the English one, after");
    assert!(es < en, "{list}");
    assert!(list.contains("Desactivé el complemento"));
}

#[test]
fn an_agent_limited_to_some_categories_sees_only_their_solved_tickets() {
    let d = Desk::new();
    let agent_id = d.app.count(&format!(
        "SELECT id FROM staff WHERE email = '{AGENT_EMAIL}'"
    ));
    let path = format!("/admin/staff/{agent_id}");
    let token = csrf(&d.staff, &path);
    let res = post_form(
        &d.staff,
        &path,
        &[
            ("csrf_token", &token),
            ("name", "Gus Agent"),
            ("role", "agent"),
            ("active", "on"),
            ("categories", GENERAL),
        ],
    );
    assert_eq!(res.status(), Status::SeeOther, "access saved");
    d.solved(
        GENERAL,
        "Printer in reception jams",
        "The reception printer has a paper jam.",
        "Cleared the reception printer.",
    );
    let hidden = d.solved(
        HARDWARE,
        "Printer jams on floor 3",
        "The printer has a paper jam.",
        PRINTER_FIX,
    );
    let current = d.open(
        &d.app.client,
        GENERAL,
        "Printer paper jam floor 2",
        "The printer on floor 2 has a paper jam.",
    );
    let agent = d.app.other_client();
    login(&agent, AGENT_EMAIL, AGENT_PASSWORD);
    let list = d.similar(&agent, current);
    assert!(list.contains("Printer in reception jams"), "{list}");
    assert!(!list.contains("Printer jams on floor 3"), "{list}");
    assert!(!list.contains(PRINTER_FIX));
    // The admin sees both.
    let all = d.similar(&d.staff, current);
    assert!(all.contains("Printer jams on floor 3") && all.contains("Printer in reception jams"));
    // The other category's reply cannot be pulled in by its id, nor its ticket's list read.
    let res = agent
        .get(format!(
            "/staff/tickets/{current}?reuse={}",
            d.message_id(PRINTER_FIX)
        ))
        .dispatch();
    assert_eq!(res.status(), Status::UnprocessableEntity);
    assert!(!res.into_string().unwrap_or_default().contains(PRINTER_FIX));
    let res = agent
        .get(format!("/staff/tickets/{hidden}/similar?part=1"))
        .dispatch();
    assert_eq!(res.status(), Status::NotFound);
}
