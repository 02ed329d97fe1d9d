//! The reports' facts, kept as tickets change (migration 0029): per ticket (`ticket_metrics`) its
//! current fields, its first response and how long that took, its standing resolution and its
//! service-level due times; per resolution (`resolution_metrics`) how long it took from the
//! ticket's opening, when it was undone by a reopening, who had the ticket, and the requester's
//! answer. Durations are stored in seconds and in the desk's business minutes, computed once
//! when they happen, with the hours in effect then.
//!
//! Every statement on both tables is here. A row is refreshed from the stored facts of the
//! tickets' owners (`tickets::store`, `tickets::csat`, `sla::state`), not from the events, so a
//! refresh is the same whichever action caused it, and writes only when something moved.

use rusqlite::{Connection, OptionalExtension, params};

use crate::desk_time::{BusinessCalendar, business_minutes_between};
use crate::error::Result;
use crate::tickets::csat::{self, Rating};
use crate::tickets::{Event, MessageKind, What, store};

/// The settings key the migration leaves while the tickets already there still need their rows.
const FILL_KEY: &str = "report_metrics_fill";

/// A ticket's row as stored.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
struct TicketRow {
    created_at: i64,
    category_id: i64,
    priority_id: i64,
    channel: String,
    assignee_id: Option<i64>,
    requester_email: String,
    requester_name: String,
    first_response_at: Option<i64>,
    first_response_by: Option<i64>,
    first_response_secs: Option<i64>,
    first_response_minutes: Option<i64>,
    resolved_at: Option<i64>,
    sla_policy_id: Option<i64>,
    first_response_due_at: Option<i64>,
    resolution_due_at: Option<i64>,
    sla_paused_at: Option<i64>,
}

/// A resolution's row as stored.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
struct ResolutionRow {
    resolution_id: i64,
    resolved_at: i64,
    reopened_at: Option<i64>,
    agent_id: Option<i64>,
    secs: i64,
    minutes: i64,
    category_id: i64,
    priority_id: i64,
    channel: String,
    assignee_id: Option<i64>,
    rating: Option<String>,
    rated_at: Option<i64>,
    has_comment: bool,
}

/// The desk's calendar, read from the database the first time a duration needs it.
pub struct Calendar(Option<BusinessCalendar>);

impl Calendar {
    pub fn lazy() -> Calendar {
        Calendar(None)
    }

    fn minutes(&mut self, conn: &Connection, from: i64, to: i64) -> Result<i64> {
        if self.0.is_none() {
            self.0 = Some(crate::desk_time::store::load_calendar(conn)?);
        }
        Ok(self
            .0
            .as_ref()
            .map_or(0, |cal| business_minutes_between(from, to, cal).max(0)))
    }
}

/// The reaction to a ticket action's events (called by `workflow::Desk` in its transaction):
/// refreshes the rows of every ticket they touch. Notes and requester messages alone move
/// nothing a report counts (a reply that reopens the ticket comes with its status change).
pub fn react(conn: &Connection, events: &[Event], now: i64) -> Result<()> {
    let mut touched: Vec<i64> = Vec::new();
    for event in events {
        let counts = !matches!(
            event.what,
            What::MessageAdded {
                kind: MessageKind::Note | MessageKind::Requester,
                ..
            }
        );
        if counts && !touched.contains(&event.ticket_id) {
            touched.push(event.ticket_id);
        }
    }
    let mut cal = Calendar::lazy();
    for ticket_id in touched {
        refresh(conn, &mut cal, ticket_id, now)?;
    }
    Ok(())
}

/// Brings one ticket's rows up to date at `now` (the moment of the change: a ticket found
/// reopened since its last resolution was reopened then).
pub fn refresh(conn: &Connection, cal: &mut Calendar, ticket_id: i64, now: i64) -> Result<()> {
    let Some(facts) = store::report_facts(conn, ticket_id)? else {
        return Ok(());
    };
    let stored = ticket_row(conn, ticket_id)?;
    let sla = crate::sla::state::get(conn, ticket_id)?;
    let resolutions = csat::all_of(conn, ticket_id)?;
    let stored_resolutions = resolution_rows(conn, ticket_id)?;

    // The first response's durations, computed once (the reply does not move).
    let (fr_secs, fr_minutes) = match (facts.first_response_at, &stored) {
        (None, _) => (None, None),
        (Some(at), Some(old))
            if old.first_response_at == Some(at) && old.created_at == facts.created_at =>
        {
            (old.first_response_secs, old.first_response_minutes)
        }
        (Some(at), _) => (
            Some((at - facts.created_at).max(0)),
            Some(cal.minutes(conn, facts.created_at, at)?),
        ),
    };

    let count = resolutions.len();
    let mut rows = Vec::with_capacity(count);
    for (i, (r, agent)) in resolutions.iter().enumerate() {
        let old = stored_resolutions
            .iter()
            .find(|o| o.resolution_id == r.id && o.resolved_at == r.resolved_at);
        let (secs, minutes) = match old {
            Some(o) => (o.secs, o.minutes),
            None => (
                (r.resolved_at - facts.created_at).max(0),
                cal.minutes(conn, facts.created_at, r.resolved_at)?,
            ),
        };
        let latest = i + 1 == count;
        let reopened_at = match (latest, facts.closed, old.and_then(|o| o.reopened_at)) {
            // The latest resolution of a closed ticket stands.
            (true, true, _) => None,
            (_, _, Some(known)) => Some(known),
            // Reopened since the last look: now.
            (true, false, None) => Some(now),
            // An earlier one whose reopening went unseen (rows older than this table): the next
            // resolution is the latest it can have been undone.
            (false, _, None) => resolutions.get(i + 1).map(|(next, _)| next.resolved_at),
        };
        rows.push(ResolutionRow {
            resolution_id: r.id,
            resolved_at: r.resolved_at,
            reopened_at,
            agent_id: *agent,
            secs,
            minutes,
            category_id: facts.category_id,
            priority_id: facts.priority_id,
            channel: facts.channel.clone(),
            assignee_id: facts.assignee_id,
            rating: r.rating.map(|x| Rating::as_str(x).to_string()),
            rated_at: r.rated_at,
            has_comment: !r.comment.is_empty(),
        });
    }
    let standing = match (facts.closed, rows.last()) {
        (true, Some(last)) => Some(last.resolved_at),
        _ => None,
    };
    let row = TicketRow {
        created_at: facts.created_at,
        category_id: facts.category_id,
        priority_id: facts.priority_id,
        channel: facts.channel,
        assignee_id: facts.assignee_id,
        requester_email: facts.requester_email,
        requester_name: facts.requester_name,
        first_response_at: facts.first_response_at,
        first_response_by: facts.first_response_by,
        first_response_secs: fr_secs,
        first_response_minutes: fr_minutes,
        resolved_at: standing,
        sla_policy_id: sla.as_ref().and_then(|s| s.policy_id),
        first_response_due_at: sla.as_ref().map(|s| s.first_response_due_at),
        resolution_due_at: sla.as_ref().map(|s| s.resolution_due_at),
        sla_paused_at: sla.as_ref().and_then(|s| s.paused_at),
    };
    if stored.as_ref() != Some(&row) {
        put_ticket(conn, ticket_id, &row)?;
    }
    for r in &rows {
        if !stored_resolutions.contains(r) {
            put_resolution(conn, ticket_id, r)?;
        }
    }
    Ok(())
}

/// Drops ticket `ticket_id` from the reports (marked as spam): its rows go, and `refresh` adds
/// none back while it stays spam (`store::report_facts` does not see it).
pub fn forget(conn: &Connection, ticket_id: i64) -> Result<()> {
    conn.prepare_cached("DELETE FROM resolution_metrics WHERE ticket_id = ?1")?
        .execute([ticket_id])?;
    conn.prepare_cached("DELETE FROM ticket_metrics WHERE ticket_id = ?1")?
        .execute([ticket_id])?;
    Ok(())
}

/// Refreshes every ticket's rows, in batches by id; returns how many tickets there were.
pub fn refresh_all(conn: &Connection, now: i64) -> Result<usize> {
    let mut cal = Calendar::lazy();
    let (mut after, mut done) = (0, 0);
    loop {
        let ids = store::ids_after(conn, after, 1000)?;
        let Some(&last) = ids.last() else {
            return Ok(done);
        };
        for id in &ids {
            refresh(conn, &mut cal, *id, now)?;
        }
        done += ids.len();
        after = last;
    }
}

/// Computes every ticket's rows again from scratch (`helpdesk reindex`): the business minutes
/// with the desk's hours as they are now.
pub fn rebuild(conn: &Connection, now: i64) -> Result<usize> {
    conn.execute("DELETE FROM resolution_metrics", [])?;
    conn.execute("DELETE FROM ticket_metrics", [])?;
    refresh_all(conn, now)
}

/// Fills the rows of the tickets that were there before migration 0029, once: the migration
/// leaves a mark, removed in the transaction that fills them.
pub fn fill_after_migration(conn: &mut Connection) -> Result<()> {
    if crate::settings::get(conn, FILL_KEY)?.as_deref() != Some("pending") {
        return Ok(());
    }
    let tx = conn.transaction()?;
    refresh_all(&tx, crate::db::now())?;
    crate::settings::set(&tx, FILL_KEY, "done")?;
    tx.commit()?;
    Ok(())
}

fn ticket_row(conn: &Connection, ticket_id: i64) -> Result<Option<TicketRow>> {
    Ok(conn
        .prepare_cached(
            "SELECT created_at, category_id, priority_id, channel, assignee_id, requester_email,
                    requester_name, first_response_at, first_response_by, first_response_secs,
                    first_response_minutes, resolved_at, sla_policy_id, first_response_due_at,
                    resolution_due_at, sla_paused_at
             FROM ticket_metrics WHERE ticket_id = ?1",
        )?
        .query_row([ticket_id], |r| {
            Ok(TicketRow {
                created_at: r.get(0)?,
                category_id: r.get(1)?,
                priority_id: r.get(2)?,
                channel: r.get(3)?,
                assignee_id: r.get(4)?,
                requester_email: r.get(5)?,
                requester_name: r.get(6)?,
                first_response_at: r.get(7)?,
                first_response_by: r.get(8)?,
                first_response_secs: r.get(9)?,
                first_response_minutes: r.get(10)?,
                resolved_at: r.get(11)?,
                sla_policy_id: r.get(12)?,
                first_response_due_at: r.get(13)?,
                resolution_due_at: r.get(14)?,
                sla_paused_at: r.get(15)?,
            })
        })
        .optional()?)
}

fn put_ticket(conn: &Connection, ticket_id: i64, r: &TicketRow) -> Result<()> {
    conn.prepare_cached(
        "INSERT INTO ticket_metrics (ticket_id, created_at, category_id, priority_id, channel,
             assignee_id, requester_email, requester_name, first_response_at, first_response_by,
             first_response_secs, first_response_minutes, resolved_at, sla_policy_id,
             first_response_due_at, resolution_due_at, sla_paused_at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17)
         ON CONFLICT (ticket_id) DO UPDATE SET created_at = excluded.created_at,
             category_id = excluded.category_id, priority_id = excluded.priority_id,
             channel = excluded.channel, assignee_id = excluded.assignee_id,
             requester_email = excluded.requester_email, requester_name = excluded.requester_name,
             first_response_at = excluded.first_response_at,
             first_response_by = excluded.first_response_by,
             first_response_secs = excluded.first_response_secs,
             first_response_minutes = excluded.first_response_minutes,
             resolved_at = excluded.resolved_at, sla_policy_id = excluded.sla_policy_id,
             first_response_due_at = excluded.first_response_due_at,
             resolution_due_at = excluded.resolution_due_at, sla_paused_at = excluded.sla_paused_at",
    )?
    .execute(params![
        ticket_id,
        r.created_at,
        r.category_id,
        r.priority_id,
        r.channel,
        r.assignee_id,
        r.requester_email,
        r.requester_name,
        r.first_response_at,
        r.first_response_by,
        r.first_response_secs,
        r.first_response_minutes,
        r.resolved_at,
        r.sla_policy_id,
        r.first_response_due_at,
        r.resolution_due_at,
        r.sla_paused_at,
    ])?;
    Ok(())
}

fn resolution_rows(conn: &Connection, ticket_id: i64) -> Result<Vec<ResolutionRow>> {
    let rows = conn
        .prepare_cached(
            "SELECT resolution_id, resolved_at, reopened_at, agent_id, resolution_secs,
                    resolution_minutes, category_id, priority_id, channel, assignee_id, rating,
                    rated_at, has_comment
             FROM resolution_metrics WHERE ticket_id = ?1 ORDER BY resolution_id",
        )?
        .query_map([ticket_id], |r| {
            Ok(ResolutionRow {
                resolution_id: r.get(0)?,
                resolved_at: r.get(1)?,
                reopened_at: r.get(2)?,
                agent_id: r.get(3)?,
                secs: r.get(4)?,
                minutes: r.get(5)?,
                category_id: r.get(6)?,
                priority_id: r.get(7)?,
                channel: r.get(8)?,
                assignee_id: r.get(9)?,
                rating: r.get(10)?,
                rated_at: r.get(11)?,
                has_comment: r.get(12)?,
            })
        })?
        .collect::<rusqlite::Result<Vec<_>>>()?;
    Ok(rows)
}

fn put_resolution(conn: &Connection, ticket_id: i64, r: &ResolutionRow) -> Result<()> {
    conn.prepare_cached(
        "INSERT INTO resolution_metrics (resolution_id, ticket_id, resolved_at, reopened_at,
             agent_id, resolution_secs, resolution_minutes, category_id, priority_id, channel,
             assignee_id, rating, rated_at, has_comment)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14)
         ON CONFLICT (resolution_id) DO UPDATE SET resolved_at = excluded.resolved_at,
             reopened_at = excluded.reopened_at, agent_id = excluded.agent_id,
             resolution_secs = excluded.resolution_secs,
             resolution_minutes = excluded.resolution_minutes,
             category_id = excluded.category_id, priority_id = excluded.priority_id,
             channel = excluded.channel, assignee_id = excluded.assignee_id,
             rating = excluded.rating, rated_at = excluded.rated_at,
             has_comment = excluded.has_comment",
    )?
    .execute(params![
        r.resolution_id,
        ticket_id,
        r.resolved_at,
        r.reopened_at,
        r.agent_id,
        r.secs,
        r.minutes,
        r.category_id,
        r.priority_id,
        r.channel,
        r.assignee_id,
        r.rating,
        r.rated_at,
        r.has_comment,
    ])?;
    Ok(())
}

#[cfg(test)]
#[path = "metrics_tests.rs"]
mod tests;
