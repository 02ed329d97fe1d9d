//! The mail settings in effect. An admin may set the SMTP server, sender and Reply-To on
//! /admin/mail (stored in the `settings` table, so a change needs no restart); every value left
//! empty there falls back to the configuration (`smtp_url`, `mail_from`, `mail_reply_to`).
//! Sending reads them afresh on every pass, so a saved change applies to the next mail.

use std::time::Duration;

use lettre::transport::smtp::authentication::Credentials;
use lettre::transport::smtp::client::{Tls, TlsParameters};
use lettre::{Message, SmtpTransport, Transport};
use rusqlite::Connection;

use crate::config::Config;
use crate::error::{Error, Result};
use crate::settings::{get, set};

/// How long one SMTP conversation may stall before it counts as failed.
const TIMEOUT: Duration = Duration::from_secs(20);

/// How the connection to the SMTP server is protected.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Security {
    /// Plain text: only for a relay on the same host or a trusted network.
    None,
    /// Plain connection upgraded with STARTTLS, which is required (usually port 587).
    StartTls,
    /// TLS from the first byte (usually port 465).
    Tls,
}

impl Security {
    pub fn parse(s: &str) -> Option<Security> {
        match s {
            "none" => Some(Security::None),
            "starttls" => Some(Security::StartTls),
            "tls" => Some(Security::Tls),
            _ => None,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Security::None => "none",
            Security::StartTls => "starttls",
            Security::Tls => "tls",
        }
    }

    /// The port such a server usually listens on.
    pub fn default_port(self) -> u16 {
        match self {
            Security::None => 25,
            Security::StartTls => 587,
            Security::Tls => 465,
        }
    }
}

/// What the admin saved on /admin/mail. Empty strings mean "use the configuration".
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Saved {
    pub host: String,
    pub port: Option<u16>,
    pub security: Security,
    pub user: String,
    pub password: String,
    pub from: String,
    pub reply_to: String,
}

impl Default for Saved {
    fn default() -> Self {
        Saved {
            host: String::new(),
            port: None,
            security: Security::StartTls,
            user: String::new(),
            password: String::new(),
            from: String::new(),
            reply_to: String::new(),
        }
    }
}

const KEYS: [&str; 7] = [
    "smtp_host",
    "smtp_port",
    "smtp_security",
    "smtp_user",
    "smtp_password",
    "smtp_from",
    "smtp_reply_to",
];

impl Saved {
    pub fn load(conn: &Connection) -> Result<Saved> {
        let mut v: Vec<String> = Vec::with_capacity(KEYS.len());
        for key in KEYS {
            v.push(get(conn, key)?.unwrap_or_default());
        }
        Ok(Saved {
            host: std::mem::take(&mut v[0]),
            port: v[1].parse().ok(),
            security: Security::parse(&v[2]).unwrap_or(Security::StartTls),
            user: std::mem::take(&mut v[3]),
            password: std::mem::take(&mut v[4]),
            from: std::mem::take(&mut v[5]),
            reply_to: std::mem::take(&mut v[6]),
        })
    }

    pub fn save(&self, conn: &Connection) -> Result<()> {
        let port = self.port.map(|p| p.to_string()).unwrap_or_default();
        let values = [
            self.host.as_str(),
            port.as_str(),
            self.security.as_str(),
            self.user.as_str(),
            self.password.as_str(),
            self.from.as_str(),
            self.reply_to.as_str(),
        ];
        for (key, value) in KEYS.iter().zip(values) {
            set(conn, key, value)?;
        }
        Ok(())
    }
}

/// The SMTP server mail goes through.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Server {
    /// Neither the admin nor the configuration named one: nothing can be sent.
    Off,
    /// `smtp_url` from the configuration.
    Url(String),
    /// The server the admin saved.
    Admin {
        host: String,
        port: u16,
        security: Security,
        user: String,
        password: String,
    },
}

/// The settings sending uses.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MailSettings {
    pub server: Server,
    pub from: String,
    pub reply_to: String,
}

impl MailSettings {
    /// The configuration alone (no database at hand, or nothing saved).
    pub fn from_config(config: &Config) -> MailSettings {
        MailSettings::merge(&Saved::default(), config)
    }

    /// The admin's values where given, the configuration's for the rest.
    pub fn merge(saved: &Saved, config: &Config) -> MailSettings {
        let server = if !saved.host.is_empty() {
            Server::Admin {
                host: saved.host.clone(),
                port: saved.port.unwrap_or(saved.security.default_port()),
                security: saved.security,
                user: saved.user.clone(),
                password: saved.password.clone(),
            }
        } else if !config.smtp_url.is_empty() {
            Server::Url(config.smtp_url.clone())
        } else {
            Server::Off
        };
        let pick =
            |mine: &str, theirs: &str| if mine.is_empty() { theirs } else { mine }.to_string();
        MailSettings {
            server,
            from: pick(&saved.from, &config.mail_from),
            reply_to: pick(&saved.reply_to, &config.mail_reply_to),
        }
    }

    pub fn configured(&self) -> bool {
        self.server != Server::Off
    }

    /// Where mail goes, for people: never shows a password (a configured URL may hold one).
    pub fn describe(&self) -> String {
        match &self.server {
            Server::Off => String::new(),
            Server::Url(url) => {
                let (scheme, rest) = url.split_once("://").unwrap_or(("smtp", url));
                let authority = rest.split(['/', '?']).next().unwrap_or("");
                let host = authority.rsplit('@').next().unwrap_or(authority);
                format!("{scheme}://{host}")
            }
            Server::Admin {
                host,
                port,
                security,
                ..
            } => format!("{host}:{port} ({})", security.as_str()),
        }
    }
}

/// The settings in effect: what the admin saved on top of the configuration.
pub fn effective(conn: &Connection, config: &Config) -> Result<MailSettings> {
    Ok(MailSettings::merge(&Saved::load(conn)?, config))
}

/// Whether mail can be sent at all with the settings in effect.
pub fn configured(conn: &Connection, config: &Config) -> Result<bool> {
    Ok(effective(conn, config)?.configured())
}

/// An SMTP transport for these settings.
pub fn transport(settings: &MailSettings) -> Result<SmtpTransport> {
    let builder = match &settings.server {
        Server::Off => {
            return Err(Error::BadRequest(
                "mail is not configured: set the SMTP server on the admin mail page or smtp_url \
                 (HELPDESK_SMTP_URL)"
                    .into(),
            ));
        }
        Server::Url(url) => {
            SmtpTransport::from_url(url).map_err(|e| Error::BadRequest(format!("smtp_url: {e}")))?
        }
        Server::Admin {
            host,
            port,
            security,
            user,
            password,
        } => {
            let tls = match security {
                Security::None => Tls::None,
                Security::StartTls => Tls::Required(tls_parameters(host)?),
                Security::Tls => Tls::Wrapper(tls_parameters(host)?),
            };
            let mut builder = SmtpTransport::builder_dangerous(host.as_str())
                .port(*port)
                .tls(tls);
            if !user.is_empty() {
                builder = builder.credentials(Credentials::new(user.clone(), password.clone()));
            }
            builder
        }
    };
    Ok(builder.timeout(Some(TIMEOUT)).build())
}

fn tls_parameters(host: &str) -> Result<TlsParameters> {
    TlsParameters::new(host.to_string())
        .map_err(|e| Error::BadRequest(format!("TLS for {host}: {e}")))
}

/// Sends one message now; returns the server's answer, or the error in full (the admin pages
/// show it as it is).
pub fn send(settings: &MailSettings, message: &Message) -> Result<String> {
    let response = transport(settings)?
        .send(message)
        .map_err(|e| Error::BadRequest(format!("SMTP: {e}")))?;
    Ok(format!(
        "{} {}",
        response.code(),
        response.message().collect::<Vec<_>>().join(" ")
    ))
}

/// A host name or IP address an SMTP server can have.
pub fn valid_host(host: &str) -> bool {
    if host.parse::<std::net::IpAddr>().is_ok() {
        return true;
    }
    host.len() <= 253
        && host.split('.').all(|label| {
            !label.is_empty()
                && label.len() <= 63
                && !label.starts_with('-')
                && !label.ends_with('-')
                && label.chars().all(|c| c.is_ascii_alphanumeric() || c == '-')
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn config(url: &str) -> Config {
        Config {
            smtp_url: url.into(),
            mail_from: "Desk <desk@example.com>".into(),
            ..Config::default()
        }
    }

    #[test]
    fn admin_values_win_and_empty_ones_fall_back() {
        let cfg = config("smtps://bob:secret@mail.example.com:465");
        let plain = MailSettings::merge(&Saved::default(), &cfg);
        assert_eq!(plain.server, Server::Url(cfg.smtp_url.clone()));
        assert_eq!(plain.from, "Desk <desk@example.com>");
        assert_eq!(plain.describe(), "smtps://mail.example.com:465");

        let saved = Saved {
            host: "relay.example.org".into(),
            security: Security::Tls,
            from: "help@example.org".into(),
            ..Saved::default()
        };
        let mine = MailSettings::merge(&saved, &cfg);
        assert_eq!(mine.describe(), "relay.example.org:465 (tls)");
        assert_eq!(mine.from, "help@example.org");
        assert!(mine.reply_to.is_empty());
        assert!(!MailSettings::from_config(&config("")).configured());
    }

    #[test]
    fn every_security_builds_a_transport() {
        for security in [Security::None, Security::StartTls, Security::Tls] {
            let settings = MailSettings {
                server: Server::Admin {
                    host: "smtp.example.com".into(),
                    port: security.default_port(),
                    security,
                    user: "bob".into(),
                    password: "secret".into(),
                },
                from: "desk@example.com".into(),
                reply_to: String::new(),
            };
            assert!(transport(&settings).is_ok(), "{security:?}");
        }
        let off = MailSettings::from_config(&config(""));
        let err = transport(&off)
            .err()
            .map(|e| e.to_string())
            .unwrap_or_default();
        assert!(err.contains("smtp_url"), "{err}");
    }

    #[test]
    fn hosts() {
        assert!(valid_host("smtp.example.com"));
        assert!(valid_host("127.0.0.1"));
        assert!(valid_host("::1"));
        assert!(!valid_host("smtp example.com"));
        assert!(!valid_host("bad_host.example"));
        assert!(!valid_host("-x.example"));
        assert!(!valid_host("a..b"));
    }
}
