//! A staff member's own preferences: the language of their mail, which notifications they
//! want (a new ticket in their categories, a requester's reply, a ticket assigned to them), and
//! where they are signed in, with "sign out everywhere".

use rocket::form::FromForm;
use rocket::http::CookieJar;
use rocket::response::{Flash, Redirect};
use rocket::{Route, State, get, post, routes};
use serde_json::json;

use crate::auth::users::{self, NotifyPrefs};
use crate::auth::{StaffUser, sessions};
use crate::db::now;
use crate::error::Result;
use crate::web::auth::session_token;
use crate::web::csrf::{Checked, CsrfForm, TokenOnly};
use crate::web::{App, ClientIp, Html, Lang, Page};

pub fn routes() -> Vec<Route> {
    routes![prefs_page, save, sign_out_everywhere]
}

#[get("/preferences")]
async fn prefs_page(
    staff: StaffUser,
    page: Page<'_>,
    app: &State<App>,
    cookies: &CookieJar<'_>,
) -> Result<Html> {
    let (id, config) = (staff.id, app.config.clone());
    let token = session_token(cookies).unwrap_or_default();
    let (prefs, mail_enabled, sessions) = app
        .db
        .read(move |c| {
            let on = crate::mail::settings::configured(c, &config)?;
            let open = sessions::list(c, id, &token, now())?;
            Ok((users::notify_prefs(c, id)?, on, open))
        })
        .await?;
    page.render(
        "staff/preferences.html",
        json!({ "prefs": prefs, "mail_enabled": mail_enabled, "sessions": sessions }),
    )
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
) -> Result<Flash<Redirect>> {
    let form = form.0;
    let lang = Lang::from_code(&form.lang).unwrap_or(page.lang);
    let prefs = NotifyPrefs {
        lang: lang.code().to_string(),
        new_ticket: form.new_ticket,
        requester_reply: form.requester_reply,
        assigned: form.assigned,
    };
    let id = staff.id;
    app.db
        .write(move |c| users::set_notify_prefs(c, id, &prefs))
        .await?;
    // The desk follows the language chosen for mail.
    crate::web::lang::remember(lang, cookies);
    Ok(Flash::success(
        Redirect::to("/staff/preferences"),
        "flash_prefs_saved",
    ))
}
