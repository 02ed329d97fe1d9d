//! Preferences > Two-factor sign-in: enrolment (QR code, base32 secret and `otpauth://` URI,
//! confirmed by a first `code`), new recovery codes (a current code required) and turning it
//! off (password and code required, refused while the desk requires it). The enrolment page is
//! the one page a member who must set it up can open (`EnrollingStaff`).

use rocket::form::FromForm;
use rocket::http::{CookieJar, Status};
use rocket::response::{Flash, Redirect};
use rocket::{Route, State, get, post, routes};
use serde_json::{Value, json};

use crate::auth::two_factor::{self, Accepted};
use crate::auth::{StaffUser, sessions, totp, users};
use crate::db::now;
use crate::error::{Error, FieldErrors, Result};
use crate::web::auth::{EnrollingStaff, UserAgent, start_session};
use crate::web::csrf::{Checked, CsrfForm};
use crate::web::{Answer, App, ClientIp, Html, Page, PageResult};

pub fn routes() -> Vec<Route> {
    routes![two_factor_page, confirm, regenerate, disable]
}

/// The QR code of `uri` as an SVG data URI (an `<img>`, so the page's CSP needs no inline
/// markup or style).
fn qr_data_uri(uri: &str) -> Result<String> {
    let code = qrcode::QrCode::new(uri.as_bytes())
        .map_err(|e| Error::internal(format!("QR code: {e}")))?;
    let svg = code
        .render::<qrcode::render::svg::Color<'_>>()
        .min_dimensions(220, 220)
        .build();
    Ok(format!(
        "data:image/svg+xml,{}",
        crate::util::url_encode(&svg)
    ))
}

/// The secret in groups of four, as it is easiest to type.
fn grouped(secret: &str) -> String {
    secret
        .as_bytes()
        .chunks(4)
        .map(|c| String::from_utf8_lossy(c).into_owned())
        .collect::<Vec<_>>()
        .join(" ")
}

/// The page's data for enrolment (secret pending) or for managing it (on).
async fn page_data(
    app: &App,
    staff: &StaffUser,
    must_enrol: bool,
    errors: FieldErrors,
) -> Result<Value> {
    let id = staff.id;
    let status = app.db.read(move |c| two_factor::status(c, id)).await?;
    let required = app.settings().require_2fa;
    let mut data = json!({
        "account": { "name": staff.name, "email": staff.email },
        "status": status, "must_enrol": must_enrol, "required": required, "errors": errors,
    });
    if !status.enabled {
        let secret = app
            .db
            .write(move |c| two_factor::pending_secret(c, id, now()))
            .await?
            .ok_or(Error::NotFound)?;
        let uri = totp::otpauth_uri(&secret, &staff.email)?;
        data["enrol"] = json!({
            "secret": grouped(&secret), "uri": uri, "qr": qr_data_uri(&uri)?,
        });
    }
    Ok(data)
}

#[get("/preferences/two-factor")]
async fn two_factor_page(who: EnrollingStaff, page: Page<'_>, app: &State<App>) -> Result<Html> {
    let data = page_data(app, &who.staff, who.must_enrol, FieldErrors::new()).await?;
    page.render("staff/two_factor.html", data)
}

/// The page again with `errors`, status 422 (429 when throttled).
async fn refused(
    page: &Page<'_>,
    app: &App,
    staff: &StaffUser,
    must_enrol: bool,
    errors: FieldErrors,
    status: Status,
) -> PageResult {
    let data = page_data(app, staff, must_enrol, errors).await?;
    let html = page.render("staff/two_factor.html", data)?;
    Ok(Answer::from((status, html)))
}

/// The recovery codes, shown once: in the answer to the POST that made them, never stored in
/// clear nor put in a cookie. A reload would post again and be refused (the code is used).
fn show_codes(page: &Page<'_>, codes: Vec<String>, first_time: bool) -> PageResult {
    let html = page.render(
        "staff/two_factor_codes.html",
        json!({ "codes": codes, "first_time": first_time }),
    )?;
    Ok(Answer::from((Status::Ok, html)))
}

/// Wrong codes here are throttled per account like a wrong current password.
fn throttle_key(staff: &StaffUser) -> String {
    format!("2fa:{}", staff.id)
}

#[derive(FromForm)]
struct CodeForm {
    #[field(default = String::new())]
    csrf_token: String,
    #[field(default = String::new())]
    code: String,
}

impl CsrfForm for CodeForm {
    fn csrf_token(&self) -> &str {
        &self.csrf_token
    }
}

/// Confirms the pending secret with a first code: two-factor sign-in is on, the recovery codes
/// are shown, and every other session of the member ends (they were opened without a code);
/// this browser gets a new one.
#[post("/preferences/two-factor", data = "<form>")]
async fn confirm(
    who: EnrollingStaff,
    page: Page<'_>,
    app: &State<App>,
    ip: ClientIp,
    user_agent: UserAgent,
    cookies: &CookieJar<'_>,
    form: Checked<CodeForm>,
) -> PageResult {
    let (staff, must_enrol) = (&who.staff, who.must_enrol);
    let key = throttle_key(staff);
    if app.login_throttle.is_blocked(&key) {
        let errors = FieldErrors::one("code", "login_throttled");
        return refused(
            &page,
            app,
            staff,
            must_enrol,
            errors,
            Status::TooManyRequests,
        )
        .await;
    }
    let (id, client, code) = (staff.id, ip.0.clone(), form.0.code);
    let outcome = app
        .db
        .write(move |c| {
            let codes = match two_factor::confirm(c, id, &code, now())? {
                Ok(codes) => codes,
                Err(refusal) => return Ok(Err(refusal)),
            };
            let ended = sessions::end_all(c, id)?;
            let detail = format!("sessions_ended={ended}");
            crate::audit::record(c, Some(id), "2fa_enabled", &detail, Some(&client))?;
            let account = users::get(c, id)?.ok_or(Error::NotFound)?;
            Ok(Ok((codes, account)))
        })
        .await?;
    match outcome {
        Ok((codes, account)) => {
            app.login_throttle.reset(&key);
            start_session(app, cookies, &account, &ip.0, user_agent.0).await?;
            show_codes(&page, codes, true)
        }
        Err(refusal) => {
            app.login_throttle.record_failure(&key);
            let errors = FieldErrors::one("code", refusal.key());
            refused(
                &page,
                app,
                staff,
                must_enrol,
                errors,
                Status::UnprocessableEntity,
            )
            .await
        }
    }
}

/// Ten new recovery codes in place of the old ones, for a current code (or a recovery code).
#[post("/preferences/two-factor/recovery-codes", data = "<form>")]
async fn regenerate(
    staff: StaffUser,
    page: Page<'_>,
    app: &State<App>,
    ip: ClientIp,
    form: Checked<CodeForm>,
) -> PageResult {
    let key = throttle_key(&staff);
    if app.login_throttle.is_blocked(&key) {
        let errors = FieldErrors::one("regenerate_code", "login_throttled");
        return refused(&page, app, &staff, false, errors, Status::TooManyRequests).await;
    }
    let (id, client, code) = (staff.id, ip.0.clone(), form.0.code);
    let outcome = app
        .db
        .write(move |c| {
            let accepted = match two_factor::verify(c, id, &code, now())? {
                Ok(accepted) => accepted,
                Err(refusal) => return Ok(Err(refusal)),
            };
            if let Accepted::Recovery { left } = accepted {
                let detail = format!("where=regenerate left={left}");
                crate::audit::record(
                    c,
                    Some(id),
                    "2fa_recovery_code_used",
                    &detail,
                    Some(&client),
                )?;
            }
            let codes = two_factor::replace_recovery_codes(c, id)?;
            crate::audit::record(
                c,
                Some(id),
                "2fa_recovery_codes_regenerated",
                "",
                Some(&client),
            )?;
            Ok(Ok(codes))
        })
        .await?;
    match outcome {
        Ok(codes) => {
            app.login_throttle.reset(&key);
            show_codes(&page, codes, false)
        }
        Err(refusal) => {
            app.login_throttle.record_failure(&key);
            let errors = FieldErrors::one("regenerate_code", refusal.key());
            refused(
                &page,
                app,
                &staff,
                false,
                errors,
                Status::UnprocessableEntity,
            )
            .await
        }
    }
}

#[derive(FromForm)]
struct DisableForm {
    #[field(default = String::new())]
    csrf_token: String,
    #[field(default = String::new())]
    current_password: String,
    #[field(default = String::new())]
    code: String,
}

impl CsrfForm for DisableForm {
    fn csrf_token(&self) -> &str {
        &self.csrf_token
    }
}

/// Turns two-factor sign-in off: the current password and a code are required, and it is
/// refused while the desk requires two-factor sign-in. The password is checked first, so a
/// wrong one leaves the code unused.
#[post("/preferences/two-factor/disable", data = "<form>")]
async fn disable(
    staff: StaffUser,
    page: Page<'_>,
    app: &State<App>,
    ip: ClientIp,
    form: Checked<DisableForm>,
) -> PageResult {
    let form = form.0;
    let unprocessable = Status::UnprocessableEntity;
    if app.settings().require_2fa {
        let errors = FieldErrors::one("disable_code", "twofa_required_no_disable");
        return refused(&page, app, &staff, false, errors, unprocessable).await;
    }
    let (password_key, code_key) = (format!("password:{}", staff.id), throttle_key(&staff));
    if app.login_throttle.is_blocked(&password_key) || app.login_throttle.is_blocked(&code_key) {
        let errors = FieldErrors::one("disable_code", "login_throttled");
        return refused(&page, app, &staff, false, errors, Status::TooManyRequests).await;
    }
    let email = staff.email.clone();
    let stored = app
        .db
        .read(move |c| users::find_for_login(c, &email))
        .await?
        .map(|(_, hash)| hash)
        .ok_or(Error::NotFound)?;
    let current = form.current_password.clone();
    let matches = rocket::tokio::task::spawn_blocking(move || {
        bcrypt::verify(current, &stored).unwrap_or(false)
    })
    .await
    .map_err(|e| Error::internal(format!("hashing task failed: {e}")))?;
    if !matches {
        app.login_throttle.record_failure(&password_key);
        let errors = FieldErrors::one("current_password", "prefs_password_wrong");
        return refused(&page, app, &staff, false, errors, unprocessable).await;
    }
    let (id, client, code) = (staff.id, ip.0.clone(), form.code);
    let outcome = app
        .db
        .write(move |c| {
            if let Err(refusal) = two_factor::verify(c, id, &code, now())? {
                return Ok(Err(refusal));
            }
            two_factor::remove(c, id)?;
            crate::audit::record(c, Some(id), "2fa_disabled", "", Some(&client))?;
            Ok(Ok(()))
        })
        .await?;
    match outcome {
        Ok(()) => {
            app.login_throttle.reset(&password_key);
            app.login_throttle.reset(&code_key);
            Ok(Answer::from(Flash::success(
                Redirect::to("/staff/preferences"),
                "twofa_flash_disabled",
            )))
        }
        Err(refusal) => {
            app.login_throttle.record_failure(&code_key);
            let errors = FieldErrors::one("disable_code", refusal.key());
            refused(&page, app, &staff, false, errors, unprocessable).await
        }
    }
}
