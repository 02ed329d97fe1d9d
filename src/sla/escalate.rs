//! The `sla_escalate` job: every `jobs_interval_secs` it finds the tickets whose next escalation
//! step fell due (by the indexed `next_check_at` of their clocks, never a scan of the tickets)
//! and fires each due step once: the record that it fired, its action (mail queued in the
//! outbox, the priority raised, the ticket reassigned) and the line in the ticket's history are
//! written in one transaction, so a crash or `kill -9` loses none and doubles none. It also looks
//! at a ticket when one of its targets falls due, to announce the breach (`sla.breached` for the
//! webhooks), once per ticket and target, in the same way.

use rusqlite::Connection;

use super::{Action, Setup, Step, clock, refresh, state};
use crate::error::Result;
use crate::jobs::JobCtx;
use crate::notify::{self, Escalation, MailCtx, StaffGroup};
use crate::settings::Settings;
use crate::tickets::actions::Changes;
use crate::tickets::{Actor, store};
use crate::workflow::{Ctx, Desk};

/// Tickets looked at per transaction: a backlog (a policy's steps just changed) goes in batches
/// that never hold the write lock long.
const BATCH: i64 = 200;

/// Batches per pass at most; the rest waits for the next pass.
const MAX_BATCHES: usize = 50;

/// The history entry of a step that fired: `sla_escalation` with `TARGET|PERCENT|ACTION`, and
/// `|skipped` when its action could not be done (nobody above the top priority, a staff member
/// who no longer works the ticket's category).
pub const HISTORY_FIELD: &str = "sla_escalation";

/// The job's pass: fires every step due by `ctx.now`.
pub fn pass(ctx: &JobCtx) -> Result<String> {
    let config = ctx.config.clone();
    let now = ctx.now;
    let mut fired = 0;
    for _ in 0..MAX_BATCHES {
        let (n, looked_at) = ctx.db.write_blocking(|c| {
            let settings = Settings::load(c)?;
            let mail = MailCtx::from_parts(&config, &settings);
            escalate_due(c, &mail, now)
        })?;
        fired += n;
        if looked_at < BATCH as usize {
            break;
        }
    }
    Ok(match fired {
        0 => "no escalation due".to_string(),
        1 => "1 escalation fired".to_string(),
        n => format!("{n} escalations fired"),
    })
}

/// Fires the steps due by `now` on up to a batch of tickets; returns (steps fired, tickets
/// looked at).
pub fn escalate_due(conn: &Connection, mail: &MailCtx, now: i64) -> Result<(usize, usize)> {
    let due = state::checks_due(conn, now, BATCH)?;
    if due.is_empty() {
        return Ok((0, 0));
    }
    let setup = Setup::load(conn)?;
    let mut fired = 0;
    for &ticket_id in &due {
        fired += escalate(conn, &setup, mail, ticket_id, now)?;
    }
    Ok((fired, due.len()))
}

/// Fires the ticket's due steps, then works out when its next one falls due.
fn escalate(
    conn: &Connection,
    setup: &Setup,
    mail: &MailCtx,
    ticket_id: i64,
    now: i64,
) -> Result<usize> {
    let (Some(facts), Some(clock)) = (
        store::sla_facts(conn, ticket_id)?,
        state::get(conn, ticket_id)?,
    ) else {
        return Ok(0);
    };
    let steps = setup.steps_of(clock.policy_id);
    let fired = state::fired_steps(conn, ticket_id)?;
    let due: Vec<&Step> = clock::steps_due(&clock, &facts, steps, &fired, &setup.calendar)
        .into_iter()
        .filter(|(_, at)| *at <= now)
        .map(|(step, _)| step)
        .collect();
    let policy = clock
        .policy_id
        .and_then(|id| setup.policies.iter().find(|p| p.id == id))
        .map_or("", |p| p.name.as_str());
    let ctx = Ctx::new(mail.clone(), now);
    let desk = Desk::new(conn, &ctx);
    let by = Actor::escalation();
    let mut n = 0;
    for step in due {
        if !state::record_firing(conn, ticket_id, step.id, now)? {
            continue;
        }
        let escalation = Escalation {
            policy,
            target: step.target.as_str(),
            percent: step.at_percent,
            due_at: clock.due_at(step.target),
        };
        let done = act(conn, &desk, mail, &by, ticket_id, step, &escalation)?;
        let mut text = format!(
            "{}|{}|{}",
            step.target.as_str(),
            step.at_percent,
            step.action.as_str()
        );
        if !done {
            text.push_str("|skipped");
        }
        desk.record(&by, ticket_id, HISTORY_FIELD, &text)?;
        n += 1;
    }
    announce_breaches(conn, mail, ticket_id, now)?;
    refresh(conn, setup, ticket_id, false, now)?;
    Ok(n)
}

/// Announces each target of the ticket breached by `now` and not announced yet: recorded once,
/// and `sla.breached` queued for the webhooks in the same transaction. Read after the steps
/// fired, since a step that raised the priority moved the due times.
fn announce_breaches(conn: &Connection, mail: &MailCtx, ticket_id: i64, now: i64) -> Result<()> {
    let (Some(facts), Some(clock)) = (
        store::sla_facts(conn, ticket_id)?,
        state::get(conn, ticket_id)?,
    ) else {
        return Ok(());
    };
    let announced = state::breaches(conn, ticket_id)?;
    for (target, due_at) in clock::breaches_due(&clock, &facts, &announced, now) {
        if state::record_breach(conn, ticket_id, target, due_at, now)? {
            let base = &mail.base_url;
            crate::webhooks::sla_breached(conn, ticket_id, target.as_str(), due_at, now, base)?;
        }
    }
    Ok(())
}

/// Does a step's action; false when it could not be done (and nothing was).
fn act(
    conn: &Connection,
    desk: &Desk<'_>,
    mail: &MailCtx,
    by: &Actor,
    ticket_id: i64,
    step: &Step,
    escalation: &Escalation<'_>,
) -> Result<bool> {
    let email = |group| notify::sla_escalation(conn, mail, ticket_id, group, escalation);
    match step.action {
        Action::EmailAssignee => email(StaffGroup::Assignee).map(|_| true),
        Action::EmailCategoryAgents => email(StaffGroup::CategoryAgents).map(|_| true),
        Action::EmailAdmins => email(StaffGroup::Admins).map(|_| true),
        Action::RaisePriority => {
            let Some(current) =
                store::field_value(conn, ticket_id, crate::tickets::Field::Priority)?.flatten()
            else {
                return Ok(false);
            };
            let Some(higher) = store::priority_above(conn, current)? else {
                return Ok(false);
            };
            let changes = Changes {
                priority: Some(higher),
                ..Changes::default()
            };
            desk.update(by, ticket_id, &changes)?;
            Ok(true)
        }
        Action::Reassign => {
            let Some(staff_id) = step.staff_id else {
                return Ok(false);
            };
            let category =
                store::field_value(conn, ticket_id, crate::tickets::Field::Category)?.flatten();
            let fits = store::staff_active(conn, staff_id)? == Some(true)
                && match category {
                    Some(c) => crate::auth::access::staff_may_see(conn, staff_id, c)?,
                    None => false,
                };
            if !fits {
                return Ok(false);
            }
            let changes = Changes {
                assignee: Some(Some(staff_id)),
                ..Changes::default()
            };
            desk.update(by, ticket_id, &changes)?;
            Ok(true)
        }
    }
}
