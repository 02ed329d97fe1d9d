//! Which language a request is answered in: the `lang` cookie (the switch in the footer), else
//! the browser's Accept-Language, else English.

use rocket::http::{Cookie, CookieJar, SameSite};
use rocket::request::{FromRequest, Outcome, Request};

use crate::i18n::Lang;

pub fn of_request(req: &Request<'_>) -> Lang {
    if let Some(lang) = req
        .cookies()
        .get("lang")
        .and_then(|c| Lang::from_code(c.value()))
    {
        return lang;
    }
    req.headers()
        .get_one("Accept-Language")
        .and_then(Lang::from_accept_language)
        .unwrap_or(Lang::En)
}

/// Keeps the visitor's choice for a year.
pub fn remember(lang: Lang, cookies: &CookieJar<'_>) {
    let cookie = Cookie::build(("lang", lang.code()))
        .path("/")
        .same_site(SameSite::Lax)
        .http_only(true)
        .max_age(rocket::time::Duration::days(365));
    cookies.add(cookie);
}

#[rocket::async_trait]
impl<'r> FromRequest<'r> for Lang {
    type Error = std::convert::Infallible;
    async fn from_request(req: &'r Request<'_>) -> Outcome<Self, Self::Error> {
        Outcome::Success(of_request(req))
    }
}
