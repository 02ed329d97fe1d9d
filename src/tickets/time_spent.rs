//! Time spent on tickets (`time_entries`, migration 0034): whole minutes a staff member enters
//! with a reply or a note, which only they may correct later. The ticket page shows the total,
//! the reports' CSV totals per agent and per category, the ticket CSV and the API a ticket's
//! total. Time spent changes nothing about the ticket itself (no history, no revision), so it is
//! kept here beside the ticket actions rather than by them.

use rusqlite::{Connection, OptionalExtension, params};
use serde::Serialize;

use crate::error::{Error, FieldErrors, Result};

/// A week of minutes: more for one reply is a typing mistake.
pub const MAX_MINUTES: i64 = 1440 * 7;

/// The catalog key for a value that is not whole minutes in 1..=MAX_MINUTES.
pub const ERROR_MINUTES: &str = "error_time_minutes";

/// The minutes typed in `field`: None when left empty; an error next to the field for anything
/// but a whole number from 1 to a week.
pub fn parse_minutes(raw: &str, field: &'static str, errors: &mut FieldErrors) -> Option<i64> {
    let raw = raw.trim();
    if raw.is_empty() {
        return None;
    }
    match raw.parse::<i64>() {
        Ok(m) if (1..=MAX_MINUTES).contains(&m) => Some(m),
        _ => {
            errors.add(field, ERROR_MINUTES);
            None
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct TimeEntry {
    pub id: i64,
    pub staff_id: i64,
    pub staff_name: String,
    pub message_id: Option<i64>,
    pub minutes: i64,
    pub created_at: i64,
}

pub fn add(
    conn: &Connection,
    ticket_id: i64,
    staff_id: i64,
    message_id: Option<i64>,
    minutes: i64,
    now: i64,
) -> Result<i64> {
    conn.prepare_cached(
        "INSERT INTO time_entries (ticket_id, staff_id, message_id, minutes, created_at, updated_at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?5)",
    )?
    .execute(params![ticket_id, staff_id, message_id, minutes, now])?;
    Ok(conn.last_insert_rowid())
}

/// A ticket's entries, oldest first.
pub fn entries(conn: &Connection, ticket_id: i64) -> Result<Vec<TimeEntry>> {
    let rows = conn
        .prepare_cached(
            "SELECT e.id, e.staff_id, s.name, e.message_id, e.minutes, e.created_at
             FROM time_entries e JOIN staff s ON s.id = e.staff_id
             WHERE e.ticket_id = ?1 ORDER BY e.created_at, e.id",
        )?
        .query_map([ticket_id], |r| {
            Ok(TimeEntry {
                id: r.get(0)?,
                staff_id: r.get(1)?,
                staff_name: r.get(2)?,
                message_id: r.get(3)?,
                minutes: r.get(4)?,
                created_at: r.get(5)?,
            })
        })?
        .collect::<rusqlite::Result<Vec<_>>>()?;
    Ok(rows)
}

/// A ticket's total minutes (0 without entries).
pub fn total(conn: &Connection, ticket_id: i64) -> Result<i64> {
    Ok(conn
        .prepare_cached("SELECT COALESCE(SUM(minutes), 0) FROM time_entries WHERE ticket_id = ?1")?
        .query_row([ticket_id], |r| r.get(0))?)
}

/// Sets an entry's minutes. Only its author may: anyone else's attempt is `Forbidden`, an entry
/// of another ticket is not found.
pub fn edit(
    conn: &Connection,
    ticket_id: i64,
    entry_id: i64,
    staff_id: i64,
    minutes: i64,
    now: i64,
) -> Result<()> {
    let author: Option<i64> = conn
        .prepare_cached("SELECT staff_id FROM time_entries WHERE id = ?1 AND ticket_id = ?2")?
        .query_row(params![entry_id, ticket_id], |r| r.get(0))
        .optional()?;
    match author {
        None => Err(Error::NotFound),
        Some(a) if a != staff_id => Err(Error::Forbidden),
        Some(_) => {
            conn.prepare_cached(
                "UPDATE time_entries SET minutes = ?2, updated_at = ?3 WHERE id = ?1",
            )?
            .execute(params![entry_id, minutes, now])?;
            Ok(())
        }
    }
}

/// One line of the reports' time table: minutes entered in the range, per agent or category.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct TimeTotal {
    /// "agent" or "category".
    pub by: &'static str,
    pub id: i64,
    pub minutes: i64,
    pub entries: i64,
    pub tickets: i64,
}

/// Minutes entered in `[from, to)` on tickets whose category (now) and entry's author
/// `allowed` takes, totalled per agent and per category.
pub fn totals(
    conn: &Connection,
    from: i64,
    to: i64,
    allowed: impl Fn(i64, i64) -> bool,
) -> Result<Vec<TimeTotal>> {
    let rows = conn
        .prepare_cached(
            "SELECT e.staff_id, t.category_id, e.minutes, e.ticket_id
             FROM time_entries e JOIN tickets t ON t.id = e.ticket_id
             WHERE e.created_at >= ?1 AND e.created_at < ?2",
        )?
        .query_map(params![from, to], |r| {
            Ok((
                r.get::<_, i64>(0)?,
                r.get::<_, i64>(1)?,
                r.get::<_, i64>(2)?,
                r.get::<_, i64>(3)?,
            ))
        })?
        .collect::<rusqlite::Result<Vec<_>>>()?;
    let mut out: Vec<(TimeTotal, Vec<i64>)> = Vec::new();
    for (staff, category, minutes, ticket) in rows.into_iter().filter(|r| allowed(r.0, r.1)) {
        for (by, id) in [("agent", staff), ("category", category)] {
            let at = match out.iter().position(|(t, _)| t.by == by && t.id == id) {
                Some(at) => at,
                None => {
                    out.push((
                        TimeTotal {
                            by,
                            id,
                            minutes: 0,
                            entries: 0,
                            tickets: 0,
                        },
                        Vec::new(),
                    ));
                    out.len() - 1
                }
            };
            let (total, seen) = &mut out[at];
            total.minutes += minutes;
            total.entries += 1;
            if !seen.contains(&ticket) {
                seen.push(ticket);
                total.tickets += 1;
            }
        }
    }
    let mut totals: Vec<TimeTotal> = out.into_iter().map(|(t, _)| t).collect();
    totals.sort_by(|a, b| {
        a.by.cmp(b.by)
            .then(b.minutes.cmp(&a.minutes))
            .then(a.id.cmp(&b.id))
    });
    Ok(totals)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn minutes_are_whole_and_within_a_week() {
        for (raw, want) in [("", None), (" 15 ", Some(15)), ("10080", Some(10080))] {
            let mut errors = FieldErrors::new();
            assert_eq!(parse_minutes(raw, "minutes", &mut errors), want);
            assert!(errors.is_empty());
        }
        for raw in ["0", "-5", "1.5", "10081", "ten", "99999999999999999999"] {
            let mut errors = FieldErrors::new();
            assert_eq!(parse_minutes(raw, "minutes", &mut errors), None, "{raw}");
            assert!(!errors.is_empty(), "{raw}");
        }
    }
}
