//! Which tickets this browser may see without an account: those whose tracking ID and email it
//! proved, or whose secret link it followed. Kept in an encrypted cookie.

use rocket::http::{Cookie, CookieJar, SameSite};

const COOKIE: &str = "tickets";
/// The cookie remembers this many tickets, most recent first.
const MAX_REMEMBERED: usize = 20;

pub fn granted(cookies: &CookieJar<'_>) -> Vec<String> {
    cookies
        .get_private(COOKIE)
        .map(|c| {
            c.value()
                .split(',')
                .filter(|s| !s.is_empty())
                .map(str::to_string)
                .collect()
        })
        .unwrap_or_default()
}

pub fn has(cookies: &CookieJar<'_>, tracking_id: &str) -> bool {
    granted(cookies).iter().any(|t| t == tracking_id)
}

pub fn grant(cookies: &CookieJar<'_>, tracking_id: &str) {
    let mut ids = granted(cookies);
    ids.retain(|t| t != tracking_id);
    ids.insert(0, tracking_id.to_string());
    ids.truncate(MAX_REMEMBERED);
    let cookie = Cookie::build((COOKIE, ids.join(",")))
        .path("/")
        .same_site(SameSite::Lax)
        .http_only(true)
        .max_age(rocket::time::Duration::days(90));
    cookies.add_private(cookie);
}
