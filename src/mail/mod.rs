//! Mail. Incoming messages become tickets or replies (`incoming`, fed by `helpdesk mail pipe`).
//! Outgoing: notifications are queued in the `outbox` table inside the transaction of the
//! change that causes them (`notify`), so a mail exists exactly when its change was committed; a
//! background worker started at liftoff sends due rows over SMTP (`lettre`) and marks them sent,
//! with the settings in effect (`settings`: the admin's, else the configuration's).

mod automatic;
pub mod imap;
pub mod incoming;
pub mod lease;
pub mod notify;
mod quoting;
pub mod settings;
pub mod templates;

use std::time::Duration;

use lettre::message::header::ContentType;
use lettre::message::{Mailbox, MultiPart};
use lettre::{Message, Transport};
use rocket::fairing::AdHoc;
use rusqlite::params;

use crate::config::Config;
use crate::db::{Db, now};
use crate::error::{Error, Result};
pub use settings::{MailSettings, transport};

/// Longest wait between two attempts at one mail.
const MAX_BACKOFF_SECS: i64 = 3600;
/// Mails sent per pass of the worker.
const BATCH: i64 = 50;

/// Wakes the worker before its next tick (see `wake`).
static WAKE: rocket::tokio::sync::Notify = rocket::tokio::sync::Notify::const_new();

/// Tells the worker that mail was just queued. Call it after the transaction committed (a wake
/// before the commit would find nothing); without it the mail still goes within a second.
pub fn wake() {
    WAKE.notify_one();
}

/// One queued mail.
#[derive(Debug, Clone)]
pub struct Outgoing {
    pub id: i64,
    pub to_addr: String,
    pub subject: String,
    pub body_text: String,
    pub body_html: Option<String>,
    pub message_id: String,
    pub in_reply_to: Option<String>,
    pub attempts: i64,
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

/// The message for a queued row, with the sender in effect and threading headers.
pub fn build_message(settings: &MailSettings, mail: &Outgoing) -> Result<Message> {
    let mut builder = Message::builder()
        .from(mailbox("mail_from", &settings.from)?)
        .to(mailbox("recipient", &mail.to_addr)?)
        .subject(mail.subject.clone())
        .message_id(Some(mail.message_id.clone()));
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
    db.read_blocking(|c| {
        let mut stmt = c.prepare_cached(
            "SELECT id, to_addr, subject, body_text, body_html, message_id, in_reply_to, attempts
             FROM outbox WHERE sent_at IS NULL AND discarded_at IS NULL AND next_attempt_at <= ?1
             ORDER BY id LIMIT ?2",
        )?;
        let rows = stmt
            .query_map(params![now(), limit], |r| {
                Ok(Outgoing {
                    id: r.get(0)?,
                    to_addr: r.get(1)?,
                    subject: r.get(2)?,
                    body_text: r.get(3)?,
                    body_html: r.get(4)?,
                    message_id: r.get(5)?,
                    in_reply_to: r.get(6)?,
                    attempts: r.get(7)?,
                })
            })?
            .collect::<rusqlite::Result<Vec<_>>>()?;
        Ok(rows)
    })
}

/// One pass of the worker: sends every due mail (up to a batch), one SMTP connection per mail,
/// with the settings in effect now. Returns how many were sent. While no SMTP server is
/// configured the mails simply wait: that is no failure of theirs.
pub fn deliver_due(db: &Db, config: &Config) -> Result<usize> {
    let due = due(db, BATCH)?;
    if due.is_empty() {
        return Ok(0);
    }
    let settings = db.read_blocking(|c| settings::effective(c, config))?;
    if !settings.configured() {
        return Ok(0);
    }
    let transport = transport(&settings)?;
    let mut sent = 0;
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
                db.write_blocking(move |c| {
                    c.execute(
                        "UPDATE outbox SET sent_at = ?2, last_error = NULL WHERE id = ?1",
                        params![id, now()],
                    )?;
                    Ok(())
                })?;
                sent += 1;
            }
            Err(e) => {
                let (id, attempts) = (mail.id, mail.attempts + 1);
                let error = e.to_string();
                db.write_blocking(move |c| {
                    c.execute(
                        "UPDATE outbox SET attempts = ?2, last_error = ?3, next_attempt_at = ?4
                         WHERE id = ?1",
                        params![id, attempts, error, now() + backoff_secs(attempts)],
                    )?;
                    Ok(())
                })?;
            }
        }
    }
    Ok(sent)
}

/// Makes every waiting mail due at once: a restart (often after fixing the SMTP settings)
/// retries without waiting out the back-off.
pub fn retry_all_now(db: &Db) -> Result<()> {
    db.write_blocking(|c| {
        c.execute(
            "UPDATE outbox SET next_attempt_at = ?1
             WHERE sent_at IS NULL AND discarded_at IS NULL AND next_attempt_at > ?1",
            [now()],
        )?;
        Ok(())
    })
}

/// Waits until this process holds the lease for `job` (at once, unless another server runs
/// on the same database; then when it stops).
pub async fn wait_for_lease(db: &std::path::Path, job: &str) -> lease::Lease {
    let mut told = false;
    loop {
        match lease::try_take(db, job) {
            Ok(Some(lease)) => return lease,
            Ok(None) if !told => {
                log::warn!(
                    "mail: another process does the {job} job for {}; waiting until it stops",
                    db.display()
                );
                told = true;
            }
            Ok(None) => {}
            Err(e) if !told => {
                log::error!("mail: {e}");
                told = true;
            }
            Err(_) => {}
        }
        rocket::tokio::time::sleep(Duration::from_secs(2)).await;
    }
}

/// The fairing that starts the delivery worker once the server is up. It always starts, since an
/// admin may configure SMTP later on the admin pages; until then it finds nothing to do. It
/// polls the outbox every second, and at once when woken.
pub fn worker() -> AdHoc {
    AdHoc::on_liftoff("Mail worker", |rocket| {
        Box::pin(async move {
            let Some(app) = rocket.state::<crate::web::App>() else {
                return;
            };
            let (db, config) = (app.db.clone(), app.config.clone());
            rocket::tokio::spawn(async move {
                let _lease = wait_for_lease(&config.db, "send").await;
                let first = db.clone();
                let _ = rocket::tokio::task::spawn_blocking(move || retry_all_now(&first)).await;
                loop {
                    let (db, config) = (db.clone(), config.clone());
                    match rocket::tokio::task::spawn_blocking(move || deliver_due(&db, &config))
                        .await
                    {
                        Ok(Ok(_)) => {}
                        Ok(Err(e)) => log::error!("mail worker: {e}"),
                        Err(e) => log::error!("mail worker: {e}"),
                    }
                    rocket::tokio::select! {
                        _ = rocket::tokio::time::sleep(Duration::from_secs(1)) => {}
                        _ = WAKE.notified() => {}
                    }
                }
            });
        })
    })
}
