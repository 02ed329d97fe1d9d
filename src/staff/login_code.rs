//! The second step of signing in, for a member with two-factor sign-in: after the right
//! password the browser holds only a pending sign-in (a random token in its own cookie, valid
//! five minutes, `pending_logins`), and this page's `code` turns it into a session. Wrong codes
//! count toward the same throttle as wrong passwords.

use rocket::form::FromForm;
use rocket::http::{Cookie, CookieJar, SameSite, Status};
use rocket::response::{Flash, Redirect};
use rocket::{Route, State, get, post, routes};
use serde_json::json;

use super::login::{SignedIn, device_of, finish_login, throttle_keys};
use crate::auth::two_factor::{self, Accepted};
use crate::auth::{pending_logins, users};
use crate::db::now;
use crate::error::{FieldErrors, Result};
use crate::web::auth::UserAgent;
use crate::web::csrf::{Checked, CsrfForm};
use crate::web::{Answer, App, ClientIp, Page, PageResult};

pub const CODE_PATH: &str = "/staff/login/code";

/// The pending sign-in's cookie: private (encrypted and signed), and no session cookie. It
/// opens nothing but this page.
const PENDING_COOKIE: &str = "signin";

pub fn routes() -> Vec<Route> {
    routes![code_page, submit_code]
}

pub(super) fn remember_pending(cookies: &CookieJar<'_>, token: &str) {
    let cookie = Cookie::build((PENDING_COOKIE, token.to_string()))
        .path("/staff/login")
        .same_site(SameSite::Lax)
        .http_only(true)
        .max_age(rocket::time::Duration::seconds(pending_logins::VALID_SECS));
    cookies.add_private(cookie);
}

fn forget_pending(cookies: &CookieJar<'_>) {
    cookies.remove_private(Cookie::build(PENDING_COOKIE).path("/staff/login"));
}

fn pending_token(cookies: &CookieJar<'_>) -> Option<String> {
    cookies
        .get_private(PENDING_COOKIE)
        .map(|c| c.value().to_string())
}

/// The pending sign-in of this browser and its account, while it holds: unexpired, and the
/// account still active with the password it had.
async fn pending(
    app: &App,
    cookies: &CookieJar<'_>,
) -> Result<Option<(String, pending_logins::Pending, users::StaffAccount)>> {
    let Some(token) = pending_token(cookies) else {
        return Ok(None);
    };
    let lookup = token.clone();
    let found = app
        .db
        .read(move |c| {
            let Some(pending) = pending_logins::get(c, &lookup, now())? else {
                return Ok(None);
            };
            Ok(users::get(c, pending.staff_id)?.map(|account| (pending, account)))
        })
        .await?;
    Ok(found
        .filter(|(p, a)| a.active && a.session_epoch == p.session_epoch)
        .map(|(p, a)| (token, p, a)))
}

/// Back to the login form, saying the sign-in took too long.
fn start_over(cookies: &CookieJar<'_>) -> Flash<Redirect> {
    forget_pending(cookies);
    Flash::error(Redirect::to("/staff/login"), "twofa_login_expired")
}

#[get("/login/code")]
async fn code_page(page: Page<'_>, app: &State<App>, cookies: &CookieJar<'_>) -> PageResult {
    if pending(app, cookies).await?.is_none() {
        return Ok(Answer::from(start_over(cookies)));
    }
    let html = page.render(
        "staff/login_code.html",
        json!({ "errors": FieldErrors::new(), "throttled": false }),
    )?;
    Ok(Answer::from((Status::Ok, html)))
}

#[derive(FromForm)]
struct CodeForm {
    #[field(default = String::new())]
    csrf_token: String,
    #[field(default = String::new())]
    code: String,
}

impl CsrfForm for CodeForm {
    fn csrf_token(&self) -> &str {
        &self.csrf_token
    }
}

#[post("/login/code", data = "<form>")]
async fn submit_code(
    page: Page<'_>,
    app: &State<App>,
    ip: ClientIp,
    user_agent: UserAgent,
    cookies: &CookieJar<'_>,
    form: Checked<CodeForm>,
) -> PageResult {
    let Some((token, pending, account)) = pending(app, cookies).await? else {
        return Ok(Answer::from(start_over(cookies)));
    };
    let device = device_of(cookies);
    let keys = throttle_keys(&ip.0, &account.email, device.as_ref());
    let refuse = |status: Status, errors: FieldErrors, throttled: bool| -> PageResult {
        let html = page.render(
            "staff/login_code.html",
            json!({ "errors": errors, "throttled": throttled }),
        )?;
        Ok(Answer::from((status, html)))
    };
    if keys.iter().any(|k| app.login_throttle.is_blocked(k)) {
        return refuse(Status::TooManyRequests, FieldErrors::new(), true);
    }
    let (id, email, client) = (account.id, account.email.clone(), ip.0.clone());
    let code = form.0.code;
    let outcome = app
        .db
        .write(move |c| {
            let outcome = two_factor::verify(c, id, &code, now())?;
            match outcome {
                Ok(accepted) => {
                    pending_logins::end(c, &token)?;
                    if let Accepted::Recovery { left } = accepted {
                        let detail = format!("where=login left={left}");
                        crate::audit::record(
                            c,
                            Some(id),
                            "2fa_recovery_code_used",
                            &detail,
                            Some(&client),
                        )?;
                    }
                }
                Err(refusal) => {
                    let detail = format!("email={email} code={}", refusal.as_str());
                    crate::audit::record(c, Some(id), "login_failed", &detail, Some(&client))?;
                }
            }
            Ok(outcome)
        })
        .await?;
    match outcome {
        Ok(accepted) => {
            forget_pending(cookies);
            let how = match accepted {
                Accepted::Totp => "2fa=totp",
                Accepted::Recovery { .. } => "2fa=recovery",
            };
            let signed_in = SignedIn {
                ip: &ip.0,
                user_agent: user_agent.0,
                keys: &keys,
                device,
                detail: how.to_string(),
            };
            finish_login(app, &page, cookies, &account, signed_in).await?;
            Ok(Answer::from(Redirect::to(pending.next)))
        }
        Err(refusal) => {
            for key in &keys {
                app.login_throttle.record_failure(key);
            }
            refuse(
                Status::Unauthorized,
                FieldErrors::one("code", refusal.key()),
                false,
            )
        }
    }
}
