//! The ticket actions: the only code that changes a ticket. Each takes the transaction, the
//! actor and the input, enforces the desk's rules, records the history and returns the events it
//! caused. Call them through `crate::workflow::Desk`, which runs the reactions to those events
//! (notifications, and later rules, SLA clocks, webhooks) in the same transaction.
//!
//! The rules live here once:
//! - a new ticket starts as "new", with its first message and a "created" history entry;
//! - the first staff reply sets `first_response_at`; a closing status sets `resolved_at` and an
//!   open one clears it; entering a closing status from an open one is a resolution (`csat`);
//! - only the requester answers the satisfaction survey, about the latest resolution, while its
//!   survey is open;
//! - a requester's reply on a ticket waiting on them, resolved or closed puts it back "in
//!   progress";
//! - only staff write replies; staff and the desk itself (automation rules, auto-assignment,
//!   scheduled jobs) write internal notes and change anything but a ticket's status; a rule
//!   never writes to the requester;
//! - the one exception: an email claiming to be from staff that the desk could not verify
//!   (`ActorKind::UnverifiedEmail`) is kept as an internal note, and may do nothing else;
//! - a ticket is assigned only to an active staff account who works its category;
//! - a staff member limited to some categories (`auth::access`) works only their tickets: to
//!   them, and to their mail, any other ticket does not exist.

mod tools;

use rusqlite::Connection;

mod spam;
pub use spam::{Removed, delete, mark_spam, unmark_spam};
pub use tools::{link, merge, merge_plan, tag, unlink, untag};

use super::csat;
use super::store::{self, TicketRow};
use super::{
    Actor, ActorKind, Event, Field, MessageKind, NewTicket, Upload, What, new_tracking_id,
};
use crate::error::{Error, Result};

/// A reply or note to add.
pub struct NewMessage {
    pub kind: MessageKind,
    pub body: String,
    pub attachments: Vec<Upload>,
}

/// Field changes; `None` leaves a field as it is. `assignee: Some(None)` unassigns.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Changes {
    pub status: Option<i64>,
    pub priority: Option<i64>,
    pub category: Option<i64>,
    pub assignee: Option<Option<i64>>,
}

/// Statuses a requester's reply takes the ticket out of.
const REOPENED_BY_REPLY: &[&str] = &["waiting", "resolved", "closed"];

/// Opens a ticket with its first message and its custom field values (`fields`: field id,
/// stored value, checked by `crate::fields::validate`), one prepared insert each.
pub fn open_with_fields(
    conn: &Connection,
    actor: &Actor,
    t: &NewTicket,
    fields: &[(i64, String)],
    now: i64,
) -> Result<Vec<Event>> {
    let events = open(conn, actor, t, now)?;
    if let Some((id, _)) = super::events::created(&events).next()
        && !fields.is_empty()
    {
        for (field_id, value) in fields {
            crate::fields::store::put(conn, id, *field_id, Some(value))?;
        }
        crate::search::index_fields(conn, id)?;
    }
    Ok(events)
}

/// Sets or clears (`None`) custom field values (checked by `crate::fields::validate`); each
/// value that moves is one history entry (old → new, with the field's id). Staff and the desk
/// itself only.
pub fn set_fields(
    conn: &Connection,
    actor: &Actor,
    ticket_id: i64,
    values: &[(i64, Option<String>)],
    now: i64,
) -> Result<Vec<Event>> {
    if !actor.works_the_desk() || actor.kind == ActorKind::UnverifiedEmail {
        return Err(Error::Forbidden);
    }
    workable(conn, actor, ticket_id)?;
    let mut moved = Vec::new();
    for (field_id, new) in values {
        let old = crate::fields::store::value(conn, ticket_id, *field_id)?;
        if old == *new {
            continue;
        }
        crate::fields::store::put(conn, ticket_id, *field_id, new.as_deref())?;
        store::insert_field_change(
            conn,
            ticket_id,
            actor,
            *field_id,
            (old.as_deref(), new.as_deref()),
            now,
        )?;
        moved.push(*field_id);
    }
    if moved.is_empty() {
        return Ok(Vec::new());
    }
    store::touch(conn, ticket_id, now)?;
    crate::search::index_fields(conn, ticket_id)?;
    Ok(vec![Event {
        ticket_id,
        by: actor.clone(),
        what: What::FieldsChanged { fields: moved },
    }])
}

/// Opens a ticket with its first message (written by the requester, whoever opens it).
pub fn open(conn: &Connection, actor: &Actor, t: &NewTicket, now: i64) -> Result<Vec<Event>> {
    if !may_work(conn, actor, t.category_id)? {
        return Err(Error::Forbidden);
    }
    let new_status = store::status_id(conn, "new")?;
    let token = crate::util::random_hex(20);
    let mut tracking_id = new_tracking_id();
    // A collision is astronomically rare, but cheap to rule out.
    while store::tracking_id_taken(conn, &tracking_id)? {
        tracking_id = new_tracking_id();
    }
    let id = store::insert_ticket(
        conn,
        &TicketRow {
            tracking_id: &tracking_id,
            access_token: &token,
            subject: &t.subject,
            requester_name: &t.requester_name,
            requester_email: &t.requester_email,
            category_id: t.category_id,
            priority_id: t.priority_id,
            status_id: new_status,
            assignee_id: None,
            created_by_staff_id: actor.staff_id,
            channel: t.channel.as_str(),
            lang: t.lang.code(),
            created_at: now,
            updated_at: now,
            first_response_at: None,
            resolved_at: None,
            message_count: 0,
        },
    )?;
    let requester = Actor::requester(&t.requester_name);
    let message_id = store::insert_message(
        conn,
        id,
        MessageKind::Requester,
        &requester,
        &t.message,
        now,
    )?;
    store::insert_attachments(conn, id, message_id, &t.attachments, now)?;
    store::count_message(conn, id, now, false)?;
    store::insert_history(conn, id, actor, "created", None, Some(&tracking_id), now)?;
    let mut events = vec![Event {
        ticket_id: id,
        by: actor.clone(),
        what: What::Created {
            tracking_id,
            channel: t.channel,
        },
    }];
    if let Some(assignee) = t.assignee_id {
        change(
            conn,
            actor,
            id,
            Field::Assignee,
            Some(assignee),
            now,
            &mut events,
        )?;
        check_assignee(conn, id)?;
    }
    Ok(events)
}

/// Adds a reply or an internal note, then applies `changes` (the fields the agent changed on
/// the same form): one action, so its history rows share its moment and actor.
pub fn reply(
    conn: &Connection,
    actor: &Actor,
    ticket_id: i64,
    message: &NewMessage,
    changes: &Changes,
    now: i64,
) -> Result<Vec<Event>> {
    // A merged ticket's conversation goes on on the ticket it was merged into (a requester's
    // mail answering an old thread, say).
    let ticket_id = store::merged_into(conn, ticket_id)?.map_or(ticket_id, |(id, _)| id);
    let ticket = workable(conn, actor, ticket_id)?;
    let allowed = match (actor.kind, message.kind) {
        // Kept for staff to judge, never shown to the requester; it changes nothing else.
        (ActorKind::UnverifiedEmail, kind) => {
            kind == MessageKind::Note && *changes == Changes::default()
        }
        // A rule writes internal notes; what the requester reads is written by a person.
        (ActorKind::Rule, kind) => kind == MessageKind::Note,
        (_, MessageKind::Requester) => true,
        (_, MessageKind::Note) => actor.works_the_desk(),
        (_, MessageKind::Staff) => actor.is_staff(),
    };
    if !allowed {
        return Err(Error::Forbidden);
    }
    let message_id =
        store::insert_message(conn, ticket_id, message.kind, actor, &message.body, now)?;
    store::insert_attachments(conn, ticket_id, message_id, &message.attachments, now)?;
    store::count_message(conn, ticket_id, now, message.kind == MessageKind::Staff)?;
    if actor.kind == ActorKind::Rule {
        // No person wrote it: the history says which rule did, beside its field changes.
        store::insert_history(conn, ticket_id, actor, "note", None, None, now)?;
    }
    let mut events = vec![Event {
        ticket_id,
        by: actor.clone(),
        what: What::MessageAdded {
            message_id,
            kind: message.kind,
            body: message.body.clone(),
        },
    }];
    if message.kind == MessageKind::Requester {
        // A reply from the requester puts the ticket back in the agents' court.
        let slug = store::status_kind(conn, ticket.status_id)?.and_then(|(slug, _)| slug);
        if slug.is_some_and(|s| REOPENED_BY_REPLY.contains(&s.as_str())) {
            let in_progress = store::status_id(conn, "in_progress")?;
            change(
                conn,
                actor,
                ticket_id,
                Field::Status,
                Some(in_progress),
                now,
                &mut events,
            )?;
        }
    }
    apply(conn, actor, ticket_id, changes, now, &mut events)?;
    Ok(events)
}

/// Changes fields (status, priority, category, assignee); no event for a field left as it was.
pub fn update(
    conn: &Connection,
    actor: &Actor,
    ticket_id: i64,
    changes: &Changes,
    now: i64,
) -> Result<Vec<Event>> {
    workable(conn, actor, ticket_id)?;
    let mut events = Vec::new();
    apply(conn, actor, ticket_id, changes, now, &mut events)?;
    Ok(events)
}

/// Moves the ticket into the built-in "resolved" status.
pub fn resolve(conn: &Connection, actor: &Actor, ticket_id: i64, now: i64) -> Result<Vec<Event>> {
    set_status_slug(conn, actor, ticket_id, "resolved", now)
}

/// Puts the ticket back "in progress".
pub fn reopen(conn: &Connection, actor: &Actor, ticket_id: i64, now: i64) -> Result<Vec<Event>> {
    set_status_slug(conn, actor, ticket_id, "in_progress", now)
}

fn set_status_slug(
    conn: &Connection,
    actor: &Actor,
    ticket_id: i64,
    slug: &str,
    now: i64,
) -> Result<Vec<Event>> {
    workable(conn, actor, ticket_id)?;
    let status = store::status_id(conn, slug)?;
    let mut events = Vec::new();
    change(
        conn,
        actor,
        ticket_id,
        Field::Status,
        Some(status),
        now,
        &mut events,
    )?;
    Ok(events)
}

fn apply(
    conn: &Connection,
    actor: &Actor,
    ticket_id: i64,
    changes: &Changes,
    now: i64,
    events: &mut Vec<Event>,
) -> Result<()> {
    let wanted = [
        (Field::Status, changes.status.map(Some)),
        (Field::Priority, changes.priority.map(Some)),
        (Field::Category, changes.category.map(Some)),
        (Field::Assignee, changes.assignee),
    ];
    for (field, value) in wanted {
        if let Some(value) = value {
            change(conn, actor, ticket_id, field, value, now, events)?;
        }
    }
    if changes.category.is_some() || changes.assignee.is_some() {
        let category = store::field_value(conn, ticket_id, Field::Category)?.flatten();
        // A limited agent hands a ticket only to categories they work themselves.
        if let Some(category) = category
            && !may_work(conn, actor, category)?
        {
            return Err(Error::BadRequest("you do not work in that category".into()));
        }
        check_assignee(conn, ticket_id)?;
        // Closed by this action too: its resolution names the assignee and category it left.
        super::csat::settle(conn, ticket_id, now)?;
    }
    Ok(())
}

/// The ticket, when `actor` may work it: requesters, rules and the system always may (their own
/// checks are elsewhere); a staff member, or mail or a client acting for one, only within their
/// categories. Any other ticket is not found, so a limited agent cannot tell it exists.
fn workable(conn: &Connection, actor: &Actor, ticket_id: i64) -> Result<super::Ticket> {
    let ticket = store::get(conn, ticket_id)?.ok_or(Error::NotFound)?;
    if !may_work(conn, actor, ticket.category_id)? {
        return Err(Error::NotFound);
    }
    Ok(ticket)
}

fn may_work(conn: &Connection, actor: &Actor, category_id: i64) -> Result<bool> {
    match actor.staff_id {
        Some(staff_id) => crate::auth::access::staff_may_see(conn, staff_id, category_id),
        None => Ok(true),
    }
}

/// The assignee, if any, must work the ticket's category (after a change of either).
fn check_assignee(conn: &Connection, ticket_id: i64) -> Result<()> {
    let assignee = store::field_value(conn, ticket_id, Field::Assignee)?.flatten();
    let category = store::field_value(conn, ticket_id, Field::Category)?.flatten();
    if let (Some(assignee), Some(category)) = (assignee, category)
        && !crate::auth::access::staff_may_see(conn, assignee, category)?
    {
        return Err(Error::BadRequest(
            "that staff member does not work in the ticket's category".into(),
        ));
    }
    Ok(())
}

/// Changes one field and records it in the history; nothing when it already has that value.
fn change(
    conn: &Connection,
    actor: &Actor,
    ticket_id: i64,
    field: Field,
    new: Option<i64>,
    now: i64,
    events: &mut Vec<Event>,
) -> Result<()> {
    if (field != Field::Status && !actor.works_the_desk())
        || actor.kind == ActorKind::UnverifiedEmail
    {
        return Err(Error::Forbidden);
    }
    let old = store::field_value(conn, ticket_id, field)?.ok_or(Error::NotFound)?;
    if old == new {
        return Ok(());
    }
    if new.is_none() && field != Field::Assignee {
        return Err(Error::BadRequest(format!("{} is required", field.name())));
    }
    if field == Field::Assignee
        && let Some(id) = new
    {
        match store::staff_active(conn, id)? {
            None => return Err(Error::BadRequest("unknown assignee".into())),
            Some(false) => {
                return Err(Error::BadRequest(
                    "that staff account is deactivated".into(),
                ));
            }
            Some(true) => {}
        }
    }
    let old_name = store::display_name(conn, field, old)?;
    let new_name = store::display_name(conn, field, new)?;
    store::set_field(conn, ticket_id, field, new, now)?;
    let mut follow = Vec::new();
    if field == Field::Status
        && let Some(new_status) = new
    {
        let (slug, closed) = store::status_kind(conn, new_status)?
            .ok_or(Error::BadRequest("unknown status".into()))?;
        let was_closed = match old {
            Some(old) => store::status_kind(conn, old)?.is_some_and(|(_, c)| c),
            None => false,
        };
        store::set_resolved(conn, ticket_id, closed, now)?;
        if closed && !was_closed {
            // A resolution the requester is asked about (`csat`), one per closing.
            super::csat::open_resolution(conn, ticket_id, now)?;
        }
        if slug.as_deref() == Some("resolved") {
            follow.push(What::Resolved);
        } else if was_closed && !closed {
            follow.push(What::Reopened);
        }
    }
    store::insert_change(
        conn,
        ticket_id,
        actor,
        field,
        (old, old_name.as_deref()),
        (new, new_name.as_deref()),
        now,
    )?;
    events.push(Event {
        ticket_id,
        by: actor.clone(),
        what: What::Changed { field, old, new },
    });
    events.extend(follow.into_iter().map(|what| Event {
        ticket_id,
        by: actor.clone(),
        what,
    }));
    Ok(())
}

/// The requester answers "How did we do?" about the ticket's latest resolution, or changes the
/// answer, while its survey is open (`csat::check` says what is refused and why). Only the
/// requester answers; an answer the same as the one stored changes nothing.
pub fn rate(
    conn: &Connection,
    actor: &Actor,
    ticket_id: i64,
    draft: &csat::Draft,
    now: i64,
) -> Result<Vec<Event>> {
    if actor.kind != ActorKind::Requester {
        return Err(Error::Forbidden);
    }
    let answer = csat::check(conn, ticket_id, draft, now)?
        .map_err(|_| Error::BadRequest("the survey does not take this answer".into()))?;
    let before = &answer.resolution;
    if before.rating == Some(answer.rating) && before.comment == answer.comment {
        return Ok(Vec::new());
    }
    csat::save_answer(conn, before.id, answer.rating, &answer.comment, now)?;
    store::insert_history(
        conn,
        ticket_id,
        actor,
        "rating",
        before.rating.map(csat::Rating::as_str),
        Some(&csat::history_text(answer.rating, &answer.comment)),
        now,
    )?;
    Ok(vec![Event {
        ticket_id,
        by: actor.clone(),
        what: What::Rated {
            resolution: before.number,
            rating: answer.rating,
            comment: answer.comment,
            changed: before.rating.is_some(),
        },
    }])
}

/// Writes an entry in the ticket's history that changes no field: what the desk did about the
/// ticket on its own, such as a service-level escalation that fired (`field` names what, the
/// text what exactly). Reports no event: nothing about the ticket changed.
pub fn record(
    conn: &Connection,
    actor: &Actor,
    ticket_id: i64,
    field: &str,
    text: &str,
    now: i64,
) -> Result<Vec<Event>> {
    if !actor.works_the_desk() {
        return Err(Error::Forbidden);
    }
    store::get(conn, ticket_id)?.ok_or(Error::NotFound)?;
    store::insert_history(conn, ticket_id, actor, field, None, Some(text), now)?;
    Ok(Vec::new())
}

/// Keeps the ticket's service-level deadline for the staff list, as the SLA clock
/// (`crate::sla`) computed it from the ticket's own changes: bookkeeping, with no history and no
/// event of its own.
pub fn set_sla_due(
    conn: &Connection,
    ticket_id: i64,
    due_at: Option<i64>,
    warn_at: Option<i64>,
) -> Result<()> {
    store::set_sla_due(conn, ticket_id, due_at, warn_at)
}
