//! What keeps the public form from being abused: a honeypot field (a bot that fills it is told
//! its ticket was received, and nothing is stored), submission limits per requester email and
//! per client address (`submit_limit_per_*_hour`, 0 = off; counted in memory like the login
//! throttle, so a restart forgives), and the banned addresses and domains (Admin > Bans).
//! The "My tickets" sign-in mail is throttled here too.

use std::time::Duration;

use rocket::http::Status;
use rocket::response::Redirect;
use rocket::{Route, get, routes};
use serde_json::json;

use super::{TicketForm, form_values, portal_choices};
use crate::config::Config;
use crate::error::Result;
use crate::tickets::bans;
use crate::web::throttle::Throttle;
use crate::web::{Answer, App, ClientIp, Html, Page};

const HOUR: Duration = Duration::from_secs(3600);
/// Sign-in mails: a few per address, more per client address, per quarter hour.
const LINK_WINDOW: Duration = Duration::from_secs(15 * 60);
const LINKS_PER_EMAIL: usize = 3;
const LINKS_PER_ADDRESS: usize = 30;

/// The portal's limits, managed by Rocket beside the app.
pub struct Limits {
    per_email: Option<Throttle>,
    per_address: Option<Throttle>,
    pub link_per_email: Throttle,
    pub link_per_address: Throttle,
}

impl Limits {
    pub fn new(config: &Config) -> Limits {
        let limit = |n: u32| (n > 0).then(|| Throttle::new(n as usize, HOUR));
        Limits {
            per_email: limit(config.submit_limit_per_email_hour),
            per_address: limit(config.submit_limit_per_address_hour),
            link_per_email: Throttle::new(LINKS_PER_EMAIL, LINK_WINDOW),
            link_per_address: Throttle::new(LINKS_PER_ADDRESS, LINK_WINDOW),
        }
    }

    pub(crate) fn over(&self, email: &str, ip: &str) -> bool {
        self.per_email
            .as_ref()
            .is_some_and(|t| t.is_blocked(&format!("email:{email}")))
            || self
                .per_address
                .as_ref()
                .is_some_and(|t| t.is_blocked(&format!("ip:{ip}")))
    }

    /// Counts a ticket submitted by `email` from `ip`.
    pub fn count_submission(&self, email: &str, ip: &str) {
        if let Some(t) = &self.per_email {
            t.record_failure(&format!("email:{email}"));
        }
        if let Some(t) = &self.per_address {
            t.record_failure(&format!("ip:{ip}"));
        }
    }
}

/// The honeypot's field name: hidden from people (and their screen readers), filled by bots.
pub const HONEYPOT: &str = "website";

/// Where a bot caught by the honeypot is sent: a page that looks like success.
pub const RECEIVED_PATH: &str = "/tickets/received";

/// Why a submission may not become a ticket, whichever form it came from (ticket or chat).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Refusal {
    /// Over a submission limit (per email or per client address).
    Limit,
    /// From a banned address or domain (the ban's count is raised).
    Banned,
}

/// The look of success for a bot that filled the honeypot field, or `None` for a person.
pub fn honeypot(filled: &str) -> Option<Answer> {
    (!filled.is_empty()).then(|| Answer::from(Redirect::to(RECEIVED_PATH)))
}

/// The one check every public submission passes: the limits, then the bans for `email`
/// (trimmed and lower-cased by the caller).
pub async fn check(app: &App, limits: &Limits, email: &str, ip: &str) -> Result<Option<Refusal>> {
    if limits.over(email, ip) {
        return Ok(Some(Refusal::Limit));
    }
    if !email.contains('@') {
        return Ok(None);
    }
    let lookup = email.to_string();
    // Looked up on a reader: almost no submission is banned, and a write here would cost
    // every submission a second turn at the single writer. Only a refusal is counted.
    let ban = app
        .db
        .read_quick(move |c| bans::matching(c, &lookup))
        .await?;
    let Some(id) = ban else {
        return Ok(None);
    };
    app.db
        .write(move |c| bans::count(c, id, bans::Stopped::Submission))
        .await?;
    Ok(Some(Refusal::Banned))
}

/// The answer to a ticket form that must not become a ticket, or `None` when it may.
pub async fn screen(
    page: &Page<'_>,
    app: &App,
    limits: &Limits,
    ip: &ClientIp,
    form: &TicketForm<'_>,
) -> Result<Option<Answer>> {
    if let Some(answer) = honeypot(&form.website) {
        return Ok(Some(answer));
    }
    let email = form.email.trim().to_lowercase();
    let (status, key) = match check(app, limits, &email, &ip.0).await? {
        None => return Ok(None),
        Some(Refusal::Limit) => (Status::TooManyRequests, "abuse_limit_hit"),
        Some(Refusal::Banned) => (Status::Forbidden, "abuse_banned"),
    };
    refused(page, app, form, status, key).await.map(Some)
}

/// The form again, as typed, with `key`'s message above it.
async fn refused(
    page: &Page<'_>,
    app: &App,
    form: &TicketForm<'_>,
    status: Status,
    key: &str,
) -> Result<Answer> {
    let refdata = app.refdata(page.lang).await?;
    let html = page.render(
        "portal/new.html",
        json!({ "choices": portal_choices(&refdata, Some(&form.fields)), "form": form_values(form), "errors": {},
                "settings": app.settings(), "refused": page.t(key) }),
    )?;
    Ok(Answer::from((status, html)))
}

/// What a bot caught by the honeypot sees: the look of a received ticket, and no tracking ID.
#[get("/tickets/received")]
fn received(page: Page<'_>) -> Result<Html> {
    page.render("portal/received.html", json!({}))
}

pub fn routes() -> Vec<Route> {
    routes![received]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_defaults_let_an_office_through_and_zero_is_off() {
        let limits = Limits::new(&Config::default());
        // 200 colleagues behind one router, one ticket each: all fit.
        for n in 0..200 {
            assert!(!limits.over(&format!("p{n}@office.example"), "10.0.0.1"));
            limits.count_submission(&format!("p{n}@office.example"), "10.0.0.1");
        }
        assert!(limits.over("p200@office.example", "10.0.0.1"));
        // 20 from one person, then a pause.
        for _ in 0..20 {
            assert!(!limits.over("ana@office.example", "10.0.0.2"));
            limits.count_submission("ana@office.example", "10.0.0.2");
        }
        assert!(limits.over("ana@office.example", "10.0.0.3"));
        let off = Limits::new(&Config {
            submit_limit_per_email_hour: 0,
            submit_limit_per_address_hour: 0,
            ..Config::default()
        });
        for _ in 0..1000 {
            off.count_submission("ana@office.example", "10.0.0.1");
        }
        assert!(!off.over("ana@office.example", "10.0.0.1"));
    }
}
