//! Mail. Incoming messages become tickets or replies (`incoming`, fed by `helpdesk mail pipe`).
//! Outgoing: notifications are queued in the `outbox` table inside the transaction of the
//! change that causes them (`crate::notify`, through `crate::outbox`), so a mail exists exactly when its
//! change was committed; the `mail_send` background job (`send_pass`, run by `crate::jobs`)
//! sends due rows over SMTP (`lettre`) and marks them sent, with the settings in effect
//! (`settings`: the admin's, else the configuration's).

mod authres;
mod automatic;
pub mod imap;
pub mod incoming;
mod quoting;
pub mod settings;

use lettre::message::header::{ContentType, Header, HeaderName, HeaderValue};
use lettre::message::{Mailbox, MultiPart};
use lettre::{Message, Transport};

use crate::config::Config;
use crate::db::{Db, now};
use crate::error::{Error, Result};
use crate::jobs::JobCtx;
use crate::outbox;
pub use crate::outbox::Outgoing;
pub use settings::{MailSettings, transport};

/// Longest wait between two attempts at one mail.
const MAX_BACKOFF_SECS: i64 = 3600;
/// Mails sent per pass of the worker.
const BATCH: i64 = 50;

/// Wakes the `mail_send` job at once, for mail committed already. Mail queued with
/// `outbox::insert` wakes it by itself when its transaction commits, so this is no longer needed
/// after queueing; it stays for the callers that still use it.
pub fn wake() {
    crate::jobs::wake::now(crate::jobs::MAIL_SEND);
}

/// Seconds to wait after the `attempts`-th failed attempt: 30 s, 60 s, 120 s… capped at 1 h.
pub fn backoff_secs(attempts: i64) -> i64 {
    let doublings = (attempts - 1).clamp(0, 20) as u32;
    (30i64 << doublings).min(MAX_BACKOFF_SECS)
}

fn mailbox(what: &str, addr: &str) -> Result<Mailbox> {
    addr.parse::<Mailbox>()
        .map_err(|e| Error::BadRequest(format!("{what} {addr:?} is not an email address: {e}")))
}

/// `Auto-Submitted: auto-generated` (RFC 3834, section 5): the mail was sent by the desk, not
/// typed by a person, so auto-responders (out of office, vacation) should not answer it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct AutoSubmitted;

impl Header for AutoSubmitted {
    fn name() -> HeaderName {
        HeaderName::new_from_ascii_str("Auto-Submitted")
    }

    fn parse(s: &str) -> std::result::Result<Self, Box<dyn std::error::Error + Send + Sync>> {
        if s.trim().eq_ignore_ascii_case("auto-generated") {
            Ok(AutoSubmitted)
        } else {
            Err(format!("Auto-Submitted: {s:?} is not auto-generated").into())
        }
    }

    fn display(&self) -> HeaderValue {
        HeaderValue::new(Self::name(), "auto-generated".to_string())
    }
}

/// The message for a queued row, with the sender in effect and threading headers. Every mail the
/// desk sends is automatic (notifications, the test email), so each carries `AutoSubmitted`.
pub fn build_message(settings: &MailSettings, mail: &Outgoing) -> Result<Message> {
    let mut builder = Message::builder()
        .from(mailbox("mail_from", &settings.from)?)
        .to(mailbox("recipient", &mail.to_addr)?)
        .subject(mail.subject.clone())
        .message_id(Some(mail.message_id.clone()))
        .header(AutoSubmitted);
    if !settings.reply_to.is_empty() {
        builder = builder.reply_to(mailbox("mail_reply_to", &settings.reply_to)?);
    }
    if let Some(parent) = &mail.in_reply_to {
        builder = builder
            .in_reply_to(parent.clone())
            .references(parent.clone());
    }
    let built = match &mail.body_html {
        Some(html) => builder.multipart(MultiPart::alternative_plain_html(
            mail.body_text.clone(),
            html.clone(),
        )),
        None => builder
            .header(ContentType::TEXT_PLAIN)
            .body(mail.body_text.clone()),
    };
    built.map_err(|e| Error::internal(format!("building mail {}: {e}", mail.id)))
}

/// Sends one message now with `settings`; returns the server's answer.
pub fn send_now(settings: &MailSettings, message: &Message) -> Result<String> {
    settings::send(settings, message)
}

/// Mails due now, oldest first.
pub fn due(db: &Db, limit: i64) -> Result<Vec<Outgoing>> {
    db.read_blocking(|c| outbox::due(c, now(), limit))
}

/// What one pass of the sender did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Delivery {
    /// Mails that were due.
    pub due: usize,
    /// False while no SMTP server is configured: then the due mail waits.
    pub configured: bool,
    pub sent: usize,
    pub failed: usize,
}

impl std::fmt::Display for Delivery {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Delivery { due: 0, .. } => write!(f, "no mail due"),
            Delivery {
                due,
                configured: false,
                ..
            } => write!(f, "{due} due, waiting for an SMTP server to be configured"),
            Delivery { sent, failed, .. } => write!(f, "{sent} sent, {failed} failed"),
        }
    }
}

/// One pass of the sender: sends every due mail (up to a batch), one SMTP connection per mail,
/// with the settings in effect now. While no SMTP server is configured the mails simply wait:
/// that is no failure of theirs.
pub fn deliver_due(db: &Db, config: &Config) -> Result<Delivery> {
    let due = due(db, BATCH)?;
    let mut delivery = Delivery {
        due: due.len(),
        ..Delivery::default()
    };
    if due.is_empty() {
        return Ok(delivery);
    }
    let settings = db.read_blocking(|c| settings::effective(c, config))?;
    if !settings.configured() {
        return Ok(delivery);
    }
    delivery.configured = true;
    let transport = transport(&settings)?;
    for mail in due {
        let result = build_message(&settings, &mail).and_then(|m| {
            transport
                .send(&m)
                .map_err(|e| Error::internal(format!("SMTP: {e}")))
        });
        match result {
            // Marked right after the server accepted it. A crash between the two can send
            // this mail once more after the restart (at-least-once); nothing is ever lost.
            Ok(_) => {
                let id = mail.id;
                db.write_blocking(move |c| outbox::mark_sent(c, id, now()))?;
                delivery.sent += 1;
            }
            Err(e) => {
                let (id, attempts) = (mail.id, mail.attempts + 1);
                let error = e.to_string();
                db.write_blocking(move |c| {
                    outbox::mark_failed(c, id, attempts, &error, now() + backoff_secs(attempts))
                })?;
                delivery.failed += 1;
            }
        }
    }
    Ok(delivery)
}

/// Makes every waiting mail due at once: a restart (often after fixing the SMTP settings)
/// retries without waiting out the back-off.
pub fn retry_all_now(db: &Db) -> Result<()> {
    db.write_blocking(|c| outbox::retry_all(c, now()).map(|_| ()))
}

/// The `mail_send` job's pass: the due mail. Its first pass in a process also makes every
/// waiting mail due at once, so a restart (often after fixing the SMTP settings) retries without
/// waiting out the back-off. It runs whether or not SMTP is configured, since an admin may save
/// a server on the admin pages at any time; until then it finds nothing to send.
pub fn send_pass(ctx: &JobCtx) -> Result<String> {
    if ctx.first
        && let Err(e) = retry_all_now(&ctx.db)
    {
        log::error!("mail_send: retrying the waiting mail at start: {e}");
    }
    Ok(deliver_due(&ctx.db, &ctx.config)?.to_string())
}
