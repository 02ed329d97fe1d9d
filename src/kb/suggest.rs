//! Suggestions while an employee writes a ticket: `GET /suggest?q=` answers with the best
//! published articles and similar open tickets (their subject and status only: never who asked
//! or what the messages say), and `POST /suggest/solved` counts "this solved my problem" clicks
//! as deflected tickets.

use crate::auth::StaffUser;
use crate::auth::access::Access;
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
pub struct TicketHit {
    subject: String,
    status: String,
}

#[derive(Serialize)]
pub struct Suggestions {
    articles: Vec<ArticleHit>,
    tickets: Vec<TicketHit>,
}

/// Open tickets whose subject has any typed word (of three letters or more), newest first:
/// (subject, status id). No ranking over every match: open tickets are few, closed ones many.
fn similar_open_tickets(
    conn: &rusqlite::Connection,
    q: &str,
    access: &Access,
) -> Result<Vec<(String, i64)>> {
    let Some(expr) = crate::search::match_any_expr(q) else {
        return Ok(Vec::new());
    };
    // Only the subject column: message text is private to the requester and staff.
    let subject_only = format!("subject : ({expr})");
    crate::tickets::store::open_with_subject_matching(conn, &subject_only, LIMIT as i64, access)
}

/// A signed-in staff member limited to some categories is shown only their categories' tickets.
#[get("/suggest?<q>")]
async fn suggest(
    app: &State<App>,
    lang: Lang,
    staff: Option<StaffUser>,
    q: Option<&str>,
) -> Result<Json<Suggestions>> {
    let access = staff.map(|s| s.access).unwrap_or_default();
    let q: String = q.unwrap_or("").chars().take(MAX_QUERY).collect();
    let Some(expr) = crate::search::match_any_expr(&q) else {
        return Ok(Json(Suggestions {
            articles: Vec::new(),
            tickets: Vec::new(),
        }));
    };
    let words = q.clone();
    let (articles, tickets) = app
        .db
        .read(move |c| {
            let articles = store::search(c, lang, super::PUBLIC_STATES, &expr, LIMIT)?;
            let tickets = similar_open_tickets(c, &words, &access)?;
            Ok((articles, tickets))
        })
        .await?;
    let refdata = app.refdata(lang).await?;
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
