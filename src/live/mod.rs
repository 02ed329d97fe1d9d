//! Live conversations: what an open ticket page shows without a reload. The ticket actions'
//! events become rows of `live_events` in the transaction of the change (`react`, called by
//! `workflow::Desk`), so each has a durable id: a client that reconnects with `Last-Event-ID`
//! replays what it missed, across a server restart too. Once the change commits, the process's
//! `Hub` reads the new rows and hands them to every open stream in memory (`hub`). Typing is
//! ephemeral and goes through the hub only.

pub mod hub;
pub mod store;

use rusqlite::Connection;
use serde_json::json;

use crate::error::Result;
use crate::tickets::{Channel, Event, Field, MessageKind, What};

pub use hub::{Audience, Hub, Live};

/// The wake name the hub listens to (`jobs::wake::after_commit`): new rows were committed.
pub const WAKE: &str = "live";

/// What replaying keeps: rows older than this are pruned (`prune_pass`), since a client gone
/// that long reloads the page anyway.
pub const KEEP_SECS: i64 = 2 * 24 * 3600;

/// Records the events an open ticket page shows, in the change's transaction, and asks for the
/// hub to be woken once it commits.
pub fn react(conn: &Connection, events: &[Event], now: i64) -> Result<()> {
    let mut any = false;
    for event in events {
        let Some((kind, audience, data)) = row_of(conn, event)? else {
            continue;
        };
        store::insert(
            conn,
            event.ticket_id,
            kind,
            audience,
            &data.to_string(),
            now,
        )?;
        any = true;
    }
    if any {
        crate::jobs::wake::after_commit(WAKE);
    }
    Ok(())
}

/// The live row of one event: its kind, who may see it and what the page needs to know.
fn row_of(
    conn: &Connection,
    event: &Event,
) -> Result<Option<(&'static str, Audience, serde_json::Value)>> {
    Ok(match &event.what {
        What::MessageAdded {
            message_id,
            kind,
            body,
        } => {
            // Internal notes never reach the requester's stream.
            let audience = match kind {
                MessageKind::Note => Audience::Staff,
                _ => Audience::Everyone,
            };
            let data = json!({ "message_id": message_id, "kind": kind.as_str(),
                               "author": event.by.name, "body": body });
            Some(("message", audience, data))
        }
        What::Changed { field, old, new } => {
            // The requester's page shows status, priority and category; never the assignee.
            let audience = match field {
                Field::Assignee => Audience::Staff,
                _ => Audience::Everyone,
            };
            let data = json!({ "field": field_name(*field), "old": old, "new": new,
                               "by": event.by.name });
            Some(("changed", audience, data))
        }
        What::Merged { into } => Some((
            "changed",
            Audience::Everyone,
            json!({ "merged_into": into }),
        )),
        What::Created {
            tracking_id,
            channel: Channel::Chat,
        } => {
            // The desk's alert: a requester is waiting in a chat.
            let category = crate::tickets::get(conn, event.ticket_id)?.map(|t| t.category_id);
            let data = json!({ "ticket_id": event.ticket_id, "tracking_id": tracking_id,
                               "name": event.by.name,
                               "category_id": category });
            Some(("chat", Audience::Staff, data))
        }
        _ => None,
    })
}

fn field_name(field: Field) -> &'static str {
    match field {
        Field::Status => "status",
        Field::Priority => "priority",
        Field::Category => "category",
        Field::Assignee => "assignee",
    }
}

/// Forgets the rows too old to replay (a job of the runner, `jobs::LIVE_PRUNE`).
pub fn prune_pass(ctx: &crate::jobs::JobCtx) -> Result<String> {
    let before = ctx.now - KEEP_SECS;
    let pruned = ctx.db.write_blocking(|c| store::prune(c, before))?;
    Ok(format!("{pruned} old live events pruned"))
}
