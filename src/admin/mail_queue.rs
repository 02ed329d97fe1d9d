//! The mail queues: the outbox (retry now, retry all, discard) and the quarantine of incoming
//! messages that could not be imported (view, download, retry the import, delete).

use std::borrow::Cow;

use mail_parser::MessageParser;
use rocket::response::{Flash, Redirect};
use rocket::{Route, State, get, post, routes};
use serde_json::json;

use super::done;
use super::mail_store::{self as store, QuarantineRow};
use crate::auth::AdminUser;
use crate::db::now;
use crate::error::{Error, Result};
use crate::mail::incoming::{self, Outcome};
use crate::outbox::{self, List};
use crate::web::csrf::{Checked, TokenOnly};
use crate::web::files::Download;
use crate::web::{Answer, App, ClientIp, Html, Page, PageResult};

/// Characters of a quarantined message's headers and text shown on its page; the download has
/// the rest.
const SHOWN_CHARS: usize = 100_000;

pub fn routes() -> Vec<Route> {
    routes![
        outbox_page,
        retry_one,
        retry_all,
        discard,
        quarantine_page,
        quarantine_view,
        quarantine_raw,
        quarantine_retry,
        quarantine_delete
    ]
}

async fn audit(
    app: &App,
    admin: &AdminUser,
    ip: ClientIp,
    action: &'static str,
    detail: String,
) -> Result<()> {
    let me = admin.0.id;
    app.db
        .write(move |c| crate::audit::record(c, Some(me), action, &detail, Some(&ip.0)))
        .await
}

#[get("/mail/outbox")]
async fn outbox_page(_admin: AdminUser, page: Page<'_>, app: &State<App>) -> Result<Html> {
    let (waiting, sent, discarded, alerts) = app
        .db
        .read(|c| {
            Ok((
                outbox::list(c, List::Waiting, store::SHOWN)?,
                outbox::list(c, List::Sent, store::SHOWN)?,
                outbox::list(c, List::Discarded, store::SHOWN)?,
                store::alerts(c)?,
            ))
        })
        .await?;
    let configured = {
        let config = app.config.clone();
        app.db
            .read(move |c| crate::mail::settings::configured(c, &config))
            .await?
    };
    page.render(
        "admin/mail_outbox.html",
        json!({
            "waiting": waiting, "sent": sent, "discarded": discarded, "limit": store::SHOWN,
            "mail_alerts": alerts, "configured": configured, "now": crate::db::now(),
        }),
    )
}

/// Changes one waiting mail with `change` (retry or discard) and audits it as `action`, in the
/// same transaction.
async fn change_waiting(
    app: &App,
    admin: &AdminUser,
    ip: ClientIp,
    id: i64,
    action: &'static str,
    change: fn(&rusqlite::Connection, i64) -> Result<String>,
) -> Result<()> {
    let me = admin.0.id;
    app.db
        .write(move |c| {
            let to = change(c, id)?;
            let detail = format!("id={id} to={to}");
            crate::audit::record(c, Some(me), action, &detail, Some(&ip.0))
        })
        .await
}

#[post("/mail/outbox/<id>/retry", data = "<_form>")]
async fn retry_one(
    admin: AdminUser,
    app: &State<App>,
    ip: ClientIp,
    id: i64,
    _form: Checked<TokenOnly>,
) -> PageResult {
    change_waiting(app, &admin, ip, id, "mail_retry", |c, id| {
        outbox::retry(c, id, now())
    })
    .await?;
    crate::mail::wake();
    done("/admin/mail/outbox".into(), "admin_mail_flash_retrying")
}

#[post("/mail/outbox/retry-all", data = "<_form>")]
async fn retry_all(
    admin: AdminUser,
    app: &State<App>,
    ip: ClientIp,
    _form: Checked<TokenOnly>,
) -> PageResult {
    let db = app.db.clone();
    rocket::tokio::task::spawn_blocking(move || crate::mail::retry_all_now(&db))
        .await
        .map_err(|e| Error::internal(format!("retry task failed: {e}")))??;
    let waiting = app.db.read(outbox::waiting_count).await?;
    audit(
        app,
        &admin,
        ip,
        "mail_retry_all",
        format!("waiting={waiting}"),
    )
    .await?;
    crate::mail::wake();
    done("/admin/mail/outbox".into(), "admin_mail_flash_retrying")
}

#[post("/mail/outbox/<id>/discard", data = "<_form>")]
async fn discard(
    admin: AdminUser,
    app: &State<App>,
    ip: ClientIp,
    id: i64,
    _form: Checked<TokenOnly>,
) -> PageResult {
    change_waiting(app, &admin, ip, id, "mail_discard", |c, id| {
        outbox::discard(c, id, now())
    })
    .await?;
    done("/admin/mail/outbox".into(), "admin_mail_flash_discarded")
}

/// A retried message's outcome as the pages show it: kind ("new", "added", "ignored") and its
/// detail (tracking ID or reason), plus the ticket's staff page when there is one.
fn outcome_view(row: &QuarantineRow, ticket_id: Option<i64>) -> serde_json::Value {
    let (kind, detail) = row
        .outcome
        .as_deref()
        .and_then(|o| o.split_once(' '))
        .unwrap_or(("", ""));
    json!({ "kind": kind, "detail": detail, "ticket_id": ticket_id })
}

#[get("/mail/quarantine")]
async fn quarantine_page(_admin: AdminUser, page: Page<'_>, app: &State<App>) -> Result<Html> {
    let (open, retried, alerts) = app
        .db
        .read(|c| {
            Ok((
                store::quarantine(c, true)?,
                store::quarantine(c, false)?,
                store::alerts(c)?,
            ))
        })
        .await?;
    let retried: Vec<_> = retried
        .iter()
        .map(|r| json!({ "row": r, "outcome": outcome_view(r, None) }))
        .collect();
    page.render(
        "admin/mail_quarantine.html",
        json!({ "open": open, "retried": retried, "limit": store::SHOWN, "mail_alerts": alerts }),
    )
}

/// The header block and the text of a raw message, as plain strings (escaped by the template).
fn headers_and_text(raw: &[u8]) -> (String, String) {
    let split = raw
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .map(|i| (i, i + 4))
        .or_else(|| {
            raw.windows(2)
                .position(|w| w == b"\n\n")
                .map(|i| (i, i + 2))
        });
    let (head, body) = match split {
        Some((end, start)) => (&raw[..end], &raw[start..]),
        None => (raw, &raw[raw.len()..]),
    };
    let text = MessageParser::default()
        .parse(raw)
        .and_then(|m| m.body_text(0).map(Cow::into_owned))
        .unwrap_or_else(|| String::from_utf8_lossy(body).into_owned());
    let cut = |s: &str| s.chars().take(SHOWN_CHARS).collect::<String>();
    (cut(&String::from_utf8_lossy(head)), cut(&text))
}

#[get("/mail/quarantine/<id>")]
async fn quarantine_view(
    _admin: AdminUser,
    page: Page<'_>,
    app: &State<App>,
    id: i64,
) -> Result<Html> {
    let (row, raw, alerts) = app
        .db
        .read(move |c| {
            Ok((
                store::quarantined(c, id)?,
                store::raw(c, id)?,
                store::alerts(c)?,
            ))
        })
        .await?;
    let ticket_id = match row.outcome.as_deref().and_then(|o| o.split_once(' ')) {
        Some(("new" | "added", tid)) => {
            let tid = tid.to_string();
            app.db
                .read(move |c| Ok(crate::tickets::get_by_tracking_id(c, &tid)?.map(|t| t.id)))
                .await?
        }
        _ => None,
    };
    let (headers, text) = headers_and_text(&raw);
    page.render(
        "admin/mail_quarantine_view.html",
        json!({
            "r": { "outcome": outcome_view(&row, ticket_id) }, "m": row, "headers": headers,
            "text": text, "mail_alerts": alerts,
        }),
    )
}

#[get("/mail/quarantine/<id>/raw")]
async fn quarantine_raw(_admin: AdminUser, app: &State<App>, id: i64) -> Result<Download> {
    let raw = app.db.read(move |c| store::raw(c, id)).await?;
    Ok(Download::new(
        &format!("quarantine-{id}.eml"),
        "message/rfc822",
        raw,
    ))
}

/// What a retry made of the message, as stored: "<kind> <detail>".
fn stored_outcome(outcome: &Outcome) -> Option<String> {
    match outcome {
        Outcome::NewTicket { tracking_id } => Some(format!("new {tracking_id}")),
        Outcome::Added { tracking_id } => Some(format!("added {tracking_id}")),
        Outcome::Ignored { reason } => Some(format!("ignored {reason}")),
        Outcome::Quarantined { .. } => None,
    }
}

#[post("/mail/quarantine/<id>/retry", data = "<_form>")]
async fn quarantine_retry(
    admin: AdminUser,
    page: Page<'_>,
    app: &State<App>,
    ip: ClientIp,
    id: i64,
    _form: Checked<TokenOnly>,
) -> PageResult {
    let (settings, config, me) = (app.settings(), app.config.clone(), admin.0.id);
    // One transaction: the import, and marking (or re-marking) the quarantined row.
    let outcome = app
        .db
        .write(move |c| {
            if store::quarantined(c, id)?.retried_at.is_some() {
                return Err(Error::BadRequest(format!(
                    "quarantined message {id} was already imported"
                )));
            }
            let raw = store::raw(c, id)?;
            let outcome = incoming::import(c, &raw, &settings, &config)?;
            match (&outcome, stored_outcome(&outcome)) {
                (Outcome::Quarantined { id: copy, reason }, _) => {
                    store::requarantined(c, id, *copy, reason)?
                }
                (_, Some(stored)) => store::mark_retried(c, id, &stored)?,
                _ => {}
            }
            let detail = format!("id={id} outcome={outcome}");
            crate::audit::record(c, Some(me), "quarantine_retry", &detail, Some(&ip.0))?;
            Ok(outcome)
        })
        .await?;
    crate::mail::wake();
    let to = Redirect::to(format!("/admin/mail/quarantine/{id}"));
    Ok(Answer::from(match outcome {
        Outcome::Quarantined { reason, .. } => Flash::error(
            to,
            page.t("admin_mail_flash_still_quarantined")
                .replace("{reason}", &reason),
        ),
        _ => Flash::success(to, page.t("admin_mail_flash_imported")),
    }))
}

#[post("/mail/quarantine/<id>/delete", data = "<_form>")]
async fn quarantine_delete(
    admin: AdminUser,
    app: &State<App>,
    ip: ClientIp,
    id: i64,
    _form: Checked<TokenOnly>,
) -> PageResult {
    let me = admin.0.id;
    app.db
        .write(move |c| {
            let row = store::quarantined(c, id)?;
            store::delete(c, id)?;
            let detail = format!(
                "id={id} from={} subject={} reason={}",
                row.from, row.subject, row.reason
            );
            crate::audit::record(c, Some(me), "quarantine_delete", &detail, Some(&ip.0))
        })
        .await?;
    done("/admin/mail/quarantine".into(), "admin_mail_flash_deleted")
}

#[cfg(test)]
mod tests {
    use super::headers_and_text;

    #[test]
    fn splits_headers_from_text() {
        let (h, t) = headers_and_text(b"From: a@b.c\r\nSubject: x\r\n\r\nhello\r\n");
        assert_eq!(h, "From: a@b.c\r\nSubject: x");
        assert!(t.contains("hello"));
        let (h, t) = headers_and_text(b"garbage without headers");
        assert_eq!(h, "garbage without headers");
        assert!(t.is_empty() || t.contains("garbage"));
    }
}
