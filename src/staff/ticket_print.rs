//! The staff's print view of a ticket (`/staff/tickets/ID/print`): the conversation without
//! internal notes, or with them on `?notes=1`, laid out for A4 (`templates/print/ticket.html`).

use rocket::{State, get};
use serde_json::json;

use crate::auth::StaffUser;
use crate::error::{Error, Result};
use crate::tickets;
use crate::web::{App, Html, Page};

#[get("/tickets/<id>/print?<notes>")]
pub async fn print(
    staff: StaffUser,
    page: Page<'_>,
    app: &State<App>,
    id: i64,
    notes: Option<u8>,
) -> Result<Html> {
    let notes = notes == Some(1);
    let access = staff.access.clone();
    let (mut ticket, messages) = app
        .db
        .read(move |c| {
            let ticket = tickets::get(c, id)?
                .filter(|t| access.allows(t.category_id))
                .ok_or(Error::NotFound)?;
            Ok((ticket, tickets::messages(c, id, notes)?))
        })
        .await?;
    let refdata = app.refdata(page.lang).await?;
    refdata.decorate(&mut ticket);
    let back = format!("/staff/tickets/{id}");
    page.render(
        "print/ticket.html",
        json!({ "ticket": ticket, "messages": messages, "notes": notes, "for_staff": true,
                "back": back, "self_path": format!("{back}/print") }),
    )
}
