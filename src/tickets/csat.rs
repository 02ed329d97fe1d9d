//! The satisfaction survey: each resolution of a ticket (it entered a closing status from an
//! open one) is a row of `ticket_resolutions`, with who had the ticket and its category then,
//! and the requester's answer to "How did we do?" (good or bad, an optional comment) is kept in
//! that row: one answer per resolution. The survey stays open `SURVEY_DAYS` after the
//! resolution; until then the answer may be given, and changed. All SQL on the table is here;
//! the answer itself is saved by the ticket action `actions::rate`, which writes the history.

use rusqlite::{Connection, OptionalExtension, params};
use serde::Serialize;

use crate::error::{FieldErrors, Result};

/// How long after a resolution the requester may answer, or change the answer.
pub const SURVEY_DAYS: i64 = 7;
pub const SURVEY_SECS: i64 = SURVEY_DAYS * 86_400;
/// The longest comment kept, in characters.
pub const MAX_COMMENT: usize = 2_000;
/// The setting (Admin > Settings) that turns the survey off: "0". Anything else, or none, is on.
pub const SETTING_KEY: &str = "csat_enabled";

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Rating {
    Good,
    Bad,
}

impl Rating {
    pub fn as_str(self) -> &'static str {
        match self {
            Rating::Good => "good",
            Rating::Bad => "bad",
        }
    }

    pub fn parse(s: &str) -> Option<Rating> {
        match s.trim() {
            "good" => Some(Rating::Good),
            "bad" => Some(Rating::Bad),
            _ => None,
        }
    }
}

/// One resolution of a ticket and its answer, if any.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Resolution {
    pub id: i64,
    pub ticket_id: i64,
    /// 1 for the ticket's first resolution, 2 after a reopening, ...
    pub number: i64,
    pub resolved_at: i64,
    pub rating: Option<Rating>,
    pub comment: String,
    pub rated_at: Option<i64>,
    pub rating_changed_at: Option<i64>,
}

impl Resolution {
    /// When its survey closes.
    pub fn closes_at(&self) -> i64 {
        self.resolved_at + SURVEY_SECS
    }
}

const COLUMNS: &str =
    "id, ticket_id, number, resolved_at, rating, comment, rated_at, rating_changed_at";

fn from_row(r: &rusqlite::Row<'_>) -> rusqlite::Result<Resolution> {
    let rating: Option<String> = r.get(4)?;
    Ok(Resolution {
        id: r.get(0)?,
        ticket_id: r.get(1)?,
        number: r.get(2)?,
        resolved_at: r.get(3)?,
        rating: rating.as_deref().and_then(Rating::parse),
        comment: r.get(5)?,
        rated_at: r.get(6)?,
        rating_changed_at: r.get(7)?,
    })
}

/// Whether the desk asks requesters (read in the transaction, so a change applies at once).
pub fn enabled(conn: &Connection) -> Result<bool> {
    Ok(crate::settings::get(conn, SETTING_KEY)?.as_deref() != Some("0"))
}

/// Records that ticket `ticket_id` closed at `at` (called by the ticket actions when it enters a
/// closing status from an open one), with its assignee and category as they are now.
pub fn open_resolution(conn: &Connection, ticket_id: i64, at: i64) -> Result<()> {
    conn.prepare_cached(
        "INSERT INTO ticket_resolutions (ticket_id, number, resolved_at, agent_id, category_id)
         SELECT t.id,
                1 + COALESCE((SELECT MAX(number) FROM ticket_resolutions WHERE ticket_id = t.id), 0),
                ?2, t.assignee_id, t.category_id
         FROM tickets t WHERE t.id = ?1",
    )?
    .execute(params![ticket_id, at])?;
    Ok(())
}

/// After an action that closed the ticket at `at` and also moved its assignee or category (a
/// canned reply that resolves and assigns to whoever sends it): the resolution takes the values
/// the action left, whatever order it changed the fields in.
pub fn settle(conn: &Connection, ticket_id: i64, at: i64) -> Result<()> {
    conn.prepare_cached(
        "UPDATE ticket_resolutions
         SET agent_id = (SELECT assignee_id FROM tickets WHERE id = ?1),
             category_id = (SELECT category_id FROM tickets WHERE id = ?1)
         WHERE ticket_id = ?1 AND resolved_at = ?2",
    )?
    .execute(params![ticket_id, at])?;
    Ok(())
}

/// The ticket's latest resolution (the one its survey is about while it stays closed).
pub fn latest(conn: &Connection, ticket_id: i64) -> Result<Option<Resolution>> {
    let sql = format!(
        "SELECT {COLUMNS} FROM ticket_resolutions WHERE ticket_id = ?1 ORDER BY number DESC LIMIT 1"
    );
    Ok(conn
        .prepare_cached(&sql)?
        .query_row([ticket_id], from_row)
        .optional()?)
}

/// The ticket's latest answer, of any resolution (an earlier one's stays after a reopening).
pub fn latest_rated(conn: &Connection, ticket_id: i64) -> Result<Option<Resolution>> {
    let sql = format!(
        "SELECT {COLUMNS} FROM ticket_resolutions
         WHERE ticket_id = ?1 AND rating IS NOT NULL ORDER BY number DESC LIMIT 1"
    );
    Ok(conn
        .prepare_cached(&sql)?
        .query_row([ticket_id], from_row)
        .optional()?)
}

/// The ticket's latest answer for its staff page, and whether it is about an earlier resolution
/// than the latest (the ticket was reopened, or resolved again, since).
pub fn for_staff(conn: &Connection, ticket_id: i64) -> Result<Option<(Resolution, bool)>> {
    let Some(rated) = latest_rated(conn, ticket_id)? else {
        return Ok(None);
    };
    let open: bool = conn
        .prepare_cached(
            "SELECT s.is_closed = 0 FROM tickets t JOIN statuses s ON s.id = t.status_id WHERE t.id = ?1",
        )?
        .query_row([ticket_id], |r| r.get(0))?;
    let newest = latest(conn, ticket_id)?.map_or(rated.number, |r| r.number);
    let earlier = open || newest > rated.number;
    Ok(Some((rated, earlier)))
}

/// Stores an answer for resolution `id` (the first one, or a change of it).
pub fn save_answer(
    conn: &Connection,
    id: i64,
    rating: Rating,
    comment: &str,
    at: i64,
) -> Result<()> {
    conn.prepare_cached(
        "UPDATE ticket_resolutions
         SET rating = ?2, comment = ?3, rated_at = COALESCE(rated_at, ?4), rating_changed_at = ?4
         WHERE id = ?1",
    )?
    .execute(params![id, rating.as_str(), comment, at])?;
    Ok(())
}

/// Every resolution of a ticket, oldest first, each with who had the ticket then: what the
/// reports copy (`reports::metrics`).
pub fn all_of(conn: &Connection, ticket_id: i64) -> Result<Vec<(Resolution, Option<i64>)>> {
    let sql = format!(
        "SELECT {COLUMNS}, agent_id FROM ticket_resolutions WHERE ticket_id = ?1 ORDER BY number"
    );
    let rows = conn
        .prepare_cached(&sql)?
        .query_map([ticket_id], |r| Ok((from_row(r)?, r.get(8)?)))?
        .collect::<rusqlite::Result<Vec<_>>>()?;
    Ok(rows)
}

/// The comment of resolution `id` (empty when it has none).
pub fn comment(conn: &Connection, id: i64) -> Result<String> {
    Ok(conn
        .prepare_cached("SELECT comment FROM ticket_resolutions WHERE id = ?1")?
        .query_row([id], |r| r.get(0))
        .optional()?
        .unwrap_or_default())
}

/// Where a ticket's survey stands.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Survey {
    /// The desk asks nobody (Admin > Settings).
    Off,
    /// The ticket is open (never resolved, or reopened): nothing to rate.
    NotResolved,
    /// The latest resolution, its survey open: answer, or change the answer, until `closes_at`.
    Open(Resolution),
    /// The latest resolution, its survey closed: the answer (if any) stays as it is.
    Closed(Resolution),
}

impl Survey {
    /// The resolution it is about, if the ticket is resolved.
    pub fn resolution(&self) -> Option<&Resolution> {
        match self {
            Survey::Open(r) | Survey::Closed(r) => Some(r),
            Survey::Off | Survey::NotResolved => None,
        }
    }

    /// What a page shows: the state's name and the resolution with its answer.
    pub fn to_json(&self) -> serde_json::Value {
        let state = match self {
            Survey::Off => "off",
            Survey::NotResolved => "not_resolved",
            Survey::Open(_) => "open",
            Survey::Closed(_) => "closed",
        };
        let resolution = self.resolution();
        serde_json::json!({
            "state": state,
            "resolution": resolution,
            "closes_at": resolution.map(Resolution::closes_at),
        })
    }
}

/// The survey of ticket `ticket_id` at `now`; `enabled` is whether the desk asks at all.
pub fn survey(conn: &Connection, ticket_id: i64, enabled: bool, now: i64) -> Result<Survey> {
    if !enabled {
        return Ok(Survey::Off);
    }
    let closed: Option<bool> = conn
        .prepare_cached(
            "SELECT s.is_closed FROM tickets t JOIN statuses s ON s.id = t.status_id WHERE t.id = ?1",
        )?
        .query_row([ticket_id], |r| r.get(0))
        .optional()?;
    if closed != Some(true) {
        return Ok(Survey::NotResolved);
    }
    Ok(match latest(conn, ticket_id)? {
        None => Survey::NotResolved,
        Some(r) if now < r.closes_at() => Survey::Open(r),
        Some(r) => Survey::Closed(r),
    })
}

/// A requester's answer as sent: the rating's text, the comment and the resolution (its number)
/// the link or form was for, if it said.
#[derive(Debug, Clone, Default)]
pub struct Draft {
    pub rating: String,
    pub comment: String,
    pub resolution: Option<i64>,
}

/// A checked answer, ready to save.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Answer {
    pub resolution: Resolution,
    pub rating: Rating,
    pub comment: String,
}

/// `draft` checked against ticket `ticket_id`'s survey at `now`: the answer, or the problems to
/// show next to the fields (`rating`, `comment`) and above the form (`survey`: the survey is
/// off, the ticket is open, the link was for an earlier resolution, or the survey closed).
pub fn check(
    conn: &Connection,
    ticket_id: i64,
    draft: &Draft,
    now: i64,
) -> Result<std::result::Result<Answer, FieldErrors>> {
    let mut errors = FieldErrors::new();
    let survey = survey(conn, ticket_id, enabled(conn)?, now)?;
    let resolution = match survey {
        Survey::Off => {
            errors.add("survey", "csat_error_off");
            None
        }
        Survey::NotResolved => {
            errors.add("survey", "csat_error_not_resolved");
            None
        }
        Survey::Open(r) if draft.resolution.is_some_and(|n| n != r.number) => {
            errors.add("survey", "csat_error_other_resolution");
            None
        }
        Survey::Closed(_) => {
            errors.add("survey", "csat_error_closed");
            None
        }
        Survey::Open(r) => Some(r),
    };
    let rating = Rating::parse(&draft.rating);
    if rating.is_none() {
        errors.add("rating", "csat_error_rating");
    }
    let comment = draft.comment.trim();
    if comment.chars().count() > MAX_COMMENT {
        errors.add_with(
            "comment",
            "csat_error_comment_long",
            "max",
            &MAX_COMMENT.to_string(),
        );
    }
    Ok(match (resolution, rating, errors.is_empty()) {
        (Some(resolution), Some(rating), true) => Ok(Answer {
            resolution,
            rating,
            comment: comment.to_string(),
        }),
        _ => Err(errors),
    })
}

/// How a rating reads in the ticket's history: the rating, then the comment after a `|` (the
/// comment may hold `|` itself; only the first one separates).
pub fn history_text(rating: Rating, comment: &str) -> String {
    if comment.is_empty() {
        rating.as_str().to_string()
    } else {
        format!("{}|{comment}", rating.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ratings_parse_only_the_two_answers() {
        assert_eq!(Rating::parse("good"), Some(Rating::Good));
        assert_eq!(Rating::parse(" bad "), Some(Rating::Bad));
        assert_eq!(Rating::parse("Good"), None);
        assert_eq!(Rating::parse(""), None);
        assert_eq!(history_text(Rating::Good, ""), "good");
        assert_eq!(history_text(Rating::Bad, "slow | rude"), "bad|slow | rude");
    }
}
