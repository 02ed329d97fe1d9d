//! Bulk actions from the staff list (`POST /staff/tickets/bulk`): the selected tickets (or "all
//! N matching this filter") get the same changes, each ticket in its own transaction. A few are
//! done in the request; more become a background job whose progress and failures are at
//! `/staff/bulk/<id>`. A bad choice changes nothing and says why; a ticket that cannot be
//! changed (gone, no access, refused) is listed with its reason while the others change.

use rocket::form::FromForm;
use rocket::http::Status;
use rocket::response::{Flash, Redirect};
use rocket::{Route, State, get, post, routes};
use serde_json::{Value, json};

use crate::auth::StaffUser;
use crate::db::now;
use crate::error::{Error, Result};
use crate::tickets::bulk::{self, BulkAction, Failure, IN_REQUEST, MAX_TICKETS};
use crate::tickets::{RefData, normalize_tracking_id, tags};
use crate::web::csrf::{Checked, CsrfForm};
use crate::web::{Answer, App, ClientIp, Html, Page, PageResult};

#[derive(FromForm, serde::Serialize)]
struct BulkForm {
    #[field(default = String::new())]
    #[serde(skip)]
    csrf_token: String,
    /// Ticket ids, as ticked.
    ids: Vec<String>,
    /// Empty: leave as is.
    #[field(default = String::new())]
    status: String,
    #[field(default = String::new())]
    priority: String,
    #[field(default = String::new())]
    category: String,
    /// Empty: leave as is; `none`: unassign.
    #[field(default = String::new())]
    assignee: String,
    #[field(default = String::new())]
    add_tag: String,
    #[field(default = String::new())]
    remove_tag: String,
    #[field(default = String::new())]
    merge_into: String,
    /// Takes the tickets out of the desk: `spam`, `spam_ban` (and ban each requester's address)
    /// or `delete` (admins only, after a confirmation); empty: neither.
    #[field(default = String::new())]
    take_out: String,
    /// Every ticket the list's filter shows, not just the ticked ones.
    #[field(default = false)]
    all_matching: bool,
    /// The list's filter as its query string.
    #[field(default = String::new())]
    filter: String,
    /// Set by the confirmation page of a merge.
    #[field(default = false)]
    confirm: bool,
}

impl CsrfForm for BulkForm {
    fn csrf_token(&self) -> &str {
        &self.csrf_token
    }
}

/// One of the form's id choices: empty = none; else one `valid` takes.
fn pick(raw: &str, valid: impl Fn(i64) -> bool) -> std::result::Result<Option<i64>, &'static str> {
    let raw = raw.trim();
    if raw.is_empty() {
        return Ok(None);
    }
    match raw.parse::<i64>() {
        Ok(id) if valid(id) => Ok(Some(id)),
        _ => Err("bulk_error_bad_value"),
    }
}

fn optional_tag(raw: &str) -> std::result::Result<Option<String>, &'static str> {
    if raw.trim().is_empty() {
        Ok(None)
    } else {
        tags::normalize(raw).map(Some)
    }
}

/// The action the form asks for, or the i18n key of its first problem.
fn action_of(
    form: &BulkForm,
    refdata: &RefData,
    staff: &StaffUser,
) -> std::result::Result<BulkAction, &'static str> {
    let assignee = match form.assignee.trim() {
        "" => None,
        "none" => Some(None),
        raw => Some(pick(raw, |id| refdata.agent(id).is_some_and(|a| a.active))?),
    };
    let merge_into = match form.merge_into.trim() {
        "" => None,
        raw => Some(normalize_tracking_id(raw).ok_or("merge_error_unknown")?),
    };
    let (spam, delete) = match form.take_out.trim() {
        "" => (None, false),
        "spam" => (Some(false), false),
        "spam_ban" => (Some(true), false),
        "delete" if staff.is_admin => (None, true),
        "delete" => return Err("bulk_error_delete_admins"),
        _ => return Err("bulk_error_bad_value"),
    };
    let action = BulkAction {
        status: pick(&form.status, |id| {
            refdata.statuses.iter().any(|s| s.id == id)
        })?,
        priority: pick(&form.priority, |id| {
            refdata.priorities.iter().any(|p| p.id == id)
        })?,
        category: pick(&form.category, |id| {
            refdata
                .categories
                .iter()
                .any(|c| c.id == id && c.active && staff.access.allows(id))
        })?,
        assignee,
        add_tag: optional_tag(&form.add_tag)?,
        remove_tag: optional_tag(&form.remove_tag)?,
        merge_into,
        spam: None,
        delete: false,
    };
    if action.is_empty() && spam.is_none() && !delete {
        return Err("bulk_error_no_action");
    }
    // Spam and deletion take the tickets out of the desk: changing them too would mean nothing.
    if (spam.is_some() || delete) && !action.is_empty() {
        return Err("bulk_error_take_out_alone");
    }
    let action = BulkAction {
        spam,
        delete,
        ..action
    };
    Ok(action)
}

/// The list's address with the filter the form came from (only query-string characters kept).
fn list_url(filter: &str) -> String {
    let qs: String = filter
        .chars()
        .filter(|c| c.is_ascii_alphanumeric() || "&=%_.+-~".contains(*c))
        .collect();
    format!("/staff/tickets?{qs}")
}

fn refusal(page: &Page<'_>, form: &BulkForm, key: &str) -> PageResult {
    refusal_text(page, form, &page.t(key))
}

fn refusal_text(page: &Page<'_>, form: &BulkForm, text: &str) -> PageResult {
    let html = page.render(
        "staff/bulk_result.html",
        json!({ "error": text, "back": list_url(&form.filter) }),
    )?;
    Ok(Answer::from((Status::UnprocessableEntity, html)))
}

/// The ticked ids: numbers, each once; anything else is a ticket that does not exist.
fn ticked(raw: &[String]) -> (Vec<i64>, Vec<Failure>) {
    let mut ids: Vec<i64> = Vec::new();
    let mut bad = Vec::new();
    for value in raw {
        match value.trim().parse::<i64>() {
            Ok(id) if !ids.contains(&id) => ids.push(id),
            Ok(_) => {}
            Err(_) => bad.push(Failure {
                ticket_id: 0,
                tracking_id: Some(value.chars().take(40).collect()),
                reason: "bulk_error_gone".into(),
            }),
        }
    }
    (ids, bad)
}

#[post("/tickets/bulk", data = "<form>")]
async fn bulk_action(
    staff: StaffUser,
    page: Page<'_>,
    app: &State<App>,
    ip: ClientIp,
    form: Checked<BulkForm>,
) -> PageResult {
    let form = form.0;
    let refdata = app.refdata(page.lang).await?;
    let action = match action_of(&form, &refdata, &staff) {
        Ok(action) => action,
        Err(key) => return refusal(&page, &form, key),
    };
    let (mut ids, mut failures) = ticked(&form.ids);
    if form.all_matching {
        let filter = match super::ticket_list::filter_from_query(
            &staff,
            &page.time(),
            &refdata,
            &form.filter,
        ) {
            Ok(filter) => filter,
            Err(name) => {
                let text = page.t("list_error_bad_filter").replace("{name}", &name);
                return refusal_text(&page, &form, &text);
            }
        };
        let (rd, me) = (refdata.clone(), staff.id);
        ids = app
            .db
            .read(move |c| bulk::matching_ids(c, &filter, me, &rd))
            .await?;
        failures.clear();
        if ids.len() > MAX_TICKETS {
            return refusal(&page, &form, "bulk_error_too_many");
        }
    }
    if ids.is_empty() && failures.is_empty() {
        return refusal(&page, &form, "bulk_error_none_selected");
    }
    if let Some(into) = action.merge_into.clone() {
        // The target is checked once, before anything changes.
        let who = super::actor(&staff);
        let target = app
            .db
            .read(move |c| {
                let t = crate::tickets::get_by_tracking_id(c, &into)?
                    .filter(|t| staff_may(c, &who, t.category_id).unwrap_or(false));
                match t {
                    None => Ok(Err("merge_error_unknown")),
                    Some(t) if crate::tickets::store::merged_into(c, t.id)?.is_some() => {
                        Ok(Err("merge_error_into_merged"))
                    }
                    Some(t) => Ok(Ok(t)),
                }
            })
            .await?;
        let target = match target {
            Ok(t) => t,
            Err(key) => return refusal(&page, &form, key),
        };
        if !form.confirm {
            let html = page.render(
                "staff/bulk_confirm.html",
                json!({ "form": form, "count": ids.len(), "target": target }),
            )?;
            return Ok(Answer::from((Status::Ok, html)));
        }
    }
    if action.delete && !form.confirm {
        // Nothing is deleted before the admin has seen how many tickets go, and said so.
        let html = page.render(
            "staff/bulk_delete_confirm.html",
            json!({ "form": form, "count": ids.len() + failures.len() }),
        )?;
        return Ok(Answer::from((Status::Ok, html)));
    }
    if form.all_matching || ids.len() > IN_REQUEST {
        let (me, at) = (staff.id, now());
        let job = app
            .db
            .write(move |c| bulk::create_job(c, me, &action, &ids, at))
            .await?;
        return Ok(Answer::from(Redirect::to(format!("/staff/bulk/{job}"))));
    }
    let who = super::actor(&staff);
    let mail = app.mail_ctx();
    let mut changed = 0;
    let mut refused = Vec::new();
    // Read before a deletion takes them: the failures name tickets by tracking ID.
    let wanted = ids.clone();
    let known = app.db.read(move |c| bulk::tracking_ids(c, &wanted)).await?;
    for id in ids {
        let (who, mail, action, ip) = (who.clone(), mail.clone(), action.clone(), ip.0.clone());
        // One transaction per ticket: a refusal undoes that ticket alone.
        let done = app
            .db
            .write(move |c| bulk::apply_one(c, &mail, &who, id, &action, now(), Some(&ip)))
            .await;
        match done {
            Ok(_) => changed += 1,
            Err(e @ (Error::Internal(_) | Error::StorageFull | Error::ReadOnly)) => return Err(e),
            Err(e) => refused.push((id, bulk::reason(&e))),
        }
    }
    failures.extend(refused.into_iter().map(|(id, reason)| Failure {
        ticket_id: id,
        tracking_id: known.iter().find(|(k, _)| *k == id).map(|(_, t)| t.clone()),
        reason,
    }));
    if failures.is_empty() {
        let key = match (action.delete, action.spam.is_some()) {
            (true, _) => "bulk_done_deleted",
            (_, true) => "bulk_done_spam",
            _ => "bulk_done",
        };
        let text = page.t(key).replace("{n}", &changed.to_string());
        return Ok(Answer::from(Flash::success(
            Redirect::to(list_url(&form.filter)),
            text,
        )));
    }
    let html = page.render(
        "staff/bulk_result.html",
        json!({ "changed": changed, "failures": explained(&page, &failures),
                "back": list_url(&form.filter) }),
    )?;
    Ok(Answer::from((Status::Ok, html)))
}

fn staff_may(c: &rusqlite::Connection, who: &crate::tickets::Actor, category: i64) -> Result<bool> {
    match who.staff_id {
        Some(id) => crate::auth::access::staff_may_see(c, id, category),
        None => Ok(false),
    }
}

/// The failures with their reasons in the viewer's language.
fn explained(page: &Page<'_>, failures: &[Failure]) -> Vec<Value> {
    failures
        .iter()
        .map(|f| {
            let reason = if page.app.i18n.has(&f.reason) {
                page.t(&f.reason)
            } else {
                f.reason.clone()
            };
            json!({ "ticket_id": f.ticket_id, "tracking_id": f.tracking_id, "reason": reason })
        })
        .collect()
}

/// A background bulk job: its progress while it runs, then which tickets failed and why. Only
/// its author (or an admin) sees it.
#[get("/bulk/<id>")]
async fn bulk_job(staff: StaffUser, page: Page<'_>, app: &State<App>, id: i64) -> Result<Html> {
    let job = app
        .db
        .read(move |c| {
            let job = bulk::job(c, id)?.ok_or(Error::NotFound)?;
            let failures = bulk::failures(c, id, 1000)?;
            Ok((job, failures))
        })
        .await?;
    let (job, failures) = job;
    if job.staff_id != staff.id && !staff.is_admin {
        return Err(Error::NotFound);
    }
    page.render(
        "staff/bulk_job.html",
        json!({ "job": job, "failures": explained(&page, &failures), "changed": job.done - job.failed,
                "percent": if job.total > 0 { job.done * 100 / job.total } else { 100 } }),
    )
}

pub(super) fn routes() -> Vec<Route> {
    routes![bulk_action, bulk_job]
}
