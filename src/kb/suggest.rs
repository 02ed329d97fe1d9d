//! Suggestions while an employee writes a ticket: `GET /suggest?q=` answers with the best
//! published articles and similar open tickets (their subject and status only: never who asked
//! or what the messages say), and `POST /suggest/solved` counts "this solved my problem" clicks
//! as deflected tickets.

use rocket::form::FromForm;
use rocket::http::Status;
use rocket::serde::json::Json;
use rocket::{Route, State, get, post, routes};
use serde::Serialize;

use super::store;
use crate::error::Result;
use crate::tickets::RefData;
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
pub struct TicketHit {
    subject: String,
    status: String,
}

#[derive(Serialize)]
pub struct Suggestions {
    articles: Vec<ArticleHit>,
    tickets: Vec<TicketHit>,
}

/// Open tickets whose subject matches, best first: (subject, status id).
fn similar_open_tickets(conn: &rusqlite::Connection, expr: &str) -> Result<Vec<(String, i64)>> {
    let mut stmt = conn.prepare_cached(
        "SELECT t.subject, t.status_id FROM ticket_search f
         JOIN tickets t ON t.id = f.rowid
         JOIN statuses s ON s.id = t.status_id
         WHERE ticket_search MATCH ?1 AND s.is_closed = 0
         ORDER BY bm25(ticket_search) LIMIT ?2",
    )?;
    // Only the subject column: message text is private to the requester and staff.
    let subject_only = format!("subject : ({expr})");
    let rows = stmt
        .query_map(rusqlite::params![subject_only, LIMIT as i64], |r| {
            Ok((r.get(0)?, r.get(1)?))
        })?
        .collect::<rusqlite::Result<Vec<_>>>()?;
    Ok(rows)
}

#[get("/suggest?<q>")]
async fn suggest(app: &State<App>, lang: Lang, q: Option<&str>) -> Result<Json<Suggestions>> {
    let q: String = q.unwrap_or("").chars().take(MAX_QUERY).collect();
    let Some(expr) = crate::search::match_any_expr(&q) else {
        return Ok(Json(Suggestions {
            articles: Vec::new(),
            tickets: Vec::new(),
        }));
    };
    let (articles, tickets, refdata) = app
        .db
        .read(move |c| {
            let articles = store::search(c, lang, super::PUBLIC_STATES, &expr, LIMIT)?;
            let tickets = similar_open_tickets(c, &expr)?;
            Ok((articles, tickets, RefData::load(c)?))
        })
        .await?;
    let refdata = refdata.localize(&app.i18n, lang);
    let articles = articles
        .into_iter()
        .map(|a| ArticleHit {
            url: format!("/kb/{}", a.slug),
            title: a.title,
            snippet: a.snippet.map(|s| plain_text(&s)).unwrap_or_default(),
        })
        .collect();
    let tickets = tickets
        .into_iter()
        .map(|(subject, status)| TicketHit {
            subject,
            status: refdata
                .status(status)
                .map(|s| s.label.clone())
                .unwrap_or_default(),
        })
        .collect();
    Ok(Json(Suggestions { articles, tickets }))
}

/// The text of a highlighted snippet: marks removed, entities decoded.
fn plain_text(html: &str) -> String {
    html.replace("<mark>", "")
        .replace("</mark>", "")
        .replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&quot;", "\"")
        .replace("&#x27;", "'")
        .replace("&#x2F;", "/")
        .replace("&amp;", "&")
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
