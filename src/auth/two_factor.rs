//! Staff two-factor sign-in (`staff_totp`, `staff_recovery_codes`): enrolment (a pending
//! secret until a first code confirms it), checking a code or a recovery code, new recovery
//! codes, and removal. The codes themselves are `totp`'s.

use rusqlite::{Connection, OptionalExtension, params};
use serde::Serialize;

use super::totp::{self, CodeCheck};
use crate::error::Result;

/// A staff member's two-factor state, as their pages and the admin's show it.
#[derive(Debug, Clone, Serialize)]
pub struct Status {
    /// Confirmed: sign-in asks for a code.
    pub enabled: bool,
    /// When it was confirmed.
    pub since: Option<i64>,
    /// A secret waits for its first code.
    pub pending: bool,
    /// Unused recovery codes.
    pub recovery_left: i64,
}

pub fn status(conn: &Connection, staff_id: i64) -> Result<Status> {
    let row: Option<Option<i64>> = conn
        .prepare_cached("SELECT confirmed_at FROM staff_totp WHERE staff_id = ?1")?
        .query_row([staff_id], |r| r.get(0))
        .optional()?;
    Ok(Status {
        enabled: matches!(row, Some(Some(_))),
        since: row.flatten(),
        pending: matches!(row, Some(None)),
        recovery_left: recovery_left(conn, staff_id)?,
    })
}

/// Whether sign-in asks this staff member for a code.
pub fn is_enabled(conn: &Connection, staff_id: i64) -> Result<bool> {
    Ok(conn
        .prepare_cached(
            "SELECT EXISTS(SELECT 1 FROM staff_totp
                 WHERE staff_id = ?1 AND confirmed_at IS NOT NULL)",
        )?
        .query_row([staff_id], |r| r.get(0))?)
}

fn recovery_left(conn: &Connection, staff_id: i64) -> Result<i64> {
    Ok(conn
        .prepare_cached(
            "SELECT count(*) FROM staff_recovery_codes WHERE staff_id = ?1 AND used_at IS NULL",
        )?
        .query_row([staff_id], |r| r.get(0))?)
}

/// The secret waiting to be confirmed, made now if there is none yet (the same one on every
/// visit, so a reload does not undo a scan). `None` once two-factor sign-in is on.
pub fn pending_secret(conn: &Connection, staff_id: i64, now: i64) -> Result<Option<String>> {
    conn.prepare_cached(
        "INSERT INTO staff_totp (staff_id, secret, created_at) VALUES (?1, ?2, ?3)
         ON CONFLICT(staff_id) DO NOTHING",
    )?
    .execute(params![staff_id, totp::new_secret(), now])?;
    Ok(conn
        .prepare_cached(
            "SELECT secret FROM staff_totp WHERE staff_id = ?1 AND confirmed_at IS NULL",
        )?
        .query_row([staff_id], |r| r.get(0))
        .optional()?)
}

/// Why a code was refused; each has its message (a catalog key).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Refusal {
    Wrong,
    Reused,
    Expired,
    RecoveryReused,
    /// Two-factor sign-in was removed (or never confirmed) meanwhile.
    NotEnrolled,
}

impl Refusal {
    pub fn key(self) -> &'static str {
        match self {
            Refusal::Wrong => "twofa_code_wrong",
            Refusal::Reused => "twofa_code_reused",
            Refusal::Expired => "twofa_code_expired",
            Refusal::RecoveryReused => "twofa_recovery_reused",
            Refusal::NotEnrolled => "twofa_not_enrolled",
        }
    }

    /// For the audit log.
    pub fn as_str(self) -> &'static str {
        match self {
            Refusal::Wrong => "wrong",
            Refusal::Reused => "reused",
            Refusal::Expired => "expired",
            Refusal::RecoveryReused => "recovery_reused",
            Refusal::NotEnrolled => "not_enrolled",
        }
    }
}

/// An accepted code.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Accepted {
    Totp,
    /// A recovery code, now used up; `left` remain.
    Recovery {
        left: i64,
    },
}

/// Accepts a TOTP step newer than the last accepted one, recording it. The `last_step < ?`
/// condition makes two requests racing with the same code accept it once.
fn take_step(conn: &Connection, staff_id: i64, step: i64) -> Result<bool> {
    Ok(conn
        .prepare_cached(
            "UPDATE staff_totp SET last_step = ?2 WHERE staff_id = ?1 AND last_step < ?2",
        )?
        .execute(params![staff_id, step])?
        == 1)
}

fn check_totp(
    conn: &Connection,
    staff_id: i64,
    secret: &str,
    last_step: i64,
    code: &str,
    now: i64,
) -> Result<std::result::Result<(), Refusal>> {
    Ok(match totp::check(secret, code, last_step, now)? {
        CodeCheck::Accepted { step } if take_step(conn, staff_id, step)? => Ok(()),
        CodeCheck::Accepted { .. } | CodeCheck::Reused => Err(Refusal::Reused),
        CodeCheck::Expired => Err(Refusal::Expired),
        CodeCheck::Wrong => Err(Refusal::Wrong),
    })
}

/// Confirms a pending enrolment with its first code: on success two-factor sign-in is on and
/// the ten recovery codes are returned (to be shown once). A refused code changes nothing.
pub fn confirm(
    conn: &Connection,
    staff_id: i64,
    code: &str,
    now: i64,
) -> Result<std::result::Result<Vec<String>, Refusal>> {
    let pending: Option<(String, i64)> = conn
        .prepare_cached(
            "SELECT secret, last_step FROM staff_totp
             WHERE staff_id = ?1 AND confirmed_at IS NULL",
        )?
        .query_row([staff_id], |r| Ok((r.get(0)?, r.get(1)?)))
        .optional()?;
    let Some((secret, last_step)) = pending else {
        return Ok(Err(Refusal::NotEnrolled));
    };
    if let Err(refusal) = check_totp(conn, staff_id, &secret, last_step, code, now)? {
        return Ok(Err(refusal));
    }
    conn.prepare_cached("UPDATE staff_totp SET confirmed_at = ?2 WHERE staff_id = ?1")?
        .execute(params![staff_id, now])?;
    Ok(Ok(replace_recovery_codes(conn, staff_id)?))
}

/// Checks what a staff member typed in a `code` field once two-factor sign-in is on: a code
/// from their app (six digits) or one of their unused recovery codes. An accepted one is used
/// up; a refused one changes nothing.
pub fn verify(
    conn: &Connection,
    staff_id: i64,
    code: &str,
    now: i64,
) -> Result<std::result::Result<Accepted, Refusal>> {
    let confirmed: Option<(String, i64)> = conn
        .prepare_cached(
            "SELECT secret, last_step FROM staff_totp
             WHERE staff_id = ?1 AND confirmed_at IS NOT NULL",
        )?
        .query_row([staff_id], |r| Ok((r.get(0)?, r.get(1)?)))
        .optional()?;
    let Some((secret, last_step)) = confirmed else {
        return Ok(Err(Refusal::NotEnrolled));
    };
    if totp::as_totp_code(code).is_some() {
        return Ok(
            check_totp(conn, staff_id, &secret, last_step, code, now)?.map(|()| Accepted::Totp)
        );
    }
    let hash = totp::hash_recovery_code(code);
    let used: Option<Option<i64>> = conn
        .prepare_cached(
            "SELECT used_at FROM staff_recovery_codes WHERE staff_id = ?1 AND code_hash = ?2",
        )?
        .query_row(params![staff_id, hash], |r| r.get(0))
        .optional()?;
    Ok(match used {
        None => Err(Refusal::Wrong),
        Some(Some(_)) => Err(Refusal::RecoveryReused),
        Some(None) => {
            let taken = conn
                .prepare_cached(
                    "UPDATE staff_recovery_codes SET used_at = ?3
                     WHERE staff_id = ?1 AND code_hash = ?2 AND used_at IS NULL",
                )?
                .execute(params![staff_id, hash, now])?;
            if taken == 1 {
                Ok(Accepted::Recovery {
                    left: recovery_left(conn, staff_id)?,
                })
            } else {
                Err(Refusal::RecoveryReused)
            }
        }
    })
}

/// Ten new recovery codes in place of the old ones (used or not), returned in clear once.
pub fn replace_recovery_codes(conn: &Connection, staff_id: i64) -> Result<Vec<String>> {
    conn.prepare_cached("DELETE FROM staff_recovery_codes WHERE staff_id = ?1")?
        .execute([staff_id])?;
    let codes = totp::new_recovery_codes();
    let mut insert = conn
        .prepare_cached("INSERT INTO staff_recovery_codes (staff_id, code_hash) VALUES (?1, ?2)")?;
    for code in &codes {
        insert.execute(params![staff_id, totp::hash_recovery_code(code)])?;
    }
    Ok(codes)
}

/// Removes a staff member's two-factor sign-in, pending or on, with its recovery codes and any
/// sign-in waiting for a code. Returns whether it was on.
pub fn remove(conn: &Connection, staff_id: i64) -> Result<bool> {
    let was_on = is_enabled(conn, staff_id)?;
    conn.prepare_cached("DELETE FROM staff_totp WHERE staff_id = ?1")?
        .execute([staff_id])?;
    conn.prepare_cached("DELETE FROM staff_recovery_codes WHERE staff_id = ?1")?
        .execute([staff_id])?;
    super::pending_logins::end_all(conn, staff_id)?;
    Ok(was_on)
}
