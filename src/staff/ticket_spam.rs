//! Spam and deletion from the staff ticket page: "Mark as spam" (with "also ban the requester",
//! ticked by default) hides the ticket; an admin deletes one for good after a confirmation
//! page. Both are ticket actions through `workflow::Desk`; a deletion is audited by tracking ID.

use rocket::form::FromForm;
use rocket::response::{Flash, Redirect};
use rocket::{Route, State, get, post, routes};
use serde_json::json;

use crate::auth::{AdminUser, StaffUser};
use crate::db::now;
use crate::error::{Error, Result};
use crate::tickets::{self, Actor, actions::Removed};
use crate::web::csrf::{Checked, CsrfForm, TokenOnly};
use crate::web::{App, ClientIp, Html, Page};
use crate::workflow::{Ctx, Desk};

pub fn routes() -> Vec<Route> {
    routes![mark_spam, not_spam, delete_page, delete]
}

#[derive(FromForm)]
struct SpamForm {
    #[field(default = String::new())]
    csrf_token: String,
    /// Ticked: the requester's address is banned too.
    #[field(default = false)]
    ban: bool,
}

impl CsrfForm for SpamForm {
    fn csrf_token(&self) -> &str {
        &self.csrf_token
    }
}

#[post("/tickets/<id>/spam", data = "<form>")]
async fn mark_spam(
    staff: StaffUser,
    app: &State<App>,
    id: i64,
    form: Checked<SpamForm>,
) -> Result<Flash<Redirect>> {
    let ban = form.0.ban;
    let actor = Actor::staff(staff.id, &staff.name);
    let ctx = Ctx::new(app.mail_ctx(), now());
    app.db
        .write(move |c| Desk::new(c, &ctx).mark_spam(&actor, id, ban))
        .await?;
    let key = if ban {
        "flash_spam_banned"
    } else {
        "flash_spam_marked"
    };
    Ok(Flash::success(Redirect::to("/staff/tickets"), key))
}

#[post("/tickets/<id>/not-spam", data = "<_form>")]
async fn not_spam(
    staff: StaffUser,
    app: &State<App>,
    id: i64,
    _form: Checked<TokenOnly>,
) -> Result<Flash<Redirect>> {
    let actor = Actor::staff(staff.id, &staff.name);
    let ctx = Ctx::new(app.mail_ctx(), now());
    app.db
        .write(move |c| Desk::new(c, &ctx).unmark_spam(&actor, id))
        .await?;
    Ok(Flash::success(
        Redirect::to(format!("/staff/tickets/{id}")),
        "flash_spam_unmarked",
    ))
}

#[get("/tickets/<id>/delete")]
async fn delete_page(admin: AdminUser, page: Page<'_>, app: &State<App>, id: i64) -> Result<Html> {
    let access = admin.0.access.clone();
    let (ticket, (messages, attachments)) = app
        .db
        .read(move |c| {
            let ticket = tickets::get(c, id)?
                .filter(|t| access.allows(t.category_id))
                .ok_or(Error::NotFound)?;
            Ok((ticket, tickets::store::content_counts(c, id)?))
        })
        .await?;
    page.render(
        "staff/ticket_delete.html",
        json!({ "ticket": ticket, "messages": messages, "attachments": attachments }),
    )
}

#[post("/tickets/<id>/delete", data = "<_form>")]
async fn delete(
    admin: AdminUser,
    app: &State<App>,
    ip: ClientIp,
    id: i64,
    _form: Checked<TokenOnly>,
) -> Result<Flash<Redirect>> {
    let staff = admin.0;
    let actor = Actor::staff(staff.id, &staff.name);
    let ctx = Ctx::new(app.mail_ctx(), now());
    app.db
        .write(move |c| {
            let mut removed = Removed::default();
            let events = Desk::new(c, &ctx).delete_ticket(&actor, id, &mut removed)?;
            // Audited by tracking ID alone: the ticket's content is gone on purpose.
            for e in &events {
                if let tickets::What::Deleted { tracking_id } = &e.what {
                    crate::audit::record(
                        c,
                        Some(staff.id),
                        "ticket_deleted",
                        tracking_id,
                        Some(&ip.0),
                    )?;
                }
            }
            Ok(())
        })
        .await?;
    Ok(Flash::success(
        Redirect::to("/staff/tickets"),
        "flash_ticket_deleted",
    ))
}
