//! Who is calling: `ApiUser` turns `Authorization: Bearer TOKEN` into the token's staff member
//! (with their role and category access, read afresh on every request, so a revoked token or a
//! deactivated account stops at once); `ApiWriter` also requires the `read-write` scope. Each
//! token's requests are limited per minute (`RateLimiter`, answering 429 with `Retry-After`).

use rocket::http::Status;
use rocket::request::{FromRequest, Outcome, Request};

use super::error::{ApiError, leave_for_catcher};
use super::rate_limit::RateLimiter;
use crate::auth::StaffUser;
use crate::auth::access;
use crate::auth::api_tokens::{self, Scope};
use crate::web::{App, ClientIp};

/// A token's use is written at most this often (seconds): a busy script does not turn every
/// read into a write.
const TOUCH_EVERY: i64 = 60;

/// The staff member a valid token acts as.
pub struct ApiUser {
    pub staff: StaffUser,
    pub token_id: i64,
    pub scope: Scope,
}

/// An `ApiUser` whose token may write.
pub struct ApiWriter(pub ApiUser);

fn fail<T>(req: &Request<'_>, e: ApiError) -> Outcome<T, ()> {
    let status = e.status;
    leave_for_catcher(req, e);
    Outcome::Error((status, ()))
}

async fn authenticate(req: &Request<'_>) -> Result<ApiUser, ApiError> {
    let app = req
        .rocket()
        .state::<App>()
        .ok_or_else(|| ApiError::for_status(Status::InternalServerError))?;
    let header = req
        .headers()
        .get_one("Authorization")
        .ok_or_else(|| ApiError::unauthorized("missing Authorization: Bearer TOKEN"))?;
    let secret = header
        .strip_prefix("Bearer ")
        .map(str::trim)
        .filter(|s| api_tokens::well_formed(s))
        .ok_or_else(|| ApiError::unauthorized("malformed token"))?
        .to_string();
    let now = crate::db::now();
    let found = app
        .db
        .read_quick(move |c| {
            let Some((token, account)) = api_tokens::look_up(c, &secret)? else {
                return Ok(None);
            };
            let access = access::of_account(c, &account)?;
            Ok(Some((token, account, access)))
        })
        .await
        .map_err(ApiError::from)?;
    let Some((token, account, access)) = found else {
        return Err(ApiError::unauthorized("unknown or revoked token"));
    };
    if !account.active {
        return Err(ApiError::unauthorized("the token's account is deactivated"));
    }
    if let Some(limiter) = req.rocket().state::<RateLimiter>() {
        limiter
            .check(token.id, std::time::Instant::now())
            .map_err(ApiError::too_many)?;
    }
    if token.last_used_at.is_none_or(|at| now - at >= TOUCH_EVERY) {
        let ip = match req.guard::<ClientIp>().await {
            Outcome::Success(ip) => ip.0,
            _ => String::new(),
        };
        let (id, staff_id) = (token.id, token.staff_id);
        // A failed bookkeeping write must not refuse the request. A use from another address
        // than the last one is noticed here, so within TOUCH_EVERY, and audited with the touch.
        if let Err(e) = app
            .db
            .write(move |c| api_tokens::record_use(c, id, staff_id, now, &ip))
            .await
        {
            log::warn!("API token {id}: last use not recorded: {e}");
        }
    }
    Ok(ApiUser {
        staff: StaffUser::from_account(account, access),
        token_id: token.id,
        scope: token.scope,
    })
}

#[rocket::async_trait]
impl<'r> FromRequest<'r> for ApiUser {
    type Error = ();
    async fn from_request(req: &'r Request<'_>) -> Outcome<Self, ()> {
        match authenticate(req).await {
            Ok(user) => Outcome::Success(user),
            Err(e) => fail(req, e),
        }
    }
}

#[rocket::async_trait]
impl<'r> FromRequest<'r> for ApiWriter {
    type Error = ();
    async fn from_request(req: &'r Request<'_>) -> Outcome<Self, ()> {
        match authenticate(req).await {
            Ok(user) if user.scope.may_write() => Outcome::Success(ApiWriter(user)),
            Ok(_) => fail(
                req,
                ApiError::forbidden("this token is read-only; a read-write token may write"),
            ),
            Err(e) => fail(req, e),
        }
    }
}
