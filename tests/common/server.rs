//! Runs the real `helpdesk` binary on a real socket.

use std::collections::BTreeSet;
use std::io::{BufRead, BufReader};
use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::Mutex;
use std::sync::mpsc::Receiver;
use std::time::{Duration, Instant};

pub fn binary() -> &'static str {
    env!("CARGO_BIN_EXE_helpdesk")
}

/// `helpdesk --db DB` with the test defaults (fast bcrypt, no log) and `env` on top; any
/// HELPDESK_* variable of the test process is dropped, so only what the test sets counts.
pub fn command(db: &Path, env: &[(&str, &str)]) -> Command {
    let mut cmd = Command::new(binary());
    for (key, _) in std::env::vars() {
        if key.starts_with("HELPDESK_") {
            cmd.env_remove(key);
        }
    }
    cmd.arg("--db")
        .arg(db)
        .env("HELPDESK_BCRYPT_COST", "4")
        .env("HELPDESK_LOG_LEVEL", "off")
        .envs(env.iter().copied());
    cmd
}

/// Runs `helpdesk --db DB ARGS` (see `command`) with `stdin` on its standard input, to the end.
pub fn run(db: &Path, args: &[&str], env: &[(&str, &str)], stdin: &[u8]) -> Run {
    let mut child = command(db, env)
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("run helpdesk");
    let mut pipe = child.stdin.take().expect("stdin");
    let input = stdin.to_vec();
    // Written from a thread: the command may stop reading early (an oversized message, a
    // configuration error) while its output still has to be read.
    let writer = std::thread::spawn(move || {
        let _ = std::io::Write::write_all(&mut pipe, &input);
    });
    let out = child.wait_with_output().expect("wait for helpdesk");
    let _ = writer.join();
    Run {
        code: out.status.code(),
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
    }
}

/// A loopback port nobody listens on, never the same twice in this process: the tests run as
/// threads of one process, and some keep a port unused for a while (a mail server started later,
/// a dead SMTP server) that the kernel could meanwhile hand to another test.
pub fn free_port() -> u16 {
    static GIVEN: Mutex<BTreeSet<u16>> = Mutex::new(BTreeSet::new());
    loop {
        let port = TcpListener::bind("127.0.0.1:0")
            .and_then(|l| l.local_addr())
            .map(|a| a.port())
            .expect("free port");
        if GIVEN.lock().unwrap_or_else(|p| p.into_inner()).insert(port) {
            return port;
        }
    }
}

/// What a finished command printed, shown whole when an assertion fails.
pub struct Run {
    pub code: Option<i32>,
    pub stdout: String,
    pub stderr: String,
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

pub struct Server {
    pub child: Child,
    pub port: u16,
    pub db: PathBuf,
    /// Lines the server printed before it answered (the first admin's password among them).
    pub startup_output: Vec<String>,
    /// The lines it printed since (Rocket's log goes to standard output).
    output: Receiver<String>,
}

impl Server {
    /// Starts `helpdesk serve` on a free port over `db` and waits until /healthz answers.
    pub fn start(db: &Path) -> Server {
        Server::start_with(db, free_port(), &[])
    }

    /// As `start`, on `port` and with extra `HELPDESK_*` settings; settings inherited from the
    /// test's own environment are dropped so every run starts from the same defaults.
    pub fn start_with(db: &Path, port: u16, env: &[(&str, String)]) -> Server {
        let mut cmd = Command::new(binary());
        for (key, _) in std::env::vars() {
            if key.starts_with("HELPDESK_") {
                cmd.env_remove(key);
            }
        }
        let mut child = cmd
            .args([
                "--db",
                db.to_str().expect("utf-8 path"),
                "serve",
                "--bind",
                &format!("127.0.0.1:{port}"),
            ])
            .env("HELPDESK_BCRYPT_COST", "4")
            .env("HELPDESK_LOG_LEVEL", "off")
            // The load and crash drills submit far more tickets from one address and email
            // than an office would; a test that wants the limits passes them in `env`.
            .env("HELPDESK_SUBMIT_LIMIT_PER_EMAIL_HOUR", "0")
            .env("HELPDESK_SUBMIT_LIMIT_PER_ADDRESS_HOUR", "0")
            .envs(env.iter().map(|(k, v)| (*k, v.as_str())))
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .expect("start helpdesk");
        let stdout = child.stdout.take().expect("stdout");
        let (tx, rx) = std::sync::mpsc::channel();
        std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines().map_while(Result::ok) {
                if tx.send(line).is_err() {
                    break;
                }
            }
        });
        let deadline = Instant::now() + Duration::from_secs(30);
        let mut output = Vec::new();
        loop {
            while let Ok(line) = rx.try_recv() {
                output.push(line);
            }
            if ureq::get(&format!("http://127.0.0.1:{port}/healthz"))
                .call()
                .is_ok()
            {
                break;
            }
            assert!(
                Instant::now() < deadline,
                "server did not start; output: {output:?}"
            );
            std::thread::sleep(Duration::from_millis(20));
        }
        std::thread::sleep(Duration::from_millis(50));
        while let Ok(line) = rx.try_recv() {
            output.push(line);
        }
        Server {
            child,
            port,
            db: db.to_path_buf(),
            startup_output: output,
            output: rx,
        }
    }

    /// The first line of standard output containing `needle`, printed at the start or within
    /// 20 s.
    pub fn wait_for_output(&self, needle: &str) -> String {
        if let Some(line) = self.startup_output.iter().find(|l| l.contains(needle)) {
            return line.clone();
        }
        let deadline = Instant::now() + Duration::from_secs(20);
        let mut later = Vec::new();
        loop {
            match self
                .output
                .recv_timeout(deadline.saturating_duration_since(Instant::now()))
            {
                Ok(line) if line.contains(needle) => return line,
                Ok(line) => later.push(line),
                Err(_) => panic!(
                    "the server printed no line with {needle:?} within 20 s: {:?} then {later:?}",
                    self.startup_output
                ),
            }
        }
    }

    pub fn url(&self, path: &str) -> String {
        format!("http://127.0.0.1:{}{}", self.port, path)
    }

    /// SIGKILL: no shutdown code runs.
    pub fn kill9(mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A client with its own cookie jar that does not follow redirects.
pub fn agent() -> ureq::Agent {
    ureq::AgentBuilder::new()
        .redirects(0)
        .timeout(Duration::from_secs(30))
        .build()
}

pub fn csrf_from(agent: &ureq::Agent, url: &str) -> String {
    let body = agent
        .get(url)
        .call()
        .expect("GET page")
        .into_string()
        .expect("body");
    super::csrf_in(&body)
}
