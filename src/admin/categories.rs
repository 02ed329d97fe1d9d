//! Categories: name (in English and Spanish), default priority, active, and which agents handle
//! each.

use rocket::form::FromForm;
use rocket::{Route, State, get, post, routes};
use serde_json::{Value, json};

use super::{done, optional_text, rejected, text};
use crate::auth::AdminUser;
use crate::error::{Error, FieldErrors, Result};
use crate::tickets::{RefData, assignment, categories};
use crate::web::csrf::{Checked, CsrfForm};
use crate::web::{Answer, App, ClientIp, Html, Page, PageResult};

const MAX_NAME: usize = 100;

pub fn routes() -> Vec<Route> {
    routes![list_page, create, edit_page, save]
}

#[derive(FromForm)]
struct NewCategoryForm {
    #[field(default = String::new())]
    csrf_token: String,
    #[field(default = String::new())]
    name: String,
    #[field(default = String::new())]
    name_es: String,
    #[field(default = String::new())]
    default_priority: String,
}

impl CsrfForm for NewCategoryForm {
    fn csrf_token(&self) -> &str {
        &self.csrf_token
    }
}

#[derive(FromForm)]
struct EditCategoryForm {
    #[field(default = String::new())]
    csrf_token: String,
    #[field(default = String::new())]
    name: String,
    #[field(default = String::new())]
    name_es: String,
    #[field(default = String::new())]
    default_priority: String,
    active: bool,
    /// Staff ids of the agents who handle this category.
    agents: Vec<i64>,
    /// `off`, `round_robin` or `least_open`; left out, the category keeps its mode.
    assignment: Option<String>,
}

impl CsrfForm for EditCategoryForm {
    fn csrf_token(&self) -> &str {
        &self.csrf_token
    }
}

// Pages.

async fn refdata(app: &App, page: &Page<'_>) -> Result<RefData> {
    Ok(app.db.read(RefData::load).await?.localize(page.lang))
}

fn rows(rd: &RefData) -> Vec<Value> {
    rd.categories
        .iter()
        .map(|c| {
            let agents: Vec<&str> =
                c.agent_ids.iter().filter_map(|id| rd.agent(*id)).map(|a| a.name.as_str()).collect();
            json!({
                "id": c.id, "name": c.name, "name_es": c.name_es, "active": c.active, "agents": agents,
                "priority": rd.priority(c.default_priority_id).map(|p| p.label.as_str()).unwrap_or(""),
            })
        })
        .collect()
}

async fn render_list(page: &Page<'_>, app: &App, form: Value, errors: FieldErrors) -> Result<Html> {
    let rd = refdata(app, page).await?;
    super::render(
        page,
        app,
        "admin/categories.html",
        json!({ "categories": rows(&rd), "priorities": rd.priorities, "form": form, "errors": errors }),
    )
    .await
}

#[get("/categories")]
async fn list_page(_admin: AdminUser, page: Page<'_>, app: &State<App>) -> Result<Html> {
    let rd = refdata(app, &page).await?;
    let medium = rd
        .priorities
        .iter()
        .find(|p| p.slug.as_deref() == Some("medium"))
        .map(|p| p.id.to_string());
    let form = json!({ "name": "", "name_es": "", "default_priority": medium.unwrap_or_default() });
    render_list(&page, app, form, FieldErrors::new()).await
}

#[post("/categories", data = "<form>")]
async fn create(
    admin: AdminUser,
    page: Page<'_>,
    app: &State<App>,
    ip: ClientIp,
    form: Checked<NewCategoryForm>,
) -> PageResult {
    let form = form.0;
    let name = text(&form.name, MAX_NAME);
    let name_es = optional_text(&form.name_es, MAX_NAME);
    let priority = form.default_priority.trim().parse::<i64>().ok();
    let me = admin.0.id;
    let (n, p) = (name.clone(), priority);
    let outcome = app
        .write_refdata(move |c| {
            let mut refusals = FieldErrors::new();
            check_names(c, &n, &name_es, None, &mut refusals)?;
            if !matches!(p, Some(p) if categories::priority_exists(c, p)?) {
                refusals.add("default_priority", "admin_error_priority_unknown");
            }
            let (Some(n), Some(es), Some(p), true) = (n, name_es, p, refusals.is_empty()) else {
                return Ok(Err(refusals));
            };
            let id = categories::insert(c, &n, &es, p)?;
            crate::audit::record(
                c,
                Some(me),
                "category_create",
                &format!("id={id} name={n} name_es={es}"),
                Some(&ip.0),
            )?;
            Ok(Ok(id))
        })
        .await?;
    match outcome {
        Ok(_) => done("/admin/categories".into(), "admin_flash_category_created"),
        Err(refusals) => {
            let values = json!({
                "name": form.name, "name_es": form.name_es, "default_priority": form.default_priority,
            });
            let html = render_list(&page, app, values, refusals).await?;
            Ok(Answer::from((
                rocket::http::Status::UnprocessableEntity,
                html,
            )))
        }
    }
}

/// The category's English name is required and its Spanish one optional; neither may be what
/// another category shows in that language (`name` None or `name_es` None: not valid text).
fn check_names(
    c: &rusqlite::Connection,
    name: &Option<String>,
    name_es: &Option<String>,
    except: Option<i64>,
    refusals: &mut FieldErrors,
) -> Result<()> {
    match name {
        None => refusals.add("name", "admin_error_name"),
        Some(n) if categories::name_taken(c, n, except)? => {
            refusals.add("name", "admin_error_category_taken")
        }
        Some(_) => {}
    }
    match (name, name_es) {
        (_, None) => refusals.add("name_es", "admin_error_name_es"),
        (Some(n), Some(es)) => {
            // Left empty, the Spanish pages show the English name: that one must be free there.
            let shown = if es.is_empty() { n } else { es };
            if categories::spanish_label_taken(c, shown, except)? {
                let field = if es.is_empty() { "name" } else { "name_es" };
                refusals.add(field, "admin_error_name_taken_es");
            }
        }
        (None, Some(_)) => {}
    }
    Ok(())
}

async fn edit_data(
    page: &Page<'_>,
    app: &App,
    id: i64,
    form: Option<Value>,
    errors: FieldErrors,
) -> Result<Value> {
    let rd = refdata(app, page).await?;
    let category = rd.category(id).ok_or(Error::NotFound)?;
    let mode = app.db.read(move |c| assignment::mode(c, id)).await?;
    let form = form.unwrap_or_else(|| {
        json!({
            "name": category.name, "name_es": category.name_es,
            "default_priority": category.default_priority_id.to_string(),
            "active": category.active, "agents": category.agent_ids, "assignment": mode,
        })
    });
    // Active staff can be picked; an inactive one still listed keeps showing until saved.
    let agents: Vec<_> = rd
        .agents
        .iter()
        .filter(|a| a.active || category.agent_ids.contains(&a.id))
        .collect();
    Ok(json!({
        "category": category, "priorities": rd.priorities, "agents": agents, "form": form, "errors": errors,
        "assignment_modes": assignment::Mode::ALL,
    }))
}

#[get("/categories/<id>")]
async fn edit_page(_admin: AdminUser, page: Page<'_>, app: &State<App>, id: i64) -> Result<Html> {
    let data = edit_data(&page, app, id, None, FieldErrors::new()).await?;
    page.render("admin/category_edit.html", data)
}

#[post("/categories/<id>", data = "<form>")]
async fn save(
    admin: AdminUser,
    page: Page<'_>,
    app: &State<App>,
    ip: ClientIp,
    id: i64,
    form: Checked<EditCategoryForm>,
) -> PageResult {
    let form = form.0;
    let name = text(&form.name, MAX_NAME);
    let name_es = optional_text(&form.name_es, MAX_NAME);
    let priority = form.default_priority.trim().parse::<i64>().ok();
    let (active, agents) = (form.active, form.agents.clone());
    let mode = form
        .assignment
        .as_deref()
        .map(|m| assignment::Mode::parse(m.trim()));
    let me = admin.0.id;
    let n = name.clone();
    let outcome = app
        .write_refdata(move |c| {
            let (_, was_active) = categories::category_exists(c, id)?.ok_or(Error::NotFound)?;
            let mut refusals = FieldErrors::new();
            check_names(c, &n, &name_es, Some(id), &mut refusals)?;
            if !matches!(priority, Some(p) if categories::priority_exists(c, p)?) {
                refusals.add("default_priority", "admin_error_priority_unknown");
            }
            if was_active && !active && categories::active_categories(c)? <= 1 {
                refusals.add("active", "admin_error_last_category");
            }
            if mode == Some(None) {
                refusals.add("assignment", "admin_error_assignment");
            }
            let (Some(n), Some(es), Some(p), true) = (n, name_es, priority, refusals.is_empty())
            else {
                return Ok(Err(refusals));
            };
            categories::update(c, id, &n, &es, p, active)?;
            categories::set_agents(c, id, &agents)?;
            if let Some(Some(mode)) = mode {
                assignment::set_mode(c, id, mode)?;
            }
            let mode = assignment::mode(c, id)?.as_str();
            let detail = format!(
                "id={id} name={n} name_es={es} active={active} agents={agents:?} assignment={mode}"
            );
            crate::audit::record(c, Some(me), "category_update", &detail, Some(&ip.0))?;
            Ok(Ok(()))
        })
        .await?;
    match outcome {
        Ok(()) => done(
            format!("/admin/categories/{id}"),
            "admin_flash_category_saved",
        ),
        Err(refusals) => {
            let values = json!({
                "name": form.name, "name_es": form.name_es,
                "default_priority": form.default_priority, "active": form.active,
                "agents": form.agents, "assignment": form.assignment,
            });
            let data = edit_data(&page, app, id, Some(values), refusals).await?;
            rejected(&page, "admin/category_edit.html", data)
        }
    }
}
