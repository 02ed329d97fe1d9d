//! The mail templates (`templates/mail/`): for each kind of notification and language a plain
//! text part (`NAME.LANG.txt`, not escaped) and an HTML part (`NAME.LANG.html`, escaped by Tera
//! and laid out by `mail/base.html`).

use std::sync::LazyLock;

use tera::Tera;

use crate::error::{Error, Result};
use crate::i18n::Lang;
use crate::i18n::templates::Templates;

/// The kinds of notification.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// To the requester: tracking ID and secret link.
    TicketCreated,
    /// To the requester: a staff reply.
    StaffReplied,
    /// To the requester: resolved, with a reopen link.
    TicketResolved,
    /// To agents: a new ticket in their category.
    NewTicket,
    /// To the assignee (or the category's agents): the requester answered.
    RequesterReplied,
    /// To an agent: a ticket was assigned to them.
    Assigned,
    /// To the requester: a resolved ticket closed by itself after days without a reply.
    TicketClosed,
    /// An automation rule's mail to the requester or an outside address (its own subject).
    RuleToRequester,
    /// An automation rule's mail to staff (its own subject).
    RuleToStaff,
    /// To staff: a service-level target of the ticket is running out (an escalation step).
    SlaWarning,
    /// To staff: a service-level target of the ticket is breached (an escalation step).
    SlaBreached,
    /// To a staff member following the ticket: what someone else changed or wrote.
    FollowerUpdate,
    /// To a staff member named with `@handle` in an internal note.
    Mentioned,
    /// To the requester of a ticket merged into another: where it goes on.
    TicketMerged,
}

pub const KINDS: [Kind; 14] = [
    Kind::TicketCreated,
    Kind::StaffReplied,
    Kind::TicketResolved,
    Kind::NewTicket,
    Kind::RequesterReplied,
    Kind::Assigned,
    Kind::TicketClosed,
    Kind::RuleToRequester,
    Kind::RuleToStaff,
    Kind::SlaWarning,
    Kind::SlaBreached,
    Kind::FollowerUpdate,
    Kind::Mentioned,
    Kind::TicketMerged,
];

impl Kind {
    pub fn name(self) -> &'static str {
        match self {
            Kind::TicketCreated => "ticket_created",
            Kind::StaffReplied => "staff_replied",
            Kind::TicketResolved => "ticket_resolved",
            Kind::NewTicket => "new_ticket",
            Kind::RequesterReplied => "requester_replied",
            Kind::Assigned => "assigned",
            Kind::TicketClosed => "ticket_closed",
            Kind::RuleToRequester | Kind::RuleToStaff => "rule_mail",
            Kind::SlaWarning => "sla_warning",
            Kind::SlaBreached => "sla_breached",
            Kind::FollowerUpdate => "follower_update",
            Kind::Mentioned => "mentioned",
            Kind::TicketMerged => "ticket_merged",
        }
    }

    /// Staff mail links to the agent desk; requester mail to the secret link.
    pub fn to_staff(self) -> bool {
        matches!(
            self,
            Kind::NewTicket
                | Kind::RequesterReplied
                | Kind::Assigned
                | Kind::RuleToStaff
                | Kind::SlaWarning
                | Kind::SlaBreached
                | Kind::FollowerUpdate
                | Kind::Mentioned
        )
    }

    /// The subject after the `[#TRACKING-ID]` prefix.
    pub fn subject(self, lang: Lang, ticket_subject: &str) -> String {
        let lead = match (self, lang) {
            (Kind::TicketCreated, Lang::En) => "Request received",
            (Kind::TicketCreated, Lang::Es) => "Solicitud recibida",
            (Kind::StaffReplied, Lang::En) => "New reply",
            (Kind::StaffReplied, Lang::Es) => "Nueva respuesta",
            (Kind::TicketResolved, Lang::En) => "Resolved",
            (Kind::TicketResolved, Lang::Es) => "Resuelta",
            (Kind::NewTicket, Lang::En) => "New ticket",
            (Kind::NewTicket, Lang::Es) => "Nuevo ticket",
            (Kind::RequesterReplied, Lang::En) => "Requester replied",
            (Kind::RequesterReplied, Lang::Es) => "Respuesta del solicitante",
            (Kind::Assigned, Lang::En) => "Assigned to you",
            (Kind::Assigned, Lang::Es) => "Asignado a usted",
            (Kind::TicketClosed, Lang::En) => "Closed",
            (Kind::TicketClosed, Lang::Es) => "Cerrada",
            (Kind::SlaWarning, Lang::En) => "SLA warning",
            (Kind::SlaWarning, Lang::Es) => "Aviso de SLA",
            (Kind::SlaBreached, Lang::En) => "SLA breached",
            (Kind::SlaBreached, Lang::Es) => "SLA incumplido",
            (Kind::FollowerUpdate, Lang::En) => "Update",
            (Kind::FollowerUpdate, Lang::Es) => "Novedades",
            (Kind::Mentioned, Lang::En) => "You were mentioned",
            (Kind::Mentioned, Lang::Es) => "Le han mencionado",
            (Kind::TicketMerged, Lang::En) => "Merged",
            (Kind::TicketMerged, Lang::Es) => "Unificada",
            // A rule's mail carries the subject its rule wrote (see `notify::rule_mail`).
            (Kind::RuleToRequester | Kind::RuleToStaff, _) => return ticket_subject.to_string(),
        };
        format!("{lead}: {ticket_subject}")
    }
}

static MAIL_TEMPLATES: LazyLock<std::result::Result<Tera, String>> = LazyLock::new(|| {
    let mut tera = Tera::default();
    let mut sources = Vec::new();
    for name in Templates::iter().filter(|n| n.starts_with("mail/")) {
        if let Some(file) = Templates::get(&name) {
            let text = String::from_utf8(file.data.into_owned())
                .map_err(|_| format!("template {name} is not UTF-8"))?;
            sources.push((name.to_string(), text));
        }
    }
    tera.add_raw_templates(sources).map_err(|e| e.to_string())?;
    // `{{ t | datetime(tz=tz) }}`: the reader's zone is in every mail's data.
    tera.register_filter("datetime", crate::desk_time::format::datetime_filter);
    tera.register_filter("iso", crate::desk_time::format::iso_filter);
    // Text parts go out as they are; only the HTML parts are escaped.
    tera.autoescape_on(vec![".html"]);
    Ok(tera)
});

/// The text and HTML parts of one mail.
pub fn render(kind: Kind, lang: Lang, data: &serde_json::Value) -> Result<(String, String)> {
    render_named(kind.name(), lang, data)
}

/// As `render`, for a mail that is about no ticket (`templates/mail/NAME.LANG.*`).
pub fn render_named(name: &str, lang: Lang, data: &serde_json::Value) -> Result<(String, String)> {
    let tera = MAIL_TEMPLATES
        .as_ref()
        .map_err(|e| Error::internal(e.clone()))?;
    let ctx = tera::Context::from_serialize(data)?;
    let base = format!("mail/{name}.{}", lang.code());
    let text = tera.render(&format!("{base}.txt"), &ctx)?;
    let html = tera.render(&format!("{base}.html"), &ctx)?;
    Ok((text, html))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn every_kind_renders_in_both_languages_and_formats() {
        let data = json!({ "desk_name": "Desk <&>", "link": "http://x/tickets/A?token=b",
                           "tracking_id": "AAA-BBB-CCCC", "subject": "S & <T>",
                           "requester_name": "Ana", "requester_email": "ana@example.com",
                           "author": "Gus", "body": "Hi & <b>bye</b>", "lang": "en",
                           "days": 7, "tz": "Europe/Madrid", "created_at": 1_782_900_000,
                           "policy": "High <24h>", "target": "first_response", "percent": 75,
                           "due_at": 1_782_903_600 });
        for lang in crate::i18n::LANGS {
            for kind in KINDS {
                let (text, html) = render(kind, lang, &data).unwrap();
                let name = kind.name();
                assert!(
                    text.contains("http://x/tickets/A?token=b"),
                    "{name}: {text}"
                );
                assert!(text.contains("Desk <&>"), "{name} text is escaped: {text}");
                assert!(html.contains("Desk &lt;&amp;&gt;"), "{name} html: {html}");
                assert!(!html.contains("<b>bye"), "{name} html lets markup through");
                assert!(html.contains("token=b"), "{name} html has no link: {html}");
                // The ticket's time, in the reader's zone (the data's `tz`).
                if matches!(kind, Kind::TicketCreated | Kind::NewTicket) {
                    assert!(text.contains("2026-07-01 12:00 CEST"), "{name}: {text}");
                    assert!(html.contains("2026-07-01 12:00 CEST"), "{name}: {html}");
                }
                // The due time, in the reader's zone too.
                if matches!(kind, Kind::SlaWarning | Kind::SlaBreached) {
                    assert!(text.contains("2026-07-01 13:00 CEST"), "{name}: {text}");
                    assert!(html.contains("2026-07-01 13:00 CEST"), "{name}: {html}");
                    assert!(text.contains("High <24h>"), "{name}: {text}");
                    assert!(html.contains("High &lt;24h&gt;"), "{name}: {html}");
                }
            }
        }
    }

    #[test]
    fn the_password_reset_mail_renders_in_both_languages() {
        let data = json!({ "desk_name": "Desk", "link": "http://x/staff/password/reset?token=t",
                           "email": "ana@example.com", "lang": "en", "subject": "S",
                           "tracking_id": "" });
        for (lang, words) in [
            (Lang::En, "within an hour"),
            (Lang::Es, "antes de una hora"),
        ] {
            let (text, html) = render_named("password_reset", lang, &data).unwrap();
            assert!(text.contains("token=t") && text.contains(words), "{text}");
            assert!(html.contains("token=t") && html.contains(words), "{html}");
            assert!(!html.contains("Desk · "), "no ticket in the footer: {html}");
        }
    }

    #[test]
    fn subjects_differ_by_language() {
        assert_eq!(
            Kind::Assigned.subject(Lang::Es, "Impresora"),
            "Asignado a usted: Impresora"
        );
        assert_eq!(
            Kind::TicketCreated.subject(Lang::En, "Printer"),
            "Request received: Printer"
        );
    }
}
