//! Burst detection: a reaction to the ticket-created event, in the transaction that opens the
//! ticket (`workflow::Desk`).
//!
//! Why a reaction rather than a job: the suspected incident is there the moment the burst is,
//! with no interval to wait, and a test sets the time through `Ctx::now`. It stays cheap enough
//! for the submission path: it reads the few open incidents of the ticket's category and, only
//! when none matches, the newest tickets of that category within the window, bounded twice (the
//! last `RECENT_IDS` ticket ids, a burst being among the newest tickets anyway, and at most
//! `MAX_CANDIDATES` rows), comparing small sets of words in memory: no full-text query, no
//! index added to `tickets` (so no extra cost on every insert).
//!
//! Similar means: in the same category, and the subjects share at least half the words of the
//! shorter one (after dropping common words and cutting words to their first letters, so
//! "connect", "connecting" and "connection" are one word), or subject and first lines together
//! share three words or more. A burst is `min_tickets` tickets similar to the newest one, from
//! that many different requesters; it raises ONE suspected incident, which later matching
//! tickets join.

use std::collections::{BTreeSet, HashMap};

use rusqlite::{Connection, OptionalExtension, params};

use super::Status;
use super::settings::IncidentSettings;
use super::store;
use crate::error::Result;
use crate::tickets::Event;

/// Only tickets among the last this many ids are looked at.
const RECENT_IDS: i64 = 1000;
/// At most this many tickets of the window are compared.
const MAX_CANDIDATES: i64 = 200;
/// How much of the first message counts.
const BODY_CHARS: i64 = 500;
/// Words are compared by their first this many letters.
const STEM: usize = 5;

/// Words too common to say what a ticket is about (English and Spanish).
const STOPWORDS: &[&str] = &[
    "the", "and", "for", "not", "can", "cant", "cannot", "don", "dont", "doesn", "won", "isn",
    "with", "from", "this", "that", "have", "has", "had", "was", "are", "but", "you", "your",
    "our", "all", "any", "get", "got", "since", "when", "what", "why", "how", "who", "there",
    "here", "into", "out", "off", "about", "again", "still", "just", "now", "today", "morning",
    "please", "help", "hello", "thanks", "thank", "issue", "problem", "error", "working", "work",
    "works", "anymore", "some", "does", "did", "will", "would", "could", "should", "its", "hi",
    "dear", "regards", "una", "uno", "unos", "unas", "los", "las", "del", "con", "por", "para",
    "que", "como", "pero", "mas", "muy", "sin", "sobre", "esta", "este", "esto", "hoy", "desde",
    "hola", "gracias", "favor", "problema", "error", "funciona", "puedo", "tengo", "hay", "mis",
    "sus", "nos", "ayuda",
];

/// The words of a ticket: of its subject alone and of subject and first lines together.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Words {
    pub subject: BTreeSet<String>,
    pub all: BTreeSet<String>,
}

/// The significant words of `text`, folded and cut to `STEM` letters.
pub fn words(text: &str) -> BTreeSet<String> {
    crate::search::folded_words(text)
        .into_iter()
        .filter(|w| w.chars().count() >= 3 && !STOPWORDS.contains(&w.as_str()))
        .map(|w| w.chars().take(STEM).collect())
        .collect()
}

impl Words {
    pub fn of(subject: &str, body: &str) -> Words {
        let subject = words(subject);
        let mut all = words(body);
        all.extend(subject.iter().cloned());
        Words { subject, all }
    }
}

fn shared(a: &BTreeSet<String>, b: &BTreeSet<String>) -> usize {
    a.intersection(b).count()
}

/// At least half of the smaller set's words are in the other (and at least one).
fn overlap(a: &BTreeSet<String>, b: &BTreeSet<String>) -> bool {
    let n = shared(a, b);
    n >= 1 && n * 2 >= a.len().min(b.len())
}

/// Whether two tickets (of one category) are about the same thing.
pub fn similar(a: &Words, b: &Words) -> bool {
    if overlap(&a.subject, &b.subject) {
        return true;
    }
    let n = shared(&a.all, &b.all);
    n >= 3 && n * 5 >= 2 * a.all.len().min(b.all.len())
}

/// Whether a ticket is about an incident with `keywords` (the words its tickets' subjects share).
pub fn matches(ticket: &Words, keywords: &BTreeSet<String>) -> bool {
    !keywords.is_empty() && (overlap(&ticket.subject, keywords) || overlap(&ticket.all, keywords))
}

/// The stored form of an incident's keywords and back.
pub fn keywords_text(words: &BTreeSet<String>) -> String {
    words.iter().cloned().collect::<Vec<_>>().join(" ")
}

pub fn parse_keywords(text: &str) -> BTreeSet<String> {
    text.split_whitespace().map(str::to_string).collect()
}

/// The subject words at least half of the group's tickets share (the newest ticket's words when
/// none do).
fn core_words(group: &[&Words]) -> BTreeSet<String> {
    let mut counts: HashMap<&str, usize> = HashMap::new();
    for w in group {
        for word in &w.subject {
            *counts.entry(word.as_str()).or_default() += 1;
        }
    }
    let core: BTreeSet<String> = counts
        .into_iter()
        .filter(|(_, n)| n * 2 >= group.len())
        .map(|(w, _)| w.to_string())
        .collect();
    match (core.is_empty(), group.first()) {
        (true, Some(first)) => first.subject.clone(),
        _ => core,
    }
}

struct Candidate {
    id: i64,
    email: String,
    subject: String,
    created_at: i64,
    words: Words,
}

fn ticket(conn: &Connection, id: i64) -> Result<Option<(i64, Candidate)>> {
    Ok(conn
        .prepare_cached(
            "SELECT t.category_id, t.requester_email, t.subject, t.created_at,
                    coalesce((SELECT substr(m.body, 1, ?2) FROM messages m
                              WHERE m.ticket_id = t.id ORDER BY m.id LIMIT 1), '')
             FROM tickets t WHERE t.id = ?1",
        )?
        .query_row(params![id, BODY_CHARS], |r| {
            let subject: String = r.get(2)?;
            let body: String = r.get(4)?;
            Ok((
                r.get(0)?,
                Candidate {
                    id,
                    email: r.get::<_, String>(1)?.to_lowercase(),
                    words: Words::of(&subject, &body),
                    subject,
                    created_at: r.get(3)?,
                },
            ))
        })
        .optional()?)
}

/// The window's query with the `columns` given: the newest tickets of category ?1 before
/// ticket ?2, created since ?3, in no incident, not spam, at most ?4 of them among the last ?5
/// ids (a literal, so each query using it stays one cached statement, built at compile time).
/// The queries' own parameters start at ?6.
macro_rules! window_query {
    ($columns:literal) => {
        concat!(
            "SELECT ",
            $columns,
            " FROM tickets t
             WHERE t.id > ?2 - ?5 AND t.id < ?2 AND t.category_id = ?1 AND t.created_at >= ?3
               AND t.merged_into_id IS NULL
               AND t.id NOT IN (SELECT ticket_id FROM ticket_spam)
               AND t.id NOT IN (SELECT ticket_id FROM incident_tickets)
             ORDER BY t.id DESC LIMIT ?4"
        )
    };
}

/// How many requesters other than `email` the window holds, counted up to `enough - 1` (all a
/// burst needs); only the tickets' rows are read.
fn other_requesters(
    conn: &Connection,
    category_id: i64,
    newest: i64,
    since: i64,
    email: &str,
    enough: u32,
) -> Result<usize> {
    let n: i64 = conn
        .prepare_cached(concat!(
            "SELECT count(*) FROM (SELECT DISTINCT lower(w.requester_email) FROM (",
            window_query!("t.requester_email"),
            ") w WHERE lower(w.requester_email) != ?6 LIMIT ?7)"
        ))?
        .query_row(
            params![
                category_id,
                newest,
                since,
                MAX_CANDIDATES,
                RECENT_IDS,
                email,
                i64::from(enough.saturating_sub(1))
            ],
            |r| r.get(0),
        )?;
    Ok(usize::try_from(n).unwrap_or(0))
}

/// The newest tickets of the category created since `since`, in no incident, not spam.
fn window(conn: &Connection, category_id: i64, newest: i64, since: i64) -> Result<Vec<Candidate>> {
    let rows = conn
        .prepare_cached(window_query!(
            "t.id, t.requester_email, t.subject, t.created_at,
             coalesce((SELECT substr(m.body, 1, ?6) FROM messages m
                       WHERE m.ticket_id = t.id ORDER BY m.id LIMIT 1), '')"
        ))?
        .query_map(
            params![
                category_id,
                newest,
                since,
                MAX_CANDIDATES,
                RECENT_IDS,
                BODY_CHARS
            ],
            |r| {
                let subject: String = r.get(2)?;
                let body: String = r.get(4)?;
                Ok(Candidate {
                    id: r.get(0)?,
                    email: r.get::<_, String>(1)?.to_lowercase(),
                    words: Words::of(&subject, &body),
                    subject,
                    created_at: r.get(3)?,
                })
            },
        )?
        .collect::<rusqlite::Result<Vec<_>>>()?;
    Ok(rows)
}

/// The reaction: every ticket the events created is compared with the current incidents of
/// its category, then with the tickets of the window.
pub fn react(conn: &Connection, events: &[Event], now: i64) -> Result<()> {
    let mut created = crate::tickets::events::created(events).peekable();
    if created.peek().is_none() {
        return Ok(());
    }
    let settings = IncidentSettings::load(conn)?;
    if !settings.enabled {
        return Ok(());
    }
    for (id, _) in created {
        consider(conn, &settings, id, now)?;
    }
    Ok(())
}

/// What happened to one new ticket (for the tests and the log).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    /// It joined (or was suggested for) incident `.0`.
    Joined(i64),
    /// It completed a burst: a new suggested incident `.0`.
    Raised(i64),
    Nothing,
}

pub fn consider(
    conn: &Connection,
    settings: &IncidentSettings,
    ticket_id: i64,
    now: i64,
) -> Result<Outcome> {
    let Some((category_id, new)) = ticket(conn, ticket_id)? else {
        return Ok(Outcome::Nothing);
    };
    if new.words.all.is_empty() {
        return Ok(Outcome::Nothing);
    }
    for (incident_id, status, keywords) in store::matchable(conn, category_id)? {
        if matches(&new.words, &parse_keywords(&keywords)) {
            let attached = status == Status::Suggested || settings.auto_attach;
            store::add_ticket(conn, incident_id, ticket_id, attached, now)?;
            return Ok(Outcome::Joined(incident_id));
        }
    }
    let since = now - i64::from(settings.window_minutes) * 60;
    // A burst needs that many different requesters: when the window has too few, no text needs
    // reading or comparing (a desk's usual case, and one person's many tickets).
    let others = other_requesters(
        conn,
        category_id,
        ticket_id,
        since,
        &new.email,
        settings.min_tickets,
    )?;
    if others + 1 < settings.min_tickets as usize {
        return Ok(Outcome::Nothing);
    }
    let mut group: Vec<Candidate> = window(conn, category_id, ticket_id, since)?
        .into_iter()
        .filter(|c| similar(&new.words, &c.words))
        .collect();
    group.push(new);
    let mut requesters: Vec<&str> = group.iter().map(|c| c.email.as_str()).collect();
    requesters.sort_unstable();
    requesters.dedup();
    if requesters.len() < settings.min_tickets as usize {
        return Ok(Outcome::Nothing);
    }
    // Oldest first: the first ticket's subject names the incident.
    group.sort_by_key(|c| (c.created_at, c.id));
    let words: Vec<&Words> = group.iter().map(|c| &c.words).collect();
    let keywords = keywords_text(&core_words(&words));
    let title = group.first().map(|c| c.subject.clone()).unwrap_or_default();
    let ids: Vec<i64> = group.iter().map(|c| c.id).collect();
    let id = store::create(conn, category_id, &title, &keywords, &ids, now)?;
    Ok(Outcome::Raised(id))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn w(subject: &str, body: &str) -> Words {
        Words::of(subject, body)
    }

    #[test]
    fn tickets_about_one_outage_are_similar_in_other_words() {
        let a = w("VPN not connecting", "The VPN client fails since 9:00.");
        let b = w("Can't reach VPN", "It times out.");
        let c = w("Cannot connect to the VPN", "Connection failed");
        let d = w("La VPN no conecta", "No puedo conectar desde casa");
        assert!(similar(&a, &b));
        assert!(similar(&a, &c));
        assert!(similar(&b, &d));
    }

    #[test]
    fn unrelated_tickets_are_not_similar() {
        let all = [
            w("Printer out of toner", "Floor 3 printer."),
            w("Laptop screen flickers", "Since the update."),
            w("Keyboard missing keys", "The E key fell off."),
            w("Monitor will not turn on", "No light at all."),
        ];
        for (i, a) in all.iter().enumerate() {
            for b in &all[i + 1..] {
                assert!(!similar(a, b), "{a:?} ~ {b:?}");
            }
        }
    }

    #[test]
    fn words_fold_accents_and_cut_endings() {
        let got = words("Contraseña CONNECTING connection, the VPN!");
        assert!(got.contains("contr"));
        assert!(got.contains("conne"));
        assert!(got.contains("vpn"));
        assert!(!got.contains("the"));
        assert!(words("😀😀😀 !!!").is_empty());
    }
}
