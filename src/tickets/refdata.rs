//! The small reference tables (statuses, priorities, categories, staff) loaded whole for a page,
//! in the viewer's language, and used to label ticket rows (and their history) without per-row
//! joins.

use std::collections::HashMap;

use rusqlite::Connection;
use serde::Serialize;

use crate::error::Result;
use crate::i18n::Lang;

#[derive(Debug, Clone, Serialize)]
pub struct StatusRef {
    pub id: i64,
    pub slug: Option<String>,
    /// The English name, as the admin typed it (the API's and the audit log's).
    pub name: String,
    /// The Spanish name as typed; empty: Spanish pages show `name`.
    pub name_es: String,
    /// What pages show: the name in the viewer's language (see `RefData::localize`).
    pub label: String,
    pub is_closed: bool,
    pub sort: i64,
    /// Its pill's colour, a name from `statuses::COLORS`.
    pub color: String,
}

#[derive(Debug, Clone, Serialize)]
pub struct PriorityRef {
    pub id: i64,
    pub slug: Option<String>,
    pub name: String,
    pub name_es: String,
    pub label: String,
    pub rank: i64,
    pub requester_selectable: bool,
}

#[derive(Debug, Clone, Serialize)]
pub struct CategoryRef {
    pub id: i64,
    pub name: String,
    pub name_es: String,
    pub label: String,
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
    /// The custom fields (`crate::fields`), active or not, in form order.
    pub fields: Vec<crate::fields::FieldDef>,
}

/// A row's name in `lang`: the Spanish one when asked for and given, else the English one.
pub fn name_in(lang: Lang, name: &str, name_es: &str) -> String {
    match lang {
        Lang::Es if !name_es.trim().is_empty() => name_es.to_string(),
        _ => name.to_string(),
    }
}

impl RefData {
    pub fn load(conn: &Connection) -> Result<RefData> {
        let mut statuses = conn
            .prepare_cached(
                "SELECT id, slug, name, name_es, is_closed, sort, color FROM statuses
                 ORDER BY sort, id",
            )?
            .query_map([], |r| {
                Ok(StatusRef {
                    id: r.get(0)?,
                    slug: r.get(1)?,
                    name: r.get(2)?,
                    name_es: r.get(3)?,
                    label: String::new(),
                    is_closed: r.get(4)?,
                    sort: r.get(5)?,
                    color: r.get(6)?,
                })
            })?
            .collect::<rusqlite::Result<Vec<_>>>()?;
        for s in &mut statuses {
            s.label = s.name.clone();
        }
        let mut priorities = conn
            .prepare_cached(
                "SELECT id, slug, name, name_es, rank, requester_selectable FROM priorities
                 ORDER BY rank, id",
            )?
            .query_map([], |r| {
                Ok(PriorityRef {
                    id: r.get(0)?,
                    slug: r.get(1)?,
                    name: r.get(2)?,
                    name_es: r.get(3)?,
                    label: String::new(),
                    rank: r.get(4)?,
                    requester_selectable: r.get(5)?,
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
                "SELECT id, name, name_es, default_priority_id, active, sort FROM categories
                 ORDER BY sort, name COLLATE NOCASE",
            )?
            .query_map([], |r| {
                let name: String = r.get(1)?;
                Ok(CategoryRef {
                    id: r.get(0)?,
                    label: name.clone(),
                    name,
                    name_es: r.get(2)?,
                    default_priority_id: r.get(3)?,
                    active: r.get(4)?,
                    sort: r.get(5)?,
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
            fields: crate::fields::store::all(conn)?,
        })
    }

    /// Labels every status, priority and category in `lang` (as loaded, they are labelled in
    /// English).
    pub fn localize(mut self, lang: Lang) -> RefData {
        for s in &mut self.statuses {
            s.label = name_in(lang, &s.name, &s.name_es);
        }
        for p in &mut self.priorities {
            p.label = name_in(lang, &p.name, &p.name_es);
        }
        for c in &mut self.categories {
            c.label = name_in(lang, &c.name, &c.name_es);
        }
        for f in &mut self.fields {
            f.localize(lang);
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

    /// Names the values of each field change in `entries` as this data does (in its language):
    /// a value stored with its id under its row's current label; one stored by name only (the
    /// demo data, entries older than the ids whose row was renamed since) under the label of
    /// the row with that English name, if any; anything else as it was stored.
    pub fn label_history(&self, entries: &mut [super::HistoryEntry]) {
        for e in entries {
            let field = e.field.as_str();
            e.old_value = self.value_label(field, e.old_id, e.old_value.take());
            e.new_value = self.value_label(field, e.new_id, e.new_value.take());
        }
    }

    fn value_label(&self, field: &str, id: Option<i64>, stored: Option<String>) -> Option<String> {
        let named = |name: &str| stored.as_deref() == Some(name);
        let found = match field {
            "status" => self
                .statuses
                .iter()
                .find(|s| id.map_or_else(|| named(&s.name), |id| s.id == id))
                .map(|s| s.label.clone()),
            "priority" => self
                .priorities
                .iter()
                .find(|p| id.map_or_else(|| named(&p.name), |id| p.id == id))
                .map(|p| p.label.clone()),
            "category" => self
                .categories
                .iter()
                .find(|c| id.map_or_else(|| named(&c.name), |id| c.id == id))
                .map(|c| c.label.clone()),
            "assignee" => id.and_then(|id| self.agent(id)).map(|a| a.name.clone()),
            _ => None,
        };
        found.or(stored)
    }

    /// Fills the display fields of ticket rows from the reference tables.
    pub fn decorate(&self, t: &mut super::Ticket) {
        if let Some(s) = self.status(t.status_id) {
            t.status = s.label.clone();
            t.status_slug = s.slug.clone().unwrap_or_default();
            t.status_color = s.color.clone();
            t.is_closed = s.is_closed;
        }
        if let Some(p) = self.priority(t.priority_id) {
            t.priority = p.label.clone();
            t.priority_slug = p.slug.clone().unwrap_or_default();
        }
        if let Some(c) = self.category(t.category_id) {
            t.category = c.label.clone();
        }
        t.assignee = t
            .assignee_id
            .and_then(|id| self.agent(id))
            .map(|a| a.name.clone());
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::i18n::I18n;

    fn db() -> Connection {
        let mut conn = Connection::open_in_memory().unwrap();
        crate::db::migrate(&mut conn).unwrap();
        conn
    }

    #[test]
    fn built_in_rows_are_named_in_spanish_as_the_catalog_names_them() {
        let i18n = I18n::load().unwrap();
        let es = RefData::load(&db()).unwrap().localize(Lang::Es);
        let slugged = es
            .statuses
            .iter()
            .map(|s| ("status", &s.slug, &s.label))
            .chain(
                es.priorities
                    .iter()
                    .map(|p| ("priority", &p.slug, &p.label)),
            );
        for (kind, slug, label) in slugged {
            let key = format!("{kind}_{}", slug.as_deref().unwrap());
            assert_eq!(label, i18n.get(Lang::Es, &key), "{key}");
        }
        let en = RefData::load(&db()).unwrap().localize(Lang::En);
        assert_eq!(en.statuses[0].label, "New");
        assert_eq!(en.categories[1].label, "Hardware");
        assert_eq!(es.categories[1].label, "Equipos");
    }

    #[test]
    fn a_missing_spanish_name_falls_back_to_the_english_one() {
        assert_eq!(name_in(Lang::Es, "Printers", ""), "Printers");
        assert_eq!(name_in(Lang::Es, "Printers", "  "), "Printers");
        assert_eq!(name_in(Lang::Es, "Printers", "Impresoras"), "Impresoras");
        assert_eq!(name_in(Lang::En, "Printers", "Impresoras"), "Printers");
    }
}
