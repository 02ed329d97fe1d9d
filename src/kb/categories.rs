//! Knowledge-base categories (`kb_categories`): a name in English and in Spanish (empty: the
//! English one), and the order they are listed in. Plain functions over a `&Connection`.

use rusqlite::{Connection, OptionalExtension, params};
use serde::Serialize;

use crate::error::{Error, Result};
use crate::i18n::Lang;
use crate::tickets::refdata::name_in;

#[derive(Debug, Clone, Serialize)]
pub struct Category {
    pub id: i64,
    /// English, as typed.
    pub name: String,
    /// Spanish, as typed; empty: Spanish pages show `name`.
    pub name_es: String,
    /// The name in the reader's language.
    pub label: String,
    pub sort: i64,
    /// How many articles (any state) it holds.
    pub articles: i64,
}

/// Every category in `lang`, in the staff's order.
pub fn all(conn: &Connection, lang: Lang) -> Result<Vec<Category>> {
    let mut stmt = conn.prepare_cached(
        "SELECT c.id, c.name, c.name_es, c.sort,
                (SELECT COUNT(*) FROM kb_articles a WHERE a.category_id = c.id)
         FROM kb_categories c ORDER BY c.sort, c.name COLLATE NOCASE",
    )?;
    let rows = stmt
        .query_map([], |r| {
            let (name, name_es): (String, String) = (r.get(1)?, r.get(2)?);
            Ok(Category {
                id: r.get(0)?,
                label: name_in(lang, &name, &name_es),
                name,
                name_es,
                sort: r.get(3)?,
                articles: r.get(4)?,
            })
        })?
        .collect::<rusqlite::Result<Vec<_>>>()?;
    Ok(rows)
}

pub fn exists(conn: &Connection, id: i64) -> Result<bool> {
    Ok(conn
        .prepare_cached("SELECT 1 FROM kb_categories WHERE id = ?1")?
        .exists([id])?)
}

/// Which of a category's names another category (not `except`) already uses: "name" when its
/// English name is taken, "name_es" when what it shows on Spanish pages is.
pub fn name_clash(
    conn: &Connection,
    name: &str,
    name_es: &str,
    except: Option<i64>,
) -> Result<Option<&'static str>> {
    let english: bool = conn
        .prepare_cached(
            "SELECT EXISTS(SELECT 1 FROM kb_categories WHERE name = ?1 COLLATE NOCASE AND id IS NOT ?2)",
        )?
        .query_row(params![name, except], |r| r.get(0))?;
    if english {
        return Ok(Some("name"));
    }
    let shown = if name_es.is_empty() { name } else { name_es };
    let spanish: bool = conn
        .prepare_cached(
            "SELECT EXISTS(SELECT 1 FROM kb_categories
                 WHERE (CASE WHEN trim(name_es) = '' THEN name ELSE name_es END) = ?1 COLLATE NOCASE
                   AND id IS NOT ?2)",
        )?
        .query_row(params![shown, except], |r| r.get(0))?;
    Ok(spanish.then_some(if name_es.is_empty() {
        "name"
    } else {
        "name_es"
    }))
}

pub fn create(conn: &Connection, name: &str, name_es: &str, sort: i64) -> Result<i64> {
    conn.prepare_cached("INSERT INTO kb_categories (name, name_es, sort) VALUES (?1, ?2, ?3)")?
        .execute(params![name, name_es, sort])?;
    Ok(conn.last_insert_rowid())
}

/// Adds a category unless one has that English name; whether it did.
pub fn create_if_new(conn: &Connection, name: &str, sort: i64) -> Result<bool> {
    let n = conn
        .prepare_cached("INSERT OR IGNORE INTO kb_categories (name, sort) VALUES (?1, ?2)")?
        .execute(params![name, sort])?;
    Ok(n == 1)
}

/// Renames and reorders a category; NotFound when there is none.
pub fn update(conn: &Connection, id: i64, name: &str, name_es: &str, sort: i64) -> Result<()> {
    let n = conn
        .prepare_cached(
            "UPDATE kb_categories SET name = ?2, name_es = ?3, sort = ?4 WHERE id = ?1",
        )?
        .execute(params![id, name, name_es, sort])?;
    if n == 0 {
        return Err(Error::NotFound);
    }
    Ok(())
}

/// What deleting a category came to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Deleted {
    Yes,
    /// Refused: it still holds this many articles (move or delete them first).
    HasArticles(i64),
}

/// Deletes a category that holds no article; NotFound when there is none.
pub fn delete(conn: &Connection, id: i64) -> Result<Deleted> {
    let articles: Option<i64> = conn
        .prepare_cached(
            "SELECT (SELECT COUNT(*) FROM kb_articles WHERE category_id = c.id)
             FROM kb_categories c WHERE c.id = ?1",
        )?
        .query_row([id], |r| r.get(0))
        .optional()?;
    match articles {
        None => Err(Error::NotFound),
        Some(n) if n > 0 => Ok(Deleted::HasArticles(n)),
        Some(_) => {
            conn.prepare_cached("DELETE FROM kb_categories WHERE id = ?1")?
                .execute([id])?;
            Ok(Deleted::Yes)
        }
    }
}
