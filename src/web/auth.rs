//! Staff sessions over HTTP: the session cookie and the request guards that turn it into the
//! logged-in staff member (`StaffUser`) or an admin (`AdminUser`).

use rocket::http::{Cookie, CookieJar, SameSite, Status};
use rocket::request::{FromRequest, Outcome, Request};

use crate::auth::{AdminUser, StaffUser, access, sessions, users};
use crate::db::now;
use crate::error::Result;
use crate::web::App;

pub const SESSION_COOKIE: &str = "sid";

/// The session cookie's value: `account:epoch:issued:token`. The cookie is encrypted and signed
/// (a private cookie); the token names the session's row on the server, which is what makes the
/// session revocable: a copied cookie stops working the moment its row is gone.
struct SessionCookie {
    staff_id: i64,
    epoch: i64,
    issued: i64,
    token: String,
}

fn parse_session(value: &str) -> Option<SessionCookie> {
    let mut parts = value.splitn(4, ':');
    let mut number = || parts.next().and_then(|p| p.parse::<i64>().ok());
    let (staff_id, epoch, issued) = (number()?, number()?, number()?);
    let token = parts.next()?.to_string();
    (token.len() == 64 && token.bytes().all(|b| b.is_ascii_hexdigit())).then_some(SessionCookie {
        staff_id,
        epoch,
        issued,
        token,
    })
}

fn session_of(cookies: &CookieJar<'_>) -> Option<SessionCookie> {
    parse_session(cookies.get_private(SESSION_COOKIE)?.value())
}

/// Looks the session up once per request (cached for the other guards).
pub async fn current_staff(req: &Request<'_>) -> Option<StaffUser> {
    req.local_cache_async(async {
        let app = req.rocket().state::<App>()?;
        let session = session_of(req.cookies())?;
        let now = now();
        if now - session.issued > app.config.session_hours as i64 * 3600 {
            return None;
        }
        let token = session.token.clone();
        let (account, access) = app
            .db
            .read_quick(move |c| {
                let Some(account) = sessions::account(c, &token, now)? else {
                    return Ok(None);
                };
                let access = access::of_account(c, &account)?;
                Ok(Some((account, access)))
            })
            .await
            .ok()??;
        if account.id != session.staff_id
            || !account.active
            || account.session_epoch != session.epoch
        {
            return None;
        }
        Some(StaffUser::from_account(account, access))
    })
    .await
    .clone()
}

/// The browser's User-Agent, kept with a session so its owner can tell their sessions apart.
pub struct UserAgent(pub Option<String>);

#[rocket::async_trait]
impl<'r> FromRequest<'r> for UserAgent {
    type Error = std::convert::Infallible;
    async fn from_request(req: &'r Request<'_>) -> Outcome<Self, Self::Error> {
        Outcome::Success(UserAgent(
            req.headers().get_one("User-Agent").map(str::to_string),
        ))
    }
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

/// Opens a session for `account` on the server and gives this browser its cookie.
pub async fn start_session(
    app: &App,
    cookies: &CookieJar<'_>,
    account: &users::StaffAccount,
    ip: &str,
    user_agent: Option<String>,
) -> Result<()> {
    let token = sessions::new_token();
    let issued = now();
    let expires_at = issued + app.config.session_hours as i64 * 3600;
    let (id, stored, ip) = (account.id, token.clone(), ip.to_string());
    app.db
        .write(move |c| {
            let origin = sessions::Origin {
                ip: Some(&ip),
                user_agent: user_agent.as_deref(),
            };
            sessions::create(c, &stored, id, issued, expires_at, &origin)
        })
        .await?;
    let value = format!("{}:{}:{issued}:{token}", account.id, account.session_epoch);
    let cookie = Cookie::build((SESSION_COOKIE, value))
        .path("/")
        .same_site(SameSite::Lax)
        .http_only(true);
    cookies.add_private(cookie);
    Ok(())
}

/// Ends this browser's session, on the server too: a copy of the cookie opens nothing after.
pub async fn end_session(app: &App, cookies: &CookieJar<'_>) -> Result<()> {
    if let Some(session) = session_of(cookies) {
        app.db
            .write(move |c| sessions::end(c, &session.token))
            .await?;
    }
    cookies.remove_private(Cookie::build(SESSION_COOKIE).path("/"));
    Ok(())
}

/// The token of this browser's session, if any (to mark it among its owner's sessions).
pub fn session_token(cookies: &CookieJar<'_>) -> Option<String> {
    session_of(cookies).map(|s| s.token)
}
