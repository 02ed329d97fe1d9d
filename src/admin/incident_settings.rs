//! Admin > Settings, "Outage detection": how many similar tickets from different requesters
//! within how many minutes raise a suspected incident, and whether later matching tickets join
//! an open incident at once or are only suggested (`crate::incidents::settings`).

use rocket::form::FromForm;
use rocket::{Route, State, post, routes};
use serde_json::{Value, json};

use super::settings::{Forms, page_data};
use super::{done, rejected};
use crate::auth::AdminUser;
use crate::error::{FieldErrors, Result};
use crate::incidents::settings::{IncidentSettings, MIN_TICKETS_RANGE, WINDOW_RANGE};
use crate::web::csrf::{Checked, CsrfForm};
use crate::web::{App, ClientIp, Page, PageResult};

pub fn routes() -> Vec<Route> {
    routes![save]
}

/// The section's values as stored.
pub(super) async fn stored(app: &App) -> Result<Value> {
    let s = app.db.read_quick(IncidentSettings::load).await?;
    Ok(json!({
        "enabled": s.enabled,
        "min_tickets": s.min_tickets.to_string(),
        "window_minutes": s.window_minutes.to_string(),
        "attach": if s.auto_attach { "auto" } else { "suggest" },
    }))
}

#[derive(FromForm)]
struct IncidentForm {
    #[field(default = String::new())]
    csrf_token: String,
    #[field(default = false)]
    enabled: bool,
    #[field(default = String::new())]
    min_tickets: String,
    #[field(default = String::new())]
    window_minutes: String,
    #[field(default = String::new())]
    attach: String,
}

impl CsrfForm for IncidentForm {
    fn csrf_token(&self) -> &str {
        &self.csrf_token
    }
}

#[post("/settings/incidents", data = "<form>")]
async fn save(
    admin: AdminUser,
    page: Page<'_>,
    app: &State<App>,
    ip: ClientIp,
    form: Checked<IncidentForm>,
) -> PageResult {
    let form = form.0;
    let mut errors = FieldErrors::new();
    let min = form
        .min_tickets
        .trim()
        .parse::<u32>()
        .ok()
        .filter(|n| MIN_TICKETS_RANGE.contains(n));
    if min.is_none() {
        errors.add("incidents_min_tickets", "incident_error_min_tickets");
    }
    let window = form
        .window_minutes
        .trim()
        .parse::<u32>()
        .ok()
        .filter(|n| WINDOW_RANGE.contains(n));
    if window.is_none() {
        errors.add("incidents_window_minutes", "incident_error_window");
    }
    let auto_attach = match form.attach.as_str() {
        "auto" => Some(true),
        "suggest" => Some(false),
        _ => None,
    };
    if auto_attach.is_none() {
        errors.add("incidents_attach", "incident_error_attach");
    }
    let (Some(min_tickets), Some(window_minutes), Some(auto_attach), true) =
        (min, window, auto_attach, errors.is_empty())
    else {
        let mut data = page_data(app, Forms::stored(), errors).await?;
        data["refused"] = json!("incidents");
        data["incidents"] = json!({
            "enabled": form.enabled, "min_tickets": form.min_tickets,
            "window_minutes": form.window_minutes, "attach": form.attach,
        });
        return rejected(&page, "admin/settings.html", data);
    };
    let new = IncidentSettings {
        enabled: form.enabled,
        min_tickets,
        window_minutes,
        auto_attach,
    };
    let me = admin.0.id;
    app.db
        .write(move |c| {
            new.save(c)?;
            crate::audit::record(c, Some(me), "settings_update", &new.describe(), Some(&ip.0))
        })
        .await?;
    done(
        "/admin/settings#incidents".into(),
        "admin_flash_settings_saved",
    )
}
