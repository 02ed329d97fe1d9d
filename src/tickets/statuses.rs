//! SQL on statuses and priorities, for the admin pages (the reference data a page shows is
//! loaded by `refdata`; the ticket actions' lookups are in `store`).

use rusqlite::{Connection, OptionalExtension, params};

use crate::error::{Error, Result};

/// The colours a status pill may have: a fixed palette (static/app.css gives each a light and a
/// dark variant whose text meets WCAG AA's 4.5:1 on its background), stored by name.
pub const COLORS: [&str; 8] = [
    "gray", "blue", "teal", "green", "amber", "orange", "red", "purple",
];

/// The colour a new status gets.
pub const DEFAULT_COLOR: &str = "gray";

/// `name` if it is one of the palette's colours.
pub fn parse_color(name: &str) -> Option<&'static str> {
    COLORS.into_iter().find(|c| *c == name.trim())
}

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

/// A status's names, order and pill colour (one of `COLORS`), as the admin form saves them.
pub struct StatusRow<'a> {
    pub name: &'a str,
    /// Empty: Spanish pages show `name`.
    pub name_es: &'a str,
    pub sort: i64,
    /// None: an existing status keeps its colour, a new one gets `DEFAULT_COLOR`.
    pub color: Option<&'static str>,
}

/// A new status.
pub fn insert_status(c: &Connection, row: &StatusRow<'_>, is_closed: bool) -> Result<i64> {
    c.execute(
        "INSERT INTO statuses (name, name_es, is_closed, sort, color) VALUES (?1, ?2, ?3, ?4, ?5)",
        params![
            row.name,
            row.name_es,
            is_closed,
            row.sort,
            row.color.unwrap_or(DEFAULT_COLOR)
        ],
    )?;
    Ok(c.last_insert_rowid())
}

/// Updates a status; `is_closed` None keeps the current flag (built-in statuses).
pub fn update_status(
    c: &Connection,
    id: i64,
    row: &StatusRow<'_>,
    is_closed: Option<bool>,
) -> Result<()> {
    c.execute(
        "UPDATE statuses SET name = ?2, name_es = ?3, is_closed = COALESCE(?4, is_closed), sort = ?5,
             color = COALESCE(?6, color)
         WHERE id = ?1",
        params![id, row.name, row.name_es, is_closed, row.sort, row.color],
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
