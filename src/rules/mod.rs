//! Automation rules (Admin > Rules): when a ticket is created or updated, each active rule, in
//! order, whose conditions hold changes the ticket through the same ticket actions a person uses,
//! as an actor of kind `Rule` named like the rule, so the history says which rule did what.
//!
//! - `store`: the `rules` table (migration 0020).
//! - `validate`: a rule from the admin form, or the form's problems next to each field.
//! - `run`: the reaction `workflow::Desk` runs after every ticket action, with the loop guard.
//!
//! Conditions and actions are serde enums stored as JSON, so a new kind is a variant here, its
//! check in `Condition::holds` (or its step in `run`) and its field in the form; the business
//! hours condition and the "send an email" action are meant to come in that way.

pub mod run;
pub mod store;
pub mod validate;

use std::cell::OnceCell;
use std::sync::{Arc, Mutex};

use rusqlite::Connection;
use serde::{Deserialize, Serialize};

use crate::error::Result;
use crate::search::{fold, folded_words};
use crate::tickets::{Actor, ActorKind, Channel, Ticket};

/// The change a rule waits for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Trigger {
    /// A new ticket, from any channel.
    Created,
    /// Anything else that happens to a ticket: a reply or note, a field change, resolving,
    /// reopening.
    Updated,
}

/// Whose change a rule answers.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum By {
    /// The requester, on the portal or by email.
    Requester,
    /// A staff member, in the desk, by email or through the API.
    Staff,
    /// Anyone, including the desk itself and other rules.
    Any,
}

/// Whether every condition must hold, or one is enough.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Match {
    All,
    Any,
}

/// One thing a rule checks about the ticket. Lists hold when the ticket's value is any of them.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Condition {
    /// The channel the ticket came in through.
    Channel(Vec<Channel>),
    CategoryIs(Vec<i64>),
    CategoryIsNot(Vec<i64>),
    PriorityIs(Vec<i64>),
    StatusIs(Vec<i64>),
    /// The requester's address, without regard to case.
    RequesterEmail(String),
    /// The part of the requester's address after the `@`, without regard to case.
    RequesterDomain(String),
    /// Any of these entries appears in the subject as whole words (see `contains`).
    SubjectContains(Vec<String>),
    /// Any of these entries appears in the message: the first one for a new ticket, the reply or
    /// note just added for an update (an update without a message has none).
    MessageContains(Vec<String>),
    /// Whether the ticket has an assignee.
    Assigned(bool),
    /// Whether the change happens within the desk's business hours (`desk_time`).
    BusinessHours(bool),
}

/// One thing a rule does, in order.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Action {
    SetCategory(i64),
    SetPriority(i64),
    SetStatus(i64),
    /// `None` unassigns.
    SetAssignee(Option<i64>),
    /// An internal note with this text.
    AddNote(String),
    /// A mail from the rule's template (placeholders filled from the ticket, see
    /// `tickets::placeholders`), queued with the change.
    SendEmail {
        to: MailTo,
        subject: String,
        body: String,
    },
    /// No later rule runs for this change.
    Stop,
}

/// Who a rule's mail goes to.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum MailTo {
    Requester,
    /// Nobody while the ticket has no assignee.
    Assignee,
    /// The category's agents (every staff member who works it, when it has none).
    CategoryAgents,
    Address(String),
}

impl MailTo {
    pub fn as_str(&self) -> &'static str {
        match self {
            MailTo::Requester => "requester",
            MailTo::Assignee => "assignee",
            MailTo::CategoryAgents => "category_agents",
            MailTo::Address(_) => "address",
        }
    }
}

impl Action {
    /// A short name for logs and Admin > Rules (`admin_rule_action_<code>` in the catalog).
    pub fn code(&self) -> &'static str {
        match self {
            Action::SetCategory(_) => "set_category",
            Action::SetPriority(_) => "set_priority",
            Action::SetStatus(_) => "set_status",
            Action::SetAssignee(_) => "set_assignee",
            Action::AddNote(_) => "add_note",
            Action::SendEmail { .. } => "send_email",
            Action::Stop => "stop",
        }
    }
}

/// What a rule is, as the admin saved it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct RuleDef {
    pub name: String,
    pub active: bool,
    pub event: Trigger,
    pub by: By,
    pub match_mode: Match,
    pub conditions: Vec<Condition>,
    pub actions: Vec<Action>,
}

/// An action a rule could not carry out the last time it tried (it was skipped).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct RuleFailure {
    pub action: String,
    pub detail: String,
    pub ticket_id: Option<i64>,
    pub at: i64,
}

/// A stored rule.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Rule {
    pub id: i64,
    pub position: i64,
    pub def: RuleDef,
    pub last_failure: Option<RuleFailure>,
}

/// Who made the change rules look at.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Who {
    Requester,
    Staff,
    /// The desk itself, an unverified email, or a rule.
    Other,
}

impl Who {
    pub fn of(actor: &Actor) -> Who {
        if actor.is_staff() {
            return Who::Staff;
        }
        match actor.kind {
            // Without a staff member behind it, an imported email is the requester's.
            ActorKind::Requester | ActorKind::Email => Who::Requester,
            _ => Who::Other,
        }
    }
}

impl By {
    pub fn admits(self, who: Who) -> bool {
        match self {
            By::Any => true,
            By::Requester => who == Who::Requester,
            By::Staff => who == Who::Staff,
        }
    }
}

/// Text a condition looks for words in, split into folded words only when one does.
#[derive(Debug)]
pub struct Text {
    raw: String,
    words: OnceCell<Vec<String>>,
}

impl Text {
    pub fn new(raw: String) -> Text {
        Text {
            raw,
            words: OnceCell::new(),
        }
    }

    fn words(&self) -> &[String] {
        self.words.get_or_init(|| folded_words(&self.raw))
    }
}

/// What the conditions are checked against: the ticket as it is now (after the change, and after
/// the earlier rules' changes) and the message that came with the change.
#[derive(Debug)]
pub struct Facts {
    pub channel: Channel,
    pub category_id: i64,
    pub priority_id: i64,
    pub status_id: i64,
    pub assignee_id: Option<i64>,
    pub requester_email: String,
    pub subject: Text,
    pub message: Option<Text>,
    /// Whether the change falls within business hours (only worked out when a rule asks).
    pub business_hours: bool,
}

impl Facts {
    pub fn new(ticket: &Ticket, channel: Channel, message: Option<String>) -> Facts {
        Facts {
            channel,
            category_id: ticket.category_id,
            priority_id: ticket.priority_id,
            status_id: ticket.status_id,
            assignee_id: ticket.assignee_id,
            requester_email: ticket.requester_email.to_lowercase(),
            subject: Text::new(ticket.subject.clone()),
            message: message.map(Text::new),
            business_hours: false,
        }
    }
}

/// A rule ready to be checked often: its words folded once, as the ticket's text will be.
#[derive(Debug, Clone)]
pub struct Compiled {
    pub id: i64,
    pub name: String,
    pub event: Trigger,
    pub by: By,
    pub match_mode: Match,
    pub conditions: Vec<Condition>,
    pub actions: Vec<Action>,
}

impl Compiled {
    pub fn new(rule: &Rule) -> Compiled {
        let fold_all = |entries: &[String]| -> Vec<String> {
            entries
                .iter()
                .map(|e| folded_words(e).join(" "))
                .filter(|e| !e.is_empty())
                .collect()
        };
        let conditions = rule
            .def
            .conditions
            .iter()
            .map(|c| match c {
                Condition::SubjectContains(w) => Condition::SubjectContains(fold_all(w)),
                Condition::MessageContains(w) => Condition::MessageContains(fold_all(w)),
                Condition::RequesterEmail(e) => Condition::RequesterEmail(e.to_lowercase()),
                Condition::RequesterDomain(d) => Condition::RequesterDomain(d.to_lowercase()),
                other => other.clone(),
            })
            .collect();
        Compiled {
            id: rule.id,
            name: rule.def.name.clone(),
            event: rule.def.event,
            by: rule.def.by,
            match_mode: rule.def.match_mode,
            conditions,
            actions: rule.def.actions.clone(),
        }
    }

    /// Whether the conditions hold (a rule without conditions matches every ticket).
    pub fn matches(&self, facts: &Facts) -> bool {
        if self.conditions.is_empty() {
            return true;
        }
        let mut each = self.conditions.iter().map(|c| c.holds(facts));
        match self.match_mode {
            Match::All => each.all(|held| held),
            Match::Any => each.any(|held| held),
        }
    }

    pub fn looks_at_message(&self) -> bool {
        self.conditions
            .iter()
            .any(|c| matches!(c, Condition::MessageContains(_)))
    }

    pub fn looks_at_business_hours(&self) -> bool {
        self.conditions
            .iter()
            .any(|c| matches!(c, Condition::BusinessHours(_)))
    }

    pub fn stops(&self) -> bool {
        self.actions.contains(&Action::Stop)
    }
}

impl Condition {
    /// Whether it holds; the words, email and domain must be as `Compiled::new` left them.
    fn holds(&self, f: &Facts) -> bool {
        match self {
            Condition::Channel(any) => any.contains(&f.channel),
            Condition::CategoryIs(any) => any.contains(&f.category_id),
            Condition::CategoryIsNot(none) => !none.contains(&f.category_id),
            Condition::PriorityIs(any) => any.contains(&f.priority_id),
            Condition::StatusIs(any) => any.contains(&f.status_id),
            Condition::RequesterEmail(email) => f.requester_email == *email,
            Condition::RequesterDomain(domain) => f
                .requester_email
                .rsplit_once('@')
                .is_some_and(|(_, d)| d == domain),
            Condition::SubjectContains(entries) => contains(f.subject.words(), entries),
            Condition::MessageContains(entries) => f
                .message
                .as_ref()
                .is_some_and(|m| contains(m.words(), entries)),
            Condition::Assigned(yes) => f.assignee_id.is_some() == *yes,
            Condition::BusinessHours(yes) => f.business_hours == *yes,
        }
    }
}

/// Whether any entry (folded words joined by one space) appears in `words` as whole words in that
/// order: "contrasena" finds "la contraseña caducó" but not "contraseñas"; "no funciona" finds
/// "ya NO funciona" but not "no, ahora funciona".
fn contains(words: &[String], entries: &[String]) -> bool {
    entries.iter().any(|entry| {
        let len = entry.split(' ').count();
        words
            .windows(len)
            .any(|w| w.iter().map(String::as_str).eq(entry.split(' ')))
    })
}

/// The words of a form's entry as they will be compared (empty when it has none).
pub fn entry_words(entry: &str) -> String {
    folded_words(entry).join(" ")
}

/// Whether two names are the same to a person (rule names are unique that way).
pub fn same_name(a: &str, b: &str) -> bool {
    fold(a.trim()) == fold(b.trim())
}

/// The active rules in order, compiled. Kept in memory per database file and reloaded only when
/// `rules_revision` moved (any change to a rule's definition, from any process), so a ticket
/// change costs one small read here however many rules there are.
pub fn active(conn: &Connection) -> Result<Arc<Vec<Compiled>>> {
    struct Kept {
        path: String,
        revision: i64,
        rules: Arc<Vec<Compiled>>,
    }
    // A few files at most in a server; the test suite opens many, so it stays bounded.
    const MAX_FILES: usize = 16;
    static KEPT: Mutex<Vec<Kept>> = Mutex::new(Vec::new());

    let revision = store::revision(conn)?;
    let path = conn.path().unwrap_or("").to_string();
    let load = || -> Result<Arc<Vec<Compiled>>> {
        Ok(Arc::new(
            store::load_active(conn)?
                .iter()
                .map(Compiled::new)
                .collect(),
        ))
    };
    if path.is_empty() {
        // An in-memory database has no name to keep its rules under.
        return load();
    }
    {
        let kept = KEPT.lock().unwrap_or_else(|p| p.into_inner());
        if let Some(k) = kept
            .iter()
            .find(|k| k.path == path && k.revision == revision)
        {
            return Ok(k.rules.clone());
        }
    }
    let rules = load()?;
    let mut kept = KEPT.lock().unwrap_or_else(|p| p.into_inner());
    kept.retain(|k| k.path != path);
    if kept.len() >= MAX_FILES {
        kept.remove(0);
    }
    kept.push(Kept {
        path,
        revision,
        rules: rules.clone(),
    });
    Ok(rules)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rule(match_mode: Match, conditions: Vec<Condition>) -> Compiled {
        Compiled::new(&Rule {
            id: 1,
            position: 10,
            def: RuleDef {
                name: "r".into(),
                active: true,
                event: Trigger::Created,
                by: By::Any,
                match_mode,
                conditions,
                actions: vec![Action::Stop],
            },
            last_failure: None,
        })
    }

    fn facts(subject: &str, message: Option<&str>) -> Facts {
        let ticket = Ticket {
            subject: subject.into(),
            requester_email: "Ana@Office.Example".into(),
            category_id: 2,
            priority_id: 1,
            status_id: 1,
            ..Ticket::default()
        };
        Facts::new(&ticket, Channel::Portal, message.map(str::to_string))
    }

    #[test]
    fn words_match_whole_without_accents_or_case() {
        let r = rule(
            Match::All,
            vec![Condition::MessageContains(vec!["contrasena".into()])],
        );
        assert!(r.matches(&facts("x", Some("No puedo entrar, la contraseña caducó"))));
        assert!(r.matches(&facts("x", Some("CONTRASEÑA"))));
        assert!(!r.matches(&facts("x", Some("mis contraseñas"))));
        assert!(!r.matches(&facts("contraseña", None)), "no message");
        let accented = rule(
            Match::All,
            vec![Condition::SubjectContains(vec!["Impresión".into()])],
        );
        assert!(accented.matches(&facts("la IMPRESION falla", None)));
    }

    #[test]
    fn an_entry_of_several_words_matches_them_in_order() {
        let r = rule(
            Match::All,
            vec![Condition::SubjectContains(vec![
                "no funciona".into(),
                "roto".into(),
            ])],
        );
        assert!(r.matches(&facts("Ya NO funciona!", None)));
        assert!(r.matches(&facts("Está roto", None)));
        assert!(!r.matches(&facts("no, ahora funciona", None)));
    }

    #[test]
    fn all_of_and_any_of() {
        let conditions = vec![
            Condition::RequesterDomain("office.example".into()),
            Condition::CategoryIs(vec![9]),
        ];
        let all = rule(Match::All, conditions.clone());
        let any = rule(Match::Any, conditions);
        assert!(!all.matches(&facts("x", None)));
        assert!(any.matches(&facts("x", None)));
        assert!(rule(Match::Any, Vec::new()).matches(&facts("x", None)));
        let email = rule(
            Match::All,
            vec![
                Condition::RequesterEmail("ANA@office.example".into()),
                Condition::Assigned(false),
                Condition::CategoryIsNot(vec![3]),
                Condition::Channel(vec![Channel::Portal]),
            ],
        );
        assert!(email.matches(&facts("x", None)));
    }

    #[test]
    fn conditions_and_actions_are_stored_as_plain_json() {
        let json = serde_json::to_string(&vec![
            Condition::Channel(vec![Channel::Email]),
            Condition::Assigned(true),
        ])
        .unwrap();
        assert_eq!(json, r#"[{"channel":["email"]},{"assigned":true}]"#);
        let actions: Vec<Action> =
            serde_json::from_str(r#"[{"set_assignee":null},{"add_note":"hi"},"stop"]"#).unwrap();
        assert_eq!(
            actions,
            vec![
                Action::SetAssignee(None),
                Action::AddNote("hi".into()),
                Action::Stop
            ]
        );
    }
}
