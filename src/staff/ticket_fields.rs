//! A ticket's custom fields on its staff page (`templates/staff/ticket_parts/custom_fields.html`): the
//! fields of its category, their inputs part of the page's one form (`ticket-form`, saved with
//! the reply or "Save changes", see `ticket_update_fields`), and the values of fields that no
//! longer apply (deactivated, or of another category) kept and shown as such. The card's own
//! endpoint (`POST /staff/tickets/<id>/fields`) stays for plain posts (scripts, older pages):
//! both go through the `set_fields` ticket action, which records each change in the history.

use std::collections::HashMap;

use rocket::form::FromForm;
use rocket::response::{Flash, Redirect};
use rocket::{Route, State, post, routes};
use serde_json::{Value, json};

use super::{Draft, actor, render_ticket};
use crate::auth::StaffUser;
use crate::db::now;
use crate::error::{Error, FieldErrors};
use crate::fields::{self, Audience};
use crate::i18n::Lang;
use crate::tickets::{self, RefData, Ticket};
use crate::web::csrf::{Checked, CsrfForm};
use crate::web::{Answer, App, Page, PageResult};
use crate::workflow::{Ctx, Desk};

pub fn routes() -> Vec<Route> {
    routes![save]
}

/// What the card shows: `editable`, the fields the ticket's category asks for (with the values
/// typed into a refused form, else the stored ones, and `was`, the values the page first showed,
/// kept through refusals so a change stays a change), and `kept`, stored values of the others.
/// The inputs belong to the page's one form (`ticket_update_fields`).
pub(super) fn card(
    refdata: &RefData,
    ticket: &Ticket,
    values: &[(i64, String)],
    lang: Lang,
    draft: Option<&Draft>,
) -> Value {
    let form = draft.map(|d| &d.form);
    let typed_of = |name: &str, id: &str| -> Option<Vec<String>> {
        form?
            .get(name)?
            .get(id)
            .and_then(|v| serde_json::from_value::<Vec<String>>(v.clone()).ok())
    };
    let was_on_form = |id: &str| {
        form.and_then(|f| f.get("fields_shown"))
            .and_then(Value::as_array)
            .is_some_and(|shown| shown.iter().any(|s| s.as_str() == Some(id)))
    };
    let editable: Vec<Value> = fields::asked(&refdata.fields, ticket.category_id, Audience::Staff)
        .map(|def| {
            let id = def.id.to_string();
            let stored = values
                .iter()
                .find(|(fid, _)| *fid == def.id)
                .map(|(_, v)| fields::typed_values(def.kind, v))
                .unwrap_or_default();
            let typed = typed_of("fields", &id);
            let shown = match typed {
                Some(typed) => typed,
                None if was_on_form(&id) => Vec::new(),
                None => stored.clone(),
            };
            let was = match typed_of("was_fields", &id) {
                Some(was) => was,
                None if was_on_form(&id) => Vec::new(),
                None => stored,
            };
            let mut input = fields::input_json(refdata, def, shown);
            input["was"] = json!(was);
            input
        })
        .collect();
    let asked: Vec<i64> = fields::asked(&refdata.fields, ticket.category_id, Audience::Staff)
        .map(|d| d.id)
        .collect();
    let kept: Vec<fields::Shown> = fields::shown(&refdata.fields, values, lang, Audience::Staff)
        .into_iter()
        .filter(|s| !asked.contains(&s.field_id))
        .collect();
    json!({ "editable": editable, "kept": kept })
}

#[derive(FromForm)]
struct FieldsForm {
    #[field(default = String::new())]
    csrf_token: String,
    #[field(default = HashMap::new())]
    fields: HashMap<String, Vec<String>>,
}

impl CsrfForm for FieldsForm {
    fn csrf_token(&self) -> &str {
        &self.csrf_token
    }
}

#[post("/tickets/<id>/fields", data = "<form>")]
async fn save(
    staff: StaffUser,
    page: Page<'_>,
    app: &State<App>,
    id: i64,
    form: Checked<FieldsForm>,
) -> PageResult {
    let form = form.0;
    let refdata = app.refdata(page.lang).await?;
    let access = staff.access.clone();
    let ticket = app
        .db
        .read_quick(move |c| Ok(tickets::get(c, id)?.filter(|t| access.allows(t.category_id))))
        .await?
        .ok_or(Error::NotFound)?;
    let mut errors = FieldErrors::new();
    let values = fields::validate::check(
        &refdata.fields,
        ticket.category_id,
        Audience::Staff,
        &form.fields,
        false,
        &mut errors,
    );
    if !errors.is_empty() {
        let draft = Draft {
            form: json!({ "fields": form.fields }),
            errors,
        };
        return Ok(Answer::from(
            render_ticket(&page, app, &staff, id, Some(draft)).await?,
        ));
    }
    let who = actor(&staff);
    let ctx = Ctx::new(app.mail_ctx(), now());
    let events = app
        .db
        .write(move |c| Desk::new(c, &ctx).set_fields(&who, id, &values))
        .await?;
    let msg = if events.is_empty() {
        "flash_nothing_changed"
    } else {
        "flash_ticket_updated"
    };
    Ok(Answer::from(Flash::success(
        Redirect::to(format!("/staff/tickets/{id}")),
        msg,
    )))
}
