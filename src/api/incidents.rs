//! `GET /incidents` (the suggested and open incidents of the categories the token's member
//! works) and `PATCH /incidents/{id}` (its `status`, `public` and `public_title`), doing what
//! the desk's incident page does: resolving queues the resolving of every ticket for the job
//! `incident_fanout`, and publishing shows `public_title` on the portal home.

use rocket::serde::json::Json;
use rocket::{Route, State, get, patch, routes};
use serde::Deserialize;
use serde_json::{Value, json};

use super::body::JsonBody;
use super::{ApiError, ApiResult, ApiUser, ApiWriter};
use crate::auth::StaffUser;
use crate::db::now;
use crate::incidents::{Incident, MAX_PUBLIC_TITLE, Status, fanout, store};
use crate::web::App;

pub fn routes() -> Vec<Route> {
    routes![list, update]
}

fn object(i: &Incident) -> Value {
    json!({
        "id": i.id,
        "status": i.status,
        "title": i.title,
        "public": i.public,
        "public_title": i.public_title,
        "tickets": i.attached().map(|t| t.tracking_id.as_str()).collect::<Vec<_>>(),
    })
}

#[get("/incidents")]
async fn list(app: &State<App>, user: ApiUser) -> ApiResult<Value> {
    let all = app.db.read(store::current).await?;
    let shown: Vec<Value> = all
        .iter()
        .filter(|i| user.staff.access.allows(i.category_id))
        .map(object)
        .collect();
    Ok(Json(json!({ "incidents": shown })))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct PatchBody {
    #[serde(default)]
    status: Option<String>,
    #[serde(default)]
    public: Option<bool>,
    #[serde(default)]
    public_title: Option<String>,
}

async fn visible(app: &App, staff: &StaffUser, id: i64) -> Result<Incident, ApiError> {
    app.db
        .read(move |c| store::get(c, id))
        .await?
        .filter(|i| i.status != Status::Dismissed && staff.access.allows(i.category_id))
        .ok_or_else(|| ApiError::not_found(format!("there is no incident {id}")))
}

/// The change a body asks for, checked against the incident as it is.
struct Change {
    status: Option<Status>,
    public: Option<(bool, String)>,
}

fn change_of(body: &PatchBody, incident: &Incident) -> Result<Change, ApiError> {
    let status = match body.status.as_deref() {
        None => None,
        Some(s) => match Status::parse(s) {
            Some(Status::Dismissed) | None => {
                return Err(ApiError::invalid(
                    "status: must be one of suggested, open, resolved",
                ));
            }
            Some(Status::Suggested) if incident.status != Status::Suggested => {
                return Err(ApiError::invalid(
                    "status: a confirmed incident cannot become a suggestion again",
                ));
            }
            Some(Status::Open) if incident.status == Status::Resolved => {
                return Err(ApiError::invalid(
                    "status: a resolved incident cannot be opened again",
                ));
            }
            Some(s) => Some(s),
        },
    };
    let title = body
        .public_title
        .clone()
        .unwrap_or_else(|| incident.public_title.clone());
    let title = title.trim().to_string();
    if title.chars().count() > MAX_PUBLIC_TITLE {
        return Err(ApiError::invalid(format!(
            "public_title: at most {MAX_PUBLIC_TITLE} characters"
        )));
    }
    let public = body.public.unwrap_or(incident.public);
    if public && title.is_empty() {
        return Err(ApiError::invalid(
            "public_title: a public incident needs a public title",
        ));
    }
    let ends_resolved = status == Some(Status::Resolved) || incident.status == Status::Resolved;
    if public && body.public == Some(true) && ends_resolved {
        return Err(ApiError::invalid(
            "public: a resolved incident is no longer shown on the portal",
        ));
    }
    let changes_public = body.public.is_some() || body.public_title.is_some();
    Ok(Change {
        status,
        public: changes_public.then_some((public, title)),
    })
}

#[patch("/incidents/<id>", data = "<body>")]
async fn update(
    app: &State<App>,
    writer: ApiWriter,
    id: i64,
    body: Result<JsonBody<PatchBody>, ApiError>,
) -> ApiResult<Value> {
    let body = body?.0;
    let staff = writer.0.staff;
    let incident = visible(app, &staff, id).await?;
    let change = change_of(&body, &incident)?;
    let (me, at) = (staff.id, now());
    let before = incident.status;
    let updated = app
        .db
        .write(move |c| {
            // Publishing a suggestion confirms it, as on the incident page.
            let opens = change.status == Some(Status::Open)
                || (before == Status::Suggested && change.public.as_ref().is_some_and(|(p, _)| *p));
            if opens && before == Status::Suggested {
                store::set_status(c, id, Status::Open, at)?;
            }
            if let Some((public, title)) = &change.public {
                store::set_public(c, id, *public, title, at)?;
            }
            if change.status == Some(Status::Resolved) && before != Status::Resolved {
                fanout::queue_resolve(c, id, me, at)?;
            }
            store::get(c, id)
        })
        .await?;
    updated
        .map(|i| Json(object(&i)))
        .ok_or_else(|| ApiError::not_found(format!("there is no incident {id}")))
}
