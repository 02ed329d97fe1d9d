//! Placeholders in text that staff write for requesters: canned replies today, the emails that
//! automation rules send from templates later. `{{ ticket.tracking_id }}` (spaces inside the
//! braces optional) stands for the ticket's value when the text is used.
//!
//! Deliberately not Tera: these templates are written by users, and a template language would
//! let them reach loops, filters and every value in the context. This is a strict, one-pass
//! substitution of a fixed set of names: `validate` refuses any other name (so a typo is caught
//! when the text is saved, not sent to a requester), and `render` never looks again at what it
//! put in, so a ticket subject that itself contains `{{ agent.name }}` stays as written.

use std::collections::BTreeMap;

use crate::error::FieldErrors;

use super::Ticket;

/// Every placeholder there is, in the order the forms list them.
pub const NAMES: &[&str] = &[
    "ticket.tracking_id",
    "ticket.subject",
    "ticket.status",
    "ticket.priority",
    "ticket.category",
    "ticket.url",
    "requester.name",
    "requester.email",
    "agent.name",
    "desk.name",
];

/// How much of an unknown placeholder an error message repeats.
const SHOWN_NAME_CHARS: usize = 60;

/// What is wrong with a template.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Problem {
    /// `{{ something }}` where `something` (as written, trimmed) is not in `NAMES`.
    Unknown(String),
    /// A `{{` with no `}}` after it.
    Unclosed,
}

/// One piece of a template: text to copy as it is, or a placeholder.
enum Piece<'a> {
    Text(&'a str),
    /// A known placeholder's name.
    Name(&'static str),
    /// `{{ … }}` naming nothing known: kept as written by `render`.
    Unknown {
        raw: &'a str,
        name: &'a str,
    },
    /// From an unclosed `{{` to the end.
    Unclosed(&'a str),
}

/// Splits `text` into pieces, left to right.
fn pieces(text: &str) -> Vec<Piece<'_>> {
    let mut out = Vec::new();
    let mut rest = text;
    while let Some(open) = rest.find("{{") {
        if open > 0 {
            out.push(Piece::Text(&rest[..open]));
        }
        let after = &rest[open + 2..];
        let Some(close) = after.find("}}") else {
            out.push(Piece::Unclosed(&rest[open..]));
            return out;
        };
        let name = after[..close].trim();
        let raw = &rest[open..open + 2 + close + 2];
        match NAMES.iter().find(|n| **n == name) {
            Some(known) => out.push(Piece::Name(known)),
            None => out.push(Piece::Unknown { raw, name }),
        }
        rest = &after[close + 2..];
    }
    if !rest.is_empty() {
        out.push(Piece::Text(rest));
    }
    out
}

/// Checks that every placeholder in `text` is known and closed; else every problem, each
/// unknown name once, in the order they appear.
pub fn validate(text: &str) -> Result<(), Vec<Problem>> {
    let mut problems = Vec::new();
    for piece in pieces(text) {
        let problem = match piece {
            Piece::Unknown { name, .. } => {
                Problem::Unknown(name.chars().take(SHOWN_NAME_CHARS).collect())
            }
            Piece::Unclosed(_) => Problem::Unclosed,
            Piece::Text(_) | Piece::Name(_) => continue,
        };
        if !problems.contains(&problem) {
            problems.push(problem);
        }
    }
    if problems.is_empty() {
        Ok(())
    } else {
        Err(problems)
    }
}

/// `validate` for a form: the problem goes to `errors` under `field`, as
/// `placeholder_error_unknown` (`{name}`: the unknown names, as `{{ name }}`, comma separated)
/// or `placeholder_error_unclosed`. Returns whether the text is fine.
pub fn check(text: &str, field: &'static str, errors: &mut FieldErrors) -> bool {
    let Err(problems) = validate(text) else {
        return true;
    };
    let unknown: Vec<String> = problems
        .iter()
        .filter_map(|p| match p {
            Problem::Unknown(name) => Some(format!("{{{{ {name} }}}}")),
            Problem::Unclosed => None,
        })
        .collect();
    if unknown.is_empty() {
        errors.add(field, "placeholder_error_unclosed");
    } else {
        errors.add_with(
            field,
            "placeholder_error_unknown",
            "name",
            &unknown.join(", "),
        );
    }
    false
}

/// The value of each placeholder for one use of a template.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PlaceholderValues(BTreeMap<&'static str, String>);

impl PlaceholderValues {
    pub fn new() -> PlaceholderValues {
        PlaceholderValues::default()
    }

    /// Sets one value; a name that is not a placeholder is ignored (it could never be asked for).
    pub fn set(&mut self, name: &str, value: impl Into<String>) {
        if let Some(known) = NAMES.iter().find(|n| **n == name) {
            self.0.insert(known, value.into());
        }
    }

    pub fn get(&self, name: &str) -> Option<&str> {
        self.0.get(name).map(String::as_str)
    }

    /// The values for `ticket`, whose display fields (status, priority, category) must be filled
    /// (`RefData::decorate`) in the language the text is for. `ticket.url` is the ticket's page in
    /// the portal (`base_url` without a trailing slash), without the secret link's token: the
    /// text is stored in the conversation, where every agent reads it and it can become a
    /// knowledge-base article; the requester opens that page with their tracking ID and email.
    pub fn for_ticket(
        ticket: &Ticket,
        agent_name: &str,
        desk_name: &str,
        base_url: &str,
    ) -> PlaceholderValues {
        let mut v = PlaceholderValues::new();
        v.set("ticket.tracking_id", &ticket.tracking_id);
        v.set("ticket.subject", &ticket.subject);
        v.set("ticket.status", &ticket.status);
        v.set("ticket.priority", &ticket.priority);
        v.set("ticket.category", &ticket.category);
        v.set(
            "ticket.url",
            format!(
                "{}/tickets/{}",
                base_url.trim_end_matches('/'),
                ticket.tracking_id
            ),
        );
        v.set("requester.name", &ticket.requester_name);
        v.set("requester.email", &ticket.requester_email);
        v.set("agent.name", agent_name);
        v.set("desk.name", desk_name);
        v
    }
}

/// `text` with each known placeholder replaced by its value (empty when none was set). Anything
/// `validate` would refuse is copied as written; the values are not looked into again.
pub fn render(text: &str, values: &PlaceholderValues) -> String {
    let mut out = String::with_capacity(text.len() + 64);
    for piece in pieces(text) {
        match piece {
            Piece::Text(s) | Piece::Unclosed(s) => out.push_str(s),
            Piece::Unknown { raw, .. } => out.push_str(raw),
            Piece::Name(name) => out.push_str(values.get(name).unwrap_or("")),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn values() -> PlaceholderValues {
        let ticket = Ticket {
            tracking_id: "ABC-DEF-2345".into(),
            subject: "Printer {{ agent.name }} offline".into(),
            requester_name: "Ana García".into(),
            requester_email: "ana@office.example".into(),
            status: "Resolved".into(),
            priority: "High".into(),
            category: "Hardware".into(),
            ..Ticket::default()
        };
        PlaceholderValues::for_ticket(&ticket, "Gus", "Floor 2 IT", "https://help.example.com/")
    }

    #[test]
    fn known_placeholders_with_or_without_spaces_are_valid() {
        assert_eq!(
            validate("Hi {{requester.name}}, {{ ticket.tracking_id }}"),
            Ok(())
        );
        assert_eq!(validate("{{\tdesk.name  }}"), Ok(()));
        assert_eq!(validate("no placeholders at all { } }}"), Ok(()));
        for name in NAMES {
            assert_eq!(validate(&format!("{{{{{name}}}}}")), Ok(()), "{name}");
        }
    }

    #[test]
    fn unknown_and_unclosed_placeholders_are_named() {
        assert_eq!(
            validate("Hi {{ requester.nmae }} and {{ticket.id}} and {{ requester.nmae }}"),
            Err(vec![
                Problem::Unknown("requester.nmae".into()),
                Problem::Unknown("ticket.id".into()),
            ])
        );
        // Case matters, and an empty pair names nothing.
        assert_eq!(
            validate("{{ Ticket.Subject }} {{}}"),
            Err(vec![
                Problem::Unknown("Ticket.Subject".into()),
                Problem::Unknown(String::new()),
            ])
        );
        assert_eq!(
            validate("Dear {{ requester.name }"),
            Err(vec![Problem::Unclosed])
        );
        // Template syntax is not a way in: it is an unknown name like any other.
        assert_eq!(
            validate("{{ config.smtp_url | upper }}"),
            Err(vec![Problem::Unknown("config.smtp_url | upper".into())])
        );
    }

    #[test]
    fn check_puts_the_unknown_names_next_to_the_field() {
        let mut errors = FieldErrors::new();
        assert!(!check("{{ a.b }} {{c}}", "body", &mut errors));
        let error = errors.get("body").expect("an error on body");
        assert_eq!(error.key, "placeholder_error_unknown");
        assert_eq!(error.args["name"], "{{ a.b }}, {{ c }}");
        let mut errors = FieldErrors::new();
        assert!(!check("{{ ticket.subject", "body", &mut errors));
        assert_eq!(
            errors.get("body").map(|e| e.key),
            Some("placeholder_error_unclosed")
        );
        let mut errors = FieldErrors::new();
        assert!(check("{{ ticket.subject }}", "body", &mut errors));
        assert!(errors.is_empty());
    }

    #[test]
    fn render_fills_in_every_value() {
        let text = "Hello {{requester.name}} <{{ requester.email }}>,\n\
                    ticket {{ ticket.tracking_id }} ({{ticket.category}}, {{ticket.priority}}) is \
                    {{ ticket.status }}: {{ ticket.url }}\n-- {{ agent.name }}, {{ desk.name }}";
        assert_eq!(
            render(text, &values()),
            "Hello Ana García <ana@office.example>,\n\
             ticket ABC-DEF-2345 (Hardware, High) is Resolved: \
             https://help.example.com/tickets/ABC-DEF-2345\n-- Gus, Floor 2 IT"
        );
    }

    #[test]
    fn render_does_not_look_into_the_values_it_puts_in() {
        assert_eq!(
            render("Re: {{ ticket.subject }}", &values()),
            "Re: Printer {{ agent.name }} offline"
        );
    }

    #[test]
    fn render_keeps_what_validate_refuses_as_written() {
        assert_eq!(
            render("{{ nope }} {{agent.name}} {{ open", &values()),
            "{{ nope }} Gus {{ open"
        );
        assert_eq!(render("", &values()), "");
        // A value never set renders empty.
        assert_eq!(render("[{{ desk.name }}]", &PlaceholderValues::new()), "[]");
    }
}
