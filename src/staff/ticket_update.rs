//! The staff ticket page's one form: the reply box and the ticket's fields (status, priority,
//! category, assignee) are sent together to `POST /staff/tickets/<id>/reply`, so "Send reply",
//! "Send and resolve" and "Add note" save the text and every changed field in one ticket action
//! (`Desk::reply`: one transaction, one entry in the history), and "Save changes" saves the fields
//! alone. A refused form comes back (422) with everything typed and chosen, the problems next to
//! their fields and the first one focused. The sidebar's fields join the form with HTML's
//! `form="ticket-form"`, so the page keeps its layout.
//!
//! The form carries the values the agent saw (`was_*`): only a field the agent changed is a
//! change, so a reply never undoes what someone else changed meanwhile. A post without them
//! (older clients, the tests' plain posts) applies every field it names. The custom fields card
//! joins the form the same way (`ticket_update_fields`): a reply with custom field changes is
//! one action too.

use std::collections::HashMap;

use rocket::State;
use rocket::form::FromForm;
use rocket::fs::TempFile;
use rocket::post;
use rocket::response::{Flash, Redirect};
use serde_json::json;

use super::{Draft, actor, canned_use, presence, render_ticket};
use crate::auth::StaffUser;
use crate::db::now;
use crate::error::{Error, FieldErrors};
use crate::tickets::actions::{Changes, NewMessage};
use crate::tickets::validate;
use crate::tickets::{self, MessageKind, RefData, Ticket, What};
use crate::web::csrf::{Checked, CsrfForm};
use crate::web::files::checked_uploads;
use crate::web::{Answer, App, Page, PageResult};
use crate::workflow::{Ctx, Desk};

/// The form's fields in page order: the first one with a problem gets the focus.
const FIELD_ORDER: &[&str] = &[
    "message",
    "canned",
    "attachments",
    "status",
    "priority",
    "category",
    "assignee",
    "minutes",
    "seen_at",
];

#[derive(FromForm)]
pub(super) struct DeskForm<'r> {
    #[field(default = String::new())]
    csrf_token: String,
    #[field(default = String::new())]
    message: String,
    /// The button pressed: "reply" (the requester sees it), "resolve" (a reply that resolves
    /// the ticket), "note" (internal), "save" (the fields only), "insert" (a canned reply's
    /// text into the box, without JavaScript).
    #[field(default = String::new())]
    kind: String,
    /// The ticket's fields as chosen; empty (or, for the assignee, absent) leaves one as it is.
    #[field(default = String::new())]
    status: String,
    #[field(default = String::new())]
    priority: String,
    #[field(default = String::new())]
    category: String,
    /// Empty string = unassigned.
    assignee: Option<String>,
    /// The values the page showed, to tell what the agent changed.
    was_status: Option<String>,
    was_priority: Option<String>,
    was_category: Option<String>,
    was_assignee: Option<String>,
    /// Ticked: the reply is recorded and shown but the requester gets no mail about it.
    #[field(default = false)]
    silent: bool,
    attachments: Vec<TempFile<'r>>,
    /// The canned reply chosen in the list (for "Insert" without JavaScript).
    #[field(default = String::new())]
    canned: String,
    /// The canned reply whose text was inserted: its changes go with the reply, its use counts.
    #[field(default = String::new())]
    canned_id: String,
    /// Ticked: apply that canned reply's field changes.
    #[field(default = false)]
    canned_apply: bool,
    /// Optional minutes spent, recorded with the reply or note (`tickets::time_spent`).
    #[field(default = String::new())]
    minutes: String,
    /// The newest message the agent's page showed: a reply is refused while newer ones by
    /// somebody else exist (`presence::reply_collision`).
    #[field(default = String::new())]
    seen_at: String,
    /// The custom fields' values as typed (`fields[<id>]`, see `ticket_update_fields`), what
    /// the page showed of them (`was_fields[<id>]`) and which fields it showed.
    #[field(default = HashMap::new())]
    fields: HashMap<String, Vec<String>>,
    #[field(default = HashMap::new())]
    was_fields: HashMap<String, Vec<String>>,
    #[field(default = Vec::new())]
    fields_shown: Vec<String>,
}

impl CsrfForm for DeskForm<'_> {
    fn csrf_token(&self) -> &str {
        &self.csrf_token
    }
}

impl DeskForm<'_> {
    /// What was typed and chosen, to show the form again.
    fn values(&self) -> serde_json::Value {
        let mut values = json!({
            "message": self.message, "silent": self.silent,
            "canned": self.canned, "canned_id": self.canned_id, "canned_apply": self.canned_apply,
            "minutes": self.minutes,
            "fields": self.fields, "was_fields": self.was_fields,
            "fields_shown": self.fields_shown,
        });
        for (name, value) in self.fields() {
            if let Some(value) = value {
                values["chosen"][name] = json!(value.trim());
            }
        }
        for (name, value) in self.seen() {
            if let Some(value) = value {
                values["was"][name] = json!(value.trim());
            }
        }
        values
    }

    fn fields(&self) -> [(&'static str, Option<&str>); 4] {
        fn given(v: &str) -> Option<&str> {
            Some(v).filter(|v| !v.trim().is_empty())
        }
        [
            ("status", given(&self.status)),
            ("priority", given(&self.priority)),
            ("category", given(&self.category)),
            ("assignee", self.assignee.as_deref()),
        ]
    }

    fn seen(&self) -> [(&'static str, Option<&str>); 4] {
        [
            ("status", self.was_status.as_deref()),
            ("priority", self.was_priority.as_deref()),
            ("category", self.was_category.as_deref()),
            ("assignee", self.was_assignee.as_deref()),
        ]
    }

    /// The fields the agent changed (given, and not what the page showed), as sent.
    fn changed(&self) -> Vec<(&'static str, &str)> {
        self.fields()
            .into_iter()
            .zip(self.seen())
            .filter_map(|((name, value), (_, was))| {
                let value = value?.trim();
                (was.map(str::trim) != Some(value)).then_some((name, value))
            })
            .collect()
    }
}

/// The changed fields as `Changes`, each checked against the reference data and what `staff`
/// may do; a problem goes next to its field.
fn field_changes(
    form: &DeskForm<'_>,
    refdata: &RefData,
    staff: &StaffUser,
    ticket: &Ticket,
    errors: &mut FieldErrors,
) -> Changes {
    let mut changes = Changes::default();
    let id = |value: &str| value.parse::<i64>().ok();
    for (name, value) in form.changed() {
        match name {
            "status" => match id(value).filter(|s| refdata.status(*s).is_some()) {
                Some(s) => changes.status = Some(s),
                None => errors.add("status", "ux_error_status"),
            },
            "priority" => match id(value).filter(|p| refdata.priority(*p).is_some()) {
                Some(p) => changes.priority = Some(p),
                None => errors.add("priority", "error_priority_invalid"),
            },
            "category" => {
                let fits = |c: &i64| {
                    *c == ticket.category_id
                        || refdata
                            .category(*c)
                            .is_some_and(|cat| cat.active && staff.access.allows(cat.id))
                };
                match id(value).filter(fits) {
                    Some(c) => changes.category = Some(c),
                    None => errors.add("category", "error_category_required"),
                }
            }
            _ if value.is_empty() => changes.assignee = Some(None),
            _ => match id(value).filter(|a| refdata.agent(*a).is_some_and(|a| a.active)) {
                Some(a) => changes.assignee = Some(Some(a)),
                None => errors.add("assignee", "ux_error_assignee"),
            },
        }
    }
    // The assignee must work the category the ticket ends up in.
    let category = changes.category.unwrap_or(ticket.category_id);
    let assignee = changes.assignee.unwrap_or(ticket.assignee_id);
    if (changes.category.is_some() || changes.assignee.is_some())
        && let Some(agent) = assignee.and_then(|a| refdata.agent(a))
        && !agent.access.allows(category)
    {
        errors.add("assignee", "error_assignee_category");
    }
    changes
}

/// The form again with what was sent, its problems, and the first of them focused.
fn refused(
    form: &DeskForm<'_>,
    errors: FieldErrors,
    canned: Option<&canned_use::Prepared>,
) -> Draft {
    let mut values = form.values();
    match canned {
        Some(prepared) => values["canned_used"] = canned_use::used_json(prepared),
        // Gone: the form must not send it again, or it could never be sent.
        None => values["canned_id"] = json!(""),
    }
    values["first_bad"] = json!(first_bad(&errors));
    Draft {
        form: values,
        errors,
    }
}

/// The first field, in page order, with a problem.
fn first_bad(errors: &FieldErrors) -> Option<&str> {
    FIELD_ORDER
        .iter()
        .copied()
        .find(|name| errors.get(name).is_some())
        .or_else(|| errors.iter().next().map(|(name, _)| name))
}

#[post("/tickets/<id>/reply", data = "<form>")]
pub(super) async fn reply(
    staff: StaffUser,
    page: Page<'_>,
    app: &State<App>,
    id: i64,
    form: Checked<DeskForm<'_>>,
) -> PageResult {
    let form = form.0;
    if form.kind == "insert" {
        let (choice, message) = (&form.canned, &form.message);
        let draft =
            canned_use::insert(&page, app, &staff, id, choice, message, form.values()).await?;
        return Ok(Answer::from(
            render_ticket(&page, app, &staff, id, Some(draft)).await?,
        ));
    }
    let refdata = app.refdata(page.lang).await?;
    let access = staff.access.clone();
    let ticket = app
        .db
        .read_quick(move |c| {
            tickets::get(c, id)?
                .filter(|t| access.allows(t.category_id))
                .ok_or(Error::NotFound)
        })
        .await?;
    let save_only = form.kind == "save";
    let mut errors = FieldErrors::new();
    let mut changes = field_changes(&form, &refdata, &staff, &ticket, &mut errors);
    if form.kind == "resolve" {
        match refdata.status_by_slug("resolved") {
            Some(resolved) => changes.status = Some(resolved.id),
            None => errors.add("status", "ux_error_status"),
        }
    }
    let values = super::ticket_update_fields::changes(
        &refdata,
        &ticket,
        &form.fields,
        &form.was_fields,
        &form.fields_shown,
        &mut errors,
    );
    if save_only {
        return save_fields(
            &page,
            app,
            &staff,
            &form,
            ticket.id,
            (changes, values),
            errors,
        )
        .await;
    }
    validate::message(&form.message, &mut errors);
    let canned = canned_use::chosen(&page, app, &staff, id, &form.canned_id, &mut errors).await?;
    let uploads = checked_uploads(&form.attachments, &app.settings(), &mut errors).await;
    let minutes = tickets::time_spent::parse_minutes(&form.minutes, "minutes", &mut errors);
    let kind = if form.kind == "note" {
        MessageKind::Note
    } else {
        MessageKind::Staff
    };
    // Only a reply waits for a look at what came meanwhile; a note never bothers anyone.
    if kind == MessageKind::Staff
        && errors.is_empty()
        && let Some(warning) =
            presence::reply_collision(&page, app, &staff, id, &form.seen_at).await?
    {
        errors.add_with("seen_at", "collision_warning", "warning", &warning);
    }
    if !errors.is_empty() {
        let draft = refused(&form, errors, canned.as_ref());
        return Ok(Answer::from(
            render_ticket(&page, app, &staff, id, Some(draft)).await?,
        ));
    }
    let message = NewMessage {
        kind,
        body: form.message.trim().to_string(),
        attachments: uploads,
    };
    // The canned reply's changes, unless unticked; a field changed on the form wins.
    let mut all = match &canned {
        Some(prepared) if form.canned_apply => prepared.reply.changes(staff.id),
        _ => Changes::default(),
    };
    overlay(&mut all, &changes);
    let used = canned.as_ref().map(|prepared| prepared.id);
    let who = actor(&staff);
    let who_id = staff.id;
    let mut ctx = Ctx::new(app.mail_ctx(), now());
    if form.silent {
        ctx = ctx.silent();
    }
    let written = app
        .db
        .write(move |c| {
            let events = Desk::new(c, &ctx).reply_with_fields(&who, id, &message, &all, &values)?;
            if let Some(minutes) = minutes {
                let message_id = events.iter().find_map(|e| match e.what {
                    What::MessageAdded { message_id, .. } if e.ticket_id == id => Some(message_id),
                    _ => None,
                });
                tickets::time_spent::add(c, id, who_id, message_id, minutes, ctx.now)?;
            }
            if let Some(canned_id) = used {
                tickets::canned::record_use(c, canned_id, ctx.now)?;
            }
            Ok(events)
        })
        .await;
    let events = match written {
        Ok(events) => events,
        // Someone changed the ticket meanwhile so that a choice no longer fits: say so.
        Err(Error::BadRequest(_)) => {
            let errors = FieldErrors::one("assignee", "error_assignee_category");
            let draft = refused(&form, errors, canned.as_ref());
            return Ok(Answer::from(
                render_ticket(&page, app, &staff, id, Some(draft)).await?,
            ));
        }
        Err(e) => return Err(e),
    };
    let message_id = events.iter().find_map(|e| match e.what {
        What::MessageAdded { message_id, .. } if e.ticket_id == id => Some(message_id),
        _ => None,
    });
    let fields_changed = events.iter().any(|e| {
        matches!(e.what, What::Changed { .. } | What::FieldsChanged { .. })
            && e.by.staff_id == Some(staff.id)
    });
    let key = match (kind, fields_changed) {
        (MessageKind::Note, false) => "ux_flash_note_added",
        (MessageKind::Note, true) => "ux_flash_note_and_changes",
        (_, false) => "ux_flash_reply_sent",
        (_, true) => "ux_flash_reply_and_changes",
    };
    // The new message in view; the page's script focuses it (`static/feedback.js`).
    let anchor = message_id.map_or("latest".to_string(), |m| format!("m{m}"));
    Ok(Answer::from(Flash::success(
        Redirect::to(format!("/staff/tickets/{id}#{anchor}")),
        key,
    )))
}

/// `extra`'s fields over `base`'s.
fn overlay(base: &mut Changes, extra: &Changes) {
    base.status = extra.status.or(base.status);
    base.priority = extra.priority.or(base.priority);
    base.category = extra.category.or(base.category);
    base.assignee = extra.assignee.or(base.assignee);
}

/// "Save changes": the fields alone, no message needed. Text typed in the reply box is not
/// sent, and not lost either: the page comes back with it, saying the changes were saved.
async fn save_fields(
    page: &Page<'_>,
    app: &App,
    staff: &StaffUser,
    form: &DeskForm<'_>,
    id: i64,
    (changes, values): (Changes, Vec<(i64, Option<String>)>),
    errors: FieldErrors,
) -> PageResult {
    if !errors.is_empty() {
        let draft = refused(form, errors, None);
        return Ok(Answer::from(
            render_ticket(page, app, staff, id, Some(draft)).await?,
        ));
    }
    let who = actor(staff);
    let ctx = Ctx::new(app.mail_ctx(), now());
    let written = app
        .db
        .write(move |c| Desk::new(c, &ctx).update_with_fields(&who, id, &changes, &values))
        .await;
    let events = match written {
        Ok(events) => events,
        Err(Error::BadRequest(_)) => {
            let errors = FieldErrors::one("assignee", "error_assignee_category");
            let draft = refused(form, errors, None);
            return Ok(Answer::from(
                render_ticket(page, app, staff, id, Some(draft)).await?,
            ));
        }
        Err(e) => return Err(e),
    };
    let key = if events.is_empty() {
        "flash_nothing_changed"
    } else {
        "flash_ticket_updated"
    };
    if form.message.trim().is_empty() {
        return Ok(Answer::from(Flash::success(
            Redirect::to(format!("/staff/tickets/{id}")),
            key,
        )));
    }
    // The fields are saved: the page shows them as they are now, with the text still to send.
    let mut values = json!({
        "message": form.message, "silent": form.silent,
        "canned_id": form.canned_id, "canned_apply": form.canned_apply,
        "notice": if events.is_empty() { "ux_notice_text_kept_nothing" } else { "ux_notice_text_kept" },
    });
    values["first_bad"] = json!("message");
    let draft = Draft {
        form: values,
        errors: FieldErrors::new(),
    };
    Ok(Answer::from(
        render_ticket(page, app, staff, id, Some(draft)).await?,
    ))
}
