//! The staff's list of articles (every state): searched with the knowledge base's full-text
//! index, filtered by state, category and language, a page at a time with the total.

use rusqlite::Connection;
use rusqlite::types::Value;

use super::store::{AFTER_SUMMARY, SUMMARY_COLUMNS, Summary, summary_from_row};
use crate::error::Result;
use crate::i18n::Lang;

/// Which category: one by id, or the articles in none.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CategoryFilter {
    Id(i64),
    None,
}

/// Which translations an article must have, or lack.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LangFilter {
    Has(Lang),
    Lacks(Lang),
}

#[derive(Debug, Clone, Default)]
pub struct Filter {
    /// An FTS5 expression (`search::match_expr`): articles any translation of which matches.
    pub search: Option<String>,
    /// One of `kb::ALL_STATES`.
    pub state: Option<&'static str>,
    pub category: Option<CategoryFilter>,
    pub lang: Option<LangFilter>,
}

/// An article in the staff's list, with the languages it is written in.
#[derive(Debug, Clone, serde::Serialize)]
pub struct Row {
    #[serde(flatten)]
    pub summary: Summary,
    /// Language codes of its translations, in order ("en", "es").
    pub langs: Vec<String>,
}

/// The WHERE clause of `filter` (over `kb_articles a`) and its parameters, numbered from `first`.
fn conditions(filter: &Filter, first: usize) -> (String, Vec<Value>) {
    let mut clauses = Vec::new();
    let mut params: Vec<Value> = Vec::new();
    let next = |value: Value, params: &mut Vec<Value>| {
        params.push(value);
        format!("?{}", first + params.len() - 1)
    };
    if let Some(expr) = &filter.search {
        let p = next(Value::Text(expr.clone()), &mut params);
        clauses.push(format!(
            "a.id IN (SELECT tr.article_id FROM kb_search
                      JOIN kb_translations tr ON tr.id = kb_search.rowid WHERE kb_search MATCH {p})"
        ));
    }
    if let Some(state) = filter.state {
        let p = next(Value::Text(state.to_string()), &mut params);
        clauses.push(format!("a.state = {p}"));
    }
    match filter.category {
        Some(CategoryFilter::Id(id)) => {
            let p = next(Value::Integer(id), &mut params);
            clauses.push(format!("a.category_id = {p}"));
        }
        Some(CategoryFilter::None) => clauses.push("a.category_id IS NULL".to_string()),
        None => {}
    }
    if let Some(lang) = filter.lang {
        let (lang, has) = match lang {
            LangFilter::Has(l) => (l, "EXISTS"),
            LangFilter::Lacks(l) => (l, "NOT EXISTS"),
        };
        let p = next(Value::Text(lang.code().to_string()), &mut params);
        clauses.push(format!(
            "{has} (SELECT 1 FROM kb_translations x WHERE x.article_id = a.id AND x.lang = {p})"
        ));
    }
    let clause = if clauses.is_empty() {
        "1".to_string()
    } else {
        clauses.join(" AND ")
    };
    (clause, params)
}

/// How many articles match `filter`.
pub fn count(conn: &Connection, filter: &Filter) -> Result<i64> {
    let (clause, params) = conditions(filter, 1);
    let sql = format!("SELECT COUNT(*) FROM kb_articles a WHERE {clause}");
    Ok(conn
        .prepare_cached(&sql)?
        .query_row(rusqlite::params_from_iter(params), |r| r.get(0))?)
}

/// The matching articles from `offset` on, at most `limit`, titled in `lang` (else the other
/// language): a search's best matches first, otherwise by category, the staff's order and title.
pub fn page(
    conn: &Connection,
    lang: Lang,
    filter: &Filter,
    offset: i64,
    limit: i64,
) -> Result<Vec<Row>> {
    let mut all = vec![
        Value::Text(lang.code().to_string()),
        Value::Integer(limit),
        Value::Integer(offset),
    ];
    // A search joins its matches, ranked by each article's best matching translation (bm25
    // works only in a plain query over the index, hence the materialised CTE), instead of filtering.
    let (hits, join, order) = match &filter.search {
        Some(expr) => {
            all.push(Value::Text(expr.clone()));
            (
                "WITH scored (id, score) AS MATERIALIZED (
                     SELECT m.article_id, bm25(kb_search, 5.0, 1.0) FROM kb_search
                     JOIN kb_translations m ON m.id = kb_search.rowid
                     WHERE kb_search MATCH ?4),
                 hits (id, score) AS (SELECT id, min(score) FROM scored GROUP BY id)",
                "JOIN hits h ON h.id = a.id",
                "h.score, ",
            )
        }
        None => ("", "", ""),
    };
    let rest = Filter {
        search: None,
        ..filter.clone()
    };
    let (clause, mut params) = conditions(&rest, all.len() + 1);
    all.append(&mut params);
    let sql = format!(
        "{hits}
         SELECT {SUMMARY_COLUMNS},
                (SELECT group_concat(lang, ',') FROM
                    (SELECT lang FROM kb_translations WHERE article_id = a.id ORDER BY lang))
         FROM kb_articles a {join}
         LEFT JOIN kb_categories c ON c.id = a.category_id
         JOIN kb_translations tr ON tr.id = (SELECT id FROM kb_translations
             WHERE article_id = a.id ORDER BY lang = ?1 DESC, lang LIMIT 1)
         WHERE {clause}
         ORDER BY {order}c.sort IS NULL, c.sort, c.name, a.sort, tr.title COLLATE NOCASE, a.id
         LIMIT ?2 OFFSET ?3"
    );
    let rows = conn
        .prepare_cached(&sql)?
        .query_map(rusqlite::params_from_iter(all), |r| {
            let langs: Option<String> = r.get(AFTER_SUMMARY)?;
            Ok(Row {
                summary: summary_from_row(r, lang)?,
                langs: langs
                    .unwrap_or_default()
                    .split(',')
                    .filter(|l| !l.is_empty())
                    .map(str::to_string)
                    .collect(),
            })
        })?
        .collect::<rusqlite::Result<Vec<_>>>()?;
    Ok(rows)
}
