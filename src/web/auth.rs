//! Staff sessions over HTTP: the session cookie and the request guards that turn it into the
//! logged-in staff member (`StaffUser`) or an admin (`AdminUser`).

use rocket::http::{Cookie, CookieJar, SameSite, Status};
use rocket::request::{FromRequest, Outcome, Request};

use crate::auth::{AdminUser, StaffUser, users};
use crate::db::now;
use crate::web::App;

pub const SESSION_COOKIE: &str = "sid";

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
        Some(StaffUser::from_account(account))
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

/// Forgets the session in this browser.
pub fn end_session(cookies: &CookieJar<'_>) {
    cookies.remove_private(Cookie::build(SESSION_COOKIE).path("/"));
}
