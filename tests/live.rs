//! Live conversations over a real socket (issue 17 item 1): the real binary, a raw HTTP client
//! reading the Server-Sent Events as a browser's EventSource would, a staff member replying
//! through the real desk form.

use std::io::{BufRead, BufReader, Write};
use std::net::TcpStream;
use std::path::Path;
use std::time::{Duration, Instant};

use helpdesk::auth::{Role, users};
use helpdesk::db::Db;
use helpdesk::notify::MailCtx;
use helpdesk::settings::Settings;
use helpdesk::tickets::{Actor, Channel, NewTicket, events};
use helpdesk::workflow::{Ctx, Desk};

use crate::common::server::{self, Server};
use crate::common::{AGENT_EMAIL, AGENT_PASSWORD, urlencode};

const OTHER_AGENT: &str = "other@example.com";

/// A database with two agents (the second works category 1 only) and one ticket in category 2;
/// returns the ticket's id, tracking ID and secret link token.
fn desk(db_path: &Path) -> (i64, String, String) {
    let db = Db::open(db_path).expect("open db");
    db.write_blocking(|c| {
        let h = users::hash_password(AGENT_PASSWORD, 4)?;
        users::create(c, AGENT_EMAIL, "Gus Agent", Role::Agent, &h)?;
        let other = users::create(c, OTHER_AGENT, "Olga Other", Role::Agent, &h)?;
        // Olga works category 1 only; the ticket is in category 2.
        c.execute(
            "INSERT INTO staff_categories (staff_id, category_id) VALUES (?1, 1)",
            [other],
        )?;
        c.execute("UPDATE staff SET all_categories = 0 WHERE id = ?1", [other])?;
        let config = helpdesk::Config::default();
        let ctx = Ctx::new(MailCtx::from_parts(&config, &Settings::load(c)?), 1_000);
        let new = NewTicket {
            requester_name: "Ana Garcia".into(),
            requester_email: "ana@office.example".into(),
            category_id: 2,
            priority_id: 2,
            subject: "VPN drops every hour".into(),
            message: "It disconnects at ten past.".into(),
            attachments: Vec::new(),
            channel: Channel::Portal,
            assignee_id: None,
            lang: helpdesk::i18n::Lang::En,
        };
        let evs = Desk::new(c, &ctx).open(&Actor::requester("Ana Garcia"), &new)?;
        let (id, tid) = events::created(&evs).next().expect("created");
        let token: String = c.query_row(
            "SELECT access_token FROM tickets WHERE id = ?1",
            [id],
            |r| r.get(0),
        )?;
        Ok((id, tid.to_string(), token))
    })
    .expect("set up the desk")
}

/// One event as an EventSource sees it.
#[derive(Debug, Default, Clone)]
struct Sse {
    id: Option<String>,
    event: String,
    data: String,
}

/// An open event stream, read line by line (HTTP/1.0: no chunked framing to undo).
struct Stream {
    status: u16,
    content_type: String,
    reader: BufReader<TcpStream>,
}

fn open(port: u16, path: &str, headers: &[(&str, &str)]) -> Stream {
    let sock = TcpStream::connect(("127.0.0.1", port)).expect("connect");
    sock.set_read_timeout(Some(Duration::from_secs(5)))
        .expect("read timeout");
    let mut req =
        format!("GET {path} HTTP/1.0\r\nHost: 127.0.0.1\r\nAccept: text/event-stream\r\n");
    for (k, v) in headers {
        req.push_str(&format!("{k}: {v}\r\n"));
    }
    req.push_str("\r\n");
    (&sock).write_all(req.as_bytes()).expect("send request");
    let mut reader = BufReader::new(sock);
    let mut line = String::new();
    reader.read_line(&mut line).expect("status line");
    let status = line
        .split_whitespace()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or(0);
    let mut content_type = String::new();
    loop {
        line.clear();
        reader.read_line(&mut line).expect("header line");
        let l = line.trim_end();
        if l.is_empty() {
            break;
        }
        if let Some(v) = l.to_ascii_lowercase().strip_prefix("content-type:") {
            content_type = v.trim().to_string();
        }
    }
    Stream {
        status,
        content_type,
        reader,
    }
}

impl Stream {
    /// The next event with a name (comments, heartbeats and the retry line skipped), within
    /// `wait`; None when none came.
    fn next(&mut self, wait: Duration) -> Option<Sse> {
        let deadline = Instant::now() + wait;
        let mut ev = Sse::default();
        let mut line = String::new();
        while Instant::now() < deadline {
            line.clear();
            match self.reader.read_line(&mut line) {
                Ok(0) => return None,
                Ok(_) => {}
                Err(e)
                    if matches!(
                        e.kind(),
                        std::io::ErrorKind::WouldBlock | std::io::ErrorKind::TimedOut
                    ) =>
                {
                    continue;
                }
                Err(_) => return None,
            }
            let l = line.trim_end_matches(['\r', '\n']);
            if l.is_empty() {
                if !ev.event.is_empty() {
                    return Some(ev);
                }
                ev = Sse::default();
            } else if let Some(v) = l.strip_prefix("id:") {
                ev.id = Some(v.trim().to_string());
            } else if let Some(v) = l.strip_prefix("event:") {
                ev.event = v.trim().to_string();
            } else if let Some(v) = l.strip_prefix("data:") {
                ev.data.push_str(v.strip_prefix(' ').unwrap_or(v));
            }
        }
        None
    }

    /// The next event of kind `kind` within `wait`, skipping others (typing).
    fn next_of(&mut self, kind: &str, wait: Duration) -> Option<Sse> {
        let deadline = Instant::now() + wait;
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            let ev = self.next(left)?;
            if ev.event == kind {
                return Some(ev);
            }
        }
    }
}

/// A signed-in staff member's HTTP client.
fn staff_agent(server: &Server, email: &str) -> ureq::Agent {
    let agent = server::agent();
    let token = server::csrf_from(&agent, &server.url("/staff/login"));
    let res = agent
        .post(&server.url("/staff/login"))
        .send_form(&[
            ("csrf_token", &token),
            ("email", email),
            ("password", AGENT_PASSWORD),
        ])
        .expect("log in");
    assert_eq!(res.status(), 303, "login as {email}");
    agent
}

fn cookie_header(agent: &ureq::Agent, server: &Server) -> String {
    let url = url::Url::parse(&server.url("/")).expect("url");
    agent
        .cookie_store()
        .get_request_values(&url)
        .map(|(k, v)| format!("{k}={v}"))
        .collect::<Vec<_>>()
        .join("; ")
}

/// Sends a staff reply ("reply") or internal note ("note") through the desk's form.
fn staff_says(agent: &ureq::Agent, server: &Server, id: i64, kind: &str, text: &str) {
    let page = server.url(&format!("/staff/tickets/{id}"));
    let token = server::csrf_from(agent, &page);
    let res = agent
        .post(&server.url(&format!("/staff/tickets/{id}/reply")))
        .send_form(&[("csrf_token", &token), ("kind", kind), ("message", text)])
        .expect("reply");
    assert_eq!(res.status(), 303, "the {kind} is sent");
}

const A_SECOND: Duration = Duration::from_secs(1);

#[test]
fn a_staff_reply_reaches_the_requesters_open_stream_within_a_second() {
    let dir = tempfile::tempdir().expect("temp dir");
    let db = dir.path().join("helpdesk.db");
    let (id, tid, token) = desk(&db);
    let server = Server::start(&db);
    let agent = staff_agent(&server, AGENT_EMAIL);

    let mut requester = open(
        server.port,
        &format!("/tickets/{tid}/events?token={}", urlencode(&token)),
        &[],
    );
    assert_eq!(requester.status, 200);
    assert!(requester.content_type.starts_with("text/event-stream"));
    let cookies = cookie_header(&agent, &server);
    let mut staff = open(
        server.port,
        &format!("/staff/tickets/{id}/events"),
        &[("Cookie", &cookies)],
    );
    assert_eq!(staff.status, 200);
    // Both streams are subscribed once their first line (the retry) arrived.
    assert!(requester.next(Duration::from_millis(300)).is_none());
    assert!(staff.next(Duration::from_millis(300)).is_none());

    let sent = Instant::now();
    staff_says(
        &agent,
        &server,
        id,
        "reply",
        "Please update the VPN client.",
    );
    let ev = requester
        .next_of("message", A_SECOND)
        .expect("the reply within a second");
    assert!(sent.elapsed() <= A_SECOND + Duration::from_millis(500));
    assert!(ev.data.contains("Please update the VPN client."), "{ev:?}");
    assert!(ev.id.is_some(), "a durable event has an id");
    staff
        .next_of("message", A_SECOND)
        .expect("staff stream too");

    // An internal note: on the staff stream only.
    staff_says(&agent, &server, id, "note", "Secret: her laptop is old.");
    let note = staff.next_of("message", A_SECOND).expect("the note");
    assert!(note.data.contains("Secret"));
    staff_says(&agent, &server, id, "reply", "Any luck?");
    let next = requester.next_of("message", A_SECOND).expect("next reply");
    assert!(
        next.data.contains("Any luck?"),
        "the note never came: {next:?}"
    );

    // The requester types: the staff stream shows it, with no id (nothing stored).
    let page = agent_page(&server, &tid, &token);
    let res = page
        .0
        .post(&server.url(&format!("/tickets/{tid}/typing")))
        .send_form(&[("csrf_token", &page.1)])
        .expect("typing");
    assert_eq!(res.status(), 204);
    let typing = staff.next_of("typing", A_SECOND).expect("typing shown");
    assert!(typing.id.is_none() && typing.data.contains("Ana Garcia"));
}

/// A requester's browser that opened the ticket's secret link: its client and a CSRF token.
fn agent_page(server: &Server, tid: &str, token: &str) -> (ureq::Agent, String) {
    let agent = server::agent();
    let csrf = server::csrf_from(
        &agent,
        &server.url(&format!("/tickets/{tid}?token={}", urlencode(token))),
    );
    (agent, csrf)
}

#[test]
fn reconnecting_with_last_event_id_replays_what_was_missed_even_after_a_restart() {
    let dir = tempfile::tempdir().expect("temp dir");
    let db = dir.path().join("helpdesk.db");
    let (id, tid, token) = desk(&db);
    let server = Server::start(&db);
    let agent = staff_agent(&server, AGENT_EMAIL);
    let path = format!("/tickets/{tid}/events?token={}", urlencode(&token));

    let mut stream = open(server.port, &path, &[]);
    assert!(stream.next(Duration::from_millis(300)).is_none());
    staff_says(&agent, &server, id, "reply", "First answer.");
    let first = stream.next_of("message", A_SECOND).expect("first");
    let last_id = first.id.clone().expect("id");
    drop(stream);

    // Missed while disconnected: two replies and a note; then the server restarts.
    staff_says(&agent, &server, id, "reply", "Second answer.");
    staff_says(&agent, &server, id, "note", "Internal only.");
    staff_says(&agent, &server, id, "reply", "Third answer.");
    let port = server.port;
    server.kill9();
    let server = Server::start_with(&db, port, &[]);

    let mut stream = open(server.port, &path, &[("Last-Event-ID", &last_id)]);
    assert_eq!(stream.status, 200);
    let second = stream.next_of("message", A_SECOND).expect("second");
    let third = stream.next_of("message", A_SECOND).expect("third");
    assert!(second.data.contains("Second answer."), "{second:?}");
    assert!(
        third.data.contains("Third answer."),
        "the note is skipped: {third:?}"
    );
    assert!(
        stream.next(Duration::from_millis(300)).is_none(),
        "nothing else"
    );

    // The staff stream replays the note too.
    let agent = staff_agent(&server, AGENT_EMAIL);
    let cookies = cookie_header(&agent, &server);
    let mut staff = open(
        server.port,
        &format!("/staff/tickets/{id}/events"),
        &[("Cookie", &cookies), ("Last-Event-ID", &last_id)],
    );
    let kinds: Vec<String> = (0..3)
        .filter_map(|_| staff.next_of("message", A_SECOND))
        .map(|e| e.data)
        .collect();
    assert_eq!(kinds.len(), 3, "{kinds:?}");
    assert!(kinds[1].contains("Internal only."));
}

#[test]
fn a_stream_of_a_ticket_the_client_may_not_see_is_refused_and_tells_nothing() {
    let dir = tempfile::tempdir().expect("temp dir");
    let db = dir.path().join("helpdesk.db");
    let (id, tid, _token) = desk(&db);
    let server = Server::start(&db);
    // No access cookie, a wrong secret, an unknown ticket: the same 404.
    for path in [
        format!("/tickets/{tid}/events"),
        format!("/tickets/{tid}/events?token=not-the-secret"),
        "/tickets/ABC-DEF-2345/events".to_string(),
    ] {
        let mut s = open(server.port, &path, &[]);
        assert_eq!(s.status, 404, "{path}");
        assert!(!s.content_type.contains("event-stream"), "{path}");
        assert!(s.next(Duration::from_millis(200)).is_none());
    }
    // Staff signed out: not a stream. An agent without the ticket's category: 404, like its page.
    let s = open(server.port, &format!("/staff/tickets/{id}/events"), &[]);
    assert_ne!(s.status, 200);
    let other = staff_agent(&server, OTHER_AGENT);
    let cookies = cookie_header(&other, &server);
    let s = open(
        server.port,
        &format!("/staff/tickets/{id}/events"),
        &[("Cookie", &cookies)],
    );
    assert_eq!(s.status, 404);
    let page = other
        .get(&server.url(&format!("/staff/tickets/{id}")))
        .call();
    assert!(
        matches!(page, Err(ureq::Error::Status(404, _))),
        "same as the page"
    );
}

#[test]
fn clients_that_never_read_or_come_and_go_cost_nothing_lasting() {
    let dir = tempfile::tempdir().expect("temp dir");
    let db = dir.path().join("helpdesk.db");
    let (id, tid, token) = desk(&db);
    let server = Server::start_with(
        &db,
        server::free_port(),
        &[("HELPDESK_LIVE_HEARTBEAT_SECS", "1".to_string())],
    );
    let agent = staff_agent(&server, AGENT_EMAIL);
    let path = format!("/tickets/{tid}/events?token={}", urlencode(&token));
    // A client that never reads a byte, while a lot happens on the ticket.
    let _stuck = open(server.port, &path, &[]);
    let long = "x".repeat(20_000);
    for _ in 0..30 {
        staff_says(&agent, &server, id, "reply", &long);
    }
    // A thousand connections opened and dropped at once.
    for _ in 0..1000 {
        let sock = TcpStream::connect(("127.0.0.1", server.port)).expect("connect");
        let req = format!("GET {path} HTTP/1.0\r\nHost: x\r\n\r\n");
        let _ = (&sock).write_all(req.as_bytes());
        drop(sock);
    }
    // The desk goes on: a new stream gets a reply within a second.
    let mut fresh = open(server.port, &path, &[]);
    assert!(fresh.next(Duration::from_millis(300)).is_none());
    staff_says(&agent, &server, id, "reply", "Still here.");
    let ev = fresh.next_of("message", A_SECOND).expect("served");
    assert!(ev.data.contains("Still here."));
    // The dropped streams are gone: the agent's desk streams close the same way, so once they
    // are closed the portal stops offering "Chat now".
    let cookies = cookie_header(&agent, &server);
    let desk = open(server.port, "/staff/events", &[("Cookie", &cookies)]);
    assert_eq!(desk.status, 200);
    let home = ureq::get(&server.url("/"))
        .call()
        .expect("home")
        .into_string()
        .expect("body");
    assert!(home.contains("id=\"chat-form\""), "an agent is online");
    drop(desk);
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let home = ureq::get(&server.url("/"))
            .call()
            .expect("home")
            .into_string()
            .expect("body");
        if !home.contains("id=\"chat-form\"") {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "the closed desk stream was never dropped"
        );
        std::thread::sleep(Duration::from_millis(100));
    }
}
