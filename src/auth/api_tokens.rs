//! API tokens (`api_tokens`): what a script or an integration presents as
//! `Authorization: Bearer TOKEN`. A token acts as its staff member, with their role and category
//! access, limited by its scope; only its SHA-256 is stored (like a session's), so the database
//! alone opens nothing. A revoked token, or one of a deactivated account, stops at once: every
//! request looks the token up.

use rusqlite::{Connection, OptionalExtension, params};
use serde::Serialize;

use super::sessions::hash;
use super::users::{self, StaffAccount};
use crate::error::{FieldErrors, Result};

/// What a token may do.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub enum Scope {
    #[serde(rename = "read")]
    Read,
    #[serde(rename = "read-write")]
    ReadWrite,
}

impl Scope {
    pub fn as_str(self) -> &'static str {
        match self {
            Scope::Read => "read",
            Scope::ReadWrite => "read-write",
        }
    }

    pub fn parse(s: &str) -> Option<Scope> {
        match s {
            "read" => Some(Scope::Read),
            "read-write" => Some(Scope::ReadWrite),
            _ => None,
        }
    }

    pub fn may_write(self) -> bool {
        self == Scope::ReadWrite
    }
}

/// Every token starts with this, so a leaked one is easy to recognise (and to search for).
pub const TOKEN_PREFIX: &str = "hd_";

/// A token as listed to its owner and to admins (never the token itself).
#[derive(Debug, Clone, Serialize)]
pub struct ApiToken {
    pub id: i64,
    pub staff_id: i64,
    pub name: String,
    pub scope: Scope,
    /// The first characters of the token, to tell tokens apart.
    pub prefix: String,
    pub created_at: i64,
    pub last_used_at: Option<i64>,
    pub last_used_ip: Option<String>,
    pub revoked_at: Option<i64>,
}

const COLUMNS: &str = "id, staff_id, name, scope, prefix, created_at, last_used_at, last_used_ip,
                       revoked_at";

fn from_row(r: &rusqlite::Row<'_>) -> rusqlite::Result<ApiToken> {
    let scope: String = r.get(3)?;
    Ok(ApiToken {
        id: r.get(0)?,
        staff_id: r.get(1)?,
        name: r.get(2)?,
        scope: Scope::parse(&scope).unwrap_or(Scope::Read),
        prefix: r.get(4)?,
        created_at: r.get(5)?,
        last_used_at: r.get(6)?,
        last_used_ip: r.get(7)?,
        revoked_at: r.get(8)?,
    })
}

/// A new token's secret: `hd_` and 256 bits from the operating system's RNG, as hex.
pub fn new_secret() -> String {
    format!("{TOKEN_PREFIX}{}", crate::util::random_hex(32))
}

/// Whether `s` has the shape of a token (checked before any lookup).
pub fn well_formed(s: &str) -> bool {
    s.strip_prefix(TOKEN_PREFIX)
        .is_some_and(|hex| hex.len() == 64 && hex.bytes().all(|b| b.is_ascii_hexdigit()))
}

/// Creates a token for `staff_id`; returns its id and the token, which is shown once and never
/// again.
pub fn create(
    conn: &Connection,
    staff_id: i64,
    name: &str,
    scope: Scope,
    now: i64,
) -> Result<(i64, String)> {
    let secret = new_secret();
    let prefix: String = secret.chars().take(TOKEN_PREFIX.len() + 6).collect();
    conn.prepare_cached(
        "INSERT INTO api_tokens (staff_id, name, scope, token_hash, prefix, created_at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
    )?
    .execute(params![
        staff_id,
        name,
        scope.as_str(),
        hash(&secret),
        prefix,
        now
    ])?;
    Ok((conn.last_insert_rowid(), secret))
}

/// The live (not revoked) token `secret` names, with its account (active or not: the caller
/// decides).
pub fn look_up(conn: &Connection, secret: &str) -> Result<Option<(ApiToken, StaffAccount)>> {
    let sql =
        format!("SELECT {COLUMNS} FROM api_tokens WHERE token_hash = ?1 AND revoked_at IS NULL");
    let Some(token) = conn
        .prepare_cached(&sql)?
        .query_row([hash(secret)], from_row)
        .optional()?
    else {
        return Ok(None);
    };
    let Some(account) = users::get(conn, token.staff_id)? else {
        return Ok(None);
    };
    Ok(Some((token, account)))
}

/// Records that the token was used now from `ip`.
pub fn touch(conn: &Connection, id: i64, now: i64, ip: &str) -> Result<()> {
    conn.prepare_cached(
        "UPDATE api_tokens SET last_used_at = ?2, last_used_ip = ?3 WHERE id = ?1",
    )?
    .execute(params![id, now, crate::util::clean(ip, 100)])?;
    Ok(())
}

/// One member's tokens, newest first, revoked ones included.
pub fn of_staff(conn: &Connection, staff_id: i64) -> Result<Vec<ApiToken>> {
    let sql = format!(
        "SELECT {COLUMNS} FROM api_tokens WHERE staff_id = ?1 ORDER BY created_at DESC, id DESC"
    );
    let rows = conn
        .prepare_cached(&sql)?
        .query_map([staff_id], from_row)?
        .collect::<rusqlite::Result<_>>()?;
    Ok(rows)
}

/// Every token of the desk, newest first (Admin), with its owner's name.
pub fn all(conn: &Connection) -> Result<Vec<(ApiToken, String)>> {
    let sql = format!(
        "SELECT {COLUMNS}, (SELECT name FROM staff WHERE staff.id = api_tokens.staff_id)
         FROM api_tokens ORDER BY created_at DESC, id DESC"
    );
    let rows = conn
        .prepare_cached(&sql)?
        .query_map([], |r| Ok((from_row(r)?, r.get::<_, String>(9)?)))?
        .collect::<rusqlite::Result<_>>()?;
    Ok(rows)
}

pub fn get(conn: &Connection, id: i64) -> Result<Option<ApiToken>> {
    let sql = format!("SELECT {COLUMNS} FROM api_tokens WHERE id = ?1");
    Ok(conn
        .prepare_cached(&sql)?
        .query_row([id], from_row)
        .optional()?)
}

/// Revokes a token; false when it was already revoked or does not exist.
pub fn revoke(conn: &Connection, id: i64, now: i64) -> Result<bool> {
    Ok(conn
        .prepare_cached(
            "UPDATE api_tokens SET revoked_at = ?2 WHERE id = ?1 AND revoked_at IS NULL",
        )?
        .execute(params![id, now])?
        > 0)
}

/// The longest token name (characters).
pub const MAX_NAME: usize = 100;

/// A new token's name and scope as typed: the name trimmed, 1..=MAX_NAME characters without
/// control characters; the scope `read` or `read-write`. Each problem is named by its field.
pub fn check_new(name: &str, scope: &str) -> std::result::Result<(String, Scope), FieldErrors> {
    let mut errors = FieldErrors::new();
    let name = name.trim();
    let length = name.chars().count();
    if length == 0 {
        errors.add("name", "tokens_error_name_required");
    } else if length > MAX_NAME || name.chars().any(char::is_control) {
        errors.add("name", "tokens_error_name");
    }
    let scope = Scope::parse(scope.trim());
    if scope.is_none() {
        errors.add("scope", "tokens_error_scope");
    }
    match scope {
        Some(scope) if errors.is_empty() => Ok((name.to_string(), scope)),
        _ => Err(errors),
    }
}

/// Records a use of token `id` (of `staff_id`) now from `ip`, in the caller's transaction; when
/// the token was last used from another address, that goes to the audit log with it
/// (`api_token_new_address`). Returns whether it did.
pub fn record_use(conn: &Connection, id: i64, staff_id: i64, now: i64, ip: &str) -> Result<bool> {
    let ip = crate::util::clean(ip, 100);
    let previous: Option<String> = conn
        .prepare_cached("SELECT last_used_ip FROM api_tokens WHERE id = ?1")?
        .query_row([id], |r| r.get(0))
        .optional()?
        .flatten();
    touch(conn, id, now, &ip)?;
    let moved = previous
        .as_deref()
        .is_some_and(|before| !before.is_empty() && before != ip);
    if moved {
        let detail = format!(
            "token={id} previous={}",
            previous.as_deref().unwrap_or_default()
        );
        crate::audit::record(
            conn,
            Some(staff_id),
            "api_token_new_address",
            &detail,
            Some(&ip),
        )?;
    }
    Ok(moved)
}

/// `create`, and `api_token_created` in the audit log (by the owner, from `ip`).
pub fn create_recorded(
    conn: &Connection,
    staff_id: i64,
    name: &str,
    scope: Scope,
    ip: Option<&str>,
    now: i64,
) -> Result<(i64, String)> {
    let (id, secret) = create(conn, staff_id, name, scope, now)?;
    let detail = format!("token={id} name={name} scope={}", scope.as_str());
    crate::audit::record(conn, Some(staff_id), "api_token_created", &detail, ip)?;
    Ok((id, secret))
}

/// `revoke`, and `api_token_revoked` in the audit log, done by staff member `actor` as `by`
/// (`owner` or `admin`); false, and nothing recorded, when it was revoked already.
pub fn revoke_recorded(
    conn: &Connection,
    token: &ApiToken,
    actor: i64,
    by: &str,
    ip: Option<&str>,
    now: i64,
) -> Result<bool> {
    if !revoke(conn, token.id, now)? {
        return Ok(false);
    }
    let detail = format!(
        "token={} name={} owner={} by={by}",
        token.id, token.name, token.staff_id
    );
    crate::audit::record(conn, Some(actor), "api_token_revoked", &detail, ip)?;
    Ok(true)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn new_tokens_need_a_name_and_a_known_scope() {
        assert_eq!(
            check_new("  CI bot ", "read").ok(),
            Some(("CI bot".to_string(), Scope::Read))
        );
        assert_eq!(
            check_new("x", "read-write").ok(),
            Some(("x".to_string(), Scope::ReadWrite))
        );
        let errors = check_new("   ", "write").unwrap_err();
        assert_eq!(
            errors.get("name").map(|e| e.key),
            Some("tokens_error_name_required")
        );
        assert_eq!(
            errors.get("scope").map(|e| e.key),
            Some("tokens_error_scope")
        );
        let long = "a".repeat(MAX_NAME + 1);
        assert!(check_new(&long, "read").is_err());
        assert!(check_new(&"a".repeat(MAX_NAME), "read").is_ok());
        assert!(check_new("a\u{7}b", "read").is_err());
    }
}
