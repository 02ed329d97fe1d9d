//! Categories: name, default priority, active, and which agents handle each.

use rocket::form::FromForm;
use rocket::{Route, State, get, post, routes};
use rusqlite::{Connection, OptionalExtension, params};
use serde_json::{Value, json};

use super::{done, rejected, text};
use crate::auth::AdminUser;
use crate::auth::users;
use crate::error::{Error, FieldErrors, Result};
use crate::tickets::RefData;
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
    default_priority: String,
    active: bool,
    /// Staff ids of the agents who handle this category.
    agents: Vec<i64>,
}

impl CsrfForm for EditCategoryForm {
    fn csrf_token(&self) -> &str {
        &self.csrf_token
    }
}

// Queries.

/// Whether another category (not `except`) already has this name (case-insensitively).
fn name_taken(c: &Connection, name: &str, except: Option<i64>) -> Result<bool> {
    Ok(c.query_row(
        "SELECT EXISTS(SELECT 1 FROM categories WHERE name = ?1 AND id IS NOT ?2)",
        params![name, except],
        |r| r.get(0),
    )?)
}

fn priority_exists(c: &Connection, id: i64) -> Result<bool> {
    Ok(c.query_row(
        "SELECT EXISTS(SELECT 1 FROM priorities WHERE id = ?1)",
        [id],
        |r| r.get(0),
    )?)
}

fn category_exists(c: &Connection, id: i64) -> Result<Option<(String, bool)>> {
    Ok(c.query_row(
        "SELECT name, active FROM categories WHERE id = ?1",
        [id],
        |r| Ok((r.get(0)?, r.get(1)?)),
    )
    .optional()?)
}

fn active_categories(c: &Connection) -> Result<i64> {
    Ok(c.query_row(
        "SELECT COUNT(*) FROM categories WHERE active = 1",
        [],
        |r| r.get(0),
    )?)
}

fn insert(c: &Connection, name: &str, priority: i64) -> Result<i64> {
    c.execute(
        "INSERT INTO categories (name, default_priority_id, sort)
         VALUES (?1, ?2, (SELECT COALESCE(MAX(sort), 0) + 10 FROM categories))",
        params![name, priority],
    )?;
    Ok(c.last_insert_rowid())
}

fn update(c: &Connection, id: i64, name: &str, priority: i64, active: bool) -> Result<()> {
    c.execute(
        "UPDATE categories SET name = ?2, default_priority_id = ?3, active = ?4 WHERE id = ?1",
        params![id, name, priority, active],
    )?;
    Ok(())
}

/// Replaces the category's agents; ids that are not active staff are left out.
fn set_agents(c: &Connection, id: i64, agents: &[i64]) -> Result<()> {
    c.execute("DELETE FROM category_agents WHERE category_id = ?1", [id])?;
    let mut stmt = c.prepare_cached(
        "INSERT OR IGNORE INTO category_agents (category_id, staff_id) SELECT ?1, id FROM staff WHERE id = ?2 AND active = 1",
    )?;
    for staff_id in agents {
        stmt.execute(params![id, staff_id])?;
    }
    Ok(())
}

// Pages.

async fn refdata(app: &App, page: &Page<'_>) -> Result<RefData> {
    Ok(app
        .db
        .read(RefData::load)
        .await?
        .localize(&app.i18n, page.lang))
}

fn rows(rd: &RefData) -> Vec<Value> {
    rd.categories
        .iter()
        .map(|c| {
            let agents: Vec<&str> =
                c.agent_ids.iter().filter_map(|id| rd.agent(*id)).map(|a| a.name.as_str()).collect();
            json!({
                "id": c.id, "name": c.name, "active": c.active, "agents": agents,
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
    let form = json!({ "name": "", "default_priority": medium.unwrap_or_default() });
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
    let priority = form.default_priority.trim().parse::<i64>().ok();
    let me = admin.0.id;
    let (n, p) = (name.clone(), priority);
    let outcome = app
        .write_refdata(move |c| {
            let mut refusals = FieldErrors::new();
            match &n {
                None => refusals.add("name", "admin_error_name"),
                Some(n) if name_taken(c, n, None)? => {
                    refusals.add("name", "admin_error_category_taken")
                }
                Some(_) => {}
            }
            if !matches!(p, Some(p) if priority_exists(c, p)?) {
                refusals.add("default_priority", "admin_error_priority_unknown");
            }
            let (Some(n), Some(p), true) = (n, p, refusals.is_empty()) else {
                return Ok(Err(refusals));
            };
            let id = insert(c, &n, p)?;
            users::audit(
                c,
                Some(me),
                "category_create",
                &format!("id={id} name={n}"),
                Some(&ip.0),
            )?;
            Ok(Ok(id))
        })
        .await?;
    match outcome {
        Ok(_) => done("/admin/categories".into(), "admin_flash_category_created"),
        Err(refusals) => {
            let values = json!({ "name": form.name, "default_priority": form.default_priority });
            let html = render_list(&page, app, values, refusals).await?;
            Ok(Answer::from((
                rocket::http::Status::UnprocessableEntity,
                html,
            )))
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
    let rd = refdata(app, page).await?;
    let category = rd.category(id).ok_or(Error::NotFound)?;
    let form = form.unwrap_or_else(|| {
        json!({
            "name": category.name, "default_priority": category.default_priority_id.to_string(),
            "active": category.active, "agents": category.agent_ids,
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
    let priority = form.default_priority.trim().parse::<i64>().ok();
    let (active, agents) = (form.active, form.agents.clone());
    let me = admin.0.id;
    let n = name.clone();
    let outcome = app
        .write_refdata(move |c| {
            let (_, was_active) = category_exists(c, id)?.ok_or(Error::NotFound)?;
            let mut refusals = FieldErrors::new();
            match &n {
                None => refusals.add("name", "admin_error_name"),
                Some(n) if name_taken(c, n, Some(id))? => {
                    refusals.add("name", "admin_error_category_taken")
                }
                Some(_) => {}
            }
            if !matches!(priority, Some(p) if priority_exists(c, p)?) {
                refusals.add("default_priority", "admin_error_priority_unknown");
            }
            if was_active && !active && active_categories(c)? <= 1 {
                refusals.add("active", "admin_error_last_category");
            }
            let (Some(n), Some(p), true) = (n, priority, refusals.is_empty()) else {
                return Ok(Err(refusals));
            };
            update(c, id, &n, p, active)?;
            set_agents(c, id, &agents)?;
            let detail = format!("id={id} name={n} active={active} agents={agents:?}");
            users::audit(c, Some(me), "category_update", &detail, Some(&ip.0))?;
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
                "name": form.name, "default_priority": form.default_priority, "active": form.active,
                "agents": form.agents,
            });
            let data = edit_data(&page, app, id, Some(values), refusals).await?;
            rejected(&page, "admin/category_edit.html", data)
        }
    }
}
