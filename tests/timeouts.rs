//! Slow clients on a real socket: a request whose body stalls is answered 408 and its connection
//! closed within `body_timeout_secs`, and the server keeps serving everyone else.

use std::io::{Read, Write};
use std::net::TcpStream;
use std::process::Command;
use std::time::{Duration, Instant};

use crate::common::Multipart;
use crate::common::server::{self, Server};

/// Sends `head` and `body`, then nothing more; returns what the server answered until it closed
/// the connection, and how long that took.
fn stall_after(port: u16, head: &str, body: &[u8]) -> (String, Duration) {
    let mut socket = TcpStream::connect(("127.0.0.1", port)).expect("connect");
    socket
        .set_read_timeout(Some(Duration::from_secs(15)))
        .expect("read timeout");
    let start = Instant::now();
    socket.write_all(head.as_bytes()).expect("write head");
    socket.write_all(body).expect("write body");
    let mut answer = Vec::new();
    if let Err(e) = socket.read_to_end(&mut answer) {
        panic!(
            "no clean end of the connection after {:?} ({e}); got {:?}",
            start.elapsed(),
            String::from_utf8_lossy(&answer)
        );
    }
    (
        String::from_utf8_lossy(&answer).into_owned(),
        start.elapsed(),
    )
}

#[test]
fn a_stalled_body_gets_408_and_the_connection_closed_within_the_timeout() {
    let dir = tempfile::tempdir().expect("temp dir");
    let db = dir.path().join("helpdesk.db");
    let server = Server::start_with(
        &db,
        server::free_port(),
        &[("HELPDESK_BODY_TIMEOUT_SECS", "1".to_string())],
    );
    let port = server.port;

    // A urlencoded form and a multipart upload, each announced longer than what is sent.
    let form = "csrf_token=abc&lang=es&next=%2F";
    let mut upload = Multipart::new();
    upload.text("csrf_token", "abc").file(
        "attachments",
        "big.log",
        "text/plain",
        &[b'a'; 64 * 1024],
    );
    let upload = upload.finish();
    let cases = [
        (
            "/lang",
            "application/x-www-form-urlencoded".to_string(),
            form.as_bytes().to_vec(),
        ),
        ("/tickets", Multipart::header_value(), upload),
    ];
    for (path, content_type, body) in cases {
        let head = format!(
            "POST {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: {content_type}\r\n\
             Content-Length: {}\r\n\r\n",
            body.len() + 1000
        );
        let sent = &body[..body.len() / 2];
        let (answer, took) = stall_after(port, &head, sent);
        assert!(
            answer.starts_with("HTTP/1.1 408"),
            "POST {path} with a stalled body: {answer:?}"
        );
        assert!(
            took >= Duration::from_millis(900) && took < Duration::from_secs(6),
            "POST {path}: answered and closed after {took:?}, the timeout is 1 s"
        );
    }

    // A whole body is read as before: here refused for its forged token, not timed out.
    let (answer, took) = stall_after(
        port,
        &format!(
            "POST /lang HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\
             Content-Type: application/x-www-form-urlencoded\r\nContent-Length: {}\r\n\r\n",
            form.len()
        ),
        form.as_bytes(),
    );
    assert!(answer.starts_with("HTTP/1.1 403"), "{answer:?}");
    assert!(
        took < Duration::from_millis(900),
        "answered at once: {took:?}"
    );
    // And the server still serves.
    let res = ureq::get(&server.url("/healthz")).call().expect("healthz");
    assert_eq!(res.status(), 200);
}

#[test]
fn body_timeout_secs_is_checked_at_start() {
    let dir = tempfile::tempdir().expect("temp dir");
    let db = dir.path().join("helpdesk.db");
    for bad in ["0", "3601", "soon"] {
        let mut cmd = Command::new(server::binary());
        for (key, _) in std::env::vars() {
            if key.starts_with("HELPDESK_") {
                cmd.env_remove(key);
            }
        }
        let out = cmd
            .arg("--db")
            .arg(&db)
            .arg("check")
            .env("HELPDESK_BODY_TIMEOUT_SECS", bad)
            .output()
            .expect("run helpdesk");
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{bad}: {stderr}");
        assert!(stderr.contains("body_timeout_secs:"), "{bad}: {stderr}");
    }
    assert!(!db.exists(), "a bad setting touches no database");
}
