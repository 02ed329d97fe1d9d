//! "My tickets" for requesters, who have no account: a sign-in link mailed to their address
//! (`requester_links`: used once, valid `LINK_SECS`) opens a session (`requester_sessions`,
//! `SESSION_SECS`) that sees every ticket of that address. Both tokens are stored only as their
//! SHA-256 hash (`sessions::hash`); the session cookie itself is the web layer's.

use rusqlite::{Connection, OptionalExtension, params};

use super::sessions::{hash, new_token};
use crate::error::Result;

/// How long a mailed sign-in link works.
pub const LINK_SECS: i64 = 30 * 60;
/// How long a requester stays signed in.
pub const SESSION_SECS: i64 = 7 * 24 * 3600;

/// What a sign-in link is worth at a given moment.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LinkState {
    /// Unused and unexpired: it signs in this address.
    Valid(String),
    Used,
    Expired,
    Unknown,
}

/// A new link's token for `email`, valid from `now` for `LINK_SECS`.
pub fn create(conn: &Connection, email: &str, now: i64) -> Result<String> {
    let token = new_token();
    conn.prepare_cached(
        "INSERT INTO requester_links (token_hash, email, created_at, expires_at)
         VALUES (?1, ?2, ?3, ?4)",
    )?
    .execute(params![hash(&token), email, now, now + LINK_SECS])?;
    Ok(token)
}

/// The link's state at `now`, changing nothing (opening the mail's link only shows a button:
/// mail scanners follow links).
pub fn peek(conn: &Connection, token: &str, now: i64) -> Result<LinkState> {
    let row: Option<(String, i64, Option<i64>)> = conn
        .prepare_cached(
            "SELECT email, expires_at, used_at FROM requester_links WHERE token_hash = ?1",
        )?
        .query_row([hash(token)], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))
        .optional()?;
    Ok(match row {
        None => LinkState::Unknown,
        Some((_, _, Some(_))) => LinkState::Used,
        Some((_, expires_at, None)) if expires_at <= now => LinkState::Expired,
        Some((email, _, None)) => LinkState::Valid(email),
    })
}

/// Uses a link up and opens a session for its address: the session's token, or the reason the
/// link signs nobody in.
pub fn sign_in(
    conn: &Connection,
    token: &str,
    now: i64,
) -> Result<std::result::Result<String, LinkState>> {
    let email = match peek(conn, token, now)? {
        LinkState::Valid(email) => email,
        other => return Ok(Err(other)),
    };
    conn.prepare_cached("UPDATE requester_links SET used_at = ?2 WHERE token_hash = ?1")?
        .execute(params![hash(token), now])?;
    let session = new_token();
    conn.prepare_cached(
        "INSERT INTO requester_sessions (token_hash, email, created_at, expires_at)
         VALUES (?1, ?2, ?3, ?4)",
    )?
    .execute(params![hash(&session), email, now, now + SESSION_SECS])?;
    Ok(Ok(session))
}

/// The address a session token signs in, while it lasts.
pub fn session_email(conn: &Connection, token: &str, now: i64) -> Result<Option<String>> {
    Ok(conn
        .prepare_cached(
            "SELECT email FROM requester_sessions WHERE token_hash = ?1 AND expires_at > ?2",
        )?
        .query_row(params![hash(token), now], |r| r.get(0))
        .optional()?)
}

/// Signing out: the session ends on the server.
pub fn end_session(conn: &Connection, token: &str) -> Result<()> {
    conn.prepare_cached("DELETE FROM requester_sessions WHERE token_hash = ?1")?
        .execute([hash(token)])?;
    Ok(())
}

/// Forgets every link and session of `email` (a data-protection erasure): how many rows went.
pub fn forget(conn: &Connection, email: &str) -> Result<usize> {
    let links = conn
        .prepare_cached("DELETE FROM requester_links WHERE email = ?1")?
        .execute([email])?;
    let sessions = conn
        .prepare_cached("DELETE FROM requester_sessions WHERE email = ?1")?
        .execute([email])?;
    Ok(links + sessions)
}

/// Drops links and sessions that expired before `now` (nothing needs them any more).
pub fn prune(conn: &Connection, now: i64) -> Result<()> {
    conn.prepare_cached("DELETE FROM requester_links WHERE expires_at <= ?1")?
        .execute([now - LINK_SECS])?;
    conn.prepare_cached("DELETE FROM requester_sessions WHERE expires_at <= ?1")?
        .execute([now])?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn conn() -> Connection {
        let mut conn = Connection::open_in_memory().unwrap();
        crate::db::migrate(&mut conn).unwrap();
        conn
    }

    #[test]
    fn a_link_signs_in_once_within_its_time() {
        let c = conn();
        let token = create(&c, "ana@example.com", 1000).unwrap();
        assert_eq!(
            peek(&c, &token, 1000 + LINK_SECS).unwrap(),
            LinkState::Expired
        );
        let session = sign_in(&c, &token, 1000 + LINK_SECS - 1).unwrap().unwrap();
        assert_eq!(
            session_email(&c, &session, 2000).unwrap().as_deref(),
            Some("ana@example.com")
        );
        assert_eq!(sign_in(&c, &token, 2000).unwrap(), Err(LinkState::Used));
        assert_eq!(peek(&c, "nope", 2000).unwrap(), LinkState::Unknown);
        end_session(&c, &session).unwrap();
        assert_eq!(session_email(&c, &session, 2000).unwrap(), None);
    }
}
