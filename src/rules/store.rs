//! All SQL on `rules` and `rules_revision` (migration 0020). Conditions and actions are JSON
//! text written and read with serde.

use rusqlite::{Connection, OptionalExtension, Row, params};

use super::{Action, By, Condition, Match, Rule, RuleDef, RuleFailure, Trigger};
use crate::error::{Error, Result};

const COLUMNS: &str = "id, position, name, active, event, by_whom, match_mode, conditions, actions, \
     last_error, last_error_action, last_error_ticket, last_error_at";

impl Trigger {
    pub fn as_str(self) -> &'static str {
        match self {
            Trigger::Created => "created",
            Trigger::Updated => "updated",
        }
    }
    pub fn parse(s: &str) -> Option<Trigger> {
        [Trigger::Created, Trigger::Updated]
            .into_iter()
            .find(|t| t.as_str() == s)
    }
}

impl By {
    pub fn as_str(self) -> &'static str {
        match self {
            By::Requester => "requester",
            By::Staff => "staff",
            By::Any => "any",
        }
    }
    pub fn parse(s: &str) -> Option<By> {
        [By::Requester, By::Staff, By::Any]
            .into_iter()
            .find(|b| b.as_str() == s)
    }
}

impl Match {
    pub fn as_str(self) -> &'static str {
        match self {
            Match::All => "all",
            Match::Any => "any",
        }
    }
    pub fn parse(s: &str) -> Option<Match> {
        [Match::All, Match::Any]
            .into_iter()
            .find(|m| m.as_str() == s)
    }
}

/// A row as stored; its JSON and names are checked in `rule_from`.
struct RawRule {
    id: i64,
    position: i64,
    name: String,
    active: bool,
    event: String,
    by: String,
    match_mode: String,
    conditions: String,
    actions: String,
    failure: Option<RuleFailure>,
}

fn raw(r: &Row<'_>) -> rusqlite::Result<RawRule> {
    let detail: Option<String> = r.get(9)?;
    let failure = match detail {
        Some(detail) => Some(RuleFailure {
            detail,
            action: r.get::<_, Option<String>>(10)?.unwrap_or_default(),
            ticket_id: r.get(11)?,
            at: r.get::<_, Option<i64>>(12)?.unwrap_or_default(),
        }),
        None => None,
    };
    Ok(RawRule {
        id: r.get(0)?,
        position: r.get(1)?,
        name: r.get(2)?,
        active: r.get(3)?,
        event: r.get(4)?,
        by: r.get(5)?,
        match_mode: r.get(6)?,
        conditions: r.get(7)?,
        actions: r.get(8)?,
        failure,
    })
}

/// The rule, or why its row cannot be read (say, written by a newer version of the desk).
fn rule_from(raw: RawRule) -> std::result::Result<Rule, String> {
    let conditions: Vec<Condition> =
        serde_json::from_str(&raw.conditions).map_err(|e| format!("conditions: {e}"))?;
    let actions: Vec<Action> =
        serde_json::from_str(&raw.actions).map_err(|e| format!("actions: {e}"))?;
    Ok(Rule {
        id: raw.id,
        position: raw.position,
        def: RuleDef {
            name: raw.name,
            active: raw.active,
            event: Trigger::parse(&raw.event).ok_or("event")?,
            by: By::parse(&raw.by).ok_or("by_whom")?,
            match_mode: Match::parse(&raw.match_mode).ok_or("match_mode")?,
            conditions,
            actions,
        },
        last_failure: raw.failure,
    })
}

fn read_all(conn: &Connection, sql: &str) -> Result<Vec<RawRule>> {
    Ok(conn
        .prepare_cached(sql)?
        .query_map([], raw)?
        .collect::<rusqlite::Result<Vec<_>>>()?)
}

/// Every rule, in the order they run.
pub fn list(conn: &Connection) -> Result<Vec<Rule>> {
    read_all(
        conn,
        &format!("SELECT {COLUMNS} FROM rules ORDER BY position, id"),
    )?
    .into_iter()
    .map(|r| {
        let id = r.id;
        rule_from(r).map_err(|e| Error::internal(format!("rule {id}: {e}")))
    })
    .collect()
}

/// The active rules in order. One that cannot be read is left out (and logged), so a bad row
/// never stops tickets from being opened or answered.
pub fn load_active(conn: &Connection) -> Result<Vec<Rule>> {
    let rows = read_all(
        conn,
        &format!("SELECT {COLUMNS} FROM rules WHERE active = 1 ORDER BY position, id"),
    )?;
    Ok(rows
        .into_iter()
        .filter_map(|r| {
            let id = r.id;
            rule_from(r)
                .map_err(|e| log::warn!("rule {id} is left out: {e}"))
                .ok()
        })
        .collect())
}

pub fn get(conn: &Connection, id: i64) -> Result<Option<Rule>> {
    let row = conn
        .prepare_cached(&format!("SELECT {COLUMNS} FROM rules WHERE id = ?1"))?
        .query_row([id], raw)
        .optional()?;
    row.map(|r| rule_from(r).map_err(|e| Error::internal(format!("rule {id}: {e}"))))
        .transpose()
}

/// Moves whenever a rule's definition changes (see migration 0020).
pub fn revision(conn: &Connection) -> Result<i64> {
    Ok(conn
        .prepare_cached("SELECT value FROM rules_revision WHERE id = 1")?
        .query_row([], |r| r.get(0))?)
}

fn json<T: serde::Serialize>(value: &T) -> Result<String> {
    serde_json::to_string(value).map_err(|e| Error::internal(format!("rule as JSON: {e}")))
}

/// Adds a rule after the others; returns its id.
pub fn insert(conn: &Connection, def: &RuleDef, now: i64) -> Result<i64> {
    conn.prepare_cached(
        "INSERT INTO rules (name, active, position, event, by_whom, match_mode, conditions, actions,
             created_at, updated_at)
         VALUES (?1, ?2, (SELECT COALESCE(MAX(position), 0) + 10 FROM rules), ?3, ?4, ?5, ?6, ?7, ?8, ?8)",
    )?
    .execute(params![
        def.name,
        def.active,
        def.event.as_str(),
        def.by.as_str(),
        def.match_mode.as_str(),
        json(&def.conditions)?,
        json(&def.actions)?,
        now
    ])?;
    Ok(conn.last_insert_rowid())
}

/// Replaces a rule's definition and forgets its last failure; false when there is no such rule.
pub fn update(conn: &Connection, id: i64, def: &RuleDef, now: i64) -> Result<bool> {
    let n = conn
        .prepare_cached(
            "UPDATE rules SET name = ?2, active = ?3, event = ?4, by_whom = ?5, match_mode = ?6,
                 conditions = ?7, actions = ?8, updated_at = ?9, last_error = NULL,
                 last_error_action = NULL, last_error_ticket = NULL, last_error_at = NULL
             WHERE id = ?1",
        )?
        .execute(params![
            id,
            def.name,
            def.active,
            def.event.as_str(),
            def.by.as_str(),
            def.match_mode.as_str(),
            json(&def.conditions)?,
            json(&def.actions)?,
            now
        ])?;
    Ok(n == 1)
}

pub fn set_active(conn: &Connection, id: i64, active: bool, now: i64) -> Result<bool> {
    let n = conn
        .prepare_cached("UPDATE rules SET active = ?2, updated_at = ?3 WHERE id = ?1")?
        .execute(params![id, active, now])?;
    Ok(n == 1)
}

pub fn delete(conn: &Connection, id: i64) -> Result<bool> {
    Ok(conn
        .prepare_cached("DELETE FROM rules WHERE id = ?1")?
        .execute([id])?
        == 1)
}

/// Swaps the rule with the one before it (`up`) or after it; false when it is already first or
/// last, or does not exist. Positions are renumbered 10, 20, … on the way.
pub fn move_rule(conn: &Connection, id: i64, up: bool) -> Result<bool> {
    let mut ids: Vec<i64> = conn
        .prepare_cached("SELECT id FROM rules ORDER BY position, id")?
        .query_map([], |r| r.get(0))?
        .collect::<rusqlite::Result<Vec<_>>>()?;
    let Some(at) = ids.iter().position(|i| *i == id) else {
        return Ok(false);
    };
    let other = if up { at.checked_sub(1) } else { Some(at + 1) };
    let Some(other) = other.filter(|o| *o < ids.len()) else {
        return Ok(false);
    };
    ids.swap(at, other);
    let mut stmt = conn.prepare_cached("UPDATE rules SET position = ?2 WHERE id = ?1")?;
    for (i, id) in ids.iter().enumerate() {
        stmt.execute(params![id, (i as i64 + 1) * 10])?;
    }
    Ok(true)
}

/// Keeps the latest action the rule had to skip, for Admin > Rules. Runs in the ticket change's
/// transaction; it does not move `rules_revision`, since the definition is unchanged.
pub fn record_failure(
    conn: &Connection,
    id: i64,
    action: &str,
    detail: &str,
    ticket_id: i64,
    now: i64,
) -> Result<()> {
    conn.prepare_cached(
        "UPDATE rules SET last_error = ?2, last_error_action = ?3, last_error_ticket = ?4,
             last_error_at = ?5
         WHERE id = ?1",
    )?
    .execute(params![id, detail, action, ticket_id, now])?;
    Ok(())
}
