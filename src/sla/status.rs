//! A ticket's targets as its page shows them: each met, breached (and by how long), or running
//! with the time left, at a given moment.

use rusqlite::{Connection, OptionalExtension};
use serde::Serialize;

use super::Target;
use super::clock::{self, WARN_PERCENT};
use crate::error::Result;
use crate::tickets::store;

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SlaStatus {
    /// The policy's name; None once it was deleted.
    pub policy: Option<String>,
    pub business_hours: bool,
    /// The clock stands still (waiting on the requester, on hold, closed).
    pub paused: bool,
    pub targets: Vec<TargetStatus>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct TargetStatus {
    pub target: Target,
    pub minutes: i64,
    pub due_at: i64,
    /// `met`, `breached` (met late, or overdue), `soon` (less than a quarter left), `fine`, or
    /// `paused` (the clock stands still before the due time).
    pub state: &'static str,
    /// The moment the due time is read against: when the target was met, when the clock
    /// stopped, or now. "Breached by 2 h 10 min" is `reference - due_at`.
    pub reference: i64,
}

/// The ticket's targets at `now`; None when no service level applies to it.
pub fn status(conn: &Connection, ticket_id: i64, now: i64) -> Result<Option<SlaStatus>> {
    let (Some(facts), Some(clock)) = (
        store::sla_facts(conn, ticket_id)?,
        super::state::get(conn, ticket_id)?,
    ) else {
        return Ok(None);
    };
    let policy: Option<String> = match clock.policy_id {
        Some(id) => conn
            .prepare_cached("SELECT name FROM sla_policies WHERE id = ?1")?
            .query_row([id], |r| r.get(0))
            .optional()?,
        None => None,
    };
    let mut calendar = None;
    let mut targets = Vec::new();
    for target in Target::ALL {
        let due_at = clock.due_at(target);
        let (state, reference) = match (clock::achieved_at(&facts, target), clock.paused_at) {
            (Some(at), _) if at <= due_at => ("met", at),
            (Some(at), _) => ("breached", at),
            (None, Some(since)) if due_at <= since => ("breached", since),
            (None, Some(since)) => ("paused", since),
            (None, None) if due_at <= now => ("breached", now),
            (None, None) => {
                if calendar.is_none() {
                    calendar = Some(crate::desk_time::store::load_calendar(conn)?);
                }
                let warn = calendar.as_ref().map_or(due_at, |cal| {
                    clock.threshold(facts.created_at, target, WARN_PERCENT, cal)
                });
                (if warn <= now { "soon" } else { "fine" }, now)
            }
        };
        targets.push(TargetStatus {
            target,
            minutes: clock.targets.minutes(target),
            due_at,
            state,
            reference,
        });
    }
    Ok(Some(SlaStatus {
        policy,
        business_hours: clock.targets.business_hours,
        paused: clock.paused_at.is_some(),
        targets,
    }))
}
