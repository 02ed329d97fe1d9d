//! One typed configuration: defaults, then an optional TOML file, then `HELPDESK_*` variables,
//! then command-line flags. Validated once at start, with a message for every bad key.

use std::net::SocketAddr;
use std::path::PathBuf;

use rocket::figment::providers::{Env, Format, Serialized, Toml};
use rocket::figment::{Figment, Provider};
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(default)]
pub struct Config {
    /// SQLite file holding everything.
    pub db: PathBuf,
    /// Address and port to listen on.
    pub bind: SocketAddr,
    /// Largest request body (a form with all its attachments), in MiB. Larger gets 413.
    pub max_upload_mb: u64,
    /// Hours a staff login lasts.
    pub session_hours: u64,
    /// bcrypt work factor for new password hashes.
    pub bcrypt_cost: u32,
    /// Header carrying the client address when behind a reverse proxy (e.g. "X-Real-IP").
    /// Empty: use the socket's peer address.
    pub ip_header: String,
    /// Absolute base URL used in links the desk sends out (e.g. "https://help.example.com").
    pub base_url: String,
    /// Rocket worker threads; 0 = one per core.
    pub workers: usize,
    /// Log level: off, critical, normal, debug.
    pub log_level: String,
    /// SMTP server for outgoing mail, as a URL (`smtp://host:port`, `smtps://user:pass@host`,
    /// `smtp://host:587?tls=required`). Empty: no mail is sent or queued.
    pub smtp_url: String,
    /// Sender address of outgoing mail (`Name <addr>` or `addr`).
    pub mail_from: String,
    /// Reply-To address of outgoing mail; empty = none.
    pub mail_reply_to: String,
    /// IMAP server polled for incoming mail; empty = no polling.
    pub imap_host: String,
    /// IMAP port; 0 = the usual one for `imap_security` (993 for tls, 143 otherwise).
    pub imap_port: u16,
    /// `tls` (implicit TLS), `starttls`, or `none` (plain text: only on a trusted network).
    pub imap_security: String,
    pub imap_user: String,
    pub imap_password: String,
    /// Folder read for new mail.
    pub imap_folder: String,
    /// Seconds between two polls of the running server.
    pub imap_interval_secs: u64,
    /// Folder imported mail is moved into; empty = it stays, flagged as imported.
    pub imap_move_to: String,
    /// The authserv-id of the desk's own mail server (e.g. `mx.example.com`), whose topmost
    /// `Authentication-Results` header saying `dmarc=pass` for the From domain verifies an
    /// emailed reply's sender; empty = no such header is trusted.
    pub mail_trusted_authserv_id: String,
    /// Seconds between two looks of the time-based background jobs for work that fell due.
    pub jobs_interval_secs: u64,
    /// Seconds between two heartbeat comments on an idle live event stream (a dead client's
    /// connection is dropped at the first one that fails).
    pub live_heartbeat_secs: u64,
    /// Seconds a client has to send a form's whole body (uploads included) once its headers are
    /// in; slower gets 408 and the connection is closed.
    pub body_timeout_secs: u64,
    /// Requests each API token may make per minute (a burst of that many at once, then that
    /// average); 0 = no limit.
    pub api_rate_per_minute: u32,
    /// Seconds a webhook receiver has to accept the connection, and to answer in all.
    pub webhook_timeout_secs: u64,
    /// Portal tickets one requester email may submit per hour; 0 = no limit.
    pub submit_limit_per_email_hour: u32,
    /// Portal tickets one client address may submit per hour (a whole office may share one
    /// behind its router); 0 = no limit.
    pub submit_limit_per_address_hour: u32,
}

impl Default for Config {
    fn default() -> Self {
        Config {
            db: PathBuf::from("helpdesk.db"),
            bind: SocketAddr::from(([127, 0, 0, 1], 8080)),
            max_upload_mb: 25,
            session_hours: 12,
            bcrypt_cost: 12,
            ip_header: String::new(),
            base_url: "http://127.0.0.1:8080".into(),
            workers: 0,
            log_level: "critical".into(),
            smtp_url: String::new(),
            mail_from: "helpdesk@localhost".into(),
            mail_reply_to: String::new(),
            imap_host: String::new(),
            imap_port: 0,
            imap_security: "tls".into(),
            imap_user: String::new(),
            imap_password: String::new(),
            imap_folder: "INBOX".into(),
            imap_interval_secs: 60,
            imap_move_to: String::new(),
            mail_trusted_authserv_id: String::new(),
            jobs_interval_secs: 30,
            live_heartbeat_secs: 15,
            body_timeout_secs: 30,
            api_rate_per_minute: 600,
            webhook_timeout_secs: 10,
            submit_limit_per_email_hour: 20,
            submit_limit_per_address_hour: 200,
        }
    }
}

impl Config {
    /// Defaults, then `file` (when given), then `HELPDESK_*` environment variables.
    /// Every bad or unknown key is reported, not just the first.
    pub fn load(file: Option<&PathBuf>) -> Result<Config, Vec<String>> {
        let mut figment = Figment::from(Serialized::defaults(Config::default()));
        if let Some(file) = file {
            if !file.exists() {
                return Err(vec![format!(
                    "config file {} does not exist",
                    file.display()
                )]);
            }
            figment = figment.merge(Toml::file(file));
        }
        // HELPDESK_CONFIG names the file itself, not a key.
        figment = figment.merge(Env::prefixed("HELPDESK_").ignore(&["config"]));
        let mut problems = Vec::new();
        let mut config = Config::default();
        macro_rules! read {
            ($($key:ident),*) => {{
                const KNOWN: &[&str] = &[$(stringify!($key)),*];
                $(match figment.extract_inner(stringify!($key)) {
                    Ok(value) => config.$key = value,
                    Err(e) => problems.push(format!("{}: {}", stringify!($key), e.kind)),
                })*
                KNOWN
            }};
        }
        let known = read!(
            db,
            bind,
            max_upload_mb,
            session_hours,
            bcrypt_cost,
            ip_header,
            base_url,
            workers,
            log_level,
            smtp_url,
            mail_from,
            mail_reply_to,
            imap_host,
            imap_port,
            imap_security,
            imap_user,
            imap_password,
            imap_folder,
            imap_interval_secs,
            imap_move_to,
            mail_trusted_authserv_id,
            jobs_interval_secs,
            live_heartbeat_secs,
            body_timeout_secs,
            api_rate_per_minute,
            webhook_timeout_secs,
            submit_limit_per_email_hour,
            submit_limit_per_address_hour
        );
        match figment.data() {
            Ok(data) => {
                for dict in data.values() {
                    for key in dict.keys() {
                        if !known.contains(&key.as_str()) {
                            problems.push(format!(
                                "{key}: unknown setting (known: {})",
                                known.join(", ")
                            ));
                        }
                    }
                }
            }
            Err(e) => problems.push(e.to_string()),
        }
        if let Err(more) = config.validate() {
            problems.extend(more);
        }
        if problems.is_empty() {
            Ok(config)
        } else {
            Err(problems)
        }
    }

    /// Checks every key and reports all problems at once.
    pub fn validate(&self) -> Result<(), Vec<String>> {
        let mut problems = Vec::new();
        if self.db.as_os_str().is_empty() {
            problems.push("db: must name a file".to_string());
        }
        if !(1..=1024).contains(&self.max_upload_mb) {
            problems.push(format!(
                "max_upload_mb: {} is outside 1..=1024",
                self.max_upload_mb
            ));
        }
        if !(1..=24 * 90).contains(&self.session_hours) {
            problems.push(format!(
                "session_hours: {} is outside 1..=2160",
                self.session_hours
            ));
        }
        if !(4..=31).contains(&self.bcrypt_cost) {
            problems.push(format!(
                "bcrypt_cost: {} is outside 4..=31",
                self.bcrypt_cost
            ));
        }
        if !(self.base_url.starts_with("http://") || self.base_url.starts_with("https://")) {
            problems.push(format!(
                "base_url: {:?} must start with http:// or https://",
                self.base_url
            ));
        }
        if !["off", "critical", "normal", "debug"].contains(&self.log_level.as_str()) {
            problems.push(format!(
                "log_level: {:?} is not one of off, critical, normal, debug",
                self.log_level
            ));
        }
        if !self.smtp_url.is_empty()
            && let Err(e) = lettre::SmtpTransport::from_url(&self.smtp_url)
        {
            // The URL may carry a password: name the problem, not the value.
            problems.push(format!("smtp_url: not a usable SMTP URL ({e})"));
        }
        if let Err(e) = self.mail_from.parse::<lettre::message::Mailbox>() {
            problems.push(format!(
                "mail_from: {:?} is not an email address ({e})",
                self.mail_from
            ));
        }
        if !self.mail_reply_to.is_empty()
            && let Err(e) = self.mail_reply_to.parse::<lettre::message::Mailbox>()
        {
            problems.push(format!(
                "mail_reply_to: {:?} is not an email address ({e})",
                self.mail_reply_to
            ));
        }
        self.validate_imap(&mut problems);
        if !valid_authserv_id(&self.mail_trusted_authserv_id) {
            problems.push(format!(
                "mail_trusted_authserv_id: {:?} is not an authserv-id (the name the desk's mail \
                 server puts first in its Authentication-Results headers, e.g. mx.example.com; \
                 empty = none)",
                self.mail_trusted_authserv_id
            ));
        }
        if !(1..=3600).contains(&self.jobs_interval_secs) {
            problems.push(format!(
                "jobs_interval_secs: {} is outside 1..=3600",
                self.jobs_interval_secs
            ));
        }
        if !(1..=300).contains(&self.live_heartbeat_secs) {
            problems.push(format!(
                "live_heartbeat_secs: {} is outside 1..=300",
                self.live_heartbeat_secs
            ));
        }
        if !(1..=3600).contains(&self.body_timeout_secs) {
            problems.push(format!(
                "body_timeout_secs: {} is outside 1..=3600",
                self.body_timeout_secs
            ));
        }
        if !(1..=60).contains(&self.webhook_timeout_secs) {
            problems.push(format!(
                "webhook_timeout_secs: {} is outside 1..=60",
                self.webhook_timeout_secs
            ));
        }
        if problems.is_empty() {
            Ok(())
        } else {
            Err(problems)
        }
    }

    /// The IMAP port in use: `imap_port`, or the usual one for `imap_security`.
    pub fn imap_port(&self) -> u16 {
        match (self.imap_port, self.imap_security.as_str()) {
            (0, "tls") => 993,
            (0, _) => 143,
            (port, _) => port,
        }
    }

    fn validate_imap(&self, problems: &mut Vec<String>) {
        if !["tls", "starttls", "none"].contains(&self.imap_security.as_str()) {
            problems.push(format!(
                "imap_security: {:?} is not one of tls, starttls, none",
                self.imap_security
            ));
        }
        // At least a second: 1 s suits a test server; mail providers expect a minute or more.
        if !(1..=86_400).contains(&self.imap_interval_secs) {
            problems.push(format!(
                "imap_interval_secs: {} is outside 1..=86400",
                self.imap_interval_secs
            ));
        }
        // A line break would end an IMAP command early and start another.
        for (key, value) in [
            ("imap_user", &self.imap_user),
            ("imap_password", &self.imap_password),
            ("imap_folder", &self.imap_folder),
            ("imap_move_to", &self.imap_move_to),
        ] {
            if value.contains(['\r', '\n']) {
                problems.push(format!("{key}: must not contain a line break"));
            }
        }
        if self.imap_host.is_empty() {
            return;
        }
        // Also refuses a URL or "host:port"; IP addresses are accepted too.
        if rustls::pki_types::ServerName::try_from(self.imap_host.as_str()).is_err() {
            problems.push(format!(
                "imap_host: {:?} is not a host name or IP address (no scheme; the port is \
                 imap_port)",
                self.imap_host
            ));
        }
        if self.imap_user.is_empty() {
            problems.push("imap_user: must be set when imap_host is".to_string());
        }
        if self.imap_folder.trim().is_empty() {
            problems.push("imap_folder: must name a folder (e.g. INBOX)".to_string());
        }
        if !self.imap_move_to.is_empty() && self.imap_move_to == self.imap_folder {
            problems.push(format!(
                "imap_move_to: {:?} is the folder being read (imap_folder); name another one \
                 or leave it empty",
                self.imap_move_to
            ));
        }
    }
}

/// Empty, or one token as mail servers write their authserv-id (RFC 8601: a host name, in
/// practice): printable ASCII without white space or MIME specials, at most 255 characters.
fn valid_authserv_id(id: &str) -> bool {
    id.len() <= 255
        && id
            .chars()
            .all(|c| c.is_ascii_graphic() && !"()<>@,;:\\\"/[]?=".contains(c))
}
