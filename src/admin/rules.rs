//! Admin > Rules: the automation rules in the order they run (moved up and down, switched on and
//! off), a form per rule with one field per kind of condition and action, and "Test this rule",
//! which shows the recent tickets a rule matches without changing any. The rules themselves, and
//! what a valid one is, are `crate::rules`'.

use rocket::form::FromForm;
use rocket::{Route, State, get, post, routes};
use serde_json::{Value, json};

use super::done;
use crate::auth::AdminUser;
use crate::db::now;
use crate::error::{Error, FieldErrors, Result};
use crate::rules::validate::{self, CHANNELS, RuleInput};
use crate::rules::{self, Rule, run, store};
use crate::web::csrf::{Checked, CsrfForm, TokenOnly};
use crate::web::{App, ClientIp, Html, Page, PageResult};

pub fn routes() -> Vec<Route> {
    routes![
        list_page, new_page, create, edit_page, save, delete, move_rule, set_active, test_page
    ]
}

#[derive(FromForm)]
struct RuleForm {
    #[field(default = String::new())]
    csrf_token: String,
    #[field(default = String::new())]
    name: String,
    active: bool,
    #[field(default = String::new())]
    event: String,
    #[field(default = String::new())]
    by: String,
    #[field(default = String::new())]
    match_mode: String,
    channels: Vec<String>,
    #[field(default = String::new())]
    category_op: String,
    categories: Vec<String>,
    priorities: Vec<String>,
    statuses: Vec<String>,
    #[field(default = String::new())]
    requester_email: String,
    #[field(default = String::new())]
    requester_domain: String,
    #[field(default = String::new())]
    subject_words: String,
    #[field(default = String::new())]
    message_words: String,
    #[field(default = String::new())]
    assigned: String,
    #[field(default = String::new())]
    business_hours: String,
    #[field(default = String::new())]
    set_category: String,
    #[field(default = String::new())]
    set_priority: String,
    #[field(default = String::new())]
    set_status: String,
    #[field(default = String::new())]
    set_assignee: String,
    add_note: bool,
    #[field(default = String::new())]
    note: String,
    #[field(default = String::new())]
    email_to: String,
    #[field(default = String::new())]
    email_address: String,
    #[field(default = String::new())]
    email_subject: String,
    #[field(default = String::new())]
    email_body: String,
    stop: bool,
}

impl CsrfForm for RuleForm {
    fn csrf_token(&self) -> &str {
        &self.csrf_token
    }
}

impl RuleForm {
    fn input(self) -> RuleInput {
        RuleInput {
            name: self.name,
            active: self.active,
            event: self.event,
            by: self.by,
            match_mode: self.match_mode,
            channels: self.channels,
            category_op: self.category_op,
            categories: self.categories,
            priorities: self.priorities,
            statuses: self.statuses,
            requester_email: self.requester_email,
            requester_domain: self.requester_domain,
            subject_words: self.subject_words,
            message_words: self.message_words,
            assigned: self.assigned,
            business_hours: self.business_hours,
            set_category: self.set_category,
            set_priority: self.set_priority,
            set_status: self.set_status,
            set_assignee: self.set_assignee,
            add_note: self.add_note,
            note: self.note,
            email_to: self.email_to,
            email_address: self.email_address,
            email_subject: self.email_subject,
            email_body: self.email_body,
            stop: self.stop,
        }
    }
}

#[derive(FromForm)]
struct MoveForm {
    #[field(default = String::new())]
    csrf_token: String,
    #[field(default = String::new())]
    direction: String,
}

impl CsrfForm for MoveForm {
    fn csrf_token(&self) -> &str {
        &self.csrf_token
    }
}

#[derive(FromForm)]
struct ActiveForm {
    #[field(default = String::new())]
    csrf_token: String,
    active: bool,
}

impl CsrfForm for ActiveForm {
    fn csrf_token(&self) -> &str {
        &self.csrf_token
    }
}

// Pages.

/// A rule as the list shows it.
fn row(rule: &Rule) -> Value {
    let actions: Vec<&str> = rule.def.actions.iter().map(|a| a.code()).collect();
    json!({
        "id": rule.id, "name": rule.def.name, "active": rule.def.active,
        "event": rule.def.event.as_str(), "by": rule.def.by.as_str(),
        "match_mode": rule.def.match_mode.as_str(), "conditions": rule.def.conditions.len(),
        "actions": actions, "failure": rule.last_failure,
    })
}

#[get("/rules")]
async fn list_page(_admin: AdminUser, page: Page<'_>, app: &State<App>) -> Result<Html> {
    let rules = app.db.read(store::list).await?;
    let rows: Vec<Value> = rules.iter().map(row).collect();
    super::render(&page, app, "admin/rules.html", json!({ "rules": rows })).await
}

/// The form page's data: the choices (reference data in the viewer's language) and the input.
async fn form_data(
    page: &Page<'_>,
    app: &App,
    rule: Option<&Rule>,
    form: &RuleInput,
    errors: FieldErrors,
) -> Result<Value> {
    let rd = app.refdata(page.lang).await?;
    let channels: Vec<&str> = CHANNELS.iter().map(|c| c.as_str()).collect();
    // Active accounts can be chosen; an inactive one the rule names stays listed, marked.
    let agents: Vec<_> = rd
        .agents
        .iter()
        .filter(|a| a.active || form.set_assignee == a.id.to_string())
        .collect();
    Ok(json!({
        "rule": rule.map(|r| json!({ "id": r.id, "name": r.def.name })),
        "form": form, "errors": errors, "channels": channels,
        "categories": rd.categories, "priorities": rd.priorities, "statuses": rd.statuses,
        "agents": agents,
    }))
}

#[get("/rules/new")]
async fn new_page(_admin: AdminUser, page: Page<'_>, app: &State<App>) -> Result<Html> {
    let data = form_data(&page, app, None, &RuleInput::blank(), FieldErrors::new()).await?;
    super::render(&page, app, "admin/rule_edit.html", data).await
}

#[get("/rules/<id>")]
async fn edit_page(_admin: AdminUser, page: Page<'_>, app: &State<App>, id: i64) -> Result<Html> {
    let rule = app
        .db
        .read(move |c| store::get(c, id))
        .await?
        .ok_or(Error::NotFound)?;
    let form = RuleInput::of(&rule.def);
    let data = form_data(&page, app, Some(&rule), &form, FieldErrors::new()).await?;
    super::render(&page, app, "admin/rule_edit.html", data).await
}

/// Checks and saves the form (`id` None: a new rule), audited; on problems the form again.
async fn submit(
    admin: AdminUser,
    page: &Page<'_>,
    app: &App,
    ip: ClientIp,
    id: Option<i64>,
    input: RuleInput,
) -> PageResult {
    let me = admin.0.id;
    let checked = input.clone();
    let outcome = app
        .db
        .write(move |c| {
            let existing = match id {
                Some(id) => Some(store::get(c, id)?.ok_or(Error::NotFound)?),
                None => None,
            };
            let def = match validate::validate(c, &checked, id)? {
                Ok(def) => def,
                Err(errors) => return Ok(Err((errors, existing))),
            };
            let at = now();
            let (id, action) = match id {
                Some(id) => {
                    store::update(c, id, &def, at)?;
                    (id, "rule_update")
                }
                None => (store::insert(c, &def, at)?, "rule_create"),
            };
            let detail = format!(
                "id={id} name={} active={} conditions={} actions={}",
                def.name,
                def.active,
                serde_json::to_string(&def.conditions).unwrap_or_default(),
                serde_json::to_string(&def.actions).unwrap_or_default()
            );
            crate::audit::record(c, Some(me), action, &detail, Some(&ip.0))?;
            Ok(Ok(id))
        })
        .await?;
    match outcome {
        Ok(saved) => done(
            format!("/admin/rules/{saved}"),
            if id.is_some() {
                "admin_flash_rule_saved"
            } else {
                "admin_flash_rule_created"
            },
        ),
        Err((errors, existing)) => {
            let data = form_data(page, app, existing.as_ref(), &input, errors).await?;
            let html = super::render(page, app, "admin/rule_edit.html", data).await?;
            Ok(crate::web::Answer::from((
                rocket::http::Status::UnprocessableEntity,
                html,
            )))
        }
    }
}

#[post("/rules", data = "<form>")]
async fn create(
    admin: AdminUser,
    page: Page<'_>,
    app: &State<App>,
    ip: ClientIp,
    form: Checked<RuleForm>,
) -> PageResult {
    submit(admin, &page, app, ip, None, form.0.input()).await
}

#[post("/rules/<id>", data = "<form>")]
async fn save(
    admin: AdminUser,
    page: Page<'_>,
    app: &State<App>,
    ip: ClientIp,
    id: i64,
    form: Checked<RuleForm>,
) -> PageResult {
    submit(admin, &page, app, ip, Some(id), form.0.input()).await
}

#[post("/rules/<id>/delete", data = "<_form>")]
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
            let rule = store::get(c, id)?.ok_or(Error::NotFound)?;
            store::delete(c, id)?;
            let detail = format!("id={id} name={}", rule.def.name);
            crate::audit::record(c, Some(me), "rule_delete", &detail, Some(&ip.0))
        })
        .await?;
    done("/admin/rules".into(), "admin_flash_rule_deleted")
}

#[post("/rules/<id>/move", data = "<form>")]
async fn move_rule(
    admin: AdminUser,
    app: &State<App>,
    ip: ClientIp,
    id: i64,
    form: Checked<MoveForm>,
) -> PageResult {
    let up = match form.0.direction.as_str() {
        "up" => true,
        "down" => false,
        _ => return Err(Error::BadRequest("direction must be up or down".into())),
    };
    let me = admin.0.id;
    app.db
        .write(move |c| {
            store::get(c, id)?.ok_or(Error::NotFound)?;
            if store::move_rule(c, id, up)? {
                let detail = format!("id={id} {}", if up { "up" } else { "down" });
                crate::audit::record(c, Some(me), "rule_move", &detail, Some(&ip.0))?;
            }
            Ok(())
        })
        .await?;
    done("/admin/rules".into(), "admin_flash_rule_moved")
}

#[post("/rules/<id>/active", data = "<form>")]
async fn set_active(
    admin: AdminUser,
    app: &State<App>,
    ip: ClientIp,
    id: i64,
    form: Checked<ActiveForm>,
) -> PageResult {
    let (me, active) = (admin.0.id, form.0.active);
    app.db
        .write(move |c| {
            if !store::set_active(c, id, active, now())? {
                return Err(Error::NotFound);
            }
            let detail = format!("id={id} active={active}");
            crate::audit::record(c, Some(me), "rule_active", &detail, Some(&ip.0))
        })
        .await?;
    let key = if active {
        "admin_flash_rule_activated"
    } else {
        "admin_flash_rule_deactivated"
    };
    done("/admin/rules".into(), key)
}

/// Which of the newest tickets the rule would match; it only reads.
#[get("/rules/<id>/test")]
async fn test_page(_admin: AdminUser, page: Page<'_>, app: &State<App>, id: i64) -> Result<Html> {
    let (rule, (matched, tried)) = app
        .db
        .read(move |c| {
            let rule = store::get(c, id)?.ok_or(Error::NotFound)?;
            let result = run::try_on_recent(c, &rule)?;
            Ok((rule, result))
        })
        .await?;
    let rd = app.refdata(page.lang).await?;
    let tickets: Vec<_> = matched
        .into_iter()
        .map(|r| {
            let mut t = r.ticket;
            rd.decorate(&mut t);
            t
        })
        .collect();
    let data = json!({
        "rule": { "id": rule.id, "name": rule.def.name, "event": rule.def.event.as_str() },
        "tickets": tickets, "tried": tried, "limit": rules::run::TRIED,
    });
    super::render(&page, app, "admin/rule_test.html", data).await
}
