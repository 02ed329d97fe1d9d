//! "My tickets": a requester asks for a sign-in link by mail (`POST /tickets/mine`, the same
//! answer whether or not the address has tickets; mail only when it has some), opens it (a
//! button, since mail scanners follow links), and is then signed in for
//! `requester_links::SESSION_SECS` (an encrypted cookie naming a session row, ended by signing
//! out): the list of every ticket of that address, each opened without its tracking ID.

use rocket::form::FromForm;
use rocket::http::{Cookie, CookieJar, SameSite, Status};
use rocket::response::{Flash, Redirect};
use rocket::{Route, State, get, post, routes};
use serde_json::json;

use super::abuse::Limits;
use crate::auth::requester_links::{self, LinkState};
use crate::db::now;
use crate::error::Result;
use crate::web::csrf::{Checked, CsrfForm, TokenOnly};
use crate::web::{Answer, App, ClientIp, Html, Page, PageResult};

const COOKIE: &str = "requester";
/// Most tickets the list shows (an address with more is a robot's).
const MAX_LISTED: i64 = 500;

/// The address this browser is signed in as, if any.
pub async fn signed_in_email(app: &App, cookies: &CookieJar<'_>) -> Result<Option<String>> {
    let Some(token) = cookies.get_private(COOKIE).map(|c| c.value().to_string()) else {
        return Ok(None);
    };
    let at = now();
    app.db
        .read_quick(move |c| requester_links::session_email(c, &token, at))
        .await
}

#[get("/tickets/mine")]
async fn mine(page: Page<'_>, app: &State<App>, cookies: &CookieJar<'_>) -> Result<Html> {
    let Some(email) = signed_in_email(app, cookies).await? else {
        return page.render(
            "portal/mine.html",
            json!({ "state": "ask", "email": "", "errors": {} }),
        );
    };
    let refdata = app.refdata(page.lang).await?;
    let lookup = email.clone();
    let mut tickets = app
        .db
        .read(move |c| crate::tickets::store::of_requester(c, &lookup, MAX_LISTED))
        .await?;
    for t in &mut tickets {
        refdata.decorate(t);
    }
    page.render(
        "portal/mine.html",
        json!({ "state": "list", "email": email, "tickets": tickets }),
    )
}

#[derive(FromForm)]
struct AskForm {
    #[field(default = String::new())]
    csrf_token: String,
    #[field(default = String::new())]
    email: String,
}

impl CsrfForm for AskForm {
    fn csrf_token(&self) -> &str {
        &self.csrf_token
    }
}

/// Mails a sign-in link when the address has tickets. The page says the same either way, and
/// a few links per address (and more per client address) per quarter hour are sent at most,
/// so the form can neither find out who has tickets nor flood a mailbox.
#[post("/tickets/mine", data = "<form>")]
async fn ask(
    page: Page<'_>,
    app: &State<App>,
    limits: &State<Limits>,
    ip: ClientIp,
    form: Checked<AskForm>,
) -> PageResult {
    let email = form.0.email.trim().to_lowercase();
    if !crate::util::looks_like_email(&email) {
        let html = page.render(
            "portal/mine.html",
            json!({ "state": "ask", "email": form.0.email,
                    "errors": { "email": { "key": "error_email_invalid" } } }),
        )?;
        return Ok(Answer::from((Status::UnprocessableEntity, html)));
    }
    let (by_email, by_ip) = (format!("mine:{email}"), format!("mine:{}", ip.0));
    let throttled =
        limits.link_per_email.is_blocked(&by_email) || limits.link_per_address.is_blocked(&by_ip);
    if !throttled {
        limits.link_per_email.record_failure(&by_email);
        limits.link_per_address.record_failure(&by_ip);
        let (ctx, lang) = (app.mail_ctx(), page.lang);
        let to = email.clone();
        app.db
            .write(move |c| {
                let at = now();
                requester_links::prune(c, at)?;
                if crate::tickets::store::of_requester(c, &to, 1)?.is_empty() {
                    return Ok(());
                }
                let token = requester_links::create(c, &to, at)?;
                crate::notify::requester_sign_in(c, &ctx, &to, lang, &token, at)?;
                Ok(())
            })
            .await?;
    }
    let html = page.render(
        "portal/mine.html",
        json!({ "state": "sent", "email": email, "errors": {} }),
    )?;
    Ok(Answer::from((Status::Ok, html)))
}

/// The state of a link, as the page names it.
fn state_name(state: &LinkState) -> &'static str {
    match state {
        LinkState::Valid(_) => "confirm",
        LinkState::Used => "used",
        LinkState::Expired => "expired",
        LinkState::Unknown => "unknown",
    }
}

/// The mail's link: a button that signs in (opening it changes nothing), or why it cannot.
#[get("/tickets/mine/signin?<token>")]
async fn signin_page(
    page: Page<'_>,
    app: &State<App>,
    token: Option<&str>,
) -> Result<(Status, Html)> {
    let token = token.unwrap_or("").to_string();
    let lookup = token.clone();
    let state = app
        .db
        .read(move |c| requester_links::peek(c, &lookup, now()))
        .await?;
    let status = match state {
        LinkState::Valid(_) => Status::Ok,
        _ => Status::BadRequest,
    };
    let html = page.render(
        "portal/mine.html",
        json!({ "state": state_name(&state), "token": token, "email": "", "errors": {} }),
    )?;
    Ok((status, html))
}

#[derive(FromForm)]
struct SignInForm {
    #[field(default = String::new())]
    csrf_token: String,
    #[field(default = String::new())]
    token: String,
}

impl CsrfForm for SignInForm {
    fn csrf_token(&self) -> &str {
        &self.csrf_token
    }
}

#[post("/tickets/mine/signin", data = "<form>")]
async fn signin(
    page: Page<'_>,
    app: &State<App>,
    cookies: &CookieJar<'_>,
    form: Checked<SignInForm>,
) -> PageResult {
    let token = form.0.token;
    let outcome = app
        .db
        .write(move |c| requester_links::sign_in(c, &token, now()))
        .await?;
    match outcome {
        Ok(session) => {
            let cookie = Cookie::build((COOKIE, session))
                .path("/")
                .same_site(SameSite::Lax)
                .http_only(true)
                .max_age(rocket::time::Duration::seconds(
                    requester_links::SESSION_SECS,
                ));
            cookies.add_private(cookie);
            Ok(Answer::from(Redirect::to("/tickets/mine")))
        }
        Err(state) => {
            let html = page.render(
                "portal/mine.html",
                json!({ "state": state_name(&state), "email": "", "errors": {} }),
            )?;
            Ok(Answer::from((Status::BadRequest, html)))
        }
    }
}

#[post("/tickets/mine/signout", data = "<_form>")]
async fn signout(
    app: &State<App>,
    cookies: &CookieJar<'_>,
    _form: Checked<TokenOnly>,
) -> Result<Flash<Redirect>> {
    if let Some(token) = cookies.get_private(COOKIE).map(|c| c.value().to_string()) {
        app.db
            .write(move |c| requester_links::end_session(c, &token))
            .await?;
    }
    cookies.remove_private(Cookie::build(COOKIE).path("/"));
    Ok(Flash::success(
        Redirect::to("/tickets/mine"),
        "mine_signed_out",
    ))
}

pub fn routes() -> Vec<Route> {
    routes![mine, ask, signin_page, signin, signout]
}
