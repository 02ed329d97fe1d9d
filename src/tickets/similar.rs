//! Similar solved tickets (issue 17 item 4): for the ticket an agent has open, the resolved or
//! closed tickets most like it by full text, each with the staff reply that resolved it, which
//! the agent can reuse as the start of their reply.
//!
//! How: the most distinctive words of the ticket's subject and first message (the rarest in the
//! search index, common words left out) are looked up one by one in the index, each ticket
//! scoring the rarity of the words it shares (`ranked_ticket_ids`); the best-scored tickets are
//! then kept only if they are solved, not merged away, not this ticket and in a category the
//! agent may see; those in the ticket's language come first. Choosing few rare words keeps the
//! cost bounded: every row that holds one of the words is read.

use std::collections::HashMap;

use rusqlite::{Connection, OptionalExtension, params_from_iter};
use serde::Serialize;

use crate::auth::access::Access;
use crate::error::Result;
use crate::search;

/// How many similar tickets the staff ticket page shows.
pub const SHOWN: usize = 5;

/// Words of the ticket looked up in the index at most (the first ones of subject and message).
const MAX_CANDIDATE_WORDS: usize = 24;

/// Words in the query at most: more only cost time, the rarest carry the similarity.
const MAX_QUERY_TERMS: usize = 10;

/// Documents the chosen words may reach together (their document counts summed) before no more
/// words are added: each is read and scored, so this bounds the time. The two rarest words are
/// always taken.
const POSTINGS_BUDGET: i64 = 12_000;

/// Best-scored tickets kept before the solved / visible / same-language filter.
const CANDIDATES: i64 = 200;

/// Words that say nothing about what a ticket is about, in English and Spanish (folded, as the
/// index folds: no accents), English then Spanish, separated by spaces. Words under three
/// letters are left out anyway.
const STOPWORDS: &str = "\
    the and for are but not you all any can had her was one our out has him his how its may new \
    now own see she too use way who did get got let put say yes hello this that with have from \
    they will would there their what about which when make like just over also into some could \
    them than then these been were said each does doing done here thanks thank please again \
    still since today morning help need needs want know cannot dont don isn very after before \
    every other only even because should while where dear regards best team work working anyone \
    someone something your yours mine ours those such more most \
    los las del una uno unos unas que por con para como pero sus mis tus les nos ese esa eso \
    este esta esto estos estas esos esas hay muy mas sin sobre entre cuando donde desde hasta \
    porque tengo tiene tienen puedo puede pueden hola gracias favor buenos buenas dias saludos \
    todo todos toda todas nada algo alguien ayuda necesito sigue otra otro vez hoy manana ahora \
    solo tambien estoy estan ser son fue han hemos era mucho poco cual quien aqui alli usted";

/// A solved ticket like the one open, with the reply that solved it.
#[derive(Debug, Clone, Serialize)]
pub struct Similar {
    pub id: i64,
    pub tracking_id: String,
    pub subject: String,
    pub category_id: i64,
    pub status_id: i64,
    pub lang: String,
    pub resolved_at: Option<i64>,
    /// None when it was solved without a staff reply.
    pub reply: Option<ResolvingReply>,
}

/// The last public staff message before the ticket was resolved.
#[derive(Debug, Clone, Serialize)]
pub struct ResolvingReply {
    pub message_id: i64,
    pub author_name: String,
    pub body: String,
    pub created_at: i64,
}

/// The `SHOWN` solved tickets most like ticket `ticket_id` that `access` may see, those in the
/// ticket's language first, then by similarity. Empty for an unknown ticket or one with no
/// distinctive word.
pub fn for_ticket(conn: &Connection, ticket_id: i64, access: &Access) -> Result<Vec<Similar>> {
    let Some((subject, lang, first_message)): Option<(String, String, String)> = conn
        .prepare_cached(
            "SELECT t.subject, t.lang,
                coalesce((SELECT m.body FROM messages m WHERE m.ticket_id = t.id
                          ORDER BY m.id LIMIT 1), '')
             FROM tickets t WHERE t.id = ?1",
        )?
        .query_row([ticket_id], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))
        .optional()?
    else {
        return Ok(Vec::new());
    };
    let terms = distinctive_terms(conn, &format!("{subject}\n{first_message}"))?;
    if terms.is_empty() {
        return Ok(Vec::new());
    }
    let ranked = ranked_ticket_ids(conn, &terms, CANDIDATES)?;
    let mut found = solved_and_visible(conn, &ranked, ticket_id, access)?;
    // Same language first; within each, the index's order (stable sort).
    found.sort_by_key(|s| (s.lang != lang, ranked_position(&ranked, s.id)));
    found.truncate(SHOWN);
    for s in &mut found {
        s.reply = resolving_reply(conn, s.id, s.resolved_at)?;
    }
    Ok(found)
}

fn ranked_position(ranked: &[i64], id: i64) -> usize {
    ranked.iter().position(|r| *r == id).unwrap_or(usize::MAX)
}

/// The words of `text` as the index folds them, common ones and those under three letters left
/// out, each once, in order of first appearance.
pub fn candidate_words(text: &str) -> Vec<String> {
    let mut seen = Vec::new();
    for word in search::folded_words(text) {
        if word.chars().count() < 3
            || word.chars().all(|c| c.is_ascii_digit())
            || STOPWORDS.split_whitespace().any(|w| w == word)
            || seen.contains(&word)
        {
            continue;
        }
        seen.push(word);
        if seen.len() == MAX_CANDIDATE_WORDS {
            break;
        }
    }
    seen
}

/// The rarest words of `text` in the index (rarest first), as many as `MAX_QUERY_TERMS` and the
/// `POSTINGS_BUDGET` allow. Words no other document holds are left out: they cannot make
/// another ticket similar.
fn distinctive_terms(conn: &Connection, text: &str) -> Result<Vec<(String, i64)>> {
    let words = candidate_words(text);
    if words.is_empty() {
        return Ok(Vec::new());
    }
    let mut counted = document_counts(conn, &words)?;
    counted.retain(|(_, docs)| *docs > 1);
    counted.sort_by(|a, b| a.1.cmp(&b.1).then_with(|| a.0.cmp(&b.0)));
    let mut terms = Vec::new();
    let mut postings = 0;
    for (word, docs) in counted {
        if terms.len() == MAX_QUERY_TERMS || (terms.len() >= 2 && postings + docs > POSTINGS_BUDGET)
        {
            break;
        }
        postings += docs;
        terms.push((word, docs));
    }
    Ok(terms)
}

/// The FTS5 query for one term in one column: the term is a run of letters and digits
/// (`candidate_words`), quoted, so no FTS5 syntax can come from a ticket.
pub fn term_query(column: &str, term: &str) -> String {
    format!("{{{column}}} : \"{}\"", term.replace('"', ""))
}

// --- The FTS5 SQL, all of it here. ------------------------------------------------------------
// `ticket_search` holds one row per ticket (subject, requester, fields; rowid = id << 24) and one
// per message (rowid = (id << 24) + n), so the ticket of a row is `rowid >> 24`; its vocabulary
// table `ticket_search_terms` (migration 0038) counts rows, which rank words as well as tickets.

/// How many rows of the index hold each of `words` (words it does not hold are left out).
fn document_counts(conn: &Connection, words: &[String]) -> Result<Vec<(String, i64)>> {
    let marks = vec!["?"; words.len()].join(",");
    let sql = format!("SELECT term, doc FROM ticket_search_terms WHERE term IN ({marks})");
    let mut stmt = conn.prepare_cached(&sql)?;
    let rows = stmt.query_map(params_from_iter(words), |r| Ok((r.get(0)?, r.get(1)?)))?;
    Ok(rows.collect::<rusqlite::Result<_>>()?)
}

/// Where a word counts and how much: a subject word three times a message word.
const COLUMN_WEIGHTS: [(&str, f64); 2] = [("subject", 3.0), ("body", 1.0)];

/// Ticket ids holding any of `terms` (each with its row count), best first, at most `limit`.
/// A ticket scores, for each term it holds, the term's rarity (BM25's idf) times the weight of
/// the column it is in; ties go to the newer ticket. Scored here from the terms' row lists
/// rather than by FTS5's `bm25()`, which looks up every matching row's column sizes: over the
/// thousands of rows a few words reach, that lookup was most of the time, and the length
/// normalisation it buys matters little between short office tickets.
fn ranked_ticket_ids(conn: &Connection, terms: &[(String, i64)], limit: i64) -> Result<Vec<i64>> {
    // The index's rows, which the terms' counts count: one per ticket and one per message
    // (the largest ids: a cheap estimate from above); with the tickets alone,
    // a word in more rows than there are tickets got a negative rarity.
    let rows: f64 = conn
        .prepare_cached(
            "SELECT (SELECT coalesce(max(id), 0) FROM tickets)
                  + (SELECT coalesce(max(id), 0) FROM messages)",
        )?
        .query_row([], |r| r.get::<_, i64>(0))? as f64;
    let mut stmt =
        conn.prepare_cached("SELECT rowid >> 24 FROM ticket_search WHERE ticket_search MATCH ?1")?;
    // Per ticket: its score and the last (term, column) pass that counted it, so that a
    // ticket with several matching messages counts each term once per column.
    let mut scores: HashMap<i64, (f64, usize)> = HashMap::new();
    let mut pass = 0;
    for (term, docs) in terms {
        let docs = *docs as f64;
        let idf = ((rows - docs + 0.5) / (docs + 0.5) + 1.0).ln();
        for (column, weight) in COLUMN_WEIGHTS {
            pass += 1;
            let mut ids = stmt.query([term_query(column, term)])?;
            while let Some(row) = ids.next()? {
                let entry = scores.entry(row.get(0)?).or_insert((0.0, 0));
                if entry.1 != pass {
                    *entry = (entry.0 + weight * idf, pass);
                }
            }
        }
    }
    let mut ranked: Vec<(i64, f64)> = scores.into_iter().map(|(id, (s, _))| (id, s)).collect();
    ranked.sort_by(|a, b| b.1.total_cmp(&a.1).then(b.0.cmp(&a.0)));
    ranked.truncate(usize::try_from(limit).unwrap_or(0));
    Ok(ranked.into_iter().map(|(id, _)| id).collect())
}

// --- End of the FTS5 SQL. ---------------------------------------------------------------------

/// Of the tickets `ids`, those solved (a closed status: resolved or closed), not merged into
/// another, other than `except` and in a category `access` allows.
fn solved_and_visible(
    conn: &Connection,
    ids: &[i64],
    except: i64,
    access: &Access,
) -> Result<Vec<Similar>> {
    if ids.is_empty() {
        return Ok(Vec::new());
    }
    let list = ids.iter().map(i64::to_string).collect::<Vec<_>>().join(",");
    let visible = access
        .sql_condition("t.category_id")
        .map(|c| format!(" AND {c}"))
        .unwrap_or_default();
    // The ids are integers read from the index, written into the SQL as such.
    let sql = format!(
        "SELECT t.id, t.tracking_id, t.subject, t.category_id, t.status_id, t.lang, t.resolved_at
         FROM tickets t JOIN statuses s ON s.id = t.status_id
         WHERE t.id IN ({list}) AND s.is_closed = 1 AND t.merged_into_id IS NULL
           AND t.id != ?1{visible}"
    );
    let mut stmt = conn.prepare(&sql)?;
    let rows = stmt.query_map([except], |r| {
        Ok(Similar {
            id: r.get(0)?,
            tracking_id: r.get(1)?,
            subject: r.get(2)?,
            category_id: r.get(3)?,
            status_id: r.get(4)?,
            lang: r.get(5)?,
            resolved_at: r.get(6)?,
            reply: None,
        })
    })?;
    Ok(rows.collect::<rusqlite::Result<_>>()?)
}

/// The last public staff message of ticket `ticket_id` up to its resolution (`resolved_at`;
/// without one, the last of all).
fn resolving_reply(
    conn: &Connection,
    ticket_id: i64,
    resolved_at: Option<i64>,
) -> Result<Option<ResolvingReply>> {
    Ok(conn
        .prepare_cached(
            "SELECT id, author_name, body, created_at FROM messages
             WHERE ticket_id = ?1 AND kind = 'staff' AND (?2 IS NULL OR created_at <= ?2)
             ORDER BY id DESC LIMIT 1",
        )?
        .query_row(rusqlite::params![ticket_id, resolved_at], |r| {
            Ok(ResolvingReply {
                message_id: r.get(0)?,
                author_name: r.get(1)?,
                body: r.get(2)?,
                created_at: r.get(3)?,
            })
        })
        .optional()?)
}

/// The text of staff reply `message_id` to reuse, if `access` may see its ticket. Internal
/// notes and requesters' messages are never offered.
pub fn reusable_reply(
    conn: &Connection,
    message_id: i64,
    access: &Access,
) -> Result<Option<String>> {
    let found: Option<(String, i64)> = conn
        .prepare_cached(
            "SELECT m.body, t.category_id FROM messages m JOIN tickets t ON t.id = m.ticket_id
             WHERE m.id = ?1 AND m.kind = 'staff'",
        )?
        .query_row([message_id], |r| Ok((r.get(0)?, r.get(1)?)))
        .optional()?;
    Ok(found
        .filter(|(_, category)| access.allows(*category))
        .map(|(body, _)| body))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn words_are_folded_deduplicated_and_common_ones_dropped() {
        let words = candidate_words("The printer on floor 2: paper jam! Printer jammed again.");
        assert_eq!(words, ["printer", "floor", "paper", "jam", "jammed"]);
        let es = candidate_words("La impresión no funciona desde hoy");
        assert_eq!(es, ["impresion", "funciona"]);
    }

    #[test]
    fn the_query_quotes_every_term_and_no_syntax_gets_through() {
        let words = candidate_words("NEAR(\"x\" OR y)* AND -secret ^col:umn");
        assert_eq!(words, ["near", "secret", "col", "umn"]);
        let exprs: Vec<String> = words.iter().map(|w| term_query("body", w)).collect();
        assert_eq!(exprs[0], "{body} : \"near\"");
        assert_eq!(term_query("subject", "a\"b"), "{subject} : \"ab\"");
    }
}
