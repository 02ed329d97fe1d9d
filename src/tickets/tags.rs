//! Free tags on tickets: the `tags` and `ticket_tags` tables. Names are normalised (trimmed,
//! inner spaces folded to one, lowercase) so "VPN " and "vpn" are one tag. Adding and removing
//! a tag on a ticket is a ticket action (`actions::tools`); renaming and deleting a tag is the
//! admins' (`/admin/tags`).

use rusqlite::{Connection, OptionalExtension, params};
use serde::Serialize;

use crate::error::Result;

/// The longest tag name, in characters.
pub const MAX_TAG: usize = 40;

/// A tag as typed, normalised; `Err` with the i18n key of the problem.
pub fn normalize(input: &str) -> std::result::Result<String, &'static str> {
    let name = input
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
        .to_lowercase();
    if name.is_empty() {
        return Err("tag_error_empty");
    }
    if name.chars().count() > MAX_TAG {
        return Err("tag_error_long");
    }
    // A comma separates tags where several are typed at once (and in the CSV export).
    if name.contains(',') || name.chars().any(char::is_control) {
        return Err("tag_error_chars");
    }
    Ok(name)
}

/// A tag with how many tickets carry it.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct TagCount {
    pub id: i64,
    pub name: String,
    pub tickets: i64,
}

/// The id of tag `name` (normalised), created if new.
pub fn ensure(conn: &Connection, name: &str, now: i64) -> Result<i64> {
    conn.prepare_cached(
        "INSERT INTO tags (name, created_at) VALUES (?1, ?2) ON CONFLICT (name) DO NOTHING",
    )?
    .execute(params![name, now])?;
    Ok(conn
        .prepare_cached("SELECT id FROM tags WHERE name = ?1")?
        .query_row([name], |r| r.get(0))?)
}

/// The id of tag `name`, if it exists.
pub fn find(conn: &Connection, name: &str) -> Result<Option<i64>> {
    Ok(conn
        .prepare_cached("SELECT id FROM tags WHERE name = ?1")?
        .query_row([name], |r| r.get(0))
        .optional()?)
}

/// Puts tag `tag_id` on the ticket; false when it already had it.
pub fn attach(conn: &Connection, ticket_id: i64, tag_id: i64) -> Result<bool> {
    Ok(conn
        .prepare_cached("INSERT OR IGNORE INTO ticket_tags (tag_id, ticket_id) VALUES (?1, ?2)")?
        .execute(params![tag_id, ticket_id])?
        > 0)
}

/// Takes tag `tag_id` off the ticket; false when it did not have it.
pub fn detach(conn: &Connection, ticket_id: i64, tag_id: i64) -> Result<bool> {
    Ok(conn
        .prepare_cached("DELETE FROM ticket_tags WHERE tag_id = ?1 AND ticket_id = ?2")?
        .execute(params![tag_id, ticket_id])?
        > 0)
}

/// The ticket's tag names, alphabetically.
pub fn of_ticket(conn: &Connection, ticket_id: i64) -> Result<Vec<String>> {
    let rows = conn
        .prepare_cached(
            "SELECT g.name FROM ticket_tags tt JOIN tags g ON g.id = tt.tag_id
             WHERE tt.ticket_id = ?1 ORDER BY g.name",
        )?
        .query_map([ticket_id], |r| r.get(0))?
        .collect::<rusqlite::Result<Vec<String>>>()?;
    Ok(rows)
}

/// Gives `into` every tag of `from` (a merge).
pub fn copy_all(conn: &Connection, from: i64, into: i64) -> Result<()> {
    conn.prepare_cached(
        "INSERT OR IGNORE INTO ticket_tags (tag_id, ticket_id)
         SELECT tag_id, ?2 FROM ticket_tags WHERE ticket_id = ?1",
    )?
    .execute(params![from, into])?;
    Ok(())
}

/// Every tag with its count of tickets, alphabetically.
pub fn all(conn: &Connection) -> Result<Vec<TagCount>> {
    let rows = conn
        .prepare_cached(
            "SELECT g.id, g.name, (SELECT COUNT(*) FROM ticket_tags tt WHERE tt.tag_id = g.id)
             FROM tags g ORDER BY g.name",
        )?
        .query_map([], |r| {
            Ok(TagCount {
                id: r.get(0)?,
                name: r.get(1)?,
                tickets: r.get(2)?,
            })
        })?
        .collect::<rusqlite::Result<Vec<_>>>()?;
    Ok(rows)
}

/// Up to `limit` tag names starting with `prefix` (normalised), for autocompletion.
pub fn starting_with(conn: &Connection, prefix: &str, limit: i64) -> Result<Vec<String>> {
    let escaped = prefix
        .replace('\\', "\\\\")
        .replace('%', "\\%")
        .replace('_', "\\_");
    let rows = conn
        .prepare_cached(
            "SELECT name FROM tags WHERE name LIKE ?1 || '%' ESCAPE '\\' ORDER BY name LIMIT ?2",
        )?
        .query_map(params![escaped, limit], |r| r.get(0))?
        .collect::<rusqlite::Result<Vec<String>>>()?;
    Ok(rows)
}

/// The tag's name, if it exists.
pub fn name(conn: &Connection, id: i64) -> Result<Option<String>> {
    Ok(conn
        .prepare_cached("SELECT name FROM tags WHERE id = ?1")?
        .query_row([id], |r| r.get(0))
        .optional()?)
}

/// Renames a tag. When another tag already has the new name the two become one: the tickets of
/// this one get that one, and this one goes. Returns the id the tickets now carry.
pub fn rename(conn: &Connection, id: i64, new_name: &str) -> Result<i64> {
    match find(conn, new_name)? {
        Some(existing) if existing != id => {
            conn.prepare_cached(
                "INSERT OR IGNORE INTO ticket_tags (tag_id, ticket_id)
                 SELECT ?2, ticket_id FROM ticket_tags WHERE tag_id = ?1",
            )?
            .execute(params![id, existing])?;
            delete(conn, id)?;
            Ok(existing)
        }
        _ => {
            conn.prepare_cached("UPDATE tags SET name = ?2 WHERE id = ?1")?
                .execute(params![id, new_name])?;
            Ok(id)
        }
    }
}

/// Deletes a tag and takes it off every ticket; false when there was no such tag.
pub fn delete(conn: &Connection, id: i64) -> Result<bool> {
    // Row by row, so the ticket_tags trigger moves each ticket's revision (a cascade would not
    // fire it).
    conn.prepare_cached("DELETE FROM ticket_tags WHERE tag_id = ?1")?
        .execute([id])?;
    Ok(conn
        .prepare_cached("DELETE FROM tags WHERE id = ?1")?
        .execute([id])?
        > 0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_trimmed_folded_and_bounded() {
        assert_eq!(normalize("  VPN   Access ").as_deref(), Ok("vpn access"));
        assert_eq!(normalize("Impresión").as_deref(), Ok("impresión"));
        assert_eq!(normalize("   "), Err("tag_error_empty"));
        assert_eq!(normalize("a,b"), Err("tag_error_chars"));
        assert_eq!(normalize(&"x".repeat(41)), Err("tag_error_long"));
        assert!(normalize(&"x".repeat(40)).is_ok());
    }
}
