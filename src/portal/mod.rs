//! The employee portal: no account needed. Submit a ticket, follow it by tracking ID and email
//! (or the secret link from notifications), reply, mark it resolved or reopen it, and say how
//! the desk did once it is resolved (`rating`).

pub mod abuse;
mod access;
mod cc;
mod known_issues;
mod live;
pub mod mine;
mod print;
mod rating;

use std::collections::HashMap;

use rocket::form::FromForm;
use rocket::fs::TempFile;
use rocket::http::{CookieJar, Status};
use rocket::response::{Flash, Redirect};
use rocket::{Route, State, get, post, routes};
use serde_json::{Value, json};

use crate::db::now;
use crate::error::{Error, FieldErrors, Result};
use crate::fields;
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
    // Kept per language, viewer and the tickets this browser may open (its own links): while
    // nothing is committed, the most read articles stay as they were, so nothing is read.
    let key = page.list_page_key("portal/home.html", access::granted(cookies).join(","));
    let (refdata, settings) = (app.refdata(page.lang).await?, app.settings());
    if let Some(html) = page.unchanged_page(&key, &refdata, &settings) {
        return Ok(html);
    }
    let data = home_data(&page, app, cookies, json!({}), None).await?;
    // Everything the page shows is in `data` (small): the page holds while it is the same.
    let inputs = page.page_inputs(0, &refdata, &settings, data.clone());
    if let Some(html) = page.kept_page(&key, &inputs) {
        return Ok(html);
    }
    page.render_kept(key, inputs, data)
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
    let known_issues = known_issues::banner(app, page, cookies).await?;
    Ok(
        json!({ "recent": access::granted(cookies), "lookup": lookup, "error": error,
               "popular": popular, "chat_open": live::chat_open(app),
               "known_issues": known_issues }),
    )
}

#[get("/healthz")]
fn healthz() -> &'static str {
    "ok"
}

async fn load_refdata(app: &App, lang: Lang) -> Result<std::sync::Arc<RefData>> {
    app.refdata(lang).await
}

/// Categories and priorities an employee may pick, and the custom fields shown to them (with
/// what they typed, when the form comes back).
pub(crate) fn portal_choices(refdata: &RefData, typed: Option<&fields::validate::Raw>) -> Value {
    json!({
        "categories": refdata.categories.iter().filter(|c| c.active).collect::<Vec<_>>(),
        "priorities": refdata.priorities.iter().filter(|p| p.requester_selectable).collect::<Vec<_>>(),
        "fields": fields::form_json(refdata, fields::Audience::Requester, typed),
        "for_staff": false,
    })
}

#[get("/tickets/new")]
async fn new_ticket_page(page: Page<'_>, app: &State<App>) -> Result<Html> {
    let refdata = load_refdata(app, page.lang).await?;
    let settings = app.settings();
    // With triage on, the form offers (and defaults to) "I don't know"; a known issue shows its
    // banner: either way not a kept page, so turning triage on or off, or publishing, shows at once.
    let triage_unknown = app.db.read_quick(crate::triage::enabled).await?;
    let issues = known_issues::published(app).await?;
    if triage_unknown || !issues.is_empty() {
        let banner = known_issues::banner_of(&page, &issues, false);
        return page.render(
            "portal/new.html",
            json!({ "choices": portal_choices(&refdata, None), "form": {}, "errors": {}, "settings": settings, "triage_unknown": triage_unknown, "known_issues": banner }),
        );
    }
    page.render_shared("portal/new.html", &refdata, &settings, || {
        json!({ "choices": portal_choices(&refdata, None), "form": {}, "errors": {}, "settings": settings })
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
    /// The honeypot (`abuse::HONEYPOT`): people never see it, so only a bot fills it.
    #[field(default = String::new())]
    pub website: String,
    /// Portal only: CC addresses, separated by commas or new lines (`cc::parse_form`).
    #[field(default = String::new())]
    pub cc: String,
    /// The custom fields' values by field id: inputs named `fields[<id>]`, one entry per
    /// value (a multi-select's ticked options).
    #[field(default = HashMap::new())]
    pub fields: HashMap<String, Vec<String>>,
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
        "shown_articles": form.shown_articles, "cc": form.cc,
    })
}

/// The custom field values of a new ticket in the chosen category (`picked`), checked: only
/// the fields that category asks `who` for count (a form without JavaScript sends them all).
pub fn custom_values(
    refdata: &RefData,
    picked: Option<(i64, i64)>,
    who: fields::Audience,
    form: &TicketForm<'_>,
    errors: &mut FieldErrors,
) -> Vec<(i64, String)> {
    let Some((category_id, _)) = picked else {
        return Vec::new();
    };
    fields::validate::check(
        &refdata.fields,
        category_id,
        who,
        &form.fields,
        false,
        errors,
    )
    .into_iter()
    .filter_map(|(id, v)| v.map(|v| (id, v)))
    .collect()
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
    limits: &State<abuse::Limits>,
    ip: ClientIp,
    cookies: &CookieJar<'_>,
    form: Checked<TicketForm<'_>>,
) -> PageResult {
    let form = form.0;
    if let Some(answer) = abuse::screen(&page, app, limits, &ip, &form).await? {
        return Ok(answer);
    }
    let refdata = load_refdata(app, page.lang).await?;
    let settings = app.settings();
    // "I don't know": checked as the desk's default category, which triage may change below.
    let unknown = form.category.trim() == crate::triage::UNKNOWN_CATEGORY;
    let default_category = if unknown {
        app.db.read_quick(tickets::store::default_category).await?
    } else {
        None
    };
    let default_id = default_category.map(|(id, _)| id.to_string());
    let mut input = form.input();
    if let Some(id) = &default_id {
        input.category = id;
    }
    let (mut errors, picked) = validate::ticket(&input, &refdata, false);
    let uploads = checked_uploads(&form.attachments, &settings, &mut errors).await;
    let ccs = cc::parse_form(&form.cc, &form.email, &mut errors);
    let values = custom_values(
        &refdata,
        picked,
        fields::Audience::Requester,
        &form,
        &mut errors,
    );
    let (category_id, priority_id) = match picked {
        Some(p) if errors.is_empty() => p,
        _ => {
            let html = page.render(
                "portal/new.html",
                json!({ "choices": portal_choices(&refdata, Some(&form.fields)), "form": form_values(&form), "errors": errors, "settings": settings, "triage_unknown": unknown }),
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
    let keep_priority = !form.priority.trim().is_empty();
    let tracking_id = app
        .db
        .write(move |c| {
            let mut new = new;
            let triaged = unknown && crate::triage::apply_to_new(c, &mut new, keep_priority)?;
            let requester = Actor::requester(&new.requester_name);
            let events = Desk::new(c, &ctx).open_with_fields(&requester, &new, &values)?;
            // Suggested, yet the employee still needed a ticket.
            crate::kb::store::record_shown(c, &shown)?;
            let (id, tracking_id) = tickets::events::created(&events)
                .next()
                .ok_or_else(|| Error::internal("opening the ticket created none"))?;
            cc::add_all(c, id, &ccs, ctx.now)?;
            if triaged {
                crate::triage::store::mark_applied(c, id)?;
            }
            Ok(tracking_id.to_string())
        })
        .await?;
    limits.count_submission(&form.email.trim().to_lowercase(), &ip.0);
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
pub(crate) async fn accessible(
    app: &App,
    cookies: &CookieJar<'_>,
    tid: &str,
    token: Option<&str>,
) -> Result<Option<tickets::Ticket>> {
    let Some(tid) = tickets::normalize_tracking_id(tid) else {
        return Ok(None);
    };
    let by_cookie = access::has(cookies, &tid);
    // Signed in through "My tickets": every ticket of that address.
    let signed_in = match (by_cookie, token) {
        (false, None) => mine::signed_in_email(app, cookies).await?,
        _ => None,
    };
    if !by_cookie && token.is_none() && signed_in.is_none() {
        return Ok(None);
    }
    let lookup = tid.clone();
    // With a token that is not the ticket's own: the tokens of the tickets merged into it,
    // whose secret links lead here.
    let with_aliases = !by_cookie;
    let Some((ticket, aliases)) = app
        .db
        .read_quick(move |c| {
            let Some(ticket) = tickets::get_by_tracking_id(c, &lookup)? else {
                return Ok(None);
            };
            let aliases = if with_aliases {
                tickets::store::merged_tokens(c, ticket.id)?
            } else {
                Vec::new()
            };
            Ok(Some((ticket, aliases)))
        })
        .await?
    else {
        return Ok(None);
    };
    if by_cookie {
        return Ok(Some(ticket));
    }
    if let Some(email) = signed_in {
        return Ok(ticket
            .requester_email
            .eq_ignore_ascii_case(&email)
            .then_some(ticket));
    }
    let matches = |secret: &str| {
        token.is_some_and(|token| constant_time_eq(token.as_bytes(), secret.as_bytes()))
    };
    if matches(&ticket.access_token) || aliases.iter().any(|a| matches(a)) {
        access::grant(cookies, &ticket.tracking_id);
        Ok(Some(ticket))
    } else {
        Ok(None)
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
) -> PageResult {
    let Some(mut ticket) = accessible(app, cookies, tid, token).await? else {
        let html = page.render(
            "portal/access.html",
            json!({ "tracking_id": tid, "error": null }),
        )?;
        return Ok(Answer::from((Status::Ok, html)));
    };
    // A merged ticket leads to the one it was merged into: this browser may see that one now,
    // and its link carries the token that opened this one (which the survivor accepts).
    let merged = ticket.id;
    if let Some((_, survivor)) = app
        .db
        .read_quick(move |c| tickets::store::merged_into(c, merged))
        .await?
    {
        access::grant(cookies, &survivor);
        let query = token
            .map(|t| format!("?token={}", crate::util::url_encode(t)))
            .unwrap_or_default();
        return Ok(Answer::from(Redirect::to(format!(
            "/tickets/{survivor}{query}"
        ))));
    }
    let refdata = load_refdata(app, page.lang).await?;
    refdata.decorate(&mut ticket);
    let settings = app.settings();
    let created = created.unwrap_or(false);
    // Kept pages are for employees; the welcome note after submitting is shown once.
    let keep = page.staff.is_none() && !created;
    let key = page.ticket_page_key("portal/ticket.html", ticket.id);
    let id = ticket.id;
    let ccs: Vec<String> = app
        .db
        .read_quick(move |c| tickets::followers::ccs(c, id))
        .await?
        .into_iter()
        .filter_map(|f| f.email)
        .collect();
    let inputs = page.page_inputs(ticket.revision, &refdata, &settings, json!(ccs));
    if keep && let Some(html) = page.kept_page(&key, &inputs) {
        return Ok(Answer::from((Status::Ok, html)));
    }
    // Read after the ticket, so the messages are at least as new as its revision. The survey
    // moves the revision when answered, and with the clock (in `page_inputs`) when it closes.
    let (id, csat_on, at) = (ticket.id, settings.csat_enabled, page.now);
    let (messages, survey, values) = app
        .db
        .read(move |c| {
            let messages = tickets::messages(c, id, false)?;
            let survey = tickets::csat::survey(c, id, csat_on, at)?;
            Ok((messages, survey, fields::store::values(c, id)?))
        })
        .await?;
    let custom = fields::shown(
        &refdata.fields,
        &values,
        page.lang,
        fields::Audience::Requester,
    );
    let data = json!({ "ticket": ticket, "messages": messages, "created": created,
                       "form": {}, "errors": {}, "settings": settings, "ccs": ccs, "custom_fields": custom,
                       "survey": survey.to_json(), "rating_form": rating::form_json(&survey) });
    let html = if keep {
        page.render_kept(key, inputs, data)?
    } else {
        page.render("portal/ticket.html", data)?
    };
    Ok(Answer::from((Status::Ok, html)))
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
        let (messages, ccs) = app
            .db
            .read(move |c| {
                Ok((
                    tickets::messages(c, id, false)?,
                    tickets::followers::ccs(c, id)?,
                ))
            })
            .await?;
        let ccs: Vec<String> = ccs.into_iter().filter_map(|f| f.email).collect();
        let survey = rating::survey_of(app, &ticket, page.now).await?;
        let html = page.render(
            "portal/ticket.html",
            json!({ "ticket": ticket, "messages": messages, "created": false, "ccs": ccs,
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
    // At the latest message, which `static/feedback.js` focuses, with a confirmation.
    Ok(Answer::from(Flash::success(
        Redirect::to(format!("/tickets/{}#latest", ticket.tracking_id)),
        "ux_flash_your_reply_sent",
    )))
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
    all.extend(abuse::routes());
    all.extend(mine::routes());
    all.extend(print::routes());
    all.extend(cc::routes());
    all.extend(live::routes());
    all.extend(known_issues::routes());
    all
}
