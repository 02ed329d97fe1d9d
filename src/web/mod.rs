//! What every page shares: the application state, the page guard that renders templates with the
//! common context, error pages, security headers and static assets.

pub mod assets;
pub mod auth;
pub mod csrf;
pub mod files;
pub mod headers;
pub mod lang;
pub mod live;
pub mod page_cache;
pub mod presence;
pub mod throttle;

use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::{Arc, RwLock};
use std::time::{Duration, Instant};

use rocket::http::Status;
use rocket::request::{FlashMessage, FromRequest, Outcome, Request};
use rocket::response::content::RawHtml;
use rocket::response::{Flash, Redirect};
use rocket::{Catcher, catch, catchers};
use serde_json::{Value, json};

use crate::auth::StaffUser;
use crate::config::Config;
use crate::db::Db;
use crate::desk_time::format::{Phrases, ViewerTime};
use crate::error::{Error, Result};
use crate::i18n::LANGS;
use crate::i18n::localize::Localized;
use crate::i18n::templates::load_templates;
pub use crate::i18n::{I18n, Lang};
use crate::settings::Settings;
use crate::tickets::RefData;
use throttle::Throttle;

pub type Html = RawHtml<String>;

/// What a page's form answers: a redirect (with a flash message or without), or a page with its
/// status (typically the form again, with what was typed and the errors next to the fields).
#[derive(rocket::Responder)]
pub enum Answer {
    Redirect(Redirect),
    Flash(Flash<Redirect>),
    Page((Status, Html)),
}

/// The one result type of the page handlers that answer forms.
pub type PageResult = Result<Answer>;

impl From<Redirect> for Answer {
    fn from(r: Redirect) -> Answer {
        Answer::Redirect(r)
    }
}

impl From<Flash<Redirect>> for Answer {
    fn from(f: Flash<Redirect>) -> Answer {
        Answer::Flash(f)
    }
}

impl From<(Status, Html)> for Answer {
    fn from(page: (Status, Html)) -> Answer {
        Answer::Page(page)
    }
}

/// Everything a request handler may need; managed by Rocket, built once per app.
pub struct App {
    pub db: Db,
    pub config: Config,
    /// The templates with each language's strings baked in, in `LANGS` order.
    templates: Vec<Localized>,
    pub i18n: I18n,
    /// Each language's words for times, in `LANGS` order.
    phrases: Vec<Phrases>,
    settings: RwLock<Arc<Settings>>,
    pub login_throttle: Throttle,
    pub lookup_throttle: Throttle,
    dummy_hash: std::sync::Arc<std::sync::OnceLock<String>>,
    refdata_cache: RwLock<HashMap<&'static str, (Instant, Arc<RefData>)>>,
    kept_pages: page_cache::KeptPages,
    /// Whether the database changed since a kept page's inputs were read.
    data_version: page_cache::DataVersion,
    /// Who has which staff ticket page open (the collision warning).
    pub presence: presence::Presence,
    /// The open live streams' fan-out (`crate::live`, `web::live`).
    pub live: Arc<crate::live::Hub>,
}

/// HTML of rendered pages kept at most (some hundred ticket pages).
const KEPT_PAGES_BUDGET: usize = 3 << 20;

const REFDATA_TTL: Duration = Duration::from_secs(5);

impl App {
    pub fn new(db: Db, config: Config, settings: Settings) -> Result<App> {
        let i18n = I18n::load().map_err(Error::Internal)?;
        let data_version = page_cache::DataVersion::new(db.path());
        Ok(App {
            db,
            config,
            templates: load_templates(&i18n)?,
            phrases: LANGS
                .iter()
                .map(|lang| Phrases::from_catalog(i18n.catalog(*lang)))
                .collect(),
            i18n,
            settings: RwLock::new(Arc::new(settings)),
            login_throttle: Throttle::new(5, Duration::from_secs(15 * 60)),
            lookup_throttle: Throttle::new(10, Duration::from_secs(10 * 60)),
            dummy_hash: Default::default(),
            refdata_cache: RwLock::new(HashMap::new()),
            kept_pages: page_cache::KeptPages::new(KEPT_PAGES_BUDGET),
            data_version,
            presence: presence::Presence::new(),
            live: Arc::new(crate::live::Hub::new()),
        })
    }

    /// A bcrypt hash checked when the email is unknown, so both cases take the same time.
    /// Made on first use: hashing at start would slow every start-up.
    /// Returns a closure to run off the async runtime.
    pub fn dummy_hash(&self) -> impl FnOnce() -> String + Send + 'static {
        let (cell, cost) = (self.dummy_hash.clone(), self.config.bcrypt_cost);
        move || {
            cell.get_or_init(|| {
                crate::auth::users::hash_password(&crate::util::random_password(), cost)
                    .unwrap_or_default()
            })
            .clone()
        }
    }

    /// Statuses, priorities, categories and staff, localised, from a cache. Admin changes
    /// clear it at once (`write_refdata`); changes made by another process (the CLI) show within
    /// REFDATA_TTL.
    pub async fn refdata(&self, lang: Lang) -> Result<Arc<RefData>> {
        {
            let cache = self.refdata_cache.read().unwrap_or_else(|p| p.into_inner());
            if let Some((at, data)) = cache.get(lang.code())
                && at.elapsed() < REFDATA_TTL
            {
                return Ok(data.clone());
            }
        }
        let fresh = Arc::new(self.db.read(RefData::load).await?.localize(lang));
        let mut cache = self
            .refdata_cache
            .write()
            .unwrap_or_else(|p| p.into_inner());
        cache.insert(lang.code(), (Instant::now(), fresh.clone()));
        Ok(fresh)
    }

    /// A write that changes reference data (admin pages): the cache is cleared after it.
    pub async fn write_refdata<T, F>(&self, f: F) -> Result<T>
    where
        T: Send + 'static,
        F: FnOnce(&rusqlite::Connection) -> Result<T> + Send + 'static,
    {
        let out = self.db.write(f).await;
        self.refdata_cache
            .write()
            .unwrap_or_else(|p| p.into_inner())
            .clear();
        out
    }

    /// Renders `template` in `lang`; the catalog goes into the context only for the templates
    /// that still read it (see `localize`).
    pub fn render(&self, lang: Lang, template: &str, ctx: &mut tera::Context) -> Result<String> {
        let localized = &self.templates[lang.index()];
        if localized.needs_catalog(template) {
            ctx.insert("t", self.i18n.value(lang));
        }
        Ok(localized.tera.render(template, ctx)?)
    }

    /// `lang`'s words for times.
    pub fn phrases(&self, lang: Lang) -> &Phrases {
        &self.phrases[lang.index()]
    }

    /// The desk settings; shared, since nearly every page reads them.
    pub fn settings(&self) -> Arc<Settings> {
        self.settings
            .read()
            .unwrap_or_else(|p| p.into_inner())
            .clone()
    }

    /// Hashes a password with the configured bcrypt cost, off the async runtime.
    pub async fn hash_password(&self, password: String) -> Result<String> {
        let cost = self.config.bcrypt_cost;
        rocket::tokio::task::spawn_blocking(move || {
            crate::auth::users::hash_password(&password, cost)
        })
        .await
        .map_err(|e| Error::internal(format!("hashing task failed: {e}")))?
    }

    /// What notifications need from the desk, as configured now.
    pub fn mail_ctx(&self) -> crate::notify::MailCtx {
        crate::notify::MailCtx::from_parts(&self.config, &self.settings())
    }

    pub fn set_settings(&self, s: Settings) {
        *self.settings.write().unwrap_or_else(|p| p.into_inner()) = Arc::new(s);
    }
}

/// The client's address, as the throttles see it.
pub struct ClientIp(pub String);

#[rocket::async_trait]
impl<'r> FromRequest<'r> for ClientIp {
    type Error = std::convert::Infallible;
    async fn from_request(req: &'r Request<'_>) -> Outcome<Self, Self::Error> {
        let ip = req
            .client_ip()
            .map(|ip: IpAddr| ip.to_string())
            .unwrap_or_else(|| "unknown".into());
        Outcome::Success(ClientIp(ip))
    }
}

/// Request guard for any page: language, CSRF token, the logged-in staff member (if any), a
/// flash message, the moment of the request and the viewer's time zone, all added to every
/// template's context (`now`, `tz`: what the time filters take).
pub struct Page<'r> {
    pub app: &'r App,
    pub lang: Lang,
    pub csrf: String,
    pub staff: Option<StaffUser>,
    /// When the request came in (unix seconds): "2 hours ago" is counted from it.
    pub now: i64,
    flash: Option<(String, String)>,
    path: String,
    /// The database's `data_version` as the request came in, before the handler read anything
    /// (see `page_cache`).
    version: Option<i64>,
}

#[rocket::async_trait]
impl<'r> FromRequest<'r> for Page<'r> {
    type Error = ();
    async fn from_request(req: &'r Request<'_>) -> Outcome<Self, Self::Error> {
        let Some(app) = req.rocket().state::<App>() else {
            return Outcome::Error((Status::InternalServerError, ()));
        };
        // Read first: whatever the handler reads afterwards is at least this new.
        let version = app.data_version.read();
        let staff = auth::current_staff(req).await;
        let flash = match req.guard::<Option<FlashMessage<'_>>>().await {
            Outcome::Success(Some(f)) => Some((f.kind().to_string(), f.message().to_string())),
            _ => None,
        };
        Outcome::Success(Page {
            app,
            lang: lang::of_request(req),
            csrf: csrf::token(req.cookies()),
            staff,
            now: crate::db::now(),
            flash,
            path: req.uri().path().to_string(),
            version,
        })
    }
}

impl Page<'_> {
    /// The zone this viewer sees times in: a staff member's own, else the desk's (requesters
    /// and anyone not logged in always see the desk's).
    pub fn zone_name(&self) -> String {
        let desk = self.app.settings().timezone.clone();
        match &self.staff {
            Some(s) => crate::desk_time::viewer_zone(&s.timezone, &desk).to_string(),
            None => desk,
        }
    }

    /// The viewer's zone, the request's moment and language, for times formatted in Rust.
    pub fn time(&self) -> ViewerTime<'_> {
        ViewerTime {
            zone: crate::desk_time::zone_or_utc(&self.zone_name()),
            now: self.now,
            phrases: self.app.phrases(self.lang),
        }
    }

    pub fn t(&self, key: &str) -> String {
        self.app.i18n.get(self.lang, key).to_string()
    }

    /// A form's `FieldErrors` (field → catalog key) as the templates show them: field → message
    /// in the viewer's language.
    fn translate_errors(&self, errors: &mut Value) {
        let Value::Object(fields) = errors else {
            return;
        };
        for message in fields.values_mut() {
            if let Some(key) = message.get("key").and_then(Value::as_str) {
                let mut text = self.t(key);
                if let Some(Value::Object(args)) = message.get("args") {
                    for (name, value) in args {
                        if let Some(value) = value.as_str() {
                            text = text.replace(&format!("{{{name}}}"), value);
                        }
                    }
                }
                *message = Value::String(text);
            }
        }
    }

    /// Renders `template` with `data` (a JSON object) plus the shared context; its `errors`, a
    /// form's `FieldErrors`, are translated.
    pub fn render(&self, template: &str, data: Value) -> Result<Html> {
        self.render_with_token(template, data, &self.csrf)
            .map(RawHtml)
    }

    /// As `render`, for a page every anonymous visitor sees alike given `refdata` and the desk
    /// `settings` (the new-ticket form), kept like a ticket page. Staff pages are personal: those
    /// are rendered afresh (as are flash messages, by `kept_page`).
    pub fn render_shared(
        &self,
        template: &'static str,
        refdata: &Arc<RefData>,
        settings: &Arc<Settings>,
        data: impl FnOnce() -> Value,
    ) -> Result<Html> {
        if self.staff.is_some() {
            return self.render(template, data());
        }
        let key = self.page_key(template, 0, String::new());
        let inputs = self.page_inputs(0, refdata, settings, Value::Null);
        if let Some(html) = self.kept_page(&key, &inputs) {
            return Ok(html);
        }
        self.render_kept(key, inputs, data())
    }

    /// What a kept page shows besides a ticket's own messages and history (see
    /// `page_cache::KeptPages`); the viewer and the minute are added here (`viewer`).
    pub fn page_inputs(
        &self,
        revision: i64,
        refdata: &Arc<RefData>,
        settings: &Arc<Settings>,
        extra: Value,
    ) -> page_cache::PageInputs {
        page_cache::PageInputs {
            revision,
            refdata: refdata.clone(),
            settings: settings.clone(),
            path: self.path.clone(),
            viewer: self.viewer(),
            extra,
            until: None,
        }
    }

    /// The viewer (their zone with them) and the minute, since relative times ("5 min ago")
    /// move with the clock.
    fn viewer(&self) -> Value {
        json!([self.staff, self.now / 60])
    }

    /// The page kept under `key` if the database has not changed since its inputs were read
    /// and this request brings what it was rendered for (see `page_cache`): then nothing needs
    /// reading. A flash message makes a page personal, as in `kept_page`.
    pub fn unchanged_page(
        &self,
        key: &page_cache::PageKey,
        refdata: &Arc<RefData>,
        settings: &Arc<Settings>,
    ) -> Option<Html> {
        if self.flash.is_some() {
            return None;
        }
        let request = page_cache::RequestInputs {
            refdata: refdata.clone(),
            settings: settings.clone(),
            path: self.path.clone(),
            viewer: self.viewer(),
            now: self.now,
        };
        self.app
            .kept_pages
            .get_unchanged(key, &request, self.version, &self.csrf)
            .map(RawHtml)
    }

    pub fn ticket_page_key(&self, template: &'static str, ticket: i64) -> page_cache::PageKey {
        self.page_key(template, ticket, String::new())
    }

    /// A list's key: its query string names it.
    pub fn list_page_key(&self, template: &'static str, query: String) -> page_cache::PageKey {
        self.page_key(template, 0, query)
    }

    fn page_key(&self, template: &'static str, ticket: i64, query: String) -> page_cache::PageKey {
        page_cache::PageKey {
            template,
            lang: self.lang,
            ticket,
            query,
            viewer: self.staff.as_ref().map_or(0, |s| s.id),
        }
    }

    /// The page kept from an earlier request, if nothing it shows has changed since.
    /// A flash message makes a page personal: it is never served from, or kept in, the cache.
    pub fn kept_page(
        &self,
        key: &page_cache::PageKey,
        inputs: &page_cache::PageInputs,
    ) -> Option<Html> {
        if self.flash.is_some() {
            return None;
        }
        self.app
            .kept_pages
            .get(key, inputs, self.version, &self.csrf)
            .map(RawHtml)
    }

    /// Renders a page from `data` and keeps it for the next request with the same `inputs`;
    /// `data` must hold nothing beyond the ticket (by its revision) and `inputs`.
    pub fn render_kept(
        &self,
        key: page_cache::PageKey,
        inputs: page_cache::PageInputs,
        data: Value,
    ) -> Result<Html> {
        if self.flash.is_some() {
            return self.render(key.template, data);
        }
        let shared = self.render_with_token(key.template, data, page_cache::csrf_slot())?;
        let html = shared.replace(page_cache::csrf_slot(), &self.csrf);
        self.app.kept_pages.put(key, inputs, self.version, shared);
        Ok(RawHtml(html))
    }

    fn render_with_token(&self, template: &str, mut data: Value, token: &str) -> Result<String> {
        if let Some(errors) = data.get_mut("errors") {
            self.translate_errors(errors);
        }
        let mut ctx = tera::Context::from_value(data)?;
        let settings = self.app.settings();
        ctx.insert("lang", self.lang.code());
        ctx.insert("csrf_token", token);
        ctx.insert("staff", &self.staff);
        ctx.insert("desk_name", &settings.desk_name);
        ctx.insert("path", &self.path);
        ctx.insert("now", &self.now);
        ctx.insert("tz", &self.zone_name());
        if let Some((kind, msg)) = &self.flash {
            let text = if self.app.i18n.has(msg) {
                self.t(msg)
            } else {
                msg.clone()
            };
            ctx.insert("flash", &json!({ "kind": kind, "message": text }));
        }
        self.app.render(self.lang, template, &mut ctx)
    }
}

/// Why a request was refused with 403, left in the request's cache by the guard or handler that
/// refused it, so the error page says what happened. Without one, a 403 is the CSRF guard's
/// (`error_403` speaks of the form's security token).
#[derive(Clone, Copy, Default)]
pub struct Refusal(pub Option<&'static str>);

impl Refusal {
    /// Records `key` (a catalog key) as this request's reason; the first one left stays.
    pub fn leave(req: &Request<'_>, key: &'static str) {
        req.local_cache(|| Refusal(Some(key)));
    }
}

/// Whether `path` is in the desk (the staff's and the admins' pages), whose error pages keep the
/// desk's layout; anything else is the portal's.
pub fn in_desk(path: &str) -> bool {
    ["/staff", "/admin"].iter().any(|p| {
        path == *p
            || path
                .strip_prefix(p)
                .is_some_and(|rest| rest.starts_with('/'))
    })
}

/// The error page for `status`, in the requester's language and the layout of where they were:
/// the desk's under `/staff` and `/admin`, with the staff member's navigation when the request's
/// guards found one (see `auth::cached_staff`), else the portal's.
pub fn error_page(req: &Request<'_>, status: Status) -> (Status, Html) {
    let Some(app) = req.rocket().state::<App>() else {
        return (status, RawHtml(format!("<h1>{}</h1>", status.code)));
    };
    let lang = lang::of_request(req);
    let reason = match status {
        Status::Forbidden => req.local_cache(Refusal::default).0,
        _ => None,
    };
    let key = reason.map_or_else(|| format!("error_{}", status.code), str::to_string);
    let key = if app.i18n.has(&key) {
        key
    } else {
        "error_other".to_string()
    };
    let path = req.uri().path().to_string();
    let mut ctx = tera::Context::new();
    ctx.insert("lang", lang.code());
    ctx.insert("code", &status.code);
    ctx.insert("message", app.i18n.get(lang, &key));
    ctx.insert("staff", &auth::cached_staff(req));
    ctx.insert("desk", &in_desk(&path));
    ctx.insert("desk_name", &app.settings().desk_name);
    ctx.insert("path", &path);
    ctx.insert("now", &crate::db::now());
    ctx.insert("tz", &app.settings().timezone);
    // The header's log-out button and the footer's language switch are forms.
    ctx.insert("csrf_token", &csrf::token(req.cookies()));
    match app.render(lang, "error.html", &mut ctx) {
        Ok(html) => (status, RawHtml(html)),
        Err(e) => {
            log::error!("error page failed to render: {e}");
            (status, RawHtml(format!("<h1>{}</h1>", status.code)))
        }
    }
}

/// A status no handler answered (no route, a guard's refusal, a panic): the staff member, if
/// any, is looked up first (when no guard did), so the page shows their navigation.
#[catch(default)]
async fn default_catcher(status: Status, req: &Request<'_>) -> (Status, Html) {
    auth::current_staff(req).await;
    error_page(req, status)
}

/// Staff pages answer 401 when nobody is logged in: send the browser to the login form. A
/// member who must first set up two-factor sign-in is sent to its enrolment page instead.
#[catch(401)]
fn unauthorized(req: &Request<'_>) -> rocket::response::Redirect {
    if auth::must_enrol(req) {
        return rocket::response::Redirect::to(auth::ENROL_PATH);
    }
    let next = req.uri().path().to_string();
    rocket::response::Redirect::to(format!(
        "/staff/login?next={}",
        crate::util::url_encode(&next)
    ))
}

/// The portal's error pages.
pub fn catchers() -> Vec<Catcher> {
    catchers![default_catcher]
}

/// The desk's and the admin pages' error pages: the same, and a login form for a 401.
pub fn staff_catchers() -> Vec<Catcher> {
    catchers![default_catcher, unauthorized]
}

/// Every error a handler returns becomes the error page for its status.
impl<'r> rocket::response::Responder<'r, 'static> for Error {
    fn respond_to(self, req: &'r Request<'_>) -> rocket::response::Result<'static> {
        let status = self.status();
        if status.code >= 500 {
            log::error!("error on {} {}: {self}", req.method(), req.uri());
        }
        if status == Status::Forbidden {
            // The handler refused it, not the CSRF guard: the page must not blame the form.
            Refusal::leave(req, "error_403_refused");
        }
        error_page(req, status).respond_to(req)
    }
}
