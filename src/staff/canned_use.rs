//! Canned replies on a ticket's reply form. Without JavaScript: choose one in the list and press
//! "Insert", and the form comes back with its text (placeholders filled in) added to the reply.
//! With JavaScript (`static/canned.js`): search by title and insert the text at the cursor,
//! from `GET /staff/tickets/<id>/canned/<cid>`. Either way the form then carries `canned_id`,
//! so sending the reply applies the canned reply's field changes in the same action and counts
//! the use.

use rocket::serde::json::Json;
use rocket::{Route, State, get, routes};
use serde::Serialize;
use serde_json::{Value, json};

use crate::auth::StaffUser;
use crate::error::{Error, FieldErrors, Result};
use crate::i18n::Lang;
use crate::tickets::canned::{self, CannedReply};
use crate::tickets::{self, Ticket};
use crate::web::{App, Page};

use super::Draft;

/// A canned reply ready for one ticket: its text rendered, what it changes in words.
#[derive(Debug, Serialize)]
pub struct Prepared {
    pub id: i64,
    pub title: String,
    pub text: String,
    /// Empty when it changes nothing.
    pub changes: String,
    #[serde(skip)]
    pub reply: CannedReply,
}

/// Canned reply `canned_id` as `staff` would use it on ticket `ticket_id`; None when there is
/// no such reply for them (deleted meanwhile, or someone else's).
pub async fn prepare(
    page: &Page<'_>,
    app: &App,
    staff: &StaffUser,
    ticket_id: i64,
    canned_id: i64,
) -> Result<Option<Prepared>> {
    let access = staff.access.clone();
    let (ticket, lang, reply) = app
        .db
        .read(move |c| {
            // Another category's ticket is not found for a limited agent, here too.
            let ticket = tickets::get(c, ticket_id)?
                .filter(|t| access.allows(t.category_id))
                .ok_or(Error::NotFound)?;
            let lang = tickets::store::requester_lang(c, ticket_id)?;
            Ok((ticket, lang, canned::get(c, canned_id)?))
        })
        .await?;
    let Some(reply) = reply.filter(|r| r.visible_to(staff.id)) else {
        return Ok(None);
    };
    Ok(Some(render(page, app, staff, &ticket, &lang, reply).await?))
}

async fn render(
    page: &Page<'_>,
    app: &App,
    staff: &StaffUser,
    ticket: &Ticket,
    requester_lang: &str,
    reply: CannedReply,
) -> Result<Prepared> {
    // The text is for the requester: the ticket's status and priority in their language.
    let theirs = app
        .refdata(Lang::from_code(requester_lang).unwrap_or(page.lang))
        .await?;
    let text = reply.render_for(
        ticket,
        &theirs,
        &staff.name,
        &app.settings().desk_name,
        &app.config.base_url,
    );
    let mine = app.refdata(page.lang).await?;
    Ok(Prepared {
        id: reply.id,
        title: reply.title.clone(),
        text,
        changes: super::canned::changes_summary(page, &mine, &reply),
        reply,
    })
}

/// The form's `canned_id`: the canned reply whose changes a reply applies, or the problem to
/// show next to the list (it was deleted since it was inserted).
pub async fn chosen(
    page: &Page<'_>,
    app: &App,
    staff: &StaffUser,
    ticket_id: i64,
    canned_id: &str,
    errors: &mut FieldErrors,
) -> Result<Option<Prepared>> {
    let canned_id = canned_id.trim();
    if canned_id.is_empty() {
        return Ok(None);
    }
    let found = match canned_id.parse::<i64>() {
        Ok(id) => prepare(page, app, staff, ticket_id, id).await?,
        Err(_) => None,
    };
    if found.is_none() {
        errors.add("canned", "canned_error_gone");
    }
    Ok(found)
}

/// What the reply form shows about the canned reply in use (`form.canned_used`).
pub fn used_json(prepared: &Prepared) -> Value {
    json!({ "id": prepared.id, "title": prepared.title, "changes": prepared.changes })
}

/// The no-JavaScript "Insert": the reply form again (`values`, as it was sent) with the chosen
/// canned reply's text after what was typed and its changes announced, or with the problem of
/// the choice; nothing is sent yet. Files chosen before are not kept (a browser never refills
/// a file field).
pub async fn insert(
    page: &Page<'_>,
    app: &App,
    staff: &StaffUser,
    ticket_id: i64,
    choice: &str,
    message: &str,
    mut values: Value,
) -> Result<Draft> {
    let found = match choice.trim().parse::<i64>() {
        Ok(id) => prepare(page, app, staff, ticket_id, id)
            .await?
            .ok_or("canned_error_gone"),
        Err(_) => Err("canned_error_choose"),
    };
    let prepared = match found {
        Ok(prepared) => prepared,
        Err(key) => {
            return Ok(Draft {
                form: values,
                errors: FieldErrors::one("canned", key),
            });
        }
    };
    let mut text = message.trim_end().to_string();
    if !text.is_empty() {
        text.push_str("\n\n");
    }
    text.push_str(&prepared.text);
    values["message"] = json!(text);
    values["canned_id"] = json!(prepared.id.to_string());
    values["canned_apply"] = json!(true);
    values["canned_used"] = used_json(&prepared);
    Ok(Draft {
        form: values,
        errors: FieldErrors::new(),
    })
}

/// The text of a canned reply for this ticket, for the script that inserts it at the cursor.
#[get("/tickets/<id>/canned/<cid>")]
pub async fn rendered(
    staff: StaffUser,
    page: Page<'_>,
    app: &State<App>,
    id: i64,
    cid: i64,
) -> Result<Json<Prepared>> {
    prepare(&page, app, &staff, id, cid)
        .await?
        .map(Json)
        .ok_or(Error::NotFound)
}

pub fn routes() -> Vec<Route> {
    routes![rendered]
}
