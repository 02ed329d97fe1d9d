//! The staff login and logout pages.

use rocket::form::FromForm;
use rocket::http::{CookieJar, Status};
use rocket::response::{Flash, Redirect};
use rocket::{Route, State, get, post, routes};
use serde_json::json;

use crate::auth::users;
use crate::error::Result;
use crate::util::safe_next;
use crate::web::auth::{UserAgent, end_session, start_session};
use crate::web::csrf::{Checked, CsrfForm, TokenOnly};
use crate::web::{Answer, App, ClientIp, Html, Page, PageResult};

#[get("/login?<next>")]
fn login_page(page: Page<'_>, next: Option<&str>) -> Result<Html> {
    page.render(
        "staff/login.html",
        json!({ "next": next.unwrap_or(""), "email": "", "error": null }),
    )
}

#[derive(FromForm)]
struct LoginForm {
    #[field(default = String::new())]
    csrf_token: String,
    #[field(default = String::new())]
    email: String,
    #[field(default = String::new())]
    password: String,
    #[field(default = String::new())]
    next: String,
}

impl CsrfForm for LoginForm {
    fn csrf_token(&self) -> &str {
        &self.csrf_token
    }
}

#[post("/login", data = "<form>")]
async fn login(
    page: Page<'_>,
    app: &State<App>,
    ip: ClientIp,
    user_agent: UserAgent,
    cookies: &CookieJar<'_>,
    form: Checked<LoginForm>,
) -> PageResult {
    let form = form.0;
    let email = form.email.trim().to_lowercase();
    let ip_key = format!("ip:{}", ip.0);
    let account_key = format!("account:{email}");
    let fail = |status: Status, error: &str| -> PageResult {
        let html = page.render(
            "staff/login.html",
            json!({ "next": form.next, "email": email, "error": error }),
        )?;
        Ok(Answer::from((status, html)))
    };
    if app.login_throttle.is_blocked(&ip_key) || app.login_throttle.is_blocked(&account_key) {
        return fail(Status::TooManyRequests, "login_throttled");
    }
    let password = form.password.clone();
    let lookup = email.clone();
    let found = app
        .db
        .read(move |c| users::find_for_login(c, &lookup))
        .await?;
    // Hash even for unknown accounts so response time does not reveal which emails exist.
    let (account, hash) = match found {
        Some((account, hash)) => (Some(account), Some(hash)),
        None => (None, None),
    };
    let dummy = app.dummy_hash();
    let ok = rocket::tokio::task::spawn_blocking(move || {
        let hash = hash.unwrap_or_else(dummy);
        bcrypt::verify(password, &hash).unwrap_or(false)
    })
    .await
    .unwrap_or(false);
    let ip_for_log = ip.0.clone();
    match account {
        Some(account) if ok && account.active => {
            app.login_throttle.reset(&account_key);
            let id = account.id;
            // Their mail follows the language they work in.
            let lang = page.lang;
            app.db
                .write(move |c| {
                    users::set_lang(c, id, lang)?;
                    crate::audit::record(c, Some(id), "login", "", Some(&ip_for_log))
                })
                .await?;
            start_session(app, cookies, &account, &ip.0, user_agent.0).await?;
            Ok(Answer::from(Redirect::to(safe_next(
                &form.next,
                "/staff/tickets",
            ))))
        }
        other => {
            app.login_throttle.record_failure(&ip_key);
            app.login_throttle.record_failure(&account_key);
            let id = other.map(|a| a.id);
            let detail = format!("email={email}");
            app.db
                .write(move |c| {
                    crate::audit::record(c, id, "login_failed", &detail, Some(&ip_for_log))
                })
                .await?;
            fail(Status::Unauthorized, "login_failed")
        }
    }
}

#[post("/logout", data = "<_form>")]
async fn logout(
    app: &State<App>,
    cookies: &CookieJar<'_>,
    _form: Checked<TokenOnly>,
) -> Result<Flash<Redirect>> {
    end_session(app, cookies).await?;
    Ok(Flash::success(
        Redirect::to("/staff/login"),
        "flash_logged_out",
    ))
}

pub fn routes() -> Vec<Route> {
    routes![login_page, login, logout]
}
