//! The generic payload: what happened, read from a ticket action's events, as the JSON a webhook
//! of the generic preset receives. The chat presets (`presets`) are written from the same JSON,
//! so a chat message never says more or other than the payload.
//!
//! `{"event", "delivery", "occurred_at", "actor", "ticket", "changes"?, "message"?, "breach"?}`:
//! the ticket object is the REST API's (`tickets::json`), as it stands after the action.

use rusqlite::Connection;
use serde_json::{Map, Value, json};

use super::{EventKind, TEST_EVENT, Webhook};
use crate::desk_time::format::iso;
use crate::error::Result;
use crate::tickets::json::ticket_object;
use crate::tickets::{Actor, Event, Field, What, store};

/// A message body longer than this (in bytes) is cut there in the payload, with
/// `"truncated": true`: a webhook is a notification, and a mailed-in novel need not go to every
/// receiver whole.
const MAX_BODY_BYTES: usize = 64 * 1024;

/// One thing that happened to a ticket, as webhooks tell it.
pub struct Occurrence<'a> {
    pub kind: EventKind,
    pub ticket_id: i64,
    pub by: &'a Actor,
    pub detail: Detail<'a>,
}

pub enum Detail<'a> {
    None,
    /// The field changes of one action (`What::Changed` events), in order.
    Changes(Vec<&'a Event>),
    /// A reply or note (`What::MessageAdded`).
    Message(&'a Event),
}

/// What an action's events mean for webhooks, ticket by ticket: `ticket.created` for a new
/// ticket (what else the same action did to it, an auto-assignment say, is in its ticket object),
/// a `message.created` per reply or note, one `ticket.updated` listing the action's field
/// changes on a ticket it did not create, and `ticket.resolved` when it resolved one.
pub fn occurrences(events: &[Event]) -> Vec<Occurrence<'_>> {
    let mut tickets: Vec<i64> = Vec::new();
    for e in events {
        if !tickets.contains(&e.ticket_id) {
            tickets.push(e.ticket_id);
        }
    }
    let mut out = Vec::new();
    for ticket_id in tickets {
        let of_ticket: Vec<&Event> = events.iter().filter(|e| e.ticket_id == ticket_id).collect();
        let created = of_ticket
            .iter()
            .find(|e| matches!(e.what, What::Created { .. }));
        if let Some(e) = created {
            out.push(Occurrence {
                kind: EventKind::TicketCreated,
                ticket_id,
                by: &e.by,
                detail: Detail::None,
            });
        }
        for e in of_ticket
            .iter()
            .filter(|e| matches!(e.what, What::MessageAdded { .. }))
        {
            out.push(Occurrence {
                kind: EventKind::MessageCreated,
                ticket_id,
                by: &e.by,
                detail: Detail::Message(e),
            });
        }
        let changes: Vec<&Event> = of_ticket
            .iter()
            .copied()
            .filter(|e| matches!(e.what, What::Changed { .. }))
            .collect();
        if created.is_none()
            && let Some(first) = changes.first()
        {
            out.push(Occurrence {
                kind: EventKind::TicketUpdated,
                ticket_id,
                by: &first.by,
                detail: Detail::Changes(changes),
            });
        }
        if let Some(e) = of_ticket.iter().find(|e| e.what == What::Resolved) {
            out.push(Occurrence {
                kind: EventKind::TicketResolved,
                ticket_id,
                by: &e.by,
                detail: Detail::None,
            });
        }
    }
    out
}

/// A payload without its delivery id (each delivery has its own).
pub struct Body {
    pub json: Value,
    pub ticket_id: Option<i64>,
}

impl Body {
    /// The generic payload of one delivery.
    pub fn generic(&self, delivery_id: &str) -> String {
        let mut json = self.json.clone();
        if let Value::Object(map) = &mut json {
            map.insert("delivery".into(), Value::String(delivery_id.to_string()));
        }
        json.to_string()
    }
}

fn actor(by: &Actor) -> Value {
    json!({"kind": by.kind.as_str(), "name": by.name, "staff_id": by.staff_id})
}

fn head(event: &str, now: i64) -> Map<String, Value> {
    let mut map = Map::new();
    map.insert("event".into(), Value::String(event.to_string()));
    map.insert("occurred_at".into(), Value::String(iso(now)));
    map
}

/// A field's value as `{"id", "name"}`, or null (nobody assigned).
fn value(conn: &Connection, field: Field, id: Option<i64>) -> Value {
    match id {
        None => Value::Null,
        Some(id) => {
            let name = store::display_name(conn, field, Some(id)).ok().flatten();
            json!({"id": id, "name": name})
        }
    }
}

fn change(conn: &Connection, event: &Event) -> Option<Value> {
    let What::Changed { field, old, new } = &event.what else {
        return None;
    };
    Some(json!({
        "field": field.name(),
        "old": value(conn, *field, *old),
        "new": value(conn, *field, *new),
        "by": actor(&event.by),
    }))
}

fn message(event: &Event, now: i64) -> Option<Value> {
    let What::MessageAdded {
        message_id,
        kind,
        body,
    } = &event.what
    else {
        return None;
    };
    let mut cut = body.len().min(MAX_BODY_BYTES);
    while !body.is_char_boundary(cut) {
        cut -= 1;
    }
    let mut m = json!({
        "id": message_id,
        "kind": kind.as_str(),
        "author": actor(&event.by),
        "body": &body[..cut],
        "created_at": iso(now),
    });
    if cut < body.len() {
        m["truncated"] = Value::Bool(true);
    }
    Some(m)
}

/// The payload of a ticket event.
pub fn ticket_event(conn: &Connection, o: &Occurrence<'_>, now: i64) -> Result<Body> {
    let mut map = head(o.kind.name(), now);
    map.insert("actor".into(), actor(o.by));
    let ticket = ticket_object(conn, o.ticket_id)?.unwrap_or(Value::Null);
    map.insert("ticket".into(), ticket);
    match &o.detail {
        Detail::None => {}
        Detail::Changes(events) => {
            let changes = events.iter().filter_map(|e| change(conn, e)).collect();
            map.insert("changes".into(), Value::Array(changes));
        }
        Detail::Message(e) => {
            if let Some(m) = message(e, now) {
                map.insert("message".into(), m);
            }
        }
    }
    Ok(Body {
        json: Value::Object(map),
        ticket_id: Some(o.ticket_id),
    })
}

/// The payload of `sla.breached`; None when the ticket is gone.
pub fn breach(
    conn: &Connection,
    ticket_id: i64,
    target: &str,
    due_at: i64,
    now: i64,
) -> Result<Option<Body>> {
    let Some(ticket) = ticket_object(conn, ticket_id)? else {
        return Ok(None);
    };
    let mut map = head(EventKind::SlaBreached.name(), now);
    map.insert("actor".into(), actor(&Actor::escalation()));
    map.insert("ticket".into(), ticket);
    map.insert(
        "breach".into(),
        json!({"target": target, "due_at": iso(due_at)}),
    );
    Ok(Some(Body {
        json: Value::Object(map),
        ticket_id: Some(ticket_id),
    }))
}

/// The payload of "Send test event".
pub fn test(hook: &Webhook, now: i64) -> Body {
    let mut map = head(TEST_EVENT, now);
    map.insert(
        "webhook".into(),
        json!({"id": hook.id, "name": hook.name, "events": hook.events.names()}),
    );
    Body {
        json: Value::Object(map),
        ticket_id: None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::tickets::{Channel, MessageKind};

    fn event(ticket_id: i64, what: What) -> Event {
        Event {
            ticket_id,
            by: Actor::staff(7, "Gus"),
            what,
        }
    }

    fn kinds(events: &[Event]) -> Vec<(&'static str, i64)> {
        occurrences(events)
            .iter()
            .map(|o| (o.kind.name(), o.ticket_id))
            .collect()
    }

    #[test]
    fn a_new_ticket_is_one_created_event_whatever_else_its_action_did() {
        let events = [
            event(
                1,
                What::Created {
                    tracking_id: "ABC-DEF-GHJK".into(),
                    channel: Channel::Portal,
                },
            ),
            event(
                1,
                What::Changed {
                    field: Field::Assignee,
                    old: None,
                    new: Some(7),
                },
            ),
        ];
        assert_eq!(kinds(&events), [("ticket.created", 1)]);
    }

    #[test]
    fn a_reply_that_resolves_is_a_message_an_update_and_a_resolution() {
        let events = [
            event(
                2,
                What::MessageAdded {
                    message_id: 9,
                    kind: MessageKind::Staff,
                    body: "Fixed".into(),
                },
            ),
            event(
                2,
                What::Changed {
                    field: Field::Status,
                    old: Some(1),
                    new: Some(4),
                },
            ),
            event(
                2,
                What::Changed {
                    field: Field::Priority,
                    old: Some(2),
                    new: Some(3),
                },
            ),
            event(2, What::Resolved),
        ];
        assert_eq!(
            kinds(&events),
            [
                ("message.created", 2),
                ("ticket.updated", 2),
                ("ticket.resolved", 2)
            ]
        );
        let all = occurrences(&events);
        let Detail::Changes(changes) = &all[1].detail else {
            panic!("an update lists its changes");
        };
        assert_eq!(changes.len(), 2, "one update for the whole action");
    }

    #[test]
    fn a_long_message_is_cut_on_a_character_boundary() {
        let body = "é".repeat(MAX_BODY_BYTES);
        let e = event(
            3,
            What::MessageAdded {
                message_id: 1,
                kind: MessageKind::Note,
                body,
            },
        );
        let m = message(&e, 0).expect("a message");
        assert_eq!(m["truncated"], true);
        assert_eq!(m["kind"], "note");
        assert!(m["body"].as_str().expect("text").len() <= MAX_BODY_BYTES);
    }
}
