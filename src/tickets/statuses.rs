//! SQL on statuses and priorities, for the admin pages (the reference data a page shows is
//! loaded by `refdata`; the ticket actions' lookups are in `store`).

use rusqlite::{Connection, OptionalExtension, params};

use crate::error::{Error, Result};

/// Which table a query is about.
#[derive(Clone, Copy, PartialEq, Eq)]
pub enum Table {
    Statuses,
    Priorities,
}

impl Table {
    pub fn name(self) -> &'static str {
        match self {
            Table::Statuses => "statuses",
            Table::Priorities => "priorities",
        }
    }
    /// The form's kind in templates and the audit log's word for it.
    pub fn kind(self) -> &'static str {
        match self {
            Table::Statuses => "status",
            Table::Priorities => "priority",
        }
    }
}

pub fn name_taken(c: &Connection, table: Table, name: &str, except: Option<i64>) -> Result<bool> {
    let sql = format!(
        "SELECT EXISTS(SELECT 1 FROM {} WHERE name = ?1 COLLATE NOCASE AND id IS NOT ?2)",
        table.name()
    );
    Ok(c.query_row(&sql, params![name, except], |r| r.get(0))?)
}

/// Whether another row (not `except`) shows `label` on Spanish pages (its Spanish name, or its
/// English one when it has none), case-insensitively.
pub fn spanish_label_taken(
    c: &Connection,
    table: Table,
    label: &str,
    except: Option<i64>,
) -> Result<bool> {
    let sql = format!(
        "SELECT EXISTS(SELECT 1 FROM {}
             WHERE (CASE WHEN trim(name_es) = '' THEN name ELSE name_es END) = ?1 COLLATE NOCASE
               AND id IS NOT ?2)",
        table.name()
    );
    Ok(c.query_row(&sql, params![label, except], |r| r.get(0))?)
}

/// The row's slug (None for custom rows), or NotFound.
pub fn slug_of(c: &Connection, table: Table, id: i64) -> Result<Option<String>> {
    let sql = format!("SELECT slug FROM {} WHERE id = ?1", table.name());
    c.query_row(&sql, [id], |r| r.get::<_, Option<String>>(0))
        .optional()?
        .ok_or(Error::NotFound)
}

/// A new status; `name_es` empty: Spanish pages show `name`.
pub fn insert_status(
    c: &Connection,
    name: &str,
    name_es: &str,
    is_closed: bool,
    sort: i64,
) -> Result<i64> {
    c.execute(
        "INSERT INTO statuses (name, name_es, is_closed, sort) VALUES (?1, ?2, ?3, ?4)",
        params![name, name_es, is_closed, sort],
    )?;
    Ok(c.last_insert_rowid())
}

/// Updates a status; `is_closed` None keeps the current flag (built-in statuses).
pub fn update_status(
    c: &Connection,
    id: i64,
    name: &str,
    name_es: &str,
    is_closed: Option<bool>,
    sort: i64,
) -> Result<()> {
    c.execute(
        "UPDATE statuses SET name = ?2, name_es = ?3, is_closed = COALESCE(?4, is_closed), sort = ?5
         WHERE id = ?1",
        params![id, name, name_es, is_closed, sort],
    )?;
    Ok(())
}

pub fn insert_priority(
    c: &Connection,
    name: &str,
    name_es: &str,
    rank: i64,
    selectable: bool,
) -> Result<i64> {
    c.execute(
        "INSERT INTO priorities (name, name_es, rank, requester_selectable) VALUES (?1, ?2, ?3, ?4)",
        params![name, name_es, rank, selectable],
    )?;
    Ok(c.last_insert_rowid())
}

pub fn update_priority(
    c: &Connection,
    id: i64,
    name: &str,
    name_es: &str,
    rank: i64,
    selectable: bool,
) -> Result<()> {
    c.execute(
        "UPDATE priorities SET name = ?2, name_es = ?3, rank = ?4, requester_selectable = ?5
         WHERE id = ?1",
        params![id, name, name_es, rank, selectable],
    )?;
    Ok(())
}
