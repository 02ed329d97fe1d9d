//! "How did we do?": the requester's answer about their resolved ticket. The links in the
//! resolve mail open `GET /tickets/<tid>/rate?rating=good&resolution=N&token=SECRET`, a page
//! with that answer chosen and a comment box; only its POST (with the CSRF token) saves, so a
//! mail scanner that follows links answers nothing. The ticket's page has the same form.

use rocket::form::FromForm;
use rocket::http::{CookieJar, Status};
use rocket::response::{Flash, Redirect};
use rocket::{Route, State, get, post, routes};
use serde_json::{Value, json};

use crate::db::now;
use crate::error::{FieldErrors, Result};
use crate::tickets::csat::{self, Draft, Survey};
use crate::tickets::{Actor, Ticket};
use crate::web::csrf::{Checked, CsrfForm};
use crate::web::{Answer, App, Html, Page, PageResult};
use crate::workflow::{Ctx, Desk};

pub fn routes() -> Vec<Route> {
    routes![rate_page, rate]
}

/// The survey of `ticket` as its pages show it (`Survey::to_json`).
pub(super) async fn survey_of(app: &App, ticket: &Ticket, now: i64) -> Result<Survey> {
    let (id, enabled) = (ticket.id, app.settings().csat_enabled);
    app.db
        .read(move |c| csat::survey(c, id, enabled, now))
        .await
}

/// The page for a link that opens no ticket (a wrong token, an unknown tracking ID).
fn invalid_link(page: &Page<'_>, tid: &str) -> Result<(Status, Html)> {
    let html = page.render(
        "portal/rate.html",
        json!({ "invalid": true, "tracking_id": tid, "errors": {} }),
    )?;
    Ok((Status::NotFound, html))
}

/// The rating page: `form` holds the answer to show chosen and the comment.
fn render(
    page: &Page<'_>,
    ticket: &Ticket,
    survey: &Survey,
    form: Value,
    errors: FieldErrors,
) -> Result<Html> {
    page.render(
        "portal/rate.html",
        json!({ "invalid": false, "ticket": ticket, "survey": survey.to_json(),
                "rating_form": form, "errors": errors }),
    )
}

/// The ticket page's rating form: the answer stored, if any.
pub(super) fn form_json(survey: &Survey) -> Value {
    form_values(survey, None, None)
}

/// The form's values: what was asked for (a link's `rating`), else the answer stored.
fn form_values(survey: &Survey, rating: Option<&str>, comment: Option<&str>) -> Value {
    let stored = survey.resolution();
    let rating = rating
        .and_then(csat::Rating::parse)
        .or_else(|| stored.and_then(|r| r.rating));
    json!({
        "rating": rating,
        "comment": comment.map(str::to_string).or_else(|| stored.map(|r| r.comment.clone())),
        "resolution": stored.map(|r| r.number),
    })
}

#[get("/tickets/<tid>/rate?<rating>&<resolution>&<token>")]
async fn rate_page(
    page: Page<'_>,
    app: &State<App>,
    cookies: &CookieJar<'_>,
    tid: &str,
    rating: Option<&str>,
    resolution: Option<i64>,
    token: Option<&str>,
) -> Result<(Status, Html)> {
    let Some(mut ticket) = super::accessible(app, cookies, tid, token).await? else {
        return invalid_link(&page, tid);
    };
    let refdata = app.refdata(page.lang).await?;
    refdata.decorate(&mut ticket);
    let survey = survey_of(app, &ticket, page.now).await?;
    // A link says which resolution it was sent for: after a reopening, an old mail's link must
    // not answer for the new resolution.
    let mut errors = FieldErrors::new();
    if let (Survey::Open(r), Some(n)) = (&survey, resolution)
        && r.number != n
    {
        errors.add("survey", "csat_error_other_resolution");
    }
    let form = form_values(&survey, rating, None);
    Ok((Status::Ok, render(&page, &ticket, &survey, form, errors)?))
}

#[derive(FromForm)]
struct RateForm {
    #[field(default = String::new())]
    csrf_token: String,
    #[field(default = String::new())]
    rating: String,
    #[field(default = String::new())]
    comment: String,
    /// The resolution (its number) the form was shown for.
    resolution: Option<i64>,
    /// The ticket's secret, for a browser that kept no cookie from the link.
    token: Option<String>,
}

impl CsrfForm for RateForm {
    fn csrf_token(&self) -> &str {
        &self.csrf_token
    }
}

#[post("/tickets/<tid>/rate", data = "<form>")]
async fn rate(
    page: Page<'_>,
    app: &State<App>,
    cookies: &CookieJar<'_>,
    tid: &str,
    form: Checked<RateForm>,
) -> PageResult {
    let form = form.0;
    let Some(mut ticket) = super::accessible(app, cookies, tid, form.token.as_deref()).await?
    else {
        return Ok(Answer::from(invalid_link(&page, tid)?));
    };
    let draft = Draft {
        rating: form.rating.clone(),
        comment: form.comment.clone(),
        resolution: form.resolution,
    };
    let actor = Actor::requester(&ticket.requester_name);
    let (id, ctx) = (ticket.id, Ctx::new(app.mail_ctx(), now()));
    // Checked and saved in one transaction: what is refused is exactly what is not saved.
    let outcome = app
        .db
        .write(move |c| match csat::check(c, id, &draft, ctx.now)? {
            Err(errors) => Ok(Err(errors)),
            Ok(answer) => {
                let changed = answer.resolution.rating.is_some();
                Desk::new(c, &ctx).rate(&actor, id, &draft)?;
                Ok(Ok(changed))
            }
        })
        .await?;
    match outcome {
        Ok(changed) => {
            let flash = if changed {
                "csat_flash_changed"
            } else {
                "csat_flash_saved"
            };
            Ok(Answer::from(Flash::success(
                Redirect::to(format!("/tickets/{}#rating", ticket.tracking_id)),
                flash,
            )))
        }
        Err(errors) => {
            let refdata = app.refdata(page.lang).await?;
            refdata.decorate(&mut ticket);
            let survey = survey_of(app, &ticket, page.now).await?;
            let values = form_values(&survey, Some(&form.rating), Some(&form.comment));
            let html = render(&page, &ticket, &survey, values, errors)?;
            Ok(Answer::from((Status::UnprocessableEntity, html)))
        }
    }
}
