//! Sign-ins waiting for their code (`staff_pending_logins`): the password was right, but a
//! member with two-factor sign-in gets no session until the code is. The browser holds a random
//! token naming the row (stored here as its SHA-256), valid a few minutes and used once.

use rusqlite::{Connection, OptionalExtension, params};

use super::sessions::{hash, new_token};
use crate::error::Result;

/// How long the code may take after the password.
pub const VALID_SECS: i64 = 5 * 60;

/// A pending sign-in, as its token finds it.
#[derive(Debug, Clone)]
pub struct Pending {
    pub staff_id: i64,
    /// The account's session epoch at the password: a password change meanwhile voids it.
    pub session_epoch: i64,
    /// Where to go once signed in (already checked to be a local path).
    pub next: String,
}

/// Records a pending sign-in for `staff_id` from `now`; returns the browser's token.
pub fn create(
    conn: &Connection,
    staff_id: i64,
    session_epoch: i64,
    next: &str,
    now: i64,
) -> Result<String> {
    let token = new_token();
    conn.prepare_cached(
        "INSERT INTO staff_pending_logins
             (token_hash, staff_id, session_epoch, next, created_at, expires_at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
    )?
    .execute(params![
        hash(&token),
        staff_id,
        session_epoch,
        next,
        now,
        now + VALID_SECS
    ])?;
    Ok(token)
}

/// The unexpired pending sign-in `token` names.
pub fn get(conn: &Connection, token: &str, now: i64) -> Result<Option<Pending>> {
    Ok(conn
        .prepare_cached(
            "SELECT staff_id, session_epoch, next FROM staff_pending_logins
             WHERE token_hash = ?1 AND expires_at > ?2",
        )?
        .query_row(params![hash(token), now], |r| {
            Ok(Pending {
                staff_id: r.get(0)?,
                session_epoch: r.get(1)?,
                next: r.get(2)?,
            })
        })
        .optional()?)
}

/// Ends one (its code was accepted, or the browser starts over).
pub fn end(conn: &Connection, token: &str) -> Result<()> {
    conn.prepare_cached("DELETE FROM staff_pending_logins WHERE token_hash = ?1")?
        .execute([hash(token)])?;
    Ok(())
}

/// Ends every pending sign-in of a staff member (their two-factor sign-in was removed).
pub fn end_all(conn: &Connection, staff_id: i64) -> Result<usize> {
    Ok(conn
        .prepare_cached("DELETE FROM staff_pending_logins WHERE staff_id = ?1")?
        .execute([staff_id])?)
}

/// Forgets expired ones (the `sessions_purge` job).
pub fn purge_expired(conn: &Connection, now: i64) -> Result<usize> {
    Ok(conn
        .prepare_cached("DELETE FROM staff_pending_logins WHERE expires_at <= ?1")?
        .execute([now])?)
}
