//! A staff member's own preferences: the language of their mail, their time zone (empty: the
//! desk's), which notifications they want (a new ticket in their categories, a requester's
//! reply, a ticket assigned to them), whether they are away, their password, whether two-factor
//! sign-in is on (its own page: `two_factor`), and where they are signed in, with "sign out
//! everywhere".

use rocket::form::FromForm;
use rocket::http::{CookieJar, Status};
use rocket::response::{Flash, Redirect};
use rocket::{Route, State, get, post, routes};
use serde_json::json;

use crate::auth::users::{self, NotifyPrefs};
use crate::auth::{StaffUser, sessions, two_factor};
use crate::db::now;
use crate::error::{Error, FieldErrors, Result};
use crate::tickets::assignment;
use crate::web::auth::{UserAgent, session_token, start_session};
use crate::web::csrf::{Checked, CsrfForm, TokenOnly};
use crate::web::{Answer, App, ClientIp, Html, Lang, Page, PageResult};

pub fn routes() -> Vec<Route> {
    routes![prefs_page, save, change_password, sign_out_everywhere]
}

#[get("/preferences")]
async fn prefs_page(
    staff: StaffUser,
    page: Page<'_>,
    app: &State<App>,
    cookies: &CookieJar<'_>,
) -> Result<Html> {
    render(&staff, &page, app, cookies, FieldErrors::new(), None).await
}

/// The preferences page; `errors` are the refused form's, `typed_zone` the zone typed in a
/// refused preferences form (else the stored one is shown).
async fn render(
    staff: &StaffUser,
    page: &Page<'_>,
    app: &App,
    cookies: &CookieJar<'_>,
    errors: FieldErrors,
    typed_zone: Option<String>,
) -> Result<Html> {
    let (id, config) = (staff.id, app.config.clone());
    let token = session_token(cookies).unwrap_or_default();
    let (prefs, mail_enabled, sessions, away, two_factor) = app
        .db
        .read(move |c| {
            let on = crate::mail::settings::configured(c, &config)?;
            let open = sessions::list(c, id, &token, now())?;
            let away = assignment::away(c, id, now())?;
            let two_factor = two_factor::status(c, id)?;
            Ok((users::notify_prefs(c, id)?, on, open, away, two_factor))
        })
        .await?;
    // The last day of an absence, as the form takes it back, in the viewer's zone.
    let viewer_zone = page.time().zone;
    let away_until = away
        .until
        .map(|t| crate::desk_time::local_date(t - 1, &viewer_zone))
        .unwrap_or_default();
    let timezone = typed_zone.unwrap_or_else(|| staff.timezone.clone());
    let desk_zone = app.settings().timezone.clone();
    page.render(
        "staff/preferences.html",
        json!({ "prefs": prefs, "mail_enabled": mail_enabled, "sessions": sessions,
                "two_factor": two_factor, "errors": errors, "away": away.away,
                "away_until": away_until, "timezone": timezone, "desk_zone": desk_zone,
                "zone_names": crate::desk_time::zone_names() }),
    )
}

#[derive(FromForm)]
struct PasswordForm {
    #[field(default = String::new())]
    csrf_token: String,
    #[field(default = String::new())]
    current_password: String,
    #[field(default = String::new())]
    new_password: String,
}

impl CsrfForm for PasswordForm {
    fn csrf_token(&self) -> &str {
        &self.csrf_token
    }
}

/// A staff member changes their own password: the current one is required (and its guesses
/// throttled like a login); every other session of theirs ends, this browser gets a new one.
#[allow(clippy::too_many_arguments)]
#[post("/preferences/password", data = "<form>")]
async fn change_password(
    staff: StaffUser,
    page: Page<'_>,
    app: &State<App>,
    ip: ClientIp,
    user_agent: UserAgent,
    cookies: &CookieJar<'_>,
    form: Checked<PasswordForm>,
) -> PageResult {
    let form = form.0;
    let key = format!("password:{}", staff.id);
    if app.login_throttle.is_blocked(&key) {
        return Err(Error::TooManyRequests);
    }
    let mut errors = FieldErrors::new();
    if let Err(problem) = users::check_password_strength(&form.new_password) {
        errors.add("new_password", problem);
    }
    let email = staff.email.clone();
    let stored = app
        .db
        .read(move |c| users::find_for_login(c, &email))
        .await?
        .map(|(_, hash)| hash)
        .ok_or(Error::NotFound)?;
    let (current, cost) = (form.current_password.clone(), app.config.bcrypt_cost);
    let new = form.new_password.clone();
    let (matches, new_hash) = rocket::tokio::task::spawn_blocking(move || {
        let matches = bcrypt::verify(current, &stored).unwrap_or(false);
        let new_hash = matches.then(|| users::hash_password(&new, cost));
        (matches, new_hash)
    })
    .await
    .map_err(|e| Error::internal(format!("hashing task failed: {e}")))?;
    if !matches {
        app.login_throttle.record_failure(&key);
        errors.add("current_password", "prefs_password_wrong");
    }
    let new_hash = match new_hash {
        Some(hash) if errors.is_empty() => hash?,
        _ => {
            let html = render(&staff, &page, app, cookies, errors, None).await?;
            return Ok(Answer::from((Status::UnprocessableEntity, html)));
        }
    };
    app.login_throttle.reset(&key);
    let (id, client) = (staff.id, ip.0.clone());
    let account = app
        .db
        .write(move |c| {
            users::set_password(c, id, &new_hash)?;
            crate::audit::record(c, Some(id), "password_change", "", Some(&client))?;
            users::get(c, id)?.ok_or(Error::NotFound)
        })
        .await?;
    start_session(app, cookies, &account, &ip.0, user_agent.0).await?;
    Ok(Answer::from(Flash::success(
        Redirect::to("/staff/preferences"),
        "flash_password_changed",
    )))
}

/// Ends every session of the staff member, this one included.
#[post("/preferences/sign-out-everywhere", data = "<_form>")]
async fn sign_out_everywhere(
    staff: StaffUser,
    app: &State<App>,
    ip: ClientIp,
    cookies: &CookieJar<'_>,
    _form: Checked<TokenOnly>,
) -> Result<Flash<Redirect>> {
    let id = staff.id;
    app.db
        .write(move |c| {
            let ended = sessions::end_all(c, id)?;
            let detail = format!("sessions={ended}");
            crate::audit::record(c, Some(id), "sign_out_everywhere", &detail, Some(&ip.0))
        })
        .await?;
    crate::web::auth::end_session(app, cookies).await?;
    Ok(Flash::success(
        Redirect::to("/staff/login"),
        "flash_signed_out_everywhere",
    ))
}

/// Unticked boxes are not sent at all, so each one defaults to off.
#[derive(FromForm)]
struct PrefsForm {
    #[field(default = String::new())]
    csrf_token: String,
    #[field(default = String::new())]
    lang: String,
    #[field(default = false)]
    new_ticket: bool,
    #[field(default = false)]
    requester_reply: bool,
    #[field(default = false)]
    assigned: bool,
    /// Ticked: away, auto-assignment passes them by (until `away_until`, a day, if given).
    #[field(default = false)]
    away: bool,
    #[field(default = String::new())]
    away_until: String,
    /// Their own zone; empty for the desk's. A POST without the field keeps it as it is.
    timezone: Option<String>,
}

impl CsrfForm for PrefsForm {
    fn csrf_token(&self) -> &str {
        &self.csrf_token
    }
}

#[post("/preferences", data = "<form>")]
async fn save(
    staff: StaffUser,
    page: Page<'_>,
    app: &State<App>,
    cookies: &CookieJar<'_>,
    form: Checked<PrefsForm>,
) -> PageResult {
    let form = form.0;
    let timezone = match form.timezone.as_deref().map(str::trim) {
        None => Some(staff.timezone.clone()),
        Some("") => Some(String::new()),
        Some(name) => crate::desk_time::canonical_name(name),
    };
    let Some(timezone) = timezone else {
        let errors = FieldErrors::one("timezone", "prefs_error_timezone");
        let html = render(&staff, &page, app, cookies, errors, form.timezone).await?;
        return Ok(Answer::from((Status::UnprocessableEntity, html)));
    };
    let lang = Lang::from_code(&form.lang).unwrap_or(page.lang);
    // The last day of an absence ends in the viewer's zone; only a day not over yet will do.
    let until = match form.away_until.trim() {
        "" => None,
        _ if !form.away => None,
        day => {
            match crate::desk_time::date_end(day, &page.time().zone).filter(|end| *end > now()) {
                Some(end) => Some(end),
                None => {
                    let errors = FieldErrors::one("away_until", "error_away_until");
                    let html =
                        render(&staff, &page, app, cookies, errors, form.timezone.clone()).await?;
                    return Ok(Answer::from((Status::UnprocessableEntity, html)));
                }
            }
        }
    };
    let away = assignment::Away {
        away: form.away,
        until,
    };
    let prefs = NotifyPrefs {
        lang: lang.code().to_string(),
        new_ticket: form.new_ticket,
        requester_reply: form.requester_reply,
        assigned: form.assigned,
    };
    let id = staff.id;
    app.db
        .write(move |c| {
            users::set_notify_prefs(c, id, &prefs)?;
            assignment::set_away(c, id, &away)?;
            users::set_timezone(c, id, &timezone)
        })
        .await?;
    // The desk follows the language chosen for mail.
    crate::web::lang::remember(lang, cookies);
    Ok(Answer::from(Flash::success(
        Redirect::to("/staff/preferences"),
        "flash_prefs_saved",
    )))
}
