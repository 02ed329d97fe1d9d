//! Full-text search helpers shared by the ticket list, the knowledge base and the suggestions:
//! turning what people type into a safe FTS5 query, turning FTS5 snippets into safe HTML, and
//! rebuilding the search tables (`helpdesk reindex`), and the same accent folding in Rust for
//! text matched outside SQLite (rules' words, slugs).

use rusqlite::Connection;
use unicode_normalization::UnicodeNormalization;
use unicode_normalization::char::is_combining_mark;

use crate::error::Result;

/// Terms beyond this many are ignored: a longer query only gets slower, not better.
const MAX_TERMS: usize = 12;

/// Marks around a matched term in `snippet()` output. Control characters never appear in
/// escaped HTML, so they survive `escape_html` and are swapped for `<mark>` tags afterwards.
pub const MARK_START: &str = "\u{1}";
pub const MARK_END: &str = "\u{2}";

/// One word as an FTS5 term: quoted, and a prefix unless it is a single character (a one-letter
/// prefix would match a large share of all words, slowly).
fn term(word: &str) -> String {
    if word.chars().nth(1).is_some() {
        format!("\"{word}\"*")
    } else {
        format!("\"{word}\"")
    }
}

/// The FTS5 query for user text: every word becomes a quoted prefix term (`"word"*`), all
/// required. Anything that is not a letter or digit separates words, so quotes, parentheses,
/// `*`, `:`, `^`, `-` and `+` can never reach the MATCH syntax; words such as AND, OR, NOT and
/// NEAR are quoted and therefore plain words. `None` when no word is left.
pub fn match_expr(q: &str) -> Option<String> {
    let terms: Vec<String> = q
        .split(|c: char| !c.is_alphanumeric())
        .filter(|w| !w.is_empty())
        .take(MAX_TERMS)
        .map(term)
        .collect();
    if terms.is_empty() {
        None
    } else {
        Some(terms.join(" "))
    }
}

/// A staff search over the ticket index (one row per message and one for the ticket itself, see
/// `ROW_SHIFT`): a ticket matches when each word is in one of its rows, in any column, as it did
/// when the index held one document per ticket ("printer" in the subject, "offline" in a reply).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TicketQuery {
    /// One FTS5 term per word, as `match_expr` makes them.
    terms: Vec<String>,
}

impl TicketQuery {
    /// The search for user text; `None` when no word is left (see `match_expr`).
    pub fn parse(q: &str) -> Option<TicketQuery> {
        let terms: Vec<String> = q
            .split(|c: char| !c.is_alphanumeric())
            .filter(|w| !w.is_empty())
            .take(MAX_TERMS)
            .map(term)
            .collect();
        (!terms.is_empty()).then_some(TicketQuery { terms })
    }

    /// The rows holding any of the words: what snippets and ranks are made from.
    pub fn any_expr(&self) -> String {
        self.terms.join(" OR ")
    }

    /// How many words.
    pub fn words(&self) -> usize {
        self.terms.len()
    }

    /// The condition on a ticket id `column` (e.g. `t.id`, or `+t.id` to keep SQLite from
    /// driving the query from the index) that it is a matching ticket: in the tickets holding
    /// each word, one `?` per word bound to `params()` in order. One set per word, each read
    /// once: cheaper than an INTERSECT of them, which sorts both into new tables.
    pub fn condition(&self, column: &str) -> String {
        vec![format!("{column} IN ({ROWS_OF_WORD})"); self.terms.len()].join(" AND ")
    }

    /// The parameters of `condition` (and of `count`).
    pub fn params(&self) -> impl Iterator<Item = rusqlite::types::Value> + '_ {
        self.terms
            .iter()
            .map(|t| rusqlite::types::Value::Text(t.clone()))
    }

    /// How many tickets match, counting stops after `cap`: the tickets holding the first word
    /// that hold each other word too.
    pub fn count(&self, conn: &Connection, cap: i64) -> Result<i64> {
        let others = vec![format!(" AND rowid >> 24 IN ({ROWS_OF_WORD})"); self.terms.len() - 1];
        let sql = format!(
            "SELECT COUNT(*) FROM (SELECT DISTINCT rowid >> 24 FROM ticket_search \
             WHERE ticket_search MATCH ?{} LIMIT {cap})",
            others.concat()
        );
        Ok(conn
            .prepare_cached(&sql)?
            .query_row(rusqlite::params_from_iter(self.params()), |r| r.get(0))?)
    }
}

/// The ticket ids of the rows holding one word (a ticket may come more than once).
const ROWS_OF_WORD: &str = "SELECT rowid >> 24 FROM ticket_search WHERE ticket_search MATCH ?";

/// As `match_expr`, but any word may match (best matches first by bm25): for suggestions,
/// where people type whole sentences. Words under three letters are left out, as prefixes
/// they would match nearly everything.
pub fn match_any_expr(q: &str) -> Option<String> {
    let terms: Vec<String> = q
        .split(|c: char| !c.is_alphanumeric())
        .filter(|w| w.chars().count() >= 3)
        .take(MAX_TERMS)
        .map(|w| format!("\"{w}\"*"))
        .collect();
    if terms.is_empty() {
        None
    } else {
        Some(terms.join(" OR "))
    }
}

/// A snippet made with `MARK_START`/`MARK_END` as HTML: all text escaped, the marks turned into
/// balanced `<mark>` elements (stray marker characters from stored text are dropped).
pub fn highlight(snippet: &str) -> String {
    let escaped = tera::escape_html(snippet);
    let mut out = String::with_capacity(escaped.len() + 26);
    let mut open = false;
    for ch in escaped.chars() {
        match ch {
            '\u{1}' if !open => {
                out.push_str("<mark>");
                open = true;
            }
            '\u{2}' if open => {
                out.push_str("</mark>");
                open = false;
            }
            '\u{1}' | '\u{2}' => {}
            c => out.push(c),
        }
    }
    if open {
        out.push_str("</mark>");
    }
    out
}

/// A snippet made with `MARK_START`/`MARK_END` as plain text: the marks dropped.
pub fn plain(snippet: &str) -> String {
    snippet.replace(['\u{1}', '\u{2}'], "")
}

/// The words of an FTS expression made by `match_expr` or `match_any_expr` (its quoted terms),
/// folded: what a snippet made outside SQLite marks.
pub fn expr_terms(expr: &str) -> Vec<String> {
    expr.split('"')
        .skip(1)
        .step_by(2)
        .filter(|t| !t.is_empty())
        .map(fold)
        .collect()
}

/// A snippet of plain `text`: about `max_words` words around the first word that starts with
/// one of `terms` (folded, as the index matches prefixes), each matching word between
/// `MARK_START` and `MARK_END`, and `…` where the text was cut. With no match, its start.
pub fn text_snippet(text: &str, terms: &[String], max_words: usize) -> String {
    let words: Vec<&str> = text.split_whitespace().collect();
    let matches = |word: &str| {
        folded_words(word)
            .iter()
            .any(|w| terms.iter().any(|t| w.starts_with(t.as_str())))
    };
    let first = words.iter().position(|w| matches(w)).unwrap_or(0);
    // A little context before the first match, the rest after it.
    let start = first.saturating_sub(max_words / 4);
    let end = (start + max_words).min(words.len());
    let start = end.saturating_sub(max_words).min(start);
    let mut out = String::new();
    if start > 0 {
        out.push('…');
    }
    for (i, word) in words[start..end].iter().enumerate() {
        if i > 0 {
            out.push(' ');
        }
        if matches(word) {
            // The mark around the word itself, its punctuation outside.
            let core_start = word.find(char::is_alphanumeric).unwrap_or(0);
            let core_end = word
                .rfind(char::is_alphanumeric)
                .map(|i| i + word[i..].chars().next().map_or(1, char::len_utf8))
                .unwrap_or(word.len());
            out.push_str(&word[..core_start]);
            out.push_str(MARK_START);
            out.push_str(&word[core_start..core_end]);
            out.push_str(MARK_END);
            out.push_str(&word[core_end..]);
        } else {
            out.push_str(word);
        }
    }
    if end < words.len() {
        out.push('…');
    }
    out
}

/// Text folded as the search index folds it (`remove_diacritics 2`): lowercase, accents and other
/// combining marks dropped after canonical decomposition, so "Contraseña", "CONTRASEÑA" and
/// "contrasena" are the same, as are precomposed and decomposed accents.
pub fn fold(text: &str) -> String {
    text.nfd()
        .filter(|c| !is_combining_mark(*c))
        .flat_map(char::to_lowercase)
        .collect()
}

/// The words of `text`, folded: runs of letters and digits, anything else separates them (as in
/// `match_expr`).
pub fn folded_words(text: &str) -> Vec<String> {
    fold(text)
        .split(|c: char| !c.is_alphanumeric())
        .filter(|w| !w.is_empty())
        .map(str::to_string)
        .collect()
}

/// The rows of ticket T in `ticket_search` have rowids `T << ROW_SHIFT` (its own row: subject,
/// requester, custom fields) to `(T << ROW_SHIFT) + 2^ROW_SHIFT - 1` (one per message), so the
/// ticket id of a row is `rowid >> ROW_SHIFT` (see migration 0039 and its triggers). A new row
/// waits in `search_pending` until its transaction commits (migration 0040, `flush_pending`).
pub const ROW_SHIFT: u32 = 24;

/// The text of ticket `$ticket`'s custom field values in its search row (SQL, a subquery): a
/// checkbox's `true`/`false` is left out (a search for "true" should not find every ticket).
macro_rules! fields_text {
    ($ticket:literal) => {
        concat!(
            "(SELECT group_concat(v.value, char(10)) FROM ticket_field_values v
              JOIN fields f ON f.id = v.field_id
              WHERE v.ticket_id = ",
            $ticket,
            " AND f.kind != 'checkbox')"
        )
    };
}

/// SQL that fills `ticket_search` for tickets with `id` in `[?1, ?2)`, spam left out: each
/// ticket's own row and one row per message, in rowid order (FTS5 starts a new segment when a
/// rowid goes down).
const FILL_TICKETS: &str = concat!(
    "INSERT INTO ticket_search (rowid, subject, body, notes, requester, fields)
    SELECT rowid, subject, body, notes, requester, fields FROM (
        SELECT t.id << 24 AS rowid, t.subject AS subject, NULL AS body, NULL AS notes,
            t.requester_name || ' ' || t.requester_email AS requester, ",
    fields_text!("t.id"),
    " AS fields
        FROM tickets t
        WHERE t.id >= ?1 AND t.id < ?2 AND t.id NOT IN (SELECT ticket_id FROM ticket_spam)
        UNION ALL
        SELECT (m.ticket_id << 24) + row_number() OVER (PARTITION BY m.ticket_id ORDER BY m.id),
            NULL,
            CASE WHEN m.kind = 'note' THEN NULL ELSE m.body END,
            CASE WHEN m.kind = 'note' THEN m.body END,
            NULL, NULL
        FROM messages m
        WHERE m.ticket_id >= ?1 AND m.ticket_id < ?2
            AND m.ticket_id NOT IN (SELECT ticket_id FROM ticket_spam))
    ORDER BY rowid"
);

/// Takes ticket `id` out of the search index (marked as spam): all its rows. The message
/// triggers index nothing for a spam ticket, so it stays out.
pub fn forget_ticket(conn: &Connection, id: i64) -> Result<()> {
    conn.prepare_cached(
        "DELETE FROM search_pending WHERE id BETWEEN ?1 << 24 AND (?1 << 24) + 16777215",
    )?
    .execute([id])?;
    conn.prepare_cached(
        "DELETE FROM ticket_search WHERE rowid BETWEEN ?1 << 24 AND (?1 << 24) + 16777215",
    )?
    .execute([id])?;
    Ok(())
}

/// Puts ticket `id` back into the search index (no longer spam).
pub fn index_ticket(conn: &Connection, id: i64) -> Result<()> {
    forget_ticket(conn, id)?;
    conn.prepare_cached(FILL_TICKETS)?.execute([id, id + 1])?;
    Ok(())
}

/// Puts a ticket's custom field values in its own search row (column `fields`): called by the
/// ticket actions once per action that sets values, whatever their number. A new ticket's own
/// row is still waiting (`flush_pending`), where setting it is a plain row update; an older
/// ticket's is changed in the index.
pub fn index_fields(conn: &Connection, ticket_id: i64) -> Result<()> {
    let waiting = conn
        .prepare_cached(concat!(
            "UPDATE search_pending SET fields = ",
            fields_text!("?1"),
            " WHERE id = ?1 << 24"
        ))?
        .execute([ticket_id])?;
    if waiting == 0 {
        conn.prepare_cached(concat!(
            "UPDATE ticket_search SET fields = ",
            fields_text!("?1"),
            " WHERE rowid = ?1 << 24"
        ))?
        .execute([ticket_id])?;
    }
    Ok(())
}

/// Moves the rows waiting in `search_pending` (migration 0040) into the ticket index, all with
/// one INSERT in rowid order, so that FTS5 writes them as one segment. Called in every write
/// transaction just before its commit (`crate::db`), so a reader never misses a row; costs one
/// lookup when nothing waits.
pub fn flush_pending(conn: &Connection) -> Result<()> {
    if !conn
        .prepare_cached("SELECT 1 FROM search_pending LIMIT 1")?
        .exists([])?
    {
        return Ok(());
    }
    conn.prepare_cached(
        "INSERT INTO ticket_search (rowid, subject, body, notes, requester, fields)
         SELECT id, subject, body, notes, requester, fields FROM search_pending ORDER BY id",
    )?
    .execute([])?;
    conn.prepare_cached("DELETE FROM search_pending")?
        .execute([])?;
    Ok(())
}

/// Tickets indexed per step of `reindex_tickets`.
pub const REINDEX_BATCH: i64 = 2_000;

/// Empties the ticket index; `reindex_tickets_batch` then refills it.
pub fn clear_ticket_index(conn: &Connection) -> Result<i64> {
    conn.execute("DELETE FROM search_pending", [])?;
    conn.execute("DELETE FROM ticket_search", [])?;
    Ok(conn.query_row("SELECT coalesce(max(id), 0) FROM tickets", [], |r| r.get(0))?)
}

/// Indexes the tickets with ids in `[from, from + REINDEX_BATCH)`; returns how many.
pub fn reindex_tickets_batch(conn: &Connection, from: i64) -> Result<usize> {
    let to = from + REINDEX_BATCH;
    conn.prepare_cached(FILL_TICKETS)?.execute([from, to])?;
    Ok(conn
        .prepare_cached(
            "SELECT COUNT(*) FROM tickets WHERE id >= ?1 AND id < ?2
                 AND id NOT IN (SELECT ticket_id FROM ticket_spam)",
        )?
        .query_row([from, to], |r| r.get::<_, i64>(0))? as usize)
}

/// Rebuilds the whole ticket index at once (tests and small databases).
pub fn reindex_tickets(conn: &Connection) -> Result<usize> {
    let max = clear_ticket_index(conn)?;
    let mut done = 0;
    let mut from = 0;
    while from <= max {
        done += reindex_tickets_batch(conn, from)?;
        from += REINDEX_BATCH;
    }
    conn.execute(
        "INSERT INTO ticket_search (ticket_search) VALUES ('optimize')",
        [],
    )?;
    Ok(done)
}

/// Rebuilds the knowledge-base index; returns how many translations it holds.
pub fn reindex_articles(conn: &Connection) -> Result<usize> {
    conn.execute("INSERT INTO kb_search (kb_search) VALUES ('rebuild')", [])?;
    Ok(
        conn.query_row("SELECT COUNT(*) FROM kb_translations", [], |r| {
            r.get::<_, i64>(0)
        })? as usize,
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn user_text_cannot_break_the_match_syntax() {
        assert_eq!(
            match_expr("impresión \"NEAR( a* OR b:c^"),
            Some("\"impresión\"* \"NEAR\"* \"a\" \"OR\"* \"b\" \"c\"".into())
        );
        assert_eq!(match_expr(" -*\"() "), None);
        assert_eq!(
            match_any_expr("my printer is OFFLINE!"),
            Some("\"printer\"* OR \"OFFLINE\"*".into())
        );
    }

    #[test]
    fn folding_drops_case_and_accents_composed_or_not() {
        assert_eq!(fold("Contraseña CADUCÓ"), "contrasena caduco");
        // "e" followed by a combining acute accent, as some mail programs send it.
        assert_eq!(fold("impresio\u{301}n"), "impresion");
        assert_eq!(
            folded_words("¿La IMPRESÓRA, falla?"),
            vec!["la", "impresora", "falla"]
        );
    }

    #[test]
    fn text_snippets_mark_matching_words_around_the_first() {
        let terms = expr_terms(&match_any_expr("vpn contraseña").unwrap_or_default());
        assert_eq!(terms, ["vpn", "contrasena"]);
        let text = "one two three four five six seven eight nine ten Use the VPN, then the \
                    Contraseña page; eleven twelve thirteen fourteen";
        assert_eq!(
            text_snippet(text, &terms, 8),
            "…Use the \u{1}VPN\u{2}, then the \u{1}Contraseña\u{2} page; eleven…"
        );
        // Near the end, the window still holds as many words; no match: the start.
        assert_eq!(text_snippet("a b c vpn", &terms, 3), "…b c \u{1}vpn\u{2}");
        assert_eq!(text_snippet("a b c d", &terms, 3), "a b c…");
        assert_eq!(text_snippet("", &terms, 3), "");
    }

    #[test]
    fn snippets_are_escaped_and_marks_balanced() {
        assert_eq!(
            highlight("a <b> \u{1}x\u{2} \u{2}y\u{1}z"),
            "a &lt;b&gt; <mark>x</mark> y<mark>z</mark>"
        );
    }
}
