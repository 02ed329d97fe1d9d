//! Who follows a ticket (`ticket_followers`, migration 0034): staff who chose to follow it, and
//! people outside the desk copied on it (CC addresses from the portal or an incoming mail's Cc
//! header; requesters added to it). One row per person and ticket. Following changes nothing
//! about the ticket itself, so these rows are kept here, beside the ticket actions, not by them.
//!
//! Also the two small languages this feature reads: a list of CC addresses as typed, and the
//! `@handle` mentions of an internal note (see `mentions`).

use rusqlite::{Connection, OptionalExtension, params};
use serde::Serialize;

use crate::auth::access::STAFF_SEES_CATEGORY_1;
use crate::error::Result;

/// At most this many CC addresses on one ticket.
pub const MAX_CC: usize = 10;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Kind {
    Staff,
    Requester,
    Cc,
}

impl Kind {
    pub fn as_str(self) -> &'static str {
        match self {
            Kind::Staff => "staff",
            Kind::Requester => "requester",
            Kind::Cc => "cc",
        }
    }

    fn parse(s: &str) -> Kind {
        match s {
            "staff" => Kind::Staff,
            "requester" => Kind::Requester,
            _ => Kind::Cc,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Follower {
    pub staff_id: Option<i64>,
    pub email: Option<String>,
    pub name: String,
    pub kind: Kind,
}

/// Every follower of a ticket, staff first, then by when they were added.
pub fn list(conn: &Connection, ticket_id: i64) -> Result<Vec<Follower>> {
    let rows = conn
        .prepare_cached(
            "SELECT f.staff_id, f.email, COALESCE(s.name, f.name), f.kind
             FROM ticket_followers f LEFT JOIN staff s ON s.id = f.staff_id
             WHERE f.ticket_id = ?1
             ORDER BY f.staff_id IS NULL, f.created_at, f.rowid",
        )?
        .query_map([ticket_id], |r| {
            Ok(Follower {
                staff_id: r.get(0)?,
                email: r.get(1)?,
                name: r.get(2)?,
                kind: Kind::parse(&r.get::<_, String>(3)?),
            })
        })?
        .collect::<rusqlite::Result<Vec<_>>>()?;
    Ok(rows)
}

/// The CC addresses of a ticket (kind `cc`), in the order they were added.
pub fn ccs(conn: &Connection, ticket_id: i64) -> Result<Vec<Follower>> {
    Ok(list(conn, ticket_id)?
        .into_iter()
        .filter(|f| f.kind == Kind::Cc)
        .collect())
}

pub fn is_following(conn: &Connection, ticket_id: i64, staff_id: i64) -> Result<bool> {
    Ok(conn
        .prepare_cached("SELECT 1 FROM ticket_followers WHERE ticket_id = ?1 AND staff_id = ?2")?
        .exists(params![ticket_id, staff_id])?)
}

/// Staff `staff_id` follows the ticket; false when they already did.
pub fn follow(conn: &Connection, ticket_id: i64, staff_id: i64, now: i64) -> Result<bool> {
    if is_following(conn, ticket_id, staff_id)? {
        return Ok(false);
    }
    conn.prepare_cached(
        "INSERT INTO ticket_followers (ticket_id, staff_id, email, name, kind, created_at)
         VALUES (?1, ?2, NULL, '', 'staff', ?3)",
    )?
    .execute(params![ticket_id, staff_id, now])?;
    Ok(true)
}

pub fn unfollow(conn: &Connection, ticket_id: i64, staff_id: i64) -> Result<bool> {
    let n = conn
        .prepare_cached("DELETE FROM ticket_followers WHERE ticket_id = ?1 AND staff_id = ?2")?
        .execute(params![ticket_id, staff_id])?;
    Ok(n > 0)
}

/// The follower with this address on the ticket, if any (any kind but staff).
pub fn by_email(conn: &Connection, ticket_id: i64, email: &str) -> Result<Option<Follower>> {
    Ok(list(conn, ticket_id)?.into_iter().find(|f| {
        f.email
            .as_deref()
            .is_some_and(|e| e.eq_ignore_ascii_case(email))
    }))
}

/// Adds `email` (lowercase) as a follower of `kind`; false when the address already follows the
/// ticket or the ticket already has `MAX_CC` CC addresses.
pub fn add_email(
    conn: &Connection,
    ticket_id: i64,
    email: &str,
    name: &str,
    kind: Kind,
    now: i64,
) -> Result<bool> {
    if by_email(conn, ticket_id, email)?.is_some()
        || (kind == Kind::Cc && ccs(conn, ticket_id)?.len() >= MAX_CC)
    {
        return Ok(false);
    }
    conn.prepare_cached(
        "INSERT INTO ticket_followers (ticket_id, staff_id, email, name, kind, created_at)
         VALUES (?1, NULL, ?2, ?3, ?4, ?5)",
    )?
    .execute(params![ticket_id, email, name, kind.as_str(), now])?;
    Ok(true)
}

/// Removes a CC address; false when it was not one.
pub fn remove_cc(conn: &Connection, ticket_id: i64, email: &str) -> Result<bool> {
    let n = conn
        .prepare_cached(
            "DELETE FROM ticket_followers WHERE ticket_id = ?1 AND kind = 'cc' AND email = ?2",
        )?
        .execute(params![ticket_id, email])?;
    Ok(n > 0)
}

/// Why a list of CC addresses was refused (a catalog key).
pub const ERROR_CC_INVALID: &str = "error_cc_invalid";
pub const ERROR_CC_TOO_MANY: &str = "error_cc_too_many";

/// The addresses of a CC list as typed: separated by commas, semicolons, spaces or new lines,
/// lowercased, each once. Refused (with a catalog key) when one is not an address or there are
/// more than `MAX_CC`.
pub fn parse_cc(raw: &str) -> std::result::Result<Vec<String>, &'static str> {
    let mut out: Vec<String> = Vec::new();
    for part in raw.split([',', ';', '\n', '\r', ' ', '\t']) {
        let addr = part.trim().trim_matches(['<', '>']).to_lowercase();
        if addr.is_empty() {
            continue;
        }
        if !crate::util::looks_like_email(&addr) {
            return Err(ERROR_CC_INVALID);
        }
        if !out.contains(&addr) {
            out.push(addr);
        }
    }
    if out.len() > MAX_CC {
        return Err(ERROR_CC_TOO_MANY);
    }
    Ok(out)
}

/// A staff member who may be mentioned on a ticket: active and working its category.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Mentionable {
    pub id: i64,
    pub name: String,
    /// What to type after `@`: the email's local part (always unique on the desk).
    pub handle: String,
    /// The first word of the name, lowercased: also accepted.
    pub first_name: String,
}

/// Active staff who can see tickets of `category_id`, by name.
pub fn mentionable(conn: &Connection, category_id: i64) -> Result<Vec<Mentionable>> {
    let sql = format!(
        "SELECT s.id, s.name, s.email FROM staff s
         WHERE s.active = 1 AND {STAFF_SEES_CATEGORY_1} ORDER BY s.name, s.id"
    );
    let rows = conn
        .prepare_cached(&sql)?
        .query_map([category_id], |r| {
            let name: String = r.get(1)?;
            let email: String = r.get(2)?;
            Ok(Mentionable {
                id: r.get(0)?,
                first_name: first_name(&name),
                handle: email.split('@').next().unwrap_or("").to_lowercase(),
                name,
            })
        })?
        .collect::<rusqlite::Result<Vec<_>>>()?;
    Ok(rows)
}

fn first_name(name: &str) -> String {
    name.split_whitespace().next().unwrap_or("").to_lowercase()
}

/// The handles mentioned in `text`, lowercased, each once: `@` at the start of the text or after
/// anything but a letter or digit (so `ana@example.com` mentions nobody), followed by letters,
/// digits, `.`, `_` or `-` (a trailing `.` or `-` is punctuation, not part of it).
pub fn mentions(text: &str) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    let chars: Vec<char> = text.chars().collect();
    for (i, c) in chars.iter().enumerate() {
        if *c != '@' || (i > 0 && chars[i - 1].is_alphanumeric()) {
            continue;
        }
        let handle: String = chars[i + 1..]
            .iter()
            .take_while(|c| c.is_alphanumeric() || matches!(c, '.' | '_' | '-'))
            .collect();
        let handle = handle.trim_end_matches(['.', '-']).to_lowercase();
        if !handle.is_empty() && !out.contains(&handle) {
            out.push(handle);
        }
    }
    out
}

/// The staff a note's `handles` name among `staff`: by the email's local part, else by first
/// name when exactly one of them has it (an ambiguous first name mentions nobody).
pub fn resolve_mentions(handles: &[String], staff: &[Mentionable]) -> Vec<i64> {
    let mut ids = Vec::new();
    for handle in handles {
        let by_handle = staff.iter().find(|s| &s.handle == handle);
        let by_first: Vec<&Mentionable> =
            staff.iter().filter(|s| &s.first_name == handle).collect();
        let found = by_handle.or(match by_first.as_slice() {
            [one] => Some(*one),
            _ => None,
        });
        if let Some(s) = found
            && !ids.contains(&s.id)
        {
            ids.push(s.id);
        }
    }
    ids
}

/// The staff followers of a ticket who are active and still work its category (a follower
/// limited to other categories since then hears nothing about it).
pub fn staff_to_notify(conn: &Connection, ticket_id: i64, category_id: i64) -> Result<Vec<i64>> {
    let sql = format!(
        "SELECT s.id FROM ticket_followers f JOIN staff s ON s.id = f.staff_id
         WHERE f.ticket_id = ?2 AND s.active = 1 AND {STAFF_SEES_CATEGORY_1} ORDER BY s.id"
    );
    let ids = conn
        .prepare_cached(&sql)?
        .query_map(params![category_id, ticket_id], |r| r.get(0))?
        .collect::<rusqlite::Result<Vec<i64>>>()?;
    Ok(ids)
}

/// Whether the staff member follows the ticket; for the page.
pub fn following_of(conn: &Connection, ticket_id: i64, staff_id: i64) -> Result<Option<i64>> {
    Ok(conn
        .prepare_cached(
            "SELECT created_at FROM ticket_followers WHERE ticket_id = ?1 AND staff_id = ?2",
        )?
        .query_row(params![ticket_id, staff_id], |r| r.get(0))
        .optional()?)
}

/// Adds a requester follower (by email) to the ticket; nothing when that address follows it
/// already.
pub fn follow_as_requester(
    conn: &Connection,
    ticket_id: i64,
    email: &str,
    name: &str,
    now: i64,
) -> Result<()> {
    conn.prepare_cached(
        "INSERT OR IGNORE INTO ticket_followers (ticket_id, staff_id, email, name, kind, created_at)
         VALUES (?1, NULL, ?2, ?3, 'requester', ?4)",
    )?
    .execute(params![ticket_id, email, name, now])?;
    Ok(())
}

/// Gives `into` every follower of `from` (a merge).
pub fn copy_followers(conn: &Connection, from: i64, into: i64, now: i64) -> Result<()> {
    conn.prepare_cached(
        "INSERT OR IGNORE INTO ticket_followers (ticket_id, staff_id, email, name, kind, created_at)
         SELECT ?2, staff_id, email, name, kind, ?3 FROM ticket_followers WHERE ticket_id = ?1",
    )?
    .execute(params![from, into, now])?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cc_lists_split_lowercase_and_refuse_bad_or_too_many() {
        assert_eq!(
            parse_cc("Bob@Example.com, carol@example.com\n<dan@example.org>; bob@example.com"),
            Ok(vec![
                "bob@example.com".to_string(),
                "carol@example.com".into(),
                "dan@example.org".into()
            ])
        );
        assert_eq!(parse_cc("  "), Ok(vec![]));
        assert_eq!(parse_cc("bob@example.com, nope"), Err(ERROR_CC_INVALID));
        let many: Vec<String> = (0..11).map(|i| format!("p{i}@example.com")).collect();
        assert_eq!(parse_cc(&many.join(",")), Err(ERROR_CC_TOO_MANY));
    }

    #[test]
    fn mentions_are_handles_after_an_at_sign_not_inside_addresses() {
        assert_eq!(
            mentions("@Ana please look, cc @tom.b. Mail ana@example.com (@ana again)"),
            vec!["ana".to_string(), "tom.b".into()]
        );
        assert!(mentions("no one here @ all").is_empty());
    }

    #[test]
    fn mentions_resolve_by_handle_or_by_an_unambiguous_first_name() {
        let staff = vec![
            Mentionable {
                id: 1,
                name: "Ana Ruiz".into(),
                handle: "ana.ruiz".into(),
                first_name: "ana".into(),
            },
            Mentionable {
                id: 2,
                name: "Tom B".into(),
                handle: "tom".into(),
                first_name: "tom".into(),
            },
            Mentionable {
                id: 3,
                name: "Tom C".into(),
                handle: "tc".into(),
                first_name: "tom".into(),
            },
        ];
        let handles = |s: &str| mentions(s);
        assert_eq!(
            resolve_mentions(&handles("@ana @ana.ruiz"), &staff),
            vec![1]
        );
        // "tom" is Tom B's handle, which wins over the two first names.
        assert_eq!(resolve_mentions(&handles("@tom"), &staff), vec![2]);
        assert!(resolve_mentions(&handles("@nobody"), &staff).is_empty());
    }
}
