//! Webhooks: ticket events POSTed as JSON to the URLs an admin set up (Admin > Webhooks), each
//! signed with the webhook's secret (`signature`), in the desk's own format or a chat service's
//! message (`presets`).
//!
//! An event is queued (`store::queue`, a row of `webhook_deliveries`) in the transaction of the
//! change that caused it: `react`, a reaction of `workflow::Desk`, for ticket events, and
//! `sla_breached`, called by the `sla_escalate` job, for breaches. So a change and its deliveries
//! are committed together or not at all. The `webhook_deliver` job (`deliver`) sends them, never a
//! request's thread: each webhook's in order, oldest first, retried with back-off for 24 hours.

pub mod deliver;
mod payload;
pub mod presets;
pub mod signature;
pub mod store;
pub mod validate;

use rusqlite::Connection;
use serde::Serialize;

use crate::error::Result;
use crate::tickets::Event;

/// The events a webhook can receive, by the name it goes out under (`X-Helpdesk-Event`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub enum EventKind {
    TicketCreated,
    TicketUpdated,
    MessageCreated,
    TicketResolved,
    SlaBreached,
}

impl EventKind {
    pub const ALL: [EventKind; 5] = [
        EventKind::TicketCreated,
        EventKind::TicketUpdated,
        EventKind::MessageCreated,
        EventKind::TicketResolved,
        EventKind::SlaBreached,
    ];

    pub fn name(self) -> &'static str {
        match self {
            EventKind::TicketCreated => "ticket.created",
            EventKind::TicketUpdated => "ticket.updated",
            EventKind::MessageCreated => "message.created",
            EventKind::TicketResolved => "ticket.resolved",
            EventKind::SlaBreached => "sla.breached",
        }
    }

    pub fn parse(name: &str) -> Option<EventKind> {
        EventKind::ALL.into_iter().find(|k| k.name() == name)
    }

    fn bit(self) -> u8 {
        1 << (self as u8)
    }
}

/// What "Send test event" sends; no webhook subscribes to it, every webhook can be sent one.
pub const TEST_EVENT: &str = "webhook.test";

/// A set of events.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Events(u8);

impl Events {
    pub const NONE: Events = Events(0);

    pub fn with(self, kind: EventKind) -> Events {
        Events(self.0 | kind.bit())
    }

    pub fn union(self, other: Events) -> Events {
        Events(self.0 | other.0)
    }

    pub fn contains(self, kind: EventKind) -> bool {
        self.0 & kind.bit() != 0
    }

    pub fn is_empty(self) -> bool {
        self.0 == 0
    }

    pub fn kinds(self) -> impl Iterator<Item = EventKind> {
        EventKind::ALL
            .into_iter()
            .filter(move |k| self.contains(*k))
    }

    pub fn names(self) -> Vec<&'static str> {
        self.kinds().map(EventKind::name).collect()
    }

    /// As stored: the names, comma-separated.
    pub fn stored(self) -> String {
        self.names().join(",")
    }

    /// From the stored form; unknown names (from a later version) are left out.
    pub fn from_stored(s: &str) -> Events {
        s.split(',')
            .filter_map(|n| EventKind::parse(n.trim()))
            .fold(Events::NONE, Events::with)
    }
}

/// The format of a webhook's body: the desk's own JSON, or a chat service's message.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Preset {
    Generic,
    Slack,
    Teams,
    Mattermost,
    Discord,
    Ntfy,
}

impl Preset {
    pub const ALL: [Preset; 6] = [
        Preset::Generic,
        Preset::Slack,
        Preset::Teams,
        Preset::Mattermost,
        Preset::Discord,
        Preset::Ntfy,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Preset::Generic => "generic",
            Preset::Slack => "slack",
            Preset::Teams => "teams",
            Preset::Mattermost => "mattermost",
            Preset::Discord => "discord",
            Preset::Ntfy => "ntfy",
        }
    }

    pub fn parse(s: &str) -> Option<Preset> {
        Preset::ALL.into_iter().find(|p| p.as_str() == s)
    }
}

/// A webhook as stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Webhook {
    pub id: i64,
    pub name: String,
    pub url: String,
    pub secret: String,
    pub events: Events,
    pub preset: Preset,
    pub active: bool,
    pub created_at: i64,
    pub updated_at: i64,
}

/// How long a delivery is retried after it was queued (or redelivered) before it fails.
pub const RETRY_WINDOW_SECS: i64 = 24 * 3600;

/// The reaction to a ticket action's events (called by `workflow::Desk`, in its transaction):
/// queues one delivery per event and active webhook that wants it. With no active webhook it
/// costs one small read.
pub fn react(conn: &Connection, events: &[Event], now: i64, base_url: &str) -> Result<()> {
    if events.is_empty() {
        return Ok(());
    }
    let hooks = store::subscribers(conn)?;
    let wanted = hooks
        .iter()
        .fold(Events::NONE, |all, h| all.union(h.events));
    if wanted.is_empty() {
        return Ok(());
    }
    for occurrence in payload::occurrences(events) {
        if wanted.contains(occurrence.kind) {
            let body = payload::ticket_event(conn, &occurrence, now)?;
            fan_out(conn, &hooks, occurrence.kind, &body, now, base_url)?;
        }
    }
    Ok(())
}

/// A service-level target of ticket `ticket_id` was breached (due at `due_at`): queues
/// `sla.breached` for the webhooks that want it. Called by the `sla_escalate` job, in the
/// transaction that records the breach, once per ticket and target.
pub fn sla_breached(
    conn: &Connection,
    ticket_id: i64,
    target: &str,
    due_at: i64,
    now: i64,
    base_url: &str,
) -> Result<()> {
    let hooks = store::subscribers(conn)?;
    if !hooks
        .iter()
        .any(|h| h.events.contains(EventKind::SlaBreached))
    {
        return Ok(());
    }
    let Some(body) = payload::breach(conn, ticket_id, target, due_at, now)? else {
        return Ok(());
    };
    fan_out(conn, &hooks, EventKind::SlaBreached, &body, now, base_url)
}

/// Queues a test delivery to webhook `id`, whatever its events; returns its delivery id.
pub fn queue_test(conn: &Connection, hook: &Webhook, now: i64, base_url: &str) -> Result<String> {
    let body = payload::test(hook, now);
    let delivery_id = new_delivery_id();
    let payload = render(hook.preset, &body, &delivery_id, base_url, &hook.url);
    store::queue(
        conn,
        &store::NewDelivery {
            webhook_id: hook.id,
            delivery_id: &delivery_id,
            event: TEST_EVENT,
            ticket_id: None,
            payload: &payload,
            now,
        },
    )?;
    Ok(delivery_id)
}

/// Queues `body` (the generic payload, without its delivery id) for every webhook that wants
/// `kind`, each in its own format.
fn fan_out(
    conn: &Connection,
    hooks: &[store::Subscriber],
    kind: EventKind,
    body: &payload::Body,
    now: i64,
    base_url: &str,
) -> Result<()> {
    for hook in hooks.iter().filter(|h| h.events.contains(kind)) {
        let delivery_id = new_delivery_id();
        let payload = render(hook.preset, body, &delivery_id, base_url, &hook.url);
        store::queue(
            conn,
            &store::NewDelivery {
                webhook_id: hook.id,
                delivery_id: &delivery_id,
                event: kind.name(),
                ticket_id: body.ticket_id,
                payload: &payload,
                now,
            },
        )?;
    }
    Ok(())
}

/// The body a webhook of `preset` is sent.
fn render(
    preset: Preset,
    body: &payload::Body,
    delivery_id: &str,
    base_url: &str,
    hook_url: &str,
) -> String {
    match preset {
        Preset::Generic => body.generic(delivery_id),
        chat => presets::render(chat, &body.json, base_url, hook_url),
    }
}

/// A random delivery id in the form of a UUID (version 4), unique across backups and restores.
pub fn new_delivery_id() -> String {
    let hex = crate::util::random_hex(16);
    // The version (4) and variant (10xx) bits, as RFC 9562 has them.
    let variant = ["8", "9", "a", "b"][usize::from(hex.as_bytes()[16] % 4)];
    format!(
        "{}-{}-4{}-{}{}-{}",
        &hex[0..8],
        &hex[8..12],
        &hex[13..16],
        variant,
        &hex[17..20],
        &hex[20..32]
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn events_round_trip_through_their_stored_form() {
        let events = Events::NONE
            .with(EventKind::TicketCreated)
            .with(EventKind::SlaBreached);
        assert_eq!(events.stored(), "ticket.created,sla.breached");
        assert_eq!(Events::from_stored(&events.stored()), events);
        assert_eq!(
            Events::from_stored("message.created, ticket.gone"),
            Events::NONE.with(EventKind::MessageCreated),
            "an unknown name is left out"
        );
        assert!(Events::from_stored("").is_empty());
    }

    #[test]
    fn delivery_ids_look_like_uuids_and_differ() {
        let a = new_delivery_id();
        let b = new_delivery_id();
        assert_ne!(a, b);
        let parts: Vec<&str> = a.split('-').collect();
        assert_eq!(
            parts.iter().map(|p| p.len()).collect::<Vec<_>>(),
            [8, 4, 4, 4, 12]
        );
        assert!(parts[2].starts_with('4'));
        assert!("89ab".contains(&parts[3][..1]));
    }
}
