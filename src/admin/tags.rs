//! Admin > Tags (`/admin/tags`): every tag with its count of tickets, renamed (into an existing
//! name: the two become one) or deleted (taken off every ticket). Audited.

use rocket::form::FromForm;
use rocket::{Route, State, get, post, routes};
use serde_json::{Value, json};

use super::{done, render};
use crate::auth::AdminUser;
use crate::error::{Error, FieldErrors, Result};
use crate::tickets::tags;
use crate::web::csrf::{Checked, CsrfForm};
use crate::web::{Answer, App, ClientIp, Html, Page, PageResult};

pub fn routes() -> Vec<Route> {
    routes![list, rename, delete]
}

async fn render_list(page: &Page<'_>, app: &App, form: Value, errors: FieldErrors) -> Result<Html> {
    let all: Vec<Value> = app
        .db
        .read(tags::all)
        .await?
        .into_iter()
        .map(|t| json!({ "id": t.id, "q": crate::util::url_encode(&t.name), "name": t.name, "tickets": t.tickets }))
        .collect();
    render(
        page,
        app,
        "admin/tags.html",
        json!({ "tags": all, "form": form, "errors": errors }),
    )
    .await
}

#[get("/tags")]
async fn list(_admin: AdminUser, page: Page<'_>, app: &State<App>) -> Result<Html> {
    render_list(&page, app, json!({}), FieldErrors::new()).await
}

#[derive(FromForm)]
struct RenameForm {
    #[field(default = String::new())]
    csrf_token: String,
    #[field(default = String::new())]
    name: String,
}

impl CsrfForm for RenameForm {
    fn csrf_token(&self) -> &str {
        &self.csrf_token
    }
}

#[post("/tags/<id>/rename", data = "<form>")]
async fn rename(
    admin: AdminUser,
    page: Page<'_>,
    app: &State<App>,
    ip: ClientIp,
    id: i64,
    form: Checked<RenameForm>,
) -> PageResult {
    let form = form.0;
    let name = match tags::normalize(&form.name) {
        Ok(name) => name,
        Err(key) => {
            let mut errors = FieldErrors::new();
            errors.add("name", key);
            let html =
                render_list(&page, app, json!({ "id": id, "name": form.name }), errors).await?;
            return Ok(Answer::from((
                rocket::http::Status::UnprocessableEntity,
                html,
            )));
        }
    };
    let me = admin.0.id;
    app.db
        .write(move |c| {
            let old = tags::name(c, id)?.ok_or(Error::NotFound)?;
            let kept = tags::rename(c, id, &name)?;
            crate::audit::record(
                c,
                Some(me),
                "tag_rename",
                &format!("id={id} from={old} to={name} into={kept}"),
                Some(&ip.0),
            )
        })
        .await?;
    done("/admin/tags".into(), "admin_flash_tag_renamed")
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

#[post("/tags/<id>/delete", data = "<_form>")]
async fn delete(
    admin: AdminUser,
    app: &State<App>,
    ip: ClientIp,
    id: i64,
    _form: Checked<DeleteForm>,
) -> PageResult {
    let me = admin.0.id;
    app.db
        .write(move |c| {
            let old = tags::name(c, id)?.ok_or(Error::NotFound)?;
            tags::delete(c, id)?;
            crate::audit::record(
                c,
                Some(me),
                "tag_delete",
                &format!("id={id} name={old}"),
                Some(&ip.0),
            )
        })
        .await?;
    done("/admin/tags".into(), "admin_flash_tag_deleted")
}
