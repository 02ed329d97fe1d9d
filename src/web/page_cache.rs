//! Rendered pages kept for reuse, each request then only putting its own CSRF token in: the
//! new-ticket form, a ticket's pages (the requester's and the staff view) and the staff ticket
//! lists, per page, language and viewer, while everything they show stays the same: the
//! reference data and desk settings; for a ticket its `revision` and what else the page shows;
//! for a list, the tickets' ids and revisions.

use std::collections::{HashMap, VecDeque};
use std::sync::{Arc, LazyLock, Mutex};

use serde_json::Value;

use crate::i18n::Lang;
use crate::settings::Settings;
use crate::tickets::RefData;

/// Stands for the visitor's CSRF token in a kept page: drawn from the OS's random number
/// generator once per process, so no user text (a ticket's subject, a message) can contain it
/// and have a viewer's token put in its place. Made of characters Tera never escapes.
static CSRF_SLOT: LazyLock<String> =
    LazyLock::new(|| format!("csrf-slot-{}", crate::util::random_hex(16)));

/// The placeholder kept pages are rendered with instead of the visitor's CSRF token.
pub fn csrf_slot() -> &'static str {
    CSRF_SLOT.as_str()
}

/// Settings are replaced whole when an admin saves them, so the same Arc means the same values;
/// another one may still hold equal values.
fn same_settings(a: &Arc<Settings>, b: &Arc<Settings>) -> bool {
    Arc::ptr_eq(a, b) || a == b
}

/// Which page: template, language, ticket (0 for a list), the list's query and the viewer (the
/// staff member's id; 0 for the portal).
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct PageKey {
    pub template: &'static str,
    pub lang: Lang,
    pub ticket: i64,
    pub query: String,
    pub viewer: i64,
}

/// What a kept page was rendered from, besides the ticket's messages and history (which move its
/// `revision`; 0 for lists): a kept page is used only when all of it is still the same.
pub struct PageInputs {
    pub revision: i64,
    pub refdata: Arc<RefData>,
    pub settings: Arc<Settings>,
    /// The request path (the language switch sends the browser back to it).
    pub path: String,
    /// Everything else the page shows that is cheap to load each time (the requester's other
    /// tickets, popular articles, the viewer's name; a list's tickets by id and revision).
    pub extra: Value,
}

impl PageInputs {
    fn same_as(&self, other: &PageInputs) -> bool {
        // Same Arc: the entry holds it, so its address cannot be reused by newer data.
        self.revision == other.revision
            && Arc::ptr_eq(&self.refdata, &other.refdata)
            && same_settings(&self.settings, &other.settings)
            && self.path == other.path
            && self.extra == other.extra
    }
}

struct KeptEntry {
    inputs: PageInputs,
    html: String,
}

/// Pages up to `budget` bytes of HTML; the oldest go first when it is full.
pub struct KeptPages {
    budget: usize,
    inner: Mutex<KeptPagesInner>,
}

#[derive(Default)]
struct KeptPagesInner {
    entries: HashMap<PageKey, KeptEntry>,
    order: VecDeque<PageKey>,
    bytes: usize,
}

impl KeptPages {
    pub fn new(budget: usize) -> KeptPages {
        KeptPages {
            budget,
            inner: Mutex::default(),
        }
    }

    /// The kept page, with `token` in place, if it was rendered from these very inputs.
    pub fn get(&self, key: &PageKey, inputs: &PageInputs, token: &str) -> Option<String> {
        let inner = self.inner.lock().unwrap_or_else(|p| p.into_inner());
        let entry = inner.entries.get(key)?;
        entry
            .inputs
            .same_as(inputs)
            .then(|| entry.html.replace(csrf_slot(), token))
    }

    pub fn put(&self, key: PageKey, inputs: PageInputs, html: String) {
        if html.len() > self.budget {
            return;
        }
        let mut inner = self.inner.lock().unwrap_or_else(|p| p.into_inner());
        let size = html.len();
        if let Some(old) = inner
            .entries
            .insert(key.clone(), KeptEntry { inputs, html })
        {
            inner.bytes -= old.html.len();
            inner.order.retain(|k| k != &key);
        }
        inner.bytes += size;
        inner.order.push_back(key);
        while inner.bytes > self.budget {
            let Some(oldest) = inner.order.pop_front() else {
                break;
            };
            if let Some(gone) = inner.entries.remove(&oldest) {
                inner.bytes -= gone.html.len();
            }
        }
    }

    /// How many pages are kept.
    pub fn count(&self) -> usize {
        self.inner
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .entries
            .len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn inputs(revision: i64, refdata: &Arc<RefData>) -> PageInputs {
        PageInputs {
            revision,
            refdata: refdata.clone(),
            settings: Arc::new(Settings::default()),
            path: "/tickets/X".into(),
            extra: Value::Null,
        }
    }

    fn key(ticket: i64) -> PageKey {
        PageKey {
            template: "portal/ticket.html",
            lang: Lang::En,
            ticket,
            query: String::new(),
            viewer: 0,
        }
    }

    #[test]
    fn kept_page_is_used_only_for_the_same_inputs() {
        let pages = KeptPages::new(1 << 20);
        let refdata = Arc::new(RefData::default());
        pages.put(
            key(1),
            inputs(3, &refdata),
            format!("<p>{}</p>", csrf_slot()),
        );
        assert_eq!(
            pages.get(&key(1), &inputs(3, &refdata), "tok").as_deref(),
            Some("<p>tok</p>")
        );
        assert!(pages.get(&key(1), &inputs(4, &refdata), "tok").is_none());
        assert!(pages.get(&key(2), &inputs(3, &refdata), "tok").is_none());
        let newer = Arc::new(RefData::default());
        assert!(pages.get(&key(1), &inputs(3, &newer), "tok").is_none());
    }

    #[test]
    fn oldest_pages_go_when_the_budget_is_spent() {
        let pages = KeptPages::new(25);
        let refdata = Arc::new(RefData::default());
        for ticket in 1..=5 {
            pages.put(key(ticket), inputs(0, &refdata), "0123456789".into());
        }
        assert_eq!(pages.count(), 2);
        assert!(pages.get(&key(3), &inputs(0, &refdata), "").is_none());
        assert!(pages.get(&key(5), &inputs(0, &refdata), "").is_some());
        // Replacing a page does not count it twice.
        pages.put(key(5), inputs(1, &refdata), "0123456789".into());
        assert_eq!(pages.count(), 2);
        assert!(pages.get(&key(4), &inputs(0, &refdata), "").is_some());
    }
}
