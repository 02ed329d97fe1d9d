//! The notifications the desk sends, as a reaction to ticket events (`crate::workflow`). Each
//! function queues mail in `outbox` on the connection it is given, inside the write transaction
//! of the change, so a mail is queued exactly when its change is committed; `mail` delivers it.
//!
//! Requesters get mail in the language they used when they opened the ticket; staff in their
//! own (kept from their last login or their preferences), and only the kinds they asked for.
//! Times in a mail are in its reader's zone: the desk's for requesters, a staff member's own
//! (else the desk's) for staff.

use crate::auth::access::STAFF_SEES_CATEGORY_1;
use rusqlite::{Connection, OptionalExtension, params};
use serde_json::json;

mod escalation;
pub mod followers;
mod sign_in;
pub mod templates;

pub use escalation::{Escalation, StaffGroup, sla_escalation};
pub use sign_in::requester_sign_in;
mod merged;
pub use merged::ticket_merged;

use crate::config::Config;
use crate::db::now;
use crate::error::{Error, Result};
use crate::i18n::Lang;
use crate::settings::Settings;
use crate::tickets::{self, Ticket};
use templates::Kind;

/// What every notification needs from the desk.
#[derive(Debug, Clone)]
pub struct MailCtx {
    /// True when `smtp_url` is set; otherwise mail is on only if an admin saved an SMTP server.
    pub config_on: bool,
    /// Set for a change that must not mail anyone (a reply sent without notifying).
    pub silent: bool,
    pub base_url: String,
    pub desk_name: String,
}

impl MailCtx {
    pub fn from_parts(config: &Config, settings: &Settings) -> MailCtx {
        MailCtx {
            config_on: !config.smtp_url.is_empty(),
            silent: false,
            base_url: config.base_url.trim_end_matches('/').to_string(),
            desk_name: settings.desk_name.clone(),
        }
    }

    /// Whether to queue mail: never while silent or while no SMTP server is configured (the
    /// mail would only pile up, and go out in a burst when one is set).
    fn enabled(&self, conn: &Connection) -> Result<bool> {
        if self.silent {
            return Ok(false);
        }
        if self.config_on {
            return Ok(true);
        }
        let host = crate::settings::get(conn, "smtp_host")?;
        Ok(host.is_some_and(|h| !h.is_empty()))
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

    /// The requester's secret link, which opens the ticket without the tracking-ID form.
    fn requester_link(&self, ticket: &Ticket) -> String {
        format!(
            "{}/tickets/{}?token={}",
            self.base_url, ticket.tracking_id, ticket.access_token
        )
    }

    fn staff_link(&self, ticket: &Ticket) -> String {
        format!("{}/staff/tickets/{}", self.base_url, ticket.id)
    }
}

/// Who a mail goes to, in which language, and the zone they chose (empty: the desk's).
struct Recipient {
    addr: String,
    lang: Lang,
    zone: String,
}

/// The desk's zone as saved now (read in the change's transaction, like everything mailed).
fn desk_zone(conn: &Connection) -> Result<String> {
    let saved = crate::settings::get(conn, crate::desk_time::store::TIMEZONE_KEY)?;
    Ok(saved
        .and_then(|z| crate::desk_time::canonical_name(&z))
        .unwrap_or_else(|| crate::desk_time::DEFAULT_ZONE.to_string()))
}

/// The Message-ID of the first mail about a ticket: every later one replies to it, so mail
/// clients thread the whole conversation. Made from the tracking ID alone, it is guessable: it
/// proves nothing about who answers it (see `is_thread_root`).
fn root_message_id(ctx: &MailCtx, ticket: &Ticket) -> String {
    format!("<ticket-{}@{}>", ticket.tracking_id, ctx.host())
}

/// Whether `message_id` (with or without its angle brackets) is the guessable first Message-ID
/// of ticket `tracking_id` (`root_message_id`), whatever host it was made with.
pub fn is_thread_root(message_id: &str, tracking_id: &str) -> bool {
    let id = message_id.trim().trim_start_matches('<');
    let local = id.split('@').next().unwrap_or(id);
    local.eq_ignore_ascii_case(&format!("ticket-{tracking_id}"))
}

/// Random bytes in the Message-ID of every mail but a ticket's first: 128 bits, so nobody but
/// its recipient knows it, and an emailed reply naming it in In-Reply-To or References answers
/// that mail (see `crate::mail::incoming`).
const MESSAGE_ID_RANDOM_BYTES: usize = 16;

fn queue(
    conn: &Connection,
    ctx: &MailCtx,
    ticket: &Ticket,
    to: &Recipient,
    kind: Kind,
    extra: serde_json::Value,
) -> Result<()> {
    let link = if kind.to_staff() {
        ctx.staff_link(ticket)
    } else {
        ctx.requester_link(ticket)
    };
    let desk = desk_zone(conn)?;
    let tz = crate::desk_time::viewer_zone(&to.zone, &desk);
    let mut data = json!({
        "desk_name": ctx.desk_name,
        "tz": tz,
        "created_at": ticket.created_at,
        "link": link,
        "tracking_id": ticket.tracking_id,
        "subject": ticket.subject,
        "requester_name": ticket.requester_name,
        "requester_email": ticket.requester_email,
        "lang": to.lang.code(),
    });
    if let (Some(data), serde_json::Value::Object(extra)) = (data.as_object_mut(), extra) {
        data.extend(extra);
    }
    let (text, html) = templates::render(kind, to.lang, &data)?;
    let root = root_message_id(ctx, ticket);
    let (message_id, in_reply_to) = if kind == Kind::TicketCreated {
        (root, None)
    } else {
        let id = format!(
            "<ticket-{}-{}@{}>",
            ticket.tracking_id,
            crate::util::random_hex(MESSAGE_ID_RANDOM_BYTES),
            ctx.host()
        );
        (id, Some(root))
    };
    // A rule's mail has the subject its rule wrote; every other kind says what happened.
    let about = data
        .get("rule_subject")
        .and_then(|v| v.as_str())
        .unwrap_or(&ticket.subject)
        .to_string();
    let subject = format!(
        "[#{}] {}",
        ticket.tracking_id,
        kind.subject(to.lang, &about)
    );
    crate::outbox::insert(
        conn,
        &crate::outbox::NewMail {
            ticket_id: Some(ticket.id),
            to_addr: &to.addr,
            subject: &subject,
            body_text: &text,
            body_html: Some(&html),
            message_id: &message_id,
            in_reply_to: in_reply_to.as_deref(),
            created_at: now(),
        },
    )?;
    Ok(())
}

fn load(conn: &Connection, ticket_id: i64) -> Result<(Ticket, Recipient)> {
    let ticket = tickets::get(conn, ticket_id)?.ok_or(Error::NotFound)?;
    let lang = tickets::store::requester_lang(conn, ticket_id)?;
    let requester = Recipient {
        addr: ticket.requester_email.clone(),
        lang: Lang::from_code(&lang).unwrap_or(Lang::En),
        zone: String::new(),
    };
    Ok((ticket, requester))
}

/// A staff recipient from a row of (email, lang, timezone).
fn recipient(r: &rusqlite::Row<'_>) -> rusqlite::Result<Recipient> {
    let lang: String = r.get(1)?;
    Ok(Recipient {
        addr: r.get(0)?,
        lang: Lang::from_code(&lang).unwrap_or(Lang::En),
        zone: r.get(2)?,
    })
}

/// Active staff who want `pref` mail about a ticket of `category_id`: the category's agents, or
/// every active staff member when the category has none; never one limited to other categories.
/// `skip` is whoever caused the event.
fn audience(
    conn: &Connection,
    pref: &str,
    category_id: i64,
    skip: Option<i64>,
) -> Result<Vec<Recipient>> {
    audience_of(conn, Some(pref), category_id, skip)
}

/// As `audience`, whatever their preferences with `pref` None (mail nobody may turn off).
fn audience_of(
    conn: &Connection,
    pref: Option<&str>,
    category_id: i64,
    skip: Option<i64>,
) -> Result<Vec<Recipient>> {
    // `pref` is one of our column names, never user text.
    let wants = pref.map(|p| format!("AND s.{p} = 1")).unwrap_or_default();
    let sql = format!(
        "SELECT s.email, s.lang, s.timezone FROM staff s
         WHERE s.active = 1 {wants} AND s.id IS NOT ?2 AND {STAFF_SEES_CATEGORY_1}
           AND (s.id IN (SELECT staff_id FROM category_agents WHERE category_id = ?1)
                OR NOT EXISTS (SELECT 1 FROM category_agents ca JOIN staff x ON x.id = ca.staff_id
                               WHERE ca.category_id = ?1 AND x.active = 1))
         ORDER BY s.id"
    );
    let rows = conn
        .prepare_cached(&sql)?
        .query_map(params![category_id, skip], recipient)?
        .collect::<rusqlite::Result<Vec<_>>>()?;
    Ok(rows)
}

/// One staff member, if active, wanting `pref` mail and working tickets of `category_id`.
fn staff_member(
    conn: &Connection,
    pref: &str,
    staff_id: i64,
    category_id: i64,
) -> Result<Option<Recipient>> {
    staff_member_of(conn, Some(pref), staff_id, category_id)
}

/// As `staff_member`, whatever their preferences with `pref` None.
fn staff_member_of(
    conn: &Connection,
    pref: Option<&str>,
    staff_id: i64,
    category_id: i64,
) -> Result<Option<Recipient>> {
    let wants = pref.map(|p| format!("AND s.{p} = 1")).unwrap_or_default();
    let sql = format!(
        "SELECT s.email, s.lang, s.timezone FROM staff s
         WHERE s.id = ?2 AND s.active = 1 {wants} AND {STAFF_SEES_CATEGORY_1}"
    );
    Ok(conn
        .prepare_cached(&sql)?
        .query_row(params![category_id, staff_id], recipient)
        .optional()?)
}

/// A new ticket: "we received your request" (tracking ID and secret link) to the requester, and
/// "new ticket" to the agents of its category. `by_staff` is the staff member who opened it on
/// someone's behalf (they need no mail about it).
pub fn ticket_created(
    conn: &Connection,
    ctx: &MailCtx,
    ticket_id: i64,
    by_staff: Option<i64>,
) -> Result<()> {
    if !ctx.enabled(conn)? {
        return Ok(());
    }
    let (ticket, requester) = load(conn, ticket_id)?;
    // The custom field values the requester gave (or may see), as they confirm what was asked.
    let fields = crate::fields::for_requester(conn, ticket_id, requester.lang)?;
    queue(
        conn,
        ctx,
        &ticket,
        &requester,
        Kind::TicketCreated,
        json!({ "fields": fields }),
    )?;
    let body = tickets::store::first_message_body(conn, ticket_id)?;
    let extra = json!({ "body": body });
    for agent in audience(conn, "notify_new_ticket", ticket.category_id, by_staff)? {
        queue(conn, ctx, &ticket, &agent, Kind::NewTicket, extra.clone())?;
    }
    Ok(())
}

/// A staff reply the requester can see (never call it for an internal note).
pub fn staff_replied(
    conn: &Connection,
    ctx: &MailCtx,
    ticket_id: i64,
    author: &str,
    body: &str,
) -> Result<()> {
    if !ctx.enabled(conn)? {
        return Ok(());
    }
    let (ticket, requester) = load(conn, ticket_id)?;
    let extra = json!({ "author": author, "body": body });
    queue(conn, ctx, &ticket, &requester, Kind::StaffReplied, extra)
}

/// The ticket was resolved by staff; `reply` is the visible reply that came with it, if any.
pub fn ticket_resolved(
    conn: &Connection,
    ctx: &MailCtx,
    ticket_id: i64,
    reply: Option<(&str, &str)>,
) -> Result<()> {
    if !ctx.enabled(conn)? {
        return Ok(());
    }
    let (ticket, requester) = load(conn, ticket_id)?;
    let mut extra = match reply {
        Some((author, body)) => json!({ "author": author, "body": body }),
        None => json!({}),
    };
    // "How did we do?": one link per answer, each opening the survey with it chosen (saving it
    // takes a click there, so a mail scanner following links answers nothing).
    if tickets::csat::enabled(conn)?
        && let Some(resolution) = tickets::csat::latest(conn, ticket_id)?
    {
        let link = |rating: &str| {
            format!(
                "{}/tickets/{}/rate?rating={rating}&resolution={}&token={}",
                ctx.base_url, ticket.tracking_id, resolution.number, ticket.access_token
            )
        };
        extra["rate_good"] = json!(link("good"));
        extra["rate_bad"] = json!(link("bad"));
    }
    queue(conn, ctx, &ticket, &requester, Kind::TicketResolved, extra)
}

/// An automation rule's mail (`rules::Action::SendEmail`): its subject and text with the
/// ticket's placeholders filled in, to the requester, the assignee, the category's agents or an
/// address. Nothing when mail is off or there is nobody to send to (no assignee yet).
pub fn rule_mail(
    conn: &Connection,
    ctx: &MailCtx,
    ticket_id: i64,
    to: &crate::rules::MailTo,
    subject: &str,
    body: &str,
) -> Result<()> {
    use crate::rules::MailTo;
    if !ctx.enabled(conn)? {
        return Ok(());
    }
    let (mut ticket, requester) = load(conn, ticket_id)?;
    let refdata = tickets::RefData::load(conn)?;
    refdata.decorate(&mut ticket);
    let (kind, recipients) = match to {
        MailTo::Requester => (Kind::RuleToRequester, vec![requester]),
        MailTo::Address(addr) => (
            Kind::RuleToRequester,
            vec![Recipient {
                addr: addr.clone(),
                ..requester
            }],
        ),
        MailTo::Assignee => (
            Kind::RuleToStaff,
            match ticket.assignee_id {
                Some(id) => staff_member(conn, "active", id, ticket.category_id)?
                    .into_iter()
                    .collect(),
                None => Vec::new(),
            },
        ),
        MailTo::CategoryAgents => (
            Kind::RuleToStaff,
            audience(conn, "active", ticket.category_id, None)?,
        ),
    };
    for r in &recipients {
        // The ticket's status, priority and category in the reader's language.
        let mut theirs = ticket.clone();
        refdata.clone().localize(r.lang).decorate(&mut theirs);
        let mut values = crate::tickets::placeholders::PlaceholderValues::for_ticket(
            &theirs,
            theirs.assignee.as_deref().unwrap_or(""),
            &ctx.desk_name,
            &ctx.base_url,
        );
        values.set("agent.name", theirs.assignee.clone().unwrap_or_default());
        let subject = crate::tickets::placeholders::render(subject, &values);
        let body = crate::tickets::placeholders::render(body, &values);
        let extra = json!({ "rule_subject": subject, "body": body });
        queue(conn, ctx, &ticket, r, kind, extra)?;
    }
    Ok(())
}

/// A resolved ticket closed by itself after `days` days without a word from the requester.
pub fn ticket_auto_closed(
    conn: &Connection,
    ctx: &MailCtx,
    ticket_id: i64,
    days: u32,
) -> Result<()> {
    if !ctx.enabled(conn)? {
        return Ok(());
    }
    let (ticket, requester) = load(conn, ticket_id)?;
    let extra = json!({ "days": days });
    queue(conn, ctx, &ticket, &requester, Kind::TicketClosed, extra)
}

/// The requester added a reply: to the assignee, or to the category's agents while nobody has
/// the ticket.
pub fn requester_replied(
    conn: &Connection,
    ctx: &MailCtx,
    ticket_id: i64,
    body: &str,
) -> Result<()> {
    if !ctx.enabled(conn)? {
        return Ok(());
    }
    let (ticket, _) = load(conn, ticket_id)?;
    let to = match ticket.assignee_id {
        Some(id) => staff_member(conn, "notify_requester_reply", id, ticket.category_id)?
            .into_iter()
            .collect(),
        None => audience(conn, "notify_requester_reply", ticket.category_id, None)?,
    };
    let extra = json!({ "body": body });
    for agent in to {
        queue(
            conn,
            ctx,
            &ticket,
            &agent,
            Kind::RequesterReplied,
            extra.clone(),
        )?;
    }
    Ok(())
}

/// The ticket was assigned to `assignee` by `by` (nobody needs a mail about their own doing).
pub fn ticket_assigned(
    conn: &Connection,
    ctx: &MailCtx,
    ticket_id: i64,
    assignee: i64,
    by: &tickets::Actor,
) -> Result<()> {
    if by.staff_id == Some(assignee) || !ctx.enabled(conn)? {
        return Ok(());
    }
    let (ticket, _) = load(conn, ticket_id)?;
    if let Some(agent) = staff_member(conn, "notify_assigned", assignee, ticket.category_id)? {
        // Handed out by the desk itself (auto-assignment): the mail says so in words.
        let extra = json!({
            "author": by.name, "by_desk": by.kind == tickets::ActorKind::System,
            "by_escalation": by.name == tickets::ESCALATION_ACTOR,
        });
        queue(conn, ctx, &ticket, &agent, Kind::Assigned, extra)?;
    }
    Ok(())
}

/// A password-reset link to a staff member, in their language. Returns whether a mail was
/// queued (none while no mail server is configured).
pub fn password_reset(
    conn: &Connection,
    ctx: &MailCtx,
    email: &str,
    lang: Lang,
    token: &str,
    now: i64,
) -> Result<bool> {
    if !ctx.enabled(conn)? {
        return Ok(false);
    }
    let link = format!("{}/staff/password/reset?token={token}", ctx.base_url);
    let subject = match lang {
        Lang::En => format!("{}: choose a new password", ctx.desk_name),
        Lang::Es => format!("{}: elija una contraseña nueva", ctx.desk_name),
    };
    let data = json!({ "desk_name": ctx.desk_name, "link": link, "email": email,
                       "lang": lang.code(), "subject": subject, "tracking_id": "" });
    queue_ticketless(
        conn,
        ctx,
        "password_reset",
        "password",
        email,
        lang,
        &data,
        now,
    )?;
    Ok(true)
}

/// Renders template `name` with `data` (which holds the `subject`) and queues it to `email`,
/// a mail about no ticket (a link to sign in or choose a password); its Message-ID starts with
/// `id_prefix`.
#[allow(clippy::too_many_arguments)]
pub(crate) fn queue_ticketless(
    conn: &Connection,
    ctx: &MailCtx,
    name: &str,
    id_prefix: &str,
    email: &str,
    lang: Lang,
    data: &serde_json::Value,
    now: i64,
) -> Result<()> {
    let (text, html) = templates::render_named(name, lang, data)?;
    let subject = data["subject"].as_str().unwrap_or_default();
    let message_id = format!(
        "<{id_prefix}-{}@{}>",
        crate::util::random_hex(MESSAGE_ID_RANDOM_BYTES),
        ctx.host()
    );
    crate::outbox::insert(
        conn,
        &crate::outbox::NewMail {
            ticket_id: None,
            to_addr: email,
            subject,
            body_text: &text,
            body_html: Some(&html),
            message_id: &message_id,
            in_reply_to: None,
            created_at: now,
        },
    )?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn message_ids_use_the_host_of_base_url() {
        let ctx = |url: &str| MailCtx {
            config_on: true,
            silent: false,
            base_url: url.into(),
            desk_name: String::new(),
        };
        assert_eq!(
            ctx("https://help.example.com/desk").host(),
            "help.example.com"
        );
        assert_eq!(ctx("http://127.0.0.1:8080").host(), "127.0.0.1");
        assert_eq!(ctx("http://[::1]:8080").host(), "[::1]");
    }

    #[test]
    fn only_the_first_message_id_is_the_guessable_root() {
        assert!(is_thread_root(
            "<ticket-ABC-DEF-GHJK@help.example.com>",
            "ABC-DEF-GHJK"
        ));
        assert!(is_thread_root(
            "ticket-abc-def-ghjk@other.host",
            "ABC-DEF-GHJK"
        ));
        assert!(!is_thread_root(
            "<ticket-ABC-DEF-GHJK-00112233445566778899aabbccddeeff@help.example.com>",
            "ABC-DEF-GHJK"
        ));
        assert!(!is_thread_root("<ticket-ABC-DEF-GHJM@h>", "ABC-DEF-GHJK"));
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
