//! A real SMTP server for tests: Python's `aiosmtpd`, started on a loopback port, writing every
//! message it accepts to a directory the test reads.

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::Value;

/// An SMTP server that writes every message it accepts to `DIR/<arrival>.json`, decoded.
const SMTP_SERVER: &str = r#"
import email, email.policy, json, os, sys, time
from aiosmtpd.controller import Controller

port, out = int(sys.argv[1]), sys.argv[2]

class Handler:
    count = 0
    async def handle_DATA(self, server, session, envelope):
        msg = email.message_from_bytes(envelope.content, policy=email.policy.default)
        body = msg.get_body(preferencelist=("plain",))
        html = msg.get_body(preferencelist=("html",))
        Handler.count += 1
        record = {
            "mail_from": envelope.mail_from,
            "rcpt_tos": envelope.rcpt_tos,
            "from": str(msg.get("from", "")),
            "subject": str(msg.get("subject", "")),
            "message_id": str(msg.get("message-id", "")),
            "in_reply_to": str(msg.get("in-reply-to", "")),
            "references": str(msg.get("references", "")),
            "auto_submitted": str(msg.get("auto-submitted", "")),
            "text": body.get_content() if body is not None else "",
            "html": html.get_content() if html is not None else "",
        }
        name = os.path.join(out, "%020d-%04d.json" % (time.time_ns(), Handler.count))
        with open(name + ".tmp", "w") as f:
            json.dump(record, f)
        os.rename(name + ".tmp", name)
        return "250 Message accepted for delivery"

controller = Controller(Handler(), hostname="127.0.0.1", port=port)
controller.start()
print("ready", flush=True)
try:
    while True:
        time.sleep(3600)
except KeyboardInterrupt:
    pass
"#;

pub struct Smtp {
    child: Child,
    dir: PathBuf,
}

impl Smtp {
    /// Starts the SMTP server on `port`, writing messages into `dir`.
    pub fn start(dir: &Path, port: u16) -> Smtp {
        let script = dir.join("smtp_server.py");
        std::fs::write(&script, SMTP_SERVER).expect("write smtp script");
        let inbox = dir.join("inbox");
        std::fs::create_dir_all(&inbox).expect("inbox dir");
        let mut child = Command::new("python3")
            .arg(&script)
            .arg(port.to_string())
            .arg(&inbox)
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .expect("python3 (with aiosmtpd: pip install aiosmtpd) must be installed");
        let mut line = String::new();
        BufReader::new(child.stdout.take().expect("stdout"))
            .read_line(&mut line)
            .expect("read smtp server output");
        assert_eq!(
            line.trim(),
            "ready",
            "the SMTP server did not start (is aiosmtpd installed?)"
        );
        Smtp { child, dir: inbox }
    }

    /// Every message received so far, in arrival order.
    pub fn messages(&self) -> Vec<Value> {
        let mut names: Vec<PathBuf> = std::fs::read_dir(&self.dir)
            .expect("read inbox")
            .filter_map(|e| e.ok().map(|e| e.path()))
            .filter(|p| p.extension().is_some_and(|e| e == "json"))
            .collect();
        names.sort();
        names
            .iter()
            .map(|p| {
                serde_json::from_str(&std::fs::read_to_string(p).expect("read")).expect("json")
            })
            .collect()
    }

    /// The messages received so far for `addr`, in arrival order.
    pub fn to(&self, addr: &str) -> Vec<Value> {
        self.messages()
            .into_iter()
            .filter(|m| {
                m["rcpt_tos"]
                    .as_array()
                    .is_some_and(|r| r.iter().any(|a| a == addr))
            })
            .collect()
    }

    /// Waits until at least `n` messages arrived for `addr`; returns those.
    pub fn wait_for_to(&self, addr: &str, n: usize) -> Vec<Value> {
        let deadline = Instant::now() + Duration::from_secs(30);
        loop {
            let got = self.to(addr);
            if got.len() >= n {
                return got;
            }
            assert!(
                Instant::now() < deadline,
                "expected {n} mails to {addr}, got {}: {:#?}",
                got.len(),
                self.messages()
            );
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    /// Waits until at least `n` messages arrived; returns them all.
    pub fn wait_for(&self, n: usize) -> Vec<Value> {
        let deadline = Instant::now() + Duration::from_secs(30);
        loop {
            let got = self.messages();
            if got.len() >= n {
                return got;
            }
            assert!(
                Instant::now() < deadline,
                "expected {n} mails, got {}: {got:#?}",
                got.len()
            );
            std::thread::sleep(Duration::from_millis(50));
        }
    }
}

impl Drop for Smtp {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
