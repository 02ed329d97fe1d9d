//! Incoming mail by IMAP, end to end: a real Dovecot on loopback (tests/common/dovecot.rs), mail
//! placed in it by IMAP APPEND, and the real binary polling it (`helpdesk mail fetch --once`,
//! or `helpdesk serve` by itself) into a real SQLite file.

use std::path::Path;
use std::process::Command;
use std::time::{Duration, Instant};

use crate::common::dovecot::{Dovecot, USER};
use crate::common::server::{self, Run, Server};
use rusqlite::Connection;

const KEYWORD: &str = "$HelpdeskImported";

/// `helpdesk --db DB mail fetch --once` with `env` (on top of defaults; inherited HELPDESK_*
/// variables are dropped). Mail is enabled so notifications are queued (never sent).
fn fetch_once(db: &Path, env: &[(&str, String)]) -> Run {
    let mut cmd = Command::new(server::binary());
    for (key, _) in std::env::vars() {
        if key.starts_with("HELPDESK_") {
            cmd.env_remove(key);
        }
    }
    let out = cmd
        .arg("--db")
        .arg(db)
        .args(["mail", "fetch", "--once"])
        .env("HELPDESK_BCRYPT_COST", "4")
        .env("HELPDESK_LOG_LEVEL", "off")
        .env("HELPDESK_SMTP_URL", "smtp://127.0.0.1:9")
        .envs(env.iter().map(|(k, v)| (*k, v.as_str())))
        .output()
        .expect("run helpdesk");
    Run {
        code: out.status.code(),
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
    }
}

/// A successful `fetch --once`; returns its summary line.
fn fetch_ok(db: &Path, dovecot: &Dovecot) -> String {
    let run = fetch_once(db, &dovecot.env());
    assert_eq!(run.code, Some(0), "{run:?}");
    run.stdout.trim().to_string()
}

fn count(db: &Path, sql: &str) -> i64 {
    Connection::open(db)
        .expect("open db")
        .query_row(sql, [], |r| r.get(0))
        .expect("count")
}

/// (tracking id, subject, requester name, requester email) of every ticket, oldest first.
fn tickets(db: &Path) -> Vec<(String, String, String, String)> {
    let conn = Connection::open(db).expect("open db");
    let mut stmt = conn
        .prepare(
            "SELECT tracking_id, subject, requester_name, requester_email FROM tickets
             ORDER BY id",
        )
        .expect("prepare");
    stmt.query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)))
        .expect("query")
        .collect::<rusqlite::Result<Vec<_>>>()
        .expect("rows")
}

/// (kind, body) of a ticket's messages, oldest first.
fn messages(db: &Path, tid: &str) -> Vec<(String, String)> {
    let conn = Connection::open(db).expect("open db");
    let mut stmt = conn
        .prepare(
            "SELECT m.kind, m.body FROM messages m JOIN tickets t ON t.id = m.ticket_id
             WHERE t.tracking_id = ?1 ORDER BY m.id",
        )
        .expect("prepare");
    stmt.query_map([tid], |r| Ok((r.get(0)?, r.get(1)?)))
        .expect("query")
        .collect::<rusqlite::Result<Vec<_>>>()
        .expect("rows")
}

fn plain(from: &str, subject: &str, message_id: &str, body: &str) -> Vec<u8> {
    format!(
        "From: {from}\r\nTo: help@desk.example.com\r\nSubject: {subject}\r\n\
         Message-ID: <{message_id}>\r\nDate: Mon, 3 Feb 2025 10:00:00 +0000\r\n\
         Content-Type: text/plain; charset=utf-8\r\n\r\n{body}\r\n"
    )
    .into_bytes()
}

fn processed(flags: &[String]) -> bool {
    flags.iter().any(|f| f == "\\Seen") && flags.iter().any(|f| f == KEYWORD)
}

#[test]
fn a_message_in_the_mailbox_becomes_a_ticket_once() {
    let dovecot = Dovecot::start();
    let dir = tempfile::tempdir().expect("tempdir");
    let db = dir.path().join("h.db");
    dovecot.append(
        "INBOX",
        &plain(
            "Ana Lopez <ana.lopez@example.com>",
            "VPN drops every hour",
            "vpn-1@example.com",
            "The VPN disconnects at ten past every hour.",
        ),
    );
    assert_eq!(dovecot.flags("INBOX"), vec![Vec::<String>::new()]);

    let summary = fetch_ok(&db, &dovecot);
    assert_eq!(
        summary,
        "1 message: 1 ticket, 0 replies, 0 ignored, 0 quarantined"
    );
    let all = tickets(&db);
    assert_eq!(all.len(), 1, "{all:?}");
    let (tid, subject, name, email) = &all[0];
    assert_eq!(
        (subject.as_str(), name.as_str(), email.as_str()),
        ("VPN drops every hour", "Ana Lopez", "ana.lopez@example.com")
    );
    let msgs = messages(&db, tid);
    assert_eq!(msgs.len(), 1);
    assert_eq!(msgs[0].0, "requester");
    assert!(msgs[0].1.contains("ten past every hour"), "{msgs:?}");
    // Marked on the server, and left in the folder (no imap_move_to).
    let flags = dovecot.flags("INBOX");
    assert_eq!(flags.len(), 1);
    assert!(processed(&flags[0]), "{flags:?}");

    // The next poll finds nothing new: not even a duplicate to skip.
    let summary = fetch_ok(&db, &dovecot);
    assert_eq!(
        summary,
        "0 messages: 0 tickets, 0 replies, 0 ignored, 0 quarantined"
    );
    assert_eq!(count(&db, "SELECT COUNT(*) FROM tickets"), 1);
    assert_eq!(count(&db, "SELECT COUNT(*) FROM messages"), 1);
}

#[test]
fn a_reply_with_the_tracking_id_is_added_to_its_ticket() {
    let dovecot = Dovecot::start();
    let dir = tempfile::tempdir().expect("tempdir");
    let db = dir.path().join("h.db");
    dovecot.append(
        "INBOX",
        &plain(
            "Ana Lopez <ana.lopez@example.com>",
            "Printer jammed",
            "jam-1@example.com",
            "Paper jam on floor 3.",
        ),
    );
    fetch_ok(&db, &dovecot);
    let tid = tickets(&db)[0].0.clone();

    dovecot.append(
        "INBOX",
        &plain(
            "Ana Lopez <ana.lopez@example.com>",
            &format!("Re: [#{tid}] Printer jammed"),
            "jam-2@example.com",
            "It is jammed again this morning.",
        ),
    );
    let summary = fetch_ok(&db, &dovecot);
    assert_eq!(
        summary,
        "1 message: 0 tickets, 1 reply, 0 ignored, 0 quarantined"
    );
    assert_eq!(count(&db, "SELECT COUNT(*) FROM tickets"), 1);
    let msgs = messages(&db, &tid);
    // Named by its subject alone, it is added as the requester's reply, marked unverified.
    assert_eq!(
        msgs[1],
        (
            "requester".to_string(),
            "[Unverified sender: this mail does not answer a mail the desk sent to \
             ana.lopez@example.com, so it may not come from them]\n\n\
             It is jammed again this morning."
                .to_string()
        )
    );
    assert!(dovecot.flags("INBOX").iter().all(|f| processed(f)));
}

#[test]
fn auto_replies_and_malformed_mail_are_kept_or_skipped_and_marked() {
    let dovecot = Dovecot::start();
    let dir = tempfile::tempdir().expect("tempdir");
    let db = dir.path().join("h.db");
    let auto = b"From: Frank <frank@example.com>\r\nSubject: Out of office\r\n\
        Auto-Submitted: auto-replied\r\nMessage-ID: <ooo-1@example.com>\r\n\
        Content-Type: text/plain\r\n\r\nI am out of the office until Monday.\r\n";
    // No sender at all: it cannot become a ticket, so it must be quarantined.
    let malformed = b"Subject: who sent this?\r\nMessage-ID: <nofrom-1@example.com>\r\n\r\n\
        Nobody knows.\r\n";
    dovecot.append("INBOX", auto);
    dovecot.append("INBOX", malformed);

    let summary = fetch_ok(&db, &dovecot);
    assert_eq!(
        summary,
        "2 messages: 0 tickets, 0 replies, 1 ignored, 1 quarantined"
    );
    assert_eq!(count(&db, "SELECT COUNT(*) FROM tickets"), 0);
    let raw: Vec<u8> = Connection::open(&db)
        .expect("open db")
        .query_row("SELECT raw FROM mail_quarantine", [], |r| r.get(0))
        .expect("one quarantined message");
    assert_eq!(raw, malformed.to_vec(), "kept byte for byte");
    let flags = dovecot.flags("INBOX");
    assert_eq!(flags.len(), 2);
    assert!(flags.iter().all(|f| processed(f)), "{flags:?}");

    let summary = fetch_ok(&db, &dovecot);
    assert!(summary.starts_with("0 messages:"), "{summary}");
    assert_eq!(count(&db, "SELECT COUNT(*) FROM mail_quarantine"), 1);
}

#[test]
fn imported_mail_is_moved_to_imap_move_to() {
    let dovecot = Dovecot::start();
    let dir = tempfile::tempdir().expect("tempdir");
    let db = dir.path().join("h.db");
    dovecot.append(
        "INBOX",
        &plain(
            "bo@example.com",
            "Monitor flickers",
            "mon-1@example.com",
            "Flickers.",
        ),
    );
    let mut env = dovecot.env();
    env.push(("HELPDESK_IMAP_MOVE_TO", "Helpdesk".into()));
    let run = fetch_once(&db, &env);
    assert_eq!(run.code, Some(0), "{run:?}");
    assert!(run.stdout.starts_with("1 message: 1 ticket,"), "{run:?}");
    assert!(dovecot.flags("INBOX").is_empty());
    let moved = dovecot.flags("Helpdesk");
    assert_eq!(moved.len(), 1);
    assert!(processed(&moved[0]), "{moved:?}");
    assert_eq!(count(&db, "SELECT COUNT(*) FROM tickets"), 1);
    // The poll is recorded as a run of the mail_fetch job, as the server's are.
    assert_eq!(
        count(
            &db,
            "SELECT runs FROM jobs WHERE name = 'mail_fetch' AND last_summary LIKE '1 message%'"
        ),
        1
    );
}

#[test]
fn the_server_polls_the_mailbox_by_itself() {
    let dovecot = Dovecot::start();
    let dir = tempfile::tempdir().expect("tempdir");
    let db = dir.path().join("h.db");
    let mut env = dovecot.env();
    env.push(("HELPDESK_IMAP_INTERVAL_SECS", "1".into()));
    env.push(("HELPDESK_LOG_LEVEL", "normal".into()));
    let server = Server::start_with(&db, server::free_port(), &env);
    dovecot.append(
        "INBOX",
        &plain(
            "Cleo <cleo@example.com>",
            "Cannot log in",
            "login-1@example.com",
            "My account is locked.",
        ),
    );
    let deadline = Instant::now() + Duration::from_secs(20);
    while count(&db, "SELECT COUNT(*) FROM tickets") == 0 {
        assert!(
            Instant::now() < deadline,
            "the server did not import the message"
        );
        std::thread::sleep(Duration::from_millis(100));
    }
    let all = tickets(&db);
    assert_eq!(
        (all[0].1.as_str(), all[0].3.as_str()),
        ("Cannot log in", "cleo@example.com")
    );
    // Marked right after the commit, within the same poll.
    let deadline = Instant::now() + Duration::from_secs(10);
    while !dovecot.flags("INBOX").iter().all(|f| processed(f)) {
        assert!(Instant::now() < deadline, "the message was not marked");
        std::thread::sleep(Duration::from_millis(100));
    }
    // The poll is logged (information, shown at log_level normal).
    let line = server.wait_for_output("mail fetch: ");
    assert!(
        line.starts_with("mail fetch: 1 message: 1 ticket,"),
        "{line:?}"
    );
    // Later polls import nothing more.
    std::thread::sleep(Duration::from_millis(2500));
    assert_eq!(count(&db, "SELECT COUNT(*) FROM tickets"), 1);
    // The server holds the mailbox: a fetch by hand is refused rather than racing it.
    let run = fetch_once(&db, &dovecot.env());
    assert_ne!(run.code, Some(0), "{run:?}");
    assert!(run.stderr.contains("already polls"), "{run:?}");
}

#[test]
fn a_wrong_password_or_no_server_fails_clearly_and_imports_nothing() {
    let dovecot = Dovecot::start();
    let dir = tempfile::tempdir().expect("tempdir");
    let db = dir.path().join("h.db");
    dovecot.append(
        "INBOX",
        &plain("dan@example.com", "Hello", "hello-1@example.com", "Hi."),
    );
    let mut env = dovecot.env();
    env.push(("HELPDESK_IMAP_PASSWORD", "not-the-password".into()));
    let run = fetch_once(&db, &env);
    assert_eq!(run.code, Some(1), "{run:?}");
    assert!(
        run.stderr.contains(&format!(
            "IMAP login as \"{USER}\" on 127.0.0.1:{}",
            dovecot.port
        )) && run.stderr.contains("failed"),
        "{run:?}"
    );
    assert!(run.stdout.is_empty(), "{run:?}");
    assert_eq!(count(&db, "SELECT COUNT(*) FROM tickets"), 0);
    assert_eq!(dovecot.flags("INBOX"), vec![Vec::<String>::new()]);

    // Nothing listening on the port.
    let port = server::free_port();
    let mut env = dovecot.env();
    env.push(("HELPDESK_IMAP_PORT", port.to_string()));
    let run = fetch_once(&db, &env);
    assert_eq!(run.code, Some(1), "{run:?}");
    assert!(
        run.stderr
            .contains(&format!("IMAP server 127.0.0.1:{port}: cannot connect")),
        "{run:?}"
    );
}

#[test]
fn bad_imap_settings_are_refused_with_a_message_per_key() {
    let dir = tempfile::tempdir().expect("tempdir");
    let db = dir.path().join("h.db");
    let run = fetch_once(
        &db,
        &[
            ("HELPDESK_IMAP_HOST", "imaps://mail.example.com".into()),
            ("HELPDESK_IMAP_SECURITY", "ssl".into()),
            ("HELPDESK_IMAP_INTERVAL_SECS", "0".into()),
        ],
    );
    assert_eq!(run.code, Some(2), "{run:?}");
    for key in [
        "imap_host:",
        "imap_security:",
        "imap_interval_secs:",
        "imap_user:",
    ] {
        assert!(run.stderr.contains(key), "{key} in {run:?}");
    }
    // Polling off: fetch says how to turn it on.
    let run = fetch_once(&db, &[]);
    assert_eq!(run.code, Some(1), "{run:?}");
    assert!(run.stderr.contains("set imap_host"), "{run:?}");
}
