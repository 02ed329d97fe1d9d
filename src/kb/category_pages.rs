//! The knowledge base's categories, for staff (`/staff/kb/categories`): each one's name in
//! English and Spanish and its place in the order, edited in its own row; a new one; and
//! delete, refused while the category holds articles.

use rocket::form::FromForm;
use rocket::http::Status;
use rocket::response::{Flash, Redirect};
use rocket::{Route, State, get, post, routes};
use serde_json::{Value, json};

use super::categories::{self, Deleted};
use crate::auth::StaffUser;
use crate::error::{FieldErrors, Result};
use crate::web::csrf::{Checked, CsrfForm, TokenOnly};
use crate::web::{Answer, App, Html, Page, PageResult};

const MAX_NAME: usize = 100;
const MAX_ORDER: i64 = 1_000_000;
const PAGE: &str = "/staff/kb/categories";

#[derive(FromForm)]
struct CategoryForm {
    #[field(default = String::new())]
    csrf_token: String,
    #[field(default = String::new())]
    name: String,
    #[field(default = String::new())]
    name_es: String,
    #[field(default = String::new())]
    sort: String,
}

impl CsrfForm for CategoryForm {
    fn csrf_token(&self) -> &str {
        &self.csrf_token
    }
}

impl CategoryForm {
    fn values(&self) -> Value {
        json!({ "name": self.name, "name_es": self.name_es, "sort": self.sort })
    }
}

/// The form that failed: "new" or a category's row (its id), what it sent and its problems.
struct Refused {
    row: Option<i64>,
    values: Value,
    errors: FieldErrors,
}

async fn render(
    page: &Page<'_>,
    app: &App,
    refused: Option<Refused>,
    status: Status,
) -> Result<(Status, Html)> {
    let lang = page.lang;
    let all = app.db.read(move |c| categories::all(c, lang)).await?;
    let (row, values, errors) = match refused {
        // A refused delete sends no values: the row shows what is saved.
        Some(r) => (r.row, Some(r.values).filter(|v| !v.is_null()), r.errors),
        None => (None, None, FieldErrors::new()),
    };
    let next_sort = all.iter().map(|c| c.sort).max().unwrap_or(0) + 10;
    let rows: Vec<Value> = all
        .iter()
        .map(|c| {
            let mine = row == Some(c.id);
            let form = match (&values, mine) {
                (Some(v), true) => v.clone(),
                _ => json!({ "name": c.name, "name_es": c.name_es, "sort": c.sort.to_string() }),
            };
            json!({ "id": c.id, "label": c.label, "articles": c.articles, "form": form, "mine": mine })
        })
        .collect();
    let new = match (&values, row) {
        (Some(v), None) => v.clone(),
        _ => json!({ "name": "", "name_es": "", "sort": next_sort.to_string() }),
    };
    let html = page.render(
        "staff/kb_categories.html",
        json!({ "rows": rows, "new": new, "errors": errors, "refused_row": row }),
    )?;
    Ok((status, html))
}

#[get("/kb/categories")]
async fn list(_staff: StaffUser, page: Page<'_>, app: &State<App>) -> Result<Html> {
    Ok(render(&page, app, None, Status::Ok).await?.1)
}

/// The form's names and order, or what is wrong with them (English name required, Spanish
/// optional, order a whole number; empty order: `default_sort`).
fn checked(
    form: &CategoryForm,
    default_sort: Option<i64>,
) -> std::result::Result<(String, String, i64), FieldErrors> {
    let mut errors = FieldErrors::new();
    let name = form.name.trim();
    let name_es = form.name_es.trim();
    if name.is_empty() || name.chars().count() > MAX_NAME || name.chars().any(char::is_control) {
        errors.add("name", "kb_error_category_name");
    }
    if name_es.chars().count() > MAX_NAME || name_es.chars().any(char::is_control) {
        errors.add("name_es", "kb_error_category_name_es");
    }
    let sort = match (form.sort.trim(), default_sort) {
        ("", Some(sort)) => Some(sort),
        (s, _) => s
            .parse::<i64>()
            .ok()
            .filter(|n| (-MAX_ORDER..=MAX_ORDER).contains(n)),
    };
    if sort.is_none() {
        errors.add("sort", "kb_error_category_order");
    }
    match sort {
        Some(sort) if errors.is_empty() => Ok((name.to_string(), name_es.to_string(), sort)),
        _ => Err(errors),
    }
}

/// Saves a new category (`id` None) or a category's row, after the checks and the names'
/// uniqueness in both languages; the form again with its problems otherwise.
async fn submit(page: &Page<'_>, app: &App, id: Option<i64>, form: CategoryForm) -> PageResult {
    let values = form.values();
    let refuse = |errors| Refused {
        row: id,
        values: values.clone(),
        errors,
    };
    let (name, name_es, sort) = match checked(&form, id.is_none().then_some(0)) {
        Ok(ok) => ok,
        Err(errors) => {
            let r = render(page, app, Some(refuse(errors)), Status::UnprocessableEntity);
            return Ok(Answer::from(r.await?));
        }
    };
    let saved = app
        .db
        .write(move |c| {
            if let Some(field) = categories::name_clash(c, &name, &name_es, id)? {
                let mut errors = FieldErrors::new();
                errors.add(field, "kb_error_category_exists");
                return Ok(Err(errors));
            }
            match id {
                Some(id) => categories::update(c, id, &name, &name_es, sort)?,
                None => {
                    categories::create(c, &name, &name_es, sort)?;
                }
            }
            Ok(Ok(()))
        })
        .await?;
    match saved {
        Ok(()) => {
            let key = if id.is_some() {
                "kb_flash_category_saved"
            } else {
                "kb_flash_category_added"
            };
            Ok(Answer::from(Flash::success(Redirect::to(PAGE), key)))
        }
        Err(errors) => {
            let r = render(page, app, Some(refuse(errors)), Status::UnprocessableEntity);
            Ok(Answer::from(r.await?))
        }
    }
}

#[post("/kb/categories", data = "<form>")]
async fn add(
    _staff: StaffUser,
    page: Page<'_>,
    app: &State<App>,
    form: Checked<CategoryForm>,
) -> PageResult {
    submit(&page, app, None, form.0).await
}

#[post("/kb/categories/<id>", data = "<form>")]
async fn save(
    _staff: StaffUser,
    page: Page<'_>,
    app: &State<App>,
    id: i64,
    form: Checked<CategoryForm>,
) -> PageResult {
    submit(&page, app, Some(id), form.0).await
}

/// Deletes an empty category; one that still holds articles stays, and its row says why.
#[post("/kb/categories/<id>/delete", data = "<_form>")]
async fn delete(
    _staff: StaffUser,
    page: Page<'_>,
    app: &State<App>,
    id: i64,
    _form: Checked<TokenOnly>,
) -> PageResult {
    match app.db.write(move |c| categories::delete(c, id)).await? {
        Deleted::Yes => Ok(Answer::from(Flash::success(
            Redirect::to(PAGE),
            "kb_flash_category_deleted",
        ))),
        Deleted::HasArticles(n) => {
            let mut errors = FieldErrors::new();
            errors.add_with("delete", "kb_error_category_not_empty", "n", &n.to_string());
            let refused = Refused {
                row: Some(id),
                values: Value::Null,
                errors,
            };
            let r = render(&page, app, Some(refused), Status::Conflict);
            Ok(Answer::from(r.await?))
        }
    }
}

pub fn routes() -> Vec<Route> {
    routes![list, add, save, delete]
}
