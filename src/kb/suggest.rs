//! Suggestions while an employee writes a ticket: `GET /suggest?q=` answers with the best
//! published articles (title, address and a snippet of their text, Markdown rendered to text),
//! never tickets: the portal has no accounts, so another employee's ticket, even its subject,
//! is not for whoever types there. Published known issues the text is about come first
//! (`crate::incidents::known_issues_for`), so the employee can say "Me too" instead. `POST /suggest/solved` counts "this solved my problem" clicks
//! as deflected tickets.

use rocket::form::FromForm;
use rocket::http::Status;
use rocket::serde::json::Json;
use rocket::{Route, State, get, post, routes};
use serde::Serialize;

use super::store;
use crate::error::Result;
use crate::web::csrf::{Checked, CsrfForm};
use crate::web::{App, Lang};

const LIMIT: usize = 5;
const MAX_QUERY: usize = 200;

#[derive(Serialize)]
pub struct ArticleHit {
    title: String,
    url: String,
    /// Plain text: the page inserts it as text, never as HTML.
    snippet: String,
}

/// A published incident the typed text is about; `url` leads to its "Me too" on the page.
#[derive(Serialize)]
pub struct KnownIssueHit {
    title: String,
    url: String,
}

#[derive(Serialize)]
pub struct Suggestions {
    known_issues: Vec<KnownIssueHit>,
    articles: Vec<ArticleHit>,
}

#[get("/suggest?<q>")]
async fn suggest(app: &State<App>, lang: Lang, q: Option<&str>) -> Result<Json<Suggestions>> {
    let q: String = q.unwrap_or("").chars().take(MAX_QUERY).collect();
    let Some(expr) = crate::search::match_any_expr(&q) else {
        return Ok(Json(Suggestions {
            known_issues: Vec::new(),
            articles: Vec::new(),
        }));
    };
    let typed = q.clone();
    let known_issues = app
        .db
        .read_quick(move |c| crate::incidents::known_issues_for(c, &typed))
        .await?
        .into_iter()
        .map(|i| KnownIssueHit {
            url: format!("#known-issue-{}", i.id),
            title: i.title,
        })
        .collect();
    let articles = app
        .db
        .read(move |c| store::search_text(c, lang, super::PUBLIC_STATES, &expr, LIMIT))
        .await?;
    let articles = articles
        .into_iter()
        .map(|a| ArticleHit {
            url: format!("/kb/{}", a.slug),
            title: a.title,
            snippet: a.snippet.unwrap_or_default(),
        })
        .collect();
    Ok(Json(Suggestions {
        known_issues,
        articles,
    }))
}

#[derive(FromForm)]
struct SolvedForm {
    #[field(default = String::new())]
    csrf_token: String,
    #[field(default = String::new())]
    slug: String,
}

impl CsrfForm for SolvedForm {
    fn csrf_token(&self) -> &str {
        &self.csrf_token
    }
}

/// "This solved my problem" on a suggested article: the employee needs no ticket.
#[post("/suggest/solved", data = "<form>")]
async fn solved(app: &State<App>, form: Checked<SolvedForm>) -> Result<Status> {
    let slug = form.0.slug;
    let counted = app
        .db
        .write(move |c| store::record_deflection(c, &slug))
        .await?;
    Ok(if counted {
        Status::NoContent
    } else {
        Status::NotFound
    })
}

pub fn routes() -> Vec<Route> {
    routes![suggest, solved]
}
