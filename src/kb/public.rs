//! The knowledge base as employees see it: `/kb` (categories, articles, search) and
//! `/kb/<slug>` (an article, its "was this helpful?" vote and related articles).

use rocket::form::FromForm;
use rocket::http::{ContentType, Cookie, CookieJar, SameSite};
use rocket::response::{Flash, Redirect};
use rocket::{Route, State, get, post, routes};
use serde_json::{Value, json};

use super::categories;
use super::store::{self, Summary};
use crate::auth::StaffUser;
use crate::error::{Error, Result};
use crate::tickets::uploads::{content_type_for, extension};
use crate::util::clean;
use crate::web::csrf::{Checked, CsrfForm};
use crate::web::files::Download;
use crate::web::{App, Html, Page};

/// Search results shown on `/kb`.
const SEARCH_LIMIT: usize = 30;
const RELATED_LIMIT: i64 = 5;

/// Articles grouped under their categories, in order; uncategorised ones last.
fn group(categories: &[categories::Category], articles: Vec<Summary>) -> Vec<Value> {
    let mut groups: Vec<Value> = Vec::new();
    for c in categories {
        let items: Vec<&Summary> = articles
            .iter()
            .filter(|a| a.category_id == Some(c.id))
            .collect();
        if !items.is_empty() {
            groups.push(json!({ "name": c.label, "articles": items }));
        }
    }
    let rest: Vec<&Summary> = articles
        .iter()
        .filter(|a| {
            a.category_id
                .is_none_or(|id| !categories.iter().any(|c| c.id == id))
        })
        .collect();
    if !rest.is_empty() {
        groups.push(json!({ "name": null, "articles": rest }));
    }
    groups
}

#[get("/?<q>")]
async fn index(page: Page<'_>, app: &State<App>, q: Option<&str>) -> Result<Html> {
    let q = clean(q.unwrap_or(""), 200);
    let states = super::visible_states(page.staff.is_some());
    let lang = page.lang;
    let expr = crate::search::match_expr(&q);
    let (groups, results) = match expr {
        Some(expr) => {
            let results = app
                .db
                .read(move |c| store::search(c, lang, states, &expr, SEARCH_LIMIT))
                .await?;
            (Vec::new(), Some(results))
        }
        None => {
            let (categories, articles) = app
                .db
                .read(move |c| {
                    Ok((
                        categories::all(c, lang)?,
                        store::list(c, lang, states, None, None, 1000)?,
                    ))
                })
                .await?;
            (group(&categories, articles), None)
        }
    };
    page.render(
        "kb/index.html",
        json!({ "q": q, "groups": groups, "results": results }),
    )
}

#[get("/<slug>")]
async fn article(page: Page<'_>, app: &State<App>, slug: &str) -> Result<Html> {
    let is_staff = page.staff.is_some();
    let key = slug.to_string();
    let article = app
        .db
        .read(move |c| store::by_slug(c, &key))
        .await?
        .ok_or(Error::NotFound)?;
    // Employees see published articles only; staff see everything (drafts as a preview).
    if !is_staff && article.state != "published" {
        return Err(Error::NotFound);
    }
    let (translation, fallback) = article.translation(page.lang).ok_or(Error::NotFound)?;
    let body_html = super::render_markdown(&translation.body_markdown);
    let (id, category, lang) = (article.id, article.category_id, page.lang);
    let states = super::visible_states(is_staff);
    let related = match category {
        Some(cat) => {
            app.db
                .read(move |c| store::list(c, lang, states, Some(cat), Some(id), RELATED_LIMIT))
                .await?
        }
        None => Vec::new(),
    };
    if !is_staff {
        app.db.write(move |c| store::record_view(c, id)).await?;
    }
    page.render(
        "kb/article.html",
        json!({
            "article": article,
            "title": translation.title,
            "article_lang": translation.lang,
            "fallback": fallback,
            "body_html": body_html,
            "related": related,
        }),
    )
}

#[derive(FromForm)]
struct VoteForm {
    #[field(default = String::new())]
    csrf_token: String,
    #[field(default = String::new())]
    helpful: String,
}

impl CsrfForm for VoteForm {
    fn csrf_token(&self) -> &str {
        &self.csrf_token
    }
}

/// Articles this browser has voted on (a private cookie), so a reload does not vote twice.
const VOTES_COOKIE: &str = "kb_votes";
const MAX_REMEMBERED_VOTES: usize = 200;

fn voted(cookies: &CookieJar<'_>) -> Vec<String> {
    cookies
        .get_private(VOTES_COOKIE)
        .map(|c| c.value().split(',').map(str::to_string).collect())
        .unwrap_or_default()
}

#[post("/<slug>/helpful", data = "<form>")]
async fn helpful(
    app: &State<App>,
    cookies: &CookieJar<'_>,
    slug: &str,
    form: Checked<VoteForm>,
) -> Result<Flash<Redirect>> {
    let yes = match form.0.helpful.as_str() {
        "yes" => true,
        "no" => false,
        _ => return Err(Error::BadRequest("helpful must be yes or no".into())),
    };
    let key = slug.to_string();
    let mut votes = voted(cookies);
    let already = votes.clone();
    let (id, slug) = app
        .db
        .write(move |c| {
            let article = store::by_slug(c, &key)?
                .filter(|a| a.state == "published")
                .ok_or(Error::NotFound)?;
            if !already.contains(&article.id.to_string()) {
                store::vote(c, article.id, yes)?;
            }
            Ok((article.id, article.slug))
        })
        .await?;
    if !votes.contains(&id.to_string()) {
        votes.push(id.to_string());
        let keep = votes.len().saturating_sub(MAX_REMEMBERED_VOTES);
        let cookie = Cookie::build((VOTES_COOKIE, votes[keep..].join(",")))
            .path("/kb")
            .same_site(SameSite::Lax)
            .http_only(true)
            .max_age(rocket::time::Duration::days(365));
        cookies.add_private(cookie);
    }
    Ok(Flash::success(
        Redirect::to(format!("/kb/{slug}")),
        "kb_thanks_feedback",
    ))
}

/// A file of an article: an image shown in the page, or anything else as a download.
#[derive(rocket::Responder)]
enum FileResponse {
    Image(Vec<u8>, ContentType),
    Download(Download),
}

/// A file attached to an article, for whoever may read the article: everyone for published
/// ones, logged-in staff for internal articles and drafts. Images (by extension) are served
/// inline with their type; every other file as a sandboxed download.
#[get("/files/<id>")]
async fn file(app: &State<App>, staff: Option<StaffUser>, id: i64) -> Result<FileResponse> {
    let file = app
        .db
        .read(move |c| store::file(c, id))
        .await?
        .ok_or(Error::NotFound)?;
    if staff.is_none() && file.article_state != "published" {
        return Err(Error::NotFound);
    }
    if super::article_files::is_image(&file.filename) {
        let kind = ContentType::parse_flexible(content_type_for(&extension(&file.filename)))
            .unwrap_or(ContentType::Binary);
        return Ok(FileResponse::Image(file.data, kind));
    }
    Ok(FileResponse::Download(Download::new(
        &file.filename,
        &file.content_type,
        file.data,
    )))
}

pub fn routes() -> Vec<Route> {
    routes![index, article, helpful, file]
}
