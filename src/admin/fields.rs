//! Admin > Fields: the custom ticket fields (`crate::fields`): list, new, edit, deactivate and
//! reactivate. A deactivated field leaves the forms but keeps every stored value.

use rocket::form::FromForm;
use rocket::{Route, State, get, post, routes};
use serde_json::{Value, json};

use super::{done, optional_text, rejected, text};
use crate::auth::AdminUser;
use crate::error::{Error, FieldErrors, Result};
use crate::fields::store::{self, FieldInput};
use crate::fields::{FieldDef, Kind};
use crate::tickets::RefData;
use crate::web::csrf::{Checked, CsrfForm};
use crate::web::{App, ClientIp, Html, Page, PageResult};

const MAX_LABEL: usize = 100;
const MAX_HELP: usize = 300;
const MAX_OPTION: usize = 100;
const MAX_OPTIONS: usize = 100;

pub fn routes() -> Vec<Route> {
    routes![list_page, new_page, create, edit_page, save, set_active]
}

#[derive(FromForm)]
struct FieldForm {
    #[field(default = String::new())]
    csrf_token: String,
    #[field(default = String::new())]
    label: String,
    #[field(default = String::new())]
    label_es: String,
    #[field(default = String::new())]
    help: String,
    #[field(default = String::new())]
    help_es: String,
    #[field(default = String::new())]
    kind: String,
    /// Select and multi-select: one option per line.
    #[field(default = String::new())]
    options: String,
    #[field(default = false)]
    required: bool,
    #[field(default = false)]
    visible_to_requester: bool,
    /// Category ids; none ticked: every category.
    categories: Vec<String>,
    #[field(default = String::new())]
    sort: String,
}

impl CsrfForm for FieldForm {
    fn csrf_token(&self) -> &str {
        &self.csrf_token
    }
}

impl FieldForm {
    /// What was typed, to show the form again.
    fn values(&self) -> Value {
        json!({
            "label": self.label, "label_es": self.label_es, "help": self.help,
            "help_es": self.help_es, "kind": self.kind, "options": self.options,
            "required": self.required, "visible_to_requester": self.visible_to_requester,
            "categories": self.categories.iter().filter_map(|c| c.trim().parse::<i64>().ok()).collect::<Vec<_>>(),
            "sort": self.sort,
        })
    }

    /// The field as typed, or the problems next to each input. Whether the label is taken is
    /// checked in the transaction that saves it.
    fn input(&self, refdata: &RefData) -> std::result::Result<FieldInput, FieldErrors> {
        let mut errors = FieldErrors::new();
        let label = text(&self.label, MAX_LABEL);
        if label.is_none() {
            errors.add("label", "admin_error_field_label");
        }
        let label_es = optional_text(&self.label_es, MAX_LABEL);
        if label_es.is_none() {
            errors.add("label_es", "admin_error_field_label");
        }
        let help = optional_text(&self.help, MAX_HELP);
        if help.is_none() {
            errors.add("help", "admin_error_field_help");
        }
        let help_es = optional_text(&self.help_es, MAX_HELP);
        if help_es.is_none() {
            errors.add("help_es", "admin_error_field_help");
        }
        let kind = Kind::parse(self.kind.trim());
        if kind.is_none() {
            errors.add("kind", "admin_error_field_kind");
        }
        let options = store::options_of(&self.options);
        if kind.is_some_and(Kind::has_options) {
            let mut seen: Vec<String> = Vec::new();
            for o in &options {
                let folded = o.to_lowercase();
                if seen.contains(&folded) {
                    errors.add("options", "admin_error_field_options_repeated");
                }
                seen.push(folded);
            }
            if options.is_empty() {
                errors.add("options", "admin_error_field_options");
            } else if options.len() > MAX_OPTIONS
                || options
                    .iter()
                    .any(|o| o.chars().count() > MAX_OPTION || o.chars().any(char::is_control))
            {
                errors.add("options", "admin_error_field_options_long");
            }
        }
        let mut categories = Vec::new();
        for c in &self.categories {
            match c
                .trim()
                .parse::<i64>()
                .ok()
                .filter(|id| refdata.category(*id).is_some())
            {
                Some(id) if !categories.contains(&id) => categories.push(id),
                Some(_) => {}
                None => errors.add("categories", "admin_error_field_categories"),
            }
        }
        let sort = match self.sort.trim() {
            "" => Some(0),
            s => super::number(s, -10_000, 10_000),
        };
        if sort.is_none() {
            errors.add("sort", "admin_error_field_sort");
        }
        match (label, label_es, help, help_es, kind, sort) {
            (Some(label), Some(label_es), Some(help), Some(help_es), Some(kind), Some(sort))
                if errors.is_empty() =>
            {
                Ok(FieldInput {
                    label,
                    label_es,
                    help,
                    help_es,
                    kind,
                    options: if kind.has_options() {
                        options
                    } else {
                        Vec::new()
                    },
                    required: self.required,
                    visible_to_requester: self.visible_to_requester,
                    categories,
                    sort,
                })
            }
            _ => Err(errors),
        }
    }
}

fn form_of(def: &FieldDef) -> Value {
    json!({
        "label": def.label, "label_es": def.label_es, "help": def.help, "help_es": def.help_es,
        "kind": def.kind.as_str(), "options": def.options.join("\n"), "required": def.required,
        "visible_to_requester": def.visible_to_requester, "categories": def.categories,
        "sort": def.sort.to_string(),
    })
}

/// The edit form's page: `field` None for a new one.
async fn form_page(
    page: &Page<'_>,
    app: &App,
    field: Option<&FieldDef>,
    form: Value,
    errors: FieldErrors,
) -> Result<Value> {
    let refdata = app.refdata(page.lang).await?;
    let kinds: Vec<&str> = Kind::ALL.iter().map(|k| k.as_str()).collect();
    Ok(json!({
        "field": field, "form": form, "errors": errors, "kinds": kinds,
        "categories": refdata.categories,
    }))
}

#[get("/fields")]
async fn list_page(_admin: AdminUser, page: Page<'_>, app: &State<App>) -> Result<Html> {
    let refdata = app.refdata(page.lang).await?;
    let counts = app.db.read(store::value_counts).await?;
    let rows: Vec<Value> = refdata
        .fields
        .iter()
        .map(|f| {
            let categories: Vec<&str> = f
                .categories
                .iter()
                .filter_map(|id| refdata.category(*id))
                .map(|c| c.label.as_str())
                .collect();
            json!({
                "field": f, "categories": categories,
                "values": counts.get(&f.id).copied().unwrap_or(0),
            })
        })
        .collect();
    super::render(&page, app, "admin/fields.html", json!({ "fields": rows })).await
}

#[get("/fields/new")]
async fn new_page(_admin: AdminUser, page: Page<'_>, app: &State<App>) -> Result<Html> {
    let form =
        json!({ "kind": "text", "categories": [], "sort": "0", "visible_to_requester": true });
    let data = form_page(&page, app, None, form, FieldErrors::new()).await?;
    page.render("admin/field_edit.html", data)
}

#[post("/fields", data = "<form>")]
async fn create(
    admin: AdminUser,
    page: Page<'_>,
    app: &State<App>,
    ip: ClientIp,
    form: Checked<FieldForm>,
) -> PageResult {
    let form = form.0;
    let refdata = app.refdata(page.lang).await?;
    let me = admin.0.id;
    let outcome = match form.input(&refdata) {
        Err(errors) => Err(errors),
        Ok(input) => {
            app.write_refdata(move |c| {
                if store::label_taken(c, &input.label, None)? {
                    return Ok(Err(FieldErrors::one(
                        "label",
                        "admin_error_field_label_taken",
                    )));
                }
                let id = store::insert(c, &input, crate::db::now())?;
                let detail = format!("id={id} label={} kind={}", input.label, input.kind.as_str());
                crate::audit::record(c, Some(me), "field_create", &detail, Some(&ip.0))?;
                Ok(Ok(id))
            })
            .await?
        }
    };
    match outcome {
        Ok(_) => done("/admin/fields".into(), "admin_flash_field_created"),
        Err(errors) => {
            let data = form_page(&page, app, None, form.values(), errors).await?;
            rejected(&page, "admin/field_edit.html", data)
        }
    }
}

async fn field(app: &App, page: &Page<'_>, id: i64) -> Result<FieldDef> {
    let refdata = app.refdata(page.lang).await?;
    refdata
        .fields
        .iter()
        .find(|f| f.id == id)
        .cloned()
        .ok_or(Error::NotFound)
}

#[get("/fields/<id>")]
async fn edit_page(_admin: AdminUser, page: Page<'_>, app: &State<App>, id: i64) -> Result<Html> {
    let def = field(app, &page, id).await?;
    let data = form_page(&page, app, Some(&def), form_of(&def), FieldErrors::new()).await?;
    page.render("admin/field_edit.html", data)
}

#[post("/fields/<id>", data = "<form>")]
async fn save(
    admin: AdminUser,
    page: Page<'_>,
    app: &State<App>,
    ip: ClientIp,
    id: i64,
    form: Checked<FieldForm>,
) -> PageResult {
    let form = form.0;
    let def = field(app, &page, id).await?;
    let refdata = app.refdata(page.lang).await?;
    let me = admin.0.id;
    let outcome = match form.input(&refdata) {
        Err(errors) => Err(errors),
        Ok(input) => {
            app.write_refdata(move |c| {
                if store::label_taken(c, &input.label, Some(id))? {
                    return Ok(Err(FieldErrors::one(
                        "label",
                        "admin_error_field_label_taken",
                    )));
                }
                if !store::update(c, id, &input)? {
                    return Err(Error::NotFound);
                }
                let detail = format!("id={id} label={} kind={}", input.label, input.kind.as_str());
                crate::audit::record(c, Some(me), "field_update", &detail, Some(&ip.0))?;
                Ok(Ok(()))
            })
            .await?
        }
    };
    match outcome {
        Ok(()) => done(format!("/admin/fields/{id}"), "admin_flash_field_saved"),
        Err(errors) => {
            let data = form_page(&page, app, Some(&def), form.values(), errors).await?;
            rejected(&page, "admin/field_edit.html", data)
        }
    }
}

#[derive(FromForm)]
struct ActiveForm {
    #[field(default = String::new())]
    csrf_token: String,
    #[field(default = false)]
    active: bool,
}

impl CsrfForm for ActiveForm {
    fn csrf_token(&self) -> &str {
        &self.csrf_token
    }
}

/// Deactivates (`active` false) or reactivates a field; its values stay either way.
#[post("/fields/<id>/active", data = "<form>")]
async fn set_active(
    admin: AdminUser,
    app: &State<App>,
    ip: ClientIp,
    id: i64,
    form: Checked<ActiveForm>,
) -> PageResult {
    let active = form.0.active;
    let me = admin.0.id;
    app.write_refdata(move |c| {
        if !store::set_active(c, id, active)? {
            return Err(Error::NotFound);
        }
        let action = if active {
            "field_reactivate"
        } else {
            "field_deactivate"
        };
        crate::audit::record(c, Some(me), action, &format!("id={id}"), Some(&ip.0))
    })
    .await?;
    let key = if active {
        "admin_flash_field_reactivated"
    } else {
        "admin_flash_field_deactivated"
    };
    done("/admin/fields".into(), key)
}
