//! Auto-assignment: a category hands its new tickets to its agents in turn (round robin) or to
//! the one with the fewest open tickets (least open), skipping agents who are deactivated,
//! marked away, or not allowed to work the category. Off by default.

use rusqlite::{Connection, OptionalExtension, params};
use serde::Serialize;

use crate::auth::access::STAFF_SEES_CATEGORY_1;
use crate::error::Result;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Mode {
    Off,
    RoundRobin,
    LeastOpen,
}

impl Mode {
    pub const ALL: [Mode; 3] = [Mode::Off, Mode::RoundRobin, Mode::LeastOpen];

    pub fn parse(s: &str) -> Option<Mode> {
        match s {
            "off" => Some(Mode::Off),
            "round_robin" => Some(Mode::RoundRobin),
            "least_open" => Some(Mode::LeastOpen),
            _ => None,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Mode::Off => "off",
            Mode::RoundRobin => "round_robin",
            Mode::LeastOpen => "least_open",
        }
    }
}

pub fn mode(conn: &Connection, category_id: i64) -> Result<Mode> {
    let mode: Option<String> = conn
        .prepare_cached("SELECT assignment FROM categories WHERE id = ?1")?
        .query_row([category_id], |r| r.get(0))
        .optional()?;
    Ok(mode.as_deref().and_then(Mode::parse).unwrap_or(Mode::Off))
}

pub fn set_mode(conn: &Connection, category_id: i64, mode: Mode) -> Result<()> {
    conn.prepare_cached("UPDATE categories SET assignment = ?2 WHERE id = ?1")?
        .execute(params![category_id, mode.as_str()])?;
    Ok(())
}

/// The agent a new ticket of `category_id` goes to at `now`, if the category assigns
/// automatically and one of its agents can take it. Moves the round robin on.
pub fn pick(conn: &Connection, category_id: i64, now: i64) -> Result<Option<i64>> {
    let (mode, last): (String, Option<i64>) = match conn
        .prepare_cached("SELECT assignment, last_assigned_id FROM categories WHERE id = ?1")?
        .query_row([category_id], |r| Ok((r.get(0)?, r.get(1)?)))
        .optional()?
    {
        Some(row) => row,
        None => return Ok(None),
    };
    let mode = Mode::parse(&mode).unwrap_or(Mode::Off);
    if mode == Mode::Off {
        return Ok(None);
    }
    // With each candidate, their open tickets (only counted when they are needed).
    let count_open = mode == Mode::LeastOpen;
    let sql = format!(
        "SELECT s.id,
                CASE WHEN ?3 THEN (SELECT COUNT(*) FROM tickets t
                     WHERE t.assignee_id = s.id
                       AND t.status_id IN (SELECT id FROM statuses WHERE is_closed = 0))
                ELSE 0 END
         FROM category_agents ca JOIN staff s ON s.id = ca.staff_id
         WHERE ca.category_id = ?1 AND s.active = 1
           AND NOT (s.away = 1 AND (s.away_until IS NULL OR s.away_until > ?2))
           AND {STAFF_SEES_CATEGORY_1}
         ORDER BY s.id"
    );
    let candidates = conn
        .prepare_cached(&sql)?
        .query_map(params![category_id, now, count_open], |r| {
            Ok((r.get::<_, i64>(0)?, r.get::<_, i64>(1)?))
        })?
        .collect::<rusqlite::Result<Vec<_>>>()?;
    let Some(chosen) = choose(&candidates, last) else {
        return Ok(None);
    };
    conn.prepare_cached("UPDATE categories SET last_assigned_id = ?2 WHERE id = ?1")?
        .execute(params![category_id, chosen])?;
    Ok(Some(chosen))
}

/// From (agent id, open tickets) in id order: the fewest open tickets, ties broken by taking
/// turns after `last` (with equal counts, which is all of them in round robin, that is the next
/// agent in turn).
fn choose(candidates: &[(i64, i64)], last: Option<i64>) -> Option<i64> {
    let start = last
        .and_then(|last| candidates.iter().position(|(id, _)| *id > last))
        .unwrap_or(0);
    let in_turn = candidates[start..].iter().chain(&candidates[..start]);
    let fewest = candidates.iter().map(|(_, open)| *open).min()?;
    in_turn
        .filter(|(_, open)| *open == fewest)
        .map(|(id, _)| *id)
        .next()
}

/// A staff member's availability: away (until `until`, or until they say they are back).
#[derive(Debug, Clone, Serialize, Default)]
pub struct Away {
    pub away: bool,
    pub until: Option<i64>,
}

pub fn away(conn: &Connection, staff_id: i64, now: i64) -> Result<Away> {
    let row: Option<(bool, Option<i64>)> = conn
        .prepare_cached("SELECT away, away_until FROM staff WHERE id = ?1")?
        .query_row([staff_id], |r| Ok((r.get(0)?, r.get(1)?)))
        .optional()?;
    Ok(match row {
        Some((true, until)) if until.is_none_or(|u| u > now) => Away { away: true, until },
        _ => Away::default(),
    })
}

pub fn set_away(conn: &Connection, staff_id: i64, away: &Away) -> Result<()> {
    conn.prepare_cached("UPDATE staff SET away = ?2, away_until = ?3 WHERE id = ?1")?
        .execute(params![
            staff_id,
            away.away,
            away.until.filter(|_| away.away)
        ])?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::choose;

    #[test]
    fn turns_go_round_and_the_least_loaded_wins() {
        let equal = [(3, 0), (5, 0), (9, 0)];
        assert_eq!(choose(&equal, None), Some(3));
        assert_eq!(choose(&equal, Some(3)), Some(5));
        assert_eq!(choose(&equal, Some(9)), Some(3));
        // The last one left the group: the next id after it.
        assert_eq!(choose(&equal, Some(6)), Some(9));
        let loaded = [(3, 4), (5, 1), (9, 1)];
        assert_eq!(choose(&loaded, None), Some(5));
        assert_eq!(choose(&loaded, Some(5)), Some(9));
        assert_eq!(choose(&[], None), None);
    }
}
