//! The operator's command line, run as the real binary over a real SQLite file: first start,
//! staff accounts, backup and restore around a running server, `check`, configuration errors and
//! demo data.

use std::io::{Read, Write};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use crate::common;
use crate::common::server::{self, Server};
use rusqlite::{Connection, OpenFlags};

/// What a finished command left behind.
struct Run {
    code: Option<i32>,
    stdout: String,
    stderr: String,
}

impl Run {
    fn ok(&self) -> bool {
        self.code == Some(0)
    }
}

impl std::fmt::Debug for Run {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "exit {:?}\n--- stdout\n{}--- stderr\n{}",
            self.code, self.stdout, self.stderr
        )
    }
}

/// `helpdesk --db DB ARGS`, with `stdin` fed to it (closed when `None`) and extra environment
/// variables, killed and failed after 60 seconds. Any `HELPDESK_*` variable of the test's own
/// environment is removed so only what the test sets counts.
fn helpdesk_env(db: &Path, args: &[&str], stdin: Option<&str>, env: &[(&str, &str)]) -> Run {
    let mut cmd = server::command(db, env);
    cmd.args(args);
    cmd.stdin(if stdin.is_some() {
        Stdio::piped()
    } else {
        Stdio::null()
    })
    .stdout(Stdio::piped())
    .stderr(Stdio::piped());
    let mut child = cmd.spawn().expect("run helpdesk");
    if let Some(input) = stdin {
        let mut pipe = child.stdin.take().expect("stdin");
        // The command may exit before reading (e.g. on a configuration error): ignore EPIPE.
        let _ = pipe.write_all(input.as_bytes());
    }
    wait_bounded(child, Duration::from_secs(60), args)
}

fn helpdesk(db: &Path, args: &[&str], stdin: Option<&str>) -> Run {
    helpdesk_env(db, args, stdin, &[])
}

fn wait_bounded(mut child: Child, limit: Duration, args: &[&str]) -> Run {
    let mut out = child.stdout.take().expect("stdout");
    let mut err = child.stderr.take().expect("stderr");
    let out = std::thread::spawn(move || {
        let mut s = String::new();
        let _ = out.read_to_string(&mut s);
        s
    });
    let err = std::thread::spawn(move || {
        let mut s = String::new();
        let _ = err.read_to_string(&mut s);
        s
    });
    let deadline = Instant::now() + limit;
    let status = loop {
        if let Some(status) = child.try_wait().expect("wait for helpdesk") {
            break status;
        }
        if Instant::now() > deadline {
            let _ = child.kill();
            let _ = child.wait();
            panic!("helpdesk {args:?} did not finish within {limit:?}");
        }
        std::thread::sleep(Duration::from_millis(10));
    };
    Run {
        code: status.code(),
        stdout: out.join().unwrap_or_default(),
        stderr: err.join().unwrap_or_default(),
    }
}

/// Status and response of a request, 4xx/5xx included; panics on transport errors.
fn call(res: Result<ureq::Response, ureq::Error>) -> ureq::Response {
    match res {
        Ok(r) => r,
        Err(ureq::Error::Status(_, r)) => r,
        Err(e) => panic!("request failed: {e}"),
    }
}

/// Logs in through the real login form; returns the browser, the status and the Location.
fn try_login(server: &Server, email: &str, password: &str) -> (ureq::Agent, u16, String) {
    let agent = server::agent();
    let token = server::csrf_from(&agent, &server.url("/staff/login"));
    let res = call(agent.post(&server.url("/staff/login")).send_form(&[
        ("csrf_token", &token),
        ("email", email),
        ("password", password),
    ]));
    let location = res.header("Location").unwrap_or("").to_string();
    (agent, res.status(), location)
}

fn assert_login_works(server: &Server, email: &str, password: &str) -> ureq::Agent {
    let (agent, status, location) = try_login(server, email, password);
    assert_eq!(
        (status, location.as_str()),
        (303, "/staff"),
        "login as {email} should succeed"
    );
    let res = call(agent.get(&server.url("/staff/tickets")).call());
    assert_eq!(
        res.status(),
        200,
        "the desk opens after logging in as {email}"
    );
    agent
}

fn assert_login_fails(server: &Server, email: &str, password: &str) {
    let (_, status, location) = try_login(server, email, password);
    assert_eq!(
        status, 401,
        "login as {email} with this password should be refused (Location {location:?})"
    );
}

/// Submits a ticket through the portal form; returns the tracking ID.
fn submit_ticket(
    agent: &ureq::Agent,
    server: &Server,
    subject: &str,
    file: Option<(&str, &[u8])>,
) -> String {
    let token = server::csrf_from(agent, &server.url("/tickets/new"));
    let mut form = common::Multipart::new();
    form.text("csrf_token", &token)
        .text("name", "Ana Garcia")
        .text("email", "ana@office.example")
        .text("category", "1")
        .text("priority", "")
        .text("subject", subject)
        .text("message", &format!("Details for: {subject}"));
    if let Some((name, data)) = file {
        form.file("attachments", name, "text/plain", data);
    }
    let res = call(
        agent
            .post(&server.url("/tickets"))
            .set("Content-Type", &common::Multipart::header_value())
            .send_bytes(&form.finish()),
    );
    assert_eq!(res.status(), 303, "ticket {subject:?} should be accepted");
    let location = res.header("Location").unwrap_or("").to_string();
    let tid = location
        .trim_start_matches("/tickets/")
        .split('?')
        .next()
        .unwrap_or("")
        .to_string();
    assert!(
        common::is_tracking_id(&tid),
        "redirect {location} should name a tracking ID"
    );
    tid
}

fn open_ro(path: &Path) -> Connection {
    Connection::open_with_flags(path, OpenFlags::SQLITE_OPEN_READ_ONLY)
        .expect("open database read-only")
}

fn count(conn: &Connection, sql: &str) -> i64 {
    conn.query_row(sql, [], |r| r.get(0))
        .unwrap_or_else(|e| panic!("{sql}: {e}"))
}

fn integrity(conn: &Connection) -> String {
    conn.query_row("PRAGMA integrity_check", [], |r| r.get(0))
        .expect("integrity_check")
}

/// Stops the server the way `systemctl stop` does (SIGTERM) and waits for it to exit.
fn stop(mut server: Server) {
    let pid = server.child.id().to_string();
    let sent = Command::new("kill")
        .args(["-TERM", &pid])
        .status()
        .expect("run kill");
    assert!(sent.success(), "SIGTERM sent to the server");
    let deadline = Instant::now() + Duration::from_secs(15);
    loop {
        if server.child.try_wait().expect("wait for server").is_some() {
            return;
        }
        assert!(
            Instant::now() < deadline,
            "the server did not stop within 15 s of SIGTERM"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
}

#[test]
fn first_start_prints_a_working_admin_password_once() {
    let dir = tempfile::tempdir().expect("temp dir");
    let db = dir.path().join("helpdesk.db");
    let server = Server::start(&db);
    let out = server.startup_output.join("\n");
    assert!(
        out.contains("Created the first admin account"),
        "first start announces the admin:\n{out}"
    );
    assert!(
        out.contains("admin@localhost"),
        "first start names the admin's email:\n{out}"
    );
    let password = server
        .startup_output
        .iter()
        .find_map(|l| l.trim().strip_prefix("password:"))
        .map(|p| p.trim().to_string())
        .unwrap_or_else(|| panic!("first start prints a password line:\n{out}"));
    assert!(
        password.len() >= 10,
        "the generated password {password:?} is long enough"
    );

    let health = call(server::agent().get(&server.url("/healthz")).call());
    assert_eq!(health.status(), 200);
    assert_eq!(health.into_string().expect("body"), "ok");

    assert_login_fails(&server, "admin@localhost", "not-the-password");
    assert_login_works(&server, "admin@localhost", &password);
    drop(server);

    // The second start keeps the account and prints no password.
    let server = Server::start(&db);
    let out = server.startup_output.join("\n");
    assert!(
        !out.contains("Created the first admin"),
        "second start creates no admin:\n{out}"
    );
    assert!(
        !out.contains(&password) && !out.to_lowercase().contains("password"),
        "second start prints no password:\n{out}"
    );
    assert_login_works(&server, "admin@localhost", &password);
    let list = helpdesk(&db, &["user", "list"], None);
    assert!(list.ok(), "{list:?}");
    assert_eq!(
        list.stdout.lines().count(),
        1,
        "exactly one account after two starts: {list:?}"
    );
}

#[test]
fn user_add_passwd_and_list_manage_logins() {
    let dir = tempfile::tempdir().expect("temp dir");
    let db = dir.path().join("helpdesk.db");
    let add = |email: &str, password: &str| {
        helpdesk(
            &db,
            &[
                "user",
                "add",
                "--role",
                "agent",
                "--email",
                email,
                "--name",
                "Ana",
                "--password-stdin",
            ],
            Some(&format!("{password}\n")),
        )
    };

    let added = add("ana@example.com", "ana-password-1");
    assert!(added.ok(), "{added:?}");
    assert!(added.stdout.contains("ana@example.com"), "{added:?}");

    let short = add("bob@example.com", "short-pw");
    assert!(!short.ok(), "a 9-character password is refused: {short:?}");
    assert!(
        short.stderr.contains("at least 10 characters"),
        "the refusal says why: {short:?}"
    );
    let common = add("bob@example.com", "qwertyuiop");
    assert!(
        !common.ok(),
        "a most common password is refused: {common:?}"
    );
    assert!(common.stderr.contains("most common"), "{common:?}");

    let dup = add("ana@example.com", "another-password-2");
    assert!(
        !dup.ok(),
        "a second account with the same email is refused: {dup:?}"
    );
    assert!(
        dup.stderr.contains("already exists"),
        "the refusal says why: {dup:?}"
    );
    let dup_case = add("ANA@Example.com", "another-password-2");
    assert!(
        !dup_case.ok(),
        "emails compare case-insensitively: {dup_case:?}"
    );

    let list = helpdesk(&db, &["user", "list"], None);
    assert!(list.ok(), "{list:?}");
    assert!(
        list.stdout.contains("ana@example.com\tagent\tactive\tAna"),
        "list shows Ana: {list:?}"
    );
    assert!(
        !list.stdout.contains("bob@example.com"),
        "the refused account was not created: {list:?}"
    );
    assert_eq!(list.stdout.lines().count(), 1, "{list:?}");

    let server = Server::start(&db);
    assert_login_fails(&server, "ana@example.com", "wrong-password-0");
    let session = assert_login_works(&server, "ana@example.com", "ana-password-1");

    let passwd = helpdesk(
        &db,
        &["user", "passwd", "ana@example.com", "--password-stdin"],
        Some("ana-new-password-2\n"),
    );
    assert!(passwd.ok(), "{passwd:?}");
    // The change ends the session that was open before it.
    let res = call(session.get(&server.url("/staff/tickets")).call());
    assert_eq!(res.status(), 303, "the old session is over");
    assert!(
        res.header("Location")
            .unwrap_or("")
            .starts_with("/staff/login"),
        "back to the login form"
    );
    assert_login_fails(&server, "ana@example.com", "ana-password-1");
    assert_login_works(&server, "ana@example.com", "ana-new-password-2");

    let short = helpdesk(
        &db,
        &["user", "passwd", "ana@example.com", "--password-stdin"],
        Some("tiny\n"),
    );
    assert!(
        !short.ok() && short.stderr.contains("at least 10 characters"),
        "{short:?}"
    );
    let nobody = helpdesk(
        &db,
        &["user", "passwd", "nobody@example.com", "--password-stdin"],
        Some("long-enough-pw\n"),
    );
    assert!(
        !nobody.ok() && nobody.stderr.contains("nobody@example.com"),
        "{nobody:?}"
    );
    assert_login_works(&server, "ana@example.com", "ana-new-password-2");
}

#[test]
fn backup_while_serving_then_restore_after_stopping() {
    let dir = tempfile::tempdir().expect("temp dir");
    let db = dir.path().join("helpdesk.db");
    let backup = dir.path().join("backup.db");
    let attachment: &[u8] = b"router log line 1\nrouter log line 2\n";

    let server = Server::start(&db);
    let browser = server::agent();
    let a = submit_ticket(
        &browser,
        &server,
        "Ticket A before the backup",
        Some(("router.txt", attachment)),
    );

    let run = helpdesk(&db, &["backup", backup.to_str().expect("utf-8")], None);
    assert!(run.ok(), "backup while the server runs: {run:?}");
    assert!(run.stdout.contains("1 tickets) in "), "{run:?}");
    assert!(
        run.stderr.contains("backup: 100% ("),
        "the copy says how far it is: {run:?}"
    );
    {
        let copy = open_ro(&backup);
        assert_eq!(integrity(&copy), "ok");
        assert_eq!(count(&copy, "SELECT COUNT(*) FROM tickets"), 1);
    }
    assert!(
        !dir.path().join("backup.db-wal").exists(),
        "the backup is one self-contained file"
    );
    let size = std::fs::metadata(&backup).expect("backup file").len();

    let b = submit_ticket(&browser, &server, "Ticket B after the backup", None);
    let again = helpdesk(&db, &["backup", backup.to_str().expect("utf-8")], None);
    assert!(!again.ok(), "backup refuses to overwrite: {again:?}");
    assert!(again.stderr.contains("already exists"), "{again:?}");
    assert_eq!(
        std::fs::metadata(&backup).expect("backup file").len(),
        size,
        "the old backup is untouched"
    );
    assert_eq!(count(&open_ro(&backup), "SELECT COUNT(*) FROM tickets"), 1);

    let busy = helpdesk(
        &db,
        &["restore", backup.to_str().expect("utf-8"), "--yes"],
        None,
    );
    assert!(
        !busy.ok(),
        "restore refuses while the server runs: {busy:?}"
    );
    assert!(busy.stderr.contains("in use"), "{busy:?}");
    // The refused restore changed nothing: B is still there for the running server.
    let page = call(browser.get(&server.url(&format!("/tickets/{b}"))).call());
    assert_eq!(page.status(), 200);
    assert!(
        page.into_string()
            .expect("body")
            .contains("Ticket B after the backup")
    );

    stop(server);

    let unconfirmed = helpdesk(&db, &["restore", backup.to_str().expect("utf-8")], None);
    assert!(
        !unconfirmed.ok() && unconfirmed.stderr.contains("--yes"),
        "restore asks for --yes: {unconfirmed:?}"
    );
    let restored = helpdesk(
        &db,
        &["restore", backup.to_str().expect("utf-8"), "--yes"],
        None,
    );
    assert!(restored.ok(), "{restored:?}");
    {
        let conn = open_ro(&db);
        assert_eq!(integrity(&conn), "ok");
        let has = |tid: &str| {
            count(
                &conn,
                &format!("SELECT COUNT(*) FROM tickets WHERE tracking_id = '{tid}'"),
            )
        };
        assert_eq!(has(&a), 1, "ticket A is back");
        assert_eq!(has(&b), 0, "ticket B, made after the backup, is gone");
        let data: Vec<u8> = conn
            .query_row(
                "SELECT a.data FROM attachments a JOIN tickets t ON t.id = a.ticket_id WHERE t.tracking_id = ?1",
                [&a],
                |r| r.get(0),
            )
            .expect("ticket A's attachment is back");
        assert_eq!(data, attachment);
    }
    let check = helpdesk(&db, &["check"], None);
    assert!(
        check.ok() && check.stdout.contains("integrity: ok (checked in "),
        "{check:?}"
    );
    assert!(
        check.stderr.contains("check: reading all ") && check.stderr.contains("integrity read in"),
        "the check says what it reads: {check:?}"
    );

    // The restarted server shows A (same cookie key, restored too) and knows nothing of B.
    let server = Server::start(&db);
    let page = call(browser.get(&server.url(&format!("/tickets/{a}"))).call());
    assert_eq!(page.status(), 200);
    let body = page.into_string().expect("body");
    assert!(
        body.contains("Ticket A before the backup") && body.contains("router.txt"),
        "ticket A with its file"
    );
    let page = call(browser.get(&server.url(&format!("/tickets/{b}"))).call())
        .into_string()
        .expect("body");
    assert!(
        !page.contains("Ticket B after the backup"),
        "ticket B is not served after the restore"
    );
}

#[test]
fn check_reports_integrity_and_bad_settings_stop_every_command() {
    let dir = tempfile::tempdir().expect("temp dir");
    let db = dir.path().join("helpdesk.db");
    let created = helpdesk(&db, &["user", "list"], None);
    assert!(created.ok(), "{created:?}");
    let check = helpdesk(&db, &["check"], None);
    assert!(check.ok(), "{check:?}");
    assert!(check.stdout.contains("integrity: ok"), "{check:?}");

    let fresh = dir.path().join("never-created.db");
    let bad = [
        ("HELPDESK_MAX_UPLOAD_MB", "0"),
        ("HELPDESK_BCRYPT_COST", "99"),
    ];
    let backup = dir.path().join("bad-config-backup.db");
    let commands: [&[&str]; 6] = [
        &["check"],
        &["user", "list"],
        &["backup", backup.to_str().expect("utf-8")],
        &["demo", "--tickets", "1"],
        &["serve", "--bind", "127.0.0.1:0"],
        &[],
    ];
    for args in commands {
        let run = helpdesk_env(&fresh, args, None, &bad);
        assert_eq!(
            run.code,
            Some(2),
            "{args:?} with bad settings exits with 2: {run:?}"
        );
        let lines: Vec<&str> = run.stderr.lines().collect();
        let upload = lines.iter().filter(|l| l.contains("max_upload_mb")).count();
        let cost = lines.iter().filter(|l| l.contains("bcrypt_cost")).count();
        assert_eq!(
            (upload, cost),
            (1, 1),
            "one message for each bad key: {run:?}"
        );
        assert!(
            !lines
                .iter()
                .any(|l| l.contains("max_upload_mb") && l.contains("bcrypt_cost")),
            "the two problems are separate messages: {run:?}"
        );
        assert!(
            !fresh.exists(),
            "{args:?} with bad settings touched no database"
        );
        assert!(
            !backup.exists(),
            "{args:?} with bad settings wrote no backup"
        );
    }
}

#[test]
fn demo_fills_the_database_with_tickets_messages_categories_and_agents() {
    let dir = tempfile::tempdir().expect("temp dir");
    let db = dir.path().join("helpdesk.db");
    let run = helpdesk(&db, &["demo", "--tickets", "2000"], None);
    assert!(run.ok(), "{run:?}");
    {
        let conn = open_ro(&db);
        assert_eq!(count(&conn, "SELECT COUNT(*) FROM tickets"), 2000);
        assert_eq!(
            count(
                &conn,
                "SELECT COUNT(*) FROM tickets t WHERE NOT EXISTS (SELECT 1 FROM messages m WHERE m.ticket_id = t.id)"
            ),
            0,
            "every ticket has its first message"
        );
        assert!(
            count(&conn, "SELECT COUNT(*) FROM messages") > 2000,
            "some tickets have replies"
        );
        assert_eq!(
            count(
                &conn,
                "SELECT COUNT(*) FROM tickets t WHERE message_count != (SELECT COUNT(*) FROM messages m WHERE m.ticket_id = t.id)"
            ),
            0,
            "message counts match the messages"
        );
        // The auto-close job has no backlog on a fresh demo desk: resolved tickets older than
        // its 7 days were closed, as the desk would have done.
        assert_eq!(
            count(
                &conn,
                "SELECT COUNT(*) FROM tickets t JOIN statuses s ON s.id = t.status_id
                 WHERE s.slug = 'resolved' AND t.updated_at < strftime('%s', 'now') - 7 * 86400"
            ),
            0,
            "no resolved ticket is left for auto-close"
        );
        assert!(
            count(
                &conn,
                "SELECT COUNT(*) FROM tickets t JOIN statuses s ON s.id = t.status_id WHERE s.slug = 'resolved'"
            ) > 0,
            "recently resolved tickets stay resolved"
        );
        assert!(
            count(
                &conn,
                "SELECT COUNT(*) FROM categories WHERE name = 'Printers'"
            ) == 1,
            "demo categories exist"
        );
        assert!(
            count(&conn, "SELECT COUNT(DISTINCT category_id) FROM tickets") >= 5,
            "tickets spread over categories"
        );
        assert_eq!(
            count(
                &conn,
                "SELECT COUNT(*) FROM staff WHERE role = 'agent' AND active = 1"
            ),
            4
        );
        assert!(
            count(
                &conn,
                "SELECT COUNT(*) FROM tickets WHERE assignee_id IS NOT NULL"
            ) > 1000,
            "tickets are assigned"
        );
        assert!(count(&conn, "SELECT COUNT(*) FROM category_agents") > 0);
    }
    let check = helpdesk(&db, &["check"], None);
    assert!(check.ok(), "{check:?}");
    assert!(
        check.stdout.contains("integrity: ok") && check.stdout.contains("tickets: 2000"),
        "{check:?}"
    );

    // Each demo agent has its own random password, printed once; none shares a fixed one.
    let passwords: Vec<String> = DEMO_AGENTS
        .iter()
        .map(|email| demo_password(&run, email))
        .collect();
    let distinct: std::collections::BTreeSet<&String> = passwords.iter().collect();
    assert_eq!(distinct.len(), DEMO_AGENTS.len(), "{run:?}");
    assert!(
        passwords.iter().all(|p| p.len() >= 10),
        "passwords long enough: {run:?}"
    );
    assert!(!run.stdout.contains("demo-password"), "{run:?}");
    // A demo agent can log in with the printed password and work the desk.
    let server = Server::start(&db);
    assert_login_fails(&server, "marta@demo.example", "demo-password");
    assert_login_fails(&server, "marta@demo.example", &passwords[1]);
    let agent = assert_login_works(&server, "marta@demo.example", &passwords[0]);
    let desk = call(agent.get(&server.url("/staff/tickets")).call())
        .into_string()
        .expect("body");
    assert!(
        desk.contains("Marta Ruiz"),
        "the desk shows the logged-in agent"
    );
}

const DEMO_AGENTS: [&str; 4] = [
    "marta@demo.example",
    "tom@demo.example",
    "aisha@demo.example",
    "luis@demo.example",
];

/// The password `helpdesk demo` printed for `email`, on its one line `  EMAIL  PASSWORD`.
fn demo_password(run: &Run, email: &str) -> String {
    let lines: Vec<&str> = run
        .stdout
        .lines()
        .filter(|l| l.split_whitespace().next() == Some(email))
        .collect();
    assert_eq!(lines.len(), 1, "{email} printed once: {run:?}");
    let words: Vec<&str> = lines[0].split_whitespace().collect();
    assert_eq!(words.len(), 2, "email and password: {run:?}");
    words[1].to_string()
}

/// A database with real tickets is not mixed with demo data, unless `--force` says so; a
/// database holding only demo data takes more, and the demo agents there keep their passwords.
#[test]
fn demo_refuses_a_database_with_real_tickets_unless_forced() {
    let dir = tempfile::tempdir().expect("temp dir");
    let db = dir.path().join("helpdesk.db");
    let first = helpdesk(&db, &["demo", "--tickets", "20", "--articles", "1"], None);
    assert!(first.ok(), "{first:?}");
    let marta = demo_password(&first, "marta@demo.example");
    // Only demo tickets so far: more demo data is welcome, and existing agents are left as they are.
    let again = helpdesk(&db, &["demo", "--tickets", "5", "--articles", "1"], None);
    assert!(again.ok(), "{again:?}");
    assert!(
        again
            .stdout
            .contains("marta@demo.example  (account already there, password unchanged)"),
        "{again:?}"
    );
    assert!(!again.stdout.contains(&marta), "{again:?}");
    {
        let conn = open_ro(&db);
        assert_eq!(count(&conn, "SELECT COUNT(*) FROM tickets"), 25);
        assert_eq!(
            count(&conn, "SELECT COUNT(*) FROM staff WHERE role = 'agent'"),
            4
        );
    }

    // A real ticket, from a real requester.
    let mail = "From: Carla <carla@example.com>\r\nTo: help@desk.example.com\r\n\
                Subject: Real problem\r\nMessage-ID: <real-1@example.com>\r\n\
                Date: Mon, 3 Feb 2025 10:00:00 +0000\r\n\
                Content-Type: text/plain; charset=utf-8\r\n\r\nMy screen is black.\r\n";
    let piped = helpdesk(&db, &["mail", "pipe"], Some(mail));
    assert!(piped.ok(), "{piped:?}");
    let refused = helpdesk(&db, &["demo", "--tickets", "5", "--articles", "1"], None);
    assert_eq!(refused.code, Some(1), "{refused:?}");
    assert!(
        refused.stderr.contains("not demo data") && refused.stderr.contains("--force"),
        "a clear message: {refused:?}"
    );
    assert!(!refused.stdout.contains("@demo.example"), "{refused:?}");
    {
        let conn = open_ro(&db);
        assert_eq!(
            count(&conn, "SELECT COUNT(*) FROM tickets"),
            26,
            "nothing added"
        );
    }
    let forced = helpdesk(
        &db,
        &["demo", "--tickets", "5", "--articles", "1", "--force"],
        None,
    );
    assert!(forced.ok(), "{forced:?}");
    let conn = open_ro(&db);
    assert_eq!(count(&conn, "SELECT COUNT(*) FROM tickets"), 31);
}

/// The server's own diagnostics go through Rocket's logger, which prints them on standard output
/// at log_level critical (errors and warnings) and normal (information too).
#[test]
fn the_server_logs_its_warnings_at_critical_and_normal() {
    let dir = tempfile::tempdir().expect("temp dir");
    let db = dir.path().join("helpdesk.db");
    let _first = Server::start(&db);
    for level in ["critical", "normal"] {
        // A second server on the same database waits for the first one's mail sending: a warning.
        let second = Server::start_with(
            &db,
            server::free_port(),
            &[("HELPDESK_LOG_LEVEL", level.to_string())],
        );
        let line = second.wait_for_output("another process runs mail_send");
        assert!(
            line.starts_with("Warning: jobs: another process runs mail_send for "),
            "at {level}: {line:?}"
        );
    }
}
