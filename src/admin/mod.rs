//! Admin pages (role admin): staff accounts, categories, statuses, priorities, automation rules,
//! recurring tickets, settings, service levels, mail, background jobs, audit, API tokens,
//! webhooks.
//!
//! Every page takes the `AdminUser` guard (anonymous → login, agents → 403) and every form the
//! `Checked` CSRF guard. A valid POST answers a 303 redirect with a flash; an invalid one renders
//! the form again (status 422) with the input kept and an error next to each field.

mod api_tokens;
mod audit;
mod bans;
mod categories;
mod desk_hours;
mod fields;
mod incident_settings;
mod jobs;
mod mail;
mod mail_queue;
mod mail_store;
mod recurring;
mod rules;
mod settings;
mod sla;
mod staff;
mod tags;
mod triage;
mod webhook_log;
mod webhooks;
mod workflow;

use rocket::http::{Cookie, CookieJar, SameSite, Status};
use rocket::response::{Flash, Redirect};
use rocket::{Route, get, routes};
use serde_json::Value;

use crate::auth::AdminUser;
use crate::error::Result;
use crate::web::{Answer, App, Html, Page, PageResult};

pub fn routes() -> Vec<Route> {
    let mut all = routes![admin_home];
    all.extend(staff::routes());
    all.extend(categories::routes());
    all.extend(fields::routes());
    all.extend(workflow::routes());
    all.extend(rules::routes());
    all.extend(recurring::routes());
    all.extend(settings::routes());
    all.extend(incident_settings::routes());
    all.extend(sla::routes());
    all.extend(mail::routes());
    all.extend(mail_queue::routes());
    all.extend(jobs::routes());
    all.extend(audit::routes());
    all.extend(api_tokens::routes());
    all.extend(webhooks::routes());
    all.extend(bans::routes());
    all.extend(tags::routes());
    all.extend(triage::routes());
    all
}

#[get("/")]
fn admin_home(_admin: AdminUser) -> Redirect {
    Redirect::to("/admin/staff")
}

/// Renders an admin page with the count of failed and quarantined mail, which the admin tabs
/// show as a badge so failures do not go unnoticed.
async fn render(page: &Page<'_>, app: &App, template: &str, mut data: Value) -> Result<Html> {
    let alerts = app.db.read(mail_store::alerts).await?;
    if let Value::Object(map) = &mut data {
        map.insert(
            "mail_alerts".into(),
            serde_json::json!({
                "failed": alerts.failed, "quarantined": alerts.quarantined, "total": alerts.total,
            }),
        );
    }
    page.render(template, data)
}

/// 303 to `to` with a success flash (a catalog key).
fn done(to: String, key: &'static str) -> PageResult {
    Ok(Answer::from(Flash::success(Redirect::to(to), key)))
}

/// The form again, with status 422.
fn rejected(page: &Page<'_>, template: &str, data: Value) -> PageResult {
    Ok(Answer::from((
        Status::UnprocessableEntity,
        page.render(template, data)?,
    )))
}

/// Trimmed text of 1..=max characters, or None.
fn text(s: &str, max: usize) -> Option<String> {
    let s = s.trim();
    let n = s.chars().count();
    (n >= 1 && n <= max && !s.chars().any(char::is_control)).then(|| s.to_string())
}

/// Trimmed text of at most `max` characters, empty allowed (an optional field); None when it is
/// too long or holds control characters.
fn optional_text(s: &str, max: usize) -> Option<String> {
    let s = s.trim();
    if s.is_empty() {
        return Some(String::new());
    }
    text(s, max)
}

/// A whole number in `min..=max`, or None.
fn number(s: &str, min: i64, max: i64) -> Option<i64> {
    s.trim()
        .parse::<i64>()
        .ok()
        .filter(|n| (min..=max).contains(n))
}

/// A generated password is shown once, on the page the POST redirects to. It travels in an
/// encrypted, short-lived cookie (never in the URL or the plain flash cookie) and is deleted as
/// soon as a page has shown it.
const SHOWN_PASSWORD: &str = "admin_pw";

fn remember_password(cookies: &CookieJar<'_>, staff_id: i64, password: &str) {
    let cookie = Cookie::build((SHOWN_PASSWORD, format!("{staff_id}:{password}")))
        .path("/admin")
        .same_site(SameSite::Strict)
        .http_only(true)
        .max_age(rocket::time::Duration::minutes(10));
    cookies.add_private(cookie);
}

/// The generated password waiting to be shown, and for which account; removes it.
fn take_password(cookies: &CookieJar<'_>) -> Option<(i64, String)> {
    let cookie = cookies.get_private(SHOWN_PASSWORD)?;
    cookies.remove_private(Cookie::build(SHOWN_PASSWORD).path("/admin"));
    let (id, password) = cookie.value().split_once(':')?;
    Some((id.parse().ok()?, password.to_string()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn text_bounds() {
        assert_eq!(text("  Ana ", 10).as_deref(), Some("Ana"));
        assert_eq!(text("   ", 10), None);
        assert_eq!(text("abcdef", 5), None);
        assert_eq!(text("a\u{0}b", 5), None);
    }

    #[test]
    fn number_bounds() {
        assert_eq!(number(" 5 ", 1, 10), Some(5));
        assert_eq!(number("0", 1, 10), None);
        assert_eq!(number("x", 1, 10), None);
    }
}
