//! The ticket actions of the power tools: merging a ticket into another, "related to" links and
//! tags. Same contract as the other actions (`super`): staff or the desk itself act, a limited
//! agent only on tickets of their categories, every change in the history, events returned.
//!
//! A refusal a person can meet is `Error::BadRequest` carrying an i18n key (`merge_error_*`,
//! `link_error_*`, `tag_error_*`), so each page says it in the viewer's language.

use rusqlite::Connection;

use super::{change, may_work, workable};
use crate::error::{Error, Result};
use crate::tickets::{
    Actor, Event, Field, Ticket, What, links, normalize_tracking_id, store, tags,
};

/// What a merge of `source_id` into the ticket with tracking ID `into` would do, or why it is
/// refused (an i18n key): a tracking ID that names no ticket the actor may work, the ticket
/// itself, a ticket already merged (so also one merged into this one), or a source that is gone,
/// outside the actor's categories or merged already.
pub fn merge_plan(
    conn: &Connection,
    actor: &Actor,
    source_id: i64,
    into: &str,
) -> Result<std::result::Result<(Ticket, Ticket), &'static str>> {
    let Some(source) = store::get(conn, source_id)? else {
        return Ok(Err("merge_error_gone"));
    };
    if !may_work(conn, actor, source.category_id)? {
        return Ok(Err("merge_error_gone"));
    }
    let target = match normalize_tracking_id(into) {
        Some(tid) => store::get_by_tracking_id(conn, &tid)?,
        None => None,
    };
    let Some(target) = target else {
        return Ok(Err("merge_error_unknown"));
    };
    if !may_work(conn, actor, target.category_id)? {
        // As for a ticket that does not exist: a limited agent cannot tell it does.
        return Ok(Err("merge_error_unknown"));
    }
    if target.id == source.id {
        return Ok(Err("merge_error_self"));
    }
    if store::merged_into(conn, target.id)?.is_some() {
        return Ok(Err("merge_error_into_merged"));
    }
    if store::merged_into(conn, source.id)?.is_some() {
        return Ok(Err("merge_error_already_merged"));
    }
    Ok(Ok((source, target)))
}

/// Merges ticket `source_id` into the ticket with tracking ID `into`: its messages,
/// attachments and history move there (pages show them in date order), its tags, links and
/// followers too; its requester follows the survivor; it is closed with a pointer to the
/// survivor, so its tracking ID and secret link lead there. The `Merged` event has its
/// requester told once.
pub fn merge(
    conn: &Connection,
    actor: &Actor,
    source_id: i64,
    into: &str,
    now: i64,
) -> Result<Vec<Event>> {
    if !actor.works_the_desk() {
        return Err(Error::Forbidden);
    }
    let (source, target) =
        merge_plan(conn, actor, source_id, into)?.map_err(|key| Error::BadRequest(key.into()))?;
    store::insert_history(
        conn,
        target.id,
        actor,
        "merged_from",
        None,
        Some(&source.tracking_id),
        now,
    )?;
    store::move_conversation(conn, source.id, target.id)?;
    tags::copy_all(conn, source.id, target.id)?;
    links::move_all(conn, source.id, target.id, now)?;
    super::super::followers::copy_followers(conn, source.id, target.id, now)?;
    if !source
        .requester_email
        .eq_ignore_ascii_case(&target.requester_email)
    {
        super::super::followers::follow_as_requester(
            conn,
            target.id,
            &source.requester_email,
            &source.requester_name,
            now,
        )?;
    }
    let mut events = Vec::new();
    let closed = store::status_kind(conn, source.status_id)?.is_some_and(|(_, closed)| closed);
    if !closed {
        let status = store::status_id(conn, "closed")?;
        change(
            conn,
            actor,
            source.id,
            Field::Status,
            Some(status),
            now,
            &mut events,
        )?;
    }
    store::insert_history(
        conn,
        source.id,
        actor,
        "merged_into",
        None,
        Some(&target.tracking_id),
        now,
    )?;
    events.push(Event {
        ticket_id: source.id,
        by: actor.clone(),
        what: What::Merged { into: target.id },
    });
    Ok(events)
}

/// The ticket a tracking ID leads to for a link: the survivor of a merged one; None when no
/// ticket the actor may work has it.
fn link_target(conn: &Connection, actor: &Actor, tracking_id: &str) -> Result<Option<Ticket>> {
    let Some(tid) = normalize_tracking_id(tracking_id) else {
        return Ok(None);
    };
    let Some(mut ticket) = store::get_by_tracking_id(conn, &tid)? else {
        return Ok(None);
    };
    if let Some((survivor, _)) = store::merged_into(conn, ticket.id)? {
        ticket = store::get(conn, survivor)?.ok_or(Error::NotFound)?;
    }
    Ok(may_work(conn, actor, ticket.category_id)?.then_some(ticket))
}

/// Links ticket `ticket_id` to the ticket with tracking ID `other` ("related to", shown on
/// both, in both histories). Linking twice changes nothing.
pub fn link(
    conn: &Connection,
    actor: &Actor,
    ticket_id: i64,
    other: &str,
    now: i64,
) -> Result<Vec<Event>> {
    if !actor.works_the_desk() {
        return Err(Error::Forbidden);
    }
    let ticket = workable(conn, actor, ticket_id)?;
    let other = link_target(conn, actor, other)?
        .ok_or_else(|| Error::BadRequest("link_error_unknown".into()))?;
    if other.id == ticket.id {
        return Err(Error::BadRequest("link_error_self".into()));
    }
    if !links::add(conn, ticket.id, other.id, now)? {
        return Ok(Vec::new());
    }
    link_history(conn, actor, (&ticket, &other), true, now)
}

/// Removes the link between `ticket_id` and `other_id`; nothing when there is none.
pub fn unlink(
    conn: &Connection,
    actor: &Actor,
    ticket_id: i64,
    other_id: i64,
    now: i64,
) -> Result<Vec<Event>> {
    if !actor.works_the_desk() {
        return Err(Error::Forbidden);
    }
    let ticket = workable(conn, actor, ticket_id)?;
    let other = store::get(conn, other_id)?.ok_or(Error::NotFound)?;
    if !links::remove(conn, ticket.id, other.id)? {
        return Ok(Vec::new());
    }
    link_history(conn, actor, (&ticket, &other), false, now)
}

/// The history entries and events of a link added or removed, on both tickets.
fn link_history(
    conn: &Connection,
    actor: &Actor,
    (a, b): (&Ticket, &Ticket),
    added: bool,
    now: i64,
) -> Result<Vec<Event>> {
    let field = if added { "link_added" } else { "link_removed" };
    let mut events = Vec::new();
    for (this, that) in [(a, b), (b, a)] {
        store::insert_history(
            conn,
            this.id,
            actor,
            field,
            None,
            Some(&that.tracking_id),
            now,
        )?;
        events.push(Event {
            ticket_id: this.id,
            by: actor.clone(),
            what: What::Linked {
                other: that.id,
                added,
            },
        });
    }
    Ok(events)
}

/// Puts tag `name` (as typed; normalised) on the ticket; nothing when it has it.
pub fn tag(
    conn: &Connection,
    actor: &Actor,
    ticket_id: i64,
    name: &str,
    now: i64,
) -> Result<Vec<Event>> {
    if !actor.works_the_desk() {
        return Err(Error::Forbidden);
    }
    let name = tags::normalize(name).map_err(|key| Error::BadRequest(key.into()))?;
    workable(conn, actor, ticket_id)?;
    let tag_id = tags::ensure(conn, &name, now)?;
    if !tags::attach(conn, ticket_id, tag_id)? {
        return Ok(Vec::new());
    }
    store::insert_history(conn, ticket_id, actor, "tag_added", None, Some(&name), now)?;
    Ok(vec![Event {
        ticket_id,
        by: actor.clone(),
        what: What::Tagged {
            tag: name,
            added: true,
        },
    }])
}

/// Takes tag `name` off the ticket; nothing when it does not have it.
pub fn untag(
    conn: &Connection,
    actor: &Actor,
    ticket_id: i64,
    name: &str,
    now: i64,
) -> Result<Vec<Event>> {
    if !actor.works_the_desk() {
        return Err(Error::Forbidden);
    }
    let name = tags::normalize(name).map_err(|key| Error::BadRequest(key.into()))?;
    workable(conn, actor, ticket_id)?;
    let Some(tag_id) = tags::find(conn, &name)? else {
        return Ok(Vec::new());
    };
    if !tags::detach(conn, ticket_id, tag_id)? {
        return Ok(Vec::new());
    }
    store::insert_history(
        conn,
        ticket_id,
        actor,
        "tag_removed",
        Some(&name),
        None,
        now,
    )?;
    Ok(vec![Event {
        ticket_id,
        by: actor.clone(),
        what: What::Tagged {
            tag: name,
            added: false,
        },
    }])
}
