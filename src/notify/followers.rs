//! The mail of followers, mentions and CC addresses, as a reaction to a ticket action's events
//! (`crate::workflow`), in its transaction:
//! - staff following a ticket hear of every change someone else made (one mail per action and
//!   follower, listing what happened: replies, notes, field changes), never of their own;
//! - a staff member named with `@handle` in an internal note hears of that note once (instead of
//!   the follower mail about it), when they may see the ticket;
//! - CC addresses (`tickets::followers::Kind::Cc`) receive the staff replies, never the notes,
//!   each as a mail of its own (so their answers verify like the requester's, see
//!   `mail::incoming`).

use rusqlite::Connection;
use serde_json::{Value, json};

use super::templates::Kind;
use super::{MailCtx, Recipient, load, queue, staff_member_of};
use crate::error::Result;
use crate::tickets::followers::{self, resolve_mentions};
use crate::tickets::{Actor, Event, MessageKind, What, store};

pub fn react(conn: &Connection, ctx: &MailCtx, events: &[Event]) -> Result<()> {
    if events.is_empty() || !ctx.enabled(conn)? {
        return Ok(());
    }
    // One mail per ticket and party: the events of one actor on one ticket go together.
    let mut groups: Vec<(i64, &Actor, Vec<&Event>)> = Vec::new();
    for event in events {
        match groups
            .iter_mut()
            .find(|(t, by, _)| *t == event.ticket_id && *by == &event.by)
        {
            Some((_, _, list)) => list.push(event),
            None => groups.push((event.ticket_id, &event.by, vec![event])),
        }
    }
    for (ticket_id, by, group) in groups {
        mail_group(conn, ctx, ticket_id, by, &group)?;
    }
    Ok(())
}

fn mail_group(
    conn: &Connection,
    ctx: &MailCtx,
    ticket_id: i64,
    by: &Actor,
    events: &[&Event],
) -> Result<()> {
    // A new ticket has no followers yet; an answered survey changes nothing to follow.
    if events
        .iter()
        .any(|e| matches!(e.what, What::Created { .. } | What::Deleted { .. }))
    {
        return Ok(());
    }
    let (ticket, requester) = load(conn, ticket_id)?;
    let mut items = Vec::new();
    let mut mentioned = Vec::new();
    for event in events {
        match &event.what {
            What::MessageAdded { kind, body, .. } => {
                let what = match kind {
                    MessageKind::Staff => "reply",
                    MessageKind::Note => "note",
                    MessageKind::Requester => "requester",
                };
                items.push(json!({ "what": what, "body": body }));
                if *kind == MessageKind::Note && by.is_staff() {
                    let staff = followers::mentionable(conn, ticket.category_id)?;
                    let named = resolve_mentions(&followers::mentions(body), &staff);
                    for id in named.into_iter().filter(|id| Some(*id) != by.staff_id) {
                        if !mentioned.contains(&id) {
                            mentioned.push(id);
                            mention(conn, ctx, &ticket, id, &by.name, body)?;
                        }
                    }
                }
                if *kind == MessageKind::Staff {
                    for cc in followers::ccs(conn, ticket_id)? {
                        let Some(addr) = cc.email else { continue };
                        let to = Recipient {
                            addr,
                            lang: requester.lang,
                            zone: String::new(),
                        };
                        let extra = json!({ "author": by.name, "body": body });
                        queue(conn, ctx, &ticket, &to, Kind::StaffReplied, extra)?;
                    }
                }
            }
            What::Changed { field, old, new } => {
                items.push(json!({
                    "what": "field", "field": field.name(),
                    "old": store::display_name(conn, *field, *old)?,
                    "new": store::display_name(conn, *field, *new)?,
                }));
            }
            // Said by the status change that comes with them; a survey answer is no change.
            // Spam and deletion are the desk's housekeeping, not news for followers; a merge
            // says itself by the status change that comes with it; tags and links are the
            // desk's own filing.
            What::Merged { .. }
            | What::Linked { .. }
            | What::Tagged { .. }
            | What::FieldsChanged { .. }
            | What::Created { .. }
            | What::Resolved
            | What::Reopened
            | What::Rated { .. }
            | What::MarkedSpam { .. }
            | What::NotSpam
            | What::Deleted { .. } => {}
        }
    }
    if items.is_empty() {
        return Ok(());
    }
    let extra = json!({ "author": by.name, "items": Value::Array(items) });
    for id in followers::staff_to_notify(conn, ticket_id, ticket.category_id)? {
        if Some(id) == by.staff_id || mentioned.contains(&id) {
            continue;
        }
        if let Some(to) = staff_member_of(conn, None, id, ticket.category_id)? {
            queue(conn, ctx, &ticket, &to, Kind::FollowerUpdate, extra.clone())?;
        }
    }
    Ok(())
}

/// The mention mail to `staff_id`, when they are active and may see the ticket.
fn mention(
    conn: &Connection,
    ctx: &MailCtx,
    ticket: &crate::tickets::Ticket,
    staff_id: i64,
    author: &str,
    body: &str,
) -> Result<()> {
    if let Some(to) = staff_member_of(conn, None, staff_id, ticket.category_id)? {
        let extra = json!({ "author": author, "body": body });
        queue(conn, ctx, ticket, &to, Kind::Mentioned, extra)?;
    }
    Ok(())
}
