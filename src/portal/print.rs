//! The portal's print view of a ticket: the conversation the requester sees (never internal
//! notes), laid out for A4 (`templates/print/ticket.html`).

use rocket::http::CookieJar;
use rocket::{Route, State, get, routes};
use serde_json::json;

use crate::error::{Error, Result};
use crate::tickets;
use crate::web::{App, Html, Page};

#[get("/tickets/<tid>/print")]
async fn print(
    page: Page<'_>,
    app: &State<App>,
    cookies: &CookieJar<'_>,
    tid: &str,
) -> Result<Html> {
    let Some(mut ticket) = super::accessible(app, cookies, tid, None).await? else {
        return Err(Error::NotFound);
    };
    let refdata = app.refdata(page.lang).await?;
    refdata.decorate(&mut ticket);
    let id = ticket.id;
    let messages = app
        .db
        .read(move |c| tickets::messages(c, id, false))
        .await?;
    let back = format!("/tickets/{}", ticket.tracking_id);
    page.render(
        "print/ticket.html",
        json!({ "ticket": ticket, "messages": messages, "notes": false, "for_staff": false,
                "back": back, "self_path": format!("{back}/print") }),
    )
}

pub fn routes() -> Vec<Route> {
    routes![print]
}
