//! What the staff ticket page shows of its history and its one form's fields.
//!
//! History: one entry per action. Every row a ticket action writes carries the action's moment
//! and actor, so rows in a row with the same moment and actor are one action, e.g. a reply sent
//! with a new priority and status (`ticket_update`); the message such an action added is named
//! in its entry, with a link to it.

use serde::Serialize;
use serde_json::{Value, json};

use crate::tickets::{HistoryEntry, Message, MessageKind, Ticket};

/// One action in the ticket's history.
#[derive(Debug, Serialize)]
pub struct HistoryGroup<'a> {
    pub created_at: i64,
    pub actor_name: &'a str,
    pub actor_kind: &'a str,
    pub entries: Vec<&'a HistoryEntry>,
    /// The reply or note written in the same action: its id and kind ("staff", "note").
    pub message: Option<(i64, &'static str)>,
}

pub fn group<'a>(events: &'a [HistoryEntry], messages: &[Message]) -> Vec<HistoryGroup<'a>> {
    let mut groups: Vec<HistoryGroup<'a>> = Vec::new();
    for e in events {
        match groups.last_mut() {
            Some(g)
                if g.created_at == e.created_at
                    && g.actor_kind == e.actor_kind
                    && g.actor_name == e.actor_name =>
            {
                g.entries.push(e);
            }
            _ => groups.push(HistoryGroup {
                created_at: e.created_at,
                actor_name: &e.actor_name,
                actor_kind: &e.actor_kind,
                entries: vec![e],
                message: None,
            }),
        }
    }
    for g in &mut groups {
        if g.actor_kind != "staff" || g.entries.iter().any(|e| e.field == "created") {
            continue;
        }
        g.message = messages
            .iter()
            .find(|m| {
                m.created_at == g.created_at
                    && m.author_name == g.actor_name
                    && matches!(m.kind, MessageKind::Staff | MessageKind::Note)
            })
            .map(|m| (m.id, m.kind.as_str()));
    }
    groups
}

/// The fields' values the form shows (`chosen`: a refused form's choices, else the ticket's) and
/// the values the agent first saw (`was`: kept through refusals, so a change stays a change).
/// Both as strings, as a form sends them; an unassigned ticket's assignee is "".
pub fn chosen_and_seen(ticket: &Ticket, form: &Value) -> (Value, Value) {
    let current = json!({
        "status": ticket.status_id.to_string(),
        "priority": ticket.priority_id.to_string(),
        "category": ticket.category_id.to_string(),
        "assignee": ticket.assignee_id.map(|a| a.to_string()).unwrap_or_default(),
    });
    let pick = |from: &str| {
        let mut values = current.clone();
        if let (Some(given), Value::Object(into)) = (form.get(from), &mut values) {
            for (name, value) in into.iter_mut() {
                if let Some(v) = given.get(name.as_str()).and_then(Value::as_str) {
                    *value = json!(v);
                }
            }
        }
        values
    };
    (pick("chosen"), pick("was"))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entry(who: &str, kind: &str, field: &str, at: i64) -> HistoryEntry {
        HistoryEntry {
            actor_name: who.into(),
            actor_kind: kind.into(),
            field: field.into(),
            old_value: None,
            new_value: None,
            old_id: None,
            new_id: None,
            created_at: at,
        }
    }

    fn message(id: i64, who: &str, kind: MessageKind, at: i64) -> Message {
        Message {
            id,
            kind,
            staff_id: Some(1),
            author_name: who.into(),
            body: String::new(),
            created_at: at,
            attachments: Vec::new(),
        }
    }

    #[test]
    fn one_action_is_one_entry_with_its_message() {
        let events = [
            entry("Ana", "requester", "created", 10),
            entry("Gus", "staff", "priority", 20),
            entry("Gus", "staff", "status", 20),
            entry("Rule", "rule", "assignee", 20),
            entry("Gus", "staff", "category", 30),
        ];
        let messages = [
            message(1, "Ana", MessageKind::Requester, 10),
            message(2, "Gus", MessageKind::Staff, 20),
        ];
        let groups = group(&events, &messages);
        let sizes: Vec<_> = groups.iter().map(|g| g.entries.len()).collect();
        assert_eq!(sizes, [1, 2, 1, 1]);
        assert_eq!(groups[1].message, Some((2, "staff")));
        assert_eq!(
            groups[0].message, None,
            "the ticket's opening names no reply"
        );
        assert_eq!(groups[2].message, None, "a rule's change is its own entry");
        assert_eq!(groups[3].message, None, "a change alone");
    }
}
