//! Every statement on `ticket_sla` (each ticket's clock), `sla_firings` (the escalation steps
//! that fired on a ticket) and `sla_breaches` (the breaches announced).

use rusqlite::{Connection, OptionalExtension, params};

use super::clock::TicketSla;
use super::{Target, Targets};
use crate::error::Result;

pub fn get(conn: &Connection, ticket_id: i64) -> Result<Option<TicketSla>> {
    Ok(conn
        .prepare_cached(
            "SELECT policy_id, first_response_minutes, resolution_minutes, business_hours,
                    first_response_due_at, resolution_due_at, paused_at, paused_secs,
                    paused_minutes, closed, next_check_at
             FROM ticket_sla WHERE ticket_id = ?1",
        )?
        .query_row([ticket_id], |r| {
            Ok(TicketSla {
                policy_id: r.get(0)?,
                targets: Targets {
                    first_response_minutes: r.get(1)?,
                    resolution_minutes: r.get(2)?,
                    business_hours: r.get(3)?,
                },
                first_response_due_at: r.get(4)?,
                resolution_due_at: r.get(5)?,
                paused_at: r.get(6)?,
                paused_secs: r.get(7)?,
                paused_minutes: r.get(8)?,
                closed: r.get(9)?,
                next_check_at: r.get(10)?,
            })
        })
        .optional()?)
}

pub fn put(conn: &Connection, ticket_id: i64, clock: &TicketSla) -> Result<()> {
    conn.prepare_cached(
        "INSERT INTO ticket_sla (ticket_id, policy_id, first_response_minutes, resolution_minutes,
             business_hours, first_response_due_at, resolution_due_at, paused_at, paused_secs,
             paused_minutes, closed, next_check_at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12)
         ON CONFLICT (ticket_id) DO UPDATE SET policy_id = excluded.policy_id,
             first_response_minutes = excluded.first_response_minutes,
             resolution_minutes = excluded.resolution_minutes,
             business_hours = excluded.business_hours,
             first_response_due_at = excluded.first_response_due_at,
             resolution_due_at = excluded.resolution_due_at, paused_at = excluded.paused_at,
             paused_secs = excluded.paused_secs, paused_minutes = excluded.paused_minutes,
             closed = excluded.closed, next_check_at = excluded.next_check_at",
    )?
    .execute(params![
        ticket_id,
        clock.policy_id,
        clock.targets.first_response_minutes,
        clock.targets.resolution_minutes,
        clock.targets.business_hours,
        clock.first_response_due_at,
        clock.resolution_due_at,
        clock.paused_at,
        clock.paused_secs,
        clock.paused_minutes,
        clock.closed,
        clock.next_check_at,
    ])?;
    Ok(())
}

pub fn delete(conn: &Connection, ticket_id: i64) -> Result<()> {
    conn.prepare_cached("DELETE FROM ticket_sla WHERE ticket_id = ?1")?
        .execute([ticket_id])?;
    Ok(())
}

/// Tickets whose next escalation step fell due by `now`, the longest due first (through the
/// partial index on `next_check_at`: never a scan of the tickets).
pub fn checks_due(conn: &Connection, now: i64, limit: i64) -> Result<Vec<i64>> {
    let ids = conn
        .prepare_cached(
            "SELECT ticket_id FROM ticket_sla
             WHERE next_check_at IS NOT NULL AND next_check_at <= ?1
             ORDER BY next_check_at LIMIT ?2",
        )?
        .query_map(params![now, limit], |r| r.get(0))?
        .collect::<rusqlite::Result<Vec<i64>>>()?;
    Ok(ids)
}

/// Has the job look again, at `now`, at every open ticket under `policy_id`: its steps changed.
pub fn recheck_policy(conn: &Connection, policy_id: i64, now: i64) -> Result<usize> {
    Ok(conn
        .prepare_cached(
            "UPDATE ticket_sla SET next_check_at = ?2 WHERE policy_id = ?1 AND closed = 0",
        )?
        .execute(params![policy_id, now])?)
}

/// The steps that fired on the ticket.
pub fn fired_steps(conn: &Connection, ticket_id: i64) -> Result<Vec<i64>> {
    let ids = conn
        .prepare_cached("SELECT step_id FROM sla_firings WHERE ticket_id = ?1")?
        .query_map([ticket_id], |r| r.get(0))?
        .collect::<rusqlite::Result<Vec<i64>>>()?;
    Ok(ids)
}

/// Records that `step_id` fired on the ticket; false when it already had (then nothing is done
/// again). In the transaction of the step's action, so both happen or neither.
pub fn record_firing(conn: &Connection, ticket_id: i64, step_id: i64, now: i64) -> Result<bool> {
    let n = conn
        .prepare_cached(
            "INSERT INTO sla_firings (ticket_id, step_id, fired_at) VALUES (?1, ?2, ?3)
             ON CONFLICT DO NOTHING",
        )?
        .execute(params![ticket_id, step_id, now])?;
    Ok(n == 1)
}

/// The targets whose breach on the ticket was announced.
pub fn breaches(conn: &Connection, ticket_id: i64) -> Result<Vec<Target>> {
    let targets = conn
        .prepare_cached("SELECT target FROM sla_breaches WHERE ticket_id = ?1")?
        .query_map([ticket_id], |r| r.get::<_, String>(0))?
        .collect::<rusqlite::Result<Vec<String>>>()?;
    Ok(targets.iter().filter_map(|t| Target::parse(t)).collect())
}

/// Records that `target`'s breach (due at `due_at`) on the ticket is announced at `now`; false
/// when it already was. In the transaction that announces it, so it is announced once.
pub fn record_breach(
    conn: &Connection,
    ticket_id: i64,
    target: Target,
    due_at: i64,
    now: i64,
) -> Result<bool> {
    let n = conn
        .prepare_cached(
            "INSERT INTO sla_breaches (ticket_id, target, due_at, breached_at)
             VALUES (?1, ?2, ?3, ?4) ON CONFLICT DO NOTHING",
        )?
        .execute(params![ticket_id, target.as_str(), due_at, now])?;
    Ok(n == 1)
}
