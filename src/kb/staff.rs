//! Staff pages for the knowledge base: every article (drafts too), searched and filtered a page
//! at a time, and the links to articles offered on a ticket. The editor is in `editor`, the
//! categories' page in `category_pages`.

use rocket::form::FromForm;
use rocket::serde::json::Json;
use rocket::{Route, State, get, routes};
use serde::Serialize;
use serde_json::json;

use super::staff_list::{self, CategoryFilter, Filter, LangFilter};
use super::{categories, store};
use crate::auth::StaffUser;
use crate::error::Result;
use crate::i18n::{LANGS, Lang};
use crate::util::{clean, url_encode};
use crate::web::{App, Html, Page};

/// Articles to a page of the staff list.
pub const PER_PAGE: i64 = 25;

/// The list's filters as the query string gave them (kept as typed for the form and links).
struct ListQuery {
    q: String,
    state: String,
    category: String,
    lang: String,
    page: i64,
}

impl ListQuery {
    /// The filter to run; a value that names nothing is ignored (the form shows "any").
    fn filter(&self) -> Filter {
        Filter {
            search: crate::search::match_expr(&self.q),
            state: super::ALL_STATES.iter().copied().find(|s| *s == self.state),
            category: match self.category.as_str() {
                "none" => Some(CategoryFilter::None),
                c => c.parse().ok().map(CategoryFilter::Id),
            },
            lang: lang_filter(&self.lang),
        }
    }

    /// The query string of this list on another page (`&amp;`-free: Tera escapes it).
    fn query_string(&self, page: i64) -> String {
        let mut parts = Vec::new();
        for (key, value) in [
            ("q", &self.q),
            ("state", &self.state),
            ("category", &self.category),
            ("lang", &self.lang),
        ] {
            if !value.is_empty() {
                parts.push(format!("{key}={}", url_encode(value)));
            }
        }
        if page > 1 {
            parts.push(format!("page={page}"));
        }
        parts.join("&")
    }
}

/// `en`/`es`: has that translation; `no_en`/`no_es`: lacks it.
fn lang_filter(value: &str) -> Option<LangFilter> {
    let (lacks, code) = match value.strip_prefix("no_") {
        Some(code) => (true, code),
        None => (false, value),
    };
    let lang = LANGS.into_iter().find(|l| l.code() == code)?;
    Some(if lacks {
        LangFilter::Lacks(lang)
    } else {
        LangFilter::Has(lang)
    })
}

/// The list's query string: `q`, `state`, `category` (an id or `none`), `lang` (see
/// `lang_filter`) and `page`, every one optional.
#[derive(FromForm, Default)]
struct ListParams<'r> {
    q: Option<&'r str>,
    state: Option<&'r str>,
    category: Option<&'r str>,
    lang: Option<&'r str>,
    page: Option<i64>,
}

#[get("/kb?<params..>")]
async fn list(
    staff: StaffUser,
    page: Page<'_>,
    app: &State<App>,
    params: ListParams<'_>,
) -> Result<Html> {
    let query = ListQuery {
        q: clean(params.q.unwrap_or(""), 200),
        state: clean(params.state.unwrap_or(""), 20),
        category: clean(params.category.unwrap_or(""), 20),
        lang: clean(params.lang.unwrap_or(""), 10),
        page: params.page.unwrap_or(1).max(1),
    };
    let filter = query.filter();
    let viewer = page.lang;
    let wanted = query.page;
    let (all_categories, total, articles, avoided, shown_page) = app
        .db
        .read(move |c| {
            let total = staff_list::count(c, &filter)?;
            // Past the last page: the last one.
            let last = ((total + PER_PAGE - 1) / PER_PAGE).max(1);
            let shown = wanted.min(last);
            let articles = staff_list::page(c, viewer, &filter, (shown - 1) * PER_PAGE, PER_PAGE)?;
            Ok((
                categories::all(c, viewer)?,
                total,
                articles,
                store::total_deflections(c)?,
                shown,
            ))
        })
        .await?;
    // Admins see the knowledge base's effect on the desk as a whole.
    let avoided = staff.is_admin.then(|| {
        let key = if avoided == 1 {
            "kb_tickets_avoided_one"
        } else {
            "kb_tickets_avoided_other"
        };
        page.t(key).replace("{n}", &avoided.to_string())
    });
    let from = if total == 0 {
        0
    } else {
        (shown_page - 1) * PER_PAGE + 1
    };
    let to = (from + articles.len() as i64 - 1).max(0);
    let range = if total == 0 {
        page.t("kb_list_range_none")
    } else {
        page.t("kb_list_range")
            .replace("{from}", &from.to_string())
            .replace("{to}", &to.to_string())
            .replace("{total}", &total.to_string())
    };
    let filtered = !query.q.is_empty()
        || !query.state.is_empty()
        || !query.category.is_empty()
        || !query.lang.is_empty();
    page.render(
        "staff/kb_list.html",
        json!({
            "categories": all_categories, "articles": articles, "avoided": avoided,
            "states": super::ALL_STATES,
            "filter": {
                "q": query.q, "state": query.state, "category": query.category, "lang": query.lang,
            },
            "filtered": filtered, "total": total, "range": range,
            "pager": {
                "page": shown_page, "has_prev": shown_page > 1, "has_next": to < total,
                "first": query.query_string(1),
                "prev": query.query_string(shown_page - 1),
                "next": query.query_string(shown_page + 1),
            },
        }),
    )
}

/// How many articles `/staff/kb/links` answers with, and how many the page lists without script.
const LINKS_LIMIT: usize = 10;

#[derive(Serialize)]
pub struct ArticleLink {
    title: String,
    url: String,
}

/// An article's absolute address, for links pasted into replies.
pub fn article_url(app: &App, slug: &str) -> String {
    format!("{}/kb/{slug}", app.config.base_url.trim_end_matches('/'))
}

/// The articles worth linking in a reply (published, most viewed first), read on `conn` so a
/// page can fetch them in the same round trip as its other data; `article_links` gives their addresses.
pub fn popular_articles(conn: &rusqlite::Connection, lang: Lang) -> Result<Vec<store::Summary>> {
    store::most_viewed(conn, lang, LINKS_LIMIT as i64)
}

/// `popular_articles` with their addresses.
pub fn article_links(app: &App, articles: Vec<store::Summary>) -> Vec<ArticleLink> {
    articles
        .into_iter()
        .map(|a| ArticleLink {
            url: article_url(app, &a.slug),
            title: a.title,
        })
        .collect()
}

/// Articles matching `q` (published and internal), for the "insert article link" box on a ticket.
#[get("/kb/links?<q>")]
async fn links(
    _staff: StaffUser,
    app: &State<App>,
    lang: Lang,
    q: Option<&str>,
) -> Result<Json<Vec<ArticleLink>>> {
    let q = clean(q.unwrap_or(""), 200);
    let Some(expr) = crate::search::match_expr(&q) else {
        return Ok(Json(Vec::new()));
    };
    let articles = app
        .db
        .read(move |c| store::search(c, lang, super::STAFF_STATES, &expr, LINKS_LIMIT))
        .await?;
    Ok(Json(
        articles
            .into_iter()
            .map(|a| ArticleLink {
                url: article_url(app, &a.slug),
                title: a.title,
            })
            .collect(),
    ))
}

pub fn routes() -> Vec<Route> {
    let mut all = routes![list, links];
    all.extend(super::editor::routes());
    all.extend(super::article_files::routes());
    all.extend(super::category_pages::routes());
    all
}
