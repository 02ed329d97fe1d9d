//! Admin > Bans: the addresses and domains the desk accepts no tickets from (`tickets::bans`),
//! each with how many mails it dropped and portal submissions it refused; add and remove.

use rocket::form::FromForm;
use rocket::{Route, State, get, post, routes};
use serde_json::json;

use crate::auth::AdminUser;
use crate::db::now;
use crate::error::{FieldErrors, Result};
use crate::tickets::bans;
use crate::web::csrf::{Checked, CsrfForm, TokenOnly};
use crate::web::{App, ClientIp, Html, Page, PageResult};

pub fn routes() -> Vec<Route> {
    routes![bans_page, add, remove]
}

async fn render(page: &Page<'_>, app: &App, value: &str, errors: FieldErrors) -> Result<Html> {
    let rows = app.db.read(bans::list).await?;
    super::render(
        page,
        app,
        "admin/bans.html",
        json!({ "rows": rows, "form": { "value": value }, "errors": errors }),
    )
    .await
}

#[get("/bans")]
async fn bans_page(_admin: AdminUser, page: Page<'_>, app: &State<App>) -> Result<Html> {
    render(&page, app, "", FieldErrors::new()).await
}

#[derive(FromForm)]
struct BanForm {
    #[field(default = String::new())]
    csrf_token: String,
    #[field(default = String::new())]
    value: String,
}

impl CsrfForm for BanForm {
    fn csrf_token(&self) -> &str {
        &self.csrf_token
    }
}

#[post("/bans", data = "<form>")]
async fn add(
    admin: AdminUser,
    page: Page<'_>,
    app: &State<App>,
    ip: ClientIp,
    form: Checked<BanForm>,
) -> PageResult {
    let typed = form.0.value;
    let Some((kind, value)) = bans::parse(&typed) else {
        let html = render(
            &page,
            app,
            &typed,
            FieldErrors::one("value", "admin_bans_invalid"),
        );
        return Ok(crate::web::Answer::from((
            rocket::http::Status::UnprocessableEntity,
            html.await?,
        )));
    };
    let me = admin.0.id;
    let added = app
        .db
        .write(move |c| {
            let added = bans::add(c, kind, &value, Some(me), now())?;
            if added {
                let detail = format!("{} {value}", kind.as_str());
                crate::audit::record(c, Some(me), "ban_added", &detail, Some(&ip.0))?;
            }
            Ok(added)
        })
        .await?;
    if !added {
        let html = render(
            &page,
            app,
            &typed,
            FieldErrors::one("value", "admin_bans_exists"),
        );
        return Ok(crate::web::Answer::from((
            rocket::http::Status::UnprocessableEntity,
            html.await?,
        )));
    }
    super::done("/admin/bans".into(), "flash_ban_added")
}

#[post("/bans/<id>/remove", data = "<_form>")]
async fn remove(
    admin: AdminUser,
    app: &State<App>,
    ip: ClientIp,
    id: i64,
    _form: Checked<TokenOnly>,
) -> PageResult {
    let me = admin.0.id;
    app.db
        .write(move |c| {
            if let Some(value) = bans::remove(c, id)? {
                crate::audit::record(c, Some(me), "ban_removed", &value, Some(&ip.0))?;
            }
            Ok(())
        })
        .await?;
    super::done("/admin/bans".into(), "flash_ban_removed")
}
