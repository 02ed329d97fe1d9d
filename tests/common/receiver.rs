//! A real HTTP receiver for webhooks on loopback: a thread accepting on a port of its own, that
//! records every request (method, path, headers, body) and answers as the test says (a status,
//! a redirect, or nothing at all). `stop` closes the port, so the webhook sees a closed port, and
//! `start_on` the same port brings it back. Each connection gets one answer and is closed.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use hmac::{Hmac, Mac};
use sha2::Sha256;

/// What the receiver answers.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Reply {
    Status(u16, &'static str),
    /// 302 to this location.
    Redirect(&'static str),
    /// Reads the request and never answers (until the receiver stops).
    Silence,
}

#[derive(Debug, Clone)]
pub struct Request {
    pub method: String,
    pub path: String,
    /// Names in lower case.
    pub headers: Vec<(String, String)>,
    pub body: String,
    pub at: Instant,
}

impl Request {
    pub fn header(&self, name: &str) -> Option<&str> {
        let name = name.to_ascii_lowercase();
        self.headers
            .iter()
            .find(|(n, _)| *n == name)
            .map(|(_, v)| v.as_str())
    }

    pub fn json(&self) -> serde_json::Value {
        serde_json::from_str(&self.body).expect("a JSON body")
    }

    /// The signature header's `t`, when its `v1` is the HMAC-SHA256 of `"{t}.{body}"` with
    /// `secret`, computed here with the hmac crate as a receiver would; None otherwise.
    pub fn signed_at(&self, secret: &str) -> Option<i64> {
        let header = self.header("x-helpdesk-signature")?;
        let mut t = None;
        let mut v1 = None;
        for part in header.split(',') {
            match part.split_once('=') {
                Some(("t", v)) => t = v.parse::<i64>().ok(),
                Some(("v1", v)) => v1 = Some(v.to_string()),
                _ => {}
            }
        }
        let (t, v1) = (t?, v1?);
        let mut mac = Hmac::<Sha256>::new_from_slice(secret.as_bytes()).ok()?;
        mac.update(format!("{t}.").as_bytes());
        mac.update(self.body.as_bytes());
        let expected: String = mac
            .finalize()
            .into_bytes()
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect();
        (expected == v1).then_some(t)
    }
}

struct Shared {
    requests: Mutex<Vec<Request>>,
    /// Answers for the next requests, in order; then `reply`.
    queued: Mutex<Vec<Reply>>,
    reply: Mutex<Reply>,
    stopped: AtomicBool,
}

pub struct Receiver {
    pub port: u16,
    shared: Arc<Shared>,
    accept: Option<JoinHandle<()>>,
}

impl Receiver {
    /// On a port of its own, answering 200.
    pub fn start() -> Receiver {
        Receiver::listen(TcpListener::bind("127.0.0.1:0").expect("bind a receiver"))
    }

    /// On `port` (one a stopped receiver had), answering 200.
    pub fn start_on(port: u16) -> Receiver {
        Receiver::listen(TcpListener::bind(("127.0.0.1", port)).expect("bind the port again"))
    }

    fn listen(listener: TcpListener) -> Receiver {
        let port = listener.local_addr().expect("address").port();
        listener.set_nonblocking(true).expect("nonblocking");
        let shared = Arc::new(Shared {
            requests: Mutex::new(Vec::new()),
            queued: Mutex::new(Vec::new()),
            reply: Mutex::new(Reply::Status(200, "ok")),
            stopped: AtomicBool::new(false),
        });
        let state = shared.clone();
        let accept = std::thread::spawn(move || {
            while !state.stopped.load(Ordering::SeqCst) {
                match listener.accept() {
                    Ok((stream, _)) => {
                        let state = state.clone();
                        std::thread::spawn(move || serve(stream, &state));
                    }
                    Err(_) => std::thread::sleep(Duration::from_millis(5)),
                }
            }
            // Dropping the listener closes the port.
        });
        Receiver {
            port,
            shared,
            accept: Some(accept),
        }
    }

    pub fn url(&self, path: &str) -> String {
        format!("http://127.0.0.1:{}{path}", self.port)
    }

    /// What every request gets from now on.
    pub fn reply(&self, reply: Reply) {
        *self.shared.reply.lock().unwrap() = reply;
    }

    /// What the next request gets (then the others in order, then `reply`'s).
    pub fn then(&self, reply: Reply) {
        self.shared.queued.lock().unwrap().push(reply);
    }

    pub fn requests(&self) -> Vec<Request> {
        self.shared.requests.lock().unwrap().clone()
    }

    /// The requests once there are at least `n`, failing after 30 seconds.
    pub fn wait_for(&self, n: usize) -> Vec<Request> {
        let deadline = Instant::now() + Duration::from_secs(30);
        loop {
            let got = self.requests();
            if got.len() >= n {
                return got;
            }
            assert!(
                Instant::now() < deadline,
                "the receiver got {} requests, not {n}",
                got.len()
            );
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    /// Closes the port: connecting to it is refused from now on.
    pub fn stop(mut self) {
        self.halt();
    }

    fn halt(&mut self) {
        self.shared.stopped.store(true, Ordering::SeqCst);
        if let Some(accept) = self.accept.take() {
            let _ = accept.join();
        }
    }
}

impl Drop for Receiver {
    fn drop(&mut self) {
        self.halt();
    }
}

/// Reads one request, records it, answers it and closes the connection.
fn serve(stream: TcpStream, state: &Shared) {
    let _ = stream.set_nonblocking(false);
    let _ = stream.set_read_timeout(Some(Duration::from_secs(10)));
    let mut reader = BufReader::new(stream);
    let mut line = String::new();
    if reader.read_line(&mut line).is_err() {
        return;
    }
    let mut parts = line.split_whitespace();
    let method = parts.next().unwrap_or("").to_string();
    let path = parts.next().unwrap_or("").to_string();
    let mut headers = Vec::new();
    loop {
        let mut h = String::new();
        if reader.read_line(&mut h).is_err() || h.trim().is_empty() {
            break;
        }
        if let Some((name, value)) = h.split_once(':') {
            headers.push((name.trim().to_ascii_lowercase(), value.trim().to_string()));
        }
    }
    let length = headers
        .iter()
        .find(|(n, _)| n == "content-length")
        .and_then(|(_, v)| v.parse::<usize>().ok())
        .unwrap_or(0);
    let mut body = vec![0; length];
    if reader.read_exact(&mut body).is_err() {
        return;
    }
    state.requests.lock().unwrap().push(Request {
        method,
        path,
        headers,
        body: String::from_utf8_lossy(&body).into_owned(),
        at: Instant::now(),
    });
    let reply = {
        let mut queued = state.queued.lock().unwrap();
        if queued.is_empty() {
            state.reply.lock().unwrap().clone()
        } else {
            queued.remove(0)
        }
    };
    let mut stream = reader.into_inner();
    let answer = match reply {
        Reply::Status(code, text) => format!(
            "HTTP/1.1 {code} X\r\nContent-Type: text/plain\r\nContent-Length: {}\r\n\
             Connection: close\r\n\r\n{text}",
            text.len()
        ),
        Reply::Redirect(to) => format!(
            "HTTP/1.1 302 Found\r\nLocation: {to}\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"
        ),
        Reply::Silence => {
            let until = Instant::now() + Duration::from_secs(60);
            while !state.stopped.load(Ordering::SeqCst) && Instant::now() < until {
                std::thread::sleep(Duration::from_millis(20));
            }
            return;
        }
    };
    let _ = stream.write_all(answer.as_bytes());
}
