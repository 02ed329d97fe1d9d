//! Outage detection and incidents. When a burst of similar tickets arrives (by default 4 or more
//! from different requesters within 15 minutes, in one category), the desk raises a *suspected*
//! incident (`detect`); staff confirm it as an incident, a parent of its tickets, answer every
//! requester at once and resolve them all (`fanout`, through the job runner), and may publish
//! it as a known issue on the portal, where requesters add themselves with "Me too".
//!
//! Tables `incidents`, `incident_tickets` and `incident_batches` (migration 0036) are changed
//! only here (`store`); tickets themselves only through `workflow::Desk`.

pub mod detect;
pub mod fanout;
pub mod settings;
pub mod store;

use serde::Serialize;

/// An incident's life: raised by the desk, confirmed by staff, resolved with its tickets. A
/// dismissed suggestion is kept (so its tickets raise no second one) but never listed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Status {
    Suggested,
    Open,
    Resolved,
    Dismissed,
}

impl Status {
    pub fn as_str(self) -> &'static str {
        match self {
            Status::Suggested => "suggested",
            Status::Open => "open",
            Status::Resolved => "resolved",
            Status::Dismissed => "dismissed",
        }
    }

    pub fn parse(s: &str) -> Option<Status> {
        [
            Status::Suggested,
            Status::Open,
            Status::Resolved,
            Status::Dismissed,
        ]
        .into_iter()
        .find(|v| v.as_str() == s)
    }
}

/// The longest public title (the portal banner's text).
pub const MAX_PUBLIC_TITLE: usize = 200;

/// One of an incident's tickets, as the desk lists it.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct IncidentTicket {
    pub id: i64,
    pub tracking_id: String,
    pub subject: String,
    pub requester_email: String,
    pub created_at: i64,
    /// False: a later matching ticket the desk only suggests adding.
    pub attached: bool,
}

/// An incident with its tickets.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct Incident {
    pub id: i64,
    pub status: Status,
    pub category_id: i64,
    pub title: String,
    pub public: bool,
    pub public_title: String,
    pub created_at: i64,
    pub opened_at: Option<i64>,
    pub published_at: Option<i64>,
    pub resolved_at: Option<i64>,
    pub tickets: Vec<IncidentTicket>,
}

impl Incident {
    /// The attached tickets (not the merely suggested ones).
    pub fn attached(&self) -> impl Iterator<Item = &IncidentTicket> {
        self.tickets.iter().filter(|t| t.attached)
    }

    /// Minutes between the first and the last attached ticket, at least 1.
    pub fn span_minutes(&self) -> i64 {
        let times: Vec<i64> = self.attached().map(|t| t.created_at).collect();
        let (Some(first), Some(last)) = (times.iter().min(), times.iter().max()) else {
            return 1;
        };
        ((last - first) / 60).max(1)
    }

    /// The title the portal shows: the public one, else the desk's.
    pub fn shown_title(&self) -> &str {
        if self.public_title.trim().is_empty() {
            &self.title
        } else {
            &self.public_title
        }
    }
}

/// A published incident, as the portal shows it.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct KnownIssue {
    pub id: i64,
    pub title: String,
    /// When the first ticket about it came in.
    pub since: i64,
    pub keywords: String,
}

/// The known issues a text typed on the portal is about (the suggestions while typing show
/// them first): those sharing a significant word with its title or keywords.
pub fn known_issues_for(
    conn: &rusqlite::Connection,
    text: &str,
) -> crate::error::Result<Vec<KnownIssue>> {
    let typed = detect::words(text);
    if typed.is_empty() {
        return Ok(Vec::new());
    }
    Ok(store::known_issues(conn)?
        .into_iter()
        .filter(|i| {
            let mut words = detect::words(&i.title);
            words.extend(detect::parse_keywords(&i.keywords));
            !typed.is_disjoint(&words)
        })
        .collect())
}
