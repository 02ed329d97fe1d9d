//! What the ticket actions report: one event per thing that happened to a ticket. Whatever
//! reacts to changes (notifications today; rules, SLA clocks, webhooks and live updates later)
//! reads these, in the transaction of the change, rather than guessing from the request.

use super::csat::Rating;
use super::{Actor, Channel, Field, MessageKind};

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Event {
    pub ticket_id: i64,
    /// Who caused it.
    pub by: Actor,
    pub what: What,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum What {
    /// A new ticket with its first message (no `MessageAdded` for that one).
    Created {
        tracking_id: String,
        channel: Channel,
    },
    /// A reply or an internal note.
    MessageAdded {
        message_id: i64,
        kind: MessageKind,
        body: String,
    },
    /// One field moved from `old` to `new` (ids; `None` = unassigned).
    Changed {
        field: Field,
        old: Option<i64>,
        new: Option<i64>,
    },
    /// Custom field values moved (`crate::fields`), by field id.
    FieldsChanged { fields: Vec<i64> },
    /// The ticket entered the built-in "resolved" status.
    Resolved,
    /// A closed ticket (resolved, closed or a custom closing status) is open again.
    Reopened,
    /// This ticket was merged into ticket `into` (its conversation moved there; it is closed).
    Merged { into: i64 },
    /// A "related to" link to ticket `other` was added (or removed, `added` false).
    Linked { other: i64, added: bool },
    /// Tag `tag` was put on the ticket (or taken off, `added` false).
    Tagged { tag: String, added: bool },
    /// The requester answered the satisfaction survey about resolution number `resolution`
    /// (`changed`: they had answered before and changed it). Nothing about the ticket itself
    /// changed: the automation rules do not answer it.
    Rated {
        resolution: i64,
        rating: Rating,
        comment: String,
        changed: bool,
    },
    /// Staff marked the ticket as spam (`banned`: its requester's address was banned with it).
    /// It is out of the lists: nothing reacts to it.
    MarkedSpam { banned: bool },
    /// The spam mark was taken off.
    NotSpam,
    /// The ticket is gone, with everything of it.
    Deleted { tracking_id: String },
}

/// The ids of the tickets an action created, in order.
pub fn created(events: &[Event]) -> impl Iterator<Item = (i64, &str)> {
    events.iter().filter_map(|e| match &e.what {
        What::Created { tracking_id, .. } => Some((e.ticket_id, tracking_id.as_str())),
        _ => None,
    })
}
