//! The article editor: one tab per language (radio buttons styled as tabs, so it works without
//! JavaScript; `static/app.js` makes them an ARIA tablist), a tab marked when its language is
//! missing, and a Markdown preview rendered by the article page's own sanitising renderer (the
//! "Preview" button posts the form and gets it back, nothing saved). The article's files are
//! added in `article_files`.

use rocket::form::FromForm;
use rocket::http::Status;
use rocket::response::{Flash, Redirect};
use rocket::{Route, State, get, post, routes};
use serde_json::{Value, json};

use super::categories;
use super::store::{self, ArticleInput};
use crate::auth::StaffUser;
use crate::error::FieldErrors;
use crate::error::{Error, Result};
use crate::i18n::{LANGS, Lang};
use crate::util::clean;
use crate::web::csrf::{Checked, CsrfForm};
use crate::web::{Answer, App, Html, Page, PageResult};

#[derive(FromForm)]
struct ArticleForm {
    #[field(default = String::new())]
    csrf_token: String,
    #[field(default = String::new())]
    slug: String,
    #[field(default = String::new())]
    category: String,
    #[field(default = String::new())]
    state: String,
    #[field(default = String::new())]
    sort: String,
    #[field(default = String::new())]
    title_en: String,
    #[field(default = String::new())]
    body_en: String,
    #[field(default = String::new())]
    title_es: String,
    #[field(default = String::new())]
    body_es: String,
    /// The language tab that was open (`en`, `es`), so the form comes back on it.
    #[field(default = String::new())]
    tab: String,
    /// `preview`: render the text and show the form again, saving nothing; else save.
    #[field(default = String::new())]
    action: String,
}

impl CsrfForm for ArticleForm {
    fn csrf_token(&self) -> &str {
        &self.csrf_token
    }
}

impl ArticleForm {
    fn values(&self) -> Value {
        json!({
            "slug": self.slug, "category": self.category, "state": self.state, "sort": self.sort,
            "title_en": self.title_en, "body_en": self.body_en,
            "title_es": self.title_es, "body_es": self.body_es,
        })
    }
}

/// An empty form: every key present, so the template never looks up a missing one.
fn blank() -> Value {
    json!({
        "slug": "", "category": "", "state": "draft", "sort": "0",
        "title_en": "", "body_en": "", "title_es": "", "body_es": "",
    })
}

pub(super) fn article_values(a: &store::Article) -> Value {
    let mut v = blank();
    v["slug"] = json!(a.slug);
    v["category"] = json!(a.category_id.map(|c| c.to_string()).unwrap_or_default());
    v["state"] = json!(a.state);
    v["sort"] = json!(a.sort.to_string());
    for t in &a.translations {
        v[format!("title_{}", t.lang)] = json!(t.title);
        v[format!("body_{}", t.lang)] = json!(t.body_markdown);
    }
    v
}

/// Checks the form; the input to save, or the field errors.
fn validate(form: &ArticleForm) -> std::result::Result<ArticleInput, FieldErrors> {
    let mut errors = FieldErrors::new();
    let mut translations = Vec::new();
    for lang in LANGS {
        let (title, body) = match lang.code() {
            "es" => (&form.title_es, &form.body_es),
            _ => (&form.title_en, &form.body_en),
        };
        let title = clean(title, super::MAX_TITLE);
        let body = body.trim().to_string();
        let (title_key, body_key) = match lang.code() {
            "es" => ("title_es", "body_es"),
            _ => ("title_en", "body_en"),
        };
        if title.is_empty() && !body.is_empty() {
            errors.add(title_key, "kb_error_title_required");
        } else if !title.is_empty() && body.is_empty() {
            errors.add(body_key, "kb_error_body_required");
        } else if body.chars().count() > super::MAX_BODY {
            errors.add(body_key, "kb_error_body_too_long");
        }
        translations.push((lang, title, body));
    }
    if translations.iter().all(|(_, t, _)| t.is_empty()) && errors.is_empty() {
        errors.add("title_en", "kb_error_translation_required");
    }
    let slug = match form.slug.trim() {
        "" => super::slugify(
            translations
                .iter()
                .map(|(_, t, _)| t.as_str())
                .find(|t| !t.is_empty())
                .unwrap_or(""),
        ),
        s => s.to_string(),
    };
    if !super::valid_slug(&slug) && errors.get("title_en").is_none() {
        errors.add("slug", "kb_error_slug_invalid");
    }
    let state = form.state.trim().to_string();
    if !super::ALL_STATES.contains(&state.as_str()) {
        errors.add("state", "kb_error_state_invalid");
    }
    let category_id = match form.category.trim() {
        "" => None,
        c => match c.parse::<i64>() {
            Ok(id) => Some(id),
            Err(_) => {
                errors.add("category", "kb_error_category_invalid");
                None
            }
        },
    };
    let sort = form.sort.trim().parse::<i64>().unwrap_or(0);
    if errors.is_empty() {
        Ok(ArticleInput {
            slug,
            category_id,
            state,
            sort,
            translations,
        })
    } else {
        Err(errors)
    }
}

/// Which tab the editor opens on and whether it shows the previews.
pub(super) struct View {
    tab: Lang,
    preview: bool,
}

impl View {
    pub(super) fn tab(code: Option<&str>) -> View {
        View {
            tab: code.and_then(Lang::from_code).unwrap_or(Lang::En),
            preview: false,
        }
    }
}

/// The language tabs: each one's code and name, whether it is open, whether its language has
/// no title yet (marked on the tab), its errors and (when asked) its text rendered as the article
/// page renders it. A tab with an error opens when the chosen one has none.
fn tabs(form: &Value, errors: &FieldErrors, view: &View) -> Vec<Value> {
    let has_error = |code: &str| {
        ["title_", "body_"]
            .iter()
            .any(|f| errors.get(&format!("{f}{code}")).is_some())
    };
    let open = if has_error(view.tab.code()) {
        view.tab
    } else {
        LANGS
            .into_iter()
            .find(|l| has_error(l.code()))
            .unwrap_or(view.tab)
    };
    LANGS
        .into_iter()
        .map(|l| {
            let code = l.code();
            let text = |field: &str| {
                form.get(format!("{field}_{code}"))
                    .and_then(Value::as_str)
                    .unwrap_or("")
                    .trim()
                    .to_string()
            };
            let body = text("body");
            let preview = (view.preview && !body.is_empty()).then(|| super::render_markdown(&body));
            json!({
                "code": code, "name": language_name(l), "open": l == open,
                "missing": text("title").is_empty(), "error": has_error(code),
                "preview": preview, "previewed": view.preview,
            })
        })
        .collect()
}

/// A language's name in itself, as language choosers show it.
pub fn language_name(lang: Lang) -> &'static str {
    match lang {
        Lang::En => "English",
        Lang::Es => "Español",
    }
}

pub(super) async fn render_editor(
    page: &Page<'_>,
    app: &App,
    id: Option<i64>,
    form: Value,
    errors: FieldErrors,
    status: Status,
    view: View,
) -> Result<(Status, Html)> {
    let lang = page.lang;
    let (categories, files) = app
        .db
        .read(move |c| {
            let files = match id {
                Some(id) => store::files(c, id)?,
                None => Vec::new(),
            };
            Ok((categories::all(c, lang)?, files))
        })
        .await?;
    let files: Vec<Value> = files
        .into_iter()
        .map(|f| json!({ "id": f.id, "filename": f.filename, "size": f.size, "snippet": super::article_files::snippet(&f) }))
        .collect();
    let tabs = tabs(&form, &errors, &view);
    let html = page.render(
        "staff/kb_edit.html",
        json!({
            "id": id, "form": form, "errors": errors, "categories": categories,
            "states": super::ALL_STATES, "tabs": tabs, "files": files,
            "settings": app.settings(),
        }),
    )?;
    Ok((status, html))
}

/// The editor, empty or (`from_message`) started from a message of a ticket: the ticket's
/// subject as the title and the message as the English text.
#[get("/kb/new?<from_message>&<lang>")]
async fn new_page(
    staff: StaffUser,
    page: Page<'_>,
    app: &State<App>,
    from_message: Option<i64>,
    lang: Option<&str>,
) -> Result<Html> {
    let mut form = blank();
    if let Some(mid) = from_message {
        let access = staff.access.clone();
        let (subject, body) = app
            .db
            .read(move |c| crate::tickets::store::message_with_subject(c, mid, &access))
            .await?
            .ok_or(Error::NotFound)?;
        form["title_en"] = json!(clean(&subject, super::MAX_TITLE));
        form["body_en"] = json!(body);
    }
    let view = View::tab(lang);
    render_editor(&page, app, None, form, FieldErrors::new(), Status::Ok, view)
        .await
        .map(|(_, html)| html)
}

/// The editor of article `id`, open on the tab of `lang` (English when not given).
#[get("/kb/<id>?<lang>")]
async fn edit_page(
    _staff: StaffUser,
    page: Page<'_>,
    app: &State<App>,
    id: i64,
    lang: Option<&str>,
) -> Result<Html> {
    let article = app
        .db
        .read(move |c| store::get(c, id))
        .await?
        .ok_or(Error::NotFound)?;
    render_editor(
        &page,
        app,
        Some(id),
        article_values(&article),
        FieldErrors::new(),
        Status::Ok,
        View::tab(lang),
    )
    .await
    .map(|(_, html)| html)
}

async fn save(
    staff: StaffUser,
    page: Page<'_>,
    app: &App,
    id: Option<i64>,
    form: ArticleForm,
) -> PageResult {
    let view = View::tab(Some(&form.tab));
    if form.action == "preview" {
        // Nothing is checked or saved: the text as the article page would show it.
        let view = View {
            preview: true,
            ..view
        };
        let r = render_editor(
            &page,
            app,
            id,
            form.values(),
            FieldErrors::new(),
            Status::Ok,
            view,
        );
        return Ok(Answer::from(r.await?));
    }
    let input = match validate(&form) {
        Ok(input) => input,
        Err(errors) => {
            let r = render_editor(
                &page,
                app,
                id,
                form.values(),
                errors,
                Status::UnprocessableEntity,
                view,
            );
            return Ok(Answer::from(r.await?));
        }
    };
    let category = input.category_id;
    let saved = app
        .db
        .write(move |c| {
            if let Some(cat) = category
                && !categories::exists(c, cat)?
            {
                return Err(Error::BadRequest("category".into()));
            }
            store::save(c, id, &input, staff.id)
        })
        .await;
    match saved {
        Ok(id) => {
            // Back on the tab that was open.
            let tab = match view.tab {
                Lang::En => String::new(),
                lang => format!("?lang={}", lang.code()),
            };
            Ok(Answer::from(Flash::success(
                Redirect::to(format!("/staff/kb/{id}{tab}")),
                "kb_flash_saved",
            )))
        }
        Err(Error::BadRequest(field)) => {
            let (key, msg) = match field.as_str() {
                "slug" => ("slug", "kb_error_slug_taken"),
                _ => ("category", "kb_error_category_invalid"),
            };
            let mut errors = FieldErrors::new();
            errors.add(key, msg);
            let r = render_editor(
                &page,
                app,
                id,
                form.values(),
                errors,
                Status::UnprocessableEntity,
                view,
            );
            Ok(Answer::from(r.await?))
        }
        Err(e) => Err(e),
    }
}

#[post("/kb/new", data = "<form>")]
async fn create(
    staff: StaffUser,
    page: Page<'_>,
    app: &State<App>,
    form: Checked<ArticleForm>,
) -> PageResult {
    save(staff, page, app, None, form.0).await
}

#[post("/kb/<id>", data = "<form>")]
async fn update(
    staff: StaffUser,
    page: Page<'_>,
    app: &State<App>,
    id: i64,
    form: Checked<ArticleForm>,
) -> PageResult {
    save(staff, page, app, Some(id), form.0).await
}

pub fn routes() -> Vec<Route> {
    routes![new_page, edit_page, create, update]
}
