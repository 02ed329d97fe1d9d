//! Staff accounts: queries and password hashing.

use rusqlite::{Connection, OptionalExtension, params};
use serde::Serialize;

use crate::db::now;
use crate::error::{Error, Result};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Role {
    Admin,
    Agent,
}

impl Role {
    pub fn parse(s: &str) -> Option<Role> {
        match s {
            "admin" => Some(Role::Admin),
            "agent" => Some(Role::Agent),
            _ => None,
        }
    }
    pub fn as_str(self) -> &'static str {
        match self {
            Role::Admin => "admin",
            Role::Agent => "agent",
        }
    }
}

#[derive(Debug, Clone, Serialize)]
pub struct StaffAccount {
    pub id: i64,
    pub email: String,
    pub name: String,
    pub role: Role,
    pub active: bool,
    pub session_epoch: i64,
    pub created_at: i64,
    /// False when limited to chosen categories (see `access`); admins ignore it.
    pub all_categories: bool,
    /// Their own time zone (an IANA name); empty: the desk's.
    pub timezone: String,
}

pub(crate) const COLUMNS: &str =
    "id, email, name, role, active, session_epoch, created_at, all_categories, timezone";

pub(crate) fn from_row(r: &rusqlite::Row<'_>) -> rusqlite::Result<StaffAccount> {
    let role: String = r.get(3)?;
    Ok(StaffAccount {
        id: r.get(0)?,
        email: r.get(1)?,
        name: r.get(2)?,
        role: Role::parse(&role).unwrap_or(Role::Agent),
        active: r.get(4)?,
        session_epoch: r.get(5)?,
        created_at: r.get(6)?,
        all_categories: r.get(7)?,
        timezone: r.get(8)?,
    })
}

pub fn hash_password(password: &str, cost: u32) -> Result<String> {
    bcrypt::hash(password, cost).map_err(|e| Error::internal(format!("bcrypt: {e}")))
}

/// The 1,000 most common passwords of 10 characters or more (shorter ones are refused anyway),
/// most common first, from a list of leaked passwords; compared without case.
const COMMON_PASSWORDS: &str = include_str!("common_passwords.txt");

pub fn check_password_strength(password: &str) -> std::result::Result<(), &'static str> {
    if password.chars().count() < 10 {
        return Err("password_too_short");
    }
    if password.len() > 72 {
        // bcrypt ignores everything past 72 bytes; refuse rather than silently truncate.
        return Err("password_too_long");
    }
    if is_common(password) {
        return Err("password_too_common");
    }
    Ok(())
}

fn is_common(password: &str) -> bool {
    COMMON_PASSWORDS
        .lines()
        .any(|common| common.eq_ignore_ascii_case(password))
}

pub fn count(conn: &Connection) -> Result<i64> {
    Ok(conn.query_row("SELECT COUNT(*) FROM staff", [], |r| r.get(0))?)
}

pub fn create(
    conn: &Connection,
    email: &str,
    name: &str,
    role: Role,
    password_hash: &str,
) -> Result<i64> {
    let exists: bool = conn.query_row(
        "SELECT EXISTS(SELECT 1 FROM staff WHERE email = ?1)",
        [email],
        |r| r.get(0),
    )?;
    if exists {
        return Err(Error::BadRequest(format!(
            "a staff account with email {email} already exists"
        )));
    }
    conn.execute(
        "INSERT INTO staff (email, name, role, password_hash, created_at) VALUES (?1, ?2, ?3, ?4, ?5)",
        params![email, name, role.as_str(), password_hash, now()],
    )?;
    Ok(conn.last_insert_rowid())
}

pub fn get(conn: &Connection, id: i64) -> Result<Option<StaffAccount>> {
    let sql = format!("SELECT {COLUMNS} FROM staff WHERE id = ?1");
    Ok(conn
        .prepare_cached(&sql)?
        .query_row([id], from_row)
        .optional()?)
}

/// The account and its password hash, for logging in.
pub fn find_for_login(conn: &Connection, email: &str) -> Result<Option<(StaffAccount, String)>> {
    let sql = format!("SELECT {COLUMNS}, password_hash FROM staff WHERE email = ?1");
    Ok(conn
        .prepare_cached(&sql)?
        .query_row([email], |r| Ok((from_row(r)?, r.get::<_, String>(9)?)))
        .optional()?)
}

pub fn find_by_email(conn: &Connection, email: &str) -> Result<Option<StaffAccount>> {
    let sql = format!("SELECT {COLUMNS} FROM staff WHERE email = ?1");
    Ok(conn
        .prepare_cached(&sql)?
        .query_row([email], from_row)
        .optional()?)
}

pub fn list(conn: &Connection) -> Result<Vec<StaffAccount>> {
    let sql = format!("SELECT {COLUMNS} FROM staff ORDER BY active DESC, name COLLATE NOCASE");
    let mut stmt = conn.prepare_cached(&sql)?;
    let rows = stmt
        .query_map([], from_row)?
        .collect::<rusqlite::Result<Vec<_>>>()?;
    Ok(rows)
}

/// Sets a new password and ends every existing session of that account.
/// Sets the password and ends the account's sessions.
pub fn set_password(conn: &Connection, id: i64, password_hash: &str) -> Result<()> {
    let n = conn.execute(
        "UPDATE staff SET password_hash = ?2, session_epoch = session_epoch + 1 WHERE id = ?1",
        params![id, password_hash],
    )?;
    if n == 0 {
        return Err(Error::NotFound);
    }
    super::sessions::end_all(conn, id)?;
    Ok(())
}

pub fn update(conn: &Connection, id: i64, name: &str, role: Role, active: bool) -> Result<()> {
    let n = conn.execute(
        "UPDATE staff SET name = ?2, role = ?3, active = ?4,
             session_epoch = session_epoch + CASE WHEN ?4 = 0 AND active = 1 THEN 1 ELSE 0 END
         WHERE id = ?1",
        params![id, name, role.as_str(), active],
    )?;
    if n == 0 {
        return Err(Error::NotFound);
    }
    // A deactivated account is signed out everywhere at once.
    if !active {
        super::sessions::end_all(conn, id)?;
    }
    Ok(())
}

pub fn active_admins(conn: &Connection) -> Result<i64> {
    Ok(conn.query_row(
        "SELECT COUNT(*) FROM staff WHERE role = 'admin' AND active = 1",
        [],
        |r| r.get(0),
    )?)
}

/// The language a staff member's mail is written in.
pub fn set_lang(conn: &Connection, id: i64, lang: crate::i18n::Lang) -> Result<()> {
    conn.prepare_cached("UPDATE staff SET lang = ?2 WHERE id = ?1")?
        .execute(params![id, lang.code()])?;
    Ok(())
}

/// A staff member's own time zone: a canonical IANA name, or empty for the desk's.
pub fn set_timezone(conn: &Connection, id: i64, timezone: &str) -> Result<()> {
    let n = conn
        .prepare_cached("UPDATE staff SET timezone = ?2 WHERE id = ?1")?
        .execute(params![id, timezone])?;
    if n == 0 { Err(Error::NotFound) } else { Ok(()) }
}

/// Which notification mails a staff member wants, and in which language.
#[derive(Debug, Clone, Serialize)]
pub struct NotifyPrefs {
    pub lang: String,
    pub new_ticket: bool,
    pub requester_reply: bool,
    pub assigned: bool,
}

pub fn notify_prefs(conn: &Connection, id: i64) -> Result<NotifyPrefs> {
    conn.prepare_cached(
        "SELECT lang, notify_new_ticket, notify_requester_reply, notify_assigned
         FROM staff WHERE id = ?1",
    )?
    .query_row([id], |r| {
        Ok(NotifyPrefs {
            lang: r.get(0)?,
            new_ticket: r.get(1)?,
            requester_reply: r.get(2)?,
            assigned: r.get(3)?,
        })
    })
    .optional()?
    .ok_or(Error::NotFound)
}

pub fn set_notify_prefs(conn: &Connection, id: i64, prefs: &NotifyPrefs) -> Result<()> {
    let n = conn.execute(
        "UPDATE staff SET lang = ?2, notify_new_ticket = ?3, notify_requester_reply = ?4,
             notify_assigned = ?5
         WHERE id = ?1",
        params![
            id,
            prefs.lang,
            prefs.new_ticket,
            prefs.requester_reply,
            prefs.assigned
        ],
    )?;
    if n == 0 { Err(Error::NotFound) } else { Ok(()) }
}

/// The ticket list's columns this member hid (names from `tickets::list_columns`, comma
/// separated; empty: all show).
pub fn list_hidden_columns(conn: &Connection, id: i64) -> Result<String> {
    Ok(conn
        .prepare_cached("SELECT list_hidden_columns FROM staff WHERE id = ?1")?
        .query_row([id], |r| r.get(0))
        .optional()?
        .unwrap_or_default())
}

pub fn set_list_hidden_columns(conn: &Connection, id: i64, hidden: &str) -> Result<()> {
    let n = conn
        .prepare_cached("UPDATE staff SET list_hidden_columns = ?2 WHERE id = ?1")?
        .execute(params![id, hidden])?;
    if n == 0 { Err(Error::NotFound) } else { Ok(()) }
}
