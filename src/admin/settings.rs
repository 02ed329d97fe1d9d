//! Desk-wide settings: the desk's name, what attachments are accepted, its time zone, when
//! resolved tickets close by themselves, whether every staff account must use two-factor
//! sign-in, and whether requesters are asked how the desk did; the same page holds the business hours and holidays (`desk_hours`).

use rocket::form::FromForm;
use rocket::{Route, State, get, post, routes};
use serde_json::{Value, json};

use super::desk_hours;
use super::{done, rejected, text};
use crate::auth::{AdminUser, two_factor};
use crate::error::{FieldErrors, Result};
use crate::settings::{MAX_AUTO_CLOSE_DAYS, Settings, parse_extensions};
use crate::web::csrf::{Checked, CsrfForm};
use crate::web::{App, ClientIp, Html, Page, PageResult};

const MAX_DESK_NAME: usize = 100;

pub fn routes() -> Vec<Route> {
    let mut all = routes![settings_page, save];
    all.extend(desk_hours::routes());
    all
}

#[derive(FromForm)]
struct SettingsForm {
    #[field(default = String::new())]
    csrf_token: String,
    #[field(default = String::new())]
    desk_name: String,
    #[field(default = String::new())]
    max_attachment_mb: String,
    #[field(default = String::new())]
    allowed_extensions: String,
    /// Left out (an older script), the setting stays as it was.
    auto_close_days: Option<String>,
    /// An unticked box is not sent at all.
    #[field(default = false)]
    require_2fa: bool,
    /// The desk's IANA zone. A POST without the field (a script written before there was one)
    /// keeps the zone as it is; an empty or unknown one is an error.
    timezone: Option<String>,
    /// The survey box; read only when the form says it showed it (`csat_shown`), so a script
    /// written before there was one leaves the survey as it is rather than turning it off.
    #[field(default = false)]
    csat_enabled: bool,
    #[field(default = false)]
    csat_shown: bool,
}

impl CsrfForm for SettingsForm {
    fn csrf_token(&self) -> &str {
        &self.csrf_token
    }
}

/// The entries of a comma-separated list that `parse_extensions` would silently drop.
fn bad_extensions(list: &str) -> Vec<String> {
    list.split([',', ' ', ';'])
        .map(str::trim)
        .filter(|e| !e.is_empty())
        .filter(|e| parse_extensions(e).is_empty())
        .map(str::to_string)
        .collect()
}

/// The three forms of the page: each one's values are what was just typed when it was the form
/// refused, else what is stored.
pub(super) struct Forms {
    pub settings: Option<Value>,
    pub hours: Option<Value>,
    pub holiday: Option<Value>,
}

impl Forms {
    pub fn stored() -> Forms {
        Forms {
            settings: None,
            hours: None,
            holiday: None,
        }
    }
}

fn stored_settings(app: &App) -> Value {
    let s = app.settings();
    json!({
        "desk_name": s.desk_name,
        "max_attachment_mb": s.max_attachment_mb.to_string(),
        "allowed_extensions": s.allowed_extensions.join(", "),
        "timezone": s.timezone,
        "auto_close_days": s.auto_close_days.to_string(),
        "require_2fa": s.require_2fa,
        "csat_enabled": s.csat_enabled,
    })
}

/// The settings page's data, its forms' values as `forms` says.
pub(super) async fn page_data(app: &App, forms: Forms, errors: FieldErrors) -> Result<Value> {
    let (week, holidays) = app
        .db
        .read(|c| {
            Ok((
                crate::desk_time::store::week(c)?,
                crate::desk_time::store::holidays(c)?,
            ))
        })
        .await?;
    // Which form was refused: its section says so at the top.
    let refused = if forms.settings.is_some() {
        "settings"
    } else if forms.hours.is_some() {
        "hours"
    } else if forms.holiday.is_some() {
        "holiday"
    } else {
        ""
    };
    let incidents = super::incident_settings::stored(app).await?;
    Ok(json!({
        "incidents": incidents,
        "refused": refused,
        "form": forms.settings.unwrap_or_else(|| stored_settings(app)),
        "hours": forms.hours.unwrap_or_else(|| desk_hours::grid(&week)),
        "holiday": forms.holiday.unwrap_or_else(|| json!({})),
        "holidays": holidays,
        "zone_names": crate::desk_time::zone_names(),
        "errors": errors,
        "max_upload_mb": app.config.max_upload_mb,
    }))
}

pub(super) async fn render_page(page: &Page<'_>, app: &App, data: Value) -> Result<Html> {
    super::render(page, app, "admin/settings.html", data).await
}

#[get("/settings")]
async fn settings_page(_admin: AdminUser, page: Page<'_>, app: &State<App>) -> Result<Html> {
    let data = page_data(app, Forms::stored(), FieldErrors::new()).await?;
    render_page(&page, app, data).await
}

#[post("/settings", data = "<form>")]
async fn save(
    admin: AdminUser,
    page: Page<'_>,
    app: &State<App>,
    ip: ClientIp,
    form: Checked<SettingsForm>,
) -> PageResult {
    let form = form.0;
    let max = app.config.max_upload_mb;
    let mut errors = FieldErrors::new();
    let desk_name = text(&form.desk_name, MAX_DESK_NAME);
    if desk_name.is_none() {
        errors.add("desk_name", "admin_error_desk_name");
    }
    let mb = form
        .max_attachment_mb
        .trim()
        .parse::<u64>()
        .ok()
        .filter(|mb| (1..=max).contains(mb));
    if mb.is_none() {
        errors.add_with(
            "max_attachment_mb",
            "admin_error_attachment_mb",
            "max",
            &max.to_string(),
        );
    }
    let bad = bad_extensions(&form.allowed_extensions);
    let extensions = parse_extensions(&form.allowed_extensions);
    if !bad.is_empty() {
        errors.add_with(
            "allowed_extensions",
            "admin_error_extensions_invalid",
            "list",
            &bad.join(", "),
        );
    } else if extensions.is_empty() {
        errors.add("allowed_extensions", "admin_error_extensions_empty");
    }
    let auto_close_days = match form.auto_close_days.as_deref().map(str::trim) {
        None => Some(app.settings().auto_close_days),
        Some(days) => days
            .parse::<u32>()
            .ok()
            .filter(|d| *d <= MAX_AUTO_CLOSE_DAYS),
    };
    if auto_close_days.is_none() {
        errors.add_with(
            "auto_close_days",
            "admin_error_auto_close_days",
            "max",
            &MAX_AUTO_CLOSE_DAYS.to_string(),
        );
    }
    let was_required = app.settings().require_2fa;
    let me = admin.0.id;
    if form.require_2fa && !was_required {
        // Requiring it of everyone starts with the admin who asks: otherwise the next page
        // they open would be the enrolment page.
        let has_it = app.db.read(move |c| two_factor::is_enabled(c, me)).await?;
        if !has_it {
            errors.add("require_2fa", "admin_error_require_2fa_self");
        }
    }
    let timezone = match &form.timezone {
        None => Some(app.settings().timezone.clone()),
        Some(name) => crate::desk_time::canonical_name(name),
    };
    if timezone.is_none() {
        errors.add("timezone", "admin_error_timezone");
    }
    let (Some(desk_name), Some(max_attachment_mb), Some(auto_close_days), Some(timezone), true) =
        (desk_name, mb, auto_close_days, timezone, errors.is_empty())
    else {
        let values = json!({
            "desk_name": form.desk_name, "max_attachment_mb": form.max_attachment_mb,
            "allowed_extensions": form.allowed_extensions, "auto_close_days": form.auto_close_days,
            "require_2fa": form.require_2fa,
            "timezone": form.timezone.unwrap_or_default(),
            "csat_enabled": if form.csat_shown { form.csat_enabled } else { app.settings().csat_enabled },
        });
        let forms = Forms {
            settings: Some(values),
            ..Forms::stored()
        };
        let data = page_data(app, forms, errors).await?;
        return rejected(&page, "admin/settings.html", data);
    };
    let new = Settings {
        desk_name,
        max_attachment_mb,
        allowed_extensions: extensions,
        auto_close_days,
        require_2fa: form.require_2fa,
        timezone,
        csat_enabled: if form.csat_shown {
            form.csat_enabled
        } else {
            app.settings().csat_enabled
        },
    };
    let saved = new.clone();
    app.db
        .write(move |c| {
            saved.save(c)?;
            let detail = format!(
                "desk_name={} max_attachment_mb={} allowed_extensions={} timezone={} auto_close_days={} require_2fa={} csat_enabled={}",
                saved.desk_name,
                saved.max_attachment_mb,
                saved.allowed_extensions.join(","),
                saved.timezone,
                saved.auto_close_days,
                saved.require_2fa,
                saved.csat_enabled
            );
            crate::audit::record(c, Some(me), "settings_update", &detail, Some(&ip.0))?;
            if saved.require_2fa != was_required {
                let detail = format!("require_2fa={}", saved.require_2fa);
                crate::audit::record(c, Some(me), "require_2fa_changed", &detail, Some(&ip.0))?;
            }
            Ok(())
        })
        .await?;
    app.set_settings(new);
    done("/admin/settings".into(), "admin_flash_settings_saved")
}

#[cfg(test)]
mod tests {
    use super::bad_extensions;

    #[test]
    fn flags_what_parse_extensions_drops() {
        assert!(bad_extensions("pdf, .PNG; txt").is_empty());
        assert_eq!(bad_extensions("pdf, tar.gz, e!xe"), vec!["tar.gz", "e!xe"]);
    }
}
