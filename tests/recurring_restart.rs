//! Recurring tickets over the real binary: a schedule that fell due while the server was down
//! opens its ticket once, however often the server is killed and started again.

use std::path::Path;
use std::time::{Duration, Instant};

use crate::common::server::{self, Server};
use crate::recurring::with;
use jiff::Timestamp;
use rusqlite::{Connection, OpenFlags};

fn count(db: &Path, sql: &str) -> i64 {
    let conn = Connection::open_with_flags(db, OpenFlags::SQLITE_OPEN_READ_ONLY).expect("open db");
    conn.query_row(sql, [], |r| r.get(0)).expect(sql)
}

fn job_runs(db: &Path) -> i64 {
    count(
        db,
        "SELECT COALESCE((SELECT runs FROM jobs WHERE name = 'recurring_tickets'), 0)",
    )
}

fn wait_until(what: &str, mut done: impl FnMut() -> bool) {
    let deadline = Instant::now() + Duration::from_secs(30);
    while !done() {
        assert!(Instant::now() < deadline, "timed out waiting until {what}");
        std::thread::sleep(Duration::from_millis(50));
    }
}

/// Logs in as the first admin, whose password the server printed at the database's first start.
fn login_first_admin(server: &Server) -> ureq::Agent {
    let password = server
        .startup_output
        .iter()
        .find_map(|l| l.trim().strip_prefix("password:"))
        .expect("first admin password printed")
        .trim()
        .to_string();
    let agent = server::agent();
    let token = server::csrf_from(&agent, &server.url("/staff/login"));
    let res = agent.post(&server.url("/staff/login")).send_form(&[
        ("csrf_token", &token),
        ("email", "admin@localhost"),
        ("password", &password),
    ]);
    assert_eq!(res.map(|r| r.status()).ok(), Some(303), "admin login");
    agent
}

#[test]
fn a_due_ticket_is_opened_once_across_a_killed_and_restarted_server() {
    let dir = tempfile::tempdir().expect("temp dir");
    let db = dir.path().join("helpdesk.db");
    let env = [("HELPDESK_JOBS_INTERVAL_SECS", "1".to_string())];
    let first = Server::start_with(&db, server::free_port(), &env);
    let agent = login_first_admin(&first);
    let token = server::csrf_from(&agent, &first.url("/admin/recurring/new"));
    let mut form: Vec<(&str, String)> = vec![("csrf_token", token)];
    // Twelve hours from now, so no due time comes by itself while the test runs.
    let time = Timestamp::from_second(helpdesk::db::now() + 12 * 3600)
        .unwrap()
        .strftime("%H:%M")
        .to_string();
    let changes = [
        ("requester_email", "it@office.example"),
        ("time", time.as_str()),
    ];
    form.extend(with(&changes));
    let form: Vec<(&str, &str)> = form.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let res = agent.post(&first.url("/admin/recurring")).send_form(&form);
    assert_eq!(res.map(|r| r.status()).ok(), Some(303), "created");
    let scheduled = count(&db, "SELECT next_run_at FROM recurring_tickets");
    first.kill9();

    // While it was down, the schedule fell due (two days ago and every day since).
    let conn = Connection::open(&db).expect("open db");
    conn.execute(
        "UPDATE recurring_tickets SET next_run_at = next_run_at - 3 * 86400",
        [],
    )
    .expect("backdate");
    drop(conn);
    let runs = job_runs(&db);
    let second = Server::start_with(&db, server::free_port(), &env);
    wait_until("the missed ticket was opened", || {
        count(&db, "SELECT count(*) FROM tickets") == 1
    });
    second.kill9();
    assert!(job_runs(&db) > runs);
    let third = Server::start_with(&db, server::free_port(), &env);
    let runs = job_runs(&db);
    wait_until("the job ran twice more", || job_runs(&db) >= runs + 2);
    drop(third);
    assert_eq!(count(&db, "SELECT count(*) FROM tickets"), 1, "once");
    assert_eq!(
        count(&db, "SELECT next_run_at FROM recurring_tickets"),
        scheduled,
        "next due at the time first scheduled"
    );
    assert_eq!(
        count(
            &db,
            "SELECT count(*) FROM tickets WHERE channel = 'recurring' AND requester_email = 'it@office.example'"
        ),
        1
    );
}
