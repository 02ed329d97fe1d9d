//! The triage card of a staff ticket page: what the model predicted for the ticket (category,
//! priority, assignee, each with its confidence), and one click to accept it, a normal ticket
//! update through `workflow::Desk` (its history records who changed what).

use rocket::response::{Flash, Redirect};
use rocket::{Route, State, post, routes};
use serde_json::{Value, json};

use crate::auth::StaffUser;
use crate::db::now;
use crate::error::{Error, Result};
use crate::tickets::{Actor, RefData, Ticket};
use crate::triage::store::Suggestion;
use crate::web::App;
use crate::web::csrf::{Checked, TokenOnly};
use crate::workflow::{Ctx, Desk};

pub fn routes() -> Vec<Route> {
    routes![accept]
}

fn percent(confidence: f64) -> i64 {
    (confidence * 100.0).round() as i64
}

/// The card's data; null when the ticket has no prediction (triage off, or no model).
pub fn card(refdata: &RefData, ticket: &Ticket, suggestion: Option<&Suggestion>) -> Value {
    let Some(s) = suggestion else {
        return Value::Null;
    };
    let category = s.category_id.and_then(|id| refdata.category(id));
    let priority = s.priority_id.and_then(|id| refdata.priority(id));
    let assignee = s.assignee_id.and_then(|id| refdata.agent(id));
    let differs = s.category_id.is_some_and(|c| c != ticket.category_id)
        || s.priority_id.is_some_and(|p| p != ticket.priority_id)
        || (s.assignee_id.is_some() && s.assignee_id != ticket.assignee_id);
    json!({
        "category": category.map(|c| c.label.clone()),
        "category_pct": percent(s.category_confidence),
        "priority": priority.map(|p| p.label.clone()),
        "priority_pct": percent(s.priority_confidence),
        "assignee": assignee.map(|a| a.name.clone()),
        "assignee_pct": percent(s.assignee_confidence),
        "applied": s.applied,
        "differs": differs,
    })
}

/// Accepts the prediction: the ticket takes its category, priority and (when they work that
/// category) assignee.
#[post("/tickets/<id>/triage/accept", data = "<_form>")]
async fn accept(
    staff: StaffUser,
    app: &State<App>,
    id: i64,
    _form: Checked<TokenOnly>,
) -> Result<Flash<Redirect>> {
    let actor = Actor::staff(staff.id, &staff.name);
    let ctx = Ctx::new(app.mail_ctx(), now());
    let changed = app
        .db
        .write(move |c| {
            let changes = crate::triage::accept_changes(c, id)?.ok_or(Error::NotFound)?;
            Ok(!Desk::new(c, &ctx).update(&actor, id, &changes)?.is_empty())
        })
        .await?;
    let key = if changed {
        "flash_triage_accepted"
    } else {
        "flash_nothing_changed"
    };
    Ok(Flash::success(
        Redirect::to(format!("/staff/tickets/{id}")),
        key,
    ))
}
