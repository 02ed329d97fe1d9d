//! The staff ticket list as CSV (`/staff/tickets.csv`): parsed back with the `csv` crate, it
//! holds exactly the tickets of the list with the same filters and search, page after page of
//! the list, in the viewer's categories; times carry the viewer's offset; formulas are
//! neutralised; and a list longer than one page of the export's walk comes out whole, each
//! ticket once.

use rocket::http::Status;
use rocket::local::blocking::Client;

use crate::common::*;
use crate::reports_data::{ACCOUNTS, Desk0, HARDWARE};

/// The tracking IDs the list shows for `query`, over all its pages.
fn list_ids(client: &Client, query: &str) -> Vec<String> {
    let mut ids = Vec::new();
    for page in 1.. {
        let body = get_ok(client, &format!("/staff/tickets?{query}&page={page}"));
        ids.extend(
            body.split("class=\"mono\"><a href=\"/staff/tickets/")
                .skip(1)
                .filter_map(|rest| rest.split('>').nth(1))
                .map(|s| s.split('<').next().unwrap_or("").to_string()),
        );
        if !body.contains("rel=\"next\"") {
            break;
        }
    }
    ids.sort();
    ids
}

/// The export for `query`: its header and rows, parsed back.
fn export(client: &Client, query: &str) -> (Vec<String>, Vec<csv::StringRecord>) {
    let res = client.get(format!("/staff/tickets.csv?{query}")).dispatch();
    assert_eq!(res.status(), Status::Ok, "{query}");
    assert_eq!(
        res.content_type().map(|c| c.to_string()).as_deref(),
        Some("text/csv; charset=utf-8")
    );
    assert!(
        res.headers()
            .get_one("Content-Disposition")
            .is_some_and(|d| d.starts_with("attachment; filename=\"tickets-")),
    );
    let body = res.into_bytes().unwrap_or_default();
    let text = String::from_utf8(body.clone()).expect("UTF-8");
    assert!(text.contains("\r\n"), "CRLF line ends");
    let mut reader = csv::Reader::from_reader(body.as_slice());
    let header = reader.headers().unwrap().iter().map(String::from).collect();
    let rows = reader.records().map(|r| r.unwrap()).collect();
    (header, rows)
}

fn export_ids(client: &Client, query: &str) -> Vec<String> {
    let (_, rows) = export(client, query);
    let mut ids: Vec<String> = rows.iter().map(|r| r[0].to_string()).collect();
    ids.sort();
    ids
}

/// A desk with tickets of two categories, some answered, resolved or assigned, about printers
/// or laptops, from two requesters, opened over January 2026 (winter: Madrid is UTC+1).
fn desk_with_tickets(app: &TestApp) -> Desk0<'_> {
    let (desk, _) = crate::reports_data::fixed_desk(app);
    let subjects = [
        "Printer offline",
        "Laptop battery",
        "=1+2 printer formula",
        "@SUM(A1) laptop",
        "-2 printer jam",
        "Printer toner",
    ];
    for i in 0..30 {
        let day = 1 + i % 28;
        let at = format!("2026-01-{day:02}T{:02}:15:00Z", 8 + i % 9);
        let category = if i % 3 == 0 { ACCOUNTS } else { HARDWARE };
        let email = if i % 4 == 0 {
            "bo@office.example"
        } else {
            "ana@office.example"
        };
        let subject = subjects[i % subjects.len()];
        let id = desk.open_about(&at, category, 1 + (i % 3) as i64, email, subject);
        if i % 2 == 0 {
            desk.reply(
                &format!("2026-01-{day:02}T18:00:00Z"),
                &desk.gus.clone(),
                id,
            );
        }
        if i % 5 == 0 {
            desk.resolve(&format!("2026-01-{:02}T12:00:00Z", (day + 1).min(28)), id);
        }
    }
    desk
}

#[test]
fn the_export_holds_exactly_the_filtered_lists_tickets() {
    let app = TestApp::new();
    let desk = desk_with_tickets(&app);
    app.db
        .write_blocking(|c| {
            Ok(c.execute(
                "UPDATE staff SET timezone = 'Europe/Madrid' WHERE email = ?1",
                [ADMIN_EMAIL],
            )?)
        })
        .unwrap();
    login(&app.client, ADMIN_EMAIL, ADMIN_PASSWORD);
    let c = &app.client;
    let queries = [
        "view=all".to_string(),
        "view=open".to_string(),
        "view=unassigned".to_string(),
        format!("view=all&category={HARDWARE}"),
        format!("view=all&category={ACCOUNTS}&priority=2"),
        "view=all&status=5".to_string(),
        "view=all&q=printer".to_string(),
        "view=all&q=printer&sort=relevance".to_string(),
        "view=all&q=bo%40office".to_string(),
        format!("view=all&assignee={}", desk.gus_id),
        "view=all&assignee=0".to_string(),
        "view=all&created_from=2026-01-05&created_to=2026-01-12".to_string(),
        "view=all&resolved_from=2026-01-01&resolved_to=2026-01-31".to_string(),
        "view=mine&sort=subject&dir=asc".to_string(),
        "view=all&q=%21%21%21".to_string(),
    ];
    let mut nonempty = 0;
    for q in &queries {
        let listed = list_ids(c, q);
        let exported = export_ids(c, q);
        assert_eq!(exported, listed, "{q}");
        let mut unique = exported.clone();
        unique.dedup();
        assert_eq!(unique.len(), exported.len(), "each ticket once: {q}");
        nonempty += usize::from(!listed.is_empty());
    }
    assert!(nonempty >= 12, "the queries list tickets");
    assert_eq!(export_ids(c, "view=all").len(), 35);

    // The header, times with the viewer's offset, names as the list shows them, formulas
    // neutralised.
    let (header, rows) = export(c, "view=all&q=formula");
    assert_eq!(
        header,
        [
            "tracking_id",
            "subject",
            "requester_name",
            "requester_email",
            "status",
            "priority",
            "category",
            "assignee",
            "channel",
            "created_at",
            "updated_at",
            "first_response_at",
            "resolved_at",
            "due_at",
            "messages",
            "time_spent_minutes",
            "tags"
        ]
    );
    assert!(!rows.is_empty());
    for r in &rows {
        assert!(r[1].starts_with("'=1+2"), "{:?}", r);
        assert!(
            r[9].ends_with("+01:00") && r[9].starts_with("2026-01-"),
            "{:?}",
            r
        );
    }
    let (_, rows) = export(c, "view=all&q=laptop");
    assert!(rows.iter().any(|r| r[1].starts_with("'@SUM(A1)")));
    let (_, rows) = export(c, "view=all&q=jam");
    assert!(rows.iter().all(|r| r[1].starts_with("'-2 printer")));
    let (_, rows) = export(c, &format!("view=all&category={HARDWARE}"));
    assert!(rows.iter().all(|r| &r[6] == "Hardware"));
    // T1 of the fixed desk: opened 2026-02-27 16:00 UTC, answered and resolved on 2 March.
    let t1 = rows
        .iter()
        .find(|r| &r[9] == "2026-02-27T17:00:00+01:00")
        .expect("T1, in Madrid time");
    assert_eq!(&t1[11], "2026-03-02T11:00:00+01:00");
    assert_eq!(&t1[12], "2026-03-02T13:00:00+01:00");
    assert_eq!(&t1[4], "Resolved");
    assert_eq!(&t1[7], "Gus Agent");
    assert_eq!(&t1[8], "portal");

    // A limited agent's export leaves the other categories out, as their list does.
    let admin = crate::sla::admin_client(&app);
    let path = format!("/admin/staff/{}", desk.gus_id);
    let token = csrf(&admin, &path);
    let res = post_form(
        &admin,
        &path,
        &[
            ("csrf_token", &token),
            ("name", "Gus Agent"),
            ("role", "agent"),
            ("active", "on"),
            ("categories", &ACCOUNTS.to_string()),
        ],
    );
    assert_eq!(res.status(), Status::SeeOther);
    let agent = app.other_client();
    login(&agent, AGENT_EMAIL, AGENT_PASSWORD);
    let mine = export_ids(&agent, "view=all");
    assert_eq!(mine, list_ids(&agent, "view=all"));
    let accounts = app.count(&format!(
        "SELECT COUNT(*) FROM tickets WHERE category_id = {ACCOUNTS}"
    ));
    assert_eq!(mine.len() as i64, accounts);
    let (_, rows) = export(&agent, "view=all");
    assert!(rows.iter().all(|r| &r[6] == "Accounts & access"));
    // Nobody signed in gets no file.
    let anonymous = app.other_client();
    let res = anonymous.get("/staff/tickets.csv").dispatch();
    assert_eq!(res.status(), Status::SeeOther);
}

#[test]
fn a_long_list_comes_out_whole_across_the_walks_pages() {
    let app = TestApp::new();
    let (desk, _) = crate::reports_data::fixed_desk(&app);
    // 2,100 more tickets in one transaction: more than two pages of the export's walk.
    let by = helpdesk::tickets::Actor::requester("Requester");
    desk.run("2026-02-01T09:00:00Z", move |d| {
        for i in 0..2100 {
            let ticket = helpdesk::tickets::NewTicket {
                requester_name: "Many".into(),
                requester_email: format!("many{}@office.example", i % 7),
                category_id: HARDWARE,
                priority_id: 1,
                subject: format!("Ticket number {i}"),
                message: "Again.".into(),
                attachments: Vec::new(),
                channel: helpdesk::tickets::Channel::Portal,
                assignee_id: None,
                lang: helpdesk::i18n::Lang::En,
            };
            d.open(&by, &ticket)?;
        }
        Ok(())
    });
    login(&app.client, ADMIN_EMAIL, ADMIN_PASSWORD);
    let (_, rows) = export(&app.client, "view=all");
    let total = app.count("SELECT COUNT(*) FROM tickets");
    assert_eq!(rows.len() as i64, total);
    let mut ids: Vec<&str> = rows.iter().map(|r| r.get(0).unwrap()).collect();
    ids.sort();
    ids.dedup();
    assert_eq!(ids.len() as i64, total, "each ticket once");
    // Newest first: the last ticket opened leads.
    assert_eq!(&rows[0][1], "Ticket number 2099");
}
