//! Admin > Recurring: ticket templates opened on a schedule by the `recurring_tickets` job
//! (`crate::automation::recurring`). The list shows each one's next run; the form creates and
//! edits them; pause, resume and delete are buttons. Every change goes to the audit log.

use rocket::form::FromForm;
use rocket::{Route, State, get, post, routes};
use serde_json::{Value, json};

use super::{done, rejected};
use crate::auth::AdminUser;
use crate::automation::recurring::{
    self, RecurringTicket, Repeat, Schedule, Template, schedule::WEEKDAY_NAMES, store,
    validate::Input,
};
use crate::error::{Error, FieldErrors, Result};
use crate::i18n::LANGS;
use crate::tickets::RefData;
use crate::web::csrf::{Checked, CsrfForm, TokenOnly};
use crate::web::{App, ClientIp, Html, Page, PageResult};

pub fn routes() -> Vec<Route> {
    routes![
        list_page, new_page, create, edit_page, save, pause, resume, delete
    ]
}

#[derive(FromForm)]
struct RecurringForm {
    #[field(default = String::new())]
    csrf_token: String,
    #[field(default = String::new())]
    name: String,
    #[field(default = String::new())]
    subject: String,
    #[field(default = String::new())]
    message: String,
    #[field(default = String::new())]
    category: String,
    #[field(default = String::new())]
    priority: String,
    #[field(default = String::new())]
    assignee: String,
    #[field(default = String::new())]
    requester_name: String,
    #[field(default = String::new())]
    requester_email: String,
    #[field(default = String::new())]
    lang: String,
    #[field(default = String::new())]
    repeat: String,
    /// The ticked weekdays; none ticked sends none.
    weekdays: Vec<String>,
    #[field(default = String::new())]
    day_of_month: String,
    #[field(default = String::new())]
    time: String,
}

impl CsrfForm for RecurringForm {
    fn csrf_token(&self) -> &str {
        &self.csrf_token
    }
}

impl RecurringForm {
    fn input(&self) -> Input {
        Input {
            name: self.name.clone(),
            subject: self.subject.clone(),
            message: self.message.clone(),
            category: self.category.clone(),
            priority: self.priority.clone(),
            assignee: self.assignee.clone(),
            requester_name: self.requester_name.clone(),
            requester_email: self.requester_email.clone(),
            lang: self.lang.clone(),
            repeat: self.repeat.clone(),
            weekdays: self.weekdays.clone(),
            day_of_month: self.day_of_month.clone(),
            time: self.time.clone(),
        }
    }

    /// The values as typed, for the form shown again.
    fn values(&self) -> Value {
        json!({
            "name": self.name, "subject": self.subject, "message": self.message,
            "category": self.category, "priority": self.priority, "assignee": self.assignee,
            "requester_name": self.requester_name, "requester_email": self.requester_email,
            "lang": self.lang, "repeat": self.repeat, "weekdays": self.weekdays,
            "day_of_month": self.day_of_month, "time": self.time,
        })
    }
}

/// A stored template's values, as the form shows them.
fn stored_values(t: &Template) -> Value {
    let (weekdays, day) = match t.schedule.repeat {
        Repeat::Daily => (Vec::new(), String::new()),
        Repeat::Weekly(days) => (days.names(), String::new()),
        Repeat::Monthly(day) => (Vec::new(), day.to_string()),
    };
    json!({
        "name": t.name, "subject": t.subject, "message": t.message,
        "category": t.category_id.to_string(), "priority": t.priority_id.to_string(),
        "assignee": t.assignee_id.map(|a| a.to_string()).unwrap_or_default(),
        "requester_name": t.requester_name, "requester_email": t.requester_email,
        "lang": t.lang.code(), "repeat": t.schedule.repeat.kind(), "weekdays": weekdays,
        "day_of_month": day, "time": t.schedule.time_text(),
    })
}

async fn refdata(app: &App, page: &Page<'_>) -> Result<RefData> {
    Ok(app.db.read(RefData::load).await?.localize(page.lang))
}

/// "Daily at 08:00", "Weekly on Mon, Fri at 09:30", "Monthly on day 31 at 07:00".
fn describe(page: &Page<'_>, s: &Schedule) -> String {
    let text = match s.repeat {
        Repeat::Daily => page.t("recurring_daily_at"),
        Repeat::Weekly(days) => {
            let names: Vec<String> = days
                .names()
                .iter()
                .map(|d| page.t(&format!("recurring_weekday_short_{d}")))
                .collect();
            page.t("recurring_weekly_at")
                .replace("{days}", &names.join(", "))
        }
        Repeat::Monthly(day) => page
            .t("recurring_monthly_at")
            .replace("{day}", &day.to_string()),
    };
    text.replace("{time}", &s.time_text())
}

/// What keeps a schedule from working as set (catalog keys): the list flags them.
fn problems(r: &RecurringTicket, rd: &RefData) -> Vec<&'static str> {
    let t = &r.template;
    let mut found = Vec::new();
    if !rd.category(t.category_id).is_some_and(|c| c.active) {
        found.push("recurring_problem_category");
    }
    if let Some(a) = t.assignee_id
        && !rd
            .agent(a)
            .is_some_and(|a| a.active && a.access.allows(t.category_id))
    {
        found.push("recurring_problem_assignee");
    }
    found
}

#[get("/recurring")]
async fn list_page(_admin: AdminUser, page: Page<'_>, app: &State<App>) -> Result<Html> {
    let all = app.db.read(store::all).await?;
    let rd = refdata(app, &page).await?;
    let rows: Vec<Value> = all
        .iter()
        .map(|r| {
            let t = &r.template;
            json!({
                "id": r.id, "name": t.name, "subject": t.subject, "active": r.active,
                "category": rd.category(t.category_id).map(|c| c.label.as_str()).unwrap_or(""),
                "priority": rd.priority(t.priority_id).map(|p| p.label.as_str()).unwrap_or(""),
                "assignee": t.assignee_id.and_then(|a| rd.agent(a)).map(|a| a.name.as_str()),
                "schedule": describe(&page, &t.schedule),
                "next_run_at": r.next_run_at, "last_run_at": r.last_run_at,
                "last_ticket_id": r.last_ticket_id, "problems": problems(r, &rd),
            })
        })
        .collect();
    super::render(
        &page,
        app,
        "admin/recurring.html",
        json!({ "recurring": rows, "desk_zone": app.settings().timezone }),
    )
    .await
}

/// The form page's data: `id` None for a new one.
async fn form_data(
    page: &Page<'_>,
    app: &App,
    id: Option<i64>,
    recurring: Option<&RecurringTicket>,
    form: Value,
    errors: FieldErrors,
) -> Result<Value> {
    let rd = refdata(app, page).await?;
    let (category, assignee) = match recurring {
        Some(r) => (Some(r.template.category_id), r.template.assignee_id),
        None => (None, None),
    };
    // Active categories and staff can be picked; the stored ones keep showing until changed.
    let categories: Vec<_> = rd
        .categories
        .iter()
        .filter(|c| c.active || Some(c.id) == category)
        .collect();
    let agents: Vec<_> = rd
        .agents
        .iter()
        .filter(|a| a.active || Some(a.id) == assignee)
        .collect();
    let weekdays: Vec<Value> = WEEKDAY_NAMES
        .iter()
        .map(|d| json!({ "value": d, "label": page.t(&format!("recurring_weekday_{d}")) }))
        .collect();
    let langs: Vec<&str> = LANGS.iter().map(|l| l.code()).collect();
    Ok(json!({
        "id": id,
        "recurring": recurring.map(|r| json!({
            "active": r.active, "next_run_at": r.next_run_at, "last_run_at": r.last_run_at,
            "last_ticket_id": r.last_ticket_id,
        })),
        "categories": categories, "priorities": rd.priorities, "agents": agents,
        "weekdays": weekdays, "langs": langs, "desk_zone": app.settings().timezone,
        "form": form, "errors": errors,
    }))
}

#[get("/recurring/new")]
async fn new_page(admin: AdminUser, page: Page<'_>, app: &State<App>) -> Result<Html> {
    let rd = refdata(app, &page).await?;
    let first = rd.categories.iter().find(|c| c.active);
    let form = json!({
        "category": first.map(|c| c.id.to_string()).unwrap_or_default(),
        "priority": first.map(|c| c.default_priority_id.to_string()).unwrap_or_default(),
        "requester_name": admin.0.name, "requester_email": admin.0.email,
        "lang": page.lang.code(), "repeat": "daily", "weekdays": Vec::<String>::new(),
        "time": "08:00",
    });
    let data = form_data(&page, app, None, None, form, FieldErrors::new()).await?;
    super::render(&page, app, "admin/recurring_edit.html", data).await
}

/// For the audit log: what was saved.
fn detail(id: i64, t: &Template) -> String {
    let s = &t.schedule;
    let when = match s.repeat {
        Repeat::Daily => "daily".to_string(),
        Repeat::Weekly(days) => format!("weekly:{}", days.names().join(",")),
        Repeat::Monthly(day) => format!("monthly:{day}"),
    };
    format!(
        "id={id} name={} schedule={when}@{} category={} priority={} assignee={}",
        t.name,
        s.time_text(),
        t.category_id,
        t.priority_id,
        t.assignee_id.map(|a| a.to_string()).unwrap_or_default()
    )
}

#[post("/recurring", data = "<form>")]
async fn create(
    admin: AdminUser,
    page: Page<'_>,
    app: &State<App>,
    ip: ClientIp,
    form: Checked<RecurringForm>,
) -> PageResult {
    let form = form.0;
    let input = form.input();
    let (me, now) = (admin.0.id, page.now);
    let outcome = app
        .db
        .write(move |c| {
            let zone = crate::settings::Settings::load(c)?.timezone;
            let template = match recurring::validate::template(&input, &RefData::load(c)?) {
                Ok(t) => t,
                Err(refusals) => return Ok(Err(refusals)),
            };
            let next = recurring::first_run(&template.schedule, &zone, now);
            let id = store::insert(c, &template, next, &zone, Some(me), now)?;
            let detail = detail(id, &template);
            crate::audit::record(c, Some(me), "recurring_create", &detail, Some(&ip.0))?;
            Ok(Ok(id))
        })
        .await?;
    match outcome {
        Ok(_) => done("/admin/recurring".into(), "recurring_flash_created"),
        Err(refusals) => {
            let data = form_data(&page, app, None, None, form.values(), refusals).await?;
            rejected(&page, "admin/recurring_edit.html", data)
        }
    }
}

#[get("/recurring/<id>")]
async fn edit_page(_admin: AdminUser, page: Page<'_>, app: &State<App>, id: i64) -> Result<Html> {
    let recurring = app
        .db
        .read(move |c| store::get(c, id))
        .await?
        .ok_or(Error::NotFound)?;
    let form = stored_values(&recurring.template);
    let data = form_data(
        &page,
        app,
        Some(id),
        Some(&recurring),
        form,
        FieldErrors::new(),
    )
    .await?;
    super::render(&page, app, "admin/recurring_edit.html", data).await
}

#[post("/recurring/<id>", data = "<form>")]
async fn save(
    admin: AdminUser,
    page: Page<'_>,
    app: &State<App>,
    ip: ClientIp,
    id: i64,
    form: Checked<RecurringForm>,
) -> PageResult {
    let form = form.0;
    let input = form.input();
    let (me, now) = (admin.0.id, page.now);
    let outcome = app
        .db
        .write(move |c| {
            let old = store::get(c, id)?.ok_or(Error::NotFound)?;
            let zone = crate::settings::Settings::load(c)?.timezone;
            let template = match recurring::validate::template(&input, &RefData::load(c)?) {
                Ok(t) => t,
                Err(refusals) => return Ok(Err((refusals, old))),
            };
            // The same schedule keeps its next run (one due this very minute is still served);
            // a changed one starts from now.
            let next = match old.next_run_at {
                _ if !old.active => None,
                Some(next) if old.template.schedule == template.schedule && old.zone == zone => {
                    Some(next)
                }
                _ => recurring::first_run(&template.schedule, &zone, now),
            };
            store::update(c, id, &template, next, &zone, now)?;
            let detail = detail(id, &template);
            crate::audit::record(c, Some(me), "recurring_update", &detail, Some(&ip.0))?;
            Ok(Ok(()))
        })
        .await?;
    match outcome {
        Ok(()) => done(format!("/admin/recurring/{id}"), "recurring_flash_saved"),
        Err((refusals, old)) => {
            let values = form.values();
            let data = form_data(&page, app, Some(id), Some(&old), values, refusals).await?;
            rejected(&page, "admin/recurring_edit.html", data)
        }
    }
}

/// Pauses (`active` false) or resumes one; a resumed schedule runs next at its first due time
/// after now, never for the due times it was paused over.
async fn set_active(
    admin: AdminUser,
    app: &App,
    ip: ClientIp,
    id: i64,
    active: bool,
) -> Result<()> {
    let (me, now) = (admin.0.id, crate::db::now());
    app.db
        .write(move |c| {
            let r = store::get(c, id)?.ok_or(Error::NotFound)?;
            let zone = crate::settings::Settings::load(c)?.timezone;
            let next = if active {
                recurring::first_run(&r.template.schedule, &zone, now)
            } else {
                None
            };
            store::set_active(c, id, active, next, &zone, now)?;
            let action = if active {
                "recurring_resume"
            } else {
                "recurring_pause"
            };
            let detail = format!("id={id} name={}", r.template.name);
            crate::audit::record(c, Some(me), action, &detail, Some(&ip.0))?;
            Ok(())
        })
        .await
}

#[post("/recurring/<id>/pause", data = "<_form>")]
async fn pause(
    admin: AdminUser,
    app: &State<App>,
    ip: ClientIp,
    id: i64,
    _form: Checked<TokenOnly>,
) -> PageResult {
    set_active(admin, app, ip, id, false).await?;
    done("/admin/recurring".into(), "recurring_flash_paused")
}

#[post("/recurring/<id>/resume", data = "<_form>")]
async fn resume(
    admin: AdminUser,
    app: &State<App>,
    ip: ClientIp,
    id: i64,
    _form: Checked<TokenOnly>,
) -> PageResult {
    set_active(admin, app, ip, id, true).await?;
    done("/admin/recurring".into(), "recurring_flash_resumed")
}

#[post("/recurring/<id>/delete", data = "<_form>")]
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
            let r = store::get(c, id)?.ok_or(Error::NotFound)?;
            store::delete(c, id)?;
            let detail = format!("id={id} name={}", r.template.name);
            crate::audit::record(c, Some(me), "recurring_delete", &detail, Some(&ip.0))?;
            Ok(())
        })
        .await?;
    done("/admin/recurring".into(), "recurring_flash_deleted")
}
