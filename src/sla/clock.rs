//! A ticket's service-level clock, computed: its due times, when it stands still and for how
//! long, when its escalation steps fall due and what the staff list shows. Pure functions over
//! the ticket's facts, its stored clock and the desk's calendar, with the time passed in, so
//! every case (a weekend, a holiday, a clock change, a pause) is computed the same way in
//! production and in tests.
//!
//! Both targets run from the ticket's creation. While the ticket waits on the requester, is on
//! hold or is closed the clock stands still; when it runs again the time it stood still, in
//! business minutes or in seconds as the policy counts, is added to every target not yet met.
//! So a due time is "creation + target + time paused", which is the same as moving the due
//! time by each pause.

use super::{Step, Target, Targets};
use crate::desk_time::{BusinessCalendar, add_business_minutes, business_minutes_between};
use crate::tickets::store::SlaFacts;

/// Statuses (by built-in slug) in which the clock stands still, besides every closing status.
pub const PAUSING_STATUSES: [&str; 2] = ["waiting", "on_hold"];

/// The share of a target after which the list shows a deadline as close ("less than 25% left").
pub const WARN_PERCENT: i64 = 75;

/// A ticket's clock as stored (`ticket_sla`).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TicketSla {
    /// The policy it runs under; None once that policy was deleted (the due times stay).
    pub policy_id: Option<i64>,
    /// The policy's targets when the ticket matched it.
    pub targets: Targets,
    pub first_response_due_at: i64,
    pub resolution_due_at: i64,
    /// Set while the clock stands still.
    pub paused_at: Option<i64>,
    /// Time spent paused so far, in seconds and in business minutes.
    pub paused_secs: i64,
    pub paused_minutes: i64,
    /// The ticket is in a closing status.
    pub closed: bool,
    /// When the next escalation step falls due.
    pub next_check_at: Option<i64>,
}

impl TicketSla {
    pub fn due_at(&self, target: Target) -> i64 {
        match target {
            Target::FirstResponse => self.first_response_due_at,
            Target::Resolution => self.resolution_due_at,
        }
    }

    fn set_due_at(&mut self, target: Target, at: i64) {
        match target {
            Target::FirstResponse => self.first_response_due_at = at,
            Target::Resolution => self.resolution_due_at = at,
        }
    }

    /// The instant at which `share_secs` of the ticket's clock have run since it was opened,
    /// given the pauses so far (a share of a target: the whole of it is its due time).
    pub fn clock_time(&self, created_at: i64, share_secs: i64, cal: &BusinessCalendar) -> i64 {
        if self.targets.business_hours {
            // Business time counts whole minutes; a share is never rounded below what it asks.
            let minutes = (share_secs + 59) / 60;
            add_business_minutes(created_at, minutes.saturating_add(self.paused_minutes), cal)
        } else {
            created_at
                .saturating_add(share_secs)
                .saturating_add(self.paused_secs)
        }
    }

    /// When `percent` of `target` has run out (100: its due time).
    pub fn threshold(
        &self,
        created_at: i64,
        target: Target,
        percent: i64,
        cal: &BusinessCalendar,
    ) -> i64 {
        let secs = self.targets.minutes(target).saturating_mul(60) * percent / 100;
        self.clock_time(created_at, secs, cal)
    }
}

/// When `target` was met, if it was: the first response by the first staff reply (or by closing
/// the ticket without one: nothing is owed any more), the resolution by closing the ticket.
pub fn achieved_at(facts: &SlaFacts, target: Target) -> Option<i64> {
    match target {
        Target::FirstResponse => facts.first_response_at.or(facts.resolved_at),
        Target::Resolution => facts.resolved_at,
    }
}

/// Whether the clock stands still in the ticket's status.
pub fn stands_still(facts: &SlaFacts) -> bool {
    facts.closed
        || facts
            .status_slug
            .as_deref()
            .is_some_and(|s| PAUSING_STATUSES.contains(&s))
}

/// The clock after a change of the ticket at `now`. `matched` is Some when the policy was just
/// looked up (the ticket was opened or its priority or category changed): Some(None) means no
/// policy applies, and the ticket has no clock any more. With `matched` None the ticket keeps
/// the clock it has (none, if it had none).
pub fn advance(
    stored: Option<&TicketSla>,
    facts: &SlaFacts,
    matched: Option<Option<(i64, Targets)>>,
    cal: &BusinessCalendar,
    now: i64,
) -> Option<TicketSla> {
    let (mut clock, recount_all) = match (stored, matched) {
        (_, Some(None)) | (None, None) => return None,
        (Some(old), None) => (old.clone(), false),
        (old, Some(Some((policy_id, targets)))) => {
            // Only other targets move the ones already met (a category change under the same
            // policy keeps them).
            let same = old.is_some_and(|o| o.policy_id == Some(policy_id) && o.targets == targets);
            let mut clock = old.cloned().unwrap_or_default();
            clock.policy_id = Some(policy_id);
            clock.targets = targets;
            (clock, !same)
        }
    };
    let still = stands_still(facts);
    match (still, clock.paused_at) {
        (true, None) => clock.paused_at = Some(now),
        (false, Some(since)) => {
            let since = since.min(now);
            clock.paused_secs += now - since;
            clock.paused_minutes += business_minutes_between(since, now, cal);
            clock.paused_at = None;
        }
        _ => {}
    }
    clock.closed = facts.closed;
    for target in Target::ALL {
        // A met target keeps the due time it was met against.
        if recount_all || achieved_at(facts, target).is_none() {
            let due = clock.threshold(facts.created_at, target, 100, cal);
            clock.set_due_at(target, due);
        }
    }
    Some(clock)
}

/// The targets not met yet, with their due times, soonest first.
fn pending(clock: &TicketSla, facts: &SlaFacts) -> Vec<(Target, i64)> {
    if clock.closed {
        return Vec::new();
    }
    let mut open: Vec<(Target, i64)> = Target::ALL
        .into_iter()
        .filter(|t| achieved_at(facts, *t).is_none())
        .map(|t| (t, clock.due_at(t)))
        .collect();
    open.sort_by_key(|(_, due)| *due);
    open
}

/// What the staff list shows and sorts by: the next running deadline and when less than a
/// quarter of its target is left. A ticket whose clock stands still has no running deadline,
/// unless it was already breached when it stopped: that stays overdue.
pub fn list_columns(
    clock: &TicketSla,
    facts: &SlaFacts,
    cal: &BusinessCalendar,
) -> (Option<i64>, Option<i64>) {
    let Some(&(target, due)) = pending(clock, facts).first() else {
        return (None, None);
    };
    match clock.paused_at {
        Some(since) if due <= since => (Some(due), Some(due)),
        Some(_) => (None, None),
        None => {
            let warn = clock.threshold(facts.created_at, target, WARN_PERCENT, cal);
            (Some(due), Some(warn.min(due)))
        }
    }
}

/// The escalation steps still to fire, each with the time it falls due: those of a target not
/// met yet that did not fire on this ticket. While the clock stands still only the steps it had
/// reached before it stopped are due (they fire late, never lost); the others wait for it to
/// run again.
pub fn steps_due<'a>(
    clock: &TicketSla,
    facts: &SlaFacts,
    steps: &'a [Step],
    fired: &[i64],
    cal: &BusinessCalendar,
) -> Vec<(&'a Step, i64)> {
    let open = pending(clock, facts);
    let mut due: Vec<(&Step, i64)> = steps
        .iter()
        .filter(|s| !fired.contains(&s.id) && open.iter().any(|(t, _)| *t == s.target))
        .map(|s| {
            let at = clock.threshold(facts.created_at, s.target, s.at_percent, cal);
            (s, at)
        })
        .filter(|(_, at)| clock.paused_at.is_none_or(|since| *at <= since))
        .collect();
    due.sort_by_key(|(s, at)| (*at, s.slot));
    due
}

/// The targets not met yet whose breach was not announced yet (`announced`), with their due
/// times. While the clock stands still only a breach it had reached before it stopped counts;
/// the others wait for it to run again.
fn unannounced(
    clock: &TicketSla,
    facts: &SlaFacts,
    announced: &[Target],
) -> impl Iterator<Item = (Target, i64)> {
    let paused_at = clock.paused_at;
    pending(clock, facts)
        .into_iter()
        .filter(move |(t, _)| !announced.contains(t))
        .filter(move |(_, due)| paused_at.is_none_or(|since| *due <= since))
}

/// The breaches to announce at `now` (`sla.breached`): targets not met by their due time that
/// were not announced yet, soonest first.
pub fn breaches_due(
    clock: &TicketSla,
    facts: &SlaFacts,
    announced: &[Target],
    now: i64,
) -> Vec<(Target, i64)> {
    unannounced(clock, facts, announced)
        .filter(|(_, due)| *due <= now)
        .collect()
}

/// When the next breach not announced yet falls due.
pub fn next_breach(clock: &TicketSla, facts: &SlaFacts, announced: &[Target]) -> Option<i64> {
    unannounced(clock, facts, announced)
        .map(|(_, due)| due)
        .min()
}

/// When the `sla_escalate` job must next look at the ticket: the first of its steps to fall due.
pub fn next_check(
    clock: &TicketSla,
    facts: &SlaFacts,
    steps: &[Step],
    fired: &[i64],
    cal: &BusinessCalendar,
) -> Option<i64> {
    steps_due(clock, facts, steps, fired, cal)
        .first()
        .map(|(_, at)| *at)
}

#[cfg(test)]
#[path = "clock_tests.rs"]
mod tests;
