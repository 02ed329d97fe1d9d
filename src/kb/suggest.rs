//! Suggestions while an employee writes a ticket: `GET /suggest?q=` answers with the best
//! published articles (title, address and a snippet of their text, Markdown rendered to text),
//! never tickets: the portal has no accounts, so another employee's ticket, even its subject,
//! is not for whoever types there. `POST /suggest/solved` counts "this solved my problem" clicks
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

#[derive(Serialize)]
pub struct Suggestions {
    articles: Vec<ArticleHit>,
}

#[get("/suggest?<q>")]
async fn suggest(app: &State<App>, lang: Lang, q: Option<&str>) -> Result<Json<Suggestions>> {
    let q: String = q.unwrap_or("").chars().take(MAX_QUERY).collect();
    let Some(expr) = crate::search::match_any_expr(&q) else {
        return Ok(Json(Suggestions {
            articles: Vec::new(),
        }));
    };
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
    Ok(Json(Suggestions { articles }))
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
