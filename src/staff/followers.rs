//! The staff ticket page's followers, mentions and time spent: follow and unfollow, the list of
//! staff a note may mention (for `static/mentions.js`), correcting one's own time entry, and
//! what the page shows of all that (`page_extras`).

use rocket::form::FromForm;
use rocket::response::{Flash, Redirect};
use rocket::serde::json::Json;
use rocket::{Route, State, get, post, routes};
use serde_json::{Value, json};

use super::Draft;
use crate::auth::StaffUser;
use crate::db::now;
use crate::error::{Error, FieldErrors, Result};
use crate::tickets::{self, collision, followers, time_spent};
use crate::web::csrf::{Checked, CsrfForm, TokenOnly};
use crate::web::{Answer, App, Page, PageResult};

/// What the ticket page shows of followers and time spent, for `staff` (also part of what a
/// kept page was made from, so following or entering time renders it afresh).
pub(super) fn page_extras(
    c: &rusqlite::Connection,
    ticket_id: i64,
    staff_id: i64,
) -> Result<Value> {
    let all = followers::list(c, ticket_id)?;
    let staff: Vec<&str> = all
        .iter()
        .filter(|f| f.staff_id.is_some())
        .map(|f| f.name.as_str())
        .collect();
    let ccs: Vec<&str> = all
        .iter()
        .filter(|f| f.kind == followers::Kind::Cc)
        .filter_map(|f| f.email.as_deref())
        .collect();
    let entries: Vec<Value> = time_spent::entries(c, ticket_id)?
        .into_iter()
        .map(|e| {
            json!({ "id": e.id, "staff_name": e.staff_name, "minutes": e.minutes,
                    "created_at": e.created_at, "mine": e.staff_id == staff_id,
                    "message_id": e.message_id })
        })
        .collect();
    Ok(json!({
        "following": followers::is_following(c, ticket_id, staff_id)?,
        "staff_followers": staff, "ccs": ccs,
        "time_total": time_spent::total(c, ticket_id)?, "time_entries": entries,
        "seen_at": collision::latest_message(c, ticket_id)?,
    }))
}

/// The ticket, if this staff member may see it.
fn visible(c: &rusqlite::Connection, staff: &StaffUser, id: i64) -> Result<tickets::Ticket> {
    tickets::get(c, id)?
        .filter(|t| staff.access.allows(t.category_id))
        .ok_or(Error::NotFound)
}

async fn set_following(
    staff: StaffUser,
    app: &App,
    id: i64,
    follow: bool,
) -> Result<Flash<Redirect>> {
    let at = now();
    app.db
        .write(move |c| {
            visible(c, &staff, id)?;
            if follow {
                followers::follow(c, id, staff.id, at)
            } else {
                followers::unfollow(c, id, staff.id)
            }
        })
        .await?;
    let msg = if follow {
        "flash_following"
    } else {
        "flash_unfollowed"
    };
    Ok(Flash::success(
        Redirect::to(format!("/staff/tickets/{id}")),
        msg,
    ))
}

#[post("/tickets/<id>/follow", data = "<_form>")]
async fn follow(
    staff: StaffUser,
    app: &State<App>,
    id: i64,
    _form: Checked<TokenOnly>,
) -> Result<Flash<Redirect>> {
    set_following(staff, app, id, true).await
}

#[post("/tickets/<id>/unfollow", data = "<_form>")]
async fn unfollow(
    staff: StaffUser,
    app: &State<App>,
    id: i64,
    _form: Checked<TokenOnly>,
) -> Result<Flash<Redirect>> {
    set_following(staff, app, id, false).await
}

/// The staff a note on this ticket may mention: active, working its category. `handle` is what
/// to type after `@`.
#[get("/tickets/<id>/mentions")]
async fn mentions(staff: StaffUser, app: &State<App>, id: i64) -> Result<Json<Value>> {
    let people = app
        .db
        .read(move |c| {
            let ticket = visible(c, &staff, id)?;
            followers::mentionable(c, ticket.category_id)
        })
        .await?;
    let list: Vec<Value> = people
        .into_iter()
        .map(|p| json!({ "name": p.name, "handle": p.handle }))
        .collect();
    Ok(Json(Value::Array(list)))
}

#[derive(FromForm)]
struct TimeForm {
    #[field(default = String::new())]
    csrf_token: String,
    #[field(default = String::new())]
    minutes: String,
}

impl CsrfForm for TimeForm {
    fn csrf_token(&self) -> &str {
        &self.csrf_token
    }
}

/// Corrects a time entry; only its author may. A bad value shows the page again with the error
/// next to that entry's field and the value typed.
#[post("/tickets/<id>/time/<entry>", data = "<form>")]
async fn edit_time(
    staff: StaffUser,
    page: Page<'_>,
    app: &State<App>,
    id: i64,
    entry: i64,
    form: Checked<TimeForm>,
) -> PageResult {
    let form = form.0;
    let mut errors = FieldErrors::new();
    let minutes = time_spent::parse_minutes(&form.minutes, "time_edit", &mut errors);
    let Some(minutes) = minutes.filter(|_| errors.is_empty()) else {
        if errors.is_empty() {
            errors.add("time_edit", time_spent::ERROR_MINUTES);
        }
        let draft = Draft {
            form: json!({ "time_entry": entry, "time_minutes": form.minutes }),
            errors,
        };
        return Ok(Answer::from(
            super::render_ticket(&page, app, &staff, id, Some(draft)).await?,
        ));
    };
    let (me, at) = (staff.clone(), now());
    app.db
        .write(move |c| {
            visible(c, &me, id)?;
            time_spent::edit(c, id, entry, me.id, minutes, at)
        })
        .await?;
    Ok(Answer::from(Flash::success(
        Redirect::to(format!("/staff/tickets/{id}#time-spent")),
        "flash_time_saved",
    )))
}

pub fn routes() -> Vec<Route> {
    routes![follow, unfollow, mentions, edit_time]
}
