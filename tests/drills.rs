//! Drills against the real binary on 127.0.0.1: an office's load with a backup taken in the
//! middle of it, a full disk, and a disk that turns read-only under the running server. The last
//! two mount file systems, so they need root and skip themselves otherwise.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use crate::common;
use crate::common::Multipart;
use crate::common::server;
use rusqlite::{Connection, OpenFlags};

const DRILL: Duration = Duration::from_secs(20);
const THREADS: usize = 64;
const STAFF_THREADS: usize = 8;
const AGENT_EMAIL: &str = "desk@office.example";
const AGENT_PASSWORD: &str = "agent-password-1";
const CATALOG: &str = include_str!("../src/i18n/en.json");

fn clean_env(cmd: &mut Command) {
    for (key, _) in std::env::vars() {
        if key.starts_with("HELPDESK_") {
            cmd.env_remove(key);
        }
    }
    // The drills submit far more tickets from one address and email than an office would.
    cmd.env("HELPDESK_BCRYPT_COST", "4")
        .env("HELPDESK_LOG_LEVEL", "critical")
        .env("HELPDESK_SUBMIT_LIMIT_PER_EMAIL_HOUR", "0")
        .env("HELPDESK_SUBMIT_LIMIT_PER_ADDRESS_HOUR", "0");
}

/// The real server, everything it prints going to a log file.
struct Srv {
    child: Child,
    base: String,
    log: PathBuf,
}

impl Srv {
    fn start(db: &Path, log: &Path) -> Srv {
        let port = server::free_port();
        let out = std::fs::File::create(log).expect("log file");
        let err = out.try_clone().expect("log file");
        let mut cmd = Command::new(server::binary());
        cmd.arg("--db")
            .arg(db)
            .args(["serve", "--bind", &format!("127.0.0.1:{port}")]);
        clean_env(&mut cmd);
        let child = cmd
            .stdin(Stdio::null())
            .stdout(out)
            .stderr(err)
            .spawn()
            .expect("start helpdesk");
        let mut srv = Srv {
            child,
            base: format!("http://127.0.0.1:{port}"),
            log: log.to_path_buf(),
        };
        let deadline = Instant::now() + Duration::from_secs(30);
        while ureq::get(&srv.url("/healthz")).call().is_err() {
            if let Ok(Some(status)) = srv.child.try_wait() {
                panic!("server exited with {status}: {}", srv.log_text());
            }
            assert!(
                Instant::now() < deadline,
                "server did not start: {}",
                srv.log_text()
            );
            std::thread::sleep(Duration::from_millis(20));
        }
        srv
    }

    fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    fn log_text(&self) -> String {
        std::fs::read_to_string(&self.log).unwrap_or_default()
    }

    /// Stops the server and returns everything it printed, checked for locking errors and panics.
    fn stop(mut self) -> String {
        let _ = self.child.kill();
        let _ = self.child.wait();
        let log = self.log_text();
        for bad in ["database is locked", "panicked"] {
            assert!(!log.contains(bad), "the server printed {bad:?}:\n{log}");
        }
        log
    }
}

impl Drop for Srv {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// `helpdesk --db DB ARGS` with `stdin`, failed after a minute; success and all output.
fn cli(db: &Path, args: &[&str], stdin: &str) -> (bool, String) {
    let mut cmd = Command::new(server::binary());
    cmd.arg("--db").arg(db).args(args);
    clean_env(&mut cmd);
    let mut child = cmd
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("run helpdesk");
    let _ = child
        .stdin
        .take()
        .expect("stdin")
        .write_all(stdin.as_bytes());
    let deadline = Instant::now() + Duration::from_secs(60);
    while child.try_wait().expect("wait for helpdesk").is_none() {
        if Instant::now() > deadline {
            let _ = child.kill();
            let _ = child.wait();
            panic!("helpdesk {args:?} did not finish within a minute");
        }
        std::thread::sleep(Duration::from_millis(10));
    }
    let out = child.wait_with_output().expect("output");
    let text =
        String::from_utf8_lossy(&out.stdout).to_string() + &String::from_utf8_lossy(&out.stderr);
    (out.status.success(), text)
}

/// Status, Location and body, error statuses included; Err on a transport error.
type Answer = Result<(u16, String, String), String>;

fn answer(res: Result<ureq::Response, ureq::Error>) -> Answer {
    let r = match res {
        Ok(r) | Err(ureq::Error::Status(_, r)) => r,
        Err(e) => return Err(e.to_string()),
    };
    let location = r.header("Location").unwrap_or("").to_string();
    Ok((r.status(), location, r.into_string().unwrap_or_default()))
}

fn get(agent: &ureq::Agent, url: &str) -> Answer {
    answer(agent.get(url).call())
}

fn post_form(agent: &ureq::Agent, url: &str, fields: &[(&str, &str)]) -> Answer {
    answer(agent.post(url).send_form(fields))
}

fn post_multipart(agent: &ureq::Agent, url: &str, form: &Multipart) -> Answer {
    answer(
        agent
            .post(url)
            .set("Content-Type", &Multipart::header_value())
            .send_bytes(&form.finish()),
    )
}

/// Logs the agent in through the real login form.
fn login(agent: &ureq::Agent, base: &str) -> Answer {
    let (_, _, page) = get(agent, &format!("{base}/staff/login"))?;
    let token = common::csrf_in(&page);
    let fields = [
        ("csrf_token", token.as_str()),
        ("email", AGENT_EMAIL),
        ("password", AGENT_PASSWORD),
    ];
    post_form(agent, &format!("{base}/staff/login"), &fields)
}

fn ticket_form(token: &str, subject: &str, email: &str, file: Option<&[u8]>) -> Multipart {
    let mut form = Multipart::new();
    form.text("csrf_token", token)
        .text("name", "Office Worker")
        .text("email", email)
        .text("category", "1")
        .text("subject", subject)
        .text("message", &format!("Details of {subject}"));
    if let Some(data) = file {
        form.file("attachments", "log.txt", "text/plain", data);
    }
    form
}

/// Submits a ticket through the portal form: status, Location, body.
fn submit(
    agent: &ureq::Agent,
    srv: &Srv,
    subject: &str,
    file: Option<&[u8]>,
) -> (u16, String, String) {
    let token = server::csrf_from(agent, &srv.url("/tickets/new"));
    let form = ticket_form(&token, subject, "drill@office.example", file);
    post_multipart(agent, &srv.url("/tickets"), &form).expect("the server answers")
}

fn tracking_id(location: &str) -> Option<String> {
    let tid = location
        .strip_prefix("/tickets/")?
        .strip_suffix("?created=true")?;
    common::is_tracking_id(tid).then(|| tid.to_string())
}

/// Every request's answer by status class, and what went wrong.
#[derive(Default)]
struct Stats {
    classes: [AtomicUsize; 6],
    connection_errors: AtomicUsize,
    submissions_started: AtomicUsize,
    problems: Mutex<Vec<String>>,
    /// Acknowledged tickets: when, tracking ID, subject, email.
    acked: Mutex<Vec<(Instant, String, String, String)>>,
}

impl Stats {
    fn problem(&self, what: String) {
        self.problems
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .push(what);
    }

    /// Counts an answer; Location and body when it has the wanted status.
    fn note(&self, what: &str, res: Answer, want: u16) -> Option<(String, String)> {
        match res {
            Err(e) => {
                self.connection_errors.fetch_add(1, Ordering::SeqCst);
                self.problem(format!("{what}: {e}"));
                None
            }
            Ok((status, location, body)) => {
                self.classes[(status / 100).min(5) as usize].fetch_add(1, Ordering::SeqCst);
                if status == want {
                    return Some((location, body));
                }
                self.problem(format!("{what}: {status} (wanted {want})"));
                None
            }
        }
    }
}

fn employee(n: usize, base: &str, st: &Stats, end: Instant) {
    let agent = server::agent();
    let email = format!("worker{n}@office.example");
    let mut i = 0;
    while Instant::now() < end {
        i += 1;
        st.note("GET /", get(&agent, &format!("{base}/")), 200);
        let Some((_, page)) = st.note(
            "GET /tickets/new",
            get(&agent, &format!("{base}/tickets/new")),
            200,
        ) else {
            continue;
        };
        let token = common::csrf_in(&page);
        let subject = format!(
            "{} {n}-{i}",
            ["Printer jam", "VPN drops", "New laptop"][i % 3]
        );
        let file = (i % 4 == 0).then(|| format!("log line {n}-{i}\n").repeat(100).into_bytes());
        let form = ticket_form(&token, &subject, &email, file.as_deref());
        st.submissions_started.fetch_add(1, Ordering::SeqCst);
        let res = post_multipart(&agent, &format!("{base}/tickets"), &form);
        let Some((location, _)) = st.note("POST /tickets", res, 303) else {
            continue;
        };
        let Some(tid) = tracking_id(&location) else {
            st.problem(format!("POST /tickets: odd redirect {location:?}"));
            continue;
        };
        let ack = (Instant::now(), tid.clone(), subject.clone(), email.clone());
        st.acked.lock().unwrap_or_else(|p| p.into_inner()).push(ack);
        let page = st.note(
            "GET ticket",
            get(&agent, &format!("{base}/tickets/{tid}")),
            200,
        );
        if page.is_some_and(|(_, p)| !p.contains(&subject)) {
            st.problem(format!("ticket page {tid} lacks its subject"));
        }
        let mut reply = Multipart::new();
        reply
            .text("csrf_token", &token)
            .text("message", &format!("Any news on {subject}?"));
        st.note(
            "POST reply",
            post_multipart(&agent, &format!("{base}/tickets/{tid}/reply"), &reply),
            303,
        );
    }
}

fn staff(n: usize, base: &str, st: &Stats, end: Instant) {
    let agent = server::agent();
    if st.note("staff login", login(&agent, base), 303).is_none() {
        return;
    }
    let filters = [
        "",
        "?view=all",
        "?q=printer",
        "?view=all&status=1",
        "?view=all&status=2&sort=updated",
        "?view=all&q=vpn",
    ];
    let mut i = 0;
    while Instant::now() < end {
        i += 1;
        let filter = filters[i % filters.len()];
        let res = get(&agent, &format!("{base}/staff/tickets{filter}"));
        let Some((_, list)) = st.note(&format!("GET /staff/tickets{filter}"), res, 200) else {
            continue;
        };
        let digits = |s: &str| {
            s.chars()
                .take_while(char::is_ascii_digit)
                .collect::<String>()
                .parse()
                .ok()
        };
        let ids: Vec<i64> = list
            .split("/staff/tickets/")
            .skip(1)
            .filter_map(digits)
            .collect();
        let Some(&id) = ids.get((n + i) % ids.len().max(1)) else {
            std::thread::sleep(Duration::from_millis(50));
            continue;
        };
        let url = format!("{base}/staff/tickets/{id}");
        let Some((_, page)) = st.note("GET /staff/tickets/<id>", get(&agent, &url), 200) else {
            continue;
        };
        let token = common::csrf_in(&page);
        let mut reply = Multipart::new();
        reply
            .text("csrf_token", &token)
            .text("kind", "reply")
            .text("message", &format!("Looking into it ({n}-{i})."));
        st.note(
            "POST staff reply",
            post_multipart(&agent, &format!("{url}/reply"), &reply),
            303,
        );
        let status = ["2", "3", "4", "5"][i % 4];
        let res = post_form(
            &agent,
            &format!("{url}/update"),
            &[("csrf_token", &token), ("status", status)],
        );
        st.note("POST update", res, 303);
    }
}

fn vm_rss_kb(pid: u32) -> u64 {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).expect("/proc status");
    let line = status
        .lines()
        .find(|l| l.starts_with("VmRSS:"))
        .expect("VmRSS line");
    line.split_whitespace()
        .nth(1)
        .and_then(|v| v.parse().ok())
        .expect("VmRSS value")
}

fn sleep_until(t: Instant) {
    std::thread::sleep(t.saturating_duration_since(Instant::now()));
}

fn open_ro(path: &Path) -> Connection {
    let conn = Connection::open_with_flags(path, OpenFlags::SQLITE_OPEN_READ_ONLY)
        .expect("open read-only");
    let ok: String = conn
        .query_row("PRAGMA integrity_check", [], |r| r.get(0))
        .expect("integrity_check");
    assert_eq!(ok, "ok", "integrity of {}", path.display());
    conn
}

fn count(conn: &Connection, sql: &str, arg: &str) -> i64 {
    conn.query_row(sql, [arg], |r| r.get(0))
        .unwrap_or_else(|e| panic!("{sql}: {e}"))
}

#[test]
fn load_drill_with_backup_under_load() {
    let _heavy = common::heavy_test_lock();
    let started = Instant::now();
    let dir = tempfile::tempdir().expect("temp dir");
    let db = dir.path().join("helpdesk.db");
    let add = [
        "user",
        "add",
        "--role",
        "agent",
        "--email",
        AGENT_EMAIL,
        "--name",
        "Gus Agent",
        "--password-stdin",
    ];
    let (ok, out) = cli(&db, &add, &format!("{AGENT_PASSWORD}\n"));
    assert!(ok, "user add: {out}");
    let srv = Srv::start(&db, &dir.path().join("server.log"));
    let pid = srv.child.id();
    let st = Arc::new(Stats::default());
    let t0 = Instant::now();
    let end = t0 + DRILL;
    let handles: Vec<_> = (0..THREADS)
        .map(|n| {
            let (st, base) = (Arc::clone(&st), srv.base.clone());
            std::thread::spawn(move || match n < STAFF_THREADS {
                true => staff(n, &base, &st, end),
                false => employee(n, &base, &st, end),
            })
        })
        .collect();
    sleep_until(t0 + DRILL / 4);
    let rss_early = vm_rss_kb(pid);

    // A backup half way through, while the clients write.
    sleep_until(t0 + DRILL / 2);
    let backup = dir.path().join("backup.db");
    let backup_start = Instant::now();
    let acked_before: Vec<_> = {
        let acked = st.acked.lock().unwrap_or_else(|p| p.into_inner());
        acked
            .iter()
            .filter(|a| a.0 < backup_start)
            .cloned()
            .collect()
    };
    let (ok, out) = cli(&db, &["backup", backup.to_str().expect("utf-8 path")], "");
    let backup_took = backup_start.elapsed();
    let started_by_end = st.submissions_started.load(Ordering::SeqCst);
    assert!(ok, "backup under load: {out}");

    for h in handles {
        h.join().expect("client thread");
    }
    let rss_end = vm_rss_kb(pid);
    let log = srv.stop();
    let classes: Vec<usize> = st
        .classes
        .iter()
        .map(|c| c.load(Ordering::SeqCst))
        .collect();
    let conn_errors = st.connection_errors.load(Ordering::SeqCst);
    let acked = st.acked.lock().unwrap_or_else(|p| p.into_inner()).len();
    let problems = st
        .problems
        .lock()
        .unwrap_or_else(|p| p.into_inner())
        .clone();
    eprintln!(
        "load drill: {THREADS} clients for {DRILL:?}: 2xx {} 3xx {} 4xx {} 5xx {}, {conn_errors} connection errors, {acked} tickets acknowledged",
        classes[2], classes[3], classes[4], classes[5]
    );
    eprintln!(
        "load drill: VmRSS {rss_early} kB at {:?}, {rss_end} kB at the end",
        DRILL / 4
    );
    assert_eq!(classes[5], 0, "no 5xx answers: {problems:?}\n{log}");
    assert_eq!(conn_errors, 0, "no connection errors: {problems:?}");
    assert!(
        problems.is_empty(),
        "every request got its expected answer: {} problems, first {:?}",
        problems.len(),
        &problems[..problems.len().min(20)]
    );
    assert!(acked >= 100, "the office got work done: {acked} tickets");
    assert!(
        rss_end <= rss_early * 3 / 2 + 16 * 1024,
        "memory stays flat: {rss_early} kB -> {rss_end} kB"
    );

    let copy = open_ro(&backup);
    let in_copy: i64 = copy
        .query_row("SELECT COUNT(*) FROM tickets", [], |r| r.get(0))
        .expect("count");
    eprintln!(
        "load drill: backup took {backup_took:?}: {} acknowledged before it, {in_copy} tickets in the copy, {started_by_end} submissions started by its end",
        acked_before.len()
    );
    assert!(
        acked_before.len() as i64 <= in_copy && in_copy <= started_by_end as i64,
        "the copy holds {in_copy} tickets: between {} acknowledged before and {started_by_end} started by the end",
        acked_before.len()
    );
    for (_, tid, subject, _) in &acked_before {
        let n = count(
            &copy,
            "SELECT COUNT(*) FROM tickets WHERE tracking_id = ?1",
            tid,
        );
        assert_eq!(
            n, 1,
            "ticket {tid} ({subject}) acknowledged before the backup is in it"
        );
    }
    drop(copy);

    // Restore the copy into a new database and serve it.
    let restored = dir.path().join("restored.db");
    let (ok, out) = cli(
        &restored,
        &["restore", backup.to_str().expect("utf-8 path"), "--yes"],
        "",
    );
    assert!(ok, "restore: {out}");
    let srv = Srv::start(&restored, &dir.path().join("restored.log"));
    let browser = server::agent();
    let (_, tid, subject, email) = acked_before
        .get(acked_before.len() / 2)
        .expect("tickets before the backup");
    let token = server::csrf_from(&browser, &srv.url("/tickets/new"));
    let form = [
        ("csrf_token", token.as_str()),
        ("tracking_id", tid),
        ("email", email),
    ];
    let (status, location, _) =
        post_form(&browser, &srv.url("/tickets/lookup"), &form).expect("lookup");
    assert_eq!(
        (status, location.as_str()),
        (303, format!("/tickets/{tid}").as_str())
    );
    let (status, _, page) = get(&browser, &srv.url(&location)).expect("ticket page");
    assert!(
        status == 200 && page.contains(subject.as_str()),
        "restored ticket {tid} is served"
    );
    let desk = server::agent();
    assert_eq!(
        login(&desk, &srv.base).map(|a| a.0),
        Ok(303),
        "the agent logs in on the restored database"
    );
    let (status, _, _) = get(&desk, &srv.url("/staff/tickets?view=all")).expect("desk");
    assert_eq!(status, 200, "the desk opens on the restored database");
    srv.stop();
    assert!(
        started.elapsed() < Duration::from_secs(120),
        "the drill took {:?}",
        started.elapsed()
    );
}

fn is_root() -> bool {
    let out = Command::new("id").arg("-u").output();
    out.is_ok_and(|o| String::from_utf8_lossy(&o.stdout).trim() == "0")
}

fn run(prog: &str, args: &[&str]) -> bool {
    let out = Command::new(prog).args(args).output();
    let ok = out.as_ref().is_ok_and(|o| o.status.success());
    if !ok {
        eprintln!("{prog} {args:?} failed: {out:?}");
    }
    ok
}

/// Unmounts its directory when dropped, also when the test panics.
struct Mounted(PathBuf);

impl Drop for Mounted {
    fn drop(&mut self) {
        let path = self.0.to_str().expect("utf-8 path");
        let _ = run("umount", &[path]) || run("umount", &["-l", path]);
    }
}

/// The page shows this English catalog message (Tera escapes it).
fn shows_message(page: &str, key: &str) -> bool {
    let catalog: serde_json::Value = serde_json::from_str(CATALOG).expect("en.json");
    let text = catalog[key].as_str().expect("catalog key");
    let escaped = text
        .replace('&', "&amp;")
        .replace('\'', "&#x27;")
        .replace('"', "&quot;")
        .replace('/', "&#x2F;");
    page.contains(text) || page.contains(&escaped)
}

fn assert_reads_work(srv: &Srv, browser: &ureq::Agent, tid: &str, subject: &str) {
    let (status, _, _) = get(browser, &srv.url("/")).expect("GET /");
    assert_eq!(status, 200, "the home page still works");
    let (status, _, page) = get(browser, &srv.url(&format!("/tickets/{tid}"))).expect("GET ticket");
    assert!(
        status == 200 && page.contains(subject),
        "ticket {tid} is still served ({status})"
    );
}

#[test]
fn disk_full_gives_a_clear_error_and_loses_nothing() {
    if !is_root() {
        eprintln!("skipped: mounting a small tmpfs needs root");
        return;
    }
    let logs = tempfile::tempdir().expect("temp dir");
    let dir = tempfile::tempdir().expect("temp dir");
    let mnt = dir.path().to_str().expect("utf-8 path");
    assert!(
        run("mount", &["-t", "tmpfs", "-o", "size=4m", "tmpfs", mnt]),
        "mount a 4 MB tmpfs"
    );
    let _mounted = Mounted(dir.path().to_path_buf());
    let db = dir.path().join("helpdesk.db");
    let srv = Srv::start(&db, &logs.path().join("server.log"));
    let browser = server::agent();
    let mut acked = Vec::new();
    let mut full = None;
    for i in 0..40 {
        let subject = format!("Disk drill {i}");
        let data = format!("{subject}\n{}", "0123456789abcdef".repeat(300 * 64)).into_bytes();
        let (status, location, page) = submit(&browser, &srv, &subject, Some(&data));
        match tracking_id(&location) {
            Some(tid) if status == 303 => acked.push((tid, subject)),
            _ => {
                full = Some((status, page, subject));
                break;
            }
        }
    }
    let (status, page, lost) = full.expect("the disk fills up within 40 submissions of 300 KB");
    eprintln!(
        "disk full: {} tickets acknowledged, then {status}",
        acked.len()
    );
    assert_eq!(status, 507, "a full disk answers 507\n{}", srv.log_text());
    assert!(
        shows_message(&page, "error_507"),
        "the 507 page says the disk is full: {page}"
    );
    let (tid, subject) = acked
        .first()
        .expect("tickets before the disk filled up")
        .clone();
    assert_reads_work(&srv, &browser, &tid, &subject);

    // Space returns.
    assert!(
        run("mount", &["-o", "remount,size=64m", mnt]),
        "grow the tmpfs"
    );
    let (status, location, _) = submit(&browser, &srv, "After the disk was freed", None);
    assert_eq!(status, 303, "a submission works again once there is space");
    acked.push((
        tracking_id(&location).expect("tracking ID"),
        "After the disk was freed".into(),
    ));
    srv.stop();
    let conn = open_ro(&db);
    for (tid, subject) in &acked {
        let n = count(
            &conn,
            "SELECT COUNT(*) FROM tickets WHERE tracking_id = ?1",
            tid,
        );
        assert_eq!(n, 1, "acknowledged ticket {tid} ({subject}) is stored");
    }
    assert_eq!(
        count(
            &conn,
            "SELECT COUNT(*) FROM tickets WHERE subject = ?1",
            &lost
        ),
        0,
        "the refused ticket left nothing"
    );
}

#[test]
fn read_only_database_gives_a_clear_error_and_recovers() {
    if !is_root() {
        eprintln!("skipped: mounting a file system needs root");
        return;
    }
    // A tmpfs cannot be remounted read-only while the server holds the database open for
    // writing (EBUSY). What really turns a disk read-only under a running server is the kernel
    // meeting a disk error (errors=remount-ro); ext4 can simulate one on demand.
    let logs = tempfile::tempdir().expect("temp dir");
    let dir = tempfile::tempdir().expect("temp dir");
    let img = dir.path().join("disk.img");
    std::fs::File::create(&img)
        .and_then(|f| f.set_len(32 << 20))
        .expect("disk image");
    let img = img.to_str().expect("utf-8 path");
    let mnt_dir = dir.path().join("mnt");
    std::fs::create_dir(&mnt_dir).expect("mount point");
    let mnt = mnt_dir.to_str().expect("utf-8 path");
    let mount = || run("mount", &["-o", "loop,errors=remount-ro", img, mnt]);
    if !run("mkfs.ext4", &["-q", "-F", "-O", "^has_journal", img]) || !mount() {
        eprintln!("skipped: needs mkfs.ext4 (e2fsprogs) and loop devices");
        return;
    }
    let _mounted = Mounted(mnt_dir.clone());
    let db = mnt_dir.join("helpdesk.db");
    let srv = Srv::start(&db, &logs.path().join("server.log"));
    let browser = server::agent();
    let (status, location, _) = submit(&browser, &srv, "Before the disk error", None);
    assert_eq!(status, 303);
    let tid = tracking_id(&location).expect("tracking ID");
    // Written back before the error (synchronous=NORMAL leaves the WAL in the page cache, which
    // the errored file system never writes back).
    assert!(
        run("sync", &["-f", db.to_str().expect("utf-8 path")]),
        "sync"
    );
    let source = Command::new("findmnt")
        .args(["-n", "-o", "SOURCE", mnt])
        .output()
        .expect("findmnt");
    let device = String::from_utf8_lossy(&source.stdout)
        .trim()
        .trim_start_matches("/dev/")
        .to_string();
    std::fs::write(format!("/sys/fs/ext4/{device}/trigger_fs_error"), "1")
        .expect("trigger an ext4 error");
    let (status, _, page) = submit(&browser, &srv, "While read-only", None);
    eprintln!("read-only: a submission answered {status}");
    assert_eq!(
        status,
        503,
        "a read-only disk answers 503\n{}",
        srv.log_text()
    );
    assert!(
        shows_message(&page, "error_503"),
        "the 503 page says storage is read-only: {page}"
    );
    assert_reads_work(&srv, &browser, &tid, "Before the disk error");

    // The kernel keeps an errored ext4 read-only until it is mounted again: stop, remount, start.
    srv.stop();
    assert!(run("umount", &[mnt]) && mount(), "mount the disk again");
    let srv = Srv::start(&db, &logs.path().join("server2.log"));
    let (status, location, _) = submit(&browser, &srv, "After the disk came back", None);
    assert_eq!(status, 303, "a submission works again");
    let new_tid = tracking_id(&location).expect("tracking ID");
    srv.stop();
    let conn = open_ro(&db);
    for t in [&tid, &new_tid] {
        assert_eq!(
            count(
                &conn,
                "SELECT COUNT(*) FROM tickets WHERE tracking_id = ?1",
                t
            ),
            1,
            "ticket {t} is stored"
        );
    }
    assert_eq!(
        count(
            &conn,
            "SELECT COUNT(*) FROM tickets WHERE subject = ?1",
            "While read-only"
        ),
        0
    );
}
