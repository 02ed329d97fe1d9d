//! The requester's side of live conversations: the ticket's event stream (same access as the
//! ticket page: the access cookie, the secret link's token or the "My tickets" sign-in), the
//! "typing" signal, and "Chat now" from the portal home while an agent has the desk open.

use rocket::form::FromForm;
use rocket::http::{CookieJar, Status};
use rocket::response::Redirect;
use rocket::response::stream::EventStream;
use rocket::{Route, Shutdown, State, get, post, routes};
use serde_json::json;

use super::{abuse, access, accessible};
use crate::db::now;
use crate::error::{Error, FieldErrors, Result};
use crate::live::Audience;
use crate::tickets::validate::{self, MAX_NAME, MAX_SUBJECT};
use crate::tickets::{self, Actor, Channel, NewTicket};
use crate::util::{clean, looks_like_email};
use crate::web::csrf::{Checked, CsrfForm, TokenOnly};
use crate::web::live::{LastEventId, Start, Viewer, heartbeat, ticket_stream};
use crate::web::{Answer, App, ClientIp, Page, PageResult};
use crate::workflow::{Ctx, Desk};

/// The ticket's live events for its requester; a ticket this browser may not see is a plain
/// 404, the same whether it exists or not.
#[get("/tickets/<tid>/events?<token>&<since>")]
async fn events(
    app: &State<App>,
    cookies: &CookieJar<'_>,
    tid: &str,
    token: Option<&str>,
    since: Option<i64>,
    last: LastEventId,
    shutdown: Shutdown,
) -> Result<EventStream![]> {
    let ticket = accessible(app, cookies, tid, token)
        .await?
        .ok_or(Error::NotFound)?;
    let start = Start::of(&last, since);
    Ok(ticket_stream(
        heartbeat(&app.config),
        app.db.clone(),
        app.live.clone(),
        ticket.id,
        Viewer::Requester,
        start,
        shutdown,
    ))
}

/// The requester is typing a reply: the staff pages of the ticket show it (nothing stored).
#[post("/tickets/<tid>/typing", data = "<_form>")]
async fn typing(
    app: &State<App>,
    cookies: &CookieJar<'_>,
    tid: &str,
    _form: Checked<TokenOnly>,
) -> Result<Status> {
    let ticket = accessible(app, cookies, tid, None)
        .await?
        .ok_or(Error::NotFound)?;
    app.live
        .typing(ticket.id, Audience::Staff, &ticket.requester_name);
    Ok(Status::NoContent)
}

/// Whether "Chat now" is offered: an agent has the desk open in this process.
pub(crate) fn chat_open(app: &App) -> bool {
    app.live.agents_online() > 0
}

#[derive(FromForm)]
struct ChatForm {
    #[field(default = String::new())]
    csrf_token: String,
    #[field(default = String::new())]
    name: String,
    #[field(default = String::new())]
    email: String,
    #[field(default = String::new())]
    message: String,
    /// The honeypot (`abuse::HONEYPOT`).
    #[field(default = String::new())]
    website: String,
}

impl CsrfForm for ChatForm {
    fn csrf_token(&self) -> &str {
        &self.csrf_token
    }
}

/// The subject of a chat ticket: the start of its first message, on one line.
fn chat_subject(message: &str) -> String {
    let line = clean(message, 80);
    let subject = if message.trim().chars().count() > 80 {
        format!("{line}…")
    } else {
        line
    };
    clean(&subject, MAX_SUBJECT)
}

/// Opens a ticket with the channel `chat` through the desk's usual action (confirmation mail,
/// auto-assignment, rules) and lands the requester on its live page.
#[post("/chat", data = "<form>")]
async fn start_chat(
    page: Page<'_>,
    app: &State<App>,
    limits: &State<abuse::Limits>,
    ip: ClientIp,
    cookies: &CookieJar<'_>,
    form: Checked<ChatForm>,
) -> PageResult {
    let form = form.0;
    if let Some(answer) = abuse::honeypot(&form.website) {
        return Ok(answer);
    }
    let email = form.email.trim().to_lowercase();
    let mut errors = FieldErrors::new();
    if clean(&form.name, MAX_NAME).is_empty() {
        errors.add("name", "error_name_required");
    }
    if !looks_like_email(&email) {
        errors.add("email", "error_email_invalid");
    }
    validate::message(&form.message, &mut errors);
    if errors.is_empty() {
        // The ticket form's limits and bans, each refusal next to the field it is about.
        match abuse::check(app, limits, &email, &ip.0).await? {
            Some(abuse::Refusal::Limit) => errors.add("message", "abuse_limit_hit"),
            Some(abuse::Refusal::Banned) => errors.add("email", "abuse_banned"),
            None => {}
        }
    }
    if !errors.is_empty() {
        let html = page.render(
            "portal/chat.html",
            json!({ "chat_name": form.name, "chat_email": form.email,
                    "chat_message": form.message, "errors": errors }),
        )?;
        return Ok(Answer::from((Status::UnprocessableEntity, html)));
    }
    let (name, message) = (clean(&form.name, MAX_NAME), form.message.trim().to_string());
    let (lang, subject) = (page.lang, chat_subject(&form.message));
    let ctx = Ctx::new(app.mail_ctx(), now());
    let submitter = email.clone();
    let tracking_id = app
        .db
        .write(move |c| {
            let (category_id, priority_id) = tickets::store::default_category(c)?
                .ok_or_else(|| Error::internal("no active category for new tickets"))?;
            let new = NewTicket {
                requester_name: name.clone(),
                requester_email: submitter,
                category_id,
                priority_id,
                subject,
                message,
                attachments: Vec::new(),
                channel: Channel::Chat,
                assignee_id: None,
                lang,
            };
            let events = Desk::new(c, &ctx).open(&Actor::requester(&name), &new)?;
            tickets::events::created(&events)
                .next()
                .map(|(_, tid)| tid.to_string())
                .ok_or_else(|| Error::internal("opening the chat created no ticket"))
        })
        .await?;
    limits.count_submission(&email, &ip.0);
    access::grant(cookies, &tracking_id);
    Ok(Answer::from(Redirect::to(format!(
        "/tickets/{tracking_id}?created=true"
    ))))
}

pub fn routes() -> Vec<Route> {
    routes![events, typing, start_chat]
}
