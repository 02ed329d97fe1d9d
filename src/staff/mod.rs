//! The agents' desk: its home (`home`), the ticket list, a ticket's page with its actions, and
//! tickets opened on an employee's behalf.

mod api_tokens;
mod bulk;
mod canned;
mod canned_use;
mod followers;
mod home;
mod incidents;
mod list_columns;
mod live;
mod login;
mod login_code;
mod password;
mod prefs;
mod presence;
mod report_charts;
mod report_time;
mod report_view;
mod report_view_charts;
mod reports;
mod similar;
mod ticket_csv;
mod ticket_fields;
mod ticket_history;
mod ticket_list;
mod ticket_print;
mod ticket_sla;
mod ticket_spam;
mod ticket_tools;
mod ticket_triage;
mod ticket_update;
mod ticket_update_fields;
mod two_factor;

use rocket::form::FromForm;
use rocket::http::Status;
use rocket::response::{Flash, Redirect};
use rocket::{Route, State, get, post, routes};
use serde_json::json;

use crate::auth::StaffUser;
use crate::db::now;
use crate::error::FieldErrors;
use crate::error::{Error, Result};
use crate::portal::{TicketForm, form_values};
use crate::tickets::actions::Changes;
use crate::tickets::validate::{self, MAX_NAME, MAX_SUBJECT};
use crate::tickets::{self, Actor, Channel, NewTicket, RefData};
use crate::util::clean;
use crate::web::csrf::{Checked, CsrfForm};
use crate::web::files::Download;
use crate::web::files::checked_uploads;
use crate::web::{Answer, App, Html, Page, PageResult};
use crate::workflow::{Ctx, Desk};

fn actor(staff: &StaffUser) -> Actor {
    Actor::staff(staff.id, &staff.name)
}

async fn refdata(app: &App, page: &Page<'_>) -> Result<std::sync::Arc<RefData>> {
    app.refdata(page.lang).await
}

#[get("/tickets/<id>?<reuse>")]
async fn ticket_page(
    staff: StaffUser,
    page: Page<'_>,
    app: &State<App>,
    id: i64,
    reuse: Option<i64>,
) -> PageResult {
    // Kept from an earlier view, and nothing committed since: nothing to read (a merge would
    // have been a commit). Who else is looking comes by `presence`, not in the page.
    let key = page.ticket_page_key("staff/ticket.html", id);
    if let (None, Some(html)) = (
        reuse,
        page.unchanged_page(&key, &refdata(app, &page).await?, &app.settings()),
    ) {
        return Ok(Answer::from((Status::Ok, html)));
    }
    // A merged ticket's page is the ticket it was merged into.
    let merged = app
        .db
        .read_quick(move |c| tickets::store::merged_into(c, id))
        .await?;
    if let Some((survivor, _)) = merged {
        return Ok(Answer::from(Redirect::to(format!(
            "/staff/tickets/{survivor}"
        ))));
    }
    // `?reuse=<message id>`: a similar solved ticket's reply in the reply box.
    let draft = match reuse {
        Some(message_id) => Some(similar::reuse_draft(app, &staff, message_id).await?),
        None => None,
    };
    let (status, html) = render_ticket(&page, app, &staff, id, draft).await?;
    Ok(Answer::from((status, html)))
}

/// A reply form to show again: what was typed (or inserted from a canned reply) and, for a
/// refused one, its problems.
struct Draft {
    pub(super) form: serde_json::Value,
    pub(super) errors: FieldErrors,
}

/// The staff ticket page, with a `draft` of the reply form to show again if given.
/// A plain view is kept (see `page_cache::KeptPages`); one with a draft never is.
async fn render_ticket(
    page: &Page<'_>,
    app: &App,
    staff: &StaffUser,
    id: i64,
    draft: Option<Draft>,
) -> Result<(Status, Html)> {
    let refdata = refdata(app, page).await?;
    let (lang, me, now) = (page.lang, staff.id, page.now);
    let access = staff.access.clone();
    // The sidebar (the requester's other tickets, popular articles) and the canned replies
    // offered are cheap to load and decide, with the ticket's revision, whether the page kept
    // from last time still holds.
    let (mut ticket, mut history, articles, canned, (sla, extras), (mut tools, triage)) = app
        .db
        .read_quick(move |c| {
            let ticket = tickets::get(c, id)?
                .filter(|t| access.allows(t.category_id))
                .ok_or(Error::NotFound)?;
            let history = tickets::by_requester(c, &ticket.requester_email, id, 10, &access)?;
            let articles = crate::kb::popular_articles(c, lang)?;
            let canned = tickets::canned::offered(c, me, ticket.category_id)?;
            let sla = crate::sla::status::status(c, id, now)?;
            let extras = followers::page_extras(c, id, me)?;
            let tools = ticket_tools::load(c, id, &access)?;
            let triage = crate::triage::store::suggestion(c, id)?;
            Ok((
                ticket,
                history,
                articles,
                canned,
                (sla, extras),
                (tools, triage),
            ))
        })
        .await?;
    // The other tickets by id and revision (their names come with the reference data), the
    // articles by address and title, the canned replies as listed.
    let sidebar = json!([
        history
            .iter()
            .map(|t| (t.id, t.revision))
            .collect::<Vec<_>>(),
        articles
            .iter()
            .map(|a| (&a.slug, &a.title))
            .collect::<Vec<_>>(),
        canned,
        sla,
        extras,
        tools,
        triage,
    ]);
    let settings = app.settings();
    let key = page.ticket_page_key("staff/ticket.html", id);
    let inputs = page.page_inputs(ticket.revision, &refdata, &settings, sidebar);
    if draft.is_none()
        && let Some(html) = page.kept_page(&key, &inputs)
    {
        return Ok((Status::Ok, html));
    }
    // Read after the ticket, so they are at least as new as its revision.
    let (messages, mut events, rating, values) = app
        .db
        .read(move |c| {
            Ok((
                tickets::messages(c, id, true)?,
                tickets::history(c, id)?,
                tickets::csat::for_staff(c, id)?,
                crate::fields::store::values(c, id)?,
            ))
        })
        .await?;
    refdata.label_history(&mut events);
    ticket_tools::label(&mut tools, &refdata);
    let yes_no = (page.t("fields_yes"), page.t("fields_no"));
    crate::fields::label_history(&refdata.fields, &mut events, lang, (&yes_no.0, &yes_no.1));
    refdata.decorate(&mut ticket);
    for t in &mut history {
        refdata.decorate(t);
    }
    let kept = draft.is_none();
    let custom_fields = ticket_fields::card(&refdata, &ticket, &values, lang, draft.as_ref());
    let (status, form, errors) = match draft {
        Some(d) if !d.errors.is_empty() => (Status::UnprocessableEntity, d.form, d.errors),
        Some(d) => (Status::Ok, d.form, d.errors),
        None => (Status::Ok, json!({}), FieldErrors::new()),
    };
    let (chosen, was) = ticket_history::chosen_and_seen(&ticket, &form);
    let history_groups = ticket_history::group(&events, &messages);
    let data = json!({
        "ticket": ticket, "messages": messages, "events": events, "refdata": &*refdata,
        "history_groups": history_groups, "chosen": chosen, "was": was,
        "first_bad": form.get("first_bad"),
        "form": form, "errors": errors, "settings": settings, "history": history,
        "kb_links": crate::kb::article_links(app, articles), "canned": canned,
        "sla": ticket_sla::card(page, sla.as_ref()),
        "rating": rating.as_ref().map(|(r, _)| r), "rating_earlier": rating.is_some_and(|(_, e)| e),
        "extras": extras,
        "tools": tools,
        "custom_fields": custom_fields,
        "triage": ticket_triage::card(&refdata, &ticket, triage.as_ref()),
    });
    let html = if kept {
        page.render_kept(key, inputs, data)?
    } else {
        page.render("staff/ticket.html", data)?
    };
    Ok((status, html))
}

#[derive(FromForm)]
struct UpdateForm {
    #[field(default = String::new())]
    csrf_token: String,
    status: Option<i64>,
    priority: Option<i64>,
    category: Option<i64>,
    /// Empty string = unassigned.
    assignee: Option<String>,
}

impl CsrfForm for UpdateForm {
    fn csrf_token(&self) -> &str {
        &self.csrf_token
    }
}

#[post("/tickets/<id>/update", data = "<form>")]
async fn update(
    staff: StaffUser,
    app: &State<App>,
    id: i64,
    form: Checked<UpdateForm>,
) -> Result<Flash<Redirect>> {
    let form = form.0;
    let who = actor(&staff);
    let changes = Changes {
        status: form.status,
        priority: form.priority,
        category: form.category,
        // An empty choice means "unassigned".
        assignee: form.assignee.map(|a| a.parse::<i64>().ok()),
    };
    let ctx = Ctx::new(app.mail_ctx(), now());
    let events = app
        .db
        .write(move |c| Desk::new(c, &ctx).update(&who, id, &changes))
        .await?;
    let changed = !events.is_empty();
    let msg = if changed {
        "flash_ticket_updated"
    } else {
        "flash_nothing_changed"
    };
    Ok(Flash::success(
        Redirect::to(format!("/staff/tickets/{id}")),
        msg,
    ))
}

/// A file of this ticket; another ticket's attachment is not found under this one's path.
#[get("/tickets/<id>/attachments/<aid>")]
async fn attachment(staff: StaffUser, app: &State<App>, id: i64, aid: i64) -> Result<Download> {
    let access = staff.access.clone();
    let file = app
        .db
        .read(move |c| {
            let visible = tickets::get(c, id)?.is_some_and(|t| access.allows(t.category_id));
            Ok(tickets::attachment(c, aid)?.filter(|file| visible && file.ticket_id == id))
        })
        .await?
        .ok_or(Error::NotFound)?;
    Ok(Download::new(&file.filename, &file.content_type, file.data))
}

/// The choices of the new-ticket form: active categories the staff member works, agents and
/// the custom fields (with what was typed, when the form comes back).
fn staff_choices(
    refdata: &RefData,
    staff: &StaffUser,
    typed: Option<&crate::fields::validate::Raw>,
) -> serde_json::Value {
    json!({
        "fields": crate::fields::form_json(refdata, crate::fields::Audience::Staff, typed),
        "categories": refdata.categories.iter()
            .filter(|c| c.active && staff.access.allows(c.id))
            .collect::<Vec<_>>(),
        "priorities": refdata.priorities,
        "agents": refdata.agents.iter().filter(|a| a.active).collect::<Vec<_>>(),
        "for_staff": true,
    })
}

#[get("/tickets/new")]
async fn new_ticket_page(staff: StaffUser, page: Page<'_>, app: &State<App>) -> Result<Html> {
    let refdata = refdata(app, &page).await?;
    page.render(
        "staff/new.html",
        json!({ "choices": staff_choices(&refdata, &staff, None), "form": {}, "errors": {}, "settings": app.settings() }),
    )
}

#[post("/tickets/new", data = "<form>")]
async fn create_ticket(
    staff: StaffUser,
    page: Page<'_>,
    app: &State<App>,
    form: Checked<TicketForm<'_>>,
) -> PageResult {
    let form = form.0;
    let assignee = form.assignee.clone();
    let refdata = refdata(app, &page).await?;
    let settings = app.settings();
    let (mut errors, mut picked) = validate::ticket(&form.input(), &refdata, true);
    if picked.is_some_and(|(category, _)| !staff.access.allows(category)) {
        errors.add("category", "error_category_required");
        picked = None;
    }
    let uploads = checked_uploads(&form.attachments, &settings, &mut errors).await;
    let assignee_id = assignee
        .parse::<i64>()
        .ok()
        .filter(|id| refdata.agent(*id).is_some_and(|a| a.active));
    // The assignee must work the ticket's category.
    if let (Some(agent), Some((category, _))) =
        (assignee_id.and_then(|id| refdata.agent(id)), picked)
        && !agent.access.allows(category)
    {
        errors.add("assignee", "error_assignee_category");
    }
    let audience = crate::fields::Audience::Staff;
    let values = crate::portal::custom_values(&refdata, picked, audience, &form, &mut errors);
    let (category_id, priority_id) = match picked {
        Some(p) if errors.is_empty() => p,
        _ => {
            let mut values = form_values(&form);
            values["assignee"] = json!(assignee);
            let html = page.render(
                "staff/new.html",
                json!({ "choices": staff_choices(&refdata, &staff, Some(&form.fields)), "form": values, "errors": errors, "settings": settings }),
            )?;
            return Ok(Answer::from((Status::UnprocessableEntity, html)));
        }
    };
    let who = actor(&staff);
    let new = NewTicket {
        requester_name: clean(&form.name, MAX_NAME),
        requester_email: form.email.trim().to_lowercase(),
        category_id,
        priority_id,
        subject: clean(&form.subject, MAX_SUBJECT),
        message: form.message.trim().to_string(),
        attachments: uploads,
        channel: Channel::Staff,
        assignee_id,
        lang: page.lang,
    };
    let ctx = Ctx::new(app.mail_ctx(), now());
    let id = app
        .db
        .write(move |c| {
            let events = Desk::new(c, &ctx).open_with_fields(&who, &new, &values)?;
            tickets::events::created(&events)
                .next()
                .map(|(id, _)| id)
                .ok_or_else(|| Error::internal("opening the ticket created none"))
        })
        .await?;
    Ok(Answer::from(Flash::success(
        Redirect::to(format!("/staff/tickets/{id}")),
        "ux_flash_ticket_opened",
    )))
}

pub fn routes() -> Vec<Route> {
    let mut all = routes![
        ticket_list::ticket_list,
        list_columns::save_columns,
        reports::reports_page,
        reports::report_csv,
        ticket_csv::tickets_csv,
        ticket_page,
        ticket_update::reply,
        update,
        attachment,
        new_ticket_page,
        create_ticket,
        home::staff_home,
        ticket_print::print
    ];
    all.extend(ticket_spam::routes());
    all.extend(ticket_tools::routes());
    all.extend(bulk::routes());
    all.extend(canned_use::routes());
    all.extend(similar::routes());
    all.extend(followers::routes());
    all.extend(presence::routes());
    all.extend(live::routes());
    all.extend(ticket_fields::routes());
    all.extend(ticket_triage::routes());
    all.extend(canned::routes());
    all.extend(prefs::routes());
    all.extend(login::routes());
    all.extend(login_code::routes());
    all.extend(two_factor::routes());
    all.extend(password::routes());
    all.extend(api_tokens::routes());
    all.extend(incidents::routes());
    all
}
