//! The ticket loop's domain: tickets, their messages, attachments and history.
//!
//! Every change of a ticket goes through one of the `actions` (open, reply, change a field,
//! resolve, reopen), called through `crate::workflow::Desk` so that notifications and whatever
//! else reacts to the `events` run in the same transaction. All SQL on tickets, messages,
//! attachments, history and the reference tables is in `store` (and the list queries in `list`,
//! the reference data in `refdata`); no other module writes these tables. Canned replies
//! (`canned`, their own table) and the placeholders their text may hold (`placeholders`) live
//! here too.

pub mod actions;
pub mod assignment;
pub mod bans;
pub mod bulk;
pub mod canned;
pub mod categories;
pub mod collision;
pub mod csat;
pub mod events;
pub mod export;
pub mod followers;
pub mod home;
pub mod json;
pub mod json_list;
pub mod links;
pub mod list;
pub mod list_columns;
mod list_query;
pub mod placeholders;
pub mod purge;
pub mod refdata;
pub mod similar;
pub mod statuses;
pub mod store;
pub mod tags;
pub mod time_spent;
pub mod uploads;
pub mod validate;

use rand::Rng;
use rand::rngs::OsRng;
use serde::{Deserialize, Serialize};

use crate::i18n::Lang;
pub use events::{Event, What};
pub use refdata::RefData;
pub use store::{
    TICKET_COLUMNS, attachment, by_requester, get, get_by_tracking_id, history, messages,
    ticket_from_row,
};
pub use uploads::Upload;

/// Alphabet for tracking IDs: no 0/O, 1/I/L look-alikes.
const TRACKING_ALPHABET: &[u8] = b"ABCDEFGHJKMNPQRSTUVWXYZ23456789";

/// A new tracking ID `XXX-XXX-XXXX` from the OS's cryptographic RNG (about 49 bits).
pub fn new_tracking_id() -> String {
    let mut out = String::with_capacity(12);
    for i in 0..10 {
        if i == 3 || i == 6 {
            out.push('-');
        }
        out.push(TRACKING_ALPHABET[OsRng.gen_range(0..TRACKING_ALPHABET.len())] as char);
    }
    out
}

/// Accepts what people type: lowercase, spaces, missing dashes; returns the canonical form.
pub fn normalize_tracking_id(input: &str) -> Option<String> {
    let chars: Vec<char> = input
        .chars()
        .filter(|c| c.is_ascii_alphanumeric())
        .map(|c| c.to_ascii_uppercase())
        .collect();
    if chars.len() != 10
        || !chars
            .iter()
            .all(|c| TRACKING_ALPHABET.contains(&(*c as u8)))
    {
        return None;
    }
    let s: String = chars.into_iter().collect();
    Some(format!("{}-{}-{}", &s[0..3], &s[3..6], &s[6..10]))
}

#[derive(Debug, Clone, Serialize, Default)]
pub struct Ticket {
    pub id: i64,
    pub tracking_id: String,
    #[serde(skip)]
    pub access_token: String,
    pub subject: String,
    pub requester_name: String,
    pub requester_email: String,
    pub category_id: i64,
    pub priority_id: i64,
    pub status_id: i64,
    pub assignee_id: Option<i64>,
    pub created_at: i64,
    pub updated_at: i64,
    pub message_count: i64,
    /// Moves whenever anything shown on the ticket's pages changes (migration 0009).
    #[serde(skip)]
    pub revision: i64,
    /// The next running service-level deadline and when less than a quarter of its target is
    /// left (kept by `crate::sla`; None: no deadline runs).
    pub sla_due_at: Option<i64>,
    pub sla_warn_at: Option<i64>,
    // Display fields, filled by RefData::decorate.
    pub status: String,
    pub status_slug: String,
    /// The status pill's colour (see `statuses::COLORS`).
    pub status_color: String,
    pub is_closed: bool,
    pub priority: String,
    pub priority_slug: String,
    pub category: String,
    pub assignee: Option<String>,
    /// Search results only: the matching text as safe HTML (see `search::highlight`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub snippet: Option<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum MessageKind {
    Requester,
    Staff,
    Note,
}

impl MessageKind {
    pub fn as_str(self) -> &'static str {
        match self {
            MessageKind::Requester => "requester",
            MessageKind::Staff => "staff",
            MessageKind::Note => "note",
        }
    }
    pub fn parse(s: &str) -> MessageKind {
        match s {
            "staff" => MessageKind::Staff,
            "note" => MessageKind::Note,
            _ => MessageKind::Requester,
        }
    }
}

#[derive(Debug, Clone, Serialize)]
pub struct AttachmentMeta {
    pub id: i64,
    pub message_id: i64,
    pub filename: String,
    pub content_type: String,
    pub size: i64,
}

#[derive(Debug, Clone, Serialize)]
pub struct Message {
    pub id: i64,
    pub kind: MessageKind,
    pub staff_id: Option<i64>,
    pub author_name: String,
    pub body: String,
    pub created_at: i64,
    pub attachments: Vec<AttachmentMeta>,
}

#[derive(Debug, Clone, Serialize)]
pub struct HistoryEntry {
    pub actor_name: String,
    /// `ActorKind::as_str`: pages mark what a rule did as such.
    pub actor_kind: String,
    pub field: String,
    /// The values' names: as they were at the change, until `RefData::label_history` puts the
    /// current ones in the viewer's language in their place.
    pub old_value: Option<String>,
    pub new_value: Option<String>,
    /// For a field change (status, priority, category, assignee): the ids of the values.
    #[serde(skip)]
    pub old_id: Option<i64>,
    #[serde(skip)]
    pub new_id: Option<i64>,
    pub created_at: i64,
}

/// What kind of party did something; kept with each history entry.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum ActorKind {
    /// The employee who asked, on the portal.
    Requester,
    /// A staff member in the desk.
    Staff,
    /// Whoever sent an email the desk imported (staff or requester, see `staff_id`).
    Email,
    /// An imported email whose From names a staff member, but which the desk could not verify
    /// came from them (`crate::mail::incoming`). Never staff: it may add an internal note and
    /// nothing else (no reply, no field change), so nothing it says reaches the requester.
    UnverifiedEmail,
    /// The desk itself (a scheduled job).
    System,
    /// An automation rule, named in `Actor::name`.
    Rule,
    /// A staff member's API token.
    Api,
}

impl ActorKind {
    pub fn as_str(self) -> &'static str {
        match self {
            ActorKind::Requester => "requester",
            ActorKind::Staff => "staff",
            ActorKind::Email => "email",
            ActorKind::UnverifiedEmail => "unverified_email",
            ActorKind::System => "system",
            ActorKind::Rule => "rule",
            ActorKind::Api => "api",
        }
    }
}

/// Who does something to a ticket. `staff_id` is set when a staff member is behind it (in the
/// desk, by email or through their API token): what staff may do, the requester may not.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Actor {
    pub kind: ActorKind,
    pub staff_id: Option<i64>,
    pub name: String,
}

impl Actor {
    pub fn requester(name: &str) -> Actor {
        Actor {
            kind: ActorKind::Requester,
            staff_id: None,
            name: name.to_string(),
        }
    }

    pub fn staff(id: i64, name: &str) -> Actor {
        Actor {
            kind: ActorKind::Staff,
            staff_id: Some(id),
            name: name.to_string(),
        }
    }

    /// The sender of an imported email: a staff member (`staff_id`) or the requester.
    pub fn email(staff_id: Option<i64>, name: &str) -> Actor {
        Actor {
            kind: ActorKind::Email,
            staff_id,
            name: name.to_string(),
        }
    }

    /// The sender of an imported email that claims to be a staff member but was not verified
    /// (see `ActorKind::UnverifiedEmail`); `name` is how it is shown, e.g. the From address.
    pub fn unverified_email(name: &str) -> Actor {
        Actor {
            kind: ActorKind::UnverifiedEmail,
            staff_id: None,
            name: name.to_string(),
        }
    }

    /// An automation rule (`crate::rules`), named as the rule is, so the history says which.
    pub fn rule(name: &str) -> Actor {
        Actor {
            kind: ActorKind::Rule,
            staff_id: None,
            name: name.to_string(),
        }
    }

    pub fn system() -> Actor {
        Actor {
            kind: ActorKind::System,
            staff_id: None,
            name: "System".to_string(),
        }
    }

    /// The desk closing a resolved ticket nobody answered (`automation::auto_close`).
    pub fn auto_close() -> Actor {
        Actor {
            kind: ActorKind::System,
            staff_id: None,
            name: "auto-close".to_string(),
        }
    }

    /// The desk handing a new ticket to an agent (`tickets::assignment`); pages show the name
    /// translated (`actor_auto-assignment`).
    pub fn auto_assignment() -> Actor {
        Actor {
            kind: ActorKind::System,
            staff_id: None,
            name: "auto-assignment".to_string(),
        }
    }

    /// The desk opening a recurring ticket (`automation::recurring`): the history names the
    /// schedule, `name`.
    pub fn recurring(name: &str) -> Actor {
        Actor {
            kind: ActorKind::System,
            staff_id: None,
            name: name.to_string(),
        }
    }

    /// The desk acting on a service-level escalation (`crate::sla::escalate`); pages show the
    /// name translated (`actor_sla-escalation`).
    pub fn escalation() -> Actor {
        Actor {
            kind: ActorKind::System,
            staff_id: None,
            name: ESCALATION_ACTOR.to_string(),
        }
    }

    pub fn is_staff(&self) -> bool {
        self.staff_id.is_some()
    }

    /// Staff, or the desk itself (a rule, auto-assignment, a scheduled job): may change any
    /// field of a ticket, where a requester may only move its status.
    pub fn works_the_desk(&self) -> bool {
        self.is_staff() || matches!(self.kind, ActorKind::System | ActorKind::Rule)
    }
}

/// The name of `Actor::escalation` in the history.
pub const ESCALATION_ACTOR: &str = "sla-escalation";

/// Where a ticket came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Channel {
    Portal,
    Staff,
    Email,
    Api,
    System,
    /// Opened by a recurring ticket's schedule (`automation::recurring`).
    Recurring,
    /// Opened from the portal's "Chat now" while an agent was online (`crate::live`).
    Chat,
}

impl Channel {
    pub fn as_str(self) -> &'static str {
        match self {
            Channel::Portal => "portal",
            Channel::Staff => "staff",
            Channel::Email => "email",
            Channel::Api => "api",
            Channel::System => "system",
            Channel::Recurring => "recurring",
            Channel::Chat => "chat",
        }
    }

    pub fn parse(s: &str) -> Option<Channel> {
        [
            Channel::Portal,
            Channel::Staff,
            Channel::Email,
            Channel::Api,
            Channel::System,
            Channel::Chat,
        ]
        .into_iter()
        .find(|c| c.as_str() == s)
    }
}

/// A ticket to open: the requester's first message and where it goes.
pub struct NewTicket {
    pub requester_name: String,
    pub requester_email: String,
    pub category_id: i64,
    pub priority_id: i64,
    pub subject: String,
    pub message: String,
    pub attachments: Vec<Upload>,
    pub channel: Channel,
    /// Set when staff assign it as they open it.
    pub assignee_id: Option<i64>,
    /// The requester's language: their mail is written in it.
    pub lang: Lang,
}

/// A field staff (or the requester, for status) can change.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Field {
    Status,
    Priority,
    Category,
    Assignee,
}

impl Field {
    pub(crate) fn column(self) -> &'static str {
        match self {
            Field::Status => "status_id",
            Field::Priority => "priority_id",
            Field::Category => "category_id",
            Field::Assignee => "assignee_id",
        }
    }
    pub fn name(self) -> &'static str {
        match self {
            Field::Status => "status",
            Field::Priority => "priority",
            Field::Category => "category",
            Field::Assignee => "assignee",
        }
    }
}

pub struct AttachmentFile {
    pub ticket_id: i64,
    pub is_note: bool,
    pub filename: String,
    pub content_type: String,
    pub data: Vec<u8>,
}
