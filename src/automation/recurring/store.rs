//! Every statement on the `recurring_tickets` table (migration 0023).

use rusqlite::{Connection, OptionalExtension, Row, params};

use super::schedule::{Repeat, Schedule, Weekdays};
use super::{RecurringTicket, Template};
use crate::error::{Error, Result};
use crate::i18n::Lang;

const COLUMNS: &str = "id, name, subject, message, category_id, priority_id, assignee_id, \
     requester_name, requester_email, lang, repeat, weekdays, day_of_month, time_of_day, active, \
     next_run_at, zone, last_run_at, last_ticket_id, created_at, updated_at";

/// A schedule as stored: its repeat kind, weekdays and day of month, and time of day.
fn schedule_from(repeat: &str, weekdays: &str, day: Option<i64>, minute: i64) -> Option<Schedule> {
    let repeat = match repeat {
        "daily" => Repeat::Daily,
        "weekly" => Repeat::Weekly(Weekdays::parse(weekdays)?),
        "monthly" => Repeat::Monthly(u8::try_from(day?).ok()?),
        _ => return None,
    };
    Schedule::new(repeat, u16::try_from(minute).ok()?).ok()
}

/// The schedule's columns: (repeat, weekdays, day_of_month, time_of_day).
fn schedule_columns(s: &Schedule) -> (&'static str, String, Option<i64>, i64) {
    let (weekdays, day) = match s.repeat {
        Repeat::Daily => (String::new(), None),
        Repeat::Weekly(days) => (days.names().join(","), None),
        Repeat::Monthly(day) => (String::new(), Some(i64::from(day))),
    };
    (s.repeat.kind(), weekdays, day, i64::from(s.minute))
}

fn from_row(r: &Row<'_>) -> rusqlite::Result<std::result::Result<RecurringTicket, i64>> {
    let id: i64 = r.get(0)?;
    let repeat: String = r.get(10)?;
    let weekdays: String = r.get(11)?;
    let schedule = schedule_from(&repeat, &weekdays, r.get(12)?, r.get(13)?);
    let Some(schedule) = schedule else {
        // The table's checks make this unreachable; refuse the row rather than guess.
        return Ok(Err(id));
    };
    let lang: String = r.get(9)?;
    Ok(Ok(RecurringTicket {
        id,
        template: Template {
            name: r.get(1)?,
            subject: r.get(2)?,
            message: r.get(3)?,
            category_id: r.get(4)?,
            priority_id: r.get(5)?,
            assignee_id: r.get(6)?,
            requester_name: r.get(7)?,
            requester_email: r.get(8)?,
            lang: Lang::from_code(&lang).unwrap_or(Lang::En),
            schedule,
        },
        active: r.get(14)?,
        next_run_at: r.get(15)?,
        zone: r.get(16)?,
        last_run_at: r.get(17)?,
        last_ticket_id: r.get(18)?,
        created_at: r.get(19)?,
        updated_at: r.get(20)?,
    }))
}

fn bad_row(id: i64) -> Error {
    Error::internal(format!(
        "recurring ticket {id} has a schedule that cannot be"
    ))
}

pub fn get(conn: &Connection, id: i64) -> Result<Option<RecurringTicket>> {
    let sql = format!("SELECT {COLUMNS} FROM recurring_tickets WHERE id = ?1");
    let row = conn
        .prepare_cached(&sql)?
        .query_row([id], from_row)
        .optional()?;
    row.map(|r| r.map_err(bad_row)).transpose()
}

/// Every recurring ticket, by name.
pub fn all(conn: &Connection) -> Result<Vec<RecurringTicket>> {
    let sql = format!("SELECT {COLUMNS} FROM recurring_tickets ORDER BY name COLLATE NOCASE, id");
    let rows = conn
        .prepare_cached(&sql)?
        .query_map([], from_row)?
        .collect::<rusqlite::Result<Vec<_>>>()?;
    rows.into_iter().map(|r| r.map_err(bad_row)).collect()
}

/// Adds one, running from `next_run_at` (computed in `zone`); its id.
pub fn insert(
    conn: &Connection,
    t: &Template,
    next_run_at: Option<i64>,
    zone: &str,
    created_by: Option<i64>,
    now: i64,
) -> Result<i64> {
    let (repeat, weekdays, day, minute) = schedule_columns(&t.schedule);
    conn.prepare_cached(
        "INSERT INTO recurring_tickets (name, subject, message, category_id, priority_id,
             assignee_id, requester_name, requester_email, lang, repeat, weekdays, day_of_month,
             time_of_day, active, next_run_at, zone, created_by, created_at, updated_at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, 1, ?14, ?15, ?16, ?17, ?17)",
    )?
    .execute(params![
        t.name,
        t.subject,
        t.message,
        t.category_id,
        t.priority_id,
        t.assignee_id,
        t.requester_name,
        t.requester_email,
        t.lang.code(),
        repeat,
        weekdays,
        day,
        minute,
        next_run_at,
        zone,
        created_by,
        now,
    ])?;
    Ok(conn.last_insert_rowid())
}

/// Replaces its template and schedule, and its next run (None while paused).
pub fn update(
    conn: &Connection,
    id: i64,
    t: &Template,
    next_run_at: Option<i64>,
    zone: &str,
    now: i64,
) -> Result<bool> {
    let (repeat, weekdays, day, minute) = schedule_columns(&t.schedule);
    let n = conn
        .prepare_cached(
            "UPDATE recurring_tickets SET name = ?2, subject = ?3, message = ?4, category_id = ?5,
                 priority_id = ?6, assignee_id = ?7, requester_name = ?8, requester_email = ?9,
                 lang = ?10, repeat = ?11, weekdays = ?12, day_of_month = ?13, time_of_day = ?14,
                 next_run_at = ?15, zone = ?16, updated_at = ?17
             WHERE id = ?1",
        )?
        .execute(params![
            id,
            t.name,
            t.subject,
            t.message,
            t.category_id,
            t.priority_id,
            t.assignee_id,
            t.requester_name,
            t.requester_email,
            t.lang.code(),
            repeat,
            weekdays,
            day,
            minute,
            next_run_at,
            zone,
            now,
        ])?;
    Ok(n == 1)
}

/// Pauses (`next_run_at` None) or resumes it.
pub fn set_active(
    conn: &Connection,
    id: i64,
    active: bool,
    next_run_at: Option<i64>,
    zone: &str,
    now: i64,
) -> Result<bool> {
    let n = conn
        .prepare_cached(
            "UPDATE recurring_tickets SET active = ?2, next_run_at = ?3, zone = ?4, updated_at = ?5
             WHERE id = ?1",
        )?
        .execute(params![id, active, next_run_at, zone, now])?;
    Ok(n == 1)
}

pub fn delete(conn: &Connection, id: i64) -> Result<bool> {
    let n = conn
        .prepare_cached("DELETE FROM recurring_tickets WHERE id = ?1")?
        .execute([id])?;
    Ok(n == 1)
}

/// The active ones due by `now`: (id, due time), oldest first.
pub fn due(conn: &Connection, now: i64) -> Result<Vec<(i64, i64)>> {
    let rows = conn
        .prepare_cached(
            "SELECT id, next_run_at FROM recurring_tickets
             WHERE active = 1 AND next_run_at <= ?1 ORDER BY next_run_at, id",
        )?
        .query_map([now], |r| Ok((r.get(0)?, r.get(1)?)))?
        .collect::<rusqlite::Result<Vec<_>>>()?;
    Ok(rows)
}

/// The active ones whose next run was computed in another zone than `zone`.
pub fn in_other_zone(conn: &Connection, zone: &str) -> Result<Vec<RecurringTicket>> {
    let sql = format!(
        "SELECT {COLUMNS} FROM recurring_tickets WHERE active = 1 AND zone <> ?1 ORDER BY id"
    );
    let rows = conn
        .prepare_cached(&sql)?
        .query_map([zone], from_row)?
        .collect::<rusqlite::Result<Vec<_>>>()?;
    rows.into_iter().map(|r| r.map_err(bad_row)).collect()
}

/// Moves the next run from `expected` to `next` (computed in `zone`), only while it still is
/// `expected` and the schedule is active: whoever moves it first serves that due time, so two
/// passes (or a retry after a crash) never both do. Whether this call moved it.
pub fn advance(
    conn: &Connection,
    id: i64,
    expected: i64,
    next: Option<i64>,
    zone: &str,
) -> Result<bool> {
    let n = conn
        .prepare_cached(
            "UPDATE recurring_tickets SET next_run_at = ?3, zone = ?4
             WHERE id = ?1 AND active = 1 AND next_run_at = ?2",
        )?
        .execute(params![id, expected, next, zone])?;
    Ok(n == 1)
}

/// Records the ticket opened for due time `due`.
pub fn served(conn: &Connection, id: i64, due: i64, ticket_id: i64) -> Result<()> {
    conn.prepare_cached(
        "UPDATE recurring_tickets SET last_run_at = ?2, last_ticket_id = ?3 WHERE id = ?1",
    )?
    .execute(params![id, due, ticket_id])?;
    Ok(())
}
