//! Admin > API tokens: every token of the desk with its owner, name, scope and last use, and
//! "Revoke" for any of them (a leaked token, a member who left).

use rocket::{Route, State, get, post, routes};
use serde_json::json;

use crate::auth::AdminUser;
use crate::auth::api_tokens;
use crate::db::now;
use crate::error::{Error, Result};
use crate::web::csrf::{Checked, TokenOnly};
use crate::web::{App, ClientIp, Html, Page, PageResult};

pub fn routes() -> Vec<Route> {
    routes![tokens_page, revoke]
}

#[get("/api-tokens")]
async fn tokens_page(_admin: AdminUser, page: Page<'_>, app: &State<App>) -> Result<Html> {
    let tokens = app.db.read(api_tokens::all).await?;
    let rows: Vec<_> = tokens
        .into_iter()
        .map(|(token, owner)| json!({ "token": token, "owner": owner }))
        .collect();
    super::render(&page, app, "admin/api_tokens.html", json!({ "rows": rows })).await
}

#[post("/api-tokens/<id>/revoke", data = "<_form>")]
async fn revoke(
    admin: AdminUser,
    app: &State<App>,
    ip: ClientIp,
    id: i64,
    _form: Checked<TokenOnly>,
) -> PageResult {
    let me = admin.0.id;
    let revoked = app
        .db
        .write(move |c| {
            let token = api_tokens::get(c, id)?.ok_or(Error::NotFound)?;
            api_tokens::revoke_recorded(c, &token, me, "admin", Some(&ip.0), now())
        })
        .await?;
    let key = if revoked {
        "tokens_flash_revoked"
    } else {
        "tokens_flash_already_revoked"
    };
    super::done("/admin/api-tokens".into(), key)
}
