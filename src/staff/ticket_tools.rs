//! The power tools on a staff ticket page: merge (with its confirmation step), "related to"
//! links and tags, each form a ticket action through `workflow::Desk`. A refusal comes back as
//! an error message on the ticket page, and changes nothing.

use rocket::form::FromForm;
use rocket::http::Status;
use rocket::response::{Flash, Redirect};
use rocket::serde::json::Json;
use rocket::{Route, State, get, post, routes};
use serde_json::{Value, json};

use crate::auth::StaffUser;
use crate::db::now;
use crate::error::{Error, Result};
use crate::tickets::{self, RefData, links, store, tags};
use crate::web::csrf::{Checked, CsrfForm};
use crate::web::{Answer, App, Page, PageResult};
use crate::workflow::{Ctx, Desk};

/// Tag names offered for autocompletion on a page (a `<datalist>`).
pub(super) const OFFERED_TAGS: i64 = 500;

/// What the tools' part of the ticket page shows.
pub(super) fn load(
    c: &rusqlite::Connection,
    id: i64,
    access: &crate::auth::access::Access,
) -> Result<Value> {
    let linked: Vec<Value> = links::of_ticket(c, id)?
        .into_iter()
        .filter(|l| access.allows(l.category_id))
        .map(|l| json!({ "id": l.id, "tracking_id": l.tracking_id, "subject": l.subject, "status_id": l.status_id }))
        .collect();
    let all_tags = tags::starting_with(c, "", OFFERED_TAGS)?;
    Ok(json!({
        "tags": tags::of_ticket(c, id)?
            .into_iter()
            .map(|name| json!({ "q": crate::util::url_encode(&name), "name": name }))
            .collect::<Vec<_>>(),
        "links": linked,
        // The requesters and CC addresses following it (staff followers have their own card).
        "followers": crate::tickets::followers::list(c, id)?
            .into_iter()
            .filter(|f| f.staff_id.is_none())
            .collect::<Vec<_>>(),
        "merged_here": store::merged_here(c, id)?,
        "all_tags": all_tags,
    }))
}

/// Labels the linked tickets' statuses in the viewer's language.
pub(super) fn label(tools: &mut Value, refdata: &RefData) {
    if let Some(list) = tools.get_mut("links").and_then(Value::as_array_mut) {
        for l in list {
            let status = l["status_id"]
                .as_i64()
                .and_then(|s| refdata.statuses.iter().find(|x| x.id == s))
                .map(|s| s.label.clone());
            l["status"] = json!(status);
        }
    }
}

fn back(id: i64) -> Redirect {
    Redirect::to(format!("/staff/tickets/{id}"))
}

/// The ticket page with `key`'s message as an error (a refused tool), or the desk's own.
fn refused(page: &Page<'_>, id: i64, e: Error) -> Result<Flash<Redirect>> {
    match e {
        Error::BadRequest(key) => {
            let text = if page.app.i18n.has(&key) {
                page.t(&key)
            } else {
                key
            };
            Ok(Flash::error(back(id), text))
        }
        other => Err(other),
    }
}

#[derive(FromForm)]
struct MergeForm {
    #[field(default = String::new())]
    csrf_token: String,
    #[field(default = String::new())]
    into: String,
    /// Set by the confirmation page: merge now.
    #[field(default = false)]
    confirm: bool,
}

impl CsrfForm for MergeForm {
    fn csrf_token(&self) -> &str {
        &self.csrf_token
    }
}

/// A ticket as the confirmation page shows it: subject, tracking ID, messages and files.
fn side(c: &rusqlite::Connection, t: &tickets::Ticket) -> Result<Value> {
    Ok(json!({
        "id": t.id, "tracking_id": t.tracking_id, "subject": t.subject,
        "requester_name": t.requester_name, "requester_email": t.requester_email,
        "messages": t.message_count, "attachments": store::attachment_count(c, t.id)?,
    }))
}

/// Merge this ticket into the one named by `into`: first a confirmation page with both
/// tickets, then (with `confirm`) the merge, which ends on the surviving ticket.
#[post("/tickets/<id>/merge", data = "<form>")]
async fn merge(
    staff: StaffUser,
    page: Page<'_>,
    app: &State<App>,
    id: i64,
    form: Checked<MergeForm>,
) -> PageResult {
    let form = form.0;
    let who = super::actor(&staff);
    let into = form.into.trim().to_string();
    if !form.confirm {
        let (actor, target) = (who.clone(), into.clone());
        let plan = app
            .db
            .read(
                move |c| match tickets::actions::merge_plan(c, &actor, id, &target)? {
                    Ok((source, target)) => Ok(Ok((side(c, &source)?, side(c, &target)?))),
                    Err(key) => Ok(Err(key)),
                },
            )
            .await?;
        return match plan {
            Ok((source, target)) => {
                let html = page.render(
                    "staff/merge_confirm.html",
                    json!({ "source": source, "target": target, "into": into }),
                )?;
                Ok(Answer::from((Status::Ok, html)))
            }
            Err(key) => Ok(Answer::from(refused(
                &page,
                id,
                Error::BadRequest(key.into()),
            )?)),
        };
    }
    let ctx = Ctx::new(app.mail_ctx(), now());
    let done = app
        .db
        .write(move |c| {
            Desk::new(c, &ctx).merge(&who, id, &into)?;
            Ok(store::merged_into(c, id)?.map(|(survivor, _)| survivor))
        })
        .await;
    match done {
        Ok(Some(survivor)) => Ok(Answer::from(Flash::success(
            back(survivor),
            page.t("merge_done"),
        ))),
        Ok(None) => Err(Error::internal("the merge left no pointer")),
        Err(e) => Ok(Answer::from(refused(&page, id, e)?)),
    }
}

#[derive(FromForm)]
struct LinkForm {
    #[field(default = String::new())]
    csrf_token: String,
    #[field(default = String::new())]
    tracking_id: String,
}

impl CsrfForm for LinkForm {
    fn csrf_token(&self) -> &str {
        &self.csrf_token
    }
}

#[post("/tickets/<id>/links", data = "<form>")]
async fn add_link(
    staff: StaffUser,
    page: Page<'_>,
    app: &State<App>,
    id: i64,
    form: Checked<LinkForm>,
) -> Result<Flash<Redirect>> {
    let (who, other) = (super::actor(&staff), form.0.tracking_id);
    let ctx = Ctx::new(app.mail_ctx(), now());
    match app
        .db
        .write(move |c| Desk::new(c, &ctx).link(&who, id, &other))
        .await
    {
        Ok(_) => Ok(Flash::success(back(id), page.t("link_added"))),
        Err(e) => refused(&page, id, e),
    }
}

#[derive(FromForm)]
struct PlainForm {
    #[field(default = String::new())]
    csrf_token: String,
}

impl CsrfForm for PlainForm {
    fn csrf_token(&self) -> &str {
        &self.csrf_token
    }
}

#[post("/tickets/<id>/links/<other>/remove", data = "<_form>")]
async fn remove_link(
    staff: StaffUser,
    page: Page<'_>,
    app: &State<App>,
    id: i64,
    other: i64,
    _form: Checked<PlainForm>,
) -> Result<Flash<Redirect>> {
    let who = super::actor(&staff);
    let ctx = Ctx::new(app.mail_ctx(), now());
    match app
        .db
        .write(move |c| Desk::new(c, &ctx).unlink(&who, id, other))
        .await
    {
        Ok(_) => Ok(Flash::success(back(id), page.t("link_removed"))),
        Err(e) => refused(&page, id, e),
    }
}

#[derive(FromForm)]
struct TagForm {
    #[field(default = String::new())]
    csrf_token: String,
    /// One tag, or several separated by commas.
    #[field(default = String::new())]
    tag: String,
}

impl CsrfForm for TagForm {
    fn csrf_token(&self) -> &str {
        &self.csrf_token
    }
}

/// The tags typed, each checked: all of them, or the first one's problem (nothing is added).
fn typed_tags(input: &str) -> std::result::Result<Vec<String>, &'static str> {
    let names: Vec<&str> = input.split(',').filter(|t| !t.trim().is_empty()).collect();
    if names.is_empty() {
        return Err("tag_error_empty");
    }
    names.into_iter().map(tags::normalize).collect()
}

#[post("/tickets/<id>/tags", data = "<form>")]
async fn add_tags(
    staff: StaffUser,
    page: Page<'_>,
    app: &State<App>,
    id: i64,
    form: Checked<TagForm>,
) -> Result<Flash<Redirect>> {
    let names = match typed_tags(&form.0.tag) {
        Ok(names) => names,
        Err(key) => return refused(&page, id, Error::BadRequest(key.into())),
    };
    let who = super::actor(&staff);
    let ctx = Ctx::new(app.mail_ctx(), now());
    let done = app
        .db
        .write(move |c| {
            let desk = Desk::new(c, &ctx);
            for name in &names {
                desk.tag(&who, id, name)?;
            }
            Ok(())
        })
        .await;
    match done {
        Ok(()) => Ok(Flash::success(back(id), page.t("tag_added"))),
        Err(e) => refused(&page, id, e),
    }
}

#[post("/tickets/<id>/tags/remove", data = "<form>")]
async fn remove_tag(
    staff: StaffUser,
    page: Page<'_>,
    app: &State<App>,
    id: i64,
    form: Checked<TagForm>,
) -> Result<Flash<Redirect>> {
    let (who, name) = (super::actor(&staff), form.0.tag);
    let ctx = Ctx::new(app.mail_ctx(), now());
    match app
        .db
        .write(move |c| Desk::new(c, &ctx).untag(&who, id, &name))
        .await
    {
        Ok(_) => Ok(Flash::success(back(id), page.t("tag_removed"))),
        Err(e) => refused(&page, id, e),
    }
}

/// Tag names starting with `q`, for the tag fields' autocompletion.
#[get("/tags.json?<q>")]
async fn tag_names(
    _staff: StaffUser,
    app: &State<App>,
    q: Option<&str>,
) -> Result<Json<Vec<String>>> {
    let prefix = q
        .map(|q| {
            q.split_whitespace()
                .collect::<Vec<_>>()
                .join(" ")
                .to_lowercase()
        })
        .unwrap_or_default();
    let names = app
        .db
        .read_quick(move |c| tags::starting_with(c, &prefix, 20))
        .await?;
    Ok(Json(names))
}

pub(super) fn routes() -> Vec<Route> {
    routes![
        merge,
        add_link,
        remove_link,
        add_tags,
        remove_tag,
        tag_names
    ]
}
