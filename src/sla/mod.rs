//! Service levels (SLA). Admins write policies (`policies`, checked by `form`): for a priority
//! and optionally a category, a first-response and a resolution target in minutes, counted in
//! the desk's business hours or in calendar time, and escalation steps at a share of a target.
//! Each ticket runs a clock under the policy it matched (`clock`, stored by `state`), kept by
//! `react`, a reaction of `crate::workflow::Desk` to the ticket's events in the transaction of
//! the change: opened (due times computed), priority or category changed (the policy looked up
//! again and the due times recomputed), status changed (the clock stops while the ticket waits
//! on the requester, is on hold or is closed, and runs on when it leaves those), first staff
//! reply (first response met). The `sla_escalate` job (`escalate`) fires the steps that fell
//! due, each once per ticket. `status` reads a ticket's targets for its page.

pub mod clock;
pub mod escalate;
pub mod form;
pub mod policies;
pub mod state;
pub mod status;

use rusqlite::Connection;
use serde::Serialize;

use crate::desk_time::BusinessCalendar;
use crate::error::Result;
use crate::tickets::{Event, Field, MessageKind, What, actions, store};

/// One of a policy's two targets.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Target {
    FirstResponse,
    Resolution,
}

impl Target {
    pub const ALL: [Target; 2] = [Target::FirstResponse, Target::Resolution];

    pub fn as_str(self) -> &'static str {
        match self {
            Target::FirstResponse => "first_response",
            Target::Resolution => "resolution",
        }
    }

    pub fn parse(s: &str) -> Option<Target> {
        Target::ALL.into_iter().find(|t| t.as_str() == s)
    }
}

/// What an escalation step does.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Action {
    /// Mail the assignee (the category's agents while nobody has the ticket).
    EmailAssignee,
    /// Mail the agents of the ticket's category (every staff member when it has none).
    EmailCategoryAgents,
    EmailAdmins,
    /// Move the ticket to the priority ranked next above its own.
    RaisePriority,
    /// Hand the ticket to the step's staff member.
    Reassign,
}

impl Action {
    pub const ALL: [Action; 5] = [
        Action::EmailAssignee,
        Action::EmailCategoryAgents,
        Action::EmailAdmins,
        Action::RaisePriority,
        Action::Reassign,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Action::EmailAssignee => "email_assignee",
            Action::EmailCategoryAgents => "email_category_agents",
            Action::EmailAdmins => "email_admins",
            Action::RaisePriority => "raise_priority",
            Action::Reassign => "reassign",
        }
    }

    pub fn parse(s: &str) -> Option<Action> {
        Action::ALL.into_iter().find(|a| a.as_str() == s)
    }
}

/// A policy's targets, in minutes.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct Targets {
    pub first_response_minutes: i64,
    pub resolution_minutes: i64,
    /// The desk's business hours count (else calendar time).
    pub business_hours: bool,
}

impl Targets {
    pub fn minutes(&self, target: Target) -> i64 {
        match target {
            Target::FirstResponse => self.first_response_minutes,
            Target::Resolution => self.resolution_minutes,
        }
    }
}

/// An escalation step: at `at_percent` of `target` (100: the breach), do `action`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Step {
    pub id: i64,
    /// Its place on the policy's form, from 1.
    pub slot: i64,
    pub target: Target,
    pub at_percent: i64,
    pub action: Action,
    /// Whom `Reassign` hands the ticket to.
    pub staff_id: Option<i64>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Policy {
    pub id: i64,
    pub name: String,
    pub priority_id: i64,
    /// None: any category.
    pub category_id: Option<i64>,
    pub targets: Targets,
    pub steps: Vec<Step>,
}

/// What keeping clocks needs, loaded once per transaction: the desk's calendar and every policy
/// with its steps (a handful of rows).
pub struct Setup {
    pub calendar: BusinessCalendar,
    pub policies: Vec<Policy>,
}

impl Setup {
    pub fn load(conn: &Connection) -> Result<Setup> {
        Ok(Setup {
            calendar: crate::desk_time::store::load_calendar(conn)?,
            policies: policies::all(conn)?,
        })
    }

    /// The policy for a ticket of this priority and category: the one for its category, else
    /// the one for any category.
    pub fn matching(&self, priority_id: i64, category_id: i64) -> Option<&Policy> {
        self.policies
            .iter()
            .filter(|p| p.priority_id == priority_id)
            .filter(|p| p.category_id.is_none_or(|c| c == category_id))
            .max_by_key(|p| p.category_id.is_some())
    }

    pub fn steps_of(&self, policy_id: Option<i64>) -> &[Step] {
        policy_id
            .and_then(|id| self.policies.iter().find(|p| p.id == id))
            .map_or(&[], |p| p.steps.as_slice())
    }
}

/// The reaction to a ticket action's events (called by `workflow::Desk`, in its transaction):
/// brings the clock of every ticket they touch up to date.
pub fn react(conn: &Connection, events: &[Event], now: i64) -> Result<()> {
    // Per ticket: whether its policy must be looked up again.
    let mut touched: Vec<(i64, bool)> = Vec::new();
    for event in events {
        let rematch = match &event.what {
            What::Created { .. } => true,
            What::Changed {
                field: Field::Priority | Field::Category,
                ..
            } => true,
            What::Changed {
                field: Field::Status,
                ..
            } => false,
            What::MessageAdded {
                kind: MessageKind::Staff,
                ..
            } => false,
            // Back from spam: its clock starts again from its facts.
            What::NotSpam => true,
            _ => continue,
        };
        match touched.iter_mut().find(|(id, _)| *id == event.ticket_id) {
            Some((_, again)) => *again |= rematch,
            None => touched.push((event.ticket_id, rematch)),
        }
    }
    if touched.is_empty() {
        return Ok(());
    }
    let setup = Setup::load(conn)?;
    for (ticket_id, rematch) in touched {
        refresh(conn, &setup, ticket_id, rematch, now)?;
    }
    Ok(())
}

/// Brings one ticket's clock up to date at `now` from its stored facts: the pause it enters or
/// leaves, its due times (with `rematch`, under the policy it matches now), the list's columns
/// and when its next escalation step falls due.
pub fn refresh(
    conn: &Connection,
    setup: &Setup,
    ticket_id: i64,
    rematch: bool,
    now: i64,
) -> Result<()> {
    let Some(facts) = store::sla_facts(conn, ticket_id)? else {
        return Ok(());
    };
    let stored = state::get(conn, ticket_id)?;
    let matched = rematch.then(|| {
        setup
            .matching(facts.priority_id, facts.category_id)
            .map(|p| (p.id, p.targets))
    });
    let cal = &setup.calendar;
    let Some(mut clock) = clock::advance(stored.as_ref(), &facts, matched, cal, now) else {
        if stored.is_some() {
            state::delete(conn, ticket_id)?;
        }
        return actions::set_sla_due(conn, ticket_id, None, None);
    };
    let steps = setup.steps_of(clock.policy_id);
    let fired = if steps.is_empty() {
        Vec::new()
    } else {
        state::fired_steps(conn, ticket_id)?
    };
    // The job looks at the ticket for its next step and for its next breach (`sla.breached`).
    let announced = state::breaches(conn, ticket_id)?;
    clock.next_check_at = [
        clock::next_check(&clock, &facts, steps, &fired, cal),
        clock::next_breach(&clock, &facts, &announced),
    ]
    .into_iter()
    .flatten()
    .min();
    if stored.as_ref() != Some(&clock) {
        state::put(conn, ticket_id, &clock)?;
    }
    let (due, warn) = clock::list_columns(&clock, &facts, cal);
    actions::set_sla_due(conn, ticket_id, due, warn)
}

/// Computes a ticket's clock again from its stored times, under the policy its priority and
/// category match now, as a change of its priority does (a target already met keeps its due time
/// unless the policy's targets differ). For times set by hand, as tests do; a pause the ticket
/// enters is counted from `now`.
pub fn recompute(conn: &Connection, ticket_id: i64, now: i64) -> Result<()> {
    let setup = Setup::load(conn)?;
    refresh(conn, &setup, ticket_id, true, now)
}

/// Saves a checked policy (a new one with `id` None) and returns its id. Its changed steps
/// apply at once: the job looks again at every open ticket under it. Its targets apply to
/// tickets from when they next match it (opened, or their priority or category changed); the
/// due times already promised stay.
pub fn save_policy(
    conn: &Connection,
    id: Option<i64>,
    policy: &policies::NewPolicy,
    now: i64,
) -> Result<i64> {
    match id {
        None => policies::insert(conn, policy, now),
        Some(id) => {
            if !policies::update(conn, id, policy)? {
                return Err(crate::error::Error::NotFound);
            }
            state::recheck_policy(conn, id, now)?;
            Ok(id)
        }
    }
}

/// A policy as the audit log records it.
pub fn audit_detail(id: i64, p: &policies::NewPolicy) -> String {
    let steps: Vec<String> = p
        .steps
        .iter()
        .map(|s| {
            let to = s.staff_id.map(|id| format!(":{id}")).unwrap_or_default();
            format!(
                "{}@{}%{}{to}",
                s.target.as_str(),
                s.at_percent,
                s.action.as_str()
            )
        })
        .collect();
    format!(
        "id={id} name={} priority={} category={} first_response_minutes={} \
         resolution_minutes={} business_hours={} steps=[{}]",
        p.name,
        p.priority_id,
        p.category_id.map_or("any".to_string(), |c| c.to_string()),
        p.targets.first_response_minutes,
        p.targets.resolution_minutes,
        p.targets.business_hours,
        steps.join(", ")
    )
}
