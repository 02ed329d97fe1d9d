//! Admin > SLA (`/admin/sla`): the service-level policies, each with its targets and escalation
//! steps; create, edit, delete. The form is checked by `crate::sla::form`: a wrong field is
//! shown next to it and nothing is saved.

use std::collections::HashMap;

use rocket::form::FromForm;
use rocket::{Route, State, get, post, routes};
use serde_json::{Value, json};

use super::{done, rejected};
use crate::auth::AdminUser;
use crate::db::now;
use crate::desk_time::format::target_length;
use crate::error::{Error, FieldErrors, Result};
use crate::sla::form::{self, MAX_STEPS, PolicyInput, STEP_FIELDS, StepInput};
use crate::sla::{Action, Policy, Target, policies};
use crate::web::csrf::{Checked, CsrfForm};
use crate::web::{App, ClientIp, Html, Page, PageResult};

pub fn routes() -> Vec<Route> {
    routes![list_page, create, edit_page, save, delete]
}

/// One step row; rows are `steps[1]` to `steps[4]` (`steps[1].action`, ...).
#[derive(FromForm, Default)]
struct StepForm {
    #[field(default = String::new())]
    target: String,
    #[field(default = String::new())]
    percent: String,
    #[field(default = String::new())]
    action: String,
    #[field(default = String::new())]
    staff: String,
}

#[derive(FromForm)]
struct PolicyForm {
    #[field(default = String::new())]
    csrf_token: String,
    #[field(default = String::new())]
    name: String,
    #[field(default = String::new())]
    priority: String,
    /// Empty: any category.
    #[field(default = String::new())]
    category: String,
    #[field(default = String::new())]
    first_response_minutes: String,
    #[field(default = String::new())]
    resolution_minutes: String,
    /// An unticked box is not sent: calendar time.
    #[field(default = false)]
    business_hours: bool,
    steps: HashMap<usize, StepForm>,
}

impl CsrfForm for PolicyForm {
    fn csrf_token(&self) -> &str {
        &self.csrf_token
    }
}

#[derive(FromForm)]
struct DeleteForm {
    #[field(default = String::new())]
    csrf_token: String,
}

impl CsrfForm for DeleteForm {
    fn csrf_token(&self) -> &str {
        &self.csrf_token
    }
}

impl PolicyForm {
    fn input(&self) -> PolicyInput {
        let empty = <StepForm as Default>::default();
        PolicyInput {
            name: self.name.clone(),
            priority: self.priority.clone(),
            category: self.category.clone(),
            first_response_minutes: self.first_response_minutes.clone(),
            resolution_minutes: self.resolution_minutes.clone(),
            business_hours: self.business_hours,
            steps: (1..=MAX_STEPS)
                .map(|n| {
                    let s = self.steps.get(&n).unwrap_or(&empty);
                    StepInput {
                        target: s.target.clone(),
                        percent: s.percent.clone(),
                        action: s.action.clone(),
                        staff: s.staff.clone(),
                    }
                })
                .collect(),
        }
    }
}

/// The form's values: typed (`input`), or a stored policy's, or a new one's.
fn form_values(input: &PolicyInput) -> Value {
    let steps: Vec<Value> = STEP_FIELDS
        .iter()
        .enumerate()
        .map(|(i, fields)| {
            let s = input.steps.get(i).cloned().unwrap_or_default();
            json!({
                "n": i + 1, "target": s.target, "percent": s.percent, "action": s.action,
                "staff": s.staff,
                "fields": { "target": fields.target, "percent": fields.percent,
                            "action": fields.action, "staff": fields.staff },
            })
        })
        .collect();
    json!({
        "name": input.name, "priority": input.priority, "category": input.category,
        "first_response_minutes": input.first_response_minutes,
        "resolution_minutes": input.resolution_minutes,
        "business_hours": input.business_hours, "steps": steps,
    })
}

fn stored_input(p: &Policy) -> PolicyInput {
    PolicyInput {
        name: p.name.clone(),
        priority: p.priority_id.to_string(),
        category: p.category_id.map(|c| c.to_string()).unwrap_or_default(),
        first_response_minutes: p.targets.first_response_minutes.to_string(),
        resolution_minutes: p.targets.resolution_minutes.to_string(),
        business_hours: p.targets.business_hours,
        steps: (1..=MAX_STEPS as i64)
            .map(|slot| match p.steps.iter().find(|s| s.slot == slot) {
                Some(s) => StepInput {
                    target: s.target.as_str().to_string(),
                    percent: s.at_percent.to_string(),
                    action: s.action.as_str().to_string(),
                    staff: s.staff_id.map(|id| id.to_string()).unwrap_or_default(),
                },
                None => StepInput::default(),
            })
            .collect(),
    }
}

/// A new policy's form: business hours, every step unused (its target and share prefilled).
fn new_input() -> PolicyInput {
    PolicyInput {
        business_hours: true,
        steps: (0..MAX_STEPS)
            .map(|_| StepInput {
                target: Target::FirstResponse.as_str().to_string(),
                percent: "100".into(),
                ..StepInput::default()
            })
            .collect(),
        ..PolicyInput::default()
    }
}

/// What every form of the page offers: priorities, categories, active staff, targets, actions.
async fn choices(page: &Page<'_>, app: &App) -> Result<Value> {
    let rd = app.refdata(page.lang).await?;
    Ok(json!({
        "priorities": rd.priorities, "categories": rd.categories,
        "agents": rd.agents.iter().filter(|a| a.active).collect::<Vec<_>>(),
        "targets": Target::ALL.map(Target::as_str),
        "actions": Action::ALL.map(Action::as_str),
    }))
}

/// The policies as the list shows them.
async fn rows(page: &Page<'_>, app: &App, all: &[Policy]) -> Result<Vec<Value>> {
    let rd = app.refdata(page.lang).await?;
    let phrases = app.phrases(page.lang);
    Ok(all
        .iter()
        .map(|p| {
            json!({
                "id": p.id, "name": p.name,
                "priority": rd.priority(p.priority_id).map(|x| x.label.as_str()).unwrap_or(""),
                "category": p.category_id.and_then(|c| rd.category(c)).map(|c| c.label.as_str()),
                "first_response": target_length(p.targets.first_response_minutes, p.targets.business_hours, phrases),
                "resolution": target_length(p.targets.resolution_minutes, p.targets.business_hours, phrases),
                "business_hours": p.targets.business_hours, "steps": p.steps.len(),
            })
        })
        .collect())
}

async fn render_list(page: &Page<'_>, app: &App, form: Value, errors: FieldErrors) -> Result<Html> {
    let all = app.db.read(policies::all).await?;
    let data = json!({
        "policies": rows(page, app, &all).await?, "choices": choices(page, app).await?,
        "form": form, "errors": errors,
    });
    super::render(page, app, "admin/sla.html", data).await
}

#[get("/sla")]
async fn list_page(_admin: AdminUser, page: Page<'_>, app: &State<App>) -> Result<Html> {
    render_list(&page, app, form_values(&new_input()), FieldErrors::new()).await
}

#[post("/sla", data = "<form>")]
async fn create(
    admin: AdminUser,
    page: Page<'_>,
    app: &State<App>,
    ip: ClientIp,
    form: Checked<PolicyForm>,
) -> PageResult {
    let input = form.0.input();
    let me = admin.0.id;
    let typed = input.clone();
    let outcome = app
        .db
        .write(move |c| {
            let policy = match form::check(c, &typed, None)? {
                Ok(policy) => policy,
                Err(errors) => return Ok(Err(errors)),
            };
            let id = crate::sla::save_policy(c, None, &policy, now())?;
            let detail = crate::sla::audit_detail(id, &policy);
            crate::audit::record(c, Some(me), "sla_policy_create", &detail, Some(&ip.0))?;
            Ok(Ok(id))
        })
        .await?;
    match outcome {
        Ok(_) => done("/admin/sla".into(), "admin_flash_sla_created"),
        Err(errors) => {
            let html = render_list(&page, app, form_values(&input), errors).await?;
            Ok((rocket::http::Status::UnprocessableEntity, html).into())
        }
    }
}

async fn edit_data(
    page: &Page<'_>,
    app: &App,
    id: i64,
    form: Option<Value>,
    errors: FieldErrors,
) -> Result<Value> {
    let policy = app
        .db
        .read(move |c| policies::get(c, id))
        .await?
        .ok_or(Error::NotFound)?;
    let form = form.unwrap_or_else(|| form_values(&stored_input(&policy)));
    Ok(json!({
        "policy": { "id": policy.id, "name": policy.name },
        "choices": choices(page, app).await?, "form": form, "errors": errors,
    }))
}

#[get("/sla/<id>")]
async fn edit_page(_admin: AdminUser, page: Page<'_>, app: &State<App>, id: i64) -> Result<Html> {
    let data = edit_data(&page, app, id, None, FieldErrors::new()).await?;
    super::render(&page, app, "admin/sla_edit.html", data).await
}

#[post("/sla/<id>", data = "<form>")]
async fn save(
    admin: AdminUser,
    page: Page<'_>,
    app: &State<App>,
    ip: ClientIp,
    id: i64,
    form: Checked<PolicyForm>,
) -> PageResult {
    let input = form.0.input();
    let me = admin.0.id;
    let typed = input.clone();
    let outcome = app
        .db
        .write(move |c| {
            policies::get(c, id)?.ok_or(Error::NotFound)?;
            let policy = match form::check(c, &typed, Some(id))? {
                Ok(policy) => policy,
                Err(errors) => return Ok(Err(errors)),
            };
            crate::sla::save_policy(c, Some(id), &policy, now())?;
            let detail = crate::sla::audit_detail(id, &policy);
            crate::audit::record(c, Some(me), "sla_policy_update", &detail, Some(&ip.0))?;
            Ok(Ok(()))
        })
        .await?;
    match outcome {
        Ok(()) => done(format!("/admin/sla/{id}"), "admin_flash_sla_saved"),
        Err(errors) => {
            let data = edit_data(&page, app, id, Some(form_values(&input)), errors).await?;
            rejected(&page, "admin/sla_edit.html", data)
        }
    }
}

#[post("/sla/<id>/delete", data = "<form>")]
async fn delete(
    admin: AdminUser,
    app: &State<App>,
    ip: ClientIp,
    id: i64,
    form: Checked<DeleteForm>,
) -> PageResult {
    let _ = form;
    let me = admin.0.id;
    app.db
        .write(move |c| {
            let policy = policies::get(c, id)?.ok_or(Error::NotFound)?;
            policies::delete(c, id)?;
            let detail = format!("id={id} name={}", policy.name);
            crate::audit::record(c, Some(me), "sla_policy_delete", &detail, Some(&ip.0))
        })
        .await?;
    done("/admin/sla".into(), "admin_flash_sla_deleted")
}
