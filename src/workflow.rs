//! One home for ticket changes: `Desk` runs a ticket action and then every reaction to the
//! events it returned, in the same transaction, so a change and its consequences (the mail it
//! sends, the automation rules' changes, the service-level clocks; webhooks and live updates
//! later) are committed together or not at all, wherever the change comes from: the portal, the
//! desk, an email, the API or a job.
//!
//! Adding a reaction means adding one call in `react`; no handler needs to know.

use rusqlite::Connection;

use crate::error::{Error, Result};
use crate::notify::{self, MailCtx};
use crate::tickets::actions::{self, Changes, NewMessage};
use crate::tickets::{Actor, Event, MessageKind, NewTicket, What, assignment};

/// What the reactions need: the desk's mail settings and the time of the change.
#[derive(Debug, Clone)]
pub struct Ctx {
    pub mail: MailCtx,
    /// Unix seconds; every row the change writes carries this time.
    pub now: i64,
}

impl Ctx {
    pub fn new(mail: MailCtx, now: i64) -> Ctx {
        Ctx { mail, now }
    }

    /// The same change without any mail (a staff reply sent "without notifying").
    pub fn silent(mut self) -> Ctx {
        self.mail.silent = true;
        self
    }
}

/// The ticket actions over one transaction, each followed by its reactions.
pub struct Desk<'a> {
    conn: &'a Connection,
    ctx: &'a Ctx,
}

impl<'a> Desk<'a> {
    pub fn new(conn: &'a Connection, ctx: &'a Ctx) -> Desk<'a> {
        Desk { conn, ctx }
    }

    /// Opens a ticket; one that comes without an assignee goes to whoever its category's
    /// auto-assignment picks, in the same transaction.
    pub fn open(&self, actor: &Actor, ticket: &NewTicket) -> Result<Vec<Event>> {
        self.open_with_fields(actor, ticket, &[])
    }

    /// As `open`, with the ticket's custom field values (field id, checked stored value), there
    /// before any reaction (the confirmation mail shows them).
    pub fn open_with_fields(
        &self,
        actor: &Actor,
        ticket: &NewTicket,
        fields: &[(i64, String)],
    ) -> Result<Vec<Event>> {
        let mut events = actions::open_with_fields(self.conn, actor, ticket, fields, self.ctx.now)?;
        let opened = crate::tickets::events::created(&events)
            .next()
            .map(|(id, _)| id);
        if ticket.assignee_id.is_none()
            && let Some(id) = opened
            && let Some(agent) = assignment::pick(self.conn, ticket.category_id, self.ctx.now)?
        {
            let changes = Changes {
                assignee: Some(Some(agent)),
                ..Changes::default()
            };
            let by = Actor::auto_assignment();
            events.extend(actions::update(self.conn, &by, id, &changes, self.ctx.now)?);
        }
        self.react(events)
    }

    pub fn reply(
        &self,
        actor: &Actor,
        ticket_id: i64,
        message: &NewMessage,
        changes: &Changes,
    ) -> Result<Vec<Event>> {
        let events = actions::reply(self.conn, actor, ticket_id, message, changes, self.ctx.now)?;
        self.react(events)
    }

    pub fn update(&self, actor: &Actor, ticket_id: i64, changes: &Changes) -> Result<Vec<Event>> {
        let events = actions::update(self.conn, actor, ticket_id, changes, self.ctx.now)?;
        self.react(events)
    }

    /// Sets or clears custom field values (see `actions::set_fields`).
    pub fn set_fields(
        &self,
        actor: &Actor,
        ticket_id: i64,
        values: &[(i64, Option<String>)],
    ) -> Result<Vec<Event>> {
        let events = actions::set_fields(self.conn, actor, ticket_id, values, self.ctx.now)?;
        self.react(events)
    }

    /// A reply (or note) and custom field changes sent together from the staff ticket page's
    /// one form: one transaction, one moment (one entry in the history), reactions once for all
    /// of it (one follower mail). The values go first, so the reply's mail shows them.
    pub fn reply_with_fields(
        &self,
        actor: &Actor,
        ticket_id: i64,
        message: &NewMessage,
        changes: &Changes,
        values: &[(i64, Option<String>)],
    ) -> Result<Vec<Event>> {
        let now = self.ctx.now;
        let mut events = self.values_of(actor, ticket_id, values)?;
        events.extend(actions::reply(
            self.conn, actor, ticket_id, message, changes, now,
        )?);
        self.react(events)
    }

    /// "Save changes": the ticket's fields and custom field values as one action (see
    /// `reply_with_fields`).
    pub fn update_with_fields(
        &self,
        actor: &Actor,
        ticket_id: i64,
        changes: &Changes,
        values: &[(i64, Option<String>)],
    ) -> Result<Vec<Event>> {
        let now = self.ctx.now;
        let mut events = self.values_of(actor, ticket_id, values)?;
        events.extend(actions::update(self.conn, actor, ticket_id, changes, now)?);
        self.react(events)
    }

    /// The custom field changes of a combined action, without reactions (its caller's run once).
    fn values_of(
        &self,
        actor: &Actor,
        ticket_id: i64,
        values: &[(i64, Option<String>)],
    ) -> Result<Vec<Event>> {
        if values.is_empty() {
            return Ok(Vec::new());
        }
        actions::set_fields(self.conn, actor, ticket_id, values, self.ctx.now)
    }

    pub fn resolve(&self, actor: &Actor, ticket_id: i64) -> Result<Vec<Event>> {
        let events = actions::resolve(self.conn, actor, ticket_id, self.ctx.now)?;
        self.react(events)
    }

    pub fn reopen(&self, actor: &Actor, ticket_id: i64) -> Result<Vec<Event>> {
        let events = actions::reopen(self.conn, actor, ticket_id, self.ctx.now)?;
        self.react(events)
    }

    /// The requester's answer to the satisfaction survey (see `tickets::csat`).
    pub fn rate(
        &self,
        actor: &Actor,
        ticket_id: i64,
        draft: &crate::tickets::csat::Draft,
    ) -> Result<Vec<Event>> {
        let events = actions::rate(self.conn, actor, ticket_id, draft, self.ctx.now)?;
        self.react(events)
    }

    /// Writes what the desk did about a ticket on its own in its history (an escalation that
    /// fired), changing nothing else.
    pub fn record(
        &self,
        actor: &Actor,
        ticket_id: i64,
        field: &str,
        text: &str,
    ) -> Result<Vec<Event>> {
        let events = actions::record(self.conn, actor, ticket_id, field, text, self.ctx.now)?;
        self.react(events)
    }

    /// Merges ticket `source_id` into the ticket with tracking ID `into` (see
    /// `actions::merge`); its requester is told by mail.
    pub fn merge(&self, actor: &Actor, source_id: i64, into: &str) -> Result<Vec<Event>> {
        let events = actions::merge(self.conn, actor, source_id, into, self.ctx.now)?;
        self.react(events)
    }

    /// Links the ticket to the one with tracking ID `other` ("related to").
    pub fn link(&self, actor: &Actor, ticket_id: i64, other: &str) -> Result<Vec<Event>> {
        let events = actions::link(self.conn, actor, ticket_id, other, self.ctx.now)?;
        self.react(events)
    }

    pub fn unlink(&self, actor: &Actor, ticket_id: i64, other_id: i64) -> Result<Vec<Event>> {
        let events = actions::unlink(self.conn, actor, ticket_id, other_id, self.ctx.now)?;
        self.react(events)
    }

    pub fn tag(&self, actor: &Actor, ticket_id: i64, name: &str) -> Result<Vec<Event>> {
        let events = actions::tag(self.conn, actor, ticket_id, name, self.ctx.now)?;
        self.react(events)
    }

    pub fn untag(&self, actor: &Actor, ticket_id: i64, name: &str) -> Result<Vec<Event>> {
        let events = actions::untag(self.conn, actor, ticket_id, name, self.ctx.now)?;
        self.react(events)
    }

    /// Everything a bulk action does to one ticket (fields, tags, then the merge), its
    /// reactions run once for all of it. The merge's target itself, when selected, gets the
    /// rest of the action and is not merged into itself.
    pub fn bulk(
        &self,
        actor: &Actor,
        ticket_id: i64,
        action: &crate::tickets::bulk::BulkAction,
    ) -> Result<Vec<Event>> {
        let now = self.ctx.now;
        if action.delete {
            return self.bulk_delete(actor, ticket_id);
        }
        if let Some(ban) = action.spam {
            return self.mark_spam(actor, ticket_id, ban);
        }
        let changes = Changes {
            status: action.status,
            priority: action.priority,
            category: action.category,
            assignee: action.assignee,
        };
        let mut events = actions::update(self.conn, actor, ticket_id, &changes, now)?;
        if let Some(tag) = &action.add_tag {
            events.extend(actions::tag(self.conn, actor, ticket_id, tag, now)?);
        }
        if let Some(tag) = &action.remove_tag {
            events.extend(actions::untag(self.conn, actor, ticket_id, tag, now)?);
        }
        if let Some(into) = &action.merge_into {
            match actions::merge_plan(self.conn, actor, ticket_id, into)? {
                Err("merge_error_self") => {}
                Err(key) => return Err(crate::error::Error::BadRequest(key.into())),
                Ok(_) => events.extend(actions::merge(self.conn, actor, ticket_id, into, now)?),
            }
        }
        self.react(events)
    }

    /// Marks the ticket as spam (and bans its requester's address with `ban`). A spam ticket is
    /// out of the desk's view: nothing reacts to this (no rule, mail or webhook), nor to later
    /// changes of it (`react`). Bulk actions call this per ticket.
    pub fn mark_spam(&self, actor: &Actor, ticket_id: i64, ban: bool) -> Result<Vec<Event>> {
        actions::mark_spam(self.conn, actor, ticket_id, ban, self.ctx.now)
    }

    /// Takes the spam mark off; its service-level clock and report rows come back.
    pub fn unmark_spam(&self, actor: &Actor, ticket_id: i64) -> Result<Vec<Event>> {
        let events = actions::unmark_spam(self.conn, actor, ticket_id, self.ctx.now)?;
        crate::sla::react(self.conn, &events, self.ctx.now)?;
        crate::reports::metrics::react(self.conn, &events, self.ctx.now)?;
        Ok(events)
    }

    /// Deletes the ticket with everything of it (admins only), adding what went to `removed`.
    /// Nothing reacts: there is no ticket left to react about. Bulk actions call this per ticket.
    pub fn delete_ticket(
        &self,
        actor: &Actor,
        ticket_id: i64,
        removed: &mut actions::Removed,
    ) -> Result<Vec<Event>> {
        actions::delete(self.conn, actor, ticket_id, removed)
    }

    /// A bulk deletion of one ticket: as `delete_ticket`, for a ticket the admin may see (an
    /// admin limited to some categories deletes nothing of the others).
    fn bulk_delete(&self, actor: &Actor, ticket_id: i64) -> Result<Vec<Event>> {
        let ticket = crate::tickets::get(self.conn, ticket_id)?.ok_or(Error::NotFound)?;
        let allowed = match actor.staff_id {
            Some(id) => crate::auth::access::staff_may_see(self.conn, id, ticket.category_id)?,
            None => false,
        };
        if !allowed {
            return Err(Error::NotFound);
        }
        let mut removed = actions::Removed::default();
        self.delete_ticket(actor, ticket_id, &mut removed)
    }

    fn react(&self, events: Vec<Event>) -> Result<Vec<Event>> {
        // Changes of a ticket marked as spam set nothing off (no rule, mail, clock or report).
        let (mut events, hidden) = self.without_spam(events)?;
        let mut all = self.react_live(std::mem::take(&mut events))?;
        all.extend(hidden);
        Ok(all)
    }

    /// `events` split into those of tickets in the desk and those of spam tickets.
    fn without_spam(&self, events: Vec<Event>) -> Result<(Vec<Event>, Vec<Event>)> {
        // A ticket this action opened is not spam yet: no read for the commonest action.
        let mut spam: Vec<(i64, bool)> = crate::tickets::events::created(&events)
            .map(|(id, _)| (id, false))
            .collect();
        let (mut live, mut hidden) = (Vec::new(), Vec::new());
        for e in events {
            let is_spam = if let Some((_, s)) = spam.iter().find(|(id, _)| *id == e.ticket_id) {
                *s
            } else {
                let s = crate::tickets::store::is_spam(self.conn, e.ticket_id)?;
                spam.push((e.ticket_id, s));
                s
            };
            if is_spam {
                hidden.push(e)
            } else {
                live.push(e)
            }
        }
        Ok((live, hidden))
    }

    fn react_live(&self, mut events: Vec<Event>) -> Result<Vec<Event>> {
        // The rules first: their changes are events too, which the reactions below see (their
        // own loop guard is in `rules::run`).
        let by_rules = crate::rules::run::react(self.conn, &events, self.ctx.now, &self.ctx.mail)?;
        events.extend(by_rules);
        // Then the service-level clocks (a rule's new priority moves the targets too), so the
        // mail after sees the due times.
        crate::sla::react(self.conn, &events, self.ctx.now)?;
        // Burst detection on new tickets (after the rules, which may move their category).
        crate::incidents::detect::react(self.conn, &events, self.ctx.now)?;
        // The reports' facts, after the clocks (they copy the due times).
        crate::reports::metrics::react(self.conn, &events, self.ctx.now)?;
        notifications(self.conn, &self.ctx.mail, &events)?;
        notify::followers::react(self.conn, &self.ctx.mail, &events)?;
        crate::webhooks::react(self.conn, &events, self.ctx.now, &self.ctx.mail.base_url)?;
        crate::triage::react(self.conn, &events, self.ctx.now)?;
        // The open ticket pages: rows now, the broadcast once this commits.
        crate::live::react(self.conn, &events, self.ctx.now)?;
        Ok(events)
    }
}

/// The mail an action's events call for: one mail per party per action. A staff reply that
/// comes with resolving the ticket is one "resolved" mail carrying the reply, not two mails.
fn notifications(conn: &Connection, mail: &MailCtx, events: &[Event]) -> Result<()> {
    let resolved_by_staff = |ticket: i64| {
        events
            .iter()
            .any(|e| e.ticket_id == ticket && e.what == What::Resolved && e.by.is_staff())
    };
    let mut resolve_mailed = Vec::new();
    for event in events {
        let ticket = event.ticket_id;
        match &event.what {
            What::Created { .. } => {
                notify::ticket_created(conn, mail, ticket, event.by.staff_id)?;
            }
            What::MessageAdded {
                kind: MessageKind::Requester,
                body,
                ..
            } => notify::requester_replied(conn, mail, ticket, body)?,
            What::MessageAdded {
                kind: MessageKind::Staff,
                body,
                ..
            } => {
                if resolved_by_staff(ticket) {
                    notify::ticket_resolved(conn, mail, ticket, Some((&event.by.name, body)))?;
                    resolve_mailed.push(ticket);
                } else {
                    notify::staff_replied(conn, mail, ticket, &event.by.name, body)?;
                }
            }
            What::MessageAdded {
                kind: MessageKind::Note,
                ..
            } => {}
            What::Changed {
                field: crate::tickets::Field::Assignee,
                new: Some(assignee),
                ..
            } => notify::ticket_assigned(conn, mail, ticket, *assignee, &event.by)?,
            What::Changed { .. } => {}
            What::Resolved => {
                // The requester resolving their own ticket needs no mail about it; staff or a
                // rule resolving it does.
                if event.by.works_the_desk() && !resolve_mailed.contains(&ticket) {
                    notify::ticket_resolved(conn, mail, ticket, None)?;
                    resolve_mailed.push(ticket);
                }
            }
            What::Merged { into } => notify::ticket_merged(conn, mail, ticket, *into)?,
            What::Reopened
            | What::Rated { .. }
            | What::MarkedSpam { .. }
            | What::NotSpam
            | What::Deleted { .. }
            | What::Linked { .. }
            | What::Tagged { .. }
            | What::FieldsChanged { .. } => {}
        }
    }
    Ok(())
}
