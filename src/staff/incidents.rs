//! Incidents in the desk: the suspected and open incidents on the agent home and the ticket
//! list (`summaries`), and the incident's own page (`/staff/incidents/<id>`), where one click
//! confirms a suggestion, a reply goes to every requester and resolving resolves every ticket
//! (both queued for the job `incident_fanout`), and publishing shows it on the portal.

use rocket::form::FromForm;
use rocket::http::Status as HttpStatus;
use rocket::response::{Flash, Redirect};
use rocket::{Route, State, get, post, routes};
use serde_json::{Value, json};

use crate::auth::StaffUser;
use crate::db::now;
use crate::error::{Error, FieldErrors, Result};
use crate::incidents::{self, Incident, Status, fanout, store};
use crate::tickets::validate::MAX_MESSAGE;
use crate::web::csrf::{Checked, CsrfForm, TokenOnly};
use crate::web::{Answer, App, Html, Page, PageResult};

pub fn routes() -> Vec<Route> {
    routes![
        incident_page,
        confirm,
        dismiss,
        reply,
        resolve,
        publish,
        attach,
        remove
    ]
}

/// How many tickets a summary lists (the page lists them all).
const LISTED: usize = 8;

fn visible(staff: &StaffUser, incident: &Incident) -> bool {
    staff.access.allows(incident.category_id)
}

/// The incidents the agent home and the list show above their content, as the partials read
/// them ("6 tickets in 12 min: VPN not connecting").
pub(super) async fn summaries(app: &App, staff: &StaffUser) -> Result<Value> {
    let all = app.db.read_quick(store::current).await?;
    let shown: Vec<Value> = all
        .iter()
        .filter(|i| visible(staff, i))
        .map(|i| {
            let attached: Vec<_> = i.attached().collect();
            json!({
                "id": i.id,
                "status": i.status,
                "title": i.title,
                "public": i.public,
                "count": attached.len(),
                "minutes": i.span_minutes(),
                "suggested": i.tickets.len() - attached.len(),
                "tickets": attached.iter().take(LISTED).collect::<Vec<_>>(),
                "more": attached.len().saturating_sub(LISTED),
            })
        })
        .collect();
    Ok(Value::Array(shown))
}

async fn load(app: &App, staff: &StaffUser, id: i64) -> Result<Incident> {
    let incident = app
        .db
        .read(move |c| store::get(c, id))
        .await?
        .filter(|i| i.status != Status::Dismissed)
        .ok_or(Error::NotFound)?;
    if !visible(staff, &incident) {
        return Err(Error::NotFound);
    }
    Ok(incident)
}

async fn page_data(app: &App, page: &Page<'_>, incident: &Incident, form: Value) -> Result<Value> {
    let id = incident.id;
    let pending = app
        .db
        .read_quick(move |c| store::pending_batches(c, id))
        .await?;
    let refdata = app.refdata(page.lang).await?;
    let category = refdata
        .category(incident.category_id)
        .map(|c| c.label.clone())
        .unwrap_or_default();
    let time = page.time();
    let tickets: Vec<Value> = incident
        .tickets
        .iter()
        .map(|t| json!({ "ticket": t, "created": time.absolute(t.created_at) }))
        .collect();
    Ok(json!({
        "incident": incident,
        "category": category,
        "count": incident.attached().count(),
        "minutes": incident.span_minutes(),
        "tickets": tickets,
        "pending": pending,
        "form": form,
        "max_public_title": incidents::MAX_PUBLIC_TITLE,
        "errors": {},
    }))
}

#[get("/incidents/<id>")]
async fn incident_page(
    staff: StaffUser,
    page: Page<'_>,
    app: &State<App>,
    id: i64,
) -> Result<Html> {
    let incident = load(app, &staff, id).await?;
    let data = page_data(app, &page, &incident, json!({})).await?;
    page.render("staff/incident.html", data)
}

fn back(id: i64, key: &'static str) -> Flash<Redirect> {
    Flash::success(Redirect::to(format!("/staff/incidents/{id}")), key)
}

/// A suggested incident the agent may see becomes `to` (open or dismissed); one already decided
/// stays as it is, so a second click changes nothing.
async fn settle_suggestion(app: &App, staff: &StaffUser, id: i64, to: Status) -> Result<()> {
    let incident = load(app, staff, id).await?;
    if incident.status == Status::Suggested {
        let at = now();
        app.db
            .write(move |c| store::set_status(c, id, to, at).map(|_| ()))
            .await?;
    }
    Ok(())
}

/// "It is an incident": the suggestion becomes an open incident.
#[post("/incidents/<id>/confirm", data = "<_form>")]
async fn confirm(
    staff: StaffUser,
    app: &State<App>,
    id: i64,
    _form: Checked<TokenOnly>,
) -> Result<Flash<Redirect>> {
    settle_suggestion(app, &staff, id, Status::Open).await?;
    Ok(back(id, "incident_flash_confirmed"))
}

/// "Not an incident": the suggestion goes away; its tickets raise no other.
#[post("/incidents/<id>/dismiss", data = "<_form>")]
async fn dismiss(
    staff: StaffUser,
    app: &State<App>,
    id: i64,
    _form: Checked<TokenOnly>,
) -> Result<Flash<Redirect>> {
    settle_suggestion(app, &staff, id, Status::Dismissed).await?;
    Ok(Flash::success(
        Redirect::to("/staff"),
        "incident_flash_dismissed",
    ))
}

#[derive(FromForm)]
struct ReplyForm {
    #[field(default = String::new())]
    csrf_token: String,
    #[field(default = String::new())]
    body: String,
}

impl CsrfForm for ReplyForm {
    fn csrf_token(&self) -> &str {
        &self.csrf_token
    }
}

async fn refused(
    app: &App,
    page: &Page<'_>,
    incident: &Incident,
    form: Value,
    errors: FieldErrors,
) -> PageResult {
    let mut data = page_data(app, page, incident, form).await?;
    data["errors"] = json!(errors);
    let html = page.render("staff/incident.html", data)?;
    Ok(Answer::from((HttpStatus::UnprocessableEntity, html)))
}

/// The reply to every requester: queued, sent by the job one ticket at a time.
#[post("/incidents/<id>/reply", data = "<form>")]
async fn reply(
    staff: StaffUser,
    page: Page<'_>,
    app: &State<App>,
    id: i64,
    form: Checked<ReplyForm>,
) -> PageResult {
    let incident = load(app, &staff, id).await?;
    let body = form.0.body.trim().to_string();
    let mut errors = FieldErrors::new();
    if body.is_empty() {
        errors.add("body", "incident_error_reply_empty");
    } else if body.chars().count() > MAX_MESSAGE {
        errors.add("body", "incident_error_reply_long");
    }
    if incident.status == Status::Resolved {
        errors.add("body", "incident_error_resolved");
    }
    if !errors.is_empty() {
        return refused(
            app,
            &page,
            &incident,
            json!({ "body": form.0.body }),
            errors,
        )
        .await;
    }
    let (me, at) = (staff.id, now());
    app.db
        .write(move |c| {
            if incident.status == Status::Suggested {
                store::set_status(c, id, Status::Open, at)?;
            }
            fanout::queue_reply(c, id, me, &body, at).map(|_| ())
        })
        .await?;
    Ok(Answer::from(back(id, "incident_flash_reply_queued")))
}

/// Resolves the incident and, by the job, every one of its tickets.
#[post("/incidents/<id>/resolve", data = "<_form>")]
async fn resolve(
    staff: StaffUser,
    app: &State<App>,
    id: i64,
    _form: Checked<TokenOnly>,
) -> Result<Flash<Redirect>> {
    let incident = load(app, &staff, id).await?;
    if incident.status != Status::Resolved {
        let (me, at) = (staff.id, now());
        app.db
            .write(move |c| fanout::queue_resolve(c, id, me, at).map(|_| ()))
            .await?;
    }
    Ok(back(id, "incident_flash_resolved"))
}

#[derive(FromForm)]
struct PublishForm {
    #[field(default = String::new())]
    csrf_token: String,
    #[field(default = false)]
    public: bool,
    #[field(default = String::new())]
    public_title: String,
}

impl CsrfForm for PublishForm {
    fn csrf_token(&self) -> &str {
        &self.csrf_token
    }
}

/// Checks a public title: required to publish, at most `MAX_PUBLIC_TITLE` characters; the error
/// key when refused.
pub fn check_public_title(public: bool, title: &str) -> std::result::Result<String, &'static str> {
    let title = title.trim();
    if title.chars().count() > incidents::MAX_PUBLIC_TITLE {
        return Err("incident_error_public_title_long");
    }
    if public && title.is_empty() {
        return Err("incident_error_public_title_empty");
    }
    Ok(title.to_string())
}

/// Publishes the incident as a known issue on the portal (or takes it off).
#[post("/incidents/<id>/publish", data = "<form>")]
async fn publish(
    staff: StaffUser,
    page: Page<'_>,
    app: &State<App>,
    id: i64,
    form: Checked<PublishForm>,
) -> PageResult {
    let incident = load(app, &staff, id).await?;
    let form = form.0;
    let mut errors = FieldErrors::new();
    let title = match check_public_title(form.public, &form.public_title) {
        Ok(t) => Some(t),
        Err(key) => {
            errors.add("public_title", key);
            None
        }
    };
    if form.public && incident.status == Status::Resolved {
        errors.add("public_title", "incident_error_resolved");
    }
    let (Some(title), true) = (title, errors.is_empty()) else {
        let typed = json!({ "public_title": form.public_title, "public": form.public });
        return refused(app, &page, &incident, typed, errors).await;
    };
    let (public, at) = (form.public, now());
    app.db
        .write(move |c| {
            if public && incident.status == Status::Suggested {
                store::set_status(c, id, Status::Open, at)?;
            }
            store::set_public(c, id, public, &title, at).map(|_| ())
        })
        .await?;
    let key = if public {
        "incident_flash_published"
    } else {
        "incident_flash_unpublished"
    };
    Ok(Answer::from(back(id, key)))
}

#[derive(FromForm)]
struct TicketForm {
    #[field(default = String::new())]
    csrf_token: String,
    #[field(default = 0)]
    ticket_id: i64,
}

impl CsrfForm for TicketForm {
    fn csrf_token(&self) -> &str {
        &self.csrf_token
    }
}

/// Adds a ticket the desk only suggested to the incident.
#[post("/incidents/<id>/attach", data = "<form>")]
async fn attach(
    staff: StaffUser,
    app: &State<App>,
    id: i64,
    form: Checked<TicketForm>,
) -> Result<Flash<Redirect>> {
    load(app, &staff, id).await?;
    let ticket = form.0.ticket_id;
    let done = app.db.write(move |c| store::attach(c, id, ticket)).await?;
    if !done {
        return Err(Error::NotFound);
    }
    Ok(back(id, "incident_flash_attached"))
}

/// Takes a ticket out of the incident (it was not about it).
#[post("/incidents/<id>/remove", data = "<form>")]
async fn remove(
    staff: StaffUser,
    app: &State<App>,
    id: i64,
    form: Checked<TicketForm>,
) -> Result<Flash<Redirect>> {
    load(app, &staff, id).await?;
    let ticket = form.0.ticket_id;
    let done = app
        .db
        .write(move |c| store::remove_ticket(c, id, ticket))
        .await?;
    if !done {
        return Err(Error::NotFound);
    }
    Ok(back(id, "incident_flash_removed"))
}
