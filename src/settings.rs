//! Desk-wide settings an admin changes from the admin pages (the desk's name, attachments,
//! whether every staff account must use two-factor sign-in, the satisfaction survey), stored in the `settings` table and
//! kept in memory so pages never query them.

use rusqlite::{Connection, params};
use serde::Serialize;

use crate::error::Result;

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Settings {
    pub desk_name: String,
    /// Largest single attachment, in MiB.
    pub max_attachment_mb: u64,
    /// Allowed attachment extensions, lowercase, without dots.
    pub allowed_extensions: Vec<String>,
    /// Resolved tickets close after this many days without a reply from the requester; 0 never.
    pub auto_close_days: u32,
    /// Every staff account must use two-factor sign-in (key `require_2fa`); those without it can
    /// only reach its enrolment page.
    pub require_2fa: bool,
    /// The desk's time zone, a canonical IANA name (see `crate::desk_time`): requesters, and
    /// staff without a zone of their own, see times in it.
    pub timezone: String,
    /// Requesters are asked "How did we do?" about each resolution (key `csat_enabled`, see
    /// `tickets::csat`); off, no mail carries the links, no page the form, and no answer is taken.
    pub csat_enabled: bool,
}

/// The longest auto-close period an admin may set.
pub const MAX_AUTO_CLOSE_DAYS: u32 = 365;

pub const DEFAULT_EXTENSIONS: &str =
    "png,jpg,jpeg,gif,webp,pdf,txt,log,csv,doc,docx,xls,xlsx,ppt,pptx,odt,ods,odp,zip,eml,msg";

impl Default for Settings {
    fn default() -> Self {
        Settings {
            desk_name: "Helpdesk".into(),
            max_attachment_mb: 10,
            allowed_extensions: parse_extensions(DEFAULT_EXTENSIONS),
            auto_close_days: 7,
            require_2fa: false,
            timezone: crate::desk_time::DEFAULT_ZONE.to_string(),
            csat_enabled: true,
        }
    }
}

pub fn parse_extensions(s: &str) -> Vec<String> {
    let mut exts: Vec<String> = s
        .split([',', ' ', ';'])
        .map(|e| e.trim().trim_start_matches('.').to_ascii_lowercase())
        .filter(|e| !e.is_empty() && e.len() <= 10 && e.chars().all(|c| c.is_ascii_alphanumeric()))
        .collect();
    exts.sort();
    exts.dedup();
    exts
}

pub fn get(conn: &Connection, key: &str) -> Result<Option<String>> {
    let mut stmt = conn.prepare_cached("SELECT value FROM settings WHERE key = ?1")?;
    let mut rows = stmt.query([key])?;
    Ok(match rows.next()? {
        Some(row) => Some(row.get(0)?),
        None => None,
    })
}

pub fn set(conn: &Connection, key: &str, value: &str) -> Result<()> {
    conn.execute(
        "INSERT INTO settings (key, value) VALUES (?1, ?2) ON CONFLICT(key) DO UPDATE SET value = excluded.value",
        params![key, value],
    )?;
    Ok(())
}

impl Settings {
    pub fn load(conn: &Connection) -> Result<Settings> {
        let mut s = Settings::default();
        if let Some(v) = get(conn, "desk_name")? {
            s.desk_name = v;
        }
        if let Some(v) = get(conn, "max_attachment_mb")?.and_then(|v| v.parse().ok()) {
            s.max_attachment_mb = v;
        }
        if let Some(v) = get(conn, "allowed_extensions")? {
            s.allowed_extensions = parse_extensions(&v);
        }
        if let Some(v) = get(conn, "auto_close_days")?.and_then(|v| v.parse().ok()) {
            s.auto_close_days = v;
        }
        if let Some(v) = get(conn, "require_2fa")? {
            s.require_2fa = v == "1";
        }
        // A name the bundled database no longer knows reads as the default.
        if let Some(v) = get(conn, crate::desk_time::store::TIMEZONE_KEY)?
            .and_then(|v| crate::desk_time::canonical_name(&v))
        {
            s.timezone = v;
        }
        s.csat_enabled = crate::tickets::csat::enabled(conn)?;
        Ok(s)
    }

    pub fn save(&self, conn: &Connection) -> Result<()> {
        set(conn, "desk_name", &self.desk_name)?;
        set(
            conn,
            "max_attachment_mb",
            &self.max_attachment_mb.to_string(),
        )?;
        set(
            conn,
            "allowed_extensions",
            &self.allowed_extensions.join(","),
        )?;
        set(conn, "auto_close_days", &self.auto_close_days.to_string())?;
        set(
            conn,
            "require_2fa",
            if self.require_2fa { "1" } else { "0" },
        )?;
        set(conn, crate::desk_time::store::TIMEZONE_KEY, &self.timezone)?;
        set(
            conn,
            crate::tickets::csat::SETTING_KEY,
            if self.csat_enabled { "1" } else { "0" },
        )?;
        Ok(())
    }
}

/// The cookie-encryption key: made from the OS RNG on first start, then read back.
pub fn secret_key(conn: &Connection) -> Result<Vec<u8>> {
    if let Some(hex) = get(conn, "secret_key")? {
        let bytes: Option<Vec<u8>> = (0..hex.len())
            .step_by(2)
            .map(|i| {
                hex.get(i..i + 2)
                    .and_then(|b| u8::from_str_radix(b, 16).ok())
            })
            .collect();
        if let Some(bytes) = bytes.filter(|b| b.len() == 64) {
            return Ok(bytes);
        }
    }
    let hex = crate::util::random_hex(64);
    set(conn, "secret_key", &hex)?;
    secret_key(conn)
}
