//! Statuses and priorities on one page: each row is its own small form (its English and Spanish
//! name, order and flags; a status also its pill colour from a fixed palette), plus an "add"
//! form for each table. Built-in statuses (those with a slug) may be renamed and reordered, but whether
//! they count as closed is fixed: the ticket loop relies on it. Nothing is ever deleted, since
//! tickets reference these rows.

use rocket::form::FromForm;
use rocket::{Route, State, get, post, routes};
use rusqlite::Connection;
use serde_json::{Value, json};

use super::{done, optional_text, text};
use crate::auth::AdminUser;
use crate::error::{FieldErrors, Result};
use crate::tickets::RefData;
use crate::tickets::statuses::{self, Table};
use crate::web::csrf::{Checked, CsrfForm};
use crate::web::{Answer, App, ClientIp, Html, Page, PageResult};

const MAX_NAME: usize = 50;
const MAX_ORDER: i64 = 1_000_000;

pub fn routes() -> Vec<Route> {
    routes![
        workflow_page,
        create_status,
        save_status,
        create_priority,
        save_priority
    ]
}

#[derive(FromForm)]
struct StatusForm {
    #[field(default = String::new())]
    csrf_token: String,
    #[field(default = String::new())]
    name: String,
    #[field(default = String::new())]
    name_es: String,
    is_closed: bool,
    #[field(default = String::new())]
    sort: String,
    /// A name from `statuses::COLORS`.
    #[field(default = String::new())]
    color: String,
}

impl CsrfForm for StatusForm {
    fn csrf_token(&self) -> &str {
        &self.csrf_token
    }
}

#[derive(FromForm)]
struct PriorityForm {
    #[field(default = String::new())]
    csrf_token: String,
    #[field(default = String::new())]
    name: String,
    #[field(default = String::new())]
    name_es: String,
    #[field(default = String::new())]
    rank: String,
    requester_selectable: bool,
}

impl CsrfForm for PriorityForm {
    fn csrf_token(&self) -> &str {
        &self.csrf_token
    }
}

// Pages.

/// The form that failed, so the page shows its input and errors: kind is "status",
/// "new_status", "priority" or "new_priority"; id is 0 for the add forms.
struct Edit {
    kind: &'static str,
    id: i64,
    values: Value,
}

async fn render(
    page: &Page<'_>,
    app: &App,
    edit: Option<Edit>,
    errors: FieldErrors,
) -> Result<Html> {
    let rd = app.db.read(RefData::load).await?.localize(page.lang);
    let is_edit = |kind: &str, id: i64| {
        edit.as_ref()
            .filter(|e| e.kind == kind && e.id == id)
            .map(|e| &e.values)
    };
    let statuses: Vec<Value> = rd
        .statuses
        .iter()
        .map(|s| {
            let mut row = json!({
                "id": s.id, "builtin": s.slug.is_some(), "label": s.label,
                "name": s.name, "name_es": s.name_es, "is_closed": s.is_closed,
                "sort": s.sort.to_string(), "color": s.color, "saved_color": s.color,
            });
            if let Some(v) = is_edit("status", s.id) {
                row["name"] = v["name"].clone();
                row["name_es"] = v["name_es"].clone();
                row["sort"] = v["sort"].clone();
                // A colour not in the palette shows the saved one (the list cannot hold it).
                if let Some(c) = v["color"].as_str().and_then(statuses::parse_color) {
                    row["color"] = c.into();
                }
                if s.slug.is_none() {
                    row["is_closed"] = v["is_closed"].clone();
                }
            }
            row
        })
        .collect();
    let priorities: Vec<Value> = rd
        .priorities
        .iter()
        .map(|p| {
            let mut row = json!({
                "id": p.id, "builtin": p.slug.is_some(), "label": p.label, "name": p.name,
                "name_es": p.name_es, "rank": p.rank.to_string(),
                "requester_selectable": p.requester_selectable,
            });
            if let Some(v) = is_edit("priority", p.id) {
                row["name"] = v["name"].clone();
                row["name_es"] = v["name_es"].clone();
                row["rank"] = v["rank"].clone();
                row["requester_selectable"] = v["requester_selectable"].clone();
            }
            row
        })
        .collect();
    let next_sort = rd.statuses.iter().map(|s| s.sort).max().unwrap_or(0) + 10;
    let next_rank = rd.priorities.iter().map(|p| p.rank).max().unwrap_or(0) + 10;
    let mut new_status = is_edit("new_status", 0).cloned().unwrap_or_else(|| {
        json!({
            "name": "", "name_es": "", "is_closed": false, "sort": next_sort.to_string(),
            "color": statuses::DEFAULT_COLOR,
        })
    });
    if new_status["color"]
        .as_str()
        .and_then(statuses::parse_color)
        .is_none()
    {
        new_status["color"] = statuses::DEFAULT_COLOR.into();
    }
    let new_priority = is_edit("new_priority", 0).cloned().unwrap_or_else(|| {
        json!({
            "name": "", "name_es": "", "rank": next_rank.to_string(),
            "requester_selectable": true,
        })
    });
    let (kind, id) = edit.as_ref().map(|e| (e.kind, e.id)).unwrap_or(("", 0));
    super::render(
        page,
        app,
        "admin/workflow.html",
        json!({
            "statuses": statuses, "priorities": priorities, "new_status": new_status,
            "new_priority": new_priority, "edit": { "kind": kind, "id": id }, "errors": errors,
            "colors": statuses::COLORS,
        }),
    )
    .await
}

#[get("/workflow")]
async fn workflow_page(_admin: AdminUser, page: Page<'_>, app: &State<App>) -> Result<Html> {
    render(&page, app, None, FieldErrors::new()).await
}

/// A row's names as the form sent them: English, Spanish (may be empty); and a status's colour
/// (None for a priority).
struct Names<'a> {
    en: &'a str,
    es: &'a str,
    color: Option<&'a str>,
}

/// A row's values once checked: names, order number and (for a status) its colour, None when
/// the form sent none (a status keeps its colour; a new one gets the default).
struct Valid<'a> {
    name: &'a str,
    name_es: &'a str,
    order: i64,
    color: Option<&'static str>,
}

/// Saves a status or priority (`id` None: a new one) after checking its names, order number and
/// colour. `write` runs inside the transaction once the checks pass, with the checked values.
#[allow(clippy::too_many_arguments)]
async fn submit<F>(
    page: &Page<'_>,
    app: &App,
    table: Table,
    id: Option<i64>,
    names: Names<'_>,
    order: &str,
    values: Value,
    write: F,
) -> PageResult
where
    F: FnOnce(&Connection, &Valid<'_>) -> Result<String> + Send + 'static,
{
    // A status's colour must be one of the palette's (none sent: left as it is); a priority
    // has none.
    let color = match names.color {
        Some(sent) if !sent.trim().is_empty() => statuses::parse_color(sent).map(Some),
        _ => Some(None),
    };
    let name = text(names.en, MAX_NAME);
    let name_es = optional_text(names.es, MAX_NAME);
    let order = super::number(order, -MAX_ORDER, MAX_ORDER);
    let order_field = if table == Table::Statuses {
        "sort"
    } else {
        "rank"
    };
    let outcome = app
        .write_refdata(move |c| {
            if let Some(id) = id {
                statuses::slug_of(c, table, id)?;
            }
            let mut refusals = FieldErrors::new();
            match &name {
                None => refusals.add("name", "admin_error_short_name"),
                Some(n) if statuses::name_taken(c, table, n, id)? => {
                    refusals.add("name", "admin_error_name_taken")
                }
                Some(_) => {}
            }
            match (&name, &name_es) {
                (_, None) => refusals.add("name_es", "admin_error_short_name_es"),
                (Some(n), Some(es)) => {
                    // Left empty, Spanish pages show the English name: it must be free there.
                    let shown = if es.is_empty() { n } else { es };
                    if statuses::spanish_label_taken(c, table, shown, id)? {
                        let field = if es.is_empty() { "name" } else { "name_es" };
                        refusals.add(field, "admin_error_name_taken_es");
                    }
                }
                (None, Some(_)) => {}
            }
            if order.is_none() {
                refusals.add(order_field, "admin_error_order");
            }
            if color.is_none() {
                refusals.add("color", "list_admin_error_color");
            }
            let (Some(name), Some(name_es), Some(order), Some(color), true) =
                (name, name_es, order, color, refusals.is_empty())
            else {
                return Ok(Err(refusals));
            };
            let valid = Valid {
                name: &name,
                name_es: &name_es,
                order,
                color,
            };
            Ok(Ok(write(c, &valid)?))
        })
        .await?;
    match outcome {
        Ok(_) => {
            let key = match (table, id) {
                (Table::Statuses, None) => "admin_flash_status_created",
                (Table::Statuses, Some(_)) => "admin_flash_status_saved",
                (Table::Priorities, None) => "admin_flash_priority_created",
                (Table::Priorities, Some(_)) => "admin_flash_priority_saved",
            };
            done("/admin/workflow".into(), key)
        }
        Err(refusals) => {
            let kind = match (table, id) {
                (Table::Statuses, None) => "new_status",
                (Table::Priorities, None) => "new_priority",
                (t, Some(_)) => t.kind(),
            };
            let edit = Edit {
                kind,
                id: id.unwrap_or(0),
                values,
            };
            let html = render(page, app, Some(edit), refusals).await?;
            Ok(Answer::from((
                rocket::http::Status::UnprocessableEntity,
                html,
            )))
        }
    }
}

fn status_row<'a>(v: &Valid<'a>) -> statuses::StatusRow<'a> {
    statuses::StatusRow {
        name: v.name,
        name_es: v.name_es,
        sort: v.order,
        color: v.color,
    }
}

/// The colour for the audit log: the one saved, or "kept".
fn color_word(v: &Valid<'_>) -> &'static str {
    v.color.unwrap_or("kept")
}

#[post("/statuses", data = "<form>")]
async fn create_status(
    admin: AdminUser,
    page: Page<'_>,
    app: &State<App>,
    ip: ClientIp,
    form: Checked<StatusForm>,
) -> PageResult {
    let f = form.0;
    let values = json!({
        "name": f.name, "name_es": f.name_es, "is_closed": f.is_closed, "sort": f.sort,
        "color": f.color,
    });
    let (me, closed) = (admin.0.id, f.is_closed);
    submit(
        &page,
        app,
        Table::Statuses,
        None,
        Names {
            en: &f.name,
            es: &f.name_es,
            color: Some(&f.color),
        },
        &f.sort,
        values,
        move |c, v| {
            let row = status_row(v);
            let id = statuses::insert_status(c, &row, closed)?;
            let (name, name_es, sort, color) = (v.name, v.name_es, v.order, color_word(v));
            let detail = format!(
                "id={id} name={name} name_es={name_es} closed={closed} sort={sort} color={color}"
            );
            crate::audit::record(c, Some(me), "status_create", &detail, Some(&ip.0))?;
            Ok(detail)
        },
    )
    .await
}

#[post("/statuses/<id>", data = "<form>")]
async fn save_status(
    admin: AdminUser,
    page: Page<'_>,
    app: &State<App>,
    ip: ClientIp,
    id: i64,
    form: Checked<StatusForm>,
) -> PageResult {
    let f = form.0;
    let values = json!({
        "name": f.name, "name_es": f.name_es, "is_closed": f.is_closed, "sort": f.sort,
        "color": f.color,
    });
    let (me, closed) = (admin.0.id, f.is_closed);
    submit(
        &page,
        app,
        Table::Statuses,
        Some(id),
        Names {
            en: &f.name,
            es: &f.name_es,
            color: Some(&f.color),
        },
        &f.sort,
        values,
        move |c, v| {
            // A built-in status keeps its "closed" flag whatever the form says.
            let closed = if statuses::slug_of(c, Table::Statuses, id)?.is_some() {
                None
            } else {
                Some(closed)
            };
            statuses::update_status(c, id, &status_row(v), closed)?;
            let (name, name_es, sort, color) = (v.name, v.name_es, v.order, color_word(v));
            let detail = format!(
                "id={id} name={name} name_es={name_es} closed={closed:?} sort={sort} color={color}"
            );
            crate::audit::record(c, Some(me), "status_update", &detail, Some(&ip.0))?;
            Ok(detail)
        },
    )
    .await
}

#[post("/priorities", data = "<form>")]
async fn create_priority(
    admin: AdminUser,
    page: Page<'_>,
    app: &State<App>,
    ip: ClientIp,
    form: Checked<PriorityForm>,
) -> PageResult {
    let f = form.0;
    let values = json!({
        "name": f.name, "name_es": f.name_es, "rank": f.rank,
        "requester_selectable": f.requester_selectable,
    });
    let (me, selectable) = (admin.0.id, f.requester_selectable);
    submit(
        &page,
        app,
        Table::Priorities,
        None,
        Names {
            en: &f.name,
            es: &f.name_es,
            color: None,
        },
        &f.rank,
        values,
        move |c, v| {
            let (name, name_es, rank) = (v.name, v.name_es, v.order);
            let id = statuses::insert_priority(c, name, name_es, rank, selectable)?;
            let detail = format!(
                "id={id} name={name} name_es={name_es} rank={rank} selectable={selectable}"
            );
            crate::audit::record(c, Some(me), "priority_create", &detail, Some(&ip.0))?;
            Ok(detail)
        },
    )
    .await
}

#[post("/priorities/<id>", data = "<form>")]
async fn save_priority(
    admin: AdminUser,
    page: Page<'_>,
    app: &State<App>,
    ip: ClientIp,
    id: i64,
    form: Checked<PriorityForm>,
) -> PageResult {
    let f = form.0;
    let values = json!({
        "name": f.name, "name_es": f.name_es, "rank": f.rank,
        "requester_selectable": f.requester_selectable,
    });
    let (me, selectable) = (admin.0.id, f.requester_selectable);
    submit(
        &page,
        app,
        Table::Priorities,
        Some(id),
        Names {
            en: &f.name,
            es: &f.name_es,
            color: None,
        },
        &f.rank,
        values,
        move |c, v| {
            let (name, name_es, rank) = (v.name, v.name_es, v.order);
            statuses::update_priority(c, id, name, name_es, rank, selectable)?;
            let detail = format!(
                "id={id} name={name} name_es={name_es} rank={rank} selectable={selectable}"
            );
            crate::audit::record(c, Some(me), "priority_update", &detail, Some(&ip.0))?;
            Ok(detail)
        },
    )
    .await
}
