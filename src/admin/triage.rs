//! Admin > Triage (`/admin/triage`): learned triage on or off, the confidence threshold for
//! "I don't know" tickets, when the job retrains, and the model's last training with its
//! held-out accuracy per field and the category confusion table. Audited.

use rocket::form::FromForm;
use rocket::{Route, State, get, post, routes};
use serde_json::{Value, json};

use super::{done, render};
use crate::auth::AdminUser;
use crate::error::{FieldErrors, Result};
use crate::triage::eval::Evaluation;
use crate::triage::{self, MAX_RETRAIN_AFTER, MIN_RETRAIN_AFTER, TriageSettings};
use crate::web::csrf::{Checked, CsrfForm};
use crate::web::{App, ClientIp, Html, Page, PageResult};

pub fn routes() -> Vec<Route> {
    routes![show, save]
}

/// The page's data: the settings (or the form as typed), the model's training and evaluation.
async fn page_data(app: &App, form: Option<Value>, errors: FieldErrors) -> Result<Value> {
    let (settings, latest, refdata) = app
        .db
        .read(|c| {
            Ok((
                TriageSettings::load(c)?,
                triage::store::latest(c)?,
                crate::tickets::RefData::load(c)?,
            ))
        })
        .await?;
    let form = form.unwrap_or_else(|| {
        json!({
            "enabled": settings.enabled,
            "threshold": format!("{:.0}", settings.threshold * 100.0),
            "retrain_after": settings.retrain_after.to_string(),
        })
    });
    let model = latest.map(|m| {
        let eval: Evaluation = serde_json::from_str(&m.eval).unwrap_or_default();
        let name = |id: &i64| {
            refdata
                .category(*id)
                .map_or_else(|| format!("#{id}"), |c| c.name.clone())
        };
        let field = |f: &triage::eval::FieldScore| {
            json!({ "accuracy": format!("{:.1}", f.accuracy() * 100.0),
                    "baseline": format!("{:.1}", f.baseline() * 100.0), "tested": f.tested })
        };
        let rows: Vec<Value> = eval
            .labels
            .iter()
            .zip(&eval.confusion)
            .map(|(l, counts)| json!({ "name": name(l), "counts": counts }))
            .collect();
        json!({
            "trained_at": m.trained_at, "tickets": m.tickets, "train_ms": m.train_ms,
            "trained_on": eval.trained_on,
            "fields": [
                { "key": "category", "score": field(&eval.category) },
                { "key": "priority", "score": field(&eval.priority) },
                { "key": "assignee", "score": field(&eval.assignee) },
            ],
            "labels": eval.labels.iter().map(name).collect::<Vec<_>>(),
            "confusion": rows,
        })
    });
    Ok(json!({ "form": form, "errors": errors, "model": model }))
}

#[get("/triage")]
async fn show(_admin: AdminUser, page: Page<'_>, app: &State<App>) -> Result<Html> {
    let data = page_data(app, None, FieldErrors::new()).await?;
    render(&page, app, "admin/triage.html", data).await
}

#[derive(FromForm)]
struct TriageForm {
    #[field(default = String::new())]
    csrf_token: String,
    #[field(default = false)]
    enabled: bool,
    #[field(default = String::new())]
    threshold: String,
    #[field(default = String::new())]
    retrain_after: String,
}

impl CsrfForm for TriageForm {
    fn csrf_token(&self) -> &str {
        &self.csrf_token
    }
}

#[post("/triage", data = "<form>")]
async fn save(
    admin: AdminUser,
    page: Page<'_>,
    app: &State<App>,
    ip: ClientIp,
    form: Checked<TriageForm>,
) -> PageResult {
    let form = form.0;
    let mut errors = FieldErrors::new();
    let threshold = super::number(&form.threshold, 0, 100);
    if threshold.is_none() {
        errors.add("threshold", "admin_triage_error_threshold");
    }
    let retrain_after = super::number(&form.retrain_after, MIN_RETRAIN_AFTER, MAX_RETRAIN_AFTER);
    if retrain_after.is_none() {
        errors.add("retrain_after", "admin_triage_error_retrain_after");
    }
    let (Some(threshold), Some(retrain_after)) = (threshold, retrain_after) else {
        let typed = json!({ "enabled": form.enabled, "threshold": form.threshold,
                            "retrain_after": form.retrain_after });
        let data = page_data(app, Some(typed), errors).await?;
        return super::rejected(&page, "admin/triage.html", data);
    };
    let settings = TriageSettings {
        enabled: form.enabled,
        threshold: threshold as f64 / 100.0,
        retrain_after,
    };
    let me = admin.0.id;
    app.db
        .write(move |c| {
            settings.save(c)?;
            let detail = format!(
                "enabled={} threshold={} retrain_after={}",
                settings.enabled, settings.threshold, settings.retrain_after
            );
            crate::audit::record(c, Some(me), "triage_settings", &detail, Some(&ip.0))
        })
        .await?;
    done("/admin/triage".into(), "admin_flash_triage_saved")
}
