//! Auto-assignment: round robin and least open over a category's agents, skipping those who
//! are away; the history names it; assigning by hand wins; bad input is refused.

use crate::common::*;
use helpdesk::auth::{Role, users};
use rocket::http::Status;
use rocket::local::blocking::Client;

/// Three more agents (Ana, Ben, Cai); their ids.
fn three_agents(app: &TestApp) -> [i64; 3] {
    app.db
        .write_blocking(|c| {
            let h = users::hash_password("agent-password-3", 4)?;
            Ok([
                users::create(c, "ana@desk.example", "Ana", Role::Agent, &h)?,
                users::create(c, "ben@desk.example", "Ben", Role::Agent, &h)?,
                users::create(c, "cai@desk.example", "Cai", Role::Agent, &h)?,
            ])
        })
        .expect("agents")
}

/// The admin (on `admin`) gives category 1 these agents and assignment mode.
fn set_category<'c>(
    admin: &'c Client,
    agents: &[i64],
    mode: &str,
) -> rocket::local::blocking::LocalResponse<'c> {
    let token = csrf(admin, "/admin/categories/1");
    let ids: Vec<String> = agents.iter().map(|a| a.to_string()).collect();
    let mut fields = vec![
        ("csrf_token", token.as_str()),
        ("name", "General"),
        ("default_priority", "2"),
        ("active", "on"),
        ("assignment", mode),
    ];
    for id in &ids {
        fields.push(("agents", id));
    }
    post_form(admin, "/admin/categories/1", &fields)
}

fn set_away(app: &TestApp, email: &str, until: &str) -> Status {
    let client = app.other_client();
    login(&client, email, "agent-password-3");
    let token = csrf(&client, "/staff/preferences");
    post_form(
        &client,
        "/staff/preferences",
        &[
            ("csrf_token", &token),
            ("lang", "en"),
            ("away", "true"),
            ("away_until", until),
        ],
    )
    .status()
}

fn new_ticket(app: &TestApp, subject: &str) -> Option<i64> {
    let tid = submit_ticket(
        &app.client,
        &TicketInput {
            category: "1",
            subject,
            ..TicketInput::default()
        },
        &[],
    );
    let id = ticket_id(app, &tid);
    let assignee = app.count(&format!(
        "SELECT COALESCE(assignee_id, 0) FROM tickets WHERE id = {id}"
    ));
    (assignee != 0).then_some(assignee)
}

#[test]
fn round_robin_takes_turns_and_passes_over_an_agent_who_is_away() {
    let app = TestApp::new();
    let [ana, ben, cai] = three_agents(&app);
    let admin = app.other_client();
    login(&admin, ADMIN_EMAIL, ADMIN_PASSWORD);
    assert_eq!(
        set_category(&admin, &[ana, ben, cai], "round_robin").status(),
        Status::SeeOther
    );
    assert_eq!(set_away(&app, "cai@desk.example", ""), Status::SeeOther);
    let got: Vec<Option<i64>> = (0..4)
        .map(|i| new_ticket(&app, &format!("Monitor {i} is blank")))
        .collect();
    assert_eq!(got, vec![Some(ana), Some(ben), Some(ana), Some(ben)]);
    // The history says who assigned it.
    let id = app.count("SELECT MAX(id) FROM tickets");
    let page = get_ok(&admin, &format!("/staff/tickets/{id}"));
    assert!(page.contains("Auto-assignment"), "{page}");
    // The edit page shows the mode chosen.
    let page = get_ok(&admin, "/admin/categories/1");
    assert!(
        page.contains("<option value=\"round_robin\" selected"),
        "{page}"
    );
    // Back from being away: Cai is in the turn again.
    let cai_client = app.other_client();
    login(&cai_client, "cai@desk.example", "agent-password-3");
    let token = csrf(&cai_client, "/staff/preferences");
    let res = post_form(
        &cai_client,
        "/staff/preferences",
        &[("csrf_token", &token), ("lang", "en")],
    );
    assert_eq!(res.status(), Status::SeeOther);
    let got: Vec<Option<i64>> = (0..3)
        .map(|i| new_ticket(&app, &format!("Mouse {i} is dead")))
        .collect();
    // Ben had the last one: the turn goes on to Cai.
    assert_eq!(got, vec![Some(cai), Some(ana), Some(ben)]);
}

#[test]
fn least_open_gives_the_ticket_to_the_agent_with_fewest_open_tickets() {
    let app = TestApp::new();
    let [ana, ben, cai] = three_agents(&app);
    let admin = app.other_client();
    login(&admin, ADMIN_EMAIL, ADMIN_PASSWORD);
    assert_eq!(
        set_category(&admin, &[ana, ben, cai], "round_robin").status(),
        Status::SeeOther
    );
    // Ana gets 1, Ben 2 (by hand later), Cai 3 of six tickets' worth of load.
    let ids: Vec<i64> = (0..6)
        .map(|i| {
            new_ticket(&app, &format!("Load {i}"));
            app.count("SELECT MAX(id) FROM tickets")
        })
        .collect();
    let plan = [ana, ben, ben, cai, cai, cai];
    for (id, agent) in ids.iter().zip(plan) {
        let token = csrf(&admin, &format!("/staff/tickets/{id}"));
        let res = post_form(
            &admin,
            &format!("/staff/tickets/{id}/update"),
            &[("csrf_token", &token), ("assignee", &agent.to_string())],
        );
        assert_eq!(res.status(), Status::SeeOther);
    }
    assert_eq!(
        set_category(&admin, &[ana, ben, cai], "least_open").status(),
        Status::SeeOther
    );
    // Ana (1 open) first; then Ana and Ben tie at 2 and take turns.
    let got: Vec<Option<i64>> = (0..3)
        .map(|i| new_ticket(&app, &format!("Scanner {i} jams")))
        .collect();
    assert_eq!(got, vec![Some(ana), Some(ben), Some(ana)]);
    // A hand reassignment stays: the next new ticket does not move it.
    let last = app.count("SELECT MAX(id) FROM tickets");
    let token = csrf(&admin, &format!("/staff/tickets/{last}"));
    post_form(
        &admin,
        &format!("/staff/tickets/{last}/update"),
        &[("csrf_token", &token), ("assignee", &cai.to_string())],
    );
    new_ticket(&app, "Another one");
    assert_eq!(
        app.count(&format!(
            "SELECT assignee_id FROM tickets WHERE id = {last}"
        )),
        cai
    );
}

#[test]
fn away_until_a_day_ends_by_itself() {
    let app = TestApp::new();
    let [ana, ben, _] = three_agents(&app);
    let admin = app.other_client();
    login(&admin, ADMIN_EMAIL, ADMIN_PASSWORD);
    set_category(&admin, &[ana, ben], "round_robin");
    // A day already over, or not a day: refused, nothing changed.
    assert_eq!(
        set_away(&app, "ana@desk.example", "2001-01-01"),
        Status::UnprocessableEntity
    );
    assert_eq!(
        set_away(&app, "ana@desk.example", "soon"),
        Status::UnprocessableEntity
    );
    assert_eq!(
        app.count(&format!("SELECT away FROM staff WHERE id = {ana}")),
        0
    );
    assert_eq!(
        set_away(&app, "ana@desk.example", "2099-06-30"),
        Status::SeeOther
    );
    let page = {
        let c = app.other_client();
        login(&c, "ana@desk.example", "agent-password-3");
        get_ok(&c, "/staff/preferences")
    };
    assert!(page.contains("value=\"2099-06-30\""), "{page}");
    // Before the day is over Ana is passed over; after it, she is back in turn.
    let end = app.count(&format!("SELECT away_until FROM staff WHERE id = {ana}"));
    let pick = |now: i64| {
        app.db
            .write_blocking(move |c| helpdesk::tickets::assignment::pick(c, 1, now))
            .expect("pick")
    };
    assert_eq!(pick(end - 60), Some(ben));
    assert_eq!(pick(end - 60), Some(ben));
    assert_eq!(pick(end), Some(ana));
}

#[test]
fn a_bad_mode_is_refused_and_agents_without_access_get_nothing() {
    let app = TestApp::new();
    let [ana, ben, _] = three_agents(&app);
    let admin = app.other_client();
    login(&admin, ADMIN_EMAIL, ADMIN_PASSWORD);
    let res = set_category(&admin, &[ana, ben], "everyone");
    assert_eq!(res.status(), Status::UnprocessableEntity);
    assert!(
        res.into_string()
            .unwrap_or_default()
            .contains("Choose off, round robin or least open.")
    );
    assert_eq!(
        app.count("SELECT COUNT(*) FROM categories WHERE assignment <> 'off'"),
        0
    );
    // Off (the default): tickets wait unassigned.
    assert_eq!(new_ticket(&app, "Nothing assigns me"), None);
    // Ana limited to another category is never picked for General.
    set_category(&admin, &[ana, ben], "round_robin");
    let token = csrf(&admin, &format!("/admin/staff/{ana}"));
    let res = post_form(
        &admin,
        &format!("/admin/staff/{ana}"),
        &[
            ("csrf_token", &token),
            ("name", "Ana"),
            ("role", "agent"),
            ("active", "on"),
            ("categories", "2"),
        ],
    );
    assert_eq!(res.status(), Status::SeeOther);
    assert_eq!(new_ticket(&app, "First"), Some(ben));
    assert_eq!(new_ticket(&app, "Second"), Some(ben));
}
