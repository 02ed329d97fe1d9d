//! `GET /tickets`: the tickets the token's member may see, filtered, newest change first, a
//! page at a time with an opaque `next_cursor` (`tickets::json_list`). Every parameter is
//! checked: a wrong value, or a parameter the list does not know (a typo would otherwise list
//! everything), is a 422 naming it.

use rocket::http::uri::{Origin, Query};
use rocket::serde::json::Json;
use rocket::{State, get};
use serde::Serialize;

use super::{ApiError, ApiResult, ApiUser};
use crate::desk_time::format::parse_iso;
use crate::i18n::Lang;
use crate::tickets::RefData;
use crate::tickets::json::TicketObject;
use crate::tickets::json_list::{self, Assigned, Cursor, DEFAULT_LIMIT, Filter, MAX_LIMIT};
use crate::util::{clean, looks_like_email};
use crate::web::App;

const PARAMETERS: &[&str] = &[
    "status",
    "priority",
    "category",
    "assignee",
    "requester",
    "q",
    "updated_since",
    "limit",
    "cursor",
];

fn bad(name: &str, what: impl std::fmt::Display) -> ApiError {
    ApiError::invalid(format!("{name}: {what}"))
}

fn id_of(name: &str, value: &str) -> Result<i64, ApiError> {
    value
        .trim()
        .parse::<i64>()
        .map_err(|_| bad(name, format!("expected an id, got `{value}`")))
}

/// The filter the query string asks for, every value checked.
fn filter_of(
    query: Option<Query<'_>>,
    me: i64,
    refdata: &RefData,
    user: &ApiUser,
) -> Result<Filter, ApiError> {
    let mut f = Filter {
        limit: DEFAULT_LIMIT,
        access: user.staff.access.clone(),
        ..Filter::default()
    };
    let mut seen: Vec<String> = Vec::new();
    let pairs: Vec<(String, String)> = query
        .map(|q| {
            q.segments()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect()
        })
        .unwrap_or_default();
    for (name, value) in pairs {
        if !PARAMETERS.contains(&name.as_str()) {
            return Err(ApiError::invalid(format!(
                "unknown parameter `{name}`; the list takes {}",
                PARAMETERS.join(", ")
            )));
        }
        if seen.contains(&name) {
            return Err(bad(&name, "given more than once"));
        }
        seen.push(name.clone());
        let v = value.as_str();
        match name.as_str() {
            "status" => {
                let id = id_of(&name, v)?;
                refdata
                    .status(id)
                    .ok_or_else(|| bad(&name, format!("no status with id {id}")))?;
                f.status = Some(id);
            }
            "priority" => {
                let id = id_of(&name, v)?;
                refdata
                    .priority(id)
                    .ok_or_else(|| bad(&name, format!("no priority with id {id}")))?;
                f.priority = Some(id);
            }
            "category" => {
                let id = id_of(&name, v)?;
                refdata
                    .category(id)
                    .ok_or_else(|| bad(&name, format!("no category with id {id}")))?;
                f.category = Some(id);
            }
            "assignee" => {
                f.assignee = Some(match v.trim() {
                    "me" => Assigned::To(me),
                    "none" => Assigned::Nobody,
                    other => {
                        let id = other.parse::<i64>().map_err(|_| {
                            bad(&name, format!("expected me, none or an id, got `{other}`"))
                        })?;
                        refdata
                            .agent(id)
                            .ok_or_else(|| bad(&name, format!("no staff member with id {id}")))?;
                        Assigned::To(id)
                    }
                });
            }
            "requester" => {
                let email = v.trim().to_lowercase();
                if !looks_like_email(&email) {
                    return Err(bad(&name, format!("expected an email address, got `{v}`")));
                }
                f.requester = Some(email);
            }
            "q" => f.q = clean(v, 200),
            "updated_since" => {
                let at = parse_iso(v).ok_or_else(|| {
                    bad(
                        &name,
                        format!("expected an RFC 3339 time (2026-07-01T10:00:00Z), got `{v}`"),
                    )
                })?;
                f.updated_since = Some(at);
            }
            "limit" => {
                f.limit = v
                    .trim()
                    .parse::<i64>()
                    .ok()
                    .filter(|n| (1..=MAX_LIMIT).contains(n))
                    .ok_or_else(|| bad(&name, format!("expected 1 to {MAX_LIMIT}, got `{v}`")))?;
            }
            "cursor" => {
                f.after = Some(
                    Cursor::decode(v).ok_or_else(|| bad(&name, "not a cursor this list gave"))?,
                );
            }
            _ => {}
        }
    }
    Ok(f)
}

/// A page as answered: serialised straight from the typed tickets (no `Value` copy of them).
#[derive(Serialize)]
pub(super) struct TicketPage {
    data: Vec<TicketObject>,
    next_cursor: Option<String>,
}

#[get("/tickets")]
pub(super) async fn list(
    app: &State<App>,
    user: ApiUser,
    uri: &Origin<'_>,
) -> ApiResult<TicketPage> {
    let refdata = app.refdata(Lang::En).await?;
    let filter = filter_of(uri.query(), user.staff.id, &refdata, &user)?;
    let page = app.db.read(move |c| json_list::page(c, &filter)).await?;
    Ok(Json(TicketPage {
        data: page.tickets,
        next_cursor: page.next.map(Cursor::encode),
    }))
}
