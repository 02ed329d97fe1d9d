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
            mail_reply_to
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
        if problems.is_empty() {
            Ok(())
        } else {
            Err(problems)
        }
    }
}
