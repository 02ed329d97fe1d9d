//! Knowledge-base queries. Plain functions over a `&Connection`, run inside `db.read` or
//! `db.write`.

use rusqlite::{Connection, OptionalExtension, params};
use serde::Serialize;

use crate::db::now;
use crate::error::{Error, Result};
use crate::i18n::Lang;
use crate::tickets::refdata::name_in;

/// The demo data's way to add a category (kept where it looked for it).
pub use super::categories::create_if_new as create_category;

/// An article as listed: its title in the reader's language, or the other one when missing.
#[derive(Debug, Clone, Serialize)]
pub struct Summary {
    pub id: i64,
    pub slug: String,
    pub state: String,
    pub category_id: Option<i64>,
    /// The category's name in the reader's language.
    pub category: Option<String>,
    pub view_count: i64,
    pub helpful_yes: i64,
    pub helpful_no: i64,
    pub deflections: i64,
    /// Suggested to an employee who then submitted a ticket anyway.
    pub shown_count: i64,
    pub updated_at: i64,
    pub title: String,
    pub lang: String,
    /// Search results only: safe HTML (see `search::highlight`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub snippet: Option<String>,
}

#[derive(Debug, Clone, Serialize)]
pub struct Translation {
    pub lang: String,
    pub title: String,
    pub body_markdown: String,
}

#[derive(Debug, Clone, Serialize)]
pub struct Article {
    pub id: i64,
    pub slug: String,
    pub category_id: Option<i64>,
    pub state: String,
    pub sort: i64,
    pub view_count: i64,
    pub helpful_yes: i64,
    pub helpful_no: i64,
    pub deflections: i64,
    pub updated_at: i64,
    pub translations: Vec<Translation>,
}

impl Article {
    /// The translation in `lang`, else the other language's; `true` when it fell back.
    pub fn translation(&self, lang: Lang) -> Option<(&Translation, bool)> {
        let exact = self.translations.iter().find(|t| t.lang == lang.code());
        match exact {
            Some(t) => Some((t, false)),
            None => self.translations.first().map(|t| (t, true)),
        }
    }
}

/// What the staff form saves.
pub struct ArticleInput {
    pub slug: String,
    pub category_id: Option<i64>,
    pub state: String,
    pub sort: i64,
    /// (lang, title, body); a language with an empty title has no translation.
    pub translations: Vec<(Lang, String, String)>,
}

/// State names come from the constants in `kb`, never from a request, so inlining is safe.
fn state_list(states: &[&str]) -> String {
    states
        .iter()
        .map(|s| format!("'{s}'"))
        .collect::<Vec<_>>()
        .join(",")
}

pub(super) const SUMMARY_COLUMNS: &str = "a.id, a.slug, a.state, a.category_id, c.name, a.view_count, a.helpful_yes, \
     a.helpful_no, a.deflections, a.updated_at, tr.title, tr.lang, a.shown_count, c.name_es";

/// How many columns `SUMMARY_COLUMNS` names: a query selecting more reads them from here on.
pub(super) const AFTER_SUMMARY: usize = 14;

/// A row of `SUMMARY_COLUMNS`, its category named in `lang`.
pub(super) fn summary_from_row(r: &rusqlite::Row<'_>, lang: Lang) -> rusqlite::Result<Summary> {
    let category: Option<String> = r.get(4)?;
    let category_es: Option<String> = r.get(13)?;
    Ok(Summary {
        id: r.get(0)?,
        slug: r.get(1)?,
        state: r.get(2)?,
        category_id: r.get(3)?,
        category: category.map(|en| name_in(lang, &en, category_es.as_deref().unwrap_or(""))),
        view_count: r.get(5)?,
        helpful_yes: r.get(6)?,
        helpful_no: r.get(7)?,
        deflections: r.get(8)?,
        updated_at: r.get(9)?,
        title: r.get(10)?,
        lang: r.get(11)?,
        shown_count: r.get(12)?,
        snippet: None,
    })
}

/// Articles in `states`, by category then the staff's order then title. `category`
/// `Some(id)` keeps one category; `exclude` leaves one article out (for "related").
pub fn list(
    conn: &Connection,
    lang: Lang,
    states: &[&str],
    category: Option<i64>,
    exclude: Option<i64>,
    limit: i64,
) -> Result<Vec<Summary>> {
    let sql = format!(
        "SELECT {SUMMARY_COLUMNS} FROM kb_articles a
         LEFT JOIN kb_categories c ON c.id = a.category_id
         JOIN kb_translations tr ON tr.id = (SELECT id FROM kb_translations
             WHERE article_id = a.id ORDER BY lang = ?1 DESC, lang LIMIT 1)
         WHERE a.state IN ({}) AND (?2 IS NULL OR a.category_id = ?2) AND (?3 IS NULL OR a.id != ?3)
         ORDER BY c.sort IS NULL, c.sort, c.name, a.sort, tr.title COLLATE NOCASE
         LIMIT ?4",
        state_list(states)
    );
    let mut stmt = conn.prepare_cached(&sql)?;
    let rows = stmt
        .query_map(params![lang.code(), category, exclude, limit], |r| {
            summary_from_row(r, lang)
        })?
        .collect::<rusqlite::Result<Vec<_>>>()?;
    Ok(rows)
}

/// Full-text search over every translation of the articles in `states`, best first; one result
/// per article, in the reader's language when that translation matched too. Snippets are the
/// article's text as a reader sees it (Markdown rendered to text), as safe HTML with the matched
/// words in `<mark>`.
pub fn search(
    conn: &Connection,
    lang: Lang,
    states: &[&str],
    expr: &str,
    limit: usize,
) -> Result<Vec<Summary>> {
    search_with(conn, lang, states, expr, limit, Snippets::Html)
}

/// As `search`, with snippets as plain text as readers see it (no marks): for the ticket form's
/// suggestions, which insert it as text.
pub fn search_text(
    conn: &Connection,
    lang: Lang,
    states: &[&str],
    expr: &str,
    limit: usize,
) -> Result<Vec<Summary>> {
    search_with(conn, lang, states, expr, limit, Snippets::Text)
}

/// As `search`, with snippets as plain text, the Markdown as written (the API's).
pub fn search_plain(
    conn: &Connection,
    lang: Lang,
    states: &[&str],
    expr: &str,
    limit: usize,
) -> Result<Vec<Summary>> {
    search_with(conn, lang, states, expr, limit, Snippets::Markdown)
}

/// What a search result's snippet is.
#[derive(Clone, Copy)]
enum Snippets {
    /// The text readers see, as HTML with `<mark>` (the knowledge base's search page).
    Html,
    /// The text readers see, no marks (the suggestions).
    Text,
    /// FTS5's snippet of the Markdown source, no marks (the API).
    Markdown,
}

/// Words in a snippet.
const SNIPPET_WORDS: usize = 24;

fn search_with(
    conn: &Connection,
    lang: Lang,
    states: &[&str],
    expr: &str,
    limit: usize,
    kind: Snippets,
) -> Result<Vec<Summary>> {
    // Ranked without snippets: with ORDER BY, SQLite computes every selected column for every
    // match before sorting, and snippets are the expensive part. Snippets follow for the few
    // results kept.
    let sql = format!(
        "SELECT {SUMMARY_COLUMNS}, tr.id
         FROM kb_search
         JOIN kb_translations tr ON tr.id = kb_search.rowid
         JOIN kb_articles a ON a.id = tr.article_id
         LEFT JOIN kb_categories c ON c.id = a.category_id
         WHERE kb_search MATCH ?1 AND a.state IN ({})
         ORDER BY bm25(kb_search, 5.0, 1.0)
         LIMIT 200",
        state_list(states)
    );
    let mut stmt = conn.prepare_cached(&sql)?;
    let rows = stmt.query_map([expr], |r| {
        Ok((summary_from_row(r, lang)?, r.get::<_, i64>(AFTER_SUMMARY)?))
    })?;
    let mut out: Vec<(Summary, i64)> = Vec::new();
    for row in rows {
        let row = row?;
        match out.iter_mut().find(|(s, _)| s.id == row.0.id) {
            Some(kept) if kept.0.lang != lang.code() && row.0.lang == lang.code() => *kept = row,
            Some(_) => {}
            None => out.push(row),
        }
    }
    out.truncate(limit);
    if !out.is_empty() {
        let ids = out
            .iter()
            .map(|(_, tr)| tr.to_string())
            .collect::<Vec<_>>()
            .join(",");
        let mut snippets = match kind {
            Snippets::Markdown => markdown_snippets(conn, expr, &ids)?,
            Snippets::Html | Snippets::Text => text_snippets(conn, expr, &ids)?,
        };
        for (summary, translation) in &mut out {
            summary.snippet = snippets.remove(translation).map(|t| match kind {
                Snippets::Html => crate::search::highlight(&t),
                Snippets::Text | Snippets::Markdown => crate::search::plain(&t),
            });
        }
    }
    Ok(out.into_iter().map(|(s, _)| s).collect())
}

/// FTS5's snippets of the translations `ids` (numbers joined by commas), marks included: one
/// pass over the matches for the kept rows (see `tickets::list::add_snippets`).
fn markdown_snippets(
    conn: &Connection,
    expr: &str,
    ids: &str,
) -> Result<std::collections::HashMap<i64, String>> {
    let sql = format!(
        "SELECT rowid, snippet(kb_search, -1, char(1), char(2), '…', 20) FROM kb_search
         WHERE kb_search MATCH ?1 AND +rowid IN ({ids})"
    );
    let mut stmt = conn.prepare(&sql)?;
    let mut rows = stmt.query([expr])?;
    let mut snippets = std::collections::HashMap::new();
    while let Some(row) = rows.next()? {
        snippets.insert(row.get::<_, i64>(0)?, row.get::<_, String>(1)?);
    }
    Ok(snippets)
}

/// Snippets of what readers see of the translations `ids`: the body's Markdown rendered to text
/// first, then the words around the first match, marked (an FTS5 snippet of the source could
/// cut a link or emphasis in two, leaving syntax in view).
fn text_snippets(
    conn: &Connection,
    expr: &str,
    ids: &str,
) -> Result<std::collections::HashMap<i64, String>> {
    let terms = crate::search::expr_terms(expr);
    let sql = format!("SELECT id, body_markdown FROM kb_translations WHERE id IN ({ids})");
    let mut stmt = conn.prepare(&sql)?;
    let mut rows = stmt.query([])?;
    let mut snippets = std::collections::HashMap::new();
    while let Some(row) = rows.next()? {
        let body: String = row.get(1)?;
        let text = super::markdown_text(&body);
        snippets.insert(
            row.get::<_, i64>(0)?,
            crate::search::text_snippet(&text, &terms, SNIPPET_WORDS),
        );
    }
    Ok(snippets)
}

/// One page of the articles in `state`, by id, after article `after` (0: from the first): each
/// with its title in `lang` (else the other language's) and the languages it is written in.
pub fn page_by_id(
    conn: &Connection,
    lang: Lang,
    state: &str,
    after: i64,
    limit: i64,
) -> Result<Vec<(Summary, Vec<String>)>> {
    let sql = format!(
        "SELECT {SUMMARY_COLUMNS},
             (SELECT group_concat(lang, ',') FROM
                 (SELECT lang FROM kb_translations WHERE article_id = a.id ORDER BY lang))
         FROM kb_articles a
         LEFT JOIN kb_categories c ON c.id = a.category_id
         JOIN kb_translations tr ON tr.id = (SELECT id FROM kb_translations
             WHERE article_id = a.id ORDER BY lang = ?1 DESC, lang LIMIT 1)
         WHERE a.state = ?2 AND a.id > ?3
         ORDER BY a.id
         LIMIT ?4"
    );
    let mut stmt = conn.prepare_cached(&sql)?;
    let rows = stmt
        .query_map(params![lang.code(), state, after, limit], |r| {
            let languages: String = r.get(AFTER_SUMMARY)?;
            Ok((
                summary_from_row(r, lang)?,
                languages.split(',').map(str::to_string).collect(),
            ))
        })?
        .collect::<rusqlite::Result<Vec<_>>>()?;
    Ok(rows)
}

fn load(conn: &Connection, clause: &str, key: &dyn rusqlite::ToSql) -> Result<Option<Article>> {
    let sql = format!(
        "SELECT id, slug, category_id, state, sort, view_count, helpful_yes, helpful_no, deflections, updated_at
         FROM kb_articles WHERE {clause}"
    );
    let article = conn
        .prepare_cached(&sql)?
        .query_row([key], |r| {
            Ok(Article {
                id: r.get(0)?,
                slug: r.get(1)?,
                category_id: r.get(2)?,
                state: r.get(3)?,
                sort: r.get(4)?,
                view_count: r.get(5)?,
                helpful_yes: r.get(6)?,
                helpful_no: r.get(7)?,
                deflections: r.get(8)?,
                updated_at: r.get(9)?,
                translations: Vec::new(),
            })
        })
        .optional()?;
    let Some(mut article) = article else {
        return Ok(None);
    };
    article.translations = conn
        .prepare_cached(
            "SELECT lang, title, body_markdown FROM kb_translations WHERE article_id = ?1 ORDER BY lang",
        )?
        .query_map([article.id], |r| {
            Ok(Translation {
                lang: r.get(0)?,
                title: r.get(1)?,
                body_markdown: r.get(2)?,
            })
        })?
        .collect::<rusqlite::Result<Vec<_>>>()?;
    Ok(Some(article))
}

pub fn get(conn: &Connection, id: i64) -> Result<Option<Article>> {
    load(conn, "id = ?1", &id)
}

pub fn by_slug(conn: &Connection, slug: &str) -> Result<Option<Article>> {
    load(conn, "slug = ?1", &slug)
}

pub fn record_view(conn: &Connection, id: i64) -> Result<()> {
    conn.prepare_cached("UPDATE kb_articles SET view_count = view_count + 1 WHERE id = ?1")?
        .execute([id])?;
    Ok(())
}

pub fn vote(conn: &Connection, id: i64, helpful: bool) -> Result<()> {
    let sql = if helpful {
        "UPDATE kb_articles SET helpful_yes = helpful_yes + 1 WHERE id = ?1"
    } else {
        "UPDATE kb_articles SET helpful_no = helpful_no + 1 WHERE id = ?1"
    };
    conn.prepare_cached(sql)?.execute([id])?;
    Ok(())
}

/// Counts a "this solved my problem" click on a published article; false when there is none.
pub fn record_deflection(conn: &Connection, slug: &str) -> Result<bool> {
    let n = conn
        .prepare_cached(
            "UPDATE kb_articles SET deflections = deflections + 1 WHERE slug = ?1 AND state = 'published'",
        )?
        .execute([slug])?;
    Ok(n == 1)
}

pub fn slug_taken(conn: &Connection, slug: &str, except: Option<i64>) -> Result<bool> {
    Ok(conn
        .prepare_cached("SELECT 1 FROM kb_articles WHERE slug = ?1 AND (?2 IS NULL OR id != ?2)")?
        .exists(params![slug, except])?)
}

/// Creates (`id` None) or updates an article with its translations; returns its id, or
/// `Error::BadRequest("slug")` when another article has the slug.
pub fn save(
    conn: &Connection,
    id: Option<i64>,
    input: &ArticleInput,
    staff_id: i64,
) -> Result<i64> {
    if slug_taken(conn, &input.slug, id)? {
        return Err(Error::BadRequest("slug".into()));
    }
    let now = now();
    let id = match id {
        Some(id) => {
            let n = conn
                .prepare_cached(
                    "UPDATE kb_articles SET slug = ?2, category_id = ?3, state = ?4, sort = ?5,
                         updated_by = ?6, updated_at = ?7 WHERE id = ?1",
                )?
                .execute(params![
                    id,
                    input.slug,
                    input.category_id,
                    input.state,
                    input.sort,
                    staff_id,
                    now
                ])?;
            if n == 0 {
                return Err(Error::NotFound);
            }
            id
        }
        None => {
            conn.prepare_cached(
                "INSERT INTO kb_articles (slug, category_id, state, sort, created_by, updated_by, created_at, updated_at)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?5, ?6, ?6)",
            )?
            .execute(params![input.slug, input.category_id, input.state, input.sort, staff_id, now])?;
            conn.last_insert_rowid()
        }
    };
    for (lang, title, body) in &input.translations {
        if title.is_empty() {
            conn.prepare_cached("DELETE FROM kb_translations WHERE article_id = ?1 AND lang = ?2")?
                .execute(params![id, lang.code()])?;
        } else {
            conn.prepare_cached(
                "INSERT INTO kb_translations (article_id, lang, title, body_markdown) VALUES (?1, ?2, ?3, ?4)
                 ON CONFLICT (article_id, lang) DO UPDATE SET title = excluded.title,
                     body_markdown = excluded.body_markdown",
            )?
            .execute(params![id, lang.code(), title, body])?;
        }
    }
    Ok(id)
}

/// Published articles, most viewed first: the links offered to agents when there is no script.
pub fn most_viewed(conn: &Connection, lang: Lang, limit: i64) -> Result<Vec<Summary>> {
    let sql = format!(
        "SELECT {SUMMARY_COLUMNS} FROM kb_articles a
         LEFT JOIN kb_categories c ON c.id = a.category_id
         JOIN kb_translations tr ON tr.id = (SELECT id FROM kb_translations
             WHERE article_id = a.id ORDER BY lang = ?1 DESC, lang LIMIT 1)
         WHERE a.state = 'published'
         ORDER BY a.view_count DESC, a.id DESC
         LIMIT ?2"
    );
    let rows = conn
        .prepare_cached(&sql)?
        .query_map(params![lang.code(), limit], |r| summary_from_row(r, lang))?
        .collect::<rusqlite::Result<Vec<_>>>()?;
    Ok(rows)
}

/// Counts one showing of each published article in `slugs` (suggested to an employee who then
/// submitted a ticket); unknown and unpublished slugs are ignored. Returns how many counted.
pub fn record_shown(conn: &Connection, slugs: &[String]) -> Result<usize> {
    let mut stmt = conn.prepare_cached(
        "UPDATE kb_articles SET shown_count = shown_count + 1 WHERE slug = ?1 AND state = 'published'",
    )?;
    let mut counted = 0;
    for slug in slugs {
        counted += stmt.execute([slug])?;
    }
    Ok(counted)
}

/// The articles staff and readers see (published and internal), most read first, with their
/// counters: the knowledge base's part of the reports.
pub fn by_use(conn: &Connection, lang: Lang, limit: i64) -> Result<Vec<Summary>> {
    // The top articles first, then only their titles: one translation lookup per row kept.
    let sql = format!(
        "SELECT {SUMMARY_COLUMNS} FROM (SELECT * FROM kb_articles
             WHERE state IN ('published', 'internal')
             ORDER BY view_count DESC, deflections DESC, id DESC LIMIT ?2) a
         LEFT JOIN kb_categories c ON c.id = a.category_id
         JOIN kb_translations tr ON tr.id = (SELECT id FROM kb_translations
             WHERE article_id = a.id ORDER BY lang = ?1 DESC, lang LIMIT 1)
         ORDER BY a.view_count DESC, a.deflections DESC, a.id DESC"
    );
    let rows = conn
        .prepare_cached(&sql)?
        .query_map(params![lang.code(), limit], |r| summary_from_row(r, lang))?
        .collect::<rusqlite::Result<Vec<_>>>()?;
    Ok(rows)
}

/// Tickets avoided: every "this solved my problem" click, over all articles.
pub fn total_deflections(conn: &Connection) -> Result<i64> {
    Ok(conn
        .prepare_cached("SELECT COALESCE(SUM(deflections), 0) FROM kb_articles")?
        .query_row([], |r| r.get(0))?)
}

/// A file attached to an article, without its data.
#[derive(Debug, Clone, Serialize)]
pub struct FileMeta {
    pub id: i64,
    pub filename: String,
    pub content_type: String,
    pub size: i64,
}

/// A file with its data and the state of its article (who may see it).
pub struct KbFile {
    pub filename: String,
    pub content_type: String,
    pub article_state: String,
    pub data: Vec<u8>,
}

pub fn add_file(
    conn: &Connection,
    article_id: i64,
    upload: &crate::tickets::Upload,
) -> Result<i64> {
    conn.prepare_cached(
        "INSERT INTO kb_files (article_id, filename, content_type, size, created_at, data)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
    )?
    .execute(params![
        article_id,
        upload.filename,
        upload.content_type,
        upload.data.len() as i64,
        now(),
        upload.data
    ])?;
    Ok(conn.last_insert_rowid())
}

pub fn files(conn: &Connection, article_id: i64) -> Result<Vec<FileMeta>> {
    let rows = conn
        .prepare_cached(
            "SELECT id, filename, content_type, size FROM kb_files WHERE article_id = ?1 ORDER BY id",
        )?
        .query_map([article_id], |r| {
            Ok(FileMeta {
                id: r.get(0)?,
                filename: r.get(1)?,
                content_type: r.get(2)?,
                size: r.get(3)?,
            })
        })?
        .collect::<rusqlite::Result<Vec<_>>>()?;
    Ok(rows)
}

pub fn file(conn: &Connection, id: i64) -> Result<Option<KbFile>> {
    Ok(conn
        .prepare_cached(
            "SELECT f.filename, f.content_type, a.state, f.data FROM kb_files f
             JOIN kb_articles a ON a.id = f.article_id WHERE f.id = ?1",
        )?
        .query_row([id], |r| {
            Ok(KbFile {
                filename: r.get(0)?,
                content_type: r.get(1)?,
                article_state: r.get(2)?,
                data: r.get(3)?,
            })
        })
        .optional()?)
}
