//! Admin > Audit: newest first, 50 to a page, filtered by staff member, action and a range of
//! days (UTC); the same entries as CSV (RFC 4180, read back here with the csv crate), with cells
//! a spreadsheet would run as formulas neutralised; each export is audited itself.

use crate::common::*;
use helpdesk::auth::{Role, users};
use rocket::http::Status;

/// 2026-01-01T00:00:00Z.
const BASE: i64 = 1_767_225_600;
const HOUR: i64 = 3600;

fn admin_app() -> TestApp {
    let app = TestApp::new();
    login(&app.client, ADMIN_EMAIL, ADMIN_PASSWORD);
    app
}

fn staff_id(app: &TestApp, email: &str) -> i64 {
    app.count(&format!("SELECT id FROM staff WHERE email = '{email}'"))
}

/// Adds an entry at `at` (the log's own `record` always writes the current time).
fn entry(app: &TestApp, staff: Option<i64>, action: &str, detail: &str, at: i64) {
    let (action, detail) = (action.to_string(), detail.to_string());
    app.db
        .write_blocking(move |c| {
            c.execute(
                "INSERT INTO audit_log (staff_id, action, detail, ip, created_at)
                 VALUES (?1, ?2, ?3, '192.0.2.7', ?4)",
                rusqlite::params![staff, action, detail, at],
            )?;
            Ok(())
        })
        .expect("insert audit entry");
}

/// 120 entries an hour apart from `BASE`: `row NNN`, by the agent when NNN is even (else the
/// admin), `mail_test` when NNN is a multiple of 3 (else `settings_update`).
fn fill(app: &TestApp) -> (i64, i64) {
    let (admin, agent) = (staff_id(app, ADMIN_EMAIL), staff_id(app, AGENT_EMAIL));
    for i in 0..120 {
        let who = if i % 2 == 0 { agent } else { admin };
        let action = if i % 3 == 0 {
            "mail_test"
        } else {
            "settings_update"
        };
        entry(
            app,
            Some(who),
            action,
            &format!("row {i:03}"),
            BASE + i * HOUR,
        );
    }
    (admin, agent)
}

/// The `row NNN` entries a page lists, in order.
fn listed(page: &str) -> Vec<i64> {
    page.split(">row ")
        .skip(1)
        .filter_map(|rest| rest.get(..3).and_then(|n| n.parse().ok()))
        .collect()
}

#[test]
fn the_log_is_paged_newest_first_and_filtered() {
    let app = admin_app();
    let (_, agent) = fill(&app);

    // Newest first: the admin's login of today, then row 119 down; 50 to a page.
    let page = get_ok(&app.client, "/admin/audit");
    let rows = listed(&page);
    assert_eq!(rows.len(), 49, "the login is the 50th");
    assert_eq!((rows[0], rows[48]), (119, 71));
    assert!(page.contains("121 entries match."), "{page}");
    assert!(page.contains("rel=\"next\""));
    let page = get_ok(&app.client, "/admin/audit?page=3");
    assert_eq!(listed(&page), (0..21).rev().collect::<Vec<_>>());
    assert!(!page.contains("rel=\"next\"") && page.contains("rel=\"prev\""));
    assert!(page.contains("Page 3 / 3"), "{page}");

    // By action: 80 settings changes, two pages.
    let page = get_ok(&app.client, "/admin/audit?action=settings_update");
    let rows = listed(&page);
    assert_eq!(rows.len(), 50);
    assert!(rows.iter().all(|i| i % 3 != 0));
    assert!(page.contains("80 entries match."));
    // The pager keeps the filter.
    assert!(
        page.contains(
            "href=\"/admin/audit?staff=&amp;action=settings_update&amp;from=&amp;to=&amp;page=2\""
        ),
        "{page}"
    );
    let page = get_ok(&app.client, "/admin/audit?action=settings_update&page=2");
    assert_eq!(listed(&page).len(), 30);

    // By staff member.
    let page = get_ok(&app.client, &format!("/admin/audit?staff={agent}"));
    let rows = listed(&page);
    assert!(
        rows.len() == 50 && rows.iter().all(|i| i % 2 == 0),
        "{rows:?}"
    );
    assert!(page.contains("60 entries match."));

    // By days, both included: 2 January is rows 24 to 47.
    let page = get_ok(&app.client, "/admin/audit?from=2026-01-02&to=2026-01-02");
    assert_eq!(listed(&page), (24..48).rev().collect::<Vec<_>>());
    // Everything at once: the agent's mail tests on 2 and 3 January.
    let page = get_ok(
        &app.client,
        &format!("/admin/audit?staff={agent}&action=mail_test&from=2026-01-02&to=2026-01-03"),
    );
    assert_eq!(listed(&page), vec![66, 60, 54, 48, 42, 36, 30, 24]);
    assert!(page.contains("8 entries match."));
    // The form shows what is applied, and offers every action recorded.
    assert!(
        page.contains(&format!("<option value=\"{agent}\" selected>")),
        "{page}"
    );
    assert!(page.contains("<option value=\"mail_test\" selected>"));
    assert!(page.contains("<option value=\"login\" >"), "{page}");
    assert!(page.contains("value=\"2026-01-02\"") && page.contains("value=\"2026-01-03\""));
    let page = get_ok(&app.client, "/admin/audit?action=staff_create");
    assert!(page.contains("No entry matches these filters."));

    // A date that is no date is left out, and said so.
    let page = get_ok(&app.client, "/admin/audit?from=2026-13-01");
    assert!(page.contains("YYYY-MM-DD"), "{page}");
    assert!(page.contains("121 entries match."));

    // In Spanish too.
    let res = app
        .client
        .get("/admin/audit?action=mail_test")
        .header(accept_language("es"))
        .dispatch();
    let page = res.into_string().unwrap_or_default();
    assert!(page.contains("40 entradas coinciden."), "{page}");
}

#[test]
fn the_csv_export_has_the_same_entries_neutralises_formulas_and_is_audited() {
    let app = admin_app();
    let admin = staff_id(&app, ADMIN_EMAIL);
    let evil = app
        .db
        .write_blocking(|c| {
            let h = users::hash_password("evil-password-1", 4)?;
            users::create(c, "evil@example.com", "=cmd|' /C calc'!A0", Role::Agent, &h)
        })
        .expect("create staff");
    let details = [
        "=HYPERLINK(\"http://evil.example\",\"click\")",
        "+1+1",
        "-2",
        "@SUM(A1:A9)",
        "plain, with a comma and \"quotes\"",
        "two\nlines",
        "José Muñoz, año",
    ];
    for (i, d) in details.iter().enumerate() {
        entry(&app, Some(evil), "staff_update", d, BASE + i as i64 * HOUR);
    }
    entry(&app, Some(admin), "settings_update", "other", BASE);

    let res = app
        .client
        .get(format!(
            "/admin/audit.csv?staff={evil}&from=2026-01-01&to=2026-01-01"
        ))
        .dispatch();
    assert_eq!(res.status(), Status::Ok);
    assert_eq!(
        res.content_type().map(|c| c.to_string()).as_deref(),
        Some("text/csv; charset=utf-8")
    );
    let disposition = res
        .headers()
        .get_one("Content-Disposition")
        .unwrap_or("")
        .to_string();
    assert!(
        disposition.starts_with("attachment;") && disposition.contains(".csv"),
        "{disposition}"
    );
    let bytes = res.into_bytes().expect("body");
    let text = String::from_utf8(bytes.clone()).expect("UTF-8");
    assert!(text.starts_with("id,time,staff_id,"), "{text}");
    assert!(text.contains("\r\n"), "CRLF line ends");

    let mut reader = csv::Reader::from_reader(bytes.as_slice());
    let header: Vec<String> = reader
        .headers()
        .expect("header row")
        .iter()
        .map(str::to_string)
        .collect();
    assert_eq!(
        header,
        [
            "id",
            "time",
            "staff_id",
            "staff_name",
            "staff_email",
            "action",
            "detail",
            "ip"
        ]
    );
    let records: Vec<csv::StringRecord> = reader
        .records()
        .collect::<Result<_, _>>()
        .expect("valid CSV");
    // Only the filtered entries, newest first.
    assert_eq!(records.len(), details.len());
    let got: Vec<&str> = records.iter().map(|r| &r[6]).collect();
    assert_eq!(
        got,
        [
            "José Muñoz, año",
            "two\nlines",
            "plain, with a comma and \"quotes\"",
            "'@SUM(A1:A9)",
            "'-2",
            "'+1+1",
            "'=HYPERLINK(\"http://evil.example\",\"click\")",
        ]
    );
    for r in &records {
        assert_eq!(&r[2], evil.to_string());
        assert_eq!(&r[3], "'=cmd|' /C calc'!A0", "the name is neutralised too");
        assert_eq!(&r[4], "evil@example.com");
        assert_eq!(&r[5], "staff_update");
        assert_eq!(&r[7], "192.0.2.7");
    }
    assert_eq!(&records[6][1], "2026-01-01T00:00:00Z");
    assert_eq!(&records[0][1], "2026-01-01T06:00:00Z");

    // Without filters: every entry (the logins and the export's own record included).
    let res = app.client.get("/admin/audit.csv").dispatch();
    let bytes = res.into_bytes().expect("body");
    let all = csv::Reader::from_reader(bytes.as_slice()).records().count() as i64;
    assert_eq!(all, app.count("SELECT count(*) FROM audit_log"));

    // Each export is recorded, with its filters, by whom.
    assert_eq!(
        app.count(&format!(
            "SELECT count(*) FROM audit_log WHERE action = 'audit_export' AND staff_id = {admin}"
        )),
        2
    );
    let detail: String = app
        .db
        .read_blocking(|c| {
            Ok(c.query_row(
                "SELECT detail FROM audit_log WHERE action = 'audit_export' ORDER BY id LIMIT 1",
                [],
                |r| r.get(0),
            )?)
        })
        .expect("export detail");
    assert_eq!(
        detail,
        format!("staff={evil} action= from=2026-01-01 to=2026-01-01")
    );
    assert!(get_ok(&app.client, "/admin/audit").contains("Audit log exported"));

    // Agents may not export.
    let agent = app.other_client();
    login(&agent, AGENT_EMAIL, AGENT_PASSWORD);
    assert_eq!(
        agent.get("/admin/audit.csv").dispatch().status(),
        Status::Forbidden
    );
}
