//! Per-category access (`staff_categories`): a staff member works every category, or only the
//! categories chosen for them on their admin page. A limited agent sees, finds, is told about
//! and changes only the tickets of those categories; admins are never limited.
//!
//! Every query that lists or loads tickets for a staff member takes its `Access`, and the ticket
//! actions check it themselves, so no surface (pages, files, search, mail, the API) can forget.

use rusqlite::{Connection, OptionalExtension, params};
use serde::Serialize;

use crate::error::Result;

/// Which tickets a staff member may work.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case", tag = "kind", content = "categories")]
pub enum Access {
    #[default]
    All,
    /// Only these category ids (possibly none: then no ticket at all).
    Only(Vec<i64>),
}

impl Access {
    pub fn allows(&self, category_id: i64) -> bool {
        match self {
            Access::All => true,
            Access::Only(ids) => ids.contains(&category_id),
        }
    }

    pub fn is_limited(&self) -> bool {
        matches!(self, Access::Only(_))
    }

    /// A SQL condition on `column` (a category id column) that holds for the tickets this access
    /// allows, or `None` when it allows every ticket. The ids come from our own table (integers),
    /// never from a request, so they are written into the SQL.
    pub fn sql_condition(&self, column: &str) -> Option<String> {
        match self {
            Access::All => None,
            Access::Only(ids) if ids.is_empty() => Some("0".to_string()),
            Access::Only(ids) => {
                let list = ids
                    .iter()
                    .map(|id| id.to_string())
                    .collect::<Vec<_>>()
                    .join(",");
                Some(format!("{column} IN ({list})"))
            }
        }
    }
}

/// A SQL condition true when the staff row aliased `s` may see category `?1`: for the queries
/// that pick who hears about a ticket.
pub const STAFF_SEES_CATEGORY_1: &str = "(s.role = 'admin' OR s.all_categories = 1 \
     OR EXISTS (SELECT 1 FROM staff_categories sc WHERE sc.staff_id = s.id AND sc.category_id = ?1))";

/// The access of a staff account from its role and `all_categories` flag (read with the account,
/// see `users::COLUMNS`); the category list is read only for a limited account.
pub fn of_account(conn: &Connection, account: &super::users::StaffAccount) -> Result<Access> {
    if account.role == super::Role::Admin || account.all_categories {
        return Ok(Access::All);
    }
    Ok(Access::Only(categories(conn, account.id)?))
}

/// The access of staff account `staff_id`; an unknown account may see nothing.
pub fn of_staff(conn: &Connection, staff_id: i64) -> Result<Access> {
    match super::users::get(conn, staff_id)? {
        Some(account) => of_account(conn, &account),
        None => Ok(Access::Only(Vec::new())),
    }
}

/// Whether staff account `staff_id` may work tickets of `category_id`.
pub fn staff_may_see(conn: &Connection, staff_id: i64, category_id: i64) -> Result<bool> {
    let sql = format!("SELECT 1 FROM staff s WHERE s.id = ?2 AND {STAFF_SEES_CATEGORY_1}");
    Ok(conn
        .prepare_cached(&sql)?
        .query_row(params![category_id, staff_id], |_| Ok(()))
        .optional()?
        .is_some())
}

/// The categories chosen for a staff member (whether or not they are limited to them).
pub fn categories(conn: &Connection, staff_id: i64) -> Result<Vec<i64>> {
    let ids = conn
        .prepare_cached(
            "SELECT category_id FROM staff_categories WHERE staff_id = ?1 ORDER BY category_id",
        )?
        .query_map([staff_id], |r| r.get(0))?
        .collect::<rusqlite::Result<Vec<i64>>>()?;
    Ok(ids)
}

/// Sets a staff member's access: every category, or only `categories` (unknown ids skipped).
pub fn set(conn: &Connection, staff_id: i64, all: bool, categories: &[i64]) -> Result<()> {
    conn.prepare_cached("UPDATE staff SET all_categories = ?2 WHERE id = ?1")?
        .execute(params![staff_id, all])?;
    conn.prepare_cached("DELETE FROM staff_categories WHERE staff_id = ?1")?
        .execute([staff_id])?;
    let mut insert = conn.prepare_cached(
        "INSERT OR IGNORE INTO staff_categories (staff_id, category_id)
         SELECT ?1, id FROM categories WHERE id = ?2",
    )?;
    for id in categories {
        insert.execute(params![staff_id, id])?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn limited_access_allows_only_its_categories() {
        let access = Access::Only(vec![2, 5]);
        assert!(access.allows(5));
        assert!(!access.allows(3));
        assert_eq!(
            access.sql_condition("t.category_id").as_deref(),
            Some("t.category_id IN (2,5)")
        );
        assert_eq!(
            Access::Only(vec![]).sql_condition("x").as_deref(),
            Some("0")
        );
        assert_eq!(Access::All.sql_condition("x"), None);
        assert!(Access::All.allows(3));
    }
}
