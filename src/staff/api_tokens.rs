//! Preferences > API tokens: a staff member makes tokens for scripts and integrations (a name
//! and a scope), sees their own (prefix, scope, when made, last use and from where, revoked or
//! not) and revokes them. A new token is shown once, on the page the creating POST redirects
//! to; only its hash is stored.

use rocket::form::FromForm;
use rocket::http::{Cookie, CookieJar, SameSite, Status};
use rocket::response::{Flash, Redirect};
use rocket::{Route, State, get, post, routes};
use serde_json::{Value, json};

use crate::auth::StaffUser;
use crate::auth::api_tokens;
use crate::db::now;
use crate::error::{Error, FieldErrors, Result};
use crate::web::csrf::{Checked, CsrfForm, TokenOnly};
use crate::web::{Answer, App, ClientIp, Html, Page, PageResult};

pub fn routes() -> Vec<Route> {
    routes![tokens_page, create, revoke]
}

const PAGE: &str = "/staff/preferences/api-tokens";

/// A new token travels to the page that shows it in an encrypted, short-lived cookie scoped to
/// that page (never in the URL or the plain flash cookie), deleted as soon as it is shown.
const SHOWN_TOKEN: &str = "api_token_new";

fn remember_token(cookies: &CookieJar<'_>, id: i64, secret: &str) {
    let cookie = Cookie::build((SHOWN_TOKEN, format!("{id}:{secret}")))
        .path(PAGE)
        .same_site(SameSite::Strict)
        .http_only(true)
        .max_age(rocket::time::Duration::minutes(10));
    cookies.add_private(cookie);
}

/// The new token waiting to be shown (its id and itself); removes it.
fn take_token(cookies: &CookieJar<'_>) -> Option<(i64, String)> {
    let cookie = cookies.get_private(SHOWN_TOKEN)?;
    cookies.remove_private(Cookie::build(SHOWN_TOKEN).path(PAGE));
    let (id, secret) = cookie.value().split_once(':')?;
    Some((id.parse().ok()?, secret.to_string()))
}

#[get("/preferences/api-tokens")]
async fn tokens_page(
    staff: StaffUser,
    page: Page<'_>,
    app: &State<App>,
    cookies: &CookieJar<'_>,
) -> Result<Html> {
    let shown = take_token(cookies);
    render(
        &page,
        app,
        &staff,
        json!({ "scope": "read" }),
        FieldErrors::new(),
        shown,
    )
    .await
}

/// The page: the member's tokens, the form (`form`: what was typed) with its `errors`, and the
/// token just made, if any.
async fn render(
    page: &Page<'_>,
    app: &App,
    staff: &StaffUser,
    form: Value,
    errors: FieldErrors,
    shown: Option<(i64, String)>,
) -> Result<Html> {
    let id = staff.id;
    let tokens = app.db.read(move |c| api_tokens::of_staff(c, id)).await?;
    // Only a token of this member, just made, is shown.
    let new_token = shown.and_then(|(token_id, secret)| {
        let token = tokens.iter().find(|t| t.id == token_id)?;
        Some(json!({ "id": token_id, "name": token.name, "secret": secret }))
    });
    page.render(
        "staff/api_tokens.html",
        json!({ "tokens": tokens, "form": form, "errors": errors, "new_token": new_token }),
    )
}

#[derive(FromForm)]
struct NewTokenForm {
    #[field(default = String::new())]
    csrf_token: String,
    #[field(default = String::new())]
    name: String,
    #[field(default = String::new())]
    scope: String,
}

impl CsrfForm for NewTokenForm {
    fn csrf_token(&self) -> &str {
        &self.csrf_token
    }
}

#[post("/preferences/api-tokens", data = "<form>")]
async fn create(
    staff: StaffUser,
    page: Page<'_>,
    app: &State<App>,
    ip: ClientIp,
    cookies: &CookieJar<'_>,
    form: Checked<NewTokenForm>,
) -> PageResult {
    let form = form.0;
    let (name, scope) = match api_tokens::check_new(&form.name, &form.scope) {
        Ok(checked) => checked,
        Err(errors) => {
            let typed = json!({ "name": form.name, "scope": form.scope });
            let html = render(&page, app, &staff, typed, errors, None).await?;
            return Ok(Answer::from((Status::UnprocessableEntity, html)));
        }
    };
    let me = staff.id;
    let (id, secret) = app
        .db
        .write(move |c| api_tokens::create_recorded(c, me, &name, scope, Some(&ip.0), now()))
        .await?;
    remember_token(cookies, id, &secret);
    Ok(Answer::from(Flash::success(
        Redirect::to(PAGE),
        "tokens_flash_created",
    )))
}

/// Revokes one of the member's own tokens; anyone else's is as unknown as a missing one (404).
#[post("/preferences/api-tokens/<id>/revoke", data = "<_form>")]
async fn revoke(
    staff: StaffUser,
    app: &State<App>,
    ip: ClientIp,
    id: i64,
    _form: Checked<TokenOnly>,
) -> PageResult {
    let me = staff.id;
    let revoked = app
        .db
        .write(move |c| {
            let token = api_tokens::get(c, id)?
                .filter(|t| t.staff_id == me)
                .ok_or(Error::NotFound)?;
            api_tokens::revoke_recorded(c, &token, me, "owner", Some(&ip.0), now())
        })
        .await?;
    let key = if revoked {
        "tokens_flash_revoked"
    } else {
        "tokens_flash_already_revoked"
    };
    Ok(Answer::from(Flash::success(Redirect::to(PAGE), key)))
}
