//! Staff sessions kept on the server (`staff_sessions`): the session cookie names a row by a
//! random token, stored here only as its SHA-256 hash. A session ends when its row goes: on
//! logout, "sign out everywhere", an admin ending a member's sessions, a password change or a
//! deactivation, or when it expires.

use rusqlite::{Connection, OptionalExtension, params};
use serde::Serialize;
use sha2::{Digest, Sha256};

use super::users::{self, StaffAccount};
use crate::error::Result;

/// A new session's secret: 256 bits from the operating system's RNG, as hex.
pub fn new_token() -> String {
    crate::util::random_hex(32)
}

/// A token as stored: its SHA-256, in hex.
pub fn hash(token: &str) -> String {
    Sha256::digest(token.as_bytes())
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// Where a session was opened from, shown to its owner.
pub struct Origin<'a> {
    pub ip: Option<&'a str>,
    pub user_agent: Option<&'a str>,
}

/// Opens a session for `staff_id` lasting until `expires_at`.
pub fn create(
    conn: &Connection,
    token: &str,
    staff_id: i64,
    now: i64,
    expires_at: i64,
    origin: &Origin<'_>,
) -> Result<()> {
    conn.prepare_cached(
        "INSERT INTO staff_sessions (token_hash, staff_id, created_at, expires_at, ip, user_agent)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
    )?
    .execute(params![
        hash(token),
        staff_id,
        now,
        expires_at,
        origin.ip,
        origin.user_agent.map(|ua| crate::util::clean(ua, 200)),
    ])?;
    Ok(())
}

/// The account of a live session, active or not (the caller decides).
pub fn account(conn: &Connection, token: &str, now: i64) -> Result<Option<StaffAccount>> {
    let sql = format!(
        "SELECT {} FROM staff WHERE id = (SELECT staff_id FROM staff_sessions
             WHERE token_hash = ?1 AND expires_at > ?2)",
        users::COLUMNS
    );
    Ok(conn
        .prepare_cached(&sql)?
        .query_row(params![hash(token), now], users::from_row)
        .optional()?)
}

/// Ends one session (logout).
pub fn end(conn: &Connection, token: &str) -> Result<()> {
    conn.prepare_cached("DELETE FROM staff_sessions WHERE token_hash = ?1")?
        .execute([hash(token)])?;
    Ok(())
}

/// Ends every session of a staff member; returns how many there were.
pub fn end_all(conn: &Connection, staff_id: i64) -> Result<usize> {
    Ok(conn
        .prepare_cached("DELETE FROM staff_sessions WHERE staff_id = ?1")?
        .execute([staff_id])?)
}

/// How many live sessions a staff member has.
pub fn count(conn: &Connection, staff_id: i64, now: i64) -> Result<i64> {
    Ok(conn
        .prepare_cached(
            "SELECT count(*) FROM staff_sessions WHERE staff_id = ?1 AND expires_at > ?2",
        )?
        .query_row(params![staff_id, now], |r| r.get(0))?)
}

/// Forgets expired sessions.
pub fn purge_expired(conn: &Connection, now: i64) -> Result<usize> {
    Ok(conn
        .prepare_cached("DELETE FROM staff_sessions WHERE expires_at <= ?1")?
        .execute([now])?)
}

/// The `sessions_purge` job's pass; sign-ins that waited too long for their code go with the
/// expired sessions.
pub fn purge_pass(ctx: &crate::jobs::JobCtx) -> Result<String> {
    let now = ctx.now;
    let purged = ctx.db.write_blocking(|c| {
        super::pending_logins::purge_expired(c, now)?;
        purge_expired(c, now)
    })?;
    Ok(match purged {
        0 => "no expired session".to_string(),
        1 => "1 expired session forgotten".to_string(),
        n => format!("{n} expired sessions forgotten"),
    })
}

/// One live session, as its owner sees it.
#[derive(Debug, Clone, Serialize)]
pub struct SessionInfo {
    pub created_at: i64,
    pub expires_at: i64,
    pub ip: Option<String>,
    pub user_agent: Option<String>,
    /// The session of the browser asking.
    pub current: bool,
}

/// A staff member's live sessions, newest first; `current` marks the one holding `token`.
pub fn list(conn: &Connection, staff_id: i64, token: &str, now: i64) -> Result<Vec<SessionInfo>> {
    let mine = hash(token);
    let mut stmt = conn.prepare_cached(
        "SELECT created_at, expires_at, ip, user_agent, token_hash = ?3 FROM staff_sessions
         WHERE staff_id = ?1 AND expires_at > ?2 ORDER BY created_at DESC, id DESC",
    )?;
    let rows = stmt
        .query_map(params![staff_id, now, mine], |r| {
            Ok(SessionInfo {
                created_at: r.get(0)?,
                expires_at: r.get(1)?,
                ip: r.get(2)?,
                user_agent: r.get(3)?,
                current: r.get(4)?,
            })
        })?
        .collect::<rusqlite::Result<Vec<_>>>()?;
    Ok(rows)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_are_long_random_and_stored_hashed() {
        let (a, b) = (new_token(), new_token());
        assert_eq!(a.len(), 64);
        assert_ne!(a, b);
        assert_eq!(hash(&a).len(), 64);
        assert_ne!(hash(&a), a);
    }
}
