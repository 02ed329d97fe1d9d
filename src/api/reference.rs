//! The desk's reference lists: categories, statuses, priorities, staff, and the knowledge base
//! (articles a page at a time, and its search). Each answers `{"data": [...]}`; names are the
//! stored ones (as the desk shows them in English). Query parameters these routes do not know
//! are ignored; the ones they know are checked, 400 naming the parameter.

use rocket::serde::json::Json;
use rocket::{State, get, routes};
use serde_json::{Value, json};

use super::{ApiError, ApiResult, ApiUser};
use crate::desk_time::format::iso;
use crate::i18n::Lang;
use crate::kb::store as kb;
use crate::web::App;

pub fn routes() -> Vec<rocket::Route> {
    routes![
        categories,
        statuses,
        priorities,
        staff,
        kb_articles,
        kb_search
    ]
}

/// Every category, inactive ones too, with whether the token's member may work its tickets.
#[get("/categories")]
async fn categories(app: &State<App>, user: ApiUser) -> ApiResult<Value> {
    let refdata = app.refdata(Lang::En).await?;
    let data: Vec<Value> = refdata
        .categories
        .iter()
        .map(|c| {
            let priority = refdata
                .priority(c.default_priority_id)
                .map(|p| json!({"id": p.id, "name": p.name}));
            json!({
                "id": c.id, "name": c.name, "active": c.active,
                "default_priority": priority, "accessible": user.staff.access.allows(c.id),
            })
        })
        .collect();
    Ok(Json(json!({ "data": data })))
}

/// Every status, in the desk's order.
#[get("/statuses")]
async fn statuses(app: &State<App>, _user: ApiUser) -> ApiResult<Value> {
    let refdata = app.refdata(Lang::En).await?;
    let data: Vec<Value> = refdata
        .statuses
        .iter()
        .map(|s| json!({"id": s.id, "name": s.name, "slug": s.slug, "is_closed": s.is_closed}))
        .collect();
    Ok(Json(json!({ "data": data })))
}

/// Every priority, lowest rank first.
#[get("/priorities")]
async fn priorities(app: &State<App>, _user: ApiUser) -> ApiResult<Value> {
    let refdata = app.refdata(Lang::En).await?;
    let data: Vec<Value> = refdata
        .priorities
        .iter()
        .map(|p| json!({"id": p.id, "name": p.name, "slug": p.slug, "rank": p.rank}))
        .collect();
    Ok(Json(json!({ "data": data })))
}

/// Every staff account, active ones first (assignees are chosen from it).
#[get("/staff")]
async fn staff(app: &State<App>, _user: ApiUser) -> ApiResult<Value> {
    let accounts = app.db.read(crate::auth::users::list).await?;
    let data: Vec<Value> = accounts
        .iter()
        .map(|a| {
            json!({
                "id": a.id, "name": a.name, "email": a.email, "role": a.role.as_str(),
                "active": a.active,
            })
        })
        .collect();
    Ok(Json(json!({ "data": data })))
}

/// Articles on a page by default, and at most.
const DEFAULT_LIMIT: i64 = 50;
const MAX_LIMIT: i64 = 100;
/// Search results by default.
const DEFAULT_HITS: i64 = 20;

/// `limit`: a whole number in 1..=MAX_LIMIT, `default` when absent.
fn limit(value: Option<&str>, default: i64) -> Result<i64, ApiError> {
    match value {
        None => Ok(default),
        Some(v) => v
            .trim()
            .parse::<i64>()
            .ok()
            .filter(|n| (1..=MAX_LIMIT).contains(n))
            .ok_or_else(|| {
                ApiError::bad_request(format!(
                    "limit must be a whole number from 1 to {MAX_LIMIT}"
                ))
            }),
    }
}

/// `lang`: which translation's title (and for search, which one is preferred); English
/// unless given.
fn language(value: Option<&str>) -> Result<Lang, ApiError> {
    match value {
        None => Ok(Lang::En),
        Some(code) => match code.trim() {
            "en" => Ok(Lang::En),
            "es" => Ok(Lang::Es),
            _ => Err(ApiError::bad_request("lang must be en or es")),
        },
    }
}

fn category(summary: &kb::Summary) -> Value {
    match (summary.category_id, &summary.category) {
        (Some(id), Some(name)) => json!({"id": id, "name": name}),
        _ => Value::Null,
    }
}

/// The knowledge base's articles in one state (`status`: `published` by default, `internal`
/// or `draft`, all of which staff may read), by id, `limit` to a page; `cursor` is the
/// previous page's `next_cursor` (null on the last page).
#[get("/kb/articles?<status>&<limit>&<cursor>&<lang>")]
async fn kb_articles(
    app: &State<App>,
    _user: ApiUser,
    status: Option<&str>,
    limit: Option<&str>,
    cursor: Option<&str>,
    lang: Option<&str>,
) -> ApiResult<Value> {
    let state = match status.map(str::trim) {
        None => "published",
        Some(s) => crate::kb::ALL_STATES
            .iter()
            .copied()
            .find(|known| *known == s)
            .ok_or_else(|| ApiError::bad_request("status must be published, internal or draft"))?,
    };
    let limit = self::limit(limit, DEFAULT_LIMIT)?;
    let after = match cursor {
        None => 0,
        Some(c) => c
            .trim()
            .parse::<i64>()
            .ok()
            .filter(|n| *n >= 0)
            .ok_or_else(|| ApiError::bad_request("cursor must be a next_cursor this API gave"))?,
    };
    let lang = language(lang)?;
    let mut rows = app
        .db
        .read(move |c| kb::page_by_id(c, lang, state, after, limit + 1))
        .await?;
    let more = rows.len() as i64 > limit;
    rows.truncate(limit as usize);
    let next_cursor = match rows.last() {
        Some((last, _)) if more => Some(last.id.to_string()),
        _ => None,
    };
    let data: Vec<Value> = rows
        .iter()
        .map(|(a, languages)| {
            json!({
                "id": a.id, "slug": a.slug, "state": a.state, "title": a.title, "lang": a.lang,
                "languages": languages, "category": category(a),
                "updated_at": iso(a.updated_at), "url": crate::kb::article_url(app, &a.slug),
            })
        })
        .collect();
    Ok(Json(json!({ "data": data, "next_cursor": next_cursor })))
}

/// The knowledge base's search, as the desk's staff search it (published and internal
/// articles), best first, each with a snippet of plain text; `q` is required.
#[get("/kb/search?<q>&<limit>&<lang>")]
async fn kb_search(
    app: &State<App>,
    _user: ApiUser,
    q: Option<&str>,
    limit: Option<&str>,
    lang: Option<&str>,
) -> ApiResult<Value> {
    let q = crate::util::clean(q.unwrap_or(""), 200);
    let expr = crate::search::match_expr(&q)
        .ok_or_else(|| ApiError::bad_request("q is required: the words to search for"))?;
    let limit = self::limit(limit, DEFAULT_HITS)? as usize;
    let lang = language(lang)?;
    let hits = app
        .db
        .read(move |c| kb::search_plain(c, lang, crate::kb::STAFF_STATES, &expr, limit))
        .await?;
    let data: Vec<Value> = hits
        .iter()
        .map(|a| {
            json!({
                "id": a.id, "slug": a.slug, "state": a.state, "title": a.title, "lang": a.lang,
                "snippet": a.snippet.as_deref().unwrap_or(""),
                "url": crate::kb::article_url(app, &a.slug),
            })
        })
        .collect();
    Ok(Json(json!({ "data": data })))
}
