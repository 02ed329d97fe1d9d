//! CSRF protection for every state-changing form (portal forms included): a random token lives in
//! an encrypted cookie and must come back in the form's `csrf_token` field. `Checked<T>` parses a
//! form and refuses it with 403 before any handler runs when the two differ. It is also where
//! every request body is read, so it bounds how long that may take (`body_timeout_secs`).

use rocket::data::{self, Data, FromData};
use rocket::form::{Form, FromForm};
use rocket::http::{Cookie, CookieJar, SameSite, Status};
use rocket::request::Request;
use rocket::tokio::time::{Duration, timeout};

use crate::config::Config;
use crate::util::{constant_time_eq, random_hex};
use crate::web::App;

const COOKIE: &str = "csrf";

/// The token for this client, created on first use.
pub fn token(cookies: &CookieJar<'_>) -> String {
    if let Some(c) = cookies.get_private(COOKIE) {
        return c.value().to_string();
    }
    let token = random_hex(32);
    let cookie = Cookie::build((COOKIE, token.clone()))
        .path("/")
        .same_site(SameSite::Lax)
        .http_only(true);
    cookies.add_private(cookie);
    token
}

/// Forms that carry a CSRF token.
pub trait CsrfForm {
    fn csrf_token(&self) -> &str;
}

/// A form whose CSRF token matched.
pub struct Checked<T>(pub T);

#[rocket::async_trait]
impl<'r, T: FromForm<'r> + CsrfForm + Send + 'r> FromData<'r> for Checked<T> {
    type Error = ();

    async fn from_data(req: &'r Request<'_>, data: Data<'r>) -> data::Outcome<'r, Self> {
        let secs = req
            .rocket()
            .state::<App>()
            .map_or(Config::default().body_timeout_secs, |app| {
                app.config.body_timeout_secs
            });
        // A body that has not fully arrived in time is left unread: 408, and the server closes
        // the connection after answering (it cannot be reused mid-body).
        let Ok(parsed) = timeout(Duration::from_secs(secs), Form::<T>::from_data(req, data)).await
        else {
            return data::Outcome::Error((Status::RequestTimeout, ()));
        };
        match parsed {
            data::Outcome::Success(form) => {
                let expected = req.cookies().get_private(COOKIE);
                match expected {
                    Some(c)
                        if constant_time_eq(c.value().as_bytes(), form.csrf_token().as_bytes()) =>
                    {
                        data::Outcome::Success(Checked(form.into_inner()))
                    }
                    _ => data::Outcome::Error((Status::Forbidden, ())),
                }
            }
            data::Outcome::Error((status, _)) => data::Outcome::Error((status, ())),
            data::Outcome::Forward(f) => data::Outcome::Forward(f),
        }
    }
}

/// A form with nothing but its token (buttons such as "Log out" or "Mark resolved").
#[derive(FromForm)]
pub struct TokenOnly {
    #[field(default = String::new())]
    pub csrf_token: String,
}

impl CsrfForm for TokenOnly {
    fn csrf_token(&self) -> &str {
        &self.csrf_token
    }
}
