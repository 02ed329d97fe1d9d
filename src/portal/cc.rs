//! CC addresses on the requester's side (issue 16 item 7): on the new-ticket form (`cc`, read
//! by `submit_ticket` through `parse_form`) and added or removed on the ticket's page. Whoever
//! may open the ticket's page (its cookie or secret link) may change them.

use rocket::form::FromForm;
use rocket::http::CookieJar;
use rocket::response::{Flash, Redirect};
use rocket::{Route, State, post, routes};

use super::accessible;
use crate::db::now;
use crate::error::{Error, FieldErrors, Result};
use crate::tickets::followers::{self, Kind};
use crate::web::App;
use crate::web::csrf::{Checked, CsrfForm};

/// The CC addresses typed on the new-ticket form, an error next to `cc` when refused; the
/// requester's own address is dropped (they get the mail anyway).
pub fn parse_form(raw: &str, requester: &str, errors: &mut FieldErrors) -> Vec<String> {
    match followers::parse_cc(raw) {
        Ok(list) => list
            .into_iter()
            .filter(|a| !a.eq_ignore_ascii_case(requester.trim()))
            .collect(),
        Err(key) => {
            errors.add("cc", key);
            Vec::new()
        }
    }
}

/// Adds `list` as the ticket's CC followers, in the transaction that opened it.
pub fn add_all(
    conn: &rusqlite::Connection,
    ticket_id: i64,
    list: &[String],
    at: i64,
) -> Result<()> {
    for addr in list {
        followers::add_email(conn, ticket_id, addr, "", Kind::Cc, at)?;
    }
    Ok(())
}

#[derive(FromForm)]
struct CcForm {
    #[field(default = String::new())]
    csrf_token: String,
    #[field(default = String::new())]
    cc: String,
    #[field(default = String::new())]
    email: String,
}

impl CsrfForm for CcForm {
    fn csrf_token(&self) -> &str {
        &self.csrf_token
    }
}

fn back(tracking_id: &str) -> Redirect {
    Redirect::to(format!("/tickets/{tracking_id}#cc"))
}

#[post("/tickets/<tid>/cc", data = "<form>")]
async fn add(
    app: &State<App>,
    cookies: &CookieJar<'_>,
    tid: &str,
    form: Checked<CcForm>,
) -> Result<Flash<Redirect>> {
    let Some(ticket) = accessible(app, cookies, tid, None).await? else {
        return Err(Error::Forbidden);
    };
    let list = match followers::parse_cc(&form.0.cc) {
        Ok(list) if !list.is_empty() => list,
        Ok(_) => {
            return Ok(Flash::error(
                back(&ticket.tracking_id),
                followers::ERROR_CC_INVALID,
            ));
        }
        Err(key) => return Ok(Flash::error(back(&ticket.tracking_id), key)),
    };
    let (id, requester, at) = (ticket.id, ticket.requester_email.clone(), now());
    let fits = app
        .db
        .write(move |c| {
            let list: Vec<String> = list
                .into_iter()
                .filter(|a| !a.eq_ignore_ascii_case(&requester))
                .collect();
            let have = followers::ccs(c, id)?;
            let new = list
                .iter()
                .filter(|a| !have.iter().any(|f| f.email.as_deref() == Some(a.as_str())))
                .count();
            if have.len() + new > followers::MAX_CC {
                return Ok(false);
            }
            add_all(c, id, &list, at)?;
            Ok(true)
        })
        .await?;
    Ok(if fits {
        Flash::success(back(&ticket.tracking_id), "flash_cc_added")
    } else {
        Flash::error(back(&ticket.tracking_id), followers::ERROR_CC_TOO_MANY)
    })
}

#[post("/tickets/<tid>/cc/remove", data = "<form>")]
async fn remove(
    app: &State<App>,
    cookies: &CookieJar<'_>,
    tid: &str,
    form: Checked<CcForm>,
) -> Result<Flash<Redirect>> {
    let Some(ticket) = accessible(app, cookies, tid, None).await? else {
        return Err(Error::Forbidden);
    };
    let (id, email) = (ticket.id, form.0.email.trim().to_lowercase());
    app.db
        .write(move |c| followers::remove_cc(c, id, &email))
        .await?;
    Ok(Flash::success(
        back(&ticket.tracking_id),
        "flash_cc_removed",
    ))
}

pub fn routes() -> Vec<Route> {
    routes![add, remove]
}
