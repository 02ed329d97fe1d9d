//! Time spent (issue 16 item 6): minutes entered with a reply or note, refused next to the field
//! when not whole minutes from 1 to a week (the reply kept), corrected by their author only,
//! totalled on the ticket page, in the ticket CSV, the API's ticket object and the reports' time
//! table per agent and category.

use rocket::http::{Header, Status};

use crate::common::*;
use crate::followers::staff_says;
use helpdesk::auth::api_tokens::Scope;

fn entries(app: &TestApp, id: i64) -> Vec<(i64, i64, i64)> {
    app.db
        .read_blocking(move |c| {
            let mut stmt = c.prepare(
                "SELECT id, staff_id, minutes FROM time_entries WHERE ticket_id = ?1 ORDER BY id",
            )?;
            let rows = stmt
                .query_map([id], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))?
                .collect::<rusqlite::Result<Vec<_>>>()?;
            Ok(rows)
        })
        .unwrap()
}

#[test]
fn minutes_are_validated_kept_per_message_totalled_and_edited_by_their_author_only() {
    let app = TestApp::new();
    let tid = submit_ticket(&app.client, &TicketInput::default(), &[]);
    let id = ticket_id(&app, &tid);
    let agent = app.other_client();
    login(&agent, AGENT_EMAIL, AGENT_PASSWORD);
    let admin = app.other_client();
    login(&admin, ADMIN_EMAIL, ADMIN_PASSWORD);

    for bad in ["0", "abc", "1.5", "10081", "-3"] {
        let token = csrf(&agent, &format!("/staff/tickets/{id}"));
        let mut form = Multipart::new();
        form.text("csrf_token", &token)
            .text("message", "Replaced the toner cartridge.")
            .text("kind", "reply")
            .text("minutes", bad);
        let res = form.post(&agent, &format!("/staff/tickets/{id}/reply"));
        assert_eq!(res.status(), Status::UnprocessableEntity, "{bad}");
        let page = res.into_string().unwrap();
        assert!(
            page.contains("id=\"minutes-error\""),
            "error next to the field for {bad}"
        );
        assert!(page.contains("Replaced the toner cartridge."), "reply kept");
        assert!(page.contains(&format!("value=\"{bad}\"")), "value kept");
    }
    assert_eq!(
        app.count("SELECT COUNT(*) FROM messages WHERE kind = 'staff'"),
        0
    );
    assert!(entries(&app, id).is_empty());

    assert_eq!(
        staff_says(
            &agent,
            id,
            "reply",
            "Replaced the toner.",
            &[("minutes", "25")]
        ),
        Status::SeeOther
    );
    assert_eq!(
        staff_says(
            &admin,
            id,
            "note",
            "Ordered more toner.",
            &[("minutes", "10")]
        ),
        Status::SeeOther
    );
    assert_eq!(
        staff_says(&agent, id, "note", "No time entered.", &[("minutes", "")]),
        Status::SeeOther
    );
    let list = entries(&app, id);
    assert_eq!(list.len(), 2);
    assert_eq!(
        app.count(&format!("SELECT COUNT(*) FROM time_entries e JOIN messages m ON m.id = e.message_id WHERE e.ticket_id = {id}")),
        2,
        "each entry belongs to its message"
    );
    let page = get_ok(&agent, &format!("/staff/tickets/{id}"));
    assert!(
        page.contains("<strong id=\"time-total\">35</strong>"),
        "total on the page"
    );
    let (gus_entry, alice_entry) = (list[0].0, list[1].0);
    assert!(
        page.contains(&format!("/staff/tickets/{id}/time/{gus_entry}")),
        "his edit form"
    );
    assert!(
        !page.contains(&format!("/staff/tickets/{id}/time/{alice_entry}")),
        "not hers"
    );

    // Only the author corrects an entry; a bad value is refused next to it.
    let token = csrf_in(&page);
    let res = post_form(
        &agent,
        &format!("/staff/tickets/{id}/time/{alice_entry}"),
        &[("csrf_token", &token), ("minutes", "1")],
    );
    assert_eq!(res.status(), Status::Forbidden);
    let res = post_form(
        &agent,
        &format!("/staff/tickets/{id}/time/{gus_entry}"),
        &[("csrf_token", &token), ("minutes", "99999")],
    );
    assert_eq!(res.status(), Status::UnprocessableEntity);
    assert!(
        res.into_string()
            .unwrap()
            .contains("id=\"time_edit-error\"")
    );
    let res = post_form(
        &agent,
        &format!("/staff/tickets/{id}/time/{gus_entry}"),
        &[("csrf_token", &token), ("minutes", "40")],
    );
    assert_eq!(res.status(), Status::SeeOther);
    assert_eq!(
        entries(&app, id).iter().map(|e| e.2).collect::<Vec<_>>(),
        vec![40, 10]
    );
    let page = get_ok(&agent, &format!("/staff/tickets/{id}"));
    assert!(page.contains("<strong id=\"time-total\">50</strong>"));

    // The ticket CSV's column.
    let csv = get_ok(&agent, "/staff/tickets.csv");
    let mut lines = csv.lines();
    let header: Vec<&str> = lines
        .next()
        .unwrap()
        .trim_start_matches('\u{feff}')
        .split(',')
        .collect();
    let col = header
        .iter()
        .position(|h| *h == "time_spent_minutes")
        .expect("column");
    let row: Vec<&str> = lines.next().unwrap().split(',').collect();
    assert_eq!(row[col], "50", "{csv}");

    // The API's ticket object.
    let (_, token) = crate::api_openapi::token(&app, ADMIN_EMAIL, Scope::Read);
    let res = app
        .client
        .get(format!("/api/v1/tickets/{tid}"))
        .header(Header::new("Authorization", format!("Bearer {token}")))
        .dispatch();
    let body: serde_json::Value = serde_json::from_str(&res.into_string().unwrap()).unwrap();
    assert_eq!(body["time_spent_minutes"], 50, "{body}");

    // The reports' time table: per agent and per category, in the report's range.
    let csv = get_ok(&admin, "/staff/reports.csv?table=time&range=last_30_days");
    let rows: Vec<&str> = csv.lines().collect();
    assert_eq!(
        rows[0].trim_start_matches('\u{feff}'),
        "by,id,name,minutes,entries,tickets",
        "{csv}"
    );
    assert!(rows.contains(&"agent,2,Gus Agent,40,1,1"), "{csv}");
    assert!(rows.contains(&"agent,1,Alice Admin,10,1,1"), "{csv}");
    assert!(
        rows.iter()
            .any(|r| r.starts_with("category,2,") && r.ends_with(",50,2,1")),
        "{csv}"
    );
    // Another agent's figures stay refused, as in every other table.
    let res = agent
        .get("/staff/reports.csv?table=time&agent=1")
        .dispatch();
    assert_eq!(res.status(), Status::UnprocessableEntity);
    // A range long ago has none.
    let csv = get_ok(
        &admin,
        "/staff/reports.csv?table=time&from=2020-01-01&to=2020-01-31",
    );
    assert_eq!(csv.lines().count(), 1, "{csv}");
}
