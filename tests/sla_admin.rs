//! Admin > SLA: the policy form's refusals next to each field (nothing saved), a policy created,
//! refused twice for the same priority and category, edited (unchanged steps kept, changed ones
//! new), deleted, audited, and closed to agents.

use crate::common::*;
use crate::sla::{HARDWARE, HIGH, add_policy, admin_client};
use rocket::http::Status;

#[test]
fn the_policy_form_shows_each_problem_next_to_its_field_and_saves_nothing() {
    let app = TestApp::new();
    let admin = admin_client(&app);
    let page = get_ok(&admin, "/admin/sla");
    assert!(
        page.contains("href=\"/admin/sla\" aria-current=\"page\""),
        "{page}"
    );
    for name in [
        "name",
        "priority",
        "category",
        "first_response_minutes",
        "resolution_minutes",
        "business_hours",
    ] {
        assert!(page.contains(&format!("name=\"{name}\"")), "{name}");
    }
    let bad = [
        ("name", ""),
        ("priority", "99"),
        ("category", "999"),
        ("first_response_minutes", "0"),
        ("resolution_minutes", "-30"),
        ("business_hours", "on"),
        ("steps[1].action", "email_assignee"),
        ("steps[1].target", "first_response"),
        ("steps[1].percent", "150"),
        ("steps[2].action", "reassign"),
        ("steps[2].target", "resolution"),
        ("steps[2].percent", "100"),
        ("steps[2].staff", ""),
        ("steps[3].action", "make_coffee"),
        ("steps[3].target", "lunch"),
        ("steps[3].percent", "50"),
    ];
    let res = add_policy(&admin, &bad);
    assert_eq!(res.status(), Status::UnprocessableEntity);
    let body = res.into_string().unwrap_or_default();
    for (field, text) in [
        ("name", "Please enter a name"),
        ("priority", "Please choose one of the listed priorities."),
        ("category", "Please choose one of the listed categories"),
        (
            "first_response_minutes",
            "Enter a whole number of minutes greater than 0",
        ),
        (
            "resolution_minutes",
            "Enter a whole number of minutes greater than 0",
        ),
        ("step1_percent", "Enter a percentage from 1 to 100"),
        ("step2_staff", "Choose an active staff member"),
        ("step3_action", "Choose one of the listed actions."),
        ("step3_target", "Choose first response or resolution."),
    ] {
        let shown = format!("id=\"{field}-error\">{text}");
        assert!(body.contains(&shown), "{shown} in {body}");
    }
    assert!(body.contains("value=\"-30\""), "what was typed is kept");
    assert!(body.contains("Please correct the fields marked below."));
    let count = |sql: &str| app.count(sql);
    assert_eq!(count("SELECT count(*) FROM sla_policies"), 0);
    assert_eq!(count("SELECT count(*) FROM sla_escalations"), 0);

    // In Spanish too.
    let token = csrf(&admin, "/admin/sla");
    let mut fields = vec![("csrf_token", token.as_str())];
    fields.extend_from_slice(&bad);
    let res = admin
        .post("/admin/sla")
        .header(rocket::http::ContentType::Form)
        .header(accept_language("es"))
        .body(
            fields
                .iter()
                .map(|(k, v)| format!("{}={}", urlencode(k), urlencode(v)))
                .collect::<Vec<_>>()
                .join("&"),
        )
        .dispatch();
    assert_eq!(res.status(), Status::UnprocessableEntity);
    let body = res.into_string().unwrap_or_default();
    assert!(
        body.contains(
            "id=\"first_response_minutes-error\">Escriba un número entero de minutos mayor que 0"
        ),
        "{body}"
    );
    // Without the CSRF token: refused, nothing saved.
    let res = post_form(
        &admin,
        "/admin/sla",
        &[
            ("name", "x"),
            ("priority", HIGH),
            ("first_response_minutes", "5"),
        ],
    );
    assert_eq!(res.status(), Status::Forbidden);

    // A good one, with two steps.
    let good = [
        ("name", "High, Hardware"),
        ("priority", HIGH),
        ("category", HARDWARE),
        ("first_response_minutes", "30"),
        ("resolution_minutes", "480"),
        ("business_hours", "on"),
        ("steps[1].action", "email_assignee"),
        ("steps[1].target", "first_response"),
        ("steps[1].percent", "75"),
        ("steps[2].action", "email_admins"),
        ("steps[2].target", "resolution"),
        ("steps[2].percent", "100"),
        ("steps[3].action", ""),
        ("steps[3].target", "first_response"),
        ("steps[3].percent", "100"),
    ];
    let res = add_policy(&admin, &good);
    assert_eq!(res.status(), Status::SeeOther);
    assert_eq!(location(&res), "/admin/sla");
    let list = get_ok(&admin, "/admin/sla");
    assert!(list.contains("Policy created."), "{list}");
    assert!(list.contains("High, Hardware") && list.contains("30 min") && list.contains("8 h"));
    let id = app.count("SELECT id FROM sla_policies");
    assert_eq!(count("SELECT count(*) FROM sla_escalations"), 2);
    // The same priority and category again: refused next to the category.
    let res = add_policy(&admin, &good);
    assert_eq!(res.status(), Status::UnprocessableEntity);
    let body = res.into_string().unwrap_or_default();
    assert!(body.contains(
        "id=\"category-error\">There is already a policy for this priority and category."
    ));
    assert_eq!(count("SELECT count(*) FROM sla_policies"), 1);

    // Edited: a step saved as it was keeps its id (and what it fired on), a changed one is new.
    let step_ids = || {
        app.db
            .read_blocking(|c| {
                let mut stmt = c.prepare("SELECT slot, id FROM sla_escalations ORDER BY slot")?;
                let rows = stmt
                    .query_map([], |r| Ok((r.get::<_, i64>(0)?, r.get::<_, i64>(1)?)))?
                    .collect::<rusqlite::Result<Vec<_>>>()?;
                Ok(rows)
            })
            .unwrap()
    };
    let before = step_ids();
    let edit = format!("/admin/sla/{id}");
    let page = get_ok(&admin, &edit);
    assert!(page.contains("name=\"steps[1].percent\" type=\"number\" min=\"1\" max=\"100\" step=\"1\" value=\"75\""), "{page}");
    let token = csrf_in(&page);
    let mut changed: Vec<(&str, &str)> = vec![("csrf_token", token.as_str())];
    changed.extend(good.iter().map(|(k, v)| match *k {
        "resolution_minutes" => (*k, "600"),
        "steps[2].percent" => (*k, "90"),
        _ => (*k, *v),
    }));
    let res = post_form(&admin, &edit, &changed);
    assert_eq!(res.status(), Status::SeeOther);
    let after = step_ids();
    assert_eq!(after[0], before[0], "the unchanged step is kept");
    assert_ne!(after[1].1, before[1].1, "the changed step is a new one");
    assert_eq!(count("SELECT resolution_minutes FROM sla_policies"), 600);
    // A bad edit changes nothing.
    let mut broken = changed.clone();
    broken.retain(|(k, _)| *k != "first_response_minutes");
    broken.push(("first_response_minutes", "-1"));
    let res = post_form(&admin, &edit, &broken);
    assert_eq!(res.status(), Status::UnprocessableEntity);
    assert!(
        res.into_string()
            .unwrap_or_default()
            .contains("id=\"first_response_minutes-error\"")
    );
    assert_eq!(count("SELECT first_response_minutes FROM sla_policies"), 30);
    assert_eq!(step_ids(), after);

    let token = csrf(&admin, &edit);
    let res = post_form(&admin, &format!("{edit}/delete"), &[("csrf_token", &token)]);
    assert_eq!(res.status(), Status::SeeOther);
    assert_eq!(count("SELECT count(*) FROM sla_policies"), 0);
    assert_eq!(count("SELECT count(*) FROM sla_escalations"), 0);
    assert_eq!(
        admin.get(edit.as_str()).dispatch().status(),
        Status::NotFound
    );
    for action in [
        "sla_policy_create",
        "sla_policy_update",
        "sla_policy_delete",
    ] {
        let sql = format!("SELECT count(*) FROM audit_log WHERE action = '{action}'");
        assert_eq!(count(&sql), 1, "{action}");
    }
    // Agents may not.
    let agent = app.other_client();
    login(&agent, AGENT_EMAIL, AGENT_PASSWORD);
    assert_eq!(
        agent.get("/admin/sla").dispatch().status(),
        Status::Forbidden
    );
}
