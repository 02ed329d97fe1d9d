//! The desk's side of live conversations: a ticket's event stream (same access as the ticket
//! page, per category), the desk's stream of new chats (which also makes the agent count as
//! online for "Chat now"), and the agent's "typing" signal for the requester's page.

use rocket::http::Status;
use rocket::response::stream::EventStream;
use rocket::{Route, Shutdown, State, get, post, routes};

use crate::auth::StaffUser;
use crate::error::{Error, Result};
use crate::live::Audience;
use crate::tickets;
use crate::web::App;
use crate::web::csrf::{Checked, TokenOnly};
use crate::web::live::{LastEventId, Start, Viewer, desk_stream, heartbeat, ticket_stream};

/// The ticket's id when `staff` may see it (the ticket page's rule), else 404.
async fn visible(app: &App, staff: &StaffUser, id: i64) -> Result<i64> {
    let access = staff.access.clone();
    app.db
        .read_quick(move |c| {
            Ok(tickets::get(c, id)?
                .filter(|t| access.allows(t.category_id))
                .map(|t| t.id))
        })
        .await?
        .ok_or(Error::NotFound)
}

#[get("/tickets/<id>/events?<since>")]
async fn ticket_events(
    staff: StaffUser,
    app: &State<App>,
    id: i64,
    since: Option<i64>,
    last: LastEventId,
    shutdown: Shutdown,
) -> Result<EventStream![]> {
    let id = visible(app, &staff, id).await?;
    Ok(ticket_stream(
        heartbeat(&app.config),
        app.db.clone(),
        app.live.clone(),
        id,
        Viewer::Staff,
        Start::of(&last, since),
        shutdown,
    ))
}

/// New chats for this agent's categories; open on every desk page (`static/live.js`).
#[get("/events")]
fn desk_events(
    staff: StaffUser,
    app: &State<App>,
    last: LastEventId,
    shutdown: Shutdown,
) -> EventStream![] {
    let access = staff.access.clone();
    desk_stream(
        heartbeat(&app.config),
        app.db.clone(),
        app.live.clone(),
        staff.id,
        move |category| access.allows(category),
        last.0,
        shutdown,
    )
}

/// The agent is typing a reply: the requester's page shows it (nothing stored).
#[post("/tickets/<id>/typing", data = "<_form>")]
async fn typing(
    staff: StaffUser,
    app: &State<App>,
    id: i64,
    _form: Checked<TokenOnly>,
) -> Result<Status> {
    let id = visible(app, &staff, id).await?;
    app.live.typing(id, Audience::Requester, &staff.name);
    Ok(Status::NoContent)
}

pub fn routes() -> Vec<Route> {
    routes![ticket_events, desk_events, typing]
}
