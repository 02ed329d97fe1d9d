//! The thresholds of burst detection and what happens to later matching tickets, edited in
//! Admin > Settings and stored in the desk's `settings` table (`crate::settings`). Read from the
//! database where used (a few cached statements in the transaction that needs them), so a
//! change counts from the next ticket on.

use rusqlite::Connection;
use serde::Serialize;

use crate::error::Result;
use crate::settings::{get, set};

const MIN_TICKETS_KEY: &str = "incidents_min_tickets";
const WINDOW_KEY: &str = "incidents_window_minutes";
const ATTACH_KEY: &str = "incidents_attach";

/// The bounds an admin may set.
pub const MIN_TICKETS_RANGE: std::ops::RangeInclusive<u32> = 2..=100;
pub const WINDOW_RANGE: std::ops::RangeInclusive<u32> = 1..=1440;

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct IncidentSettings {
    /// Detection is on.
    pub enabled: bool,
    /// This many similar tickets from different requesters ...
    pub min_tickets: u32,
    /// ... within this many minutes raise a suspected incident.
    pub window_minutes: u32,
    /// Later matching tickets join an open incident at once (true) or are only suggested.
    pub auto_attach: bool,
}

impl Default for IncidentSettings {
    fn default() -> Self {
        IncidentSettings {
            enabled: true,
            min_tickets: 4,
            window_minutes: 15,
            auto_attach: true,
        }
    }
}

impl IncidentSettings {
    pub fn load(conn: &Connection) -> Result<IncidentSettings> {
        let mut s = IncidentSettings::default();
        if let Some(v) = get(conn, MIN_TICKETS_KEY)? {
            // "0" turns detection off.
            match v.parse::<u32>() {
                Ok(0) => s.enabled = false,
                Ok(n) if MIN_TICKETS_RANGE.contains(&n) => s.min_tickets = n,
                _ => {}
            }
        }
        if let Some(n) = get(conn, WINDOW_KEY)?.and_then(|v| v.parse::<u32>().ok())
            && WINDOW_RANGE.contains(&n)
        {
            s.window_minutes = n;
        }
        if let Some(v) = get(conn, ATTACH_KEY)? {
            s.auto_attach = v != "suggest";
        }
        Ok(s)
    }

    pub fn save(&self, conn: &Connection) -> Result<()> {
        let min = if self.enabled { self.min_tickets } else { 0 };
        set(conn, MIN_TICKETS_KEY, &min.to_string())?;
        set(conn, WINDOW_KEY, &self.window_minutes.to_string())?;
        set(
            conn,
            ATTACH_KEY,
            if self.auto_attach { "auto" } else { "suggest" },
        )
    }

    /// One line for the audit log.
    pub fn describe(&self) -> String {
        format!(
            "incidents enabled={} min_tickets={} window_minutes={} attach={}",
            self.enabled,
            self.min_tickets,
            self.window_minutes,
            if self.auto_attach { "auto" } else { "suggest" }
        )
    }
}
