//! A forgotten password: the staff member asks for a link by email (the answer is the same
//! whether or not the address has an account), then sets a new password with it, once, within
//! an hour. Setting it ends every session of the account.

use rocket::form::FromForm;
use rocket::http::Status;
use rocket::response::{Flash, Redirect};
use rocket::{Route, State, get, post, routes};
use serde_json::json;

use crate::auth::{resets, users};
use crate::db::now;
use crate::error::{FieldErrors, Result};
use crate::i18n::Lang;
use crate::web::csrf::{Checked, CsrfForm};
use crate::web::{Answer, App, ClientIp, Html, Page, PageResult};

pub fn routes() -> Vec<Route> {
    routes![forgot_page, forgot, reset_page, reset]
}

#[get("/password/forgot")]
fn forgot_page(page: Page<'_>) -> Result<Html> {
    page.render("staff/password_forgot.html", json!({}))
}

#[derive(FromForm)]
struct ForgotForm {
    #[field(default = String::new())]
    csrf_token: String,
    #[field(default = String::new())]
    email: String,
}

impl CsrfForm for ForgotForm {
    fn csrf_token(&self) -> &str {
        &self.csrf_token
    }
}

/// Mails a link to an active account with that address. Whatever the address, the answer is
/// the same, and at most a few links per address are sent per quarter hour (the login
/// throttle's window), so the form can neither find accounts nor flood a mailbox.
#[post("/password/forgot", data = "<form>")]
async fn forgot(
    app: &State<App>,
    ip: ClientIp,
    form: Checked<ForgotForm>,
) -> Result<Flash<Redirect>> {
    let email = form.0.email.trim().to_lowercase();
    let key = format!("reset:{email}");
    if !app.login_throttle.is_blocked(&key) {
        app.login_throttle.record_failure(&key);
        let ctx = app.mail_ctx();
        app.db
            .write(move |c| {
                let Some(account) = users::find_by_email(c, &email)?.filter(|a| a.active) else {
                    return Ok(());
                };
                let now = now();
                let token = resets::create(c, account.id, now)?;
                let prefs = users::notify_prefs(c, account.id)?;
                let lang = Lang::from_code(&prefs.lang).unwrap_or(Lang::En);
                crate::notify::password_reset(c, &ctx, &account.email, lang, &token, now)?;
                crate::audit::record(
                    c,
                    Some(account.id),
                    "password_reset_requested",
                    "",
                    Some(&ip.0),
                )
            })
            .await?;
    }
    Ok(Flash::success(
        Redirect::to("/staff/login"),
        "flash_reset_sent",
    ))
}

/// The form for the new password. Opening the link changes nothing (mail scanners follow
/// links): only posting the form uses it up.
#[get("/password/reset?<token>")]
async fn reset_page(
    page: Page<'_>,
    app: &State<App>,
    token: Option<&str>,
) -> Result<(Status, Html)> {
    let token = token.unwrap_or("").to_string();
    let lookup = token.clone();
    let valid = app
        .db
        .read(move |c| resets::peek(c, &lookup, now()))
        .await?
        .is_some();
    let status = if valid {
        Status::Ok
    } else {
        Status::BadRequest
    };
    let html = page.render(
        "staff/password_reset.html",
        json!({ "token": token, "expired": !valid, "errors": FieldErrors::new() }),
    )?;
    Ok((status, html))
}

#[derive(FromForm)]
struct ResetForm {
    #[field(default = String::new())]
    csrf_token: String,
    #[field(default = String::new())]
    token: String,
    #[field(default = String::new())]
    new_password: String,
}

impl CsrfForm for ResetForm {
    fn csrf_token(&self) -> &str {
        &self.csrf_token
    }
}

#[post("/password/reset", data = "<form>")]
async fn reset(
    page: Page<'_>,
    app: &State<App>,
    ip: ClientIp,
    form: Checked<ResetForm>,
) -> PageResult {
    let form = form.0;
    let render = |errors: FieldErrors, expired: bool| -> PageResult {
        let html = page.render(
            "staff/password_reset.html",
            json!({ "token": form.token, "expired": expired, "errors": errors }),
        )?;
        Ok(Answer::from((Status::UnprocessableEntity, html)))
    };
    if let Err(problem) = users::check_password_strength(&form.new_password) {
        let token = form.token.clone();
        let valid = app
            .db
            .read(move |c| resets::peek(c, &token, now()))
            .await?
            .is_some();
        return render(FieldErrors::one("new_password", problem), !valid);
    }
    let hash = app.hash_password(form.new_password.clone()).await?;
    let token = form.token.clone();
    let done = app
        .db
        .write(move |c| {
            let Some(id) = resets::take(c, &token, now())? else {
                return Ok(false);
            };
            users::set_password(c, id, &hash)?;
            crate::audit::record(c, Some(id), "password_reset_done", "", Some(&ip.0))?;
            Ok(true)
        })
        .await?;
    if !done {
        return render(FieldErrors::new(), true);
    }
    Ok(Answer::from(Flash::success(
        Redirect::to("/staff/login"),
        "flash_password_reset_done",
    )))
}
