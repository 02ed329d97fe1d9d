//! Tickets through the API: one ticket, opening one on a requester's behalf, and changing its
//! fields. Each change goes through `workflow::Desk` as the token's staff member, so access,
//! validation, rules, service levels, mail and history behave as in the desk. The list is in
//! `ticket_list`, the conversation in `messages`, files in `attachments`.

use rocket::response::status::Created;
use rocket::serde::json::Json;
use rocket::{State, get, patch, post, routes};
use serde::Deserialize;
use serde_json::Value;

use super::body::{JsonBody, nullable};
use super::{ApiError, ApiResult, ApiUser, ApiWriter};
use crate::auth::StaffUser;
use crate::db::now;
use crate::error::{Error, FieldErrors};
use crate::i18n::Lang;
use crate::tickets::actions::Changes;
use crate::tickets::validate::{self, MAX_NAME, MAX_SUBJECT, TicketInput};
use crate::tickets::{
    self, Actor, Channel, NewTicket, Ticket, json as ticket_json, normalize_tracking_id, store,
};
use crate::util::clean;
use crate::web::App;
use crate::workflow::{Ctx, Desk};

pub fn routes() -> Vec<rocket::Route> {
    routes![ticket, create, update]
}

/// The actor a token's changes are made as: its staff member, as in the desk.
pub(super) fn actor(staff: &StaffUser) -> Actor {
    Actor::staff(staff.id, &staff.name)
}

pub(super) fn no_ticket(tracking_id: &str) -> ApiError {
    ApiError::not_found(format!("no ticket {tracking_id}"))
}

/// The ticket `tracking_id` names, when `staff` may see it; one they may not see is as unknown
/// as a missing one.
pub(super) async fn visible(
    app: &App,
    staff: &StaffUser,
    tracking_id: &str,
) -> Result<Ticket, ApiError> {
    let tid = normalize_tracking_id(tracking_id).ok_or_else(|| no_ticket(tracking_id))?;
    let access = staff.access.clone();
    app.db
        .read_quick(move |c| {
            Ok(store::get_by_tracking_id(c, &tid)?.filter(|t| access.allows(t.category_id)))
        })
        .await?
        .ok_or_else(|| no_ticket(tracking_id))
}

/// A 422 that names each refused field (`requester.email: Please enter a valid email ...`), in
/// English, the API's language; `names` renames the desk's fields to the body's.
pub(super) fn invalid_fields(app: &App, errors: &FieldErrors, names: &[(&str, &str)]) -> ApiError {
    let parts: Vec<String> = errors
        .iter()
        .map(|(field, e)| {
            let name = names
                .iter()
                .find(|(desk, _)| *desk == field)
                .map_or(field, |(_, api)| api);
            let mut text = app.i18n.get(Lang::En, e.key).to_string();
            for (k, v) in &e.args {
                text = text.replace(&format!("{{{k}}}"), v);
            }
            format!("{name}: {text}")
        })
        .collect();
    ApiError::invalid(parts.join("; "))
}

/// An action's refusal with the field it concerns named, for the refusals that do not say it.
fn refused(field: &str, e: Error) -> ApiError {
    match e {
        Error::BadRequest(msg) => ApiError::invalid(format!("{field}: {msg}")),
        other => ApiError::from(other),
    }
}

#[get("/tickets/<tracking_id>")]
async fn ticket(app: &State<App>, user: ApiUser, tracking_id: &str) -> ApiResult<Value> {
    let t = visible(app, &user.staff, tracking_id).await?;
    let found = app
        .db
        .read(move |c| ticket_json::ticket_object(c, t.id))
        .await?;
    found.map(Json).ok_or_else(|| no_ticket(tracking_id))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Requester {
    name: String,
    email: String,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct NewTicketBody {
    subject: String,
    message: String,
    requester: Requester,
    category: i64,
    /// Absent: the category's default.
    #[serde(default)]
    priority: Option<i64>,
    /// Custom field values by key or id (see `api::fields`).
    #[serde(default)]
    fields: Option<serde_json::Map<String, Value>>,
}

/// Opens a ticket on a requester's behalf: their first message, in a category the token's
/// member works; they get the usual "request received" mail.
#[post("/tickets", data = "<body>")]
async fn create(
    app: &State<App>,
    writer: ApiWriter,
    lang: Lang,
    body: Result<JsonBody<NewTicketBody>, ApiError>,
) -> Result<Created<Json<Value>>, ApiError> {
    let staff = writer.0.staff;
    let body = body?.0;
    let refdata = app.refdata(Lang::En).await?;
    let category = body.category.to_string();
    let priority = body.priority.map(|p| p.to_string()).unwrap_or_default();
    let input = TicketInput {
        name: &body.requester.name,
        email: &body.requester.email,
        category: &category,
        priority: &priority,
        subject: &body.subject,
        message: &body.message,
    };
    let (errors, picked) = validate::ticket(&input, &refdata, true);
    let names = [("name", "requester.name"), ("email", "requester.email")];
    let (category_id, priority_id) = match picked {
        Some(p) if errors.is_empty() => p,
        _ => return Err(invalid_fields(app, &errors, &names)),
    };
    if !staff.access.allows(category_id) {
        return Err(ApiError::forbidden(
            "category: you do not work in that category",
        ));
    }
    let values: Vec<(i64, String)> = super::fields::check(
        app,
        &refdata.fields,
        category_id,
        body.fields.as_ref(),
        false,
    )?
    .into_iter()
    .filter_map(|(id, v)| v.map(|v| (id, v)))
    .collect();
    let new = NewTicket {
        requester_name: clean(&body.requester.name, MAX_NAME),
        requester_email: body.requester.email.trim().to_lowercase(),
        category_id,
        priority_id,
        subject: clean(&body.subject, MAX_SUBJECT),
        message: body.message.trim().to_string(),
        attachments: Vec::new(),
        channel: Channel::Api,
        assignee_id: None,
        lang,
    };
    let who = actor(&staff);
    let ctx = Ctx::new(app.mail_ctx(), now());
    let object = app
        .db
        .write(move |c| {
            let events = Desk::new(c, &ctx).open_with_fields(&who, &new, &values)?;
            let id = tickets::events::created(&events)
                .next()
                .map(|(id, _)| id)
                .ok_or_else(|| Error::internal("opening the ticket created none"))?;
            ticket_json::ticket_object(c, id)?
                .ok_or_else(|| Error::internal("the opened ticket is gone"))
        })
        .await?;
    let tid = object["tracking_id"].as_str().unwrap_or_default();
    let location = format!("/api/v1/tickets/{tid}");
    Ok(Created::new(location).body(Json(object)))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct PatchBody {
    #[serde(default, deserialize_with = "nullable")]
    status: Option<Option<i64>>,
    #[serde(default, deserialize_with = "nullable")]
    priority: Option<Option<i64>>,
    #[serde(default, deserialize_with = "nullable")]
    category: Option<Option<i64>>,
    /// `null` unassigns.
    #[serde(default, deserialize_with = "nullable")]
    assignee: Option<Option<i64>>,
    /// Custom field values to change by key or id; `null` clears one.
    #[serde(default)]
    fields: Option<serde_json::Map<String, Value>>,
}

/// The patch's changes, each id checked against the desk's reference data so a wrong one is
/// refused naming its field (the action checks again, in the transaction).
fn changes_of(
    body: &PatchBody,
    refdata: &tickets::RefData,
    staff: &StaffUser,
    ticket: &Ticket,
) -> Result<Changes, ApiError> {
    if body.status.is_none()
        && body.priority.is_none()
        && body.category.is_none()
        && body.assignee.is_none()
        && body.fields.as_ref().is_none_or(|f| f.is_empty())
    {
        return Err(ApiError::invalid(
            "the patch changes nothing: give status, priority, category, assignee or fields",
        ));
    }
    let required = |field: &str, v: Option<Option<i64>>| match v {
        Some(None) => Err(ApiError::invalid(format!("{field}: may not be null"))),
        Some(Some(id)) => Ok(Some(id)),
        None => Ok(None),
    };
    let status = required("status", body.status)?;
    let priority = required("priority", body.priority)?;
    let category = required("category", body.category)?;
    if let Some(id) = status
        && refdata.status(id).is_none()
    {
        return Err(ApiError::invalid(format!("status: no status with id {id}")));
    }
    if let Some(id) = priority
        && refdata.priority(id).is_none()
    {
        return Err(ApiError::invalid(format!(
            "priority: no priority with id {id}"
        )));
    }
    if let Some(id) = category {
        if refdata.category(id).is_none() {
            return Err(ApiError::invalid(format!(
                "category: no category with id {id}"
            )));
        }
        if !staff.access.allows(id) {
            return Err(ApiError::invalid(
                "category: you do not work in that category",
            ));
        }
    }
    if let Some(Some(id)) = body.assignee {
        let Some(agent) = refdata.agent(id) else {
            return Err(ApiError::invalid(format!(
                "assignee: no staff member with id {id}"
            )));
        };
        if !agent.active {
            return Err(ApiError::invalid(
                "assignee: that staff account is deactivated",
            ));
        }
        if !agent.access.allows(category.unwrap_or(ticket.category_id)) {
            return Err(ApiError::invalid(
                "assignee: that staff member does not work in the ticket's category",
            ));
        }
    }
    Ok(Changes {
        status,
        priority,
        category,
        assignee: body.assignee,
    })
}

/// Changes a ticket's status, priority, category or assignee; answers the ticket as it is now.
#[patch("/tickets/<tracking_id>", data = "<body>")]
async fn update(
    app: &State<App>,
    writer: ApiWriter,
    tracking_id: &str,
    body: Result<JsonBody<PatchBody>, ApiError>,
) -> ApiResult<Value> {
    let staff = writer.0.staff;
    let body = body?.0;
    let ticket = visible(app, &staff, tracking_id).await?;
    let refdata = app.refdata(Lang::En).await?;
    let changes = changes_of(&body, &refdata, &staff, &ticket)?;
    let category = changes.category.unwrap_or(ticket.category_id);
    let values = super::fields::check(app, &refdata.fields, category, body.fields.as_ref(), true)?;
    let field = if changes.assignee.is_some() {
        "assignee"
    } else {
        "category"
    };
    let who = actor(&staff);
    let ctx = Ctx::new(app.mail_ctx(), now());
    let id = ticket.id;
    let object = app
        .db
        .write(move |c| {
            let desk = Desk::new(c, &ctx);
            desk.update(&who, id, &changes)?;
            if !values.is_empty() {
                desk.set_fields(&who, id, &values)?;
            }
            ticket_json::ticket_object(c, id)
        })
        .await
        .map_err(|e| refused(field, e))?;
    object.map(Json).ok_or_else(|| no_ticket(tracking_id))
}
