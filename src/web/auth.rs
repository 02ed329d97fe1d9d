//! Staff sessions over HTTP: the session cookie and the request guards that turn it into the
//! logged-in staff member (`StaffUser`) or an admin (`AdminUser`). When the desk requires
//! two-factor sign-in, a member without it passes neither guard, only `EnrollingStaff`: the
//! enrolment page is all they can open until they set it up.

use rocket::http::{Cookie, CookieJar, SameSite, Status};
use rocket::request::{FromRequest, Outcome, Request};

use crate::auth::{AdminUser, StaffUser, access, sessions, two_factor, users};
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

/// What this request's session cookie names, looked up once per request and cached for the
/// other guards (and the 401 page): nobody, or a staff member, who must first set up two-factor
/// sign-in when the desk requires it and they have none.
#[derive(Clone, Default)]
struct SessionState(Option<Signed>);

#[derive(Clone)]
struct Signed {
    staff: StaffUser,
    must_enrol: bool,
}

async fn session_state(req: &Request<'_>) -> Option<Signed> {
    req.local_cache_async(async {
        let Some(app) = req.rocket().state::<App>() else {
            return SessionState(None);
        };
        SessionState(look_up(app, req.cookies()).await)
    })
    .await
    .0
    .clone()
}

async fn look_up(app: &App, cookies: &CookieJar<'_>) -> Option<Signed> {
    let session = session_of(cookies)?;
    let now = now();
    if now - session.issued > app.config.session_hours as i64 * 3600 {
        return None;
    }
    let token = session.token.clone();
    let required = app.settings().require_2fa;
    let (account, access, enrolled) = app
        .db
        .read_quick(move |c| {
            let Some(account) = sessions::account(c, &token, now)? else {
                return Ok(None);
            };
            let access = access::of_account(c, &account)?;
            // Only asked while the desk requires it: most requests make one query.
            let enrolled = !required || two_factor::is_enabled(c, account.id)?;
            Ok(Some((account, access, enrolled)))
        })
        .await
        .ok()??;
    if account.id != session.staff_id || !account.active || account.session_epoch != session.epoch {
        return None;
    }
    Some(Signed {
        staff: StaffUser::from_account(account, access),
        must_enrol: !enrolled,
    })
}

/// The logged-in staff member, when they may use the desk: a member who must first set up
/// two-factor sign-in counts as nobody here, so every page behind `StaffUser` or `AdminUser`
/// (and whatever `Page` shows to staff only) stays closed to them.
pub async fn current_staff(req: &Request<'_>) -> Option<StaffUser> {
    session_state(req)
        .await
        .filter(|s| !s.must_enrol)
        .map(|s| s.staff)
}

/// The staff member this request's guards already found, without looking anyone up (for pages
/// rendered where nothing can wait, such as the error page of a handler's error); None when no
/// guard looked, or nobody who may use the desk is signed in.
pub fn cached_staff(req: &Request<'_>) -> Option<StaffUser> {
    req.local_cache(SessionState::default)
        .0
        .as_ref()
        .filter(|s| !s.must_enrol)
        .map(|s| s.staff.clone())
}

/// Whether this request's session belongs to a member who must set up two-factor sign-in
/// before anything else (read from the guards' cache by the 401 page, which then sends them to
/// the enrolment page rather than to the login form).
pub fn must_enrol(req: &Request<'_>) -> bool {
    req.local_cache(SessionState::default)
        .0
        .as_ref()
        .is_some_and(|s| s.must_enrol)
}

/// Where a member who must set up two-factor sign-in is sent.
pub const ENROL_PATH: &str = "/staff/preferences/two-factor";

/// A signed-in staff member, including one who must still set up two-factor sign-in: only the
/// enrolment page takes this guard.
pub struct EnrollingStaff {
    pub staff: StaffUser,
    pub must_enrol: bool,
}

#[rocket::async_trait]
impl<'r> FromRequest<'r> for EnrollingStaff {
    type Error = ();
    async fn from_request(req: &'r Request<'_>) -> Outcome<Self, ()> {
        match session_state(req).await {
            Some(s) => Outcome::Success(EnrollingStaff {
                staff: s.staff,
                must_enrol: s.must_enrol,
            }),
            None => Outcome::Error((Status::Unauthorized, ())),
        }
    }
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
            Some(_) => {
                crate::web::Refusal::leave(req, "error_403_admin");
                Outcome::Error((Status::Forbidden, ()))
            }
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
