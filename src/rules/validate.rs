//! A rule from the admin form: one field per kind of condition and action (empty = not used), so
//! the page needs no script. `validate` turns the input into a `RuleDef`, or says what is wrong
//! next to each field; `RuleInput::of` fills the form from a saved rule.

use rusqlite::Connection;
use serde::Serialize;

use super::{
    Action, By, Condition, MailTo, Match, RuleDef, Trigger, entry_words, same_name, store,
};
use crate::error::{FieldErrors, Result};
use crate::tickets::placeholders;
use crate::tickets::{Channel, RefData};

const MAX_NAME: usize = 100;
const MAX_NOTE: usize = 5_000;
const MAX_SUBJECT: usize = 200;
const MAX_ENTRIES: usize = 50;
const MAX_ENTRY: usize = 100;

/// The channels a rule can ask for (a ticket from the desk itself is none of a person's).
pub const CHANNELS: [Channel; 4] = [
    Channel::Portal,
    Channel::Email,
    Channel::Staff,
    Channel::Api,
];

/// The form's fields as typed.
#[derive(Debug, Clone, Default, Serialize)]
pub struct RuleInput {
    pub name: String,
    pub active: bool,
    /// `Trigger`: "created" or "updated".
    pub event: String,
    /// `By`: "requester", "staff" or "any".
    pub by: String,
    /// `Match`: "all" or "any".
    pub match_mode: String,
    pub channels: Vec<String>,
    /// "is" or "is_not".
    pub category_op: String,
    pub categories: Vec<String>,
    pub priorities: Vec<String>,
    pub statuses: Vec<String>,
    pub requester_email: String,
    pub requester_domain: String,
    /// Entries separated by commas or lines.
    pub subject_words: String,
    pub message_words: String,
    /// "", "yes" or "no".
    pub assigned: String,
    /// "", "yes" (within business hours) or "no" (outside them).
    pub business_hours: String,
    /// Ids, "" = leave as it is; for the assignee "none" unassigns.
    pub set_category: String,
    pub set_priority: String,
    pub set_status: String,
    pub set_assignee: String,
    pub add_note: bool,
    pub note: String,
    /// "" (no mail), "requester", "assignee", "category_agents" or "address".
    pub email_to: String,
    pub email_address: String,
    pub email_subject: String,
    pub email_body: String,
    pub stop: bool,
}

impl RuleInput {
    /// A new rule's form: on new tickets, from anyone, all conditions.
    pub fn blank() -> RuleInput {
        RuleInput {
            active: true,
            event: "created".into(),
            by: "any".into(),
            match_mode: "all".into(),
            category_op: "is".into(),
            ..RuleInput::default()
        }
    }

    /// The form for a saved rule.
    pub fn of(def: &RuleDef) -> RuleInput {
        let ids = |v: &[i64]| v.iter().map(i64::to_string).collect::<Vec<_>>();
        let mut f = RuleInput {
            name: def.name.clone(),
            active: def.active,
            event: def.event.as_str().into(),
            by: def.by.as_str().into(),
            match_mode: def.match_mode.as_str().into(),
            category_op: "is".into(),
            ..RuleInput::default()
        };
        for c in &def.conditions {
            match c {
                Condition::Channel(v) => {
                    f.channels = v.iter().map(|c| c.as_str().to_string()).collect()
                }
                Condition::CategoryIs(v) => f.categories = ids(v),
                Condition::CategoryIsNot(v) => {
                    f.categories = ids(v);
                    f.category_op = "is_not".into();
                }
                Condition::PriorityIs(v) => f.priorities = ids(v),
                Condition::StatusIs(v) => f.statuses = ids(v),
                Condition::RequesterEmail(e) => f.requester_email = e.clone(),
                Condition::RequesterDomain(d) => f.requester_domain = d.clone(),
                Condition::SubjectContains(w) => f.subject_words = w.join(", "),
                Condition::MessageContains(w) => f.message_words = w.join(", "),
                Condition::Assigned(yes) => f.assigned = if *yes { "yes" } else { "no" }.into(),
                Condition::BusinessHours(yes) => {
                    f.business_hours = if *yes { "yes" } else { "no" }.into()
                }
            }
        }
        for a in &def.actions {
            match a {
                Action::SetCategory(id) => f.set_category = id.to_string(),
                Action::SetPriority(id) => f.set_priority = id.to_string(),
                Action::SetStatus(id) => f.set_status = id.to_string(),
                Action::SetAssignee(Some(id)) => f.set_assignee = id.to_string(),
                Action::SetAssignee(None) => f.set_assignee = "none".into(),
                Action::AddNote(text) => {
                    f.add_note = true;
                    f.note = text.clone();
                }
                Action::SendEmail { to, subject, body } => {
                    f.email_to = to.as_str().into();
                    if let MailTo::Address(addr) = to {
                        f.email_address = addr.clone();
                    }
                    f.email_subject = subject.clone();
                    f.email_body = body.clone();
                }
                Action::Stop => f.stop = true,
            }
        }
        f
    }
}

/// The rule the form describes, or its problems; `except` is the rule being edited (its own name
/// is not taken). Ids must name existing rows: an action's category must be active, and its
/// assignee an active account who works that category (when the rule sets one).
pub fn validate(
    conn: &Connection,
    input: &RuleInput,
    except: Option<i64>,
) -> Result<std::result::Result<RuleDef, FieldErrors>> {
    let rd = RefData::load(conn)?;
    let mut errors = FieldErrors::new();

    let name = input.name.trim();
    let name_ok =
        (1..=MAX_NAME).contains(&name.chars().count()) && !name.contains(char::is_control);
    if !name_ok {
        errors.add("name", "admin_rule_error_name");
    } else if store::list(conn)?
        .iter()
        .any(|r| Some(r.id) != except && same_name(&r.def.name, name))
    {
        errors.add("name", "admin_rule_error_name_taken");
    }
    let event = Trigger::parse(&input.event);
    if event.is_none() {
        errors.add("event", "admin_rule_error_choice");
    }
    let by = By::parse(&input.by);
    if by.is_none() {
        errors.add("by", "admin_rule_error_choice");
    }
    let match_mode = Match::parse(&input.match_mode);
    if match_mode.is_none() {
        errors.add("match_mode", "admin_rule_error_choice");
    }

    let mut conditions = Vec::new();
    let channels: Option<Vec<Channel>> = input
        .channels
        .iter()
        .map(|c| Channel::parse(c).filter(|c| CHANNELS.contains(c)))
        .collect();
    match channels {
        None => errors.add("channels", "admin_rule_error_choice"),
        Some(c) if c.is_empty() => {}
        Some(c) => conditions.push(Condition::Channel(c)),
    }
    let categories = ids(&input.categories, |id| rd.category(id).is_some());
    let op = match input.category_op.as_str() {
        "" => "is",
        op => op,
    };
    match (categories, op) {
        (None, _) => errors.add("categories", "admin_rule_error_unknown"),
        (Some(_), op) if op != "is" && op != "is_not" => {
            errors.add("category_op", "admin_rule_error_choice")
        }
        (Some(v), _) if v.is_empty() => {}
        (Some(v), "is") => conditions.push(Condition::CategoryIs(v)),
        (Some(v), _) => conditions.push(Condition::CategoryIsNot(v)),
    }
    match ids(&input.priorities, |id| rd.priority(id).is_some()) {
        None => errors.add("priorities", "admin_rule_error_unknown"),
        Some(v) if v.is_empty() => {}
        Some(v) => conditions.push(Condition::PriorityIs(v)),
    }
    match ids(&input.statuses, |id| rd.status(id).is_some()) {
        None => errors.add("statuses", "admin_rule_error_unknown"),
        Some(v) if v.is_empty() => {}
        Some(v) => conditions.push(Condition::StatusIs(v)),
    }
    let email = input.requester_email.trim();
    if !email.is_empty() {
        if valid_email(email) {
            conditions.push(Condition::RequesterEmail(email.to_lowercase()));
        } else {
            errors.add("requester_email", "admin_rule_error_email");
        }
    }
    let domain = input.requester_domain.trim().trim_start_matches('@');
    if !domain.is_empty() {
        if valid_domain(domain) {
            conditions.push(Condition::RequesterDomain(domain.to_lowercase()));
        } else {
            errors.add("requester_domain", "admin_rule_error_domain");
        }
    }
    match entries(&input.subject_words) {
        None => errors.add("subject_words", "admin_rule_error_words"),
        Some(v) if v.is_empty() => {}
        Some(v) => conditions.push(Condition::SubjectContains(v)),
    }
    match entries(&input.message_words) {
        None => errors.add("message_words", "admin_rule_error_words"),
        Some(v) if v.is_empty() => {}
        Some(v) => conditions.push(Condition::MessageContains(v)),
    }
    match input.assigned.as_str() {
        "" => {}
        "yes" => conditions.push(Condition::Assigned(true)),
        "no" => conditions.push(Condition::Assigned(false)),
        _ => errors.add("assigned", "admin_rule_error_choice"),
    }
    match input.business_hours.as_str() {
        "" => {}
        "yes" => conditions.push(Condition::BusinessHours(true)),
        "no" => conditions.push(Condition::BusinessHours(false)),
        _ => errors.add("business_hours", "admin_rule_error_choice"),
    }

    let mut actions = Vec::new();
    let set_category = match one_id(&input.set_category) {
        Ok(None) => None,
        Ok(Some(id)) if rd.category(id).is_some_and(|c| c.active) => {
            actions.push(Action::SetCategory(id));
            Some(id)
        }
        _ => {
            errors.add("set_category", "admin_rule_error_unknown");
            None
        }
    };
    match one_id(&input.set_priority) {
        Ok(None) => {}
        Ok(Some(id)) if rd.priority(id).is_some() => actions.push(Action::SetPriority(id)),
        _ => errors.add("set_priority", "admin_rule_error_unknown"),
    }
    match one_id(&input.set_status) {
        Ok(None) => {}
        Ok(Some(id)) if rd.status(id).is_some() => actions.push(Action::SetStatus(id)),
        _ => errors.add("set_status", "admin_rule_error_unknown"),
    }
    if input.set_assignee == "none" {
        actions.push(Action::SetAssignee(None));
    } else {
        match one_id(&input.set_assignee).map(|id| id.map(|id| (id, rd.agent(id)))) {
            Ok(None) => {}
            Ok(Some((_, Some(agent)))) if !agent.active => {
                errors.add("set_assignee", "admin_rule_error_assignee_inactive")
            }
            Ok(Some((_, Some(agent)))) if set_category.is_some_and(|c| !agent.access.allows(c)) => {
                errors.add("set_assignee", "admin_rule_error_assignee_category")
            }
            Ok(Some((id, Some(_)))) => actions.push(Action::SetAssignee(Some(id))),
            _ => errors.add("set_assignee", "admin_rule_error_unknown"),
        }
    }
    if input.add_note {
        let note = input.note.trim();
        if note.is_empty() || note.chars().count() > MAX_NOTE {
            errors.add("note", "admin_rule_error_note");
        } else {
            actions.push(Action::AddNote(note.to_string()));
        }
    }
    if let Some(action) = send_email(input, &mut errors) {
        actions.push(action);
    }
    if input.stop {
        actions.push(Action::Stop);
    }
    if actions.is_empty() && errors.is_empty() {
        errors.add("actions", "admin_rule_error_no_action");
    }

    match (event, by, match_mode) {
        (Some(event), Some(by), Some(match_mode)) if errors.is_empty() => Ok(Ok(RuleDef {
            name: name.to_string(),
            active: input.active,
            event,
            by,
            match_mode,
            conditions,
            actions,
        })),
        _ => Ok(Err(errors)),
    }
}

/// The mail action, when one is asked for and its fields are right (else their errors).
fn send_email(input: &RuleInput, errors: &mut FieldErrors) -> Option<Action> {
    let to = match input.email_to.as_str() {
        "" => return None,
        "requester" => MailTo::Requester,
        "assignee" => MailTo::Assignee,
        "category_agents" => MailTo::CategoryAgents,
        "address" => {
            let addr = input.email_address.trim();
            if !valid_email(addr) {
                errors.add("email_address", "admin_rule_error_email");
                return None;
            }
            MailTo::Address(addr.to_lowercase())
        }
        _ => {
            errors.add("email_to", "admin_rule_error_choice");
            return None;
        }
    };
    let subject = input.email_subject.trim();
    let body = input.email_body.trim();
    let mut fine = true;
    if subject.is_empty() || subject.chars().count() > MAX_SUBJECT || subject.contains('\n') {
        errors.add("email_subject", "admin_rule_error_email_subject");
        fine = false;
    } else {
        fine &= placeholders::check(subject, "email_subject", errors);
    }
    if body.is_empty() || body.chars().count() > MAX_NOTE {
        errors.add("email_body", "admin_rule_error_email_body");
        fine = false;
    } else {
        fine &= placeholders::check(body, "email_body", errors);
    }
    fine.then(|| Action::SendEmail {
        to,
        subject: subject.to_string(),
        body: body.to_string(),
    })
}

/// Ids from checkboxes; `None` when one is not a number or not `known`.
fn ids(values: &[String], known: impl Fn(i64) -> bool) -> Option<Vec<i64>> {
    let mut out = Vec::new();
    for v in values {
        let id = v.trim().parse::<i64>().ok().filter(|id| known(*id))?;
        if !out.contains(&id) {
            out.push(id);
        }
    }
    Some(out)
}

/// An id from a select: `Ok(None)` when empty, `Err` when it is not a number.
fn one_id(value: &str) -> std::result::Result<Option<i64>, ()> {
    match value.trim() {
        "" => Ok(None),
        v => v.parse().map(Some).map_err(|_| ()),
    }
}

/// Entries separated by commas or line breaks, each kept as typed (trimmed); `None` when one has
/// no letter or digit, is too long, or there are too many.
fn entries(text: &str) -> Option<Vec<String>> {
    let list: Vec<String> = text
        .split([',', '\n'])
        .map(str::trim)
        .filter(|e| !e.is_empty())
        .map(str::to_string)
        .collect();
    let fine = list.len() <= MAX_ENTRIES
        && list
            .iter()
            .all(|e| e.chars().count() <= MAX_ENTRY && !entry_words(e).is_empty());
    fine.then_some(list)
}

fn valid_email(email: &str) -> bool {
    match email.split_once('@') {
        Some((local, domain)) => {
            !local.is_empty()
                && email.len() <= 254
                && !email.contains(char::is_whitespace)
                && valid_domain(domain)
        }
        None => false,
    }
}

/// Labels of letters, digits and dashes joined by dots, at least two of them.
fn valid_domain(domain: &str) -> bool {
    let labels: Vec<&str> = domain.split('.').collect();
    domain.len() <= 253
        && labels.len() >= 2
        && labels.iter().all(|l| {
            !l.is_empty()
                && !l.starts_with('-')
                && !l.ends_with('-')
                && l.chars().all(|c| c.is_alphanumeric() || c == '-')
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn entries_and_addresses() {
        assert_eq!(
            entries(" contraseña, no funciona \n\n wifi,"),
            Some(vec![
                "contraseña".into(),
                "no funciona".into(),
                "wifi".into()
            ])
        );
        assert_eq!(entries(""), Some(Vec::new()));
        assert_eq!(entries("ok, ?!"), None);
        assert!(valid_email("Ana@Office.example") && !valid_email("ana@localhost"));
        assert!(!valid_email("a b@x.example") && !valid_email("@x.example"));
        assert!(valid_domain("correo.empresa.es") && !valid_domain("x..es"));
        assert!(!valid_domain("-x.es") && !valid_domain("example"));
    }
}
