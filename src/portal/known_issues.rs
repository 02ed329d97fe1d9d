//! Known issues on the portal: the published incidents as a banner on the home and the
//! new-ticket form ("Known issue: VPN is down since 09:10 — we're on it", the time in the
//! viewer's zone), and "Me too", which opens a ticket for the requester linked to the incident
//! in one step, without their writing anything (their address is asked for only when this
//! browser is not signed in).

use jiff::Timestamp;
use rocket::form::FromForm;
use rocket::http::{CookieJar, Status};
use rocket::response::Redirect;
use rocket::{Route, State, post, routes};
use serde_json::{Value, json};

use super::{access, home_data, mine};
use crate::db::now;
use crate::error::{Error, FieldErrors, Result};
use crate::incidents::{KnownIssue, Status as IncidentStatus, store};
use crate::tickets::validate::{MAX_NAME, MAX_SUBJECT};
use crate::tickets::{self, Actor, Channel, NewTicket};
use crate::util::{clean, looks_like_email};
use crate::web::csrf::{Checked, CsrfForm};
use crate::web::{Answer, App, Page, PageResult};
use crate::workflow::{Ctx, Desk};

pub fn routes() -> Vec<Route> {
    routes![me_too]
}

/// `t` as the banner says it: the time alone when it is today in the viewer's zone, else the
/// date too.
fn since(page: &Page<'_>, t: i64) -> String {
    let zone = page.time().zone;
    let (Ok(at), Ok(today)) = (Timestamp::from_second(t), Timestamp::from_second(page.now)) else {
        return String::new();
    };
    let (at, today) = (
        at.to_zoned_datetime(zone.clone()),
        today.to_zoned_datetime(zone),
    );
    if at.date() == today.date() {
        at.strftime("%H:%M").to_string()
    } else {
        at.strftime("%Y-%m-%d %H:%M").to_string()
    }
}

pub async fn published(app: &App) -> Result<Vec<KnownIssue>> {
    app.db.read_quick(store::known_issues).await
}

/// The banner's data: the published incidents, and whether "Me too" must ask for an address.
pub async fn banner(app: &App, page: &Page<'_>, cookies: &CookieJar<'_>) -> Result<Value> {
    let issues = published(app).await?;
    if issues.is_empty() {
        return Ok(json!({ "issues": [] }));
    }
    let signed_in = mine::signed_in_email(app, cookies).await?.is_some();
    Ok(banner_of(page, &issues, signed_in))
}

/// As `banner`, for a page no one is signed in to (the kept new-ticket form asks everyone).
pub fn banner_of(page: &Page<'_>, issues: &[KnownIssue], signed_in: bool) -> Value {
    let issues: Vec<Value> = issues
        .iter()
        .map(|i| json!({ "id": i.id, "title": i.title, "since": since(page, i.since) }))
        .collect();
    json!({ "issues": issues, "signed_in": signed_in })
}

#[derive(FromForm)]
struct MeTooForm {
    #[field(default = String::new())]
    csrf_token: String,
    #[field(default = String::new())]
    email: String,
    #[field(default = String::new())]
    name: String,
}

impl CsrfForm for MeTooForm {
    fn csrf_token(&self) -> &str {
        &self.csrf_token
    }
}

/// "Me too": a ticket for this requester about the known issue, attached to its incident. One
/// requester gets one such ticket: pressing again leads to the one they have.
#[post("/known-issues/<id>/me-too", data = "<form>")]
async fn me_too(
    page: Page<'_>,
    app: &State<App>,
    cookies: &CookieJar<'_>,
    id: i64,
    form: Checked<MeTooForm>,
) -> PageResult {
    let form = form.0;
    let issue = published(app)
        .await?
        .into_iter()
        .find(|i| i.id == id)
        .ok_or(Error::NotFound)?;
    let email = match mine::signed_in_email(app, cookies).await? {
        Some(email) => email,
        None => form.email.trim().to_lowercase(),
    };
    if !looks_like_email(&email) {
        let mut errors = FieldErrors::new();
        errors.add(format!("me_too_{id}"), "error_email_invalid");
        let mut data = home_data(&page, app, cookies, json!({}), None).await?;
        data["errors"] = json!(errors);
        data["me_too"] = json!({ "id": id, "email": form.email, "name": form.name });
        let html = page.render("portal/home.html", data)?;
        return Ok(Answer::from((Status::UnprocessableEntity, html)));
    }
    let incident = app
        .db
        .read(move |c| store::get(c, id))
        .await?
        .filter(|i| i.status == IncidentStatus::Open)
        .ok_or(Error::NotFound)?;
    if let Some(mine) = incident
        .tickets
        .iter()
        .find(|t| t.requester_email.eq_ignore_ascii_case(&email))
    {
        access::grant(cookies, &mine.tracking_id);
        return Ok(Answer::from(Redirect::to(format!(
            "/tickets/{}",
            mine.tracking_id
        ))));
    }
    let refdata = app.refdata(page.lang).await?;
    let priority_id = refdata
        .category(incident.category_id)
        .map(|c| c.default_priority_id)
        .or_else(|| refdata.priorities.first().map(|p| p.id))
        .ok_or_else(|| Error::internal("the desk has no priority"))?;
    let name = match clean(&form.name, MAX_NAME) {
        n if n.is_empty() => email.split('@').next().unwrap_or_default().to_string(),
        n => n,
    };
    let new = NewTicket {
        requester_name: name,
        requester_email: email,
        category_id: incident.category_id,
        priority_id,
        subject: clean(&issue.title, MAX_SUBJECT),
        message: page
            .t("known_issue_me_too_message")
            .replace("{title}", &issue.title),
        attachments: Vec::new(),
        channel: Channel::Portal,
        assignee_id: None,
        lang: page.lang,
    };
    let ctx = Ctx::new(app.mail_ctx(), now());
    let tracking_id = app
        .db
        .write(move |c| {
            let requester = Actor::requester(&new.requester_name);
            let events = Desk::new(c, &ctx).open(&requester, &new)?;
            let (ticket, tracking_id) = tickets::events::created(&events)
                .next()
                .ok_or_else(|| Error::internal("opening the ticket created none"))?;
            store::add_ticket(c, id, ticket, true, ctx.now)?;
            Ok(tracking_id.to_string())
        })
        .await?;
    access::grant(cookies, &tracking_id);
    Ok(Answer::from(Redirect::to(format!(
        "/tickets/{tracking_id}?created=true"
    ))))
}
