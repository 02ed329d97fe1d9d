//! The demo's satisfaction answers: each closed demo ticket's resolution, and for about 40% of
//! them the requester's answer (about 85% good, some with a comment), as the survey records them
//! (`tickets::csat`), with the history entry the rating action writes.

use rand::Rng;
use rand::rngs::StdRng;
use rand::seq::SliceRandom;

use crate::error::Result;
use crate::tickets::csat::{self, Rating};
use crate::tickets::{Actor, store};

const GOOD_COMMENTS: &[&str] = &[
    "Fixed within the hour, thank you!",
    "Quick and friendly, as always.",
    "Works perfectly now.",
    "Thanks for explaining what went wrong.",
];

const BAD_COMMENTS: &[&str] = &[
    "It took three days to get an answer.",
    "The problem came back the next morning.",
    "Nobody told me it had been closed.",
];

/// Records the resolution of closed demo ticket `ticket_id` at `resolved_at` (its assignee and
/// category as stored) and, now and then, the requester's answer a while after it.
pub fn resolve(
    c: &rusqlite::Connection,
    rng: &mut StdRng,
    ticket_id: i64,
    requester: &str,
    resolved_at: i64,
    now: i64,
) -> Result<()> {
    csat::open_resolution(c, ticket_id, resolved_at)?;
    if !rng.gen_bool(0.4) {
        return Ok(());
    }
    let Some(resolution) = csat::latest(c, ticket_id)? else {
        return Ok(());
    };
    let (rating, comments) = if rng.gen_bool(0.85) {
        (Rating::Good, GOOD_COMMENTS)
    } else {
        (Rating::Bad, BAD_COMMENTS)
    };
    let comment = if rng.gen_bool(0.25) {
        comments.choose(rng).copied().unwrap_or_default()
    } else {
        ""
    };
    // Most answer from the mail within the hour; some days later, inside the survey's week.
    let after = if rng.gen_bool(0.7) {
        rng.gen_range(60..3_600)
    } else {
        rng.gen_range(3_600..csat::SURVEY_SECS)
    };
    let at = (resolved_at + after).min(now);
    csat::save_answer(c, resolution.id, rating, comment, at)?;
    store::insert_history(
        c,
        ticket_id,
        &Actor::requester(requester),
        "rating",
        None,
        Some(&csat::history_text(rating, comment)),
        at,
    )?;
    Ok(())
}
