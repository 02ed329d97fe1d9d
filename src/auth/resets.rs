//! Password-reset links (`password_resets`): a random token mailed to the staff member, stored
//! as its hash, valid for an hour and accepted once.

use rusqlite::{Connection, OptionalExtension, params};

use super::sessions::hash;
use crate::error::Result;

/// How long a reset link works.
pub const VALID_SECS: i64 = 3600;

/// A new link's token for `staff_id`, valid from `now` for `VALID_SECS`.
pub fn create(conn: &Connection, staff_id: i64, now: i64) -> Result<String> {
    let token = super::sessions::new_token();
    conn.prepare_cached(
        "INSERT INTO password_resets (token_hash, staff_id, created_at, expires_at)
         VALUES (?1, ?2, ?3, ?4)",
    )?
    .execute(params![hash(&token), staff_id, now, now + VALID_SECS])?;
    Ok(token)
}

/// The staff member a token resets, while it is unused and unexpired (nothing is changed).
pub fn peek(conn: &Connection, token: &str, now: i64) -> Result<Option<i64>> {
    Ok(conn
        .prepare_cached(
            "SELECT staff_id FROM password_resets
             WHERE token_hash = ?1 AND used_at IS NULL AND expires_at > ?2",
        )?
        .query_row(params![hash(token), now], |r| r.get(0))
        .optional()?)
}

/// Uses a token up: its staff member, once; `None` for an unknown, used or expired one. Every
/// other open link of that member is used up with it.
pub fn take(conn: &Connection, token: &str, now: i64) -> Result<Option<i64>> {
    let Some(staff_id) = peek(conn, token, now)? else {
        return Ok(None);
    };
    conn.prepare_cached(
        "UPDATE password_resets SET used_at = ?2 WHERE staff_id = ?1 AND used_at IS NULL",
    )?
    .execute(params![staff_id, now])?;
    Ok(Some(staff_id))
}
