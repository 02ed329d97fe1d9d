//! The ticket actions that take a ticket out of the desk: marking it as spam (hidden from every
//! list, the search and the reports; its requester banned in the same step if asked) and
//! deleting it for good (admins only). Called through `crate::workflow::Desk` like the others.

use rusqlite::Connection;

use super::super::store;
use super::super::{Actor, Event, What, bans};
use super::workable;
use crate::error::{Error, Result};

/// Marks the ticket as spam; with `ban`, its requester's address is banned too. Staff only.
pub fn mark_spam(
    conn: &Connection,
    actor: &Actor,
    ticket_id: i64,
    ban: bool,
    now: i64,
) -> Result<Vec<Event>> {
    if !actor.is_staff() {
        return Err(Error::Forbidden);
    }
    let ticket = workable(conn, actor, ticket_id)?;
    if !store::mark_spam(conn, ticket_id, actor.staff_id, now)? {
        return Ok(Vec::new());
    }
    // Out of the search and the reports, and no deadline left to escalate.
    crate::search::forget_ticket(conn, ticket_id)?;
    crate::reports::metrics::forget(conn, ticket_id)?;
    crate::sla::state::delete(conn, ticket_id)?;
    store::set_sla_due(conn, ticket_id, None, None)?;
    let banned = ban
        && bans::add(
            conn,
            bans::Kind::Email,
            &ticket.requester_email.to_lowercase(),
            actor.staff_id,
            now,
        )?;
    // The history says whether the requester was banned with it by its entry's name.
    let field = if banned { "spam_banned" } else { "spam" };
    store::insert_history(conn, ticket_id, actor, field, None, None, now)?;
    Ok(vec![Event {
        ticket_id,
        by: actor.clone(),
        what: What::MarkedSpam { banned },
    }])
}

/// Takes the spam mark off: the ticket is listed, searched and counted again. Staff only.
pub fn unmark_spam(
    conn: &Connection,
    actor: &Actor,
    ticket_id: i64,
    now: i64,
) -> Result<Vec<Event>> {
    if !actor.is_staff() {
        return Err(Error::Forbidden);
    }
    workable(conn, actor, ticket_id)?;
    if !store::unmark_spam(conn, ticket_id)? {
        return Ok(Vec::new());
    }
    crate::search::index_ticket(conn, ticket_id)?;
    store::insert_history(conn, ticket_id, actor, "not_spam", None, None, now)?;
    Ok(vec![Event {
        ticket_id,
        by: actor.clone(),
        what: What::NotSpam,
    }])
}

/// What a deletion removed, for the confirmation and the audit.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Removed {
    pub tickets: i64,
    pub messages: i64,
    pub attachments: i64,
}

/// Deletes the ticket and everything of it: messages, attachments, history, search row,
/// service-level and report rows, ratings, and the mail and webhook deliveries about it.
/// Admins only (and the desk itself, for `helpdesk purge`).
pub fn delete(
    conn: &Connection,
    actor: &Actor,
    ticket_id: i64,
    removed: &mut Removed,
) -> Result<Vec<Event>> {
    let allowed = match actor.staff_id {
        Some(id) => crate::auth::users::get(conn, id)?
            .is_some_and(|a| a.active && a.role == crate::auth::Role::Admin),
        None => actor.kind == super::super::ActorKind::System,
    };
    if !allowed {
        return Err(Error::Forbidden);
    }
    let ticket = store::get(conn, ticket_id)?.ok_or(Error::NotFound)?;
    let (messages, attachments) = store::content_counts(conn, ticket_id)?;
    crate::outbox::forget_ticket(conn, ticket_id)?;
    crate::webhooks::store::forget_ticket(conn, ticket_id)?;
    store::delete_ticket(conn, ticket_id)?;
    removed.tickets += 1;
    removed.messages += messages;
    removed.attachments += attachments;
    Ok(vec![Event {
        ticket_id,
        by: actor.clone(),
        what: What::Deleted {
            tracking_id: ticket.tracking_id,
        },
    }])
}
