//! Incoming mail: one RFC 5322 message (parsed with `mail-parser`) becomes a new ticket or a
//! reply on an existing one. Automatic mail (auto-replies, bounces, lists, our own) is ignored,
//! a Message-ID seen before is imported once, and anything that cannot be imported is kept raw
//! in `mail_quarantine`: a message is never lost.
//!
//! A From header proves nothing, so a reply is trusted as coming from its sender only when it is
//! *verified*: it answers a mail the desk sent to that address about the ticket (its
//! In-Reply-To or References names that mail's Message-ID, which carries 128 random bits only
//! the recipient has seen), or the desk's own mail server vouches for it (`authres`: DMARC passed
//! for the From domain, in the topmost `Authentication-Results` of `mail_trusted_authserv_id`).
//! A staff member's mail becomes a staff reply only when verified; otherwise it is kept as an
//! internal note by an `ActorKind::UnverifiedEmail` actor, marked as such, and nobody is
//! mailed. A requester's reply is added either way, with a marker line when unverified.

use std::borrow::Cow;

use mail_parser::{HeaderValue, Message, MessageParser, MimeHeaders};
use rusqlite::{Connection, params};

use super::automatic::automatic;
use super::quoting::trim_quoted;
use crate::auth::users;
use crate::config::Config;
use crate::db::now;
use crate::error::{Error, Result};
use crate::i18n::Lang;
use crate::notify::MailCtx;
use crate::settings::Settings;
use crate::tickets::actions::{Changes, NewMessage};
use crate::tickets::uploads::{MAX_FILES, content_type_for, extension, sanitize_filename};
use crate::tickets::{self, Actor, Channel, MessageKind, NewTicket, Upload};
use crate::workflow::{Ctx, Desk};

const MAX_NAME: usize = 100;
const MAX_SUBJECT: usize = 200;
/// Longest message text kept (characters); the rest of a runaway body is dropped.
const MAX_BODY: usize = 200_000;

/// What became of one message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    NewTicket { tracking_id: String },
    Added { tracking_id: String },
    Ignored { reason: String },
    Quarantined { id: i64, reason: String },
}

impl std::fmt::Display for Outcome {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Outcome::NewTicket { tracking_id } => write!(f, "new ticket {tracking_id}"),
            Outcome::Added { tracking_id } => write!(f, "added to ticket {tracking_id}"),
            Outcome::Ignored { reason } => write!(f, "ignored: {reason}"),
            Outcome::Quarantined { id, reason } => write!(f, "quarantined as #{id}: {reason}"),
        }
    }
}

/// Imports one raw message on `conn`, which should be a write transaction (the import is all or
/// nothing inside it). Fails only when nothing can be written at all (disk full, read-only
/// database): the caller should then have the message delivered again later.
pub fn import(
    conn: &Connection,
    raw: &[u8],
    settings: &Settings,
    config: &Config,
) -> Result<Outcome> {
    conn.execute_batch("SAVEPOINT mail_import")?;
    let result = import_parsed(conn, raw, settings, config);
    match result {
        Ok(outcome) => {
            conn.execute_batch("RELEASE mail_import")?;
            Ok(outcome)
        }
        Err(e) => {
            conn.execute_batch("ROLLBACK TO mail_import; RELEASE mail_import")?;
            match e {
                Error::StorageFull | Error::ReadOnly => Err(e),
                other => quarantine(conn, raw, &format!("import failed: {other}")),
            }
        }
    }
}

/// Keeps the raw message for an admin to look at.
pub fn quarantine(conn: &Connection, raw: &[u8], reason: &str) -> Result<Outcome> {
    conn.prepare_cached(
        "INSERT INTO mail_quarantine (raw, reason, created_at) VALUES (?1, ?2, ?3)",
    )?
    .execute(params![raw, reason, now()])?;
    Ok(Outcome::Quarantined {
        id: conn.last_insert_rowid(),
        reason: reason.to_string(),
    })
}

/// Forgets every quarantined message that names `text` (a data-protection erasure of an
/// address): rows removed.
pub fn forget_quarantined_mentioning(conn: &Connection, text: &str) -> Result<usize> {
    Ok(conn
        .prepare_cached(
            "DELETE FROM mail_quarantine WHERE instr(lower(CAST(raw AS TEXT)), lower(?1)) > 0",
        )?
        .execute([text])?)
}

fn import_parsed(
    conn: &Connection,
    raw: &[u8],
    settings: &Settings,
    config: &Config,
) -> Result<Outcome> {
    let Some(message) = MessageParser::default().parse(raw) else {
        return quarantine(conn, raw, "not a parsable message");
    };
    let message_id = message.message_id().map(str::to_string);
    if let Some(id) = &message_id {
        let seen = conn
            .prepare_cached("SELECT 1 FROM mail_imports WHERE message_id = ?1")?
            .exists([id])?;
        if seen {
            return Ok(Outcome::Ignored {
                reason: format!("message <{id}> was already imported"),
            });
        }
    }
    // Automatic mail first: our own address (`helpdesk@localhost`) is not a usable requester.
    let from = message
        .from()
        .and_then(|a| a.first())
        .and_then(|a| a.address())
        .map(|a| a.trim().to_lowercase())
        .unwrap_or_default();
    // Both senders count as ours: the configured one, and the one an admin saved over it.
    let saved_from = super::settings::effective(conn, config)?.from;
    let own = [config.mail_from.as_str(), saved_from.as_str()];
    let outcome = match automatic(&message, &from, &own) {
        Some(reason) => Outcome::Ignored { reason },
        None => {
            let Some((name, email)) = sender(&message) else {
                return quarantine(conn, raw, "no usable From address");
            };
            // A banned sender's mail is dropped whole, counted on its ban: nothing is created.
            if let Some(ban) = tickets::bans::matching(conn, &email)? {
                tickets::bans::count(conn, ban, tickets::bans::Stopped::Mail)?;
                Outcome::Ignored {
                    reason: "the sender is banned".into(),
                }
            } else {
                deliver(conn, &message, raw, &name, &email, settings, config)?
            }
        }
    };
    if let Some(id) = &message_id {
        let (ticket_id, label) = match &outcome {
            Outcome::NewTicket { tracking_id } => (Some(tracking_id.as_str()), "new".to_string()),
            Outcome::Added { tracking_id } => (Some(tracking_id.as_str()), "added".to_string()),
            other => (None, other.to_string()),
        };
        let ticket_id = match ticket_id {
            Some(tid) => tickets::get_by_tracking_id(conn, tid)?.map(|t| t.id),
            None => None,
        };
        conn.prepare_cached(
            "INSERT INTO mail_imports (message_id, ticket_id, outcome, created_at)
             VALUES (?1, ?2, ?3, ?4)",
        )?
        .execute(params![id, ticket_id, label, now()])?;
    }
    Ok(outcome)
}

/// The sender's display name (the address's local part when it has none) and lowercase address.
fn sender(message: &Message<'_>) -> Option<(String, String)> {
    let addr = message.from()?.first()?;
    let email = addr.address()?.trim().to_lowercase();
    if !crate::util::looks_like_email(&email) {
        return None;
    }
    let name = addr
        .name()
        .map(|n| crate::util::clean(n.trim_matches(['"', '\'', ' ']), MAX_NAME))
        .filter(|n| !n.is_empty())
        .unwrap_or_else(|| email.split('@').next().unwrap_or("").to_string());
    Some((name, email))
}

/// The tracking ID the message refers to: `[#XXX-XXX-XXXX]` in the subject, or one of our
/// Message-IDs (`ticket-XXX-XXX-XXXX[-random]@host`) in In-Reply-To or References.
fn referenced_ticket(message: &Message<'_>) -> Vec<String> {
    let mut out = Vec::new();
    if let Some(subject) = message.subject() {
        let mut rest = subject;
        while let Some(start) = rest.find("[#") {
            rest = &rest[start + 2..];
            if let Some(end) = rest.find(']')
                && let Some(tid) = tickets::normalize_tracking_id(&rest[..end])
            {
                out.push(tid);
            }
        }
    }
    for value in [message.in_reply_to(), message.references()] {
        for id in ids(value) {
            let id = id.trim().trim_start_matches('<');
            let local = id.split('@').next().unwrap_or("");
            if let Some(rest) = local.strip_prefix("ticket-")
                && let Some(tid) = rest.get(..12).and_then(tickets::normalize_tracking_id)
            {
                out.push(tid);
            }
        }
    }
    out
}

fn ids<'a>(value: &'a HeaderValue<'_>) -> Vec<&'a str> {
    value
        .as_text_list()
        .map(|l| l.iter().map(|s| s.as_ref()).collect())
        .unwrap_or_default()
}

/// Message-IDs read from In-Reply-To and References, at most: enough for any real thread.
const MAX_REFERENCES: usize = 100;

/// Whether `message` answers a mail the desk sent to `email` about `ticket`: In-Reply-To or
/// References names its Message-ID. The ticket's first Message-ID is made from the tracking ID
/// (guessable) and counts only with `root_counts`.
fn answers_desk_mail(
    conn: &Connection,
    message: &Message<'_>,
    ticket: &tickets::Ticket,
    email: &str,
    root_counts: bool,
) -> Result<bool> {
    let named = ids(message.in_reply_to())
        .into_iter()
        .chain(ids(message.references()))
        .take(MAX_REFERENCES);
    for id in named {
        let id = id.trim().trim_start_matches('<').trim_end_matches('>');
        if id.is_empty() || (!root_counts && crate::notify::is_thread_root(id, &ticket.tracking_id))
        {
            continue;
        }
        if crate::outbox::sent_to(conn, ticket.id, &format!("<{id}>"), email)? {
            return Ok(true);
        }
    }
    Ok(false)
}

/// The first line of a staff member's mail that could not be verified, kept as a note.
fn unverified_staff_marker(staff_name: &str, email: &str) -> String {
    format!(
        "[Unverified sender: this mail claims to be from {staff_name} <{email}>; it was kept as \
         an internal note]"
    )
}

/// The first line of a requester's reply that could not be verified.
fn unverified_requester_marker(email: &str) -> String {
    format!(
        "[Unverified sender: this mail does not answer a mail the desk sent to {email}, so it \
         may not come from them]"
    )
}

/// A new ticket, or a reply on the ticket the message refers to.
fn deliver(
    conn: &Connection,
    message: &Message<'_>,
    raw: &[u8],
    name: &str,
    email: &str,
    settings: &Settings,
    config: &Config,
) -> Result<Outcome> {
    let (uploads, notes) = attachments(message, settings);
    let ctx = Ctx::new(MailCtx::from_parts(config, settings), now());
    let text = message
        .body_text(0)
        .map(Cow::into_owned)
        .unwrap_or_default()
        .replace("\r\n", "\n");
    for tid in referenced_ticket(message) {
        let Some(ticket) = tickets::get_by_tracking_id(conn, &tid)? else {
            continue;
        };
        let staff = users::find_by_email(conn, email)?.filter(|s| s.active);
        let is_requester = ticket.requester_email.eq_ignore_ascii_case(email);
        // Someone copied on the ticket: their answer is added as theirs, like the requester's.
        let cc = tickets::followers::by_email(conn, ticket.id, email)?
            .filter(|f| f.kind != tickets::followers::Kind::Staff);
        if staff.is_none() && !is_requester && cc.is_none() {
            break;
        }
        let vouched =
            super::authres::dmarc_pass(message, raw, &config.mail_trusted_authserv_id, email);
        // The guessable first Message-ID went to the requester only; it never proves staff.
        let staff_verified = staff.is_some()
            && (vouched || answers_desk_mail(conn, message, &ticket, email, false)?);
        let (kind, actor, marker) = match staff {
            Some(s) if staff_verified => {
                (MessageKind::Staff, Actor::email(Some(s.id), &s.name), None)
            }
            // A staff member may be the requester too: unverified, they are one.
            _ if is_requester => {
                let verified = vouched || answers_desk_mail(conn, message, &ticket, email, true)?;
                (
                    MessageKind::Requester,
                    Actor::email(None, &ticket.requester_name),
                    (!verified).then(|| unverified_requester_marker(email)),
                )
            }
            Some(s) => (
                MessageKind::Note,
                Actor::unverified_email(email),
                Some(unverified_staff_marker(&s.name, email)),
            ),
            // Only the mails to the CC itself (random Message-IDs) verify it.
            None if cc.is_some() => {
                let verified = vouched || answers_desk_mail(conn, message, &ticket, email, false)?;
                let cc_name = cc.as_ref().map_or("", |c| c.name.as_str());
                (
                    MessageKind::Requester,
                    Actor::email(None, &cc_author(cc_name, email)),
                    (!verified).then(|| unverified_requester_marker(email)),
                )
            }
            None => break,
        };
        let body = with_notes(&trim_quoted(&text), &notes);
        let reply = NewMessage {
            kind,
            body: match marker {
                Some(marker) => format!("{marker}\n\n{body}"),
                None => body,
            },
            attachments: uploads,
        };
        // Answered by mail, the requester hears of it exactly as from the desk (and of a note,
        // as ever, nothing).
        Desk::new(conn, &ctx).reply(&actor, ticket.id, &reply, &Changes::default())?;
        return Ok(Outcome::Added {
            tracking_id: ticket.tracking_id,
        });
    }
    let (category_id, priority_id) = tickets::store::default_category(conn)?
        .ok_or_else(|| Error::internal("no active category for new tickets"))?;
    let subject = crate::util::clean(message.subject().unwrap_or(""), MAX_SUBJECT);
    let new = NewTicket {
        requester_name: name.to_string(),
        requester_email: email.to_string(),
        category_id,
        priority_id,
        subject: if subject.is_empty() {
            "(no subject)".into()
        } else {
            subject
        },
        message: with_notes(text.trim(), &notes),
        attachments: uploads,
        channel: Channel::Email,
        assignee_id: None,
        lang: language(message),
    };
    let sender = Actor::email(None, name);
    let events = Desk::new(conn, &ctx).open(&sender, &new)?;
    let (id, tracking_id) = tickets::events::created(&events)
        .next()
        .map(|(id, tracking_id)| (id, tracking_id.to_string()))
        .ok_or_else(|| Error::internal("opening the ticket created none"))?;
    copied(conn, message, id, email, config, ctx.now)?;
    Ok(Outcome::NewTicket { tracking_id })
}

/// How a CC's message is signed: their name with their address, so staff see who wrote it.
fn cc_author(name: &str, email: &str) -> String {
    if name.is_empty() {
        email.to_string()
    } else {
        format!("{name} <{email}>")
    }
}

/// The Cc addresses of a ticket's first mail become its CC followers (at most
/// `followers::MAX_CC`), except the sender and the desk's own addresses.
fn copied(
    conn: &Connection,
    message: &Message<'_>,
    ticket_id: i64,
    sender: &str,
    config: &Config,
    now: i64,
) -> Result<()> {
    let Some(list) = message.cc() else {
        return Ok(());
    };
    let mail = super::settings::effective(conn, config)?;
    let own: Vec<String> = [
        &config.mail_from,
        &mail.from,
        &mail.reply_to,
        &config.imap_user,
    ]
    .iter()
    .map(|a| bare_address(a))
    .filter(|a| !a.is_empty())
    .collect();
    for addr in list.iter() {
        let Some(email) = addr.address().map(|a| a.trim().to_lowercase()) else {
            continue;
        };
        if !crate::util::looks_like_email(&email) || email == sender || own.contains(&email) {
            continue;
        }
        let name = addr
            .name()
            .map(|n| crate::util::clean(n.trim_matches(['"', '\'', ' ']), MAX_NAME))
            .unwrap_or_default();
        let kind = tickets::followers::Kind::Cc;
        tickets::followers::add_email(conn, ticket_id, &email, &name, kind, now)?;
    }
    Ok(())
}

/// `addr` of `Name <addr>` (or `addr` alone), lowercase.
fn bare_address(s: &str) -> String {
    let s = s.trim();
    let inner = match (s.rfind('<'), s.rfind('>')) {
        (Some(a), Some(b)) if a < b => &s[a + 1..b],
        _ => s,
    };
    inner.trim().to_lowercase()
}

/// The sender's language, from Content-Language or else the Accept-Language some clients
/// send; English when neither names one we speak.
fn language(message: &Message<'_>) -> Lang {
    ["Content-Language", "Accept-Language"]
        .iter()
        .filter_map(|name| message.header_raw(*name))
        .find_map(Lang::from_accept_language)
        .unwrap_or(Lang::En)
}

/// The message text with a line per attachment left out; never empty.
fn with_notes(text: &str, notes: &[String]) -> String {
    let mut body = crate::util::clean(text, MAX_BODY);
    for note in notes {
        if !body.is_empty() {
            body.push_str("\n\n");
        }
        body.push_str(note);
    }
    if body.is_empty() {
        "(no text)".into()
    } else {
        body
    }
}

/// The attachments within the desk's limits, and a note for each one left out.
fn attachments(message: &Message<'_>, settings: &Settings) -> (Vec<Upload>, Vec<String>) {
    let limit = settings.max_attachment_mb.saturating_mul(1024 * 1024);
    let (mut kept, mut notes) = (Vec::new(), Vec::new());
    for part in message.attachments() {
        let raw_name = match part.attachment_name() {
            Some(n) => n.to_string(),
            None if part.is_message() => "message.eml".into(),
            None => match part.content_type() {
                Some(ct) => format!("attachment.{}", ct.subtype().unwrap_or("bin")),
                None => "attachment.bin".into(),
            },
        };
        let filename = sanitize_filename(&raw_name);
        let data = part.contents();
        let ext = extension(&filename);
        let problem = if !settings.allowed_extensions.contains(&ext) {
            Some("this file type is not allowed")
        } else if data.len() as u64 > limit {
            Some("over the size limit")
        } else if data.is_empty() {
            Some("the file is empty")
        } else if kept.len() >= MAX_FILES {
            Some("too many attachments")
        } else {
            None
        };
        match problem {
            Some(why) => notes.push(format!(
                "[attachment {filename} ({}) was not imported: {why}]",
                human_size(data.len())
            )),
            None => kept.push(Upload {
                content_type: content_type_for(&ext).to_string(),
                filename,
                data: data.to_vec(),
            }),
        }
    }
    (kept, notes)
}

fn human_size(bytes: usize) -> String {
    const MB: usize = 1024 * 1024;
    if bytes >= MB {
        format!("{} MB", bytes.div_ceil(MB))
    } else {
        format!("{} KB", bytes.div_ceil(1024).max(1))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sizes() {
        assert_eq!(human_size(12 * 1024 * 1024), "12 MB");
        assert_eq!(human_size(10), "1 KB");
    }

    #[test]
    fn finds_tracking_ids_in_subject_and_references() {
        let raw = b"From: a@b.com\r\nSubject: Re: [#ABC-DEF-GHJK] Printer\r\n\
            In-Reply-To: <ticket-ABC-DEF-GHJM-0011aabb@help.example.com>\r\n\r\nhi\r\n";
        let m = MessageParser::default().parse(&raw[..]).unwrap();
        assert_eq!(referenced_ticket(&m), vec!["ABC-DEF-GHJK", "ABC-DEF-GHJM"]);
    }
}
