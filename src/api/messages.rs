//! A ticket's conversation through the API: every message (internal notes included: the caller
//! is staff) with its attachments, and adding a reply or a note, as the desk's reply form does.

use rocket::http::Status;
use rocket::serde::json::Json;
use rocket::{State, get, post, routes};
use serde::Deserialize;
use serde_json::{Value, json};

use super::body::JsonBody;
use super::tickets::{actor, invalid_fields, visible};
use super::{ApiError, ApiResult, ApiUser, ApiWriter};
use crate::db::now;
use crate::desk_time::format::iso;
use crate::error::{Error, FieldErrors};
use crate::tickets::actions::{Changes, NewMessage};
use crate::tickets::{self, Event, Message, MessageKind, Upload, What, validate};
use crate::web::App;
use crate::workflow::{Ctx, Desk};

pub fn routes() -> Vec<rocket::Route> {
    routes![list, create]
}

/// A message as the API shows it; a staff reply's kind is `reply`, as it is asked for.
pub(super) fn message_json(m: &Message, tracking_id: &str) -> Value {
    let kind = match m.kind {
        MessageKind::Requester => "requester",
        MessageKind::Staff => "reply",
        MessageKind::Note => "note",
    };
    let attachments: Vec<Value> = m
        .attachments
        .iter()
        .map(|a| {
            json!({
                "id": a.id,
                "filename": a.filename,
                "content_type": a.content_type,
                "size": a.size,
                "url": format!("/api/v1/tickets/{tracking_id}/attachments/{}", a.id),
            })
        })
        .collect();
    json!({
        "id": m.id,
        "kind": kind,
        "author": {"name": m.author_name, "staff_id": m.staff_id},
        "body": m.body,
        "created_at": iso(m.created_at),
        "attachments": attachments,
    })
}

#[get("/tickets/<tracking_id>/messages")]
async fn list(app: &State<App>, user: ApiUser, tracking_id: &str) -> ApiResult<Value> {
    let t = visible(app, &user.staff, tracking_id).await?;
    let messages = app
        .db
        .read(move |c| tickets::messages(c, t.id, true))
        .await?;
    let data: Vec<Value> = messages
        .iter()
        .map(|m| message_json(m, &t.tracking_id))
        .collect();
    Ok(Json(json!({ "data": data })))
}

#[derive(Deserialize, Clone, Copy, PartialEq, Eq)]
#[serde(rename_all = "lowercase")]
pub(super) enum Kind {
    Reply,
    Note,
}

impl Kind {
    pub(super) fn message_kind(self) -> MessageKind {
        match self {
            Kind::Reply => MessageKind::Staff,
            Kind::Note => MessageKind::Note,
        }
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct NewMessageBody {
    body: String,
    /// Absent: a reply.
    #[serde(default)]
    kind: Option<Kind>,
    /// False: the requester gets no mail about this reply. Absent: true.
    #[serde(default)]
    notify: Option<bool>,
}

/// The message an action's events say it added to the ticket.
fn added(events: &[Event], ticket_id: i64) -> Option<i64> {
    events.iter().find_map(|e| match e.what {
        What::MessageAdded { message_id, .. } if e.ticket_id == ticket_id => Some(message_id),
        _ => None,
    })
}

/// Adds `message` to the ticket as the token's member and answers it (201), as the
/// attachments' upload does too.
pub(super) async fn add(
    app: &App,
    staff: &crate::auth::StaffUser,
    ticket: &tickets::Ticket,
    message: NewMessage,
    notify: bool,
) -> Result<(Status, Json<Value>), ApiError> {
    let who = actor(staff);
    let mut ctx = Ctx::new(app.mail_ctx(), now());
    if !notify {
        ctx = ctx.silent();
    }
    let id = ticket.id;
    let added = app
        .db
        .write(move |c| {
            let events = Desk::new(c, &ctx).reply(&who, id, &message, &Changes::default())?;
            let mid =
                added(&events, id).ok_or_else(|| Error::internal("the reply added no message"))?;
            tickets::messages(c, id, true)?
                .into_iter()
                .find(|m| m.id == mid)
                .ok_or_else(|| Error::internal("the added message is gone"))
        })
        .await?;
    Ok((
        Status::Created,
        Json(message_json(&added, &ticket.tracking_id)),
    ))
}

/// Adds a reply (the requester sees it and, unless `notify` is false, gets it by mail) or an
/// internal note.
#[post("/tickets/<tracking_id>/messages", data = "<body>")]
async fn create(
    app: &State<App>,
    writer: ApiWriter,
    tracking_id: &str,
    body: Result<JsonBody<NewMessageBody>, ApiError>,
) -> Result<(Status, Json<Value>), ApiError> {
    let staff = writer.0.staff;
    let body = body?.0;
    let ticket = visible(app, &staff, tracking_id).await?;
    let mut errors = FieldErrors::new();
    validate::message(&body.body, &mut errors);
    if !errors.is_empty() {
        return Err(invalid_fields(app, &errors, &[("message", "body")]));
    }
    let message = NewMessage {
        kind: body.kind.unwrap_or(Kind::Reply).message_kind(),
        body: body.body.trim().to_string(),
        attachments: Vec::<Upload>::new(),
    };
    add(app, &staff, &ticket, message, body.notify.unwrap_or(true)).await
}
