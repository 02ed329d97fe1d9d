//! Bulk actions on the staff list and tags (issue 16 items 4 and 5), through the real app.

use rocket::http::Status;
use serde_json::Value;

use crate::common::*;

/// `n` tickets from the portal; their ids.
fn tickets(app: &TestApp, n: usize) -> Vec<i64> {
    let client = app.other_client();
    (0..n)
        .map(|i| {
            let subject = format!("Laptop {i} will not boot");
            let input = TicketInput {
                subject: &subject,
                ..TicketInput::default()
            };
            ticket_id(app, &submit_ticket(&client, &input, &[]))
        })
        .collect()
}

fn agent_id(app: &TestApp) -> i64 {
    app.count(&format!(
        "SELECT id FROM staff WHERE email = '{AGENT_EMAIL}'"
    ))
}

fn resolved(app: &TestApp) -> String {
    app.count("SELECT id FROM statuses WHERE slug = 'resolved'")
        .to_string()
}

fn bulk<'c>(
    app: &'c TestApp,
    fields: &[(&str, &str)],
) -> rocket::local::blocking::LocalResponse<'c> {
    let token = csrf(&app.client, "/staff/tickets?view=all");
    let mut all = vec![("csrf_token", token.as_str())];
    all.extend_from_slice(fields);
    post_form(&app.client, "/staff/tickets/bulk", &all)
}

#[test]
fn twenty_tickets_ticked_in_the_list_are_assigned_and_resolved_in_one_post() {
    let app = TestApp::new();
    let ids = tickets(&app, 20);
    login(&app.client, ADMIN_EMAIL, ADMIN_PASSWORD);
    // The list is one bulk form: a checkbox per ticket and the four selects.
    let list = get_ok(&app.client, "/staff/tickets?view=all");
    assert!(list.contains("action=\"/staff/tickets/bulk\""), "{list}");
    assert!(list.contains(&format!("name=\"ids\" value=\"{}\"", ids[0])));
    for select in ["status", "priority", "category", "assignee"] {
        assert!(
            list.contains(&format!("<select id=\"bulk-{select}\" name=\"{select}\"")),
            "{select}"
        );
    }
    let events_before = app.count("SELECT COUNT(*) FROM ticket_events");
    let (agent, status) = (agent_id(&app).to_string(), resolved(&app));
    let id_strings: Vec<String> = ids.iter().map(|i| i.to_string()).collect();
    let mut fields: Vec<(&str, &str)> = id_strings.iter().map(|i| ("ids", i.as_str())).collect();
    fields.extend([
        ("assignee", agent.as_str()),
        ("status", status.as_str()),
        ("priority", ""),
        ("category", ""),
        ("filter", "view=all"),
    ]);
    let res = bulk(&app, &fields);
    assert_eq!(res.status(), Status::SeeOther);
    assert_eq!(location(&res), "/staff/tickets?view=all");
    let page = get_ok(&app.client, "/staff/tickets?view=all");
    assert!(page.contains("20 tickets changed."), "{page}");
    for id in &ids {
        let one = |sql: &str| app.count(&sql.replace('?', &id.to_string()));
        assert_eq!(
            one("SELECT assignee_id FROM tickets WHERE id = ?"),
            agent_id(&app)
        );
        assert_eq!(
            one("SELECT status_id FROM tickets WHERE id = ?").to_string(),
            status
        );
        // One history entry per change of each ticket, by the admin.
        assert_eq!(
            one(
                "SELECT COUNT(*) FROM ticket_events WHERE ticket_id = ? AND field = 'assignee' AND actor_name = 'Alice Admin'"
            ),
            1
        );
        assert_eq!(
            one(
                "SELECT COUNT(*) FROM ticket_events WHERE ticket_id = ? AND field = 'status' AND actor_name = 'Alice Admin'"
            ),
            1
        );
    }
    assert_eq!(
        app.count("SELECT COUNT(*) FROM ticket_events"),
        events_before + 40
    );
}

#[test]
fn a_bulk_request_naming_a_missing_ticket_reports_it_and_changes_the_others() {
    let app = TestApp::new();
    let ids = tickets(&app, 3);
    login(&app.client, ADMIN_EMAIL, ADMIN_PASSWORD);
    let high = app
        .count("SELECT id FROM priorities WHERE slug = 'high'")
        .to_string();
    let (a, b) = (ids[0].to_string(), ids[1].to_string());
    let res = bulk(
        &app,
        &[
            ("ids", &a),
            ("ids", "999999"),
            ("ids", &b),
            ("priority", &high),
        ],
    );
    assert_eq!(res.status(), Status::Ok);
    let page = res.into_string().unwrap_or_default();
    assert!(page.contains("2 tickets changed."), "{page}");
    assert!(
        page.contains("1 tickets could not be changed") && page.contains("#999999"),
        "{page}"
    );
    assert!(page.contains("no longer exists"), "{page}");
    assert_eq!(
        app.count(&format!(
            "SELECT COUNT(*) FROM tickets WHERE priority_id = {high}"
        )),
        2
    );

    // A bad choice changes nothing, and says so.
    let before = app.count("SELECT COUNT(*) FROM ticket_events");
    for (fields, says) in [
        (
            vec![("ids", a.as_str()), ("status", "12345")],
            "does not exist",
        ),
        (vec![("ids", a.as_str())], "Choose what to change"),
        (vec![("status", "1")], "Tick at least one ticket"),
        (
            vec![("ids", a.as_str()), ("add_tag", "a,b")],
            "cannot contain commas",
        ),
        (
            vec![("ids", a.as_str()), ("merge_into", "ZZZ-ZZZ-ZZZZ")],
            "no ticket you can work",
        ),
    ] {
        let res = bulk(&app, &fields);
        assert_eq!(res.status(), Status::UnprocessableEntity, "{says}");
        assert!(
            res.into_string().unwrap_or_default().contains(says),
            "{says}"
        );
    }
    assert_eq!(app.count("SELECT COUNT(*) FROM ticket_events"), before);
}

#[test]
fn all_tickets_matching_the_filter_change_in_the_background_with_progress() {
    let app = TestApp::new();
    let ids = tickets(&app, 12);
    login(&app.client, AGENT_EMAIL, AGENT_PASSWORD);
    // Two of them tagged, and the filter is that tag: only those two change.
    let token = csrf(&app.client, &format!("/staff/tickets/{}", ids[0]));
    for id in [ids[0], ids[5]] {
        post_form(
            &app.client,
            &format!("/staff/tickets/{id}/tags"),
            &[("csrf_token", &token), ("tag", "Broken Screen")],
        );
    }
    let list = get_ok(&app.client, "/staff/tickets?view=all&tag=broken+screen");
    assert!(
        list.contains("All 2 tickets matching this filter"),
        "{list}"
    );
    let status = resolved(&app);
    let res = bulk(
        &app,
        &[
            ("all_matching", "true"),
            ("filter", "view=all&tag=broken%20screen"),
            ("status", &status),
        ],
    );
    assert_eq!(res.status(), Status::SeeOther);
    let page_url = location(&res);
    assert!(page_url.starts_with("/staff/bulk/"), "{page_url}");
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(30);
    let page = loop {
        let page = get_ok(&app.client, &page_url);
        if page.contains("Finished") {
            break page;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "the job finished: {page}"
        );
        std::thread::sleep(std::time::Duration::from_millis(50));
    };
    assert!(
        page.contains("2 of 2 tickets done") && page.contains("Finished: 2 tickets changed."),
        "{page}"
    );
    assert_eq!(
        app.count(&format!(
            "SELECT COUNT(*) FROM tickets WHERE status_id = {status}"
        )),
        2
    );
    // Another member does not see the job.
    let other = app.other_client();
    login(&other, ADMIN_EMAIL, ADMIN_PASSWORD);
    assert_eq!(
        other.get(&page_url).dispatch().status(),
        Status::Ok,
        "admins see every job"
    );
}

#[test]
fn a_background_job_lists_the_tickets_it_could_not_change() {
    let app = TestApp::new();
    let ids = tickets(&app, 3);
    let agent = agent_id(&app);
    // Queued by hand: one ticket that no longer exists among real ones.
    let action = helpdesk::tickets::bulk::BulkAction {
        add_tag: Some("vpn".into()),
        ..Default::default()
    };
    let mut queued = ids.clone();
    queued.push(424242);
    let job = app
        .db
        .write_blocking(move |c| helpdesk::tickets::bulk::create_job(c, agent, &action, &queued, 0))
        .unwrap();
    helpdesk::jobs::wake::now(helpdesk::jobs::BULK_ACTIONS);
    login(&app.client, AGENT_EMAIL, AGENT_PASSWORD);
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(30);
    let page = loop {
        let page = get_ok(&app.client, &format!("/staff/bulk/{job}"));
        if page.contains("Finished") {
            break page;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "the job finished: {page}"
        );
        std::thread::sleep(std::time::Duration::from_millis(50));
    };
    assert!(
        page.contains("4 of 4 tickets done") && page.contains("Finished: 3 tickets changed."),
        "{page}"
    );
    assert!(
        page.contains("#424242") && page.contains("no longer exists"),
        "{page}"
    );
    assert_eq!(app.count("SELECT COUNT(*) FROM ticket_tags"), 3);
}

#[test]
fn tags_are_added_filtered_searched_exported_renamed_and_deleted() {
    let app = TestApp::new();
    let ids = tickets(&app, 3);
    login(&app.client, ADMIN_EMAIL, ADMIN_PASSWORD);
    let (a, b) = (ids[0], ids[1]);
    let token = csrf(&app.client, &format!("/staff/tickets/{a}"));
    let res = post_form(
        &app.client,
        &format!("/staff/tickets/{a}/tags"),
        &[("csrf_token", &token), ("tag", "  VPN , Printer ")],
    );
    assert_eq!(res.status(), Status::SeeOther);
    post_form(
        &app.client,
        &format!("/staff/tickets/{b}/tags"),
        &[("csrf_token", &token), ("tag", "vpn")],
    );
    let page = get_ok(&app.client, &format!("/staff/tickets/{a}"));
    assert!(
        page.contains("tag=vpn") && page.contains("tag=printer"),
        "{page}"
    );
    assert!(page.contains("<datalist id=\"tag-names\">"), "autocomplete");
    let names: Vec<String> =
        serde_json::from_str(&get_ok(&app.client, "/staff/tags.json?q=v")).unwrap();
    assert_eq!(names, ["vpn"]);
    assert_eq!(
        app.count(&format!(
            "SELECT COUNT(*) FROM ticket_events WHERE ticket_id = {a} AND field = 'tag_added'"
        )),
        2
    );
    // A bad tag: a message, nothing added.
    let long = "x".repeat(41);
    post_form(
        &app.client,
        &format!("/staff/tickets/{a}/tags"),
        &[("csrf_token", &token), ("tag", &long)],
    );
    assert!(get_ok(&app.client, &format!("/staff/tickets/{a}")).contains("at most 40 characters"));
    assert_eq!(app.count("SELECT COUNT(*) FROM tags"), 2);

    // The list's tag filter and the tag: search.
    let tracking = |id: i64| {
        app.db
            .read_blocking(move |c| {
                Ok(
                    c.query_row("SELECT tracking_id FROM tickets WHERE id = ?1", [id], |r| {
                        r.get::<_, String>(0)
                    })?,
                )
            })
            .unwrap()
    };
    let filtered = get_ok(&app.client, "/staff/tickets?view=all&tag=VPN");
    assert!(filtered.contains(&tracking(a)) && filtered.contains(&tracking(b)));
    assert!(!filtered.contains(&tracking(ids[2])));
    let searched = get_ok(&app.client, "/staff/tickets?view=all&q=tag%3Aprinter");
    assert!(
        searched.contains(&tracking(a)) && !searched.contains(&tracking(b)),
        "{searched}"
    );

    // Bulk: add to all three, remove from two.
    let id_strings: Vec<String> = ids.iter().map(|i| i.to_string()).collect();
    let mut fields: Vec<(&str, &str)> = id_strings.iter().map(|i| ("ids", i.as_str())).collect();
    fields.push(("add_tag", "Floor 2"));
    let btoken = csrf(&app.client, "/staff/tickets?view=all");
    let mut all = vec![("csrf_token", btoken.as_str())];
    all.extend(fields);
    assert_eq!(
        post_form(&app.client, "/staff/tickets/bulk", &all).status(),
        Status::SeeOther
    );
    assert_eq!(app.count("SELECT COUNT(*) FROM ticket_tags tt JOIN tags g ON g.id = tt.tag_id WHERE g.name = 'floor 2'"), 3);
    let (sa, sb) = (a.to_string(), b.to_string());
    post_form(
        &app.client,
        "/staff/tickets/bulk",
        &[
            ("csrf_token", &btoken),
            ("ids", &sa),
            ("ids", &sb),
            ("remove_tag", "floor 2"),
        ],
    );
    assert_eq!(app.count("SELECT COUNT(*) FROM ticket_tags tt JOIN tags g ON g.id = tt.tag_id WHERE g.name = 'floor 2'"), 1);

    // Shown in the CSV export and the API.
    let csv = get_ok(&app.client, "/staff/tickets.csv?view=all");
    assert!(csv.lines().next().unwrap().ends_with(",tags"), "{csv}");
    assert!(
        csv.contains("\"printer, vpn\"") || csv.contains("printer, vpn"),
        "{csv}"
    );
    let (_, token) =
        crate::api_openapi::token(&app, ADMIN_EMAIL, helpdesk::auth::api_tokens::Scope::Read);
    let res = app
        .client
        .get(format!("/api/v1/tickets/{}", tracking(a)))
        .header(rocket::http::Header::new(
            "Authorization",
            format!("Bearer {token}"),
        ))
        .dispatch();
    let body: Value = serde_json::from_str(&res.into_string().unwrap_or_default()).unwrap();
    assert_eq!(
        body["tags"],
        serde_json::json!(["printer", "vpn"]),
        "{body}"
    );

    // Admin: rename (into an existing name merges the two), then delete.
    let admin = get_ok(&app.client, "/admin/tags");
    assert!(
        admin.contains("printer") && admin.contains("vpn"),
        "{admin}"
    );
    let tag_id = |name: &str| app.count(&format!("SELECT id FROM tags WHERE name = '{name}'"));
    let atoken = csrf(&app.client, "/admin/tags");
    let res = post_form(
        &app.client,
        &format!("/admin/tags/{}/rename", tag_id("printer")),
        &[("csrf_token", &atoken), ("name", "Printers")],
    );
    assert_eq!(res.status(), Status::SeeOther);
    assert!(get_ok(&app.client, &format!("/staff/tickets/{a}")).contains("tag=printers"));
    post_form(
        &app.client,
        &format!("/admin/tags/{}/rename", tag_id("printers")),
        &[("csrf_token", &atoken), ("name", "vpn")],
    );
    assert_eq!(
        app.count("SELECT COUNT(*) FROM tags WHERE name IN ('printer', 'printers')"),
        0
    );
    assert_eq!(
        app.count(&format!(
            "SELECT COUNT(*) FROM ticket_tags WHERE ticket_id = {a}"
        )),
        1
    );
    let res = post_form(
        &app.client,
        &format!("/admin/tags/{}/rename", tag_id("vpn")),
        &[("csrf_token", &atoken), ("name", " ")],
    );
    assert_eq!(res.status(), Status::UnprocessableEntity);
    assert!(
        res.into_string()
            .unwrap_or_default()
            .contains("Type a tag.")
    );
    let res = post_form(
        &app.client,
        &format!("/admin/tags/{}/delete", tag_id("vpn")),
        &[("csrf_token", &atoken)],
    );
    assert_eq!(res.status(), Status::SeeOther);
    assert_eq!(app.count("SELECT COUNT(*) FROM ticket_tags tt JOIN tags g ON g.id = tt.tag_id WHERE g.name = 'vpn'"), 0);
    assert!(!get_ok(&app.client, &format!("/staff/tickets/{a}")).contains("tag=vpn"));
    assert!(
        app.count("SELECT COUNT(*) FROM audit_log WHERE action IN ('tag_rename', 'tag_delete')")
            >= 3
    );
}

#[test]
fn the_tools_speak_spanish() {
    let app = TestApp::new();
    let ids = tickets(&app, 1);
    login(&app.client, AGENT_EMAIL, AGENT_PASSWORD);
    let page = app
        .client
        .get(format!("/staff/tickets/{}", ids[0]))
        .header(accept_language("es"))
        .dispatch()
        .into_string()
        .unwrap_or_default();
    for text in [
        "Etiquetas",
        "Tickets relacionados",
        "Unificar este ticket en",
    ] {
        assert!(page.contains(text), "{text}");
    }
    let list = app
        .client
        .get("/staff/tickets?view=all")
        .header(accept_language("es"))
        .dispatch()
        .into_string()
        .unwrap_or_default();
    assert!(
        list.contains("Con los tickets marcados") && list.contains("Dejar como está"),
        "{list}"
    );
}
