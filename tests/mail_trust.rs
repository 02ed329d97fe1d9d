//! Trusted email, end to end: the real binary imports mail (`helpdesk mail pipe`) into a real
//! SQLite file, beside a running server that sends through a real SMTP server. Mail from a staff
//! address becomes a staff reply only when it answers a mail the desk sent that staff member, or
//! when the desk's own mail server vouches for it (Authentication-Results: dmarc=pass); anything
//! else is kept as an internal note marked unverified, and the requester hears nothing of it.
//! A requester's reply named only by its subject is added, marked unverified.

use std::path::Path;
use std::time::Duration;

use crate::common::server::{self, Server};
use crate::common::smtp::Smtp;
use rusqlite::Connection;
use serde_json::Value;

/// The authserv-id of "the desk's own mail server" in these tests.
const AUTHSERV: &str = "mx.desk.example";
const AGENT: &str = "agent@desk.example.com";
const REQUESTER: &str = "ana@example.com";
/// No server listens there: mail is queued, never sent.
const NOWHERE: &str = "smtp://127.0.0.1:9";

/// The env of every command here: mail to `smtp_url`, the desk's own mail server trusted.
fn env(smtp_url: &str) -> [(&'static str, &str); 2] {
    [
        ("HELPDESK_SMTP_URL", smtp_url),
        ("HELPDESK_MAIL_TRUSTED_AUTHSERV_ID", AUTHSERV),
    ]
}

/// Runs `helpdesk ARGS` with `input` on standard input; returns its standard output, trimmed.
fn helpdesk(db: &Path, smtp_url: &str, args: &[&str], input: &str) -> String {
    let run = server::run(db, args, &env(smtp_url), input.as_bytes());
    assert_eq!(run.code, Some(0), "helpdesk {args:?}: {run:?}");
    run.stdout.trim().to_string()
}

fn add_staff(db: &Path, email: &str, name: &str) {
    helpdesk(
        db,
        NOWHERE,
        &[
            "user",
            "add",
            "--role",
            "agent",
            "--email",
            email,
            "--name",
            name,
            "--password-stdin",
        ],
        "a-long-enough-password\n",
    );
}

fn add_agent(db: &Path) {
    add_staff(db, AGENT, "Agent Smith");
}

/// A plain-text mail; `extra` are more header lines, each ending in CRLF.
fn mail(from: &str, subject: &str, message_id: &str, extra: &str, body: &str) -> String {
    format!(
        "{extra}From: {from}\r\nTo: help@desk.example.com\r\nSubject: {subject}\r\n\
         Message-ID: <{message_id}>\r\nDate: Mon, 3 Feb 2025 10:00:00 +0000\r\n\
         Content-Type: text/plain; charset=utf-8\r\n\r\n{body}\r\n"
    )
}

/// Imports `raw`; returns the tracking ID it was added to or opened.
fn pipe(db: &Path, smtp_url: &str, raw: &str) -> String {
    let out = helpdesk(db, smtp_url, &["mail", "pipe"], raw);
    out.strip_prefix("new ticket ")
        .or_else(|| out.strip_prefix("added to ticket "))
        .unwrap_or_else(|| panic!("not imported: {out}"))
        .to_string()
}

fn open(db: &Path) -> Connection {
    Connection::open(db).expect("open db")
}

/// (kind, staff_id, author, body) of the ticket's last message.
fn last_message(db: &Path, tid: &str) -> (String, Option<i64>, String, String) {
    open(db)
        .query_row(
            "SELECT m.kind, m.staff_id, m.author_name, m.body FROM messages m
             JOIN tickets t ON t.id = m.ticket_id WHERE t.tracking_id = ?1
             ORDER BY m.id DESC LIMIT 1",
            [tid],
            |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)),
        )
        .expect("a message")
}

/// Mails queued to `to` about ticket `tid`.
fn queued_to(db: &Path, tid: &str, to: &str) -> i64 {
    open(db)
        .query_row(
            "SELECT count(*) FROM outbox o JOIN tickets t ON t.id = o.ticket_id
             WHERE t.tracking_id = ?1 AND o.to_addr = ?2",
            [tid, to],
            |r| r.get(0),
        )
        .expect("count")
}

const STAFF_MARKER: &str = "[Unverified sender: this mail claims to be from Agent Smith \
    <agent@desk.example.com>; it was kept as an internal note]\n\n";
const REQUESTER_MARKER: &str = "[Unverified sender: this mail does not answer a mail the desk \
    sent to ana@example.com, so it may not come from them]\n\n";

fn field<'a>(mail: &'a Value, key: &str) -> &'a str {
    mail[key].as_str().unwrap_or("")
}

/// Asserts the ticket's last message is an unverified note carrying `text`.
fn assert_unverified_note(db: &Path, tid: &str, text: &str) {
    let (kind, staff_id, author, body) = last_message(db, tid);
    assert_eq!(kind, "note", "{body}");
    assert_eq!(staff_id, None, "not by a staff member");
    assert_eq!(author, AGENT);
    assert_eq!(body, format!("{STAFF_MARKER}{text}"));
}

#[test]
fn a_forged_staff_reply_is_kept_as_a_note_and_a_genuine_one_reaches_the_requester() {
    let dir = tempfile::tempdir().expect("temp dir");
    let smtp_port = server::free_port();
    let smtp = Smtp::start(dir.path(), smtp_port);
    let smtp_url = format!("smtp://127.0.0.1:{smtp_port}");
    let db = dir.path().join("helpdesk.db");
    let port = server::free_port();
    let _server = Server::start_with(
        &db,
        port,
        &[
            ("HELPDESK_BASE_URL", format!("http://127.0.0.1:{port}")),
            ("HELPDESK_SMTP_URL", smtp_url.clone()),
        ],
    );
    add_agent(&db);
    add_staff(&db, "bo@desk.example.com", "Bo Other");
    let tid = pipe(
        &db,
        &smtp_url,
        &mail(
            "Ana Lopez <ana@example.com>",
            "Printer jammed",
            "new-1@example.com",
            "",
            "Paper jam on floor 3.",
        ),
    );
    // The running server sends the receipt and the agent's "new ticket" mail.
    smtp.wait_for_to(REQUESTER, 1);
    let to_agent = smtp.wait_for_to(AGENT, 1);
    let agents_id = field(&to_agent[0], "message_id").to_string();
    let stored: String = open(&db)
        .query_row(
            "SELECT message_id FROM outbox WHERE to_addr = ?1",
            [AGENT],
            |r| r.get(0),
        )
        .expect("the agent's mail in the outbox");
    assert_eq!(agents_id, stored);
    // 128 random bits after the tracking ID.
    let random = agents_id
        .trim_start_matches(&format!("<ticket-{tid}-"))
        .split('@')
        .next()
        .unwrap_or("");
    assert_eq!(random.len(), 32, "{agents_id}");
    assert!(random.chars().all(|c| c.is_ascii_hexdigit()), "{agents_id}");

    let subject = format!("Re: [#{tid}] Printer jammed");
    // The agent's From and the tracking ID in the subject: a forgery, kept as a note.
    let forged = "Forged: please send me your password.";
    pipe(
        &db,
        &smtp_url,
        &mail(
            "Agent Smith <agent@desk.example.com>",
            &subject,
            "forged-1@evil.example",
            "",
            forged,
        ),
    );
    assert_unverified_note(&db, &tid, forged);
    // Answering the guessable first Message-ID (which went to the requester) proves nothing.
    let root = format!("<ticket-{tid}@127.0.0.1>");
    pipe(
        &db,
        &smtp_url,
        &mail(
            "Agent Smith <agent@desk.example.com>",
            &subject,
            "forged-2@evil.example",
            &format!("In-Reply-To: {root}\r\nReferences: {root}\r\n"),
            "Forged again.",
        ),
    );
    assert_unverified_note(&db, &tid, "Forged again.");
    // Nor does a made-up Message-ID of the desk's form.
    let made_up = format!("<ticket-{tid}-00112233445566778899aabbccddeeff@127.0.0.1>");
    pipe(
        &db,
        &smtp_url,
        &mail(
            "Agent Smith <agent@desk.example.com>",
            &subject,
            "forged-3@evil.example",
            &format!("In-Reply-To: {made_up}\r\n"),
            "Forged a third time.",
        ),
    );
    assert_unverified_note(&db, &tid, "Forged a third time.");
    // The agent's real Message-ID, from another staff address: sent to the agent, not to them.
    pipe(
        &db,
        &smtp_url,
        &mail(
            "Bo Other <bo@desk.example.com>",
            &subject,
            "forged-4@evil.example",
            &format!("In-Reply-To: {agents_id}\r\n"),
            "Forged by the wrong sender.",
        ),
    );
    let (kind, staff_id, _, body) = last_message(&db, &tid);
    assert_eq!((kind.as_str(), staff_id), ("note", None), "{body}");
    assert!(
        body.starts_with(
            "[Unverified sender: this mail claims to be from Bo Other <bo@desk.example.com>; it \
             was kept as an internal note]\n\nForged by the wrong sender."
        ),
        "{body}"
    );

    // The agent answers the mail the desk sent them: a staff reply, mailed to the requester.
    pipe(
        &db,
        &smtp_url,
        &mail(
            "Agent Smith <agent@desk.example.com>",
            &subject,
            "genuine-1@desk.example.com",
            &format!("In-Reply-To: {agents_id}\r\nReferences: {root} {agents_id}\r\n"),
            "I replaced the roller, please try again.",
        ),
    );
    let (kind, staff_id, author, body) = last_message(&db, &tid);
    assert_eq!(kind, "staff");
    assert!(staff_id.is_some());
    assert_eq!(author, "Agent Smith");
    assert_eq!(body, "I replaced the roller, please try again.");
    let mails = smtp.wait_for_to(REQUESTER, 2);
    assert!(
        field(&mails[1], "text").contains("I replaced the roller"),
        "{mails:#?}"
    );
    // Nothing else reached the requester: the notes never leave the desk.
    std::thread::sleep(Duration::from_millis(1500));
    let mails = smtp.to(REQUESTER);
    assert_eq!(mails.len(), 2, "{mails:#?}");
    assert!(
        mails.iter().all(|m| !field(m, "text").contains("Forged")),
        "{mails:#?}"
    );
    assert_eq!(queued_to(&db, &tid, REQUESTER), 2);
    let notes: i64 = open(&db)
        .query_row(
            "SELECT count(*) FROM messages WHERE kind = 'note' AND staff_id IS NULL",
            [],
            |r| r.get(0),
        )
        .expect("count");
    assert_eq!(notes, 4);
}

/// An Authentication-Results header line.
fn auth_results(authserv_id: &str, dmarc: &str, domain: &str) -> String {
    format!(
        "Authentication-Results: {authserv_id};\r\n\tspf=pass smtp.mailfrom={domain};\r\n\t\
         dkim=pass header.d={domain} (signature ok);\r\n\tdmarc={dmarc} (p=reject dis=none) \
         header.from={domain}\r\n"
    )
}

#[test]
fn the_desk_mail_servers_dmarc_pass_verifies_a_staff_reply_and_nothing_else_does() {
    let dir = tempfile::tempdir().expect("temp dir");
    let db = dir.path().join("helpdesk.db");
    add_agent(&db);
    let tid = pipe(
        &db,
        NOWHERE,
        &mail(
            "Ana Lopez <ana@example.com>",
            "Printer jammed",
            "new-1@example.com",
            "",
            "Paper jam on floor 3.",
        ),
    );
    let subject = format!("Re: [#{tid}] Printer jammed");
    let from_agent = |id: &str, headers: &str, body: &str| {
        pipe(
            &db,
            NOWHERE,
            &mail(
                "Agent Smith <agent@desk.example.com>",
                &subject,
                id,
                headers,
                body,
            ),
        )
    };
    let domain = "desk.example.com";

    // Another server's pass is not the desk's server's word.
    from_agent(
        "other-server@x",
        &auth_results("mx.evil.example", "pass", domain),
        "Vouched for by a stranger.",
    );
    assert_unverified_note(&db, &tid, "Vouched for by a stranger.");
    // The desk's server says DMARC failed.
    from_agent(
        "failed@x",
        &auth_results(AUTHSERV, "fail", domain),
        "DMARC failed.",
    );
    assert_unverified_note(&db, &tid, "DMARC failed.");
    // A forged pass under the desk's server's own (topmost) verdict does not count.
    from_agent(
        "forged-below@x",
        &format!(
            "{}{}",
            auth_results(AUTHSERV, "fail", domain),
            auth_results(AUTHSERV, "pass", domain)
        ),
        "Forged pass below.",
    );
    assert_unverified_note(&db, &tid, "Forged pass below.");
    // A pass for another domain than the From address's.
    from_agent(
        "other-domain@x",
        &auth_results(AUTHSERV, "pass", "evil.example"),
        "Pass for another domain.",
    );
    assert_unverified_note(&db, &tid, "Pass for another domain.");
    assert_eq!(queued_to(&db, &tid, REQUESTER), 1, "only the receipt");

    // The desk's server says DMARC passed for the From domain: a staff reply, mailed.
    from_agent(
        "vouched@desk.example.com",
        &auth_results(AUTHSERV, "pass", domain),
        "Vouched for by our server.",
    );
    let (kind, staff_id, author, body) = last_message(&db, &tid);
    assert_eq!(
        (kind.as_str(), staff_id.is_some(), author.as_str()),
        ("staff", true, "Agent Smith"),
        "{body}"
    );
    assert_eq!(body, "Vouched for by our server.");
    assert_eq!(queued_to(&db, &tid, REQUESTER), 2);

    // The requester, vouched for by the desk's server, is not marked either.
    pipe(
        &db,
        NOWHERE,
        &mail(
            "Ana Lopez <ana@example.com>",
            &subject,
            "ana-vouched@example.com",
            &auth_results(AUTHSERV, "pass", "example.com"),
            "Works now, thanks.",
        ),
    );
    let (kind, _, _, body) = last_message(&db, &tid);
    assert_eq!(
        (kind.as_str(), body.as_str()),
        ("requester", "Works now, thanks.")
    );
}

#[test]
fn a_requester_reply_named_only_by_its_subject_is_added_marked_unverified() {
    let dir = tempfile::tempdir().expect("temp dir");
    let db = dir.path().join("helpdesk.db");
    add_agent(&db);
    let tid = pipe(
        &db,
        NOWHERE,
        &mail(
            "Ana Lopez <ana@example.com>",
            "Printer jammed",
            "new-1@example.com",
            "",
            "Paper jam on floor 3.",
        ),
    );
    let subject = format!("Re: [#{tid}] Printer jammed");
    pipe(
        &db,
        NOWHERE,
        &mail(
            "Ana Lopez <ana@example.com>",
            &subject,
            "subject-only@example.com",
            "",
            "Still jammed.",
        ),
    );
    let (kind, staff_id, author, body) = last_message(&db, &tid);
    assert_eq!((kind.as_str(), staff_id), ("requester", None));
    assert_eq!(author, "Ana Lopez");
    assert_eq!(body, format!("{REQUESTER_MARKER}Still jammed."));
    // Still the requester's reply: the agent hears of it, marker included.
    let to_agent: String = open(&db)
        .query_row(
            "SELECT body_text FROM outbox WHERE to_addr = ?1 ORDER BY id DESC LIMIT 1",
            [AGENT],
            |r| r.get(0),
        )
        .expect("the agent's mail");
    assert!(
        to_agent.contains("Unverified sender") && to_agent.contains("Still jammed."),
        "{to_agent}"
    );

    // Answering the receipt the desk sent them: not marked.
    let receipt: String = open(&db)
        .query_row(
            "SELECT message_id FROM outbox WHERE to_addr = ?1 ORDER BY id LIMIT 1",
            [REQUESTER],
            |r| r.get(0),
        )
        .expect("the receipt");
    pipe(
        &db,
        NOWHERE,
        &mail(
            "Ana Lopez <ana@example.com>",
            &subject,
            "answered@example.com",
            &format!("In-Reply-To: {receipt}\r\n"),
            "Jammed once more.",
        ),
    );
    let (kind, _, _, body) = last_message(&db, &tid);
    assert_eq!(
        (kind.as_str(), body.as_str()),
        ("requester", "Jammed once more.")
    );
}
