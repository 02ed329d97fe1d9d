//! Banned requesters (`bans`, Admin > Bans): an address, or a whole domain, the desk accepts no
//! tickets from. Mail from them is dropped (`mail::incoming`), the portal refuses their
//! submissions, and each entry counts what it stopped.

use rusqlite::{Connection, OptionalExtension, params};
use serde::Serialize;

use crate::error::Result;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Kind {
    Email,
    Domain,
}

impl Kind {
    pub fn as_str(self) -> &'static str {
        match self {
            Kind::Email => "email",
            Kind::Domain => "domain",
        }
    }
}

#[derive(Debug, Clone, Serialize)]
pub struct Ban {
    pub id: i64,
    pub kind: Kind,
    pub value: String,
    pub created_at: i64,
    pub created_by: Option<String>,
    pub dropped_mails: i64,
    pub refused_submissions: i64,
}

/// What an admin typed, as a ban: `someone@example.com` bans that address, `example.com` (or
/// `@example.com`) the whole domain. `None` when it is neither.
pub fn parse(input: &str) -> Option<(Kind, String)> {
    let value = input.trim().to_lowercase();
    if let Some(domain) = value.strip_prefix('@') {
        return valid_domain(domain).then(|| (Kind::Domain, domain.to_string()));
    }
    if value.contains('@') {
        return crate::util::looks_like_email(&value).then_some((Kind::Email, value));
    }
    valid_domain(&value).then_some((Kind::Domain, value))
}

fn valid_domain(d: &str) -> bool {
    d.len() <= 253
        && d.contains('.')
        && !d.starts_with('.')
        && !d.ends_with('.')
        && d.chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '.' || !c.is_ascii())
}

/// Adds a ban; false when it is already there.
pub fn add(conn: &Connection, kind: Kind, value: &str, by: Option<i64>, now: i64) -> Result<bool> {
    let added = conn
        .prepare_cached(
            "INSERT OR IGNORE INTO bans (kind, value, created_at, created_by) VALUES (?1, ?2, ?3, ?4)",
        )?
        .execute(params![kind.as_str(), value, now, by])?;
    Ok(added > 0)
}

/// Removes ban `id`: what it banned, if it existed.
pub fn remove(conn: &Connection, id: i64) -> Result<Option<String>> {
    let value: Option<String> = conn
        .prepare_cached("SELECT value FROM bans WHERE id = ?1")?
        .query_row([id], |r| r.get(0))
        .optional()?;
    conn.prepare_cached("DELETE FROM bans WHERE id = ?1")?
        .execute([id])?;
    Ok(value)
}

/// Every ban, newest first.
pub fn list(conn: &Connection) -> Result<Vec<Ban>> {
    let rows = conn
        .prepare_cached(
            "SELECT b.id, b.kind, b.value, b.created_at, s.name, b.dropped_mails,
                    b.refused_submissions
             FROM bans b LEFT JOIN staff s ON s.id = b.created_by ORDER BY b.id DESC",
        )?
        .query_map([], |r| {
            let kind: String = r.get(1)?;
            Ok(Ban {
                id: r.get(0)?,
                kind: if kind == "email" {
                    Kind::Email
                } else {
                    Kind::Domain
                },
                value: r.get(2)?,
                created_at: r.get(3)?,
                created_by: r.get(4)?,
                dropped_mails: r.get(5)?,
                refused_submissions: r.get(6)?,
            })
        })?
        .collect::<rusqlite::Result<Vec<_>>>()?;
    Ok(rows)
}

/// The ban that covers `email` (the address itself first, else its domain), if any.
pub fn matching(conn: &Connection, email: &str) -> Result<Option<i64>> {
    let email = email.trim().to_lowercase();
    let domain = email.rsplit_once('@').map_or("", |(_, d)| d).to_string();
    Ok(conn
        .prepare_cached(
            "SELECT id FROM bans
             WHERE (kind = 'email' AND value = ?1) OR (kind = 'domain' AND value = ?2)
             ORDER BY kind = 'email' DESC LIMIT 1",
        )?
        .query_row(params![email, domain], |r| r.get(0))
        .optional()?)
}

/// What a ban stopped.
#[derive(Debug, Clone, Copy)]
pub enum Stopped {
    Mail,
    Submission,
}

/// Counts one thing ban `id` stopped.
pub fn count(conn: &Connection, id: i64, what: Stopped) -> Result<()> {
    let sql = match what {
        Stopped::Mail => "UPDATE bans SET dropped_mails = dropped_mails + 1 WHERE id = ?1",
        Stopped::Submission => {
            "UPDATE bans SET refused_submissions = refused_submissions + 1 WHERE id = ?1"
        }
    };
    conn.prepare_cached(sql)?.execute([id])?;
    Ok(())
}

/// Forgets a ban of exactly this address (a data-protection erasure): rows removed.
pub fn forget(conn: &Connection, email: &str) -> Result<usize> {
    Ok(conn
        .prepare_cached("DELETE FROM bans WHERE kind = 'email' AND value = ?1")?
        .execute([email])?)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn what_an_admin_types_becomes_an_address_or_a_domain() {
        assert_eq!(
            parse(" Spam@Example.com "),
            Some((Kind::Email, "spam@example.com".into()))
        );
        assert_eq!(
            parse("example.com"),
            Some((Kind::Domain, "example.com".into()))
        );
        assert_eq!(
            parse("@example.com"),
            Some((Kind::Domain, "example.com".into()))
        );
        assert_eq!(parse("nonsense"), None);
        assert_eq!(parse("a@b"), None);
        assert_eq!(parse("exa mple.com"), None);
    }
}
