//! The collision warning: who else has a ticket open or is typing a reply, and what changed
//! since the page was opened. The page (`static/presence.js`) POSTs here every ~10 s with its
//! CSRF token; the answer is JSON. The same check guards the reply form without JavaScript
//! (`reply_collision`): a reply is refused while it would answer an older conversation.

use rocket::form::FromForm;
use rocket::serde::json::Json;
use rocket::{Route, State, post, routes};
use serde_json::{Value, json};

use crate::auth::StaffUser;
use crate::error::{Error, Result};
use crate::tickets::{self, collision};
use crate::web::csrf::{Checked, CsrfForm};
use crate::web::{App, Page};

#[derive(FromForm)]
struct Beat {
    #[field(default = String::new())]
    csrf_token: String,
    /// The newest message the page shows (its `seen_at`).
    #[field(default = 0)]
    seen: i64,
    /// When the page was rendered (unix seconds): field changes after it count.
    #[field(default = 0)]
    opened: i64,
    /// A key was pressed in the reply box since the last beat.
    #[field(default = false)]
    typing: bool,
    /// The page is being closed: forget this viewer now.
    #[field(default = false)]
    leaving: bool,
}

impl CsrfForm for Beat {
    fn csrf_token(&self) -> &str {
        &self.csrf_token
    }
}

/// "Ana replied 1 minute ago — review before sending" (or a note, or a field change), in the
/// viewer's language; the time from the page's clock.
pub(super) fn change_text(page: &Page<'_>, change: &collision::Change) -> String {
    let key = match change.what.as_str() {
        "reply" => "collision_replied",
        "note" => "collision_noted",
        "requester" => "collision_requester",
        _ => "collision_changed",
    };
    let field_key = format!("field_{}", change.what);
    page.t(key)
        .replace("{name}", &change.by)
        .replace("{ago}", &page.time().relative(change.at))
        .replace("{field}", &page.t(&field_key).to_lowercase())
}

#[post("/tickets/<id>/presence", data = "<form>")]
async fn presence(
    staff: StaffUser,
    page: Page<'_>,
    app: &State<App>,
    id: i64,
    form: Checked<Beat>,
) -> Result<Json<Value>> {
    let beat = form.0;
    let (access, me) = (staff.access.clone(), staff.id);
    let change = app
        .db
        .read_quick(move |c| {
            let ticket = tickets::get(c, id)?
                .filter(|t| access.allows(t.category_id))
                .ok_or(Error::NotFound)?;
            let change = collision::newer_change(c, id, beat.seen, beat.opened, me)?;
            Ok((ticket.updated_at, change))
        })
        .await?;
    if beat.leaving {
        app.presence.leave(id, staff.id);
        return Ok(Json(json!({})));
    }
    let others = app
        .presence
        .beat(id, staff.id, &staff.name, beat.typing, page.now);
    let (updated_at, change) = change;
    let change = change.map(|c| {
        json!({ "by": c.by, "what": c.what, "at": c.at,
                                        "text": change_text(&page, &c) })
    });
    Ok(Json(json!({
        "viewers": others.viewers, "typing": others.typing,
        "updated_at": updated_at, "change": change,
    })))
}

/// The newer message a reply would ignore: the one after `seen_at` (the newest message the
/// agent's page showed) by somebody else, as the warning to show; None when there is none or
/// `seen_at` is missing (an old page, a client without it).
pub(super) async fn reply_collision(
    page: &Page<'_>,
    app: &App,
    staff: &StaffUser,
    id: i64,
    seen_at: &str,
) -> Result<Option<String>> {
    let Ok(seen) = seen_at.trim().parse::<i64>() else {
        return Ok(None);
    };
    let me = staff.id;
    let newer = app
        .db
        .read_quick(move |c| collision::newer_message(c, id, seen, me))
        .await?;
    Ok(newer.map(|c| change_text(page, &c)))
}

pub fn routes() -> Vec<Route> {
    routes![presence]
}
