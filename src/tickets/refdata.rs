//! The small reference tables (statuses, priorities, categories, staff) loaded whole for a page,
//! localised, and used to label ticket rows without per-row joins.

use std::collections::HashMap;

use rusqlite::Connection;
use serde::Serialize;

use crate::error::Result;
use crate::i18n::{I18n, Lang};

#[derive(Debug, Clone, Serialize)]
pub struct StatusRef {
    pub id: i64,
    pub slug: Option<String>,
    pub name: String,
    pub label: String,
    pub is_closed: bool,
    pub sort: i64,
}

#[derive(Debug, Clone, Serialize)]
pub struct PriorityRef {
    pub id: i64,
    pub slug: Option<String>,
    pub name: String,
    pub label: String,
    pub rank: i64,
    pub requester_selectable: bool,
}

#[derive(Debug, Clone, Serialize)]
pub struct CategoryRef {
    pub id: i64,
    pub name: String,
    pub default_priority_id: i64,
    pub active: bool,
    pub sort: i64,
    pub agent_ids: Vec<i64>,
}

#[derive(Debug, Clone, Serialize)]
pub struct AgentRef {
    pub id: i64,
    pub name: String,
    pub email: String,
    pub active: bool,
    /// The categories they work, so pages offer only fitting assignees.
    pub access: crate::auth::access::Access,
}

#[derive(Debug, Clone, Serialize, Default)]
pub struct RefData {
    pub statuses: Vec<StatusRef>,
    pub priorities: Vec<PriorityRef>,
    pub categories: Vec<CategoryRef>,
    pub agents: Vec<AgentRef>,
}

/// English names of the built-in rows; a renamed row keeps its custom name in every language.
const BUILT_IN: &[(&str, &str)] = &[
    ("status_new", "New"),
    ("status_in_progress", "In progress"),
    ("status_waiting", "Waiting on requester"),
    ("status_on_hold", "On hold"),
    ("status_resolved", "Resolved"),
    ("status_closed", "Closed"),
    ("priority_low", "Low"),
    ("priority_medium", "Medium"),
    ("priority_high", "High"),
    ("priority_critical", "Critical"),
];

fn label(i18n: &I18n, lang: Lang, prefix: &str, slug: Option<&str>, name: &str) -> String {
    if let Some(slug) = slug {
        let key = format!("{prefix}_{slug}");
        if BUILT_IN.iter().any(|(k, n)| *k == key && *n == name) {
            return i18n.get(lang, &key).to_string();
        }
    }
    name.to_string()
}

impl RefData {
    pub fn load(conn: &Connection) -> Result<RefData> {
        let mut statuses = conn
            .prepare_cached(
                "SELECT id, slug, name, is_closed, sort FROM statuses ORDER BY sort, id",
            )?
            .query_map([], |r| {
                Ok(StatusRef {
                    id: r.get(0)?,
                    slug: r.get(1)?,
                    name: r.get(2)?,
                    label: String::new(),
                    is_closed: r.get(3)?,
                    sort: r.get(4)?,
                })
            })?
            .collect::<rusqlite::Result<Vec<_>>>()?;
        for s in &mut statuses {
            s.label = s.name.clone();
        }
        let mut priorities = conn
            .prepare_cached("SELECT id, slug, name, rank, requester_selectable FROM priorities ORDER BY rank, id")?
            .query_map([], |r| {
                Ok(PriorityRef {
                    id: r.get(0)?,
                    slug: r.get(1)?,
                    name: r.get(2)?,
                    label: String::new(),
                    rank: r.get(3)?,
                    requester_selectable: r.get(4)?,
                })
            })?
            .collect::<rusqlite::Result<Vec<_>>>()?;
        for p in &mut priorities {
            p.label = p.name.clone();
        }
        let mut agents_of: HashMap<i64, Vec<i64>> = HashMap::new();
        let mut stmt = conn.prepare_cached("SELECT category_id, staff_id FROM category_agents")?;
        let mut rows = stmt.query([])?;
        while let Some(row) = rows.next()? {
            agents_of.entry(row.get(0)?).or_default().push(row.get(1)?);
        }
        let categories = conn
            .prepare_cached(
                "SELECT id, name, default_priority_id, active, sort FROM categories ORDER BY sort, name COLLATE NOCASE",
            )?
            .query_map([], |r| {
                Ok(CategoryRef {
                    id: r.get(0)?,
                    name: r.get(1)?,
                    default_priority_id: r.get(2)?,
                    active: r.get(3)?,
                    sort: r.get(4)?,
                    agent_ids: Vec::new(),
                })
            })?
            .collect::<rusqlite::Result<Vec<_>>>()?
            .into_iter()
            .map(|mut c| {
                c.agent_ids = agents_of.remove(&c.id).unwrap_or_default();
                c
            })
            .collect();
        let mut limited_to: HashMap<i64, Vec<i64>> = HashMap::new();
        let mut stmt = conn.prepare_cached(
            "SELECT staff_id, category_id FROM staff_categories ORDER BY staff_id, category_id",
        )?;
        let mut rows = stmt.query([])?;
        while let Some(row) = rows.next()? {
            limited_to.entry(row.get(0)?).or_default().push(row.get(1)?);
        }
        let agents = conn
            .prepare_cached(
                "SELECT id, name, email, active, role = 'admin' OR all_categories FROM staff
                 ORDER BY active DESC, name COLLATE NOCASE",
            )?
            .query_map([], |r| {
                let id = r.get(0)?;
                let all: bool = r.get(4)?;
                Ok(AgentRef {
                    id,
                    name: r.get(1)?,
                    email: r.get(2)?,
                    active: r.get(3)?,
                    access: if all {
                        crate::auth::access::Access::All
                    } else {
                        crate::auth::access::Access::Only(
                            limited_to.get(&id).cloned().unwrap_or_default(),
                        )
                    },
                })
            })?
            .collect::<rusqlite::Result<Vec<_>>>()?;
        Ok(RefData {
            statuses,
            priorities,
            categories,
            agents,
        })
    }

    /// Replaces the labels of built-in statuses and priorities with the catalog's words.
    pub fn localize(mut self, i18n: &I18n, lang: Lang) -> RefData {
        for s in &mut self.statuses {
            s.label = label(i18n, lang, "status", s.slug.as_deref(), &s.name);
        }
        for p in &mut self.priorities {
            p.label = label(i18n, lang, "priority", p.slug.as_deref(), &p.name);
        }
        self
    }

    pub fn status(&self, id: i64) -> Option<&StatusRef> {
        self.statuses.iter().find(|s| s.id == id)
    }
    pub fn status_by_slug(&self, slug: &str) -> Option<&StatusRef> {
        self.statuses
            .iter()
            .find(|s| s.slug.as_deref() == Some(slug))
    }
    pub fn priority(&self, id: i64) -> Option<&PriorityRef> {
        self.priorities.iter().find(|p| p.id == id)
    }
    pub fn category(&self, id: i64) -> Option<&CategoryRef> {
        self.categories.iter().find(|c| c.id == id)
    }
    pub fn agent(&self, id: i64) -> Option<&AgentRef> {
        self.agents.iter().find(|a| a.id == id)
    }

    /// Fills the display fields of ticket rows from the reference tables.
    pub fn decorate(&self, t: &mut super::Ticket) {
        if let Some(s) = self.status(t.status_id) {
            t.status = s.label.clone();
            t.status_slug = s.slug.clone().unwrap_or_default();
            t.is_closed = s.is_closed;
        }
        if let Some(p) = self.priority(t.priority_id) {
            t.priority = p.label.clone();
            t.priority_slug = p.slug.clone().unwrap_or_default();
        }
        if let Some(c) = self.category(t.category_id) {
            t.category = c.name.clone();
        }
        t.assignee = t
            .assignee_id
            .and_then(|id| self.agent(id))
            .map(|a| a.name.clone());
    }
}
