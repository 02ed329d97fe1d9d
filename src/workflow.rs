//! One home for ticket changes: `Desk` runs a ticket action and then every reaction to the
//! events it returned, in the same transaction, so a change and its consequences (the mail it
//! sends, the automation rules' changes, the service-level clocks; webhooks and live updates
//! later) are committed together or not at all, wherever the change comes from: the portal, the
//! desk, an email, the API or a job.
//!
//! Adding a reaction means adding one call in `react`; no handler needs to know.

use rusqlite::Connection;

use crate::error::Result;
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

    fn react(&self, mut events: Vec<Event>) -> Result<Vec<Event>> {
        // The rules first: their changes are events too, which the reactions below see (their
        // own loop guard is in `rules::run`).
        let by_rules = crate::rules::run::react(self.conn, &events, self.ctx.now, &self.ctx.mail)?;
        events.extend(by_rules);
        // Then the service-level clocks (a rule's new priority moves the targets too), so the
        // mail after sees the due times.
        crate::sla::react(self.conn, &events, self.ctx.now)?;
        // The reports' facts, after the clocks (they copy the due times).
        crate::reports::metrics::react(self.conn, &events, self.ctx.now)?;
        notifications(self.conn, &self.ctx.mail, &events)?;
        crate::webhooks::react(self.conn, &events, self.ctx.now, &self.ctx.mail.base_url)?;
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
            What::Reopened | What::Rated { .. } | What::FieldsChanged { .. } => {}
        }
    }
    Ok(())
}
