//! All SQL on `fields`, `field_categories` and `ticket_field_values`. Plain functions over a
//! connection; who may change a ticket's values, and the history of it, are the ticket actions'.

use std::collections::HashMap;

use rusqlite::{Connection, OptionalExtension, params};

use super::{FieldDef, Kind};
use crate::error::Result;

// --- Definitions ------------------------------------------------------------------------------

/// Every field, active or not, in form order (sort, then id), labelled in English.
pub fn all(conn: &Connection) -> Result<Vec<FieldDef>> {
    let mut categories: HashMap<i64, Vec<i64>> = HashMap::new();
    let mut stmt = conn.prepare_cached(
        "SELECT field_id, category_id FROM field_categories ORDER BY field_id, category_id",
    )?;
    let mut rows = stmt.query([])?;
    while let Some(row) = rows.next()? {
        categories.entry(row.get(0)?).or_default().push(row.get(1)?);
    }
    let defs = conn
        .prepare_cached(
            "SELECT id, key, label, label_es, help, help_es, kind, options, required,
                    visible_to_requester, sort, active
             FROM fields ORDER BY sort, id",
        )?
        .query_map([], |r| {
            let kind: String = r.get(6)?;
            let options: String = r.get(7)?;
            let label: String = r.get(2)?;
            let help: String = r.get(4)?;
            Ok(FieldDef {
                id: r.get(0)?,
                key: r.get(1)?,
                shown_label: label.clone(),
                label,
                label_es: r.get(3)?,
                shown_help: help.clone(),
                help,
                help_es: r.get(5)?,
                // The table's CHECK admits only our kinds.
                kind: Kind::parse(&kind).unwrap_or(Kind::Text),
                options: options_of(&options),
                required: r.get(8)?,
                visible_to_requester: r.get(9)?,
                categories: Vec::new(),
                sort: r.get(10)?,
                active: r.get(11)?,
            })
        })?
        .collect::<rusqlite::Result<Vec<_>>>()?
        .into_iter()
        .map(|mut d| {
            d.categories = categories.remove(&d.id).unwrap_or_default();
            d
        })
        .collect();
    Ok(defs)
}

/// The options of a stored `options` text: one per line, blank lines dropped.
pub fn options_of(text: &str) -> Vec<String> {
    text.lines()
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .map(str::to_string)
        .collect()
}

/// What an admin sets on a field.
#[derive(Debug, Clone)]
pub struct FieldInput {
    pub label: String,
    pub label_es: String,
    pub help: String,
    pub help_es: String,
    pub kind: Kind,
    pub options: Vec<String>,
    pub required: bool,
    pub visible_to_requester: bool,
    pub categories: Vec<i64>,
    pub sort: i64,
}

/// Whether another field than `except` has this English label (any case).
pub fn label_taken(conn: &Connection, label: &str, except: Option<i64>) -> Result<bool> {
    Ok(conn
        .prepare_cached("SELECT 1 FROM fields WHERE label = ?1 COLLATE NOCASE AND id IS NOT ?2")?
        .exists(params![label, except])?)
}

/// Adds a field; its key is made from the label (with a number after it when taken).
pub fn insert(conn: &Connection, f: &FieldInput, now: i64) -> Result<i64> {
    let base = super::key_from_label(&f.label);
    let mut key = base.clone();
    let mut n = 2;
    while conn
        .prepare_cached("SELECT 1 FROM fields WHERE key = ?1")?
        .exists([&key])?
    {
        key = format!("{base}_{n}");
        n += 1;
    }
    conn.prepare_cached(
        "INSERT INTO fields (key, label, label_es, help, help_es, kind, options, required,
             visible_to_requester, sort, active, created_at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, 1, ?11)",
    )?
    .execute(params![
        key,
        f.label,
        f.label_es,
        f.help,
        f.help_es,
        f.kind.as_str(),
        f.options.join("\n"),
        f.required,
        f.visible_to_requester,
        f.sort,
        now
    ])?;
    let id = conn.last_insert_rowid();
    set_categories(conn, id, &f.categories)?;
    Ok(id)
}

/// Changes a field's definition (its key and active flag stay).
pub fn update(conn: &Connection, id: i64, f: &FieldInput) -> Result<bool> {
    let n = conn
        .prepare_cached(
            "UPDATE fields SET label = ?2, label_es = ?3, help = ?4, help_es = ?5, kind = ?6,
                 options = ?7, required = ?8, visible_to_requester = ?9, sort = ?10
             WHERE id = ?1",
        )?
        .execute(params![
            id,
            f.label,
            f.label_es,
            f.help,
            f.help_es,
            f.kind.as_str(),
            f.options.join("\n"),
            f.required,
            f.visible_to_requester,
            f.sort
        ])?;
    if n > 0 {
        set_categories(conn, id, &f.categories)?;
    }
    Ok(n > 0)
}

fn set_categories(conn: &Connection, id: i64, categories: &[i64]) -> Result<()> {
    conn.prepare_cached("DELETE FROM field_categories WHERE field_id = ?1")?
        .execute([id])?;
    let mut stmt = conn.prepare_cached(
        "INSERT OR IGNORE INTO field_categories (field_id, category_id)
         SELECT ?1, id FROM categories WHERE id = ?2",
    )?;
    for c in categories {
        stmt.execute(params![id, c])?;
    }
    Ok(())
}

/// Deactivates or reactivates a field; false when there is no such field.
pub fn set_active(conn: &Connection, id: i64, active: bool) -> Result<bool> {
    Ok(conn
        .prepare_cached("UPDATE fields SET active = ?2 WHERE id = ?1")?
        .execute(params![id, active])?
        > 0)
}

/// How many tickets hold a value of each field.
pub fn value_counts(conn: &Connection) -> Result<HashMap<i64, i64>> {
    let mut stmt = conn
        .prepare_cached("SELECT field_id, COUNT(*) FROM ticket_field_values GROUP BY field_id")?;
    let rows = stmt
        .query_map([], |r| Ok((r.get(0)?, r.get(1)?)))?
        .collect::<rusqlite::Result<HashMap<i64, i64>>>()?;
    Ok(rows)
}

// --- Values -----------------------------------------------------------------------------------

/// A ticket's values: (field id, stored value), in field id order.
pub fn values(conn: &Connection, ticket_id: i64) -> Result<Vec<(i64, String)>> {
    let rows = conn
        .prepare_cached(
            "SELECT field_id, value FROM ticket_field_values WHERE ticket_id = ?1 ORDER BY field_id",
        )?
        .query_map([ticket_id], |r| Ok((r.get(0)?, r.get(1)?)))?
        .collect::<rusqlite::Result<Vec<_>>>()?;
    Ok(rows)
}

/// One value of a ticket.
pub fn value(conn: &Connection, ticket_id: i64, field_id: i64) -> Result<Option<String>> {
    Ok(conn
        .prepare_cached(
            "SELECT value FROM ticket_field_values WHERE ticket_id = ?1 AND field_id = ?2",
        )?
        .query_row([ticket_id, field_id], |r| r.get(0))
        .optional()?)
}

/// Sets (`Some`) or removes (`None`) a ticket's value of a field.
pub fn put(conn: &Connection, ticket_id: i64, field_id: i64, value: Option<&str>) -> Result<()> {
    match value {
        Some(v) => {
            conn.prepare_cached(
                "INSERT INTO ticket_field_values (ticket_id, field_id, value) VALUES (?1, ?2, ?3)
                 ON CONFLICT (ticket_id, field_id) DO UPDATE SET value = excluded.value",
            )?
            .execute(params![ticket_id, field_id, v])?;
        }
        None => {
            conn.prepare_cached(
                "DELETE FROM ticket_field_values WHERE ticket_id = ?1 AND field_id = ?2",
            )?
            .execute([ticket_id, field_id])?;
        }
    }
    Ok(())
}

/// The values of the tickets `ids`, by ticket: for a page of an export, one query per page of
/// tickets, never one per ticket.
pub fn values_of_tickets(
    conn: &Connection,
    ids: &[i64],
) -> Result<HashMap<i64, Vec<(i64, String)>>> {
    let mut out: HashMap<i64, Vec<(i64, String)>> = HashMap::new();
    if ids.is_empty() {
        return Ok(out);
    }
    // The ids are integers from our own query, never user text.
    let list = ids.iter().map(i64::to_string).collect::<Vec<_>>().join(",");
    let sql = format!(
        "SELECT ticket_id, field_id, value FROM ticket_field_values WHERE ticket_id IN ({list})"
    );
    let mut stmt = conn.prepare(&sql)?;
    let mut rows = stmt.query([])?;
    while let Some(row) = rows.next()? {
        out.entry(row.get(0)?)
            .or_default()
            .push((row.get(1)?, row.get(2)?));
    }
    Ok(out)
}

/// How many tickets hold `option` in select field `field_id`, counting at most `cap + 1`.
pub fn count_with_value(conn: &Connection, field_id: i64, option: &str, cap: i64) -> Result<i64> {
    Ok(conn
        .prepare_cached(
            "SELECT COUNT(*) FROM (SELECT 1 FROM ticket_field_values
                 WHERE field_id = ?1 AND value = ?2 LIMIT ?3)",
        )?
        .query_row(params![field_id, option, cap + 1], |r| r.get(0))?)
}
