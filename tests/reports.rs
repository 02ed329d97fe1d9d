//! Reports (`/staff/reports`) against hand-computed figures on a small fixed data set: five
//! tickets opened, answered, resolved, reopened and rated through the real ticket actions at set
//! times around a weekend, on a desk keeping its default hours (Monday to Friday, 09:00–17:00
//! UTC). The figures are read back from the report's CSV tables; the page itself is checked for
//! its charts (well-formed SVG with a title), its empty-period messages, refusals of bad input,
//! per-category access and Spanish.

use rocket::http::Status;

use crate::common::*;
use crate::reports_data::*;
use crate::sla::{admin_client, utc};

#[test]
fn figures_match_the_hand_computed_ones() {
    let app = TestApp::new();
    let (desk, ids) = fixed_desk(&app);
    login(&app.client, ADMIN_EMAIL, ADMIN_PASSWORD);
    let c = &app.client;

    // Created, resolved and open at the end of each day. Monday starts with T1 open.
    let (h, rows) = csv_table(c, "volume", RANGE);
    let days: Vec<(&str, &str, &str, &str)> = rows
        .iter()
        .map(|r| {
            (
                col(&h, r, "period_start"),
                col(&h, r, "created"),
                col(&h, r, "resolved"),
                col(&h, r, "open_at_end"),
            )
        })
        .collect();
    assert_eq!(
        days,
        [
            ("2026-03-02T00:00:00+00:00", "2", "1", "2"),
            ("2026-03-03T00:00:00+00:00", "1", "1", "2"),
            ("2026-03-04T00:00:00+00:00", "1", "2", "2"),
        ]
    );
    assert_eq!(col(&h, &rows[0], "period_end"), "2026-03-03T00:00:00+00:00");

    // First response and resolution times per day, in seconds and business minutes.
    let (h, rows) = csv_table(c, "times", RANGE);
    let get = |r: usize, name: &str| col(&h, &rows[r], name).to_string();
    // Monday's first responses: 30 min, 3 h and T1's 66 h over the weekend.
    assert_eq!(get(0, "first_response_count"), "3");
    assert_eq!(get(0, "first_response_median_seconds"), "10800");
    // 10800 + 0.8 × (237600 − 10800).
    assert_eq!(get(0, "first_response_p90_seconds"), "192240");
    assert_eq!(get(0, "first_response_median_business_minutes"), "120");
    assert_eq!(get(0, "first_response_p90_business_minutes"), "168");
    // Monday's one resolution, T1: 68 h, of which Friday 16–17 and Monday 9–12 are business.
    assert_eq!(get(0, "resolution_median_seconds"), "244800");
    assert_eq!(get(0, "resolution_median_business_minutes"), "240");
    assert_eq!(get(1, "first_response_median_seconds"), "600");
    assert_eq!(get(1, "resolution_median_seconds"), "86400");
    assert_eq!(get(1, "resolution_median_business_minutes"), "480");
    // Wednesday: T4 resolved twice, 24 h and 30 h after it was opened.
    assert_eq!(get(2, "resolution_count"), "2");
    assert_eq!(get(2, "resolution_median_seconds"), "97200");
    assert_eq!(get(2, "resolution_p90_seconds"), "105840");
    assert_eq!(get(2, "resolution_median_business_minutes"), "660");
    assert_eq!(get(2, "resolution_p90_business_minutes"), "804");
    assert_eq!(get(2, "first_response_count"), "0");
    assert_eq!(get(2, "first_response_median_seconds"), "");

    // The same medians from the tickets' own times: the whole range as one period.
    let one = "from=2026-03-02&to=2026-03-04&group=month";
    let (h, rows) = csv_table(c, "times", one);
    let own = |sql: &str| -> Vec<i64> {
        let sql = sql.to_string();
        app.db
            .read_blocking(move |c| {
                let mut stmt = c.prepare(&sql)?;
                let v = stmt
                    .query_map([], |r| r.get(0))?
                    .collect::<rusqlite::Result<Vec<i64>>>()?;
                Ok(v)
            })
            .unwrap()
    };
    let (start, end) = (utc("2026-03-02T00:00:00Z"), utc("2026-03-05T00:00:00Z"));
    let mut frt = own(&format!(
        "SELECT first_response_at - created_at FROM tickets
         WHERE first_response_at >= {start} AND first_response_at < {end}"
    ));
    let mut ttr = own(&format!(
        "SELECT r.resolved_at - t.created_at FROM ticket_resolutions r
         JOIN tickets t ON t.id = r.ticket_id WHERE r.resolved_at >= {start} AND r.resolved_at < {end}"
    ));
    frt.sort();
    ttr.sort();
    assert_eq!(frt, [600, 1800, 10800, 237_600]);
    assert_eq!(ttr, [86_400, 86_400, 108_000, 244_800]);
    let median = |v: &[i64]| (v[1] + v[2]) / 2;
    assert_eq!(
        col(&h, &rows[0], "first_response_median_seconds"),
        median(&frt).to_string()
    );
    assert_eq!(
        col(&h, &rows[0], "resolution_median_seconds"),
        median(&ttr).to_string()
    );

    // Service levels by the day the ticket was opened (T1 was opened before, T4 has none):
    // Monday T2 met both, T3 missed both; Wednesday T5 missed both, never answered.
    let (h, rows) = csv_table(c, "sla", RANGE);
    let sla: Vec<Vec<&str>> = rows
        .iter()
        .map(|r| {
            [
                "first_response_met",
                "first_response_missed",
                "resolution_met",
                "resolution_missed",
                "first_response_met_percent",
            ]
            .iter()
            .map(|n| col(&h, r, n))
            .collect()
        })
        .collect();
    assert_eq!(
        sla,
        [
            vec!["1", "1", "1", "1", "50.0"],
            vec!["0", "0", "0", "0", ""],
            vec!["0", "1", "0", "1", "0.0"],
        ]
    );
    let (h, rows) = csv_table(c, "sla_policies", RANGE);
    assert_eq!(rows.len(), 1);
    assert_eq!(col(&h, &rows[0], "policy"), "Medium");
    assert_eq!(col(&h, &rows[0], "first_response_met_percent"), "33.3");

    // Satisfaction: T1 good, T2 bad, T4's two resolutions unanswered.
    let (h, rows) = csv_table(c, "csat", RANGE);
    let csat: Vec<Vec<&str>> = rows
        .iter()
        .map(|r| {
            [
                "resolutions",
                "answers",
                "good",
                "good_percent",
                "answer_rate_percent",
            ]
            .iter()
            .map(|n| col(&h, r, n))
            .collect()
        })
        .collect();
    assert_eq!(
        csat,
        [
            vec!["1", "1", "1", "100.0", "100.0"],
            vec!["1", "1", "0", "0.0", "100.0"],
            vec!["2", "0", "0", "", "0.0"],
        ]
    );
    // The comment, its formula neutralised in the CSV.
    let (h, rows) = csv_table(c, "comments", RANGE);
    assert_eq!(rows.len(), 1);
    assert_eq!(
        col(&h, &rows[0], "comment"),
        "'=HYPERLINK(\"x\") quick, thanks"
    );
    assert_eq!(col(&h, &rows[0], "rating"), "good");
    assert_eq!(
        col(&h, &rows[0], "answered_at"),
        "2026-03-02T13:00:00+00:00"
    );

    // Per agent: Gus wrote three first replies and had every resolved ticket; Alice one reply.
    let (h, rows) = csv_table(c, "agents", RANGE);
    let agents: Vec<(&str, &str, &str)> = rows
        .iter()
        .map(|r| {
            (
                col(&h, r, "agent"),
                col(&h, r, "first_response_count"),
                col(&h, r, "resolution_count"),
            )
        })
        .collect();
    assert_eq!(agents, [("Alice Admin", "1", "0"), ("Gus Agent", "3", "4")]);

    // Busiest hours, top categories and requesters, over the tickets opened in the range.
    let (h, rows) = csv_table(c, "heat", RANGE);
    assert_eq!(col(&h, &rows[0], "hour_09"), "1");
    assert_eq!(col(&h, &rows[0], "hour_11"), "1");
    assert_eq!(col(&h, &rows[1], "hour_10"), "1");
    assert_eq!(col(&h, &rows[2], "hour_08"), "1");
    let total: u32 = rows
        .iter()
        .flat_map(|r| r[1..].iter())
        .map(|v| v.parse::<u32>().unwrap())
        .sum();
    assert_eq!(total, 4);
    let (h, rows) = csv_table(c, "categories", RANGE);
    let cats: Vec<(&str, &str)> = rows
        .iter()
        .map(|r| (col(&h, r, "category"), col(&h, r, "created")))
        .collect();
    assert_eq!(cats, [("Hardware", "2"), ("Accounts & access", "2")]);
    let (h, rows) = csv_table(c, "requesters", RANGE);
    assert_eq!(col(&h, &rows[0], "requester_email"), "ana@office.example");
    assert_eq!(col(&h, &rows[0], "created"), "3");
    assert_eq!(col(&h, &rows[1], "created"), "1");

    // Filtered: Hardware only, then Alice's first responses only.
    let (h, rows) = csv_table(c, "volume", &format!("{RANGE}&category={HARDWARE}"));
    let created: Vec<&str> = rows.iter().map(|r| col(&h, r, "created")).collect();
    assert_eq!(created, ["1", "1", "0"]);
    let (h, rows) = csv_table(c, "times", &format!("{RANGE}&agent={}", desk.alice_id));
    assert_eq!(col(&h, &rows[0], "first_response_count"), "1");
    assert_eq!(col(&h, &rows[0], "first_response_median_seconds"), "10800");

    // The page: summary, charts, the one-line explanations, the CSV links.
    let page = get_ok(c, &format!("/staff/reports?{RANGE}"));
    assert!(page.contains("aria-current=\"page\">Reports"), "nav link");
    assert!(page.contains("2026-03-02 to 2026-03-04"), "{page}");
    assert!(page.contains("/staff/reports.csv?table=volume&amp;from=2026-03-02"));
    assert!(page.contains("First response time: from a ticket&#x27;s opening"));
    assert!(page.contains("1 h 45 min"), "overall FRT median");
    for svg in svgs(&page) {
        let doc = roxmltree::Document::parse(&svg).unwrap_or_else(|e| panic!("{e}: {svg}"));
        let root = doc.root_element();
        assert_eq!(root.tag_name().name(), "svg");
        assert_eq!(root.attribute("role"), Some("img"));
        let labelled = root.attribute("aria-labelledby").unwrap_or("");
        let title = root
            .children()
            .find(|n| n.has_tag_name("title"))
            .expect("a title");
        assert!(labelled.contains(title.attribute("id").unwrap_or("?")));
        assert!(!title.text().unwrap_or("").is_empty());
    }
    assert_eq!(
        svgs(&page).len(),
        7,
        "volume, backlog, two times, SLA, heat, categories"
    );
    assert!(page.contains("<details><summary>Data table</summary>"));
    let _ = ids;
}

#[test]
fn an_empty_period_says_so_and_bad_input_is_refused_with_a_message() {
    let app = TestApp::new();
    let (desk, _) = fixed_desk(&app);
    login(&app.client, ADMIN_EMAIL, ADMIN_PASSWORD);
    let c = &app.client;
    let page = get_ok(c, "/staff/reports?from=2025-01-06&to=2025-01-12");
    assert!(page.contains("No tickets in this period."), "{page}");
    assert!(page.contains("No first responses in this period."));
    assert!(svgs(&page).is_empty(), "no empty charts");

    let before = app.count("SELECT COUNT(*) FROM ticket_metrics");
    for (query, message) in [
        (
            "from=2026-03-04&to=2026-03-02",
            "The last day comes before the first one.",
        ),
        ("range=yesterday", "Choose one of the periods offered."),
        (
            "from=0001-01-01&to=2026-03-02",
            "Start on 2000-01-01 or later.",
        ),
        (
            "from=2026-03-02&to=9999-12-31",
            "The period cannot end after today.",
        ),
        ("from=2026-13-45", "Enter a date as YYYY-MM-DD."),
        (
            "from=2021-01-01&to=2026-03-02",
            "Choose at most five years.",
        ),
        (
            "from=2024-01-01&to=2026-03-02&group=day",
            "Too many days for a chart",
        ),
        ("group=hour", "Group by day, week or month."),
        ("category=999", "Choose one of your categories."),
        ("category=abc", "Choose one of your categories."),
        ("priority=77", "Choose one of the priorities offered."),
        ("agent=9999", "Choose one of the agents offered."),
        ("channel=fax", "Choose one of the channels offered."),
    ] {
        for path in ["/staff/reports", "/staff/reports.csv"] {
            let res = c.get(format!("{path}?table=volume&{query}")).dispatch();
            assert_eq!(res.status(), Status::UnprocessableEntity, "{path}?{query}");
            let body = res.into_string().unwrap_or_default();
            assert!(body.contains(message), "{query}: {message}\n{body}");
            assert!(body.contains("aria-invalid=\"true\""), "{query}");
        }
    }
    let res = c
        .get(format!("/staff/reports.csv?table=nope&{RANGE}"))
        .dispatch();
    assert_eq!(res.status(), Status::UnprocessableEntity);
    assert!(
        res.into_string()
            .unwrap_or_default()
            .contains("There is no such table")
    );
    assert_eq!(app.count("SELECT COUNT(*) FROM ticket_metrics"), before);

    // An agent sees the team and themselves, never another agent's figures.
    let agent = app.other_client();
    login(&agent, AGENT_EMAIL, AGENT_PASSWORD);
    let res = agent
        .get(format!("/staff/reports?{RANGE}&agent={}", desk.alice_id))
        .dispatch();
    assert_eq!(res.status(), Status::UnprocessableEntity);
    assert!(
        res.into_string()
            .unwrap_or_default()
            .contains("not another agent")
    );
    let (h, rows) = csv_table(&agent, "agents", RANGE);
    assert_eq!(rows.len(), 1, "only their own row");
    assert_eq!(col(&h, &rows[0], "agent"), "Gus Agent");
    let res = app.client.get("/staff/reports").dispatch();
    assert_eq!(res.status(), Status::Ok, "the default: the last 30 days");
    let anonymous = app.other_client();
    let res = anonymous.get("/staff/reports").dispatch();
    assert_eq!(res.status(), Status::SeeOther, "to the login page");
}

#[test]
fn a_limited_agent_counts_only_their_categories_and_spanish_is_complete() {
    let app = TestApp::new();
    let (desk, _) = fixed_desk(&app);
    let admin = admin_client(&app);
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
            ("categories", &HARDWARE.to_string()),
        ],
    );
    assert_eq!(res.status(), Status::SeeOther, "Gus works Hardware only");
    let agent = app.other_client();
    login(&agent, AGENT_EMAIL, AGENT_PASSWORD);
    let (h, rows) = csv_table(&agent, "volume", RANGE);
    let created: Vec<&str> = rows.iter().map(|r| col(&h, r, "created")).collect();
    assert_eq!(
        created,
        ["1", "1", "0"],
        "T2 and T4; T3 and T5 are Accounts"
    );
    let (h, rows) = csv_table(&agent, "categories", RANGE);
    assert_eq!(rows.len(), 1);
    assert_eq!(col(&h, &rows[0], "category"), "Hardware");
    let res = agent
        .get(format!("/staff/reports?{RANGE}&category={ACCOUNTS}"))
        .dispatch();
    assert_eq!(res.status(), Status::UnprocessableEntity);

    let es = agent
        .get(format!("/staff/reports?{RANGE}"))
        .header(accept_language("es"))
        .dispatch()
        .into_string()
        .unwrap_or_default();
    for spanish in [
        "Informes",
        "Del 2026-03-02 al 2026-03-04",
        "Tickets creados, resueltos y abiertos",
        "Primera respuesta y tiempo de resolución",
        "Niveles de servicio",
        "Satisfacción",
        "Días y horas con más trabajo",
        "Base de conocimiento",
        "Tabla de datos",
        "Descargar en CSV",
        "Lunes",
    ] {
        assert!(es.contains(spanish), "{spanish}");
    }
    for english in [
        "Tickets created",
        "Data table",
        "Download as CSV",
        "Monday",
        "report_",
    ] {
        assert!(!es.contains(english), "{english} on the Spanish page");
    }
    let es_error = agent
        .get("/staff/reports?from=2026-03-04&to=2026-03-02")
        .header(accept_language("es"))
        .dispatch()
        .into_string()
        .unwrap_or_default();
    assert!(es_error.contains("El último día es anterior al primero."));
}

#[test]
fn tickets_from_before_the_reports_get_their_facts_at_the_next_start() {
    let app = TestApp::new();
    let (_, ids) = fixed_desk(&app);
    let facts = "SELECT COUNT(*) || ':' || COALESCE(SUM(first_response_minutes), 0) || ':' ||
                 COALESCE(SUM(resolved_at), 0) FROM ticket_metrics";
    let snapshot = |db: &helpdesk::db::Db| -> (String, i64) {
        db.read_blocking(move |c| {
            Ok((
                c.query_row(facts, [], |r| r.get(0))?,
                c.query_row("SELECT COUNT(*) FROM resolution_metrics", [], |r| r.get(0))?,
            ))
        })
        .unwrap()
    };
    let before = snapshot(&app.db);
    assert_eq!(before.1, 4, "T1, T2 and T4 twice");
    // As a database migrated to 0029 finds itself: its tickets without rows, the mark left.
    app.db
        .write_blocking(|c| {
            c.execute_batch(
                "DELETE FROM resolution_metrics; DELETE FROM ticket_metrics;
                 UPDATE settings SET value = 'pending' WHERE key = 'report_metrics_fill';",
            )?;
            Ok(())
        })
        .unwrap();
    let reopened = helpdesk::db::Db::open(&app.config.db).unwrap();
    let after = snapshot(&reopened);
    assert_eq!(
        after.0,
        before.0,
        "the same facts for {} tickets",
        ids.len()
    );
    assert_eq!(after.1, before.1);
    let mark = reopened
        .read_blocking(|c| helpdesk::settings::get(c, "report_metrics_fill"))
        .unwrap();
    assert_eq!(mark.as_deref(), Some("done"));
}
