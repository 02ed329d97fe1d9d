//! Running the rules after a ticket action, inside its transaction (`workflow::Desk::react`),
//! and trying one rule on recent tickets without changing anything ("Test this rule").
//!
//! For each ticket an action touched, the active rules run in order for the change (created, or
//! updated by whom), each matching rule's actions applied through the ticket actions as the rule.
//! The loop guard: what the rules changed counts as one more update (by a rule, so only rules
//! "by anyone" answer it), run once, and a rule that already ran for this change never runs
//! again for it. So rules that would undo each other's changes end after at most one run each.

use std::collections::HashSet;

use rusqlite::Connection;

use super::{Action, Compiled, Facts, Trigger, Who, active};
use crate::error::{Error, Result};
use crate::notify::MailCtx;
use crate::tickets::actions::{self, Changes, NewMessage};
use crate::tickets::store::{self as ticket_store, RecentTicket};
use crate::tickets::{Actor, Event, Field, MessageKind, What};

/// Runs the rules for `events` (one action's); returns the events of the rules' own changes,
/// which the other reactions (notifications) then see like any.
pub fn react(conn: &Connection, events: &[Event], now: i64, mail: &MailCtx) -> Result<Vec<Event>> {
    if events.is_empty() {
        return Ok(Vec::new());
    }
    let rules = active(conn)?;
    if rules.is_empty() {
        return Ok(Vec::new());
    }
    let mut tickets: Vec<i64> = Vec::new();
    // A survey answer changes nothing about the ticket: no rule answers it (a rule "on update
    // by the requester" would otherwise reopen every rated ticket).
    for e in events
        .iter()
        .filter(|e| !matches!(e.what, What::Rated { .. }))
    {
        if !tickets.contains(&e.ticket_id) {
            tickets.push(e.ticket_id);
        }
    }
    let mut caused = Vec::new();
    for ticket_id in tickets {
        let mine: Vec<&Event> = events.iter().filter(|e| e.ticket_id == ticket_id).collect();
        let created = mine.iter().any(|e| matches!(e.what, What::Created { .. }));
        let trigger = if created {
            Trigger::Created
        } else {
            Trigger::Updated
        };
        let message = if created {
            // The first message is not in the event; read it only when a rule looks at it.
            let wanted = rules
                .iter()
                .any(|r| r.event == Trigger::Created && r.looks_at_message());
            wanted
                .then(|| ticket_store::first_message_body(conn, ticket_id))
                .transpose()?
        } else {
            added_message(mine.iter().copied())
        };
        let mut run = Run {
            conn,
            mail,
            ticket_id,
            now,
            fired: HashSet::new(),
            stopped: false,
        };
        let first = run.round(&rules, trigger, Who::of(&mine[0].by), message)?;
        if !first.is_empty() && !run.stopped {
            // The one further round: what the rules just changed, as an update by a rule.
            let message = added_message(first.iter());
            let second = run.round(&rules, Trigger::Updated, Who::Other, message)?;
            caused.extend(first);
            caused.extend(second);
        } else {
            caused.extend(first);
        }
    }
    Ok(caused)
}

/// The text of the last reply or note among `events`.
fn added_message<'e>(events: impl Iterator<Item = &'e Event>) -> Option<String> {
    events
        .filter_map(|e| match &e.what {
            What::MessageAdded { body, .. } => Some(body.clone()),
            _ => None,
        })
        .last()
}

/// The rules' work on one ticket for one change.
struct Run<'a> {
    conn: &'a Connection,
    mail: &'a MailCtx,
    ticket_id: i64,
    now: i64,
    /// Rules that already ran for this change: none runs twice.
    fired: HashSet<i64>,
    /// A rule said "stop processing".
    stopped: bool,
}

impl Run<'_> {
    fn round(
        &mut self,
        rules: &[Compiled],
        trigger: Trigger,
        who: Who,
        message: Option<String>,
    ) -> Result<Vec<Event>> {
        // No rule for this kind of change (say, only rules on new tickets and a staff reply):
        // the ticket need not be read at all.
        if !rules
            .iter()
            .any(|r| r.event == trigger && r.by.admits(who) && !self.fired.contains(&r.id))
        {
            return Ok(Vec::new());
        }
        let Some((ticket, channel)) = ticket_store::with_channel(self.conn, self.ticket_id)? else {
            return Ok(Vec::new());
        };
        let mut facts = Facts::new(&ticket, channel, message);
        if rules.iter().any(Compiled::looks_at_business_hours) {
            let calendar = crate::desk_time::store::load_calendar(self.conn)?;
            facts.business_hours = crate::desk_time::is_business_time(self.now, &calendar);
        }
        let mut caused = Vec::new();
        for rule in rules {
            if rule.event != trigger
                || !rule.by.admits(who)
                || self.fired.contains(&rule.id)
                || !rule.matches(&facts)
            {
                continue;
            }
            self.fired.insert(rule.id);
            let actor = Actor::rule(&rule.name);
            for action in &rule.actions {
                let events = self.carry_out(rule, &actor, action)?;
                follow(&mut facts, &events);
                caused.extend(events);
            }
            if rule.stops() {
                self.stopped = true;
                break;
            }
        }
        Ok(caused)
    }

    /// One action, through the ticket actions. One the actions refuse (an agent deactivated since
    /// the rule was saved, a category they do not work) is undone alone and skipped, logged and
    /// kept on the rule for Admin > Rules: the change that set the rules off still happens.
    fn carry_out(&self, rule: &Compiled, actor: &Actor, action: &Action) -> Result<Vec<Event>> {
        let (conn, id, now) = (self.conn, self.ticket_id, self.now);
        let change = |changes: Changes| actions::update(conn, actor, id, &changes, now);
        // A savepoint, so a refused action leaves nothing half done inside the transaction.
        conn.execute_batch("SAVEPOINT rule_action")?;
        let outcome = match action {
            Action::SetCategory(c) => change(Changes {
                category: Some(*c),
                ..Changes::default()
            }),
            Action::SetPriority(p) => change(Changes {
                priority: Some(*p),
                ..Changes::default()
            }),
            Action::SetStatus(s) => change(Changes {
                status: Some(*s),
                ..Changes::default()
            }),
            Action::SetAssignee(a) => change(Changes {
                assignee: Some(*a),
                ..Changes::default()
            }),
            Action::AddNote(text) => {
                let note = NewMessage {
                    kind: MessageKind::Note,
                    body: text.clone(),
                    attachments: Vec::new(),
                };
                actions::reply(conn, actor, id, &note, &Changes::default(), now)
            }
            Action::SendEmail { to, subject, body } => {
                crate::notify::rule_mail(conn, self.mail, id, to, subject, body)?;
                Ok(Vec::new())
            }
            Action::Stop => Ok(Vec::new()),
        };
        match outcome {
            Ok(events) => {
                conn.execute_batch("RELEASE rule_action")?;
                Ok(events)
            }
            Err(refused @ (Error::BadRequest(_) | Error::Forbidden | Error::NotFound)) => {
                conn.execute_batch("ROLLBACK TO rule_action; RELEASE rule_action")?;
                let detail = match refused {
                    Error::BadRequest(why) => why,
                    other => other.to_string(),
                };
                log::warn!(
                    "rule {} ({}) skipped {} on ticket {id}: {detail}",
                    rule.id,
                    rule.name,
                    action.code()
                );
                super::store::record_failure(conn, rule.id, action.code(), &detail, id, now)?;
                Ok(Vec::new())
            }
            // Anything else (the disk, the database) fails the whole change, as it would have.
            Err(e) => Err(e),
        }
    }
}

/// Keeps the facts in step with what a rule just changed, so later rules see the ticket as it is.
fn follow(facts: &mut Facts, events: &[Event]) {
    for e in events {
        if let What::Changed { field, new, .. } = &e.what {
            match (field, new) {
                (Field::Status, Some(v)) => facts.status_id = *v,
                (Field::Priority, Some(v)) => facts.priority_id = *v,
                (Field::Category, Some(v)) => facts.category_id = *v,
                (Field::Assignee, v) => facts.assignee_id = *v,
                _ => {}
            }
        }
    }
}

/// How many recent tickets "Test this rule" tries.
pub const TRIED: i64 = 100;

/// The tickets among the `TRIED` newest that `rule` matches as they are now, newest first;
/// nothing is written. Words are looked for in the first message for a rule on new tickets, and
/// in the newest message for a rule on updates; who made a change is not known afterwards, so
/// "by whom" is not checked. Also returns how many tickets were tried.
pub fn try_on_recent(conn: &Connection, rule: &super::Rule) -> Result<(Vec<RecentTicket>, usize)> {
    let compiled = Compiled::new(rule);
    let recent = ticket_store::newest_with_text(conn, TRIED)?;
    // Business hours as they were when each ticket came in.
    let calendar = if compiled.looks_at_business_hours() {
        Some(crate::desk_time::store::load_calendar(conn)?)
    } else {
        None
    };
    let tried = recent.len();
    let matched = recent
        .into_iter()
        .filter(|r| {
            let message = match compiled.event {
                Trigger::Created => &r.first_message,
                Trigger::Updated => &r.last_message,
            };
            let mut facts = Facts::new(&r.ticket, r.channel, Some(message.clone()));
            if let Some(calendar) = &calendar {
                facts.business_hours =
                    crate::desk_time::is_business_time(r.ticket.created_at, calendar);
            }
            compiled.matches(&facts)
        })
        .collect();
    Ok((matched, tried))
}
