//! Staff > Canned replies: the list (shared ones and the viewer's own, with how often each was
//! used) and the form to write, change or delete one. Using them on a ticket is `canned_use`.

use rocket::form::FromForm;
use rocket::http::Status;
use rocket::response::{Flash, Redirect};
use rocket::{Route, State, get, post, routes};
use serde_json::{Value, json};

use crate::auth::StaffUser;
use crate::db::now;
use crate::error::{Error, FieldErrors, Result};
use crate::tickets::RefData;
use crate::tickets::canned::{self, CannedInput, CannedReply};
use crate::tickets::placeholders;
use crate::web::csrf::{Checked, CsrfForm, TokenOnly};
use crate::web::{Answer, App, Html, Page, PageResult};

pub fn routes() -> Vec<Route> {
    routes![list, new_page, edit_page, create, update, delete]
}

/// What a reply using `reply` changes, in words ("Status: Resolved; assigned to you"); empty
/// when it changes nothing.
pub(super) fn changes_summary(page: &Page<'_>, refdata: &RefData, reply: &CannedReply) -> String {
    let mut parts = Vec::new();
    if let Some(status) = reply.status_id.and_then(|id| refdata.status(id)) {
        parts.push(
            page.t("canned_change_status")
                .replace("{value}", &status.label),
        );
    }
    if let Some(priority) = reply.priority_id.and_then(|id| refdata.priority(id)) {
        parts.push(
            page.t("canned_change_priority")
                .replace("{value}", &priority.label),
        );
    }
    if reply.assign_to_me {
        parts.push(page.t("canned_change_assign"));
    }
    parts.join("; ")
}

#[get("/canned")]
async fn list(staff: StaffUser, page: Page<'_>, app: &State<App>) -> Result<Html> {
    let refdata = app.refdata(page.lang).await?;
    let me = staff.id;
    let replies = app.db.read(move |c| canned::visible(c, me)).await?;
    let rows: Vec<Value> = replies
        .iter()
        .map(|r| {
            json!({
                "id": r.id,
                "title": r.title,
                "shared": r.is_shared(),
                "category": r.category_id.and_then(|c| refdata.category(c)).map(|c| &c.label),
                "changes": changes_summary(&page, &refdata, r),
                "usage_count": r.usage_count,
                "last_used_at": r.last_used_at,
                "editable": r.editable_by(staff.id, staff.is_admin),
            })
        })
        .collect();
    page.render("staff/canned_list.html", json!({ "replies": rows }))
}

#[derive(FromForm)]
struct CannedForm {
    #[field(default = String::new())]
    csrf_token: String,
    #[field(default = String::new())]
    title: String,
    #[field(default = String::new())]
    body: String,
    /// "shared" or "personal".
    #[field(default = String::new())]
    scope: String,
    /// Empty: every category.
    #[field(default = String::new())]
    category: String,
    /// Empty: left as it is.
    #[field(default = String::new())]
    status: String,
    #[field(default = String::new())]
    priority: String,
    #[field(default = false)]
    assign_to_me: bool,
}

impl CsrfForm for CannedForm {
    fn csrf_token(&self) -> &str {
        &self.csrf_token
    }
}

impl CannedForm {
    fn values(&self) -> Value {
        json!({
            "title": self.title, "body": self.body, "scope": self.scope,
            "category": self.category, "status": self.status, "priority": self.priority,
            "assign_to_me": self.assign_to_me,
        })
    }

    /// The input, and the problems of fields that are not even numbers.
    fn input(&self) -> (CannedInput, FieldErrors) {
        let mut errors = FieldErrors::new();
        let mut id = |field: &'static str, key: &'static str, v: &str| match v.trim() {
            "" => None,
            v => v.parse::<i64>().ok().or_else(|| {
                errors.add(field, key);
                None
            }),
        };
        let input = CannedInput {
            title: self.title.clone(),
            body: self.body.clone(),
            shared: self.scope == "shared",
            category_id: id("category", "canned_error_category", &self.category),
            status_id: id("status", "canned_error_status", &self.status),
            priority_id: id("priority", "canned_error_priority", &self.priority),
            assign_to_me: self.assign_to_me,
        };
        (input, errors)
    }
}

fn reply_values(r: &CannedReply) -> Value {
    let id = |v: Option<i64>| v.map(|v| v.to_string()).unwrap_or_default();
    json!({
        "title": r.title, "body": r.body,
        "scope": if r.is_shared() { "shared" } else { "personal" },
        "category": id(r.category_id), "status": id(r.status_id), "priority": id(r.priority_id),
        "assign_to_me": r.assign_to_me,
    })
}

fn blank() -> Value {
    json!({
        "title": "", "body": "", "scope": "personal", "category": "", "status": "",
        "priority": "", "assign_to_me": false,
    })
}

/// The form, new (`reply` None) or for an existing reply.
async fn render_form(
    page: &Page<'_>,
    app: &App,
    reply: Option<&CannedReply>,
    form: Value,
    errors: FieldErrors,
) -> Result<(Status, Html)> {
    let refdata = app.refdata(page.lang).await?;
    let status = if errors.is_empty() {
        Status::Ok
    } else {
        Status::UnprocessableEntity
    };
    let placeholders: Vec<String> = placeholders::NAMES
        .iter()
        .map(|n| format!("{{{{ {n} }}}}"))
        .collect();
    let html = page.render(
        "staff/canned_edit.html",
        json!({
            "id": reply.map(|r| r.id), "usage_count": reply.map(|r| r.usage_count),
            "form": form, "errors": errors, "refdata": &*refdata,
            "placeholders": placeholders,
            "max_title": canned::MAX_TITLE, "max_body": canned::MAX_BODY,
        }),
    )?;
    Ok((status, html))
}

/// Reply `id` if `staff` may change it: someone else's personal reply is not found (it is
/// theirs alone), a shared one is forbidden to agents.
async fn editable(app: &App, staff: &StaffUser, id: i64) -> Result<CannedReply> {
    let reply = app
        .db
        .read(move |c| canned::get(c, id))
        .await?
        .filter(|r| r.visible_to(staff.id))
        .ok_or(Error::NotFound)?;
    if reply.editable_by(staff.id, staff.is_admin) {
        Ok(reply)
    } else {
        Err(Error::Forbidden)
    }
}

#[get("/canned/new")]
async fn new_page(_staff: StaffUser, page: Page<'_>, app: &State<App>) -> Result<Html> {
    let (_, html) = render_form(&page, app, None, blank(), FieldErrors::new()).await?;
    Ok(html)
}

#[get("/canned/<id>")]
async fn edit_page(staff: StaffUser, page: Page<'_>, app: &State<App>, id: i64) -> Result<Html> {
    let reply = editable(app, &staff, id).await?;
    let (_, html) = render_form(
        &page,
        app,
        Some(&reply),
        reply_values(&reply),
        FieldErrors::new(),
    )
    .await?;
    Ok(html)
}

/// Checks and saves the form: a new reply (`existing` None) or changes to one. On any problem
/// the form comes back with the errors next to the fields and nothing is saved.
async fn save(
    staff: StaffUser,
    page: Page<'_>,
    app: &App,
    existing: Option<CannedReply>,
    form: CannedForm,
) -> PageResult {
    let refdata = app.refdata(page.lang).await?;
    let (input, mut errors) = form.input();
    canned::check(&input, &refdata, staff.is_admin, &mut errors);
    if !errors.is_empty() {
        let html = render_form(&page, app, existing.as_ref(), form.values(), errors).await?;
        return Ok(Answer::from(html));
    }
    let (me, at) = (staff.id, now());
    match existing {
        Some(reply) => {
            let id = reply.id;
            let saved = app
                .db
                .write(move |c| canned::update(c, id, &input, me, at))
                .await?;
            if !saved {
                return Err(Error::NotFound);
            }
        }
        None => {
            app.db
                .write(move |c| canned::insert(c, &input, me, at))
                .await?;
        }
    }
    Ok(Answer::from(Flash::success(
        Redirect::to("/staff/canned"),
        "canned_flash_saved",
    )))
}

#[post("/canned/new", data = "<form>")]
async fn create(
    staff: StaffUser,
    page: Page<'_>,
    app: &State<App>,
    form: Checked<CannedForm>,
) -> PageResult {
    save(staff, page, app, None, form.0).await
}

#[post("/canned/<id>", data = "<form>")]
async fn update(
    staff: StaffUser,
    page: Page<'_>,
    app: &State<App>,
    id: i64,
    form: Checked<CannedForm>,
) -> PageResult {
    let reply = editable(app, &staff, id).await?;
    save(staff, page, app, Some(reply), form.0).await
}

#[post("/canned/<id>/delete", data = "<_form>")]
async fn delete(
    staff: StaffUser,
    app: &State<App>,
    id: i64,
    _form: Checked<TokenOnly>,
) -> Result<Flash<Redirect>> {
    editable(app, &staff, id).await?;
    app.db.write(move |c| canned::delete(c, id)).await?;
    Ok(Flash::success(
        Redirect::to("/staff/canned"),
        "canned_flash_deleted",
    ))
}
