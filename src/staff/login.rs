//! The staff login and logout pages. A member with two-factor sign-in then gives a code
//! (`login_code`) before any session opens.

use rocket::form::FromForm;
use rocket::http::{Cookie, CookieJar, SameSite, Status};
use rocket::response::{Flash, Redirect};
use rocket::{Route, State, get, post, routes};
use serde_json::json;

use crate::auth::{pending_logins, two_factor, users};
use crate::db::now;
use crate::error::Result;
use crate::util::safe_next;
use crate::web::auth::{ENROL_PATH, UserAgent, end_session, start_session};
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

/// A browser that signed in before keeps a device cookie (private: encrypted and signed) naming
/// the accounts that signed in with it. Failed logins from elsewhere then cannot lock those
/// accounts out of it.
const DEVICE_COOKIE: &str = "device";
/// Accounts remembered per browser at most (a shared front-desk PC).
const DEVICE_ACCOUNTS: usize = 10;

pub(super) struct Device {
    id: String,
    accounts: Vec<String>,
}

pub(super) fn device_of(cookies: &CookieJar<'_>) -> Option<Device> {
    let cookie = cookies.get_private(DEVICE_COOKIE)?;
    let (id, accounts) = cookie.value().split_once(':')?;
    Some(Device {
        id: id.to_string(),
        accounts: accounts
            .split(',')
            .filter(|a| !a.is_empty())
            .map(str::to_string)
            .collect(),
    })
}

fn remember_device(cookies: &CookieJar<'_>, device: Option<Device>, email: &str) {
    let mut device = device.unwrap_or_else(|| Device {
        id: crate::util::random_hex(16),
        accounts: Vec::new(),
    });
    device.accounts.retain(|a| a != email);
    device.accounts.insert(0, email.to_string());
    device.accounts.truncate(DEVICE_ACCOUNTS);
    let value = format!("{}:{}", device.id, device.accounts.join(","));
    let cookie = Cookie::build((DEVICE_COOKIE, value))
        .path("/staff")
        .same_site(SameSite::Lax)
        .http_only(true)
        .max_age(rocket::time::Duration::days(365));
    cookies.add_private(cookie);
}

/// The throttle's buckets for a login attempt. From a browser where this account signed in
/// before: that browser's own bucket only, so an attacker elsewhere cannot lock the owner out.
/// From anywhere else: one bucket per (address, account), so a burst of wrong passwords from an
/// office's shared address blocks only that account there, and one per account, so guessing
/// from many addresses is slowed too.
pub(super) fn throttle_keys(ip: &str, email: &str, device: Option<&Device>) -> Vec<String> {
    match device {
        Some(d) if d.accounts.iter().any(|a| a == email) => {
            vec![format!("device:{}:{email}", d.id)]
        }
        _ => vec![format!("ip:{ip}:{email}"), format!("account:{email}")],
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
    let device = device_of(cookies);
    let keys = throttle_keys(&ip.0, &email, device.as_ref());
    let fail = |status: Status, error: &str| -> PageResult {
        let html = page.render(
            "staff/login.html",
            json!({ "next": form.next, "email": email, "error": error }),
        )?;
        Ok(Answer::from((status, html)))
    };
    if keys.iter().any(|k| app.login_throttle.is_blocked(k)) {
        return fail(Status::TooManyRequests, "login_throttled");
    }
    let password = form.password.clone();
    let lookup = email.clone();
    let found = app
        .db
        .read(move |c| {
            let Some((account, hash)) = users::find_for_login(c, &lookup)? else {
                return Ok(None);
            };
            let two_factor = two_factor::is_enabled(c, account.id)?;
            Ok(Some((account, hash, two_factor)))
        })
        .await?;
    // Hash even for unknown accounts so response time does not reveal which emails exist.
    let (account, hash, two_factor) = match found {
        Some((account, hash, two_factor)) => (Some(account), Some(hash), two_factor),
        None => (None, None, false),
    };
    let dummy = app.dummy_hash();
    let ok = rocket::tokio::task::spawn_blocking(move || {
        let hash = hash.unwrap_or_else(dummy);
        bcrypt::verify(password, &hash).unwrap_or(false)
    })
    .await
    .unwrap_or(false);
    let next = safe_next(&form.next, "/staff");
    match account {
        Some(account) if ok && account.active && two_factor => {
            // No session yet, and the throttle is not reset: only the code finishes the
            // sign-in, and wrong codes count with wrong passwords.
            let (id, epoch) = (account.id, account.session_epoch);
            let token = app
                .db
                .write(move |c| pending_logins::create(c, id, epoch, &next, now()))
                .await?;
            super::login_code::remember_pending(cookies, &token);
            Ok(Answer::from(Redirect::to(super::login_code::CODE_PATH)))
        }
        Some(account) if ok && account.active => {
            let to = if app.settings().require_2fa {
                ENROL_PATH.to_string()
            } else {
                next
            };
            let signed_in = SignedIn {
                ip: &ip.0,
                user_agent: user_agent.0,
                keys: &keys,
                device,
                detail: String::new(),
            };
            finish_login(app, &page, cookies, &account, signed_in).await?;
            Ok(Answer::from(Redirect::to(to)))
        }
        other => {
            for key in &keys {
                app.login_throttle.record_failure(key);
            }
            let id = other.map(|a| a.id);
            let detail = format!("email={email}");
            let ip_for_log = ip.0.clone();
            app.db
                .write(move |c| {
                    crate::audit::record(c, id, "login_failed", &detail, Some(&ip_for_log))
                })
                .await?;
            fail(Status::Unauthorized, "login_failed")
        }
    }
}

/// How a sign-in that succeeded came about, for `finish_login`.
pub(super) struct SignedIn<'a> {
    pub ip: &'a str,
    pub user_agent: Option<String>,
    /// The throttle's buckets, reset now.
    pub keys: &'a [String],
    pub device: Option<Device>,
    /// Added to the `login` audit entry (e.g. how the second factor was given).
    pub detail: String,
}

/// Signs `account` in on this browser: forgives its failures, records the login, opens the
/// session and remembers the device.
pub(super) async fn finish_login(
    app: &App,
    page: &Page<'_>,
    cookies: &CookieJar<'_>,
    account: &users::StaffAccount,
    how: SignedIn<'_>,
) -> Result<()> {
    for key in how.keys {
        app.login_throttle.reset(key);
    }
    let id = account.id;
    // Their mail follows the language they work in.
    let lang = page.lang;
    let (ip, detail) = (how.ip.to_string(), how.detail);
    app.db
        .write(move |c| {
            users::set_lang(c, id, lang)?;
            crate::audit::record(c, Some(id), "login", &detail, Some(&ip))
        })
        .await?;
    start_session(app, cookies, account, how.ip, how.user_agent).await?;
    remember_device(cookies, how.device, &account.email);
    Ok(())
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
