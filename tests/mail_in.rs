//! Incoming mail, end to end: messages from `tests/mail_corpus/` (and a few made here) are piped
//! through the real binary (`helpdesk mail pipe`) into a real SQLite file. Every message is
//! imported, ignored or quarantined with exit 0; new mail opens tickets staff can see, replies
//! thread onto their ticket with the quoted history trimmed, automatic mail opens nothing, a
//! message is imported once, and what cannot be imported is kept raw in the quarantine.

use std::path::{Path, PathBuf};

use crate::common::server::{self, Run, Server};
use rusqlite::{Connection, OptionalExtension};

/// `helpdesk --db DB ARGS` with `input` on standard input, mail enabled (queued, never sent).
/// `helpdesk ARGS` with mail queued for a server that never answers.
fn helpdesk(db: &Path, args: &[&str], input: &[u8]) -> Run {
    server::run(
        db,
        args,
        &[("HELPDESK_SMTP_URL", "smtp://127.0.0.1:9")],
        input,
    )
}

fn pipe(db: &Path, raw: &[u8]) -> Run {
    let run = helpdesk(db, &["mail", "pipe"], raw);
    assert_eq!(run.code, Some(0), "mail pipe failed: {run:?}");
    run
}

fn corpus_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/mail_corpus")
}

/// The corpus files, in name order.
fn corpus_names() -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(corpus_dir())
        .expect("corpus")
        .map(|e| e.expect("entry").file_name().to_string_lossy().into_owned())
        .filter(|n| n.ends_with(".eml"))
        .collect();
    names.sort();
    names
}

fn corpus(name: &str) -> Vec<u8> {
    std::fs::read(corpus_dir().join(name)).expect("corpus file")
}

/// A corpus file with `{{TID}}` and `{{MSGID}}` filled in.
fn reply(name: &str, tid: &str, msgid: &str) -> Vec<u8> {
    String::from_utf8(corpus(name))
        .expect("utf-8 corpus file")
        .replace("{{TID}}", tid)
        .replace("{{MSGID}}", msgid)
        .into_bytes()
}

fn tracking_id(run: &Run) -> String {
    let out = run.stdout.trim();
    out.strip_prefix("new ticket ")
        .or_else(|| out.strip_prefix("added to ticket "))
        .unwrap_or_else(|| panic!("no ticket in {run:?}"))
        .to_string()
}

fn open(db: &Path) -> Connection {
    Connection::open(db).expect("open db")
}

fn count(db: &Path, sql: &str) -> i64 {
    open(db).query_row(sql, [], |r| r.get(0)).expect("count")
}

/// (kind, staff_id, author, body) of the ticket's messages, oldest first.
fn messages(db: &Path, tid: &str) -> Vec<(String, Option<i64>, String, String)> {
    let conn = open(db);
    let mut stmt = conn
        .prepare(
            "SELECT m.kind, m.staff_id, m.author_name, m.body FROM messages m
             JOIN tickets t ON t.id = m.ticket_id WHERE t.tracking_id = ?1 ORDER BY m.id",
        )
        .expect("prepare");
    stmt.query_map([tid], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)))
        .expect("query")
        .collect::<rusqlite::Result<Vec<_>>>()
        .expect("rows")
}

/// The Message-ID of the first mail the desk queued to `to` about ticket `tid`.
fn desk_message_id(db: &Path, tid: &str, to: &str) -> String {
    open(db)
        .query_row(
            "SELECT o.message_id FROM outbox o JOIN tickets t ON t.id = o.ticket_id
             WHERE t.tracking_id = ?1 AND o.to_addr = ?2 ORDER BY o.id LIMIT 1",
            [tid, to],
            |r| r.get(0),
        )
        .expect("a mail to them was queued")
}

/// (subject, requester name, requester email) of a ticket.
fn ticket(db: &Path, tid: &str) -> (String, String, String) {
    open(db)
        .query_row(
            "SELECT subject, requester_name, requester_email FROM tickets WHERE tracking_id = ?1",
            [tid],
            |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
        )
        .expect("ticket")
}

#[test]
fn every_corpus_message_is_imported_ignored_or_quarantined() {
    let dir = tempfile::tempdir().expect("tempdir");
    let db = dir.path().join("h.db");
    let names = corpus_names();
    assert!(names.len() >= 30, "corpus has {} messages", names.len());
    let mut outcomes = std::collections::HashMap::new();
    for name in &names {
        let run = pipe(&db, &corpus(name));
        let out = run.stdout.trim().to_string();
        assert!(
            [
                "new ticket ",
                "added to ticket ",
                "ignored: ",
                "quarantined as #"
            ]
            .iter()
            .any(|p| out.starts_with(p)),
            "{name}: {run:?}"
        );
        outcomes.insert(name.clone(), (out, run));
    }
    let outcome = |n: &str| outcomes[n].0.clone();
    for auto in [
        "14_auto_submitted.eml",
        "15_x_autoreply.eml",
        "16_precedence_bulk.eml",
        "17_precedence_auto_reply.eml",
        "18_x_auto_response_suppress.eml",
        "19_bounce_report.eml",
        "20_bounce_report_other_sender.eml",
        "21_from_ourselves.eml",
        "32_postmaster.eml",
    ] {
        assert!(
            outcome(auto).starts_with("ignored: "),
            "{auto}: {}",
            outcome(auto)
        );
    }
    for bad in ["24_no_from.eml", "26_garbage.eml", "34_bad_from.eml"] {
        assert!(
            outcome(bad).starts_with("quarantined as #"),
            "{bad}: {}",
            outcome(bad)
        );
        let id: i64 = outcome(bad)
            .trim_start_matches("quarantined as #")
            .split(':')
            .next()
            .and_then(|n| n.parse().ok())
            .expect("quarantine id");
        let raw: Vec<u8> = open(&db)
            .query_row("SELECT raw FROM mail_quarantine WHERE id = ?1", [id], |r| {
                r.get(0)
            })
            .expect("quarantined row");
        assert_eq!(raw, corpus(bad), "{bad} is kept byte for byte");
    }
    for new in [
        "01_plain.eml",
        "02_alternative.eml",
        "04_html_only.eml",
        "22_broken_boundary.eml",
        "23_missing_headers.eml",
        "25_empty_body.eml",
        "27_unknown_charset.eml",
        "28_disallowed_type.eml",
        "30_attached_message.eml",
        "31_auto_submitted_no.eml",
        "33_headers_only.eml",
        "35_lf_only_long_lines.eml",
    ] {
        assert!(
            outcome(new).starts_with("new ticket "),
            "{new}: {}",
            outcome(new)
        );
    }
    let tid = |n: &str| tracking_id(&outcomes[n].1);

    let (subject, name, email) = ticket(&db, &tid("01_plain.eml"));
    assert_eq!(subject, "Printer on floor 3 is jammed");
    assert_eq!(
        (name.as_str(), email.as_str()),
        ("Ana Lopez", "ana.lopez@example.com")
    );
    assert!(
        messages(&db, &tid("01_plain.eml"))[0]
            .3
            .contains("says paper jam")
    );
    // text/plain wins over HTML; HTML alone becomes readable text.
    let alt = &messages(&db, &tid("02_alternative.eml"))[0].3;
    assert!(
        alt.contains("(plain part)") && !alt.contains("<b>"),
        "{alt}"
    );
    let html = &messages(&db, &tid("04_html_only.eml"))[0].3;
    assert!(html.contains("monitor") && !html.contains("<p>"), "{html}");
    // Charsets and encoded words.
    let (subject, name, _) = ticket(&db, &tid("05_latin1.eml"));
    assert_eq!(
        (subject.as_str(), name.as_str()),
        ("Impresión en español", "José Muñoz")
    );
    assert!(
        messages(&db, &tid("05_latin1.eml"))[0]
            .3
            .contains("año, señal")
    );
    let (subject, name, _) = ticket(&db, &tid("06_windows1252.eml"));
    assert_eq!(subject, "Quotes \u{201c}smart\u{201d} broken");
    assert_eq!(name, "Renée O\u{2019}Neil");
    assert!(
        messages(&db, &tid("06_windows1252.eml"))[0]
            .3
            .contains("euro sign €")
    );
    let (subject, name, _) = ticket(&db, &tid("07_utf8_encoded_words.eml"));
    assert_eq!(
        (subject.as_str(), name.as_str()),
        ("Contraseña caducada 🔑", "Álvaro Gómez")
    );
    assert!(
        messages(&db, &tid("07_utf8_encoded_words.eml"))[0]
            .3
            .contains("¿Me ayudáis?")
    );
    // Missing pieces get defaults; a refused attachment leaves a visible note.
    let (subject, name, _) = ticket(&db, &tid("23_missing_headers.eml"));
    assert_eq!((subject.as_str(), name.as_str()), ("(no subject)", "julia"));
    let exe = &messages(&db, &tid("28_disallowed_type.eml"))[0].3;
    assert!(
        exe.contains("[attachment tool.exe (") && exe.contains("this file type is not allowed]"),
        "{exe}"
    );
    assert_eq!(
        count(
            &db,
            "SELECT COUNT(*) FROM attachments WHERE filename = 'tool.exe'"
        ),
        0
    );
    assert_eq!(
        count(
            &db,
            "SELECT COUNT(*) FROM attachments WHERE filename = 'screenshot.png'"
        ),
        1
    );
    // Every new ticket queued its "request received" mail.
    assert_eq!(
        count(&db, "SELECT COUNT(*) FROM outbox"),
        count(&db, "SELECT COUNT(*) FROM tickets")
    );
}

#[test]
fn replies_thread_onto_their_ticket_as_requester_or_staff() {
    let dir = tempfile::tempdir().expect("tempdir");
    let db = dir.path().join("h.db");
    let added = helpdesk(
        &db,
        &[
            "user",
            "add",
            "--role",
            "agent",
            "--email",
            "agent@desk.example.com",
            "--name",
            "Agent Smith",
            "--password-stdin",
        ],
        b"a-long-enough-password\n",
    );
    assert_eq!(added.code, Some(0), "{added:?}");
    let tid = tracking_id(&pipe(&db, &corpus("01_plain.eml")));
    let root: String = open(&db)
        .query_row(
            "SELECT o.message_id FROM outbox o JOIN tickets t ON t.id = o.ticket_id
             WHERE t.tracking_id = ?1 AND o.in_reply_to IS NULL",
            [&tid],
            |r| r.get(0),
        )
        .expect("notification queued");
    assert_eq!(root, format!("<ticket-{tid}@127.0.0.1>"));

    // Gmail style, threaded by In-Reply-To and subject.
    let run = pipe(&db, &reply("09_reply_gmail.eml", &tid, &root));
    assert_eq!(run.stdout.trim(), format!("added to ticket {tid}"));
    // Outlook style, by the subject tag alone, sender in another case: added, marked unverified.
    let run = pipe(&db, &reply("10_reply_outlook.eml", &tid, &root));
    assert_eq!(run.stdout.trim(), format!("added to ticket {tid}"));
    // A reply on a resolved ticket reopens it (Thunderbird style, In-Reply-To alone, to a
    // later-notification-style Message-ID the desk never sent: threaded, marked unverified).
    open(&db)
        .execute(
            "UPDATE tickets SET status_id = (SELECT id FROM statuses WHERE slug = 'resolved')
             WHERE tracking_id = ?1",
            [&tid],
        )
        .expect("resolve");
    let later = format!("<ticket-{tid}-0123abcd@127.0.0.1>");
    let run = pipe(&db, &reply("11_reply_thunderbird.eml", &tid, &later));
    assert_eq!(run.stdout.trim(), format!("added to ticket {tid}"));
    let status: String = open(&db)
        .query_row(
            "SELECT s.slug FROM tickets t JOIN statuses s ON s.id = t.status_id
             WHERE t.tracking_id = ?1",
            [&tid],
            |r| r.get(0),
        )
        .expect("status");
    assert_eq!(status, "in_progress");
    // By the subject tag alone too: marked unverified.
    let run = pipe(&db, &reply("12_reply_spanish.eml", &tid, &root));
    assert_eq!(run.stdout.trim(), format!("added to ticket {tid}"));
    // From a staff address, answering the notification the desk sent that agent: a staff reply.
    let to_agent = desk_message_id(&db, &tid, "agent@desk.example.com");
    let run = pipe(&db, &reply("13_staff_reply.eml", &tid, &to_agent));
    assert_eq!(run.stdout.trim(), format!("added to ticket {tid}"));
    // An auto-reply to the notification adds nothing and opens nothing.
    let run = pipe(&db, &reply("15_x_autoreply.eml", &tid, &root));
    assert!(run.stdout.starts_with("ignored: "), "{run:?}");

    let msgs = messages(&db, &tid);
    let bodies: Vec<(&str, &str)> = msgs
        .iter()
        .map(|(k, _, _, b)| (k.as_str(), b.as_str()))
        .collect();
    assert_eq!(
        bodies[1..],
        [
            ("requester", "It is jammed again this morning."),
            (
                "requester",
                "[Unverified sender: this mail does not answer a mail the desk sent to \
                 ana.lopez@example.com, so it may not come from them]\n\nOutlook reply text here."
            ),
            (
                "requester",
                "[Unverified sender: this mail does not answer a mail the desk sent to \
                 ana.lopez@example.com, so it may not come from them]\n\nThunderbird reply text."
            ),
            (
                "requester",
                "[Unverified sender: this mail does not answer a mail the desk sent to \
                 ana.lopez@example.com, so it may not come from them]\n\nSigue atascada."
            ),
            ("staff", "I replaced the roller, please try again."),
        ]
    );
    assert_eq!(msgs[1].2, "Ana Lopez");
    assert!(msgs[5].1.is_some(), "staff reply carries the staff id");
    assert_eq!(msgs[5].2, "Agent Smith");
    assert_eq!(count(&db, "SELECT COUNT(*) FROM tickets"), 1);
    // The agent heard of the requester's mailed replies, and the requester of the agent's.
    assert_eq!(
        count(
            &db,
            "SELECT COUNT(*) FROM outbox WHERE to_addr = 'agent@desk.example.com'
             AND subject LIKE '%Requester replied%' AND body_text LIKE '%Sigue atascada.%'"
        ),
        1
    );
    assert_eq!(
        count(
            &db,
            "SELECT COUNT(*) FROM outbox WHERE to_addr = 'ana.lopez@example.com'
             AND subject LIKE '%New reply%' AND body_text LIKE '%I replaced the roller%'"
        ),
        1
    );

    // Someone else answering with the tag opens their own ticket.
    let stranger = String::from_utf8(reply("09_reply_gmail.eml", &tid, &root))
        .expect("utf-8")
        .replace(
            "Ana Lopez <ana.lopez@example.com>",
            "Mallory <mallory@example.com>",
        )
        .replace("reply-gmail-09", "stranger-09");
    let run = pipe(&db, stranger.as_bytes());
    let other = tracking_id(&run);
    assert!(run.stdout.starts_with("new ticket "), "{run:?}");
    assert_ne!(other, tid);
    assert_eq!(ticket(&db, &other).2, "mallory@example.com");
}

#[test]
fn the_same_message_twice_opens_one_ticket() {
    let dir = tempfile::tempdir().expect("tempdir");
    let db = dir.path().join("h.db");
    let first = pipe(&db, &corpus("03_mixed_attachment.eml"));
    let second = pipe(&db, &corpus("03_mixed_attachment.eml"));
    assert!(first.stdout.starts_with("new ticket "), "{first:?}");
    assert!(second.stdout.starts_with("ignored: "), "{second:?}");
    assert_eq!(count(&db, "SELECT COUNT(*) FROM tickets"), 1);
    assert_eq!(count(&db, "SELECT COUNT(*) FROM mail_imports"), 1);
}

#[test]
fn a_mailed_ticket_and_its_attachment_are_visible_to_staff() {
    let dir = tempfile::tempdir().expect("tempdir");
    let db = dir.path().join("h.db");
    let tid = tracking_id(&pipe(&db, &corpus("03_mixed_attachment.eml")));
    let (id, aid, data): (i64, i64, Vec<u8>) = open(&db)
        .query_row(
            "SELECT t.id, a.id, a.data FROM tickets t JOIN attachments a ON a.ticket_id = t.id
             WHERE t.tracking_id = ?1 AND a.filename = 'invoice.pdf'",
            [&tid],
            |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
        )
        .expect("attachment stored");
    assert!(data.starts_with(b"%PDF-1.4"));
    let server = Server::start(&db);
    let password = server
        .startup_output
        .iter()
        .find_map(|l| l.trim().strip_prefix("password:"))
        .expect("first admin password printed")
        .trim()
        .to_string();
    let agent = server::agent();
    let token = server::csrf_from(&agent, &server.url("/staff/login"));
    let res = agent
        .post(&server.url("/staff/login"))
        .send_form(&[
            ("csrf_token", &token),
            ("email", "admin@localhost"),
            ("password", &password),
        ])
        .expect("login");
    assert_eq!(res.status(), 303);
    let page = agent
        .get(&server.url(&format!("/staff/tickets/{id}")))
        .call()
        .expect("ticket page")
        .into_string()
        .expect("body");
    for expected in [
        "Invoice template broken",
        "carla@example.com",
        "prints blank pages",
        "invoice.pdf",
    ] {
        assert!(page.contains(expected), "{expected} missing from the page");
    }
    let res = agent
        .get(&server.url(&format!("/staff/tickets/{id}/attachments/{aid}")))
        .call()
        .expect("download");
    let mut got = Vec::new();
    res.into_reader().read_to_end(&mut got).expect("read");
    assert_eq!(got, data);
}

/// A message with one base64 attachment of `size` bytes.
fn big_message(id: &str, size: usize) -> Vec<u8> {
    const B64: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = format!(
        "From: Big Sender <big@example.com>\r\nSubject: Big file\r\nMessage-ID: <{id}@example.com>\r\n\
         MIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary=\"B\"\r\n\r\n--B\r\n\
         Content-Type: text/plain\r\n\r\nThe logs are attached.\r\n--B\r\n\
         Content-Type: application/zip; name=\"big.zip\"\r\n\
         Content-Disposition: attachment; filename=\"big.zip\"\r\n\
         Content-Transfer-Encoding: base64\r\n\r\n"
    )
    .into_bytes();
    // Every 4 characters decode to 3 bytes; 76 characters a line.
    let chars = size / 3 * 4;
    for i in 0..chars {
        out.push(B64[(i * 7 + i / 13) % 64]);
        if i % 76 == 75 {
            out.extend_from_slice(b"\r\n");
        }
    }
    out.extend_from_slice(b"\r\n--B--\r\n");
    out
}

#[test]
fn a_20_mb_message_is_imported_and_an_oversized_attachment_is_noted() {
    let dir = tempfile::tempdir().expect("tempdir");
    let db = dir.path().join("h.db");
    // Over the default 10 MB limit: the ticket opens, the file is left out with a note.
    let run = pipe(&db, &big_message("big-1", 12 * 1024 * 1024));
    let tid = tracking_id(&run);
    let body = &messages(&db, &tid)[0].3;
    assert!(
        body.contains("The logs are attached.")
            && body.contains("[attachment big.zip (12 MB) was not imported: over the size limit]"),
        "{body}"
    );
    // With a 25 MB limit, a ~20 MB message (15 MB file) is imported whole.
    open(&db)
        .execute(
            "INSERT INTO settings (key, value) VALUES ('max_attachment_mb', '25')
             ON CONFLICT(key) DO UPDATE SET value = excluded.value",
            [],
        )
        .expect("raise limit");
    let raw = big_message("big-2", 15 * 1024 * 1024);
    assert!(raw.len() > 20 * 1024 * 1024, "{}", raw.len());
    let tid = tracking_id(&pipe(&db, &raw));
    let size: Option<i64> = open(&db)
        .query_row(
            "SELECT a.size FROM attachments a JOIN tickets t ON t.id = a.ticket_id
             WHERE t.tracking_id = ?1",
            [&tid],
            |r| r.get(0),
        )
        .optional()
        .expect("query");
    assert_eq!(size, Some((15 * 1024 * 1024 / 3 * 3) as i64));
    // Over 30 MB: refused with EX_TEMPFAIL, nothing stored.
    let run = helpdesk(&db, &["mail", "pipe"], &vec![b'a'; 31 * 1024 * 1024]);
    assert_eq!(run.code, Some(75), "{run:?}");
    assert!(run.stderr.contains("larger than 30 MB"), "{run:?}");
    assert_eq!(count(&db, "SELECT COUNT(*) FROM tickets"), 2);
}

/// Messages no corpus has: nested without end, broken encodings, garbage.
fn nasty_messages() -> Vec<(String, Vec<u8>)> {
    let mut nested =
        String::from("From: deep@example.com\r\nSubject: deep\r\nMessage-ID: <deep@x>\r\n");
    for i in 0..300 {
        nested.push_str(&format!(
            "Content-Type: multipart/mixed; boundary=\"b{i}\"\r\n\r\n--b{i}\r\n"
        ));
    }
    nested.push_str("Content-Type: text/plain\r\n\r\nbottom\r\n");
    let mut rfc822 =
        String::from("From: fwd@example.com\r\nSubject: fwd\r\nMessage-ID: <fwd@x>\r\n");
    for _ in 0..200 {
        rfc822.push_str("Content-Type: message/rfc822\r\n\r\nFrom: fwd@example.com\r\n");
    }
    vec![
        ("empty".into(), Vec::new()),
        ("only newlines".into(), b"\r\n\r\n\r\n".to_vec()),
        ("binary".into(), (0..=255u8).cycle().take(70_000).collect()),
        ("no colon headers".into(), b"this is not a header\nnor this\n\nbody".to_vec()),
        ("nested multipart".into(), nested.into_bytes()),
        ("nested rfc822".into(), rfc822.into_bytes()),
        (
            "bad encodings".into(),
            b"From: =?utf-8?B?###?= <enc@example.com>\r\nSubject: =?x-unknown?Q?caf=E9?= =?utf-8?Q?\r\nMessage-ID: <enc@x>\r\nContent-Type: text/plain; charset=x-klingon\r\nContent-Transfer-Encoding: base64\r\n\r\n!!!not base64!!!\r\n".to_vec(),
        ),
        (
            "long line".into(),
            [b"From: long@example.com\r\nSubject: long\r\n\r\n".to_vec(), vec![b'a'; 2_000_000]].concat(),
        ),
        (
            "unterminated multipart".into(),
            b"From: u@example.com\r\nSubject: u\r\nContent-Type: multipart/mixed; boundary=zz\r\n\r\n--zz\r\nContent-Type: application/pdf; name=a.pdf\r\nContent-Transfer-Encoding: base64\r\n\r\nJVBERi0x".to_vec(),
        ),
    ]
}

/// Each corpus message broken a few ways (cut short, bytes flipped, header/body separator lost,
/// NULs): as with real-world mail nobody has seen, each is imported, ignored or quarantined,
/// never a crash, and nothing is lost.
#[test]
fn broken_and_hostile_messages_never_crash_the_importer() {
    use rand::{Rng, SeedableRng};
    let dir = tempfile::tempdir().expect("tempdir");
    let db = dir.path().join("h.db");
    let mut rng = rand::rngs::StdRng::seed_from_u64(20261126);
    let mut inputs = nasty_messages();
    let names = corpus_names();
    for name in &names {
        let raw = corpus(name);
        if raw.len() > 1_000_000 {
            continue;
        }
        let cut = rng.gen_range(0..raw.len().max(1));
        inputs.push((format!("{name} cut at {cut}"), raw[..cut].to_vec()));
        let mut flipped = raw.clone();
        for _ in 0..20 {
            let at = rng.gen_range(0..flipped.len().max(1));
            if let Some(b) = flipped.get_mut(at) {
                *b = rng.r#gen();
            }
        }
        inputs.push((format!("{name} flipped"), flipped));
        let joined = String::from_utf8_lossy(&raw)
            .replacen("\r\n\r\n", "\r\n", 1)
            .replacen("\n\n", "\n", 1);
        inputs.push((format!("{name} without separator"), joined.into_bytes()));
        let mut nuls = raw.clone();
        let at = rng.gen_range(0..nuls.len().max(1));
        nuls.splice(at..at, [0u8; 64]);
        inputs.push((format!("{name} with NULs"), nuls));
    }
    for (name, raw) in &inputs {
        let run = helpdesk(&db, &["mail", "pipe"], raw);
        let conn = open(&db);
        assert_eq!(run.code, Some(0), "{name}: {run:?}");
        let out = run.stdout.trim();
        // Nothing lost: what the command reports is in the database.
        let found = if let Some(tid) = out
            .strip_prefix("new ticket ")
            .or_else(|| out.strip_prefix("added to ticket "))
        {
            conn.query_row(
                "SELECT COUNT(*) FROM tickets WHERE tracking_id = ?1",
                [tid],
                |r| r.get::<_, i64>(0),
            )
        } else if let Some(id) = out.strip_prefix("quarantined as #") {
            let id: String = id.chars().take_while(char::is_ascii_digit).collect();
            conn.query_row(
                "SELECT COUNT(*) FROM mail_quarantine WHERE id = ?1",
                [id],
                |r| r.get::<_, i64>(0),
            )
        } else {
            assert!(out.starts_with("ignored: "), "{name}: {run:?}");
            Ok(1)
        };
        assert_eq!(found.expect("query"), 1, "{name}: {run:?}");
    }
    let check: String = open(&db)
        .query_row("PRAGMA integrity_check", [], |r| r.get(0))
        .expect("integrity_check");
    assert_eq!(check, "ok");
}
