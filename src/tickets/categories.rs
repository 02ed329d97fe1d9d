//! SQL on categories and their agents, for the admin pages (the reference data a page shows is
//! loaded by `refdata`).

use rusqlite::{Connection, OptionalExtension, params};

use crate::error::Result;

/// Whether another category (not `except`) already has this name (case-insensitively).
pub fn name_taken(c: &Connection, name: &str, except: Option<i64>) -> Result<bool> {
    Ok(c.query_row(
        "SELECT EXISTS(SELECT 1 FROM categories WHERE name = ?1 AND id IS NOT ?2)",
        params![name, except],
        |r| r.get(0),
    )?)
}

/// Whether another category (not `except`) shows `label` on Spanish pages (its Spanish name, or
/// its English one when it has none), case-insensitively.
pub fn spanish_label_taken(c: &Connection, label: &str, except: Option<i64>) -> Result<bool> {
    Ok(c.query_row(
        "SELECT EXISTS(SELECT 1 FROM categories
             WHERE (CASE WHEN trim(name_es) = '' THEN name ELSE name_es END) = ?1 COLLATE NOCASE
               AND id IS NOT ?2)",
        params![label, except],
        |r| r.get(0),
    )?)
}

pub fn priority_exists(c: &Connection, id: i64) -> Result<bool> {
    Ok(c.query_row(
        "SELECT EXISTS(SELECT 1 FROM priorities WHERE id = ?1)",
        [id],
        |r| r.get(0),
    )?)
}

pub fn category_exists(c: &Connection, id: i64) -> Result<Option<(String, bool)>> {
    Ok(c.query_row(
        "SELECT name, active FROM categories WHERE id = ?1",
        [id],
        |r| Ok((r.get(0)?, r.get(1)?)),
    )
    .optional()?)
}

pub fn active_categories(c: &Connection) -> Result<i64> {
    Ok(c.query_row(
        "SELECT COUNT(*) FROM categories WHERE active = 1",
        [],
        |r| r.get(0),
    )?)
}

/// A new category; `name_es` empty: Spanish pages show `name`.
pub fn insert(c: &Connection, name: &str, name_es: &str, priority: i64) -> Result<i64> {
    c.execute(
        "INSERT INTO categories (name, name_es, default_priority_id, sort)
         VALUES (?1, ?2, ?3, (SELECT COALESCE(MAX(sort), 0) + 10 FROM categories))",
        params![name, name_es, priority],
    )?;
    Ok(c.last_insert_rowid())
}

pub fn update(
    c: &Connection,
    id: i64,
    name: &str,
    name_es: &str,
    priority: i64,
    active: bool,
) -> Result<()> {
    c.execute(
        "UPDATE categories SET name = ?2, name_es = ?3, default_priority_id = ?4, active = ?5
         WHERE id = ?1",
        params![id, name, name_es, priority, active],
    )?;
    Ok(())
}

/// Replaces the category's agents; ids that are not active staff are left out.
pub fn set_agents(c: &Connection, id: i64, agents: &[i64]) -> Result<()> {
    c.execute("DELETE FROM category_agents WHERE category_id = ?1", [id])?;
    let mut stmt = c.prepare_cached(
        "INSERT OR IGNORE INTO category_agents (category_id, staff_id) SELECT ?1, id FROM staff WHERE id = ?2 AND active = 1",
    )?;
    for staff_id in agents {
        stmt.execute(params![id, staff_id])?;
    }
    Ok(())
}

/// A category's default priority; `None` for no such category.
pub fn default_priority(c: &Connection, id: i64) -> Result<Option<i64>> {
    Ok(
        c.prepare_cached("SELECT default_priority_id FROM categories WHERE id = ?1")?
            .query_row([id], |r| r.get(0))
            .optional()?,
    )
}
