//! The employee portal: no account needed. Submit a ticket, follow it by tracking ID and email
//! (or the secret link from notifications), reply, mark it resolved or reopen it, and say how
//! the desk did once it is resolved (`rating`).

mod access;
mod rating;

use rocket::form::FromForm;
use rocket::fs::TempFile;
use rocket::http::{CookieJar, Status};
use rocket::response::{Flash, Redirect};
use rocket::{Route, State, get, post, routes};
use serde_json::{Value, json};

use crate::db::now;
use crate::error::{Error, FieldErrors, Result};
use crate::tickets::actions::{Changes, NewMessage};
use crate::tickets::validate::{self, MAX_NAME, MAX_SUBJECT, TicketInput};
use crate::tickets::{self, Actor, Channel, MessageKind, NewTicket, RefData};
use crate::util::{clean, constant_time_eq};
use crate::web::csrf::{Checked, CsrfForm, TokenOnly};
use crate::web::files::{Download, checked_uploads};
use crate::web::{Answer, App, ClientIp, Html, Lang, Page, PageResult};
use crate::workflow::{Ctx, Desk};

/// How many of the most read articles the portal home lists.
const POPULAR_ON_HOME: i64 = 6;

/// The portal home helps first: a knowledge-base search, the most read articles, then the ways
/// to a ticket (submit, the requester's own tickets, the lookup form).
#[get("/")]
async fn home(page: Page<'_>, app: &State<App>, cookies: &CookieJar<'_>) -> Result<Html> {
    let data = home_data(&page, app, cookies, json!({}), None).await?;
    page.render("portal/home.html", data)
}

/// The home page's data, with the lookup form's values and error when it was refused.
async fn home_data(
    page: &Page<'_>,
    app: &App,
    cookies: &CookieJar<'_>,
    lookup: Value,
    error: Option<String>,
) -> Result<Value> {
    let lang = page.lang;
    // Through the (state, view_count) index: a short walk whatever the number of articles.
    let popular = app
        .db
        .read_quick(move |c| crate::kb::store::most_viewed(c, lang, POPULAR_ON_HOME))
        .await?;
    let popular: Vec<Value> = popular
        .into_iter()
        .map(|a| json!({ "slug": a.slug, "title": a.title, "lang": a.lang }))
        .collect();
    Ok(
        json!({ "recent": access::granted(cookies), "lookup": lookup, "error": error,
               "popular": popular }),
    )
}

#[get("/healthz")]
fn healthz() -> &'static str {
    "ok"
}

async fn load_refdata(app: &App, lang: Lang) -> Result<std::sync::Arc<RefData>> {
    app.refdata(lang).await
}

/// Categories and priorities an employee may pick.
fn portal_choices(refdata: &RefData) -> Value {
    json!({
        "categories": refdata.categories.iter().filter(|c| c.active).collect::<Vec<_>>(),
        "priorities": refdata.priorities.iter().filter(|p| p.requester_selectable).collect::<Vec<_>>(),
        "for_staff": false,
    })
}

#[get("/tickets/new")]
async fn new_ticket_page(page: Page<'_>, app: &State<App>) -> Result<Html> {
    let refdata = load_refdata(app, page.lang).await?;
    let settings = app.settings();
    page.render_shared("portal/new.html", &refdata, &settings, || {
        json!({ "choices": portal_choices(&refdata), "form": {}, "errors": {}, "settings": settings })
    })
}

#[derive(FromForm)]
pub struct TicketForm<'r> {
    #[field(default = String::new())]
    pub csrf_token: String,
    #[field(default = String::new())]
    pub name: String,
    #[field(default = String::new())]
    pub email: String,
    #[field(default = String::new())]
    pub category: String,
    #[field(default = String::new())]
    pub priority: String,
    #[field(default = String::new())]
    pub subject: String,
    #[field(default = String::new())]
    pub message: String,
    pub attachments: Vec<TempFile<'r>>,
    /// Only on the staff form; ignored in the portal.
    #[field(default = String::new())]
    pub assignee: String,
    /// Portal only: the slugs of the articles the suggestions showed while the employee wrote,
    /// separated by commas (filled in by `suggest.js`).
    #[field(default = String::new())]
    pub shown_articles: String,
}

impl CsrfForm for TicketForm<'_> {
    fn csrf_token(&self) -> &str {
        &self.csrf_token
    }
}

impl TicketForm<'_> {
    /// The fields the ticket rules check (`tickets::validate`).
    pub fn input(&self) -> TicketInput<'_> {
        TicketInput {
            name: &self.name,
            email: &self.email,
            category: &self.category,
            priority: &self.priority,
            subject: &self.subject,
            message: &self.message,
        }
    }
}

/// The values to put back into a re-rendered form.
pub fn form_values(form: &TicketForm<'_>) -> Value {
    json!({
        "name": form.name, "email": form.email, "category": form.category,
        "priority": form.priority, "subject": form.subject, "message": form.message,
        "shown_articles": form.shown_articles,
    })
}

/// At most this many suggested articles are counted per ticket.
pub const MAX_SHOWN_ARTICLES: usize = 10;

/// The distinct well-formed slugs of `shown_articles`, at most `MAX_SHOWN_ARTICLES` of them;
/// whether they name published articles is checked when they are counted.
pub fn shown_slugs(raw: &str) -> Vec<String> {
    let mut slugs: Vec<String> = Vec::new();
    for slug in raw.split(',').map(str::trim) {
        if slugs.len() == MAX_SHOWN_ARTICLES {
            break;
        }
        if crate::kb::valid_slug(slug) && !slugs.iter().any(|s| s == slug) {
            slugs.push(slug.to_string());
        }
    }
    slugs
}

#[post("/tickets", data = "<form>")]
async fn submit_ticket(
    page: Page<'_>,
    app: &State<App>,
    cookies: &CookieJar<'_>,
    form: Checked<TicketForm<'_>>,
) -> PageResult {
    let form = form.0;
    let refdata = load_refdata(app, page.lang).await?;
    let settings = app.settings();
    let (mut errors, picked) = validate::ticket(&form.input(), &refdata, false);
    let uploads = checked_uploads(&form.attachments, &settings, &mut errors).await;
    let (category_id, priority_id) = match picked {
        Some(p) if errors.is_empty() => p,
        _ => {
            let html = page.render(
                "portal/new.html",
                json!({ "choices": portal_choices(&refdata), "form": form_values(&form), "errors": errors, "settings": settings }),
            )?;
            return Ok(Answer::from((Status::UnprocessableEntity, html)));
        }
    };
    let new = NewTicket {
        requester_name: clean(&form.name, MAX_NAME),
        requester_email: form.email.trim().to_lowercase(),
        category_id,
        priority_id,
        subject: clean(&form.subject, MAX_SUBJECT),
        message: form.message.trim().to_string(),
        attachments: uploads,
        channel: Channel::Portal,
        assignee_id: None,
        lang: page.lang,
    };
    let shown = shown_slugs(&form.shown_articles);
    let ctx = Ctx::new(app.mail_ctx(), now());
    let tracking_id = app
        .db
        .write(move |c| {
            let requester = Actor::requester(&new.requester_name);
            let events = Desk::new(c, &ctx).open(&requester, &new)?;
            // Suggested, yet the employee still needed a ticket.
            crate::kb::store::record_shown(c, &shown)?;
            tickets::events::created(&events)
                .next()
                .map(|(_, tracking_id)| tracking_id.to_string())
                .ok_or_else(|| Error::internal("opening the ticket created none"))
        })
        .await?;
    access::grant(cookies, &tracking_id);
    Ok(Answer::from(Redirect::to(format!(
        "/tickets/{tracking_id}?created=true"
    ))))
}

#[derive(FromForm)]
struct AccessForm {
    #[field(default = String::new())]
    csrf_token: String,
    #[field(default = String::new())]
    tracking_id: String,
    #[field(default = String::new())]
    email: String,
}

impl CsrfForm for AccessForm {
    fn csrf_token(&self) -> &str {
        &self.csrf_token
    }
}

/// Checks a tracking ID + email pair, throttled per client address. One generic answer for a
/// wrong ID and a wrong email, so the form cannot be used to find tickets.
#[post("/tickets/lookup", data = "<form>")]
async fn lookup(
    page: Page<'_>,
    app: &State<App>,
    ip: ClientIp,
    cookies: &CookieJar<'_>,
    form: Checked<AccessForm>,
) -> PageResult {
    let form = form.0;
    let key = format!("ip:{}", ip.0);
    if app.lookup_throttle.is_blocked(&key) {
        return Err(Error::TooManyRequests);
    }
    let email = form.email.trim().to_lowercase();
    let found = match tickets::normalize_tracking_id(&form.tracking_id) {
        Some(tid) => {
            app.db
                .read(move |c| tickets::get_by_tracking_id(c, &tid))
                .await?
        }
        None => None,
    };
    match found {
        Some(t) if t.requester_email.eq_ignore_ascii_case(&email) => {
            app.lookup_throttle.reset(&key);
            access::grant(cookies, &t.tracking_id);
            Ok(Answer::from(Redirect::to(format!(
                "/tickets/{}",
                t.tracking_id
            ))))
        }
        _ => {
            app.lookup_throttle.record_failure(&key);
            let lookup = json!({ "tracking_id": form.tracking_id, "email": form.email });
            let error = Some(page.t("lookup_failed"));
            let data = home_data(&page, app, cookies, lookup, error).await?;
            let html = page.render("portal/home.html", data)?;
            Ok(Answer::from((Status::NotFound, html)))
        }
    }
}

/// Loads a ticket this browser may see: by the access cookie or the secret link's token.
async fn accessible(
    app: &App,
    cookies: &CookieJar<'_>,
    tid: &str,
    token: Option<&str>,
) -> Result<Option<tickets::Ticket>> {
    let Some(tid) = tickets::normalize_tracking_id(tid) else {
        return Ok(None);
    };
    let by_cookie = access::has(cookies, &tid);
    if !by_cookie && token.is_none() {
        return Ok(None);
    }
    let lookup = tid.clone();
    let Some(ticket) = app
        .db
        .read_quick(move |c| tickets::get_by_tracking_id(c, &lookup))
        .await?
    else {
        return Ok(None);
    };
    if by_cookie {
        return Ok(Some(ticket));
    }
    match token {
        Some(token) if constant_time_eq(token.as_bytes(), ticket.access_token.as_bytes()) => {
            access::grant(cookies, &ticket.tracking_id);
            Ok(Some(ticket))
        }
        _ => Ok(None),
    }
}

#[get("/tickets/<tid>?<token>&<created>")]
async fn view_ticket(
    page: Page<'_>,
    app: &State<App>,
    cookies: &CookieJar<'_>,
    tid: &str,
    token: Option<&str>,
    created: Option<bool>,
) -> Result<Html> {
    let Some(mut ticket) = accessible(app, cookies, tid, token).await? else {
        return page.render(
            "portal/access.html",
            json!({ "tracking_id": tid, "error": null }),
        );
    };
    let refdata = load_refdata(app, page.lang).await?;
    refdata.decorate(&mut ticket);
    let settings = app.settings();
    let created = created.unwrap_or(false);
    // Kept pages are for employees; the welcome note after submitting is shown once.
    let keep = page.staff.is_none() && !created;
    let key = page.ticket_page_key("portal/ticket.html", ticket.id);
    let inputs = page.page_inputs(ticket.revision, &refdata, &settings, Value::Null);
    if keep && let Some(html) = page.kept_page(&key, &inputs) {
        return Ok(html);
    }
    // Read after the ticket, so the messages are at least as new as its revision. The survey
    // moves the revision when answered, and with the clock (in `page_inputs`) when it closes.
    let (id, csat_on, at) = (ticket.id, settings.csat_enabled, page.now);
    let (messages, survey) = app
        .db
        .read(move |c| {
            let messages = tickets::messages(c, id, false)?;
            Ok((messages, tickets::csat::survey(c, id, csat_on, at)?))
        })
        .await?;
    let data = json!({ "ticket": ticket, "messages": messages, "created": created,
                       "form": {}, "errors": {}, "settings": settings,
                       "survey": survey.to_json(), "rating_form": rating::form_json(&survey) });
    if keep {
        page.render_kept(key, inputs, data)
    } else {
        page.render("portal/ticket.html", data)
    }
}

#[post("/tickets/<tid>/access", data = "<form>")]
async fn grant_access(
    page: Page<'_>,
    app: &State<App>,
    ip: ClientIp,
    cookies: &CookieJar<'_>,
    tid: &str,
    form: Checked<AccessForm>,
) -> PageResult {
    let mut form = form.0;
    form.tracking_id = tid.to_string();
    lookup(page, app, ip, cookies, Checked(form)).await
}

#[derive(FromForm)]
struct ReplyForm<'r> {
    #[field(default = String::new())]
    csrf_token: String,
    #[field(default = String::new())]
    message: String,
    attachments: Vec<TempFile<'r>>,
}

impl CsrfForm for ReplyForm<'_> {
    fn csrf_token(&self) -> &str {
        &self.csrf_token
    }
}

#[post("/tickets/<tid>/reply", data = "<form>")]
async fn reply(
    page: Page<'_>,
    app: &State<App>,
    cookies: &CookieJar<'_>,
    tid: &str,
    form: Checked<ReplyForm<'_>>,
) -> PageResult {
    let form = form.0;
    let Some(mut ticket) = accessible(app, cookies, tid, None).await? else {
        return Err(Error::Forbidden);
    };
    let settings = app.settings();
    let mut errors = FieldErrors::new();
    validate::message(&form.message, &mut errors);
    let uploads = checked_uploads(&form.attachments, &settings, &mut errors).await;
    if !errors.is_empty() {
        let refdata = load_refdata(app, page.lang).await?;
        refdata.decorate(&mut ticket);
        let id = ticket.id;
        let messages = app
            .db
            .read(move |c| tickets::messages(c, id, false))
            .await?;
        let survey = rating::survey_of(app, &ticket, page.now).await?;
        let html = page.render(
            "portal/ticket.html",
            json!({ "ticket": ticket, "messages": messages, "created": false,
                    "form": { "message": form.message }, "errors": errors, "settings": settings,
                    "survey": survey.to_json(), "rating_form": rating::form_json(&survey) }),
        )?;
        return Ok(Answer::from((Status::UnprocessableEntity, html)));
    }
    let message = NewMessage {
        kind: MessageKind::Requester,
        body: form.message.trim().to_string(),
        attachments: uploads,
    };
    let actor = Actor::requester(&ticket.requester_name);
    let id = ticket.id;
    let ctx = Ctx::new(app.mail_ctx(), now());
    app.db
        .write(move |c| Desk::new(c, &ctx).reply(&actor, id, &message, &Changes::default()))
        .await?;
    Ok(Answer::from(Redirect::to(format!(
        "/tickets/{}#latest",
        ticket.tracking_id
    ))))
}

/// The requester marks their ticket resolved (`resolve`) or reopens it.
async fn set_status(
    app: &App,
    cookies: &CookieJar<'_>,
    tid: &str,
    resolve: bool,
    flash: &'static str,
) -> Result<Flash<Redirect>> {
    let Some(ticket) = accessible(app, cookies, tid, None).await? else {
        return Err(Error::Forbidden);
    };
    let actor = Actor::requester(&ticket.requester_name);
    let id = ticket.id;
    let ctx = Ctx::new(app.mail_ctx(), now());
    app.db
        .write(move |c| {
            let desk = Desk::new(c, &ctx);
            if resolve {
                desk.resolve(&actor, id)
            } else {
                desk.reopen(&actor, id)
            }
        })
        .await?;
    Ok(Flash::success(
        Redirect::to(format!("/tickets/{}", ticket.tracking_id)),
        flash,
    ))
}

#[post("/tickets/<tid>/resolve", data = "<_form>")]
async fn resolve(
    app: &State<App>,
    cookies: &CookieJar<'_>,
    tid: &str,
    _form: Checked<TokenOnly>,
) -> Result<Flash<Redirect>> {
    set_status(app, cookies, tid, true, "flash_ticket_resolved").await
}

#[post("/tickets/<tid>/reopen", data = "<_form>")]
async fn reopen(
    app: &State<App>,
    cookies: &CookieJar<'_>,
    tid: &str,
    _form: Checked<TokenOnly>,
) -> Result<Flash<Redirect>> {
    set_status(app, cookies, tid, false, "flash_ticket_reopened").await
}

#[get("/tickets/<tid>/attachments/<id>")]
async fn attachment(
    app: &State<App>,
    cookies: &CookieJar<'_>,
    tid: &str,
    id: i64,
) -> Result<Download> {
    let Some(ticket) = accessible(app, cookies, tid, None).await? else {
        return Err(Error::NotFound);
    };
    let file = app
        .db
        .read(move |c| tickets::attachment(c, id))
        .await?
        .ok_or(Error::NotFound)?;
    if file.ticket_id != ticket.id || file.is_note {
        return Err(Error::NotFound);
    }
    Ok(Download::new(&file.filename, &file.content_type, file.data))
}

#[derive(FromForm)]
struct LangForm {
    #[field(default = String::new())]
    csrf_token: String,
    #[field(default = String::new())]
    lang: String,
    #[field(default = String::new())]
    next: String,
}

impl CsrfForm for LangForm {
    fn csrf_token(&self) -> &str {
        &self.csrf_token
    }
}

#[post("/lang", data = "<form>")]
fn switch_language(cookies: &CookieJar<'_>, form: Checked<LangForm>) -> Redirect {
    if let Some(lang) = Lang::from_code(&form.0.lang) {
        crate::web::lang::remember(lang, cookies);
    }
    Redirect::to(crate::util::safe_next(&form.0.next, "/"))
}

pub fn routes() -> Vec<Route> {
    let mut all = routes![
        home,
        healthz,
        new_ticket_page,
        submit_ticket,
        lookup,
        view_ticket,
        grant_access,
        reply,
        resolve,
        reopen,
        attachment,
        switch_language
    ];
    all.extend(rating::routes());
    all
}
