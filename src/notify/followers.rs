//! The mail of followers, mentions and CC addresses, as a reaction to a ticket action's events
//! (`crate::workflow`), in its transaction:
//! - staff following a ticket hear of every change (one mail per action and follower, listing
//!   what happened: replies, notes, status and other field changes, custom field values, tags,
//!   links, a merge, the requester's rating, and what automation did in reaction), never of
//!   their own action;
//! - a staff member named with `@handle` in an internal note hears of that note once (instead of
//!   the follower mail about it), when they may see the ticket;
//! - CC addresses (`tickets::followers::Kind::Cc`) receive the staff replies, never the notes,
//!   each as a mail of its own (so their answers verify like the requester's, see
//!   `mail::incoming`).
//!
//! Spam marks and deletions set nothing off (`workflow::Desk` does not react to them): a spam
//! ticket is out of the desk's view and a deleted one has nothing left to follow.

use rusqlite::Connection;
use serde_json::{Value, json};

use super::templates::Kind;
use super::{MailCtx, Recipient, load, queue, staff_member_of};
use crate::error::Result;
use crate::tickets::followers::{self, resolve_mentions};
use crate::tickets::{Event, MessageKind, What, store};

pub fn react(conn: &Connection, ctx: &MailCtx, events: &[Event]) -> Result<()> {
    if events.is_empty() || !ctx.enabled(conn)? {
        return Ok(());
    }
    // One mail per ticket and action: what the rules or auto-assignment did in reaction goes
    // with the change that set them off, said as theirs.
    let mut groups: Vec<(i64, Vec<&Event>)> = Vec::new();
    for event in events {
        match groups.iter_mut().find(|(t, _)| *t == event.ticket_id) {
            Some((_, list)) => list.push(event),
            None => groups.push((event.ticket_id, vec![event])),
        }
    }
    for (ticket_id, group) in groups {
        mail_group(conn, ctx, ticket_id, &group)?;
    }
    Ok(())
}

fn mail_group(conn: &Connection, ctx: &MailCtx, ticket_id: i64, events: &[&Event]) -> Result<()> {
    let Some(first) = events.first() else {
        return Ok(());
    };
    // The action's author: whoever caused its first event.
    let author = &first.by;
    // A new ticket has no followers yet; a deleted one has nothing left to follow.
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
        let by = &event.by;
        let len = items.len();
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
            What::FieldsChanged { fields } => {
                items.extend(field_items(conn, ticket_id, fields)?);
            }
            What::Tagged { tag, added } => {
                items.push(json!({ "what": "tag", "tag": tag, "added": added }));
            }
            What::Linked { other, added } => {
                let other = crate::tickets::get(conn, *other)?.map(|t| t.tracking_id);
                items.push(json!({ "what": "link", "other": other, "added": added }));
            }
            What::Merged { into } => {
                let into = crate::tickets::get(conn, *into)?.map(|t| t.tracking_id);
                items.push(json!({ "what": "merged", "into": into }));
            }
            What::Rated {
                rating, comment, ..
            } => {
                items.push(json!({ "what": "rated", "rating": rating.as_str(), "body": comment }));
            }
            // Said by the status change that comes with them.
            What::Created { .. } | What::Resolved | What::Reopened => {}
            // Never reacted to (see the module's comment).
            What::MarkedSpam { .. } | What::NotSpam | What::Deleted { .. } => {}
        }
        // What automation did in reaction is said as its own.
        if by != author {
            for item in &mut items[len..] {
                item["by"] = json!(by.name);
            }
        }
    }
    if items.is_empty() {
        return Ok(());
    }
    let extra = json!({ "author": author.name, "items": Value::Array(items) });
    for id in followers::staff_to_notify(conn, ticket_id, ticket.category_id)? {
        // Never the author of the action, whatever its reactions did.
        if Some(id) == author.staff_id || mentioned.contains(&id) {
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

/// The follower mail's lines about custom field changes: each field's label in both languages
/// (the mail's template picks its own) and its old and new values as people read them (a
/// checkbox's `true`/`false` worded by the template).
fn field_items(conn: &Connection, ticket_id: i64, fields: &[i64]) -> Result<Vec<Value>> {
    let defs = crate::fields::store::all(conn)?;
    let mut out = Vec::new();
    for id in fields {
        let Some(def) = defs.iter().find(|d| d.id == *id) else {
            continue;
        };
        let (old, new) = store::last_field_change(conn, ticket_id, *id)?.unwrap_or_default();
        let word = |v: Option<String>| v.map(|v| crate::fields::display(def.kind, &v));
        out.push(json!({
            "what": "custom_field",
            "label": def.label_in(crate::i18n::Lang::En),
            "label_es": def.label_in(crate::i18n::Lang::Es),
            "checkbox": def.kind == crate::fields::Kind::Checkbox,
            "old": word(old), "new": word(new),
        }));
    }
    Ok(out)
}
