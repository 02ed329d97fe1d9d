//! Admin > Webhooks: the list with a form for a new one (`/admin/webhooks`), each webhook's page
//! (`/admin/webhooks/ID`: its settings, secret, "Send test event", delete, and its delivery log,
//! `webhook_log`). Every change goes to the audit log; the secret never does, nor the URL's path
//! (chat services' URLs hold a token): only its host.

use rocket::form::FromForm;
use rocket::{Route, State, get, post, routes};
use serde_json::{Value, json};

use super::{done, rejected, webhook_log};
use crate::auth::AdminUser;
use crate::error::{Error, FieldErrors, Result};
use crate::web::csrf::{Checked, CsrfForm, TokenOnly};
use crate::web::{App, ClientIp, Html, Page, PageResult};
use crate::webhooks::store::{self, NewWebhook};
use crate::webhooks::validate::{self, Input};
use crate::webhooks::{EventKind, Preset, Webhook};

pub fn routes() -> Vec<Route> {
    let mut all = routes![list_page, create, edit_page, save, delete, send_test];
    all.extend(webhook_log::routes());
    all
}

#[derive(FromForm)]
struct WebhookForm {
    #[field(default = String::new())]
    csrf_token: String,
    #[field(default = String::new())]
    name: String,
    #[field(default = String::new())]
    url: String,
    #[field(default = String::new())]
    secret: String,
    /// The ticked event names; none ticked sends none.
    events: Vec<String>,
    #[field(default = String::new())]
    preset: String,
    active: bool,
}

impl CsrfForm for WebhookForm {
    fn csrf_token(&self) -> &str {
        &self.csrf_token
    }
}

impl WebhookForm {
    fn input(&self) -> Input {
        Input {
            name: self.name.clone(),
            url: self.url.clone(),
            secret: self.secret.clone(),
            events: self.events.clone(),
            preset: self.preset.clone(),
            active: self.active,
        }
    }

    /// The values as typed, for the form shown again (the secret is not shown back).
    fn values(&self) -> Value {
        json!({
            "name": self.name, "url": self.url, "events": self.events, "preset": self.preset,
            "active": self.active,
        })
    }
}

/// A stored webhook's values, as the form shows them.
fn stored_values(w: &Webhook) -> Value {
    json!({
        "name": w.name, "url": w.url, "events": w.events.names(), "preset": w.preset.as_str(),
        "active": w.active,
    })
}

/// The host a URL names, for lists and the audit log.
pub(super) fn host(url: &str) -> String {
    url::Url::parse(url)
        .ok()
        .and_then(|u| u.host_str().map(str::to_string))
        .unwrap_or_default()
}

/// The events and presets the form offers, labelled.
fn choices(page: &Page<'_>) -> Value {
    let events: Vec<Value> = EventKind::ALL
        .iter()
        .map(|k| {
            let key = format!("webhooks_event_{}", k.name().replace('.', "_"));
            json!({ "value": k.name(), "label": page.t(&key) })
        })
        .collect();
    let presets: Vec<Value> = Preset::ALL
        .iter()
        .map(|p| json!({ "value": p.as_str(), "label": page.t(&format!("webhooks_preset_{}", p.as_str())) }))
        .collect();
    json!({ "events": events, "presets": presets })
}

async fn list_data(page: &Page<'_>, app: &App, form: Value, errors: FieldErrors) -> Result<Value> {
    let hooks = app
        .db
        .read(|c| {
            store::all(c)?
                .into_iter()
                .map(|w| Ok((store::counts(c, w.id)?, w)))
                .collect::<Result<Vec<_>>>()
        })
        .await?;
    let rows: Vec<Value> = hooks
        .iter()
        .map(|(counts, w)| {
            json!({
                "id": w.id, "name": w.name, "host": host(&w.url), "preset": w.preset.as_str(),
                "events": w.events.names(), "active": w.active, "counts": counts,
            })
        })
        .collect();
    Ok(json!({ "webhooks": rows, "choices": choices(page), "form": form, "errors": errors }))
}

#[get("/webhooks")]
async fn list_page(_admin: AdminUser, page: Page<'_>, app: &State<App>) -> Result<Html> {
    let form = json!({
        "preset": "generic", "active": true, "events": [EventKind::TicketCreated.name()],
    });
    let data = list_data(&page, app, form, FieldErrors::new()).await?;
    super::render(&page, app, "admin/webhooks.html", data).await
}

/// For the audit log: what was saved, without the secret or the URL's path.
fn detail(id: i64, w: &NewWebhook) -> String {
    format!(
        "id={id} name={} host={} events={} preset={} active={}",
        w.name,
        host(&w.url),
        w.events.stored(),
        w.preset.as_str(),
        w.active
    )
}

#[post("/webhooks", data = "<form>")]
async fn create(
    admin: AdminUser,
    page: Page<'_>,
    app: &State<App>,
    ip: ClientIp,
    form: Checked<WebhookForm>,
) -> PageResult {
    let form = form.0;
    let checked = validate::webhook(&form.input(), None);
    let hook = match checked {
        Ok(hook) => hook,
        Err(errors) => {
            let data = list_data(&page, app, form.values(), errors).await?;
            return rejected(&page, "admin/webhooks.html", data);
        }
    };
    let (me, now) = (admin.0.id, page.now);
    let id = app
        .db
        .write(move |c| {
            let id = store::insert(c, &hook, now)?;
            crate::audit::record(
                c,
                Some(me),
                "webhook_created",
                &detail(id, &hook),
                Some(&ip.0),
            )?;
            Ok(id)
        })
        .await?;
    done(format!("/admin/webhooks/{id}"), "webhooks_flash_created")
}

/// The webhook page's data: its settings (`form` as typed or stored), secret and log.
async fn edit_data(
    page: &Page<'_>,
    app: &App,
    hook: &Webhook,
    form: Value,
    errors: FieldErrors,
    log_page: i64,
) -> Result<Value> {
    let log = webhook_log::page_data(app, hook.id, log_page).await?;
    Ok(json!({
        "id": hook.id, "secret": hook.secret, "active": hook.active, "host": host(&hook.url),
        "created_at": hook.created_at, "updated_at": hook.updated_at,
        "choices": choices(page), "form": form, "errors": errors, "log": log,
    }))
}

async fn get_hook(app: &App, id: i64) -> Result<Webhook> {
    app.db
        .read(move |c| store::get(c, id))
        .await?
        .ok_or(Error::NotFound)
}

#[get("/webhooks/<id>?<p>")]
async fn edit_page(
    _admin: AdminUser,
    page: Page<'_>,
    app: &State<App>,
    id: i64,
    p: Option<i64>,
) -> Result<Html> {
    let hook = get_hook(app, id).await?;
    let form = stored_values(&hook);
    let log_page = p.unwrap_or(1).clamp(1, 1_000_000);
    let data = edit_data(&page, app, &hook, form, FieldErrors::new(), log_page).await?;
    super::render(&page, app, "admin/webhook_edit.html", data).await
}

#[post("/webhooks/<id>", data = "<form>")]
async fn save(
    admin: AdminUser,
    page: Page<'_>,
    app: &State<App>,
    ip: ClientIp,
    id: i64,
    form: Checked<WebhookForm>,
) -> PageResult {
    let form = form.0;
    let old = get_hook(app, id).await?;
    let hook = match validate::webhook(&form.input(), Some(&old.secret)) {
        Ok(hook) => hook,
        Err(errors) => {
            let data = edit_data(&page, app, &old, form.values(), errors, 1).await?;
            return rejected(&page, "admin/webhook_edit.html", data);
        }
    };
    let (me, now) = (admin.0.id, page.now);
    app.db
        .write(move |c| {
            if !store::update(c, id, &hook, now)? {
                return Err(Error::NotFound);
            }
            let mut detail = detail(id, &hook);
            if hook.secret != old.secret {
                detail.push_str(" secret=changed");
            }
            crate::audit::record(c, Some(me), "webhook_updated", &detail, Some(&ip.0))
        })
        .await?;
    done(format!("/admin/webhooks/{id}"), "webhooks_flash_saved")
}

#[post("/webhooks/<id>/delete", data = "<_form>")]
async fn delete(
    admin: AdminUser,
    app: &State<App>,
    ip: ClientIp,
    id: i64,
    _form: Checked<TokenOnly>,
) -> PageResult {
    let me = admin.0.id;
    app.db
        .write(move |c| {
            let w = store::get(c, id)?.ok_or(Error::NotFound)?;
            store::delete(c, id)?;
            let detail = format!("id={id} name={} host={}", w.name, host(&w.url));
            crate::audit::record(c, Some(me), "webhook_deleted", &detail, Some(&ip.0))
        })
        .await?;
    done("/admin/webhooks".into(), "webhooks_flash_deleted")
}

/// Queues a `webhook.test` delivery; the job sends it like any other, within a second or two.
#[post("/webhooks/<id>/test", data = "<_form>")]
async fn send_test(
    _admin: AdminUser,
    app: &State<App>,
    id: i64,
    _form: Checked<TokenOnly>,
) -> PageResult {
    let (now, base) = (crate::db::now(), app.mail_ctx().base_url);
    app.db
        .write(move |c| {
            let hook = store::get(c, id)?.ok_or(Error::NotFound)?;
            crate::webhooks::queue_test(c, &hook, now, &base)
        })
        .await?;
    done(format!("/admin/webhooks/{id}"), "webhooks_flash_test")
}
