//! Real headless Chromium for the browser tests: a chromedriver of their own (WebDriver, driven
//! with fantoccini), one fresh browser profile per session, and the few page actions the tests
//! share (wait for an element, type, click, log in as the first admin).
//!
//! Needs `chromium` and `chromedriver` on PATH (Debian: `apt-get install chromium chromium-driver`).

use std::io::Read;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use super::server::{Server, free_port};
use fantoccini::elements::Element;
use fantoccini::{Client, ClientBuilder, Locator};
use serde_json::json;
use tempfile::TempDir;

/// Upper bound for any one wait on the page.
pub const WAIT: Duration = Duration::from_secs(10);

/// A running chromedriver (in its own process group, so the browsers it starts go with it) and the
/// browser profiles it uses. Dropping it stops them all, also when the test panics.
pub struct Driver {
    child: Child,
    port: u16,
    dir: TempDir,
}

impl Driver {
    pub fn start() -> Driver {
        let Some(exe) = find_on_path("chromedriver") else {
            panic!(
                "chromedriver is not on PATH: the browser test needs Chromium and its WebDriver. \
                 Install them with `apt-get install -y --no-install-recommends chromium chromium-driver` \
                 (`bash tests/run.sh` does this when they are missing)."
            );
        };
        let dir = tempfile::tempdir().expect("temp dir for chromedriver");
        let port = free_port();
        let log = dir.path().join("chromedriver.log");
        let child = {
            use std::os::unix::process::CommandExt;
            Command::new(&exe)
                .arg(format!("--port={port}"))
                .arg(format!("--log-path={}", log.display()))
                .stdin(Stdio::null())
                .stdout(Stdio::null())
                .stderr(Stdio::null())
                .process_group(0)
                .spawn()
                .unwrap_or_else(|e| panic!("could not start {}: {e}", exe.display()))
        };
        let mut driver = Driver { child, port, dir };
        let deadline = Instant::now() + Duration::from_secs(15);
        loop {
            if ureq::get(&format!("{}/status", driver.url()))
                .timeout(Duration::from_secs(2))
                .call()
                .is_ok()
            {
                return driver;
            }
            if let Ok(Some(status)) = driver.child.try_wait() {
                panic!(
                    "chromedriver exited at startup ({status}); log:\n{}",
                    driver.log_tail()
                );
            }
            assert!(
                Instant::now() < deadline,
                "chromedriver did not answer within 15 s; log:\n{}",
                driver.log_tail()
            );
            std::thread::sleep(Duration::from_millis(25));
        }
    }

    pub fn url(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }

    /// A new browser session with its own, fresh profile (so its own cookie jar).
    pub async fn session(&self, name: &str) -> Client {
        let profile = self.dir.path().join(format!("profile-{name}"));
        std::fs::create_dir_all(&profile).expect("profile dir");
        let caps = json!({
            "browserName": "chrome",
            "pageLoadStrategy": "normal",
            "timeouts": { "pageLoad": 15_000, "script": 5_000, "implicit": 0 },
            "goog:chromeOptions": {
                "args": [
                    "--headless=new",
                    "--no-sandbox",
                    "--disable-gpu",
                    "--disable-dev-shm-usage",
                    "--disable-background-networking",
                    "--disable-component-update",
                    "--disable-sync",
                    "--no-first-run",
                    format!("--user-data-dir={}", profile.display()),
                    "--window-size=1280,900",
                ],
            },
        });
        let serde_json::Value::Object(caps) = caps else {
            unreachable!()
        };
        match ClientBuilder::native()
            .capabilities(caps)
            .connect(&self.url())
            .await
        {
            Ok(client) => client,
            Err(e) => panic!(
                "could not start a Chromium session ({e}); chromedriver log:\n{}",
                self.log_tail()
            ),
        }
    }

    pub fn log_tail(&self) -> String {
        let mut text = String::new();
        if let Ok(mut f) = std::fs::File::open(self.dir.path().join("chromedriver.log")) {
            let _ = f.read_to_string(&mut text);
        }
        let lines: Vec<&str> = text.lines().collect();
        lines[lines.len().saturating_sub(40)..].join("\n")
    }
}

impl Drop for Driver {
    fn drop(&mut self) {
        // SIGTERM to the whole group lets Chromium shut down; then make sure nothing is left.
        let group = format!("-{}", self.child.id());
        let _ = Command::new("kill")
            .args(["-TERM", "--", &group])
            .stderr(Stdio::null())
            .status();
        let deadline = Instant::now() + Duration::from_secs(2);
        while Instant::now() < deadline && matches!(self.child.try_wait(), Ok(None)) {
            std::thread::sleep(Duration::from_millis(20));
        }
        let _ = Command::new("kill")
            .args(["-KILL", "--", &group])
            .stderr(Stdio::null())
            .status();
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

pub fn find_on_path(name: &str) -> Option<PathBuf> {
    let path = std::env::var_os("PATH")?;
    std::env::split_paths(&path)
        .map(|dir| dir.join(name))
        .find(|p| p.is_file())
}

/// The first admin's password, from the lines `helpdesk serve` printed on an empty database.
pub fn admin_password(server: &Server) -> String {
    server
        .startup_output
        .iter()
        .find_map(|line| {
            line.trim()
                .strip_prefix("password:")
                .map(|p| p.trim().to_string())
        })
        .filter(|p| !p.is_empty())
        .unwrap_or_else(|| {
            panic!(
                "no first-admin password in the startup output: {:?}",
                server.startup_output
            )
        })
}

/// An XPath string literal for `s` (which must not contain both quote kinds).
pub fn xpath_literal(s: &str) -> String {
    if s.contains('\'') {
        format!("\"{s}\"")
    } else {
        format!("'{s}'")
    }
}

pub async fn wait_for(client: &Client, locator: Locator<'_>, what: &str) -> Element {
    let started = Instant::now();
    loop {
        let left = WAIT.saturating_sub(started.elapsed());
        match client.wait().at_most(left).for_element(locator).await {
            Ok(el) => return el,
            // The page was navigating (a form sent, a redirect) as it was asked: ask again.
            Err(e) if e.to_string().contains("aborted by navigation") && !left.is_zero() => {
                continue;
            }
            Err(e) => fail_waiting(client, locator, what, e).await,
        }
    }
}

async fn fail_waiting(
    client: &Client,
    locator: Locator<'_>,
    what: &str,
    e: fantoccini::error::CmdError,
) -> ! {
    let url = client
        .current_url()
        .await
        .map(|u| u.to_string())
        .unwrap_or_default();
    let source = client.source().await.unwrap_or_default();
    panic!("timed out waiting for {what} ({locator:?}) on {url}: {e}\npage source:\n{source}");
}

pub async fn find(client: &Client, css: &str) -> Element {
    client
        .find(Locator::Css(css))
        .await
        .unwrap_or_else(|e| panic!("no element {css}: {e}"))
}

pub async fn type_into(client: &Client, css: &str, text: &str) {
    let el = find(client, css).await;
    el.clear()
        .await
        .unwrap_or_else(|e| panic!("clear {css}: {e}"));
    el.send_keys(text)
        .await
        .unwrap_or_else(|e| panic!("type into {css}: {e}"));
}

pub async fn click(client: &Client, css: &str) {
    find(client, css)
        .await
        .click()
        .await
        .unwrap_or_else(|e| panic!("click {css}: {e}"));
}

/// The text of the selected option of the `<select>` matched by `css`.
pub async fn selected_label(client: &Client, css: &str) -> String {
    let option = find(client, &format!("{css} option:checked")).await;
    option.text().await.expect("option text").trim().to_string()
}

pub async fn staff_logs_in(client: &Client, server: &Server, password: &str) {
    client
        .goto(&server.url("/staff/login"))
        .await
        .expect("open the login page");
    wait_for(
        client,
        Locator::Css("form[action='/staff/login']"),
        "the login form",
    )
    .await;
    type_into(client, "#email", "admin@localhost").await;
    type_into(client, "#password", password).await;
    click(client, "form[action='/staff/login'] button[type='submit']").await;
    // Logged in: the staff navigation (with the logout button) appears.
    wait_for(
        client,
        Locator::Css("form[action='/staff/logout']"),
        "the staff navigation after logging in",
    )
    .await;
}
