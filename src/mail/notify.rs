//! The notifications the desk sends to requesters. Each function queues one mail in `outbox`
//! on the connection it is given: call it inside the write transaction of the change, so the
//! mail is queued exactly when the change is committed.

use std::sync::LazyLock;

use rusqlite::{Connection, OptionalExtension, params};
use serde_json::json;
use tera::Tera;

use crate::db::now;
use crate::error::{Error, Result};
use crate::tickets::{self, Ticket};
use crate::web::{App, Lang, Templates};

/// What a notification needs from the request that caused it.
#[derive(Debug, Clone)]
pub struct MailCtx {
    /// False when `smtp_url` is empty: nothing is queued.
    pub enabled: bool,
    pub base_url: String,
    pub desk_name: String,
    pub lang: Lang,
}

impl MailCtx {
    pub fn new(app: &App, lang: Lang) -> MailCtx {
        MailCtx {
            enabled: !app.config.smtp_url.is_empty(),
            base_url: app.config.base_url.trim_end_matches('/').to_string(),
            desk_name: app.settings().desk_name,
            lang,
        }
    }

    /// The host part of `base_url`, the domain of every Message-ID.
    fn host(&self) -> &str {
        let rest = self
            .base_url
            .split_once("://")
            .map_or(self.base_url.as_str(), |(_, r)| r);
        let authority = rest.split('/').next().unwrap_or(rest);
        let authority = authority.rsplit_once('@').map_or(authority, |(_, h)| h);
        match authority.rsplit_once(':') {
            Some((host, port)) if !host.is_empty() && port.chars().all(|c| c.is_ascii_digit()) => {
                host
            }
            _ => authority,
        }
    }

    /// The secret link that opens the ticket without the tracking-ID form.
    fn link(&self, ticket: &Ticket) -> String {
        format!(
            "{}/tickets/{}?token={}",
            self.base_url, ticket.tracking_id, ticket.access_token
        )
    }
}

/// The plain-text mail templates (`templates/mail/*.txt`), not HTML-escaped.
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
    tera.autoescape_on(vec![]);
    Ok(tera)
});

fn render(name: &str, lang: Lang, data: serde_json::Value) -> Result<String> {
    let tera = MAIL_TEMPLATES
        .as_ref()
        .map_err(|e| Error::internal(e.clone()))?;
    let ctx = tera::Context::from_value(data)?;
    Ok(tera.render(&format!("mail/{name}.{}.txt", lang.code()), &ctx)?)
}

/// The Message-ID of the first mail about a ticket: every later one replies to it.
fn root_message_id(ctx: &MailCtx, ticket: &Ticket) -> String {
    format!("<ticket-{}@{}>", ticket.tracking_id, ctx.host())
}

fn queue(
    conn: &Connection,
    ctx: &MailCtx,
    ticket: &Ticket,
    template: &str,
    subject: &str,
    extra: serde_json::Value,
) -> Result<()> {
    let mut data = json!({
        "desk_name": ctx.desk_name,
        "link": ctx.link(ticket),
        "tracking_id": ticket.tracking_id,
        "subject": ticket.subject,
        "requester_name": ticket.requester_name,
    });
    if let (Some(data), serde_json::Value::Object(extra)) = (data.as_object_mut(), extra) {
        data.extend(extra);
    }
    let body = render(template, ctx.lang, data)?;
    let root = root_message_id(ctx, ticket);
    let (message_id, in_reply_to) = if template == "ticket_created" {
        (root, None)
    } else {
        let id = format!(
            "<ticket-{}-{}@{}>",
            ticket.tracking_id,
            crate::util::random_hex(8),
            ctx.host()
        );
        (id, Some(root))
    };
    let now = now();
    conn.prepare_cached(
        "INSERT INTO outbox (ticket_id, to_addr, subject, body_text, message_id, in_reply_to,
             created_at, next_attempt_at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?7)",
    )?
    .execute(params![
        ticket.id,
        ticket.requester_email,
        format!("[#{}] {subject}", ticket.tracking_id),
        body,
        message_id,
        in_reply_to,
        now
    ])?;
    Ok(())
}

fn load(conn: &Connection, ticket_id: i64) -> Result<Ticket> {
    tickets::get(conn, ticket_id)?.ok_or(Error::NotFound)
}

/// "We received your request": the tracking ID and the secret link.
pub fn ticket_created(conn: &Connection, ctx: &MailCtx, ticket_id: i64) -> Result<()> {
    if !ctx.enabled {
        return Ok(());
    }
    let ticket = load(conn, ticket_id)?;
    let subject = match ctx.lang {
        Lang::En => format!("Request received: {}", ticket.subject),
        Lang::Es => format!("Solicitud recibida: {}", ticket.subject),
    };
    queue(conn, ctx, &ticket, "ticket_created", &subject, json!({}))
}

/// A staff reply the requester can see (never call it for an internal note).
pub fn staff_replied(
    conn: &Connection,
    ctx: &MailCtx,
    ticket_id: i64,
    author: &str,
    body: &str,
) -> Result<()> {
    if !ctx.enabled {
        return Ok(());
    }
    let ticket = load(conn, ticket_id)?;
    let subject = match ctx.lang {
        Lang::En => format!("New reply: {}", ticket.subject),
        Lang::Es => format!("Nueva respuesta: {}", ticket.subject),
    };
    let extra = json!({ "author": author, "body": body });
    queue(conn, ctx, &ticket, "staff_replied", &subject, extra)
}

/// The ticket was resolved by staff; `reply` is the visible reply that came with it, if any.
pub fn ticket_resolved(
    conn: &Connection,
    ctx: &MailCtx,
    ticket_id: i64,
    reply: Option<(&str, &str)>,
) -> Result<()> {
    if !ctx.enabled {
        return Ok(());
    }
    let ticket = load(conn, ticket_id)?;
    let subject = match ctx.lang {
        Lang::En => format!("Resolved: {}", ticket.subject),
        Lang::Es => format!("Resuelta: {}", ticket.subject),
    };
    let extra = match reply {
        Some((author, body)) => json!({ "author": author, "body": body }),
        None => json!({}),
    };
    queue(conn, ctx, &ticket, "ticket_resolved", &subject, extra)
}

/// Whether `status_id` is the built-in "resolved" status (the one that sends a mail).
pub fn is_resolved(conn: &Connection, status_id: i64) -> Result<bool> {
    let slug: Option<String> = conn
        .prepare_cached("SELECT slug FROM statuses WHERE id = ?1")?
        .query_row([status_id], |r| r.get(0))
        .optional()?
        .flatten();
    Ok(slug.as_deref() == Some("resolved"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_template_renders_in_both_languages() {
        for lang in crate::web::i18n::LANGS {
            for name in ["ticket_created", "staff_replied", "ticket_resolved"] {
                let text = render(
                    name,
                    lang,
                    json!({ "desk_name": "Desk <&>", "link": "http://x/tickets/A?token=b",
                            "tracking_id": "AAA-BBB-CCCC", "subject": "S & <T>",
                            "requester_name": "Ana", "author": "Gus", "body": "Hi & bye" }),
                )
                .unwrap();
                assert!(
                    text.contains("http://x/tickets/A?token=b"),
                    "{name}: {text}"
                );
                assert!(text.contains("Desk <&>"), "{name} is not escaped: {text}");
            }
        }
    }

    #[test]
    fn message_ids_use_the_host_of_base_url() {
        let ctx = |url: &str| MailCtx {
            enabled: true,
            base_url: url.into(),
            desk_name: String::new(),
            lang: Lang::En,
        };
        assert_eq!(
            ctx("https://help.example.com/desk").host(),
            "help.example.com"
        );
        assert_eq!(ctx("http://127.0.0.1:8080").host(), "127.0.0.1");
        assert_eq!(ctx("http://[::1]:8080").host(), "[::1]");
    }

    #[test]
    fn backoff_doubles_up_to_an_hour() {
        use crate::mail::backoff_secs;
        assert_eq!(backoff_secs(1), 30);
        assert_eq!(backoff_secs(2), 60);
        assert_eq!(backoff_secs(3), 120);
        assert_eq!(backoff_secs(50), 3600);
    }
}
