//! Staff sessions and the login page. A session is an encrypted cookie naming the account, its
//! session epoch (bumped on password change or deactivation) and when it was issued.

pub mod users;

use rocket::form::FromForm;
use rocket::http::{Cookie, CookieJar, SameSite, Status};
use rocket::request::{FromRequest, Outcome, Request};
use rocket::response::{Flash, Redirect};
use rocket::{Route, State, get, post, routes};
use serde::Serialize;
use serde_json::json;

use crate::db::now;
use crate::error::Result;
use crate::util::safe_next;
use crate::web::csrf::{Checked, CsrfForm, TokenOnly};
use crate::web::{App, ClientIp, Html, Page};
pub use users::Role;

const SESSION_COOKIE: &str = "sid";

/// The logged-in staff member.
#[derive(Debug, Clone, Serialize)]
pub struct StaffUser {
    pub id: i64,
    pub email: String,
    pub name: String,
    pub role: Role,
    pub is_admin: bool,
}

/// An admin; other staff get 403.
pub struct AdminUser(pub StaffUser);

fn parse_session(value: &str) -> Option<(i64, i64, i64)> {
    let mut parts = value.split(':').map(|p| p.parse::<i64>().ok());
    Some((parts.next()??, parts.next()??, parts.next()??))
}

/// Looks the session up once per request (cached for the other guards).
pub async fn current_staff(req: &Request<'_>) -> Option<StaffUser> {
    req.local_cache_async(async {
        let app = req.rocket().state::<App>()?;
        let (id, epoch, issued) =
            parse_session(req.cookies().get_private(SESSION_COOKIE)?.value())?;
        if now() - issued > app.config.session_hours as i64 * 3600 {
            return None;
        }
        let account = app.db.read_quick(move |c| users::get(c, id)).await.ok()??;
        if !account.active || account.session_epoch != epoch {
            return None;
        }
        Some(StaffUser {
            id: account.id,
            email: account.email,
            is_admin: account.role == Role::Admin,
            name: account.name,
            role: account.role,
        })
    })
    .await
    .clone()
}

#[rocket::async_trait]
impl<'r> FromRequest<'r> for StaffUser {
    type Error = ();
    async fn from_request(req: &'r Request<'_>) -> Outcome<Self, ()> {
        match current_staff(req).await {
            Some(user) => Outcome::Success(user),
            None => Outcome::Error((Status::Unauthorized, ())),
        }
    }
}

#[rocket::async_trait]
impl<'r> FromRequest<'r> for AdminUser {
    type Error = ();
    async fn from_request(req: &'r Request<'_>) -> Outcome<Self, ()> {
        match current_staff(req).await {
            Some(user) if user.is_admin => Outcome::Success(AdminUser(user)),
            Some(_) => Outcome::Error((Status::Forbidden, ())),
            None => Outcome::Error((Status::Unauthorized, ())),
        }
    }
}

pub fn start_session(cookies: &CookieJar<'_>, account: &users::StaffAccount) {
    let value = format!("{}:{}:{}", account.id, account.session_epoch, now());
    let cookie = Cookie::build((SESSION_COOKIE, value))
        .path("/")
        .same_site(SameSite::Lax)
        .http_only(true);
    cookies.add_private(cookie);
}

#[get("/staff/login?<next>")]
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

#[post("/staff/login", data = "<form>")]
async fn login(
    page: Page<'_>,
    app: &State<App>,
    ip: ClientIp,
    cookies: &CookieJar<'_>,
    form: Checked<LoginForm>,
) -> Result<std::result::Result<Redirect, (Status, Html)>> {
    let form = form.0;
    let email = form.email.trim().to_lowercase();
    let ip_key = format!("ip:{}", ip.0);
    let account_key = format!("account:{email}");
    let fail =
        |status: Status, error: &str| -> Result<std::result::Result<Redirect, (Status, Html)>> {
            let html = page.render(
                "staff/login.html",
                json!({ "next": form.next, "email": email, "error": error }),
            )?;
            Ok(Err((status, html)))
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
                    users::audit(c, Some(id), "login", "", Some(&ip_for_log))
                })
                .await?;
            start_session(cookies, &account);
            Ok(Ok(Redirect::to(safe_next(&form.next, "/staff/tickets"))))
        }
        other => {
            app.login_throttle.record_failure(&ip_key);
            app.login_throttle.record_failure(&account_key);
            let id = other.map(|a| a.id);
            let detail = format!("email={email}");
            app.db
                .write(move |c| users::audit(c, id, "login_failed", &detail, Some(&ip_for_log)))
                .await?;
            fail(Status::Unauthorized, "login_failed")
        }
    }
}

#[post("/staff/logout", data = "<_form>")]
fn logout(cookies: &CookieJar<'_>, _form: Checked<TokenOnly>) -> Flash<Redirect> {
    cookies.remove_private(Cookie::build(SESSION_COOKIE).path("/"));
    Flash::success(Redirect::to("/staff/login"), "flash_logged_out")
}

pub fn routes() -> Vec<Route> {
    routes![login_page, login, logout]
}
