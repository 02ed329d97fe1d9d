//! Test harness: the real app over a real SQLite file, driven through Rocket's local client, plus
//! helpers to run the real binary on a real socket.
#![allow(dead_code)]

pub mod browser;
pub mod dovecot;
pub mod multipart;
pub mod openapi;
pub mod receiver;
pub mod server;
pub mod smtp;

use std::sync::{Mutex, MutexGuard};

use helpdesk::Config;
use helpdesk::auth::{Role, users};
use helpdesk::db::Db;
use rocket::http::{ContentType, Header, Status};
use rocket::local::blocking::{Client, LocalResponse};
use tempfile::TempDir;

pub use multipart::Multipart;

pub const ADMIN_EMAIL: &str = "admin@example.com";
pub const ADMIN_PASSWORD: &str = "admin-password-1";
pub const AGENT_EMAIL: &str = "agent@example.com";
pub const AGENT_PASSWORD: &str = "agent-password-1";

/// Held by the tests that load the whole machine (real browsers, the load and crash drills) for
/// as long as they run, so two of them never overlap and each keeps its time budget however many
/// test threads run beside it. A test that failed while holding it does not stop the others.
pub fn heavy_test_lock() -> MutexGuard<'static, ()> {
    static HEAVY: Mutex<()> = Mutex::new(());
    HEAVY.lock().unwrap_or_else(|p| p.into_inner())
}

pub struct TestApp {
    pub client: Client,
    pub db: Db,
    pub config: Config,
    pub dir: TempDir,
}

/// A config for tests: a fresh database file and a fast bcrypt cost. The portal's submission
/// limits are off: many tests submit dozens of tickets from one client and email; the abuse
/// tests (`tests/abuse.rs`) set the limits they check.
pub fn test_config(dir: &TempDir) -> Config {
    Config {
        db: dir.path().join("helpdesk.db"),
        bcrypt_cost: 4,
        submit_limit_per_email_hour: 0,
        submit_limit_per_address_hour: 0,
        ..Config::default()
    }
}

impl TestApp {
    /// The app with one admin and one agent account.
    pub fn new() -> TestApp {
        TestApp::with_config(|_| {})
    }

    pub fn with_config(tweak: impl FnOnce(&mut Config)) -> TestApp {
        let dir = tempfile::tempdir().expect("temp dir");
        let mut config = test_config(&dir);
        tweak(&mut config);
        let db = Db::open(&config.db).expect("open db");
        db.write_blocking(|c| {
            let h = users::hash_password(ADMIN_PASSWORD, 4)?;
            users::create(c, ADMIN_EMAIL, "Alice Admin", Role::Admin, &h)?;
            let h = users::hash_password(AGENT_PASSWORD, 4)?;
            users::create(c, AGENT_EMAIL, "Gus Agent", Role::Agent, &h)?;
            Ok(())
        })
        .expect("create staff");
        let rocket = helpdesk::build_rocket_with(db.clone(), config.clone()).expect("build app");
        let client = Client::tracked(rocket).expect("client");
        TestApp {
            client,
            db,
            config,
            dir,
        }
    }

    /// A second browser (own cookie jar) on the same app.
    pub fn other_client(&self) -> Client {
        let rocket =
            helpdesk::build_rocket_with(self.db.clone(), self.config.clone()).expect("build app");
        Client::tracked(rocket).expect("client")
    }

    pub fn count(&self, sql: &str) -> i64 {
        let sql = sql.to_string();
        self.db
            .read_blocking(move |c| Ok(c.query_row(&sql, [], |r| r.get(0))?))
            .expect("count query")
    }
}

/// The CSRF token from the first hidden `csrf_token` input of the page at `path`.
pub fn csrf(client: &Client, path: &str) -> String {
    let body = get_ok(client, path);
    csrf_in(&body)
}

pub fn csrf_in(body: &str) -> String {
    let marker = "name=\"csrf_token\" value=\"";
    let start = body
        .find(marker)
        .map(|i| i + marker.len())
        .expect("page has a csrf_token field");
    let end = body[start..].find('"').expect("closing quote") + start;
    body[start..end].to_string()
}

pub fn get_ok(client: &Client, path: &str) -> String {
    let res = client.get(path).dispatch();
    assert_eq!(res.status(), Status::Ok, "GET {path}");
    res.into_string().unwrap_or_default()
}

/// POSTs a urlencoded form.
pub fn post_form<'c>(client: &'c Client, path: &str, fields: &[(&str, &str)]) -> LocalResponse<'c> {
    let body = fields
        .iter()
        .map(|(k, v)| format!("{}={}", urlencode(k), urlencode(v)))
        .collect::<Vec<_>>()
        .join("&");
    client
        .post(path.to_string())
        .header(ContentType::Form)
        .body(body)
        .dispatch()
}

pub fn urlencode(s: &str) -> String {
    let mut out = String::new();
    for b in s.bytes() {
        match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                out.push(b as char)
            }
            _ => out.push_str(&format!("%{b:02X}")),
        }
    }
    out
}

pub fn location(res: &LocalResponse<'_>) -> String {
    res.headers().get_one("Location").unwrap_or("").to_string()
}

pub fn login(client: &Client, email: &str, password: &str) {
    let token = csrf(client, "/staff/login");
    let res = post_form(
        client,
        "/staff/login",
        &[
            ("csrf_token", &token),
            ("email", email),
            ("password", password),
        ],
    );
    assert_eq!(
        res.status(),
        Status::SeeOther,
        "login as {email} should succeed"
    );
}

/// A valid ticket submission's fields.
pub struct TicketInput<'a> {
    pub name: &'a str,
    pub email: &'a str,
    pub category: &'a str,
    pub subject: &'a str,
    pub message: &'a str,
}

impl Default for TicketInput<'_> {
    fn default() -> Self {
        TicketInput {
            name: "Ana Garcia",
            email: "ana@office.example",
            category: "2",
            subject: "Printer on floor 2 is offline",
            message: "The printer by the kitchen shows offline.",
        }
    }
}

/// Submits a ticket through the portal form; returns the tracking ID from the redirect.
pub fn submit_ticket(
    client: &Client,
    input: &TicketInput<'_>,
    files: &[(&str, &str, &[u8])],
) -> String {
    let token = csrf(client, "/tickets/new");
    let mut form = Multipart::new();
    form.text("csrf_token", &token)
        .text("name", input.name)
        .text("email", input.email)
        .text("category", input.category)
        .text("priority", "")
        .text("subject", input.subject)
        .text("message", input.message);
    for (name, ctype, data) in files {
        form.file("attachments", name, ctype, data);
    }
    let res = form.post(client, "/tickets");
    assert_eq!(
        res.status(),
        Status::SeeOther,
        "ticket submission should redirect"
    );
    let loc = location(&res);
    let tid = loc
        .trim_start_matches("/tickets/")
        .split('?')
        .next()
        .unwrap_or("")
        .to_string();
    assert!(
        is_tracking_id(&tid),
        "redirect {loc} should name a tracking ID"
    );
    tid
}

pub fn is_tracking_id(s: &str) -> bool {
    let alphabet = "ABCDEFGHJKMNPQRSTUVWXYZ23456789";
    let parts: Vec<&str> = s.split('-').collect();
    parts.len() == 3
        && parts[0].len() == 3
        && parts[1].len() == 3
        && parts[2].len() == 4
        && parts
            .iter()
            .all(|p| p.chars().all(|c| alphabet.contains(c)))
}

/// The staff id of the ticket with this tracking ID.
pub fn ticket_id(app: &TestApp, tid: &str) -> i64 {
    let tid = tid.to_string();
    app.db
        .read_blocking(move |c| {
            Ok(c.query_row(
                "SELECT id FROM tickets WHERE tracking_id = ?1",
                [&tid],
                |r| r.get(0),
            )?)
        })
        .expect("ticket exists")
}

pub fn accept_language(lang: &str) -> Header<'static> {
    Header::new("Accept-Language", lang.to_string())
}

/// An admin on `app.client` renames the desk to "Floor 2 IT" (7 MB attachments, pdf and png
/// only) and the Hardware category to "Printers and PCs", then logs out.
pub fn admin_renames_desk_and_hardware(app: &TestApp) {
    login(&app.client, ADMIN_EMAIL, ADMIN_PASSWORD);
    let token = csrf(&app.client, "/admin/settings");
    let res = post_form(
        &app.client,
        "/admin/settings",
        &[
            ("csrf_token", &token),
            ("desk_name", "Floor 2 IT"),
            ("max_attachment_mb", "7"),
            ("allowed_extensions", "pdf, png"),
        ],
    );
    assert_eq!(res.status(), Status::SeeOther, "settings saved");
    let id = app.count("SELECT id FROM categories WHERE name = 'Hardware'");
    let medium = app.count("SELECT id FROM priorities WHERE slug = 'medium'");
    let res = post_form(
        &app.client,
        &format!("/admin/categories/{id}"),
        &[
            ("csrf_token", &token),
            ("name", "Printers and PCs"),
            ("default_priority", &medium.to_string()),
            ("active", "true"),
        ],
    );
    assert_eq!(res.status(), Status::SeeOther, "category renamed");
    let res = post_form(&app.client, "/staff/logout", &[("csrf_token", &token)]);
    assert_eq!(res.status(), Status::SeeOther, "logged out");
}
