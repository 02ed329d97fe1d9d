//! Similar solved tickets on the staff ticket page (`tickets::similar`). The ticket page itself
//! only holds a placeholder (`templates/staff/ticket_parts/similar.html`): `static/similar.js`
//! fetches the list from `/staff/tickets/<id>/similar?part=1` after the page is shown, so the
//! page does not wait for the search; without JavaScript the placeholder links to the same list
//! as a page of its own. "Use this reply" opens the ticket page with that reply in the reply box
//! (`/staff/tickets/<id>?reuse=<message id>`); with JavaScript it fills the box in place.

use rocket::{Route, State, get, routes};
use serde_json::{Value, json};

use crate::auth::StaffUser;
use crate::error::{Error, FieldErrors, Result};
use crate::tickets::similar::{self, Similar};
use crate::tickets::{self, RefData};
use crate::web::{App, Html, Page};

use super::Draft;

/// The list alone (`part=1`, for the script) or as a page.
#[get("/tickets/<id>/similar?<part>")]
async fn similar_tickets(
    staff: StaffUser,
    page: Page<'_>,
    app: &State<App>,
    id: i64,
    part: Option<u8>,
) -> Result<Html> {
    let access = staff.access.clone();
    let (ticket, found) = app
        .db
        .read(move |c| {
            // Another category's ticket is not found for a limited agent, here too.
            let ticket = tickets::get(c, id)?
                .filter(|t| access.allows(t.category_id))
                .ok_or(Error::NotFound)?;
            Ok((ticket, similar::for_ticket(c, id, &access)?))
        })
        .await?;
    let refdata = app.refdata(page.lang).await?;
    let data = json!({
        "ticket_id": id,
        "ticket": { "id": ticket.id, "subject": ticket.subject, "tracking_id": ticket.tracking_id },
        "similar": found.iter().map(|s| item(&refdata, s)).collect::<Vec<_>>(),
    });
    if part == Some(1) {
        page.render("staff/ticket_parts/similar_list.html", data)
    } else {
        page.render("staff/similar.html", data)
    }
}

/// One similar ticket as the list shows it: its category and status by name.
fn item(refdata: &RefData, s: &Similar) -> Value {
    let status = refdata.status(s.status_id);
    json!({
        "id": s.id,
        "tracking_id": s.tracking_id,
        "subject": s.subject,
        "category": refdata.category(s.category_id).map(|c| c.label.as_str()).unwrap_or(""),
        "status": status.map(|st| st.label.as_str()).unwrap_or(""),
        "status_slug": status.and_then(|st| st.slug.as_deref()).unwrap_or(""),
        "status_color": status.map(|st| st.color.as_str()).unwrap_or("gray"),
        "lang": s.lang,
        "resolved_at": s.resolved_at,
        "reply": s.reply,
    })
}

/// The ticket page's reply form with staff reply `message_id` in it (`?reuse=`), or with the
/// problem next to the reply box when that reply is gone or its ticket is not the agent's to see.
pub async fn reuse_draft(app: &App, staff: &StaffUser, message_id: i64) -> Result<Draft> {
    let access = staff.access.clone();
    let text = app
        .db
        .read_quick(move |c| similar::reusable_reply(c, message_id, &access))
        .await?;
    Ok(match text {
        Some(text) => Draft {
            form: json!({ "message": text }),
            errors: FieldErrors::new(),
        },
        None => Draft {
            form: json!({}),
            errors: FieldErrors::one("message", "similar_error_gone"),
        },
    })
}

pub fn routes() -> Vec<Route> {
    routes![similar_tickets]
}
