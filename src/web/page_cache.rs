//! Rendered pages kept for reuse, each request then only putting its own CSRF token in: the
//! new-ticket form, a ticket's pages (the requester's and the staff view) and the staff ticket
//! lists, per page, language and viewer, while everything they show stays the same: the
//! reference data and desk settings; for a ticket its `revision` and what else the page shows;
//! for a list, the tickets' ids and revisions.
//!
//! Checking those inputs means reading them, which for a staff page costs a dozen queries. So
//! each kept page also remembers the database's `data_version` (see `DataVersion`) as it was
//! before its inputs were read: while no commit has happened since, nothing it was made from
//! can have changed, and the page is served after comparing only what the request itself
//! brings (viewer, language, path, the minute, reference data and settings).

use std::collections::{HashMap, VecDeque};
use std::path::{Path, PathBuf};
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
    /// What the request brings, not the database: the viewer as signed in (their categories
    /// and time zone with them) and the minute, since relative times move with the clock.
    pub viewer: Value,
    /// Everything else the page shows that is cheap to load each time (the requester's other
    /// tickets, popular articles; a list's tickets by id and revision).
    pub extra: Value,
    /// For a page whose content moves with the clock beyond its minute (the overdue list, the
    /// agent home's overdue count): the moment (unix seconds) it stops holding even without a
    /// commit, such as the next deadline to pass.
    pub until: Option<i64>,
}

/// What a request brings that a kept page was rendered for (see `PageInputs`): all a page
/// needs to match while the database has not changed since.
pub struct RequestInputs {
    pub refdata: Arc<RefData>,
    pub settings: Arc<Settings>,
    pub path: String,
    pub viewer: Value,
    /// When the request came in (unix seconds), for `PageInputs::until`.
    pub now: i64,
}

impl PageInputs {
    fn same_as(&self, other: &PageInputs) -> bool {
        self.revision == other.revision
            && self.same_request(&other.refdata, &other.settings, &other.path, &other.viewer)
            && self.extra == other.extra
    }

    fn same_request(
        &self,
        refdata: &Arc<RefData>,
        settings: &Arc<Settings>,
        path: &str,
        viewer: &Value,
    ) -> bool {
        // Same Arc: the entry holds it, so its address cannot be reused by newer data.
        Arc::ptr_eq(&self.refdata, refdata)
            && same_settings(&self.settings, settings)
            && self.path == path
            && self.viewer == *viewer
    }
}

struct KeptEntry {
    inputs: PageInputs,
    /// The database's `data_version` read before `inputs` were (None: not known).
    version: Option<i64>,
    html: String,
}

/// Whether the database changed: SQLite's `PRAGMA data_version` on a connection of its own,
/// which moves whenever any other connection (this process's writer, or another process such
/// as the command line) commits. This connection never writes, so only others' commits count.
pub struct DataVersion {
    path: PathBuf,
    conn: Mutex<Option<rusqlite::Connection>>,
}

impl DataVersion {
    pub fn new(path: &Path) -> DataVersion {
        DataVersion {
            path: path.to_path_buf(),
            conn: Mutex::new(None),
        }
    }

    /// The current version; None when it cannot be read (then no page is served unchecked).
    pub fn read(&self) -> Option<i64> {
        let mut conn = self.conn.lock().unwrap_or_else(|p| p.into_inner());
        if conn.is_none() {
            let opened = crate::db::open_connection(&self.path).and_then(|c| {
                c.pragma_update(None, "query_only", "ON")?;
                Ok(c)
            });
            *conn = opened.ok();
        }
        let version = conn
            .as_ref()?
            .query_row("PRAGMA data_version", [], |r| r.get(0));
        if version.is_err() {
            // Opened again next time.
            *conn = None;
        }
        version.ok()
    }
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

    /// The kept page, with `token` in place, if it was rendered from these very inputs. They
    /// were read after the database was at `version`, which the page is then known to match.
    pub fn get(
        &self,
        key: &PageKey,
        inputs: &PageInputs,
        version: Option<i64>,
        token: &str,
    ) -> Option<String> {
        let mut inner = self.inner.lock().unwrap_or_else(|p| p.into_inner());
        let entry = inner.entries.get_mut(key)?;
        if !entry.inputs.same_as(inputs) {
            return None;
        }
        entry.version = version;
        entry.inputs.until = inputs.until;
        Some(entry.html.replace(csrf_slot(), token))
    }

    /// The kept page, with `token` in place, if the database is still at the `version` its
    /// inputs were read at and the request brings what it was rendered for: nothing it shows
    /// can have changed, so nothing needs reading.
    pub fn get_unchanged(
        &self,
        key: &PageKey,
        request: &RequestInputs,
        version: Option<i64>,
        token: &str,
    ) -> Option<String> {
        let version = version?;
        let inner = self.inner.lock().unwrap_or_else(|p| p.into_inner());
        let entry = inner.entries.get(key)?;
        (entry.version == Some(version)
            && entry.inputs.until.is_none_or(|until| request.now < until)
            && entry.inputs.same_request(
                &request.refdata,
                &request.settings,
                &request.path,
                &request.viewer,
            ))
        .then(|| entry.html.replace(csrf_slot(), token))
    }

    /// Keeps `html`, rendered from `inputs` read after the database was at `version`.
    pub fn put(&self, key: PageKey, inputs: PageInputs, version: Option<i64>, html: String) {
        if html.len() > self.budget {
            return;
        }
        let mut inner = self.inner.lock().unwrap_or_else(|p| p.into_inner());
        let size = html.len();
        let entry = KeptEntry {
            inputs,
            version,
            html,
        };
        if let Some(old) = inner.entries.insert(key.clone(), entry) {
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
            viewer: Value::Null,
            extra: Value::Null,
            until: None,
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
            None,
            format!("<p>{}</p>", csrf_slot()),
        );
        assert_eq!(
            pages
                .get(&key(1), &inputs(3, &refdata), None, "tok")
                .as_deref(),
            Some("<p>tok</p>")
        );
        assert!(
            pages
                .get(&key(1), &inputs(4, &refdata), None, "tok")
                .is_none()
        );
        assert!(
            pages
                .get(&key(2), &inputs(3, &refdata), None, "tok")
                .is_none()
        );
        let newer = Arc::new(RefData::default());
        assert!(
            pages
                .get(&key(1), &inputs(3, &newer), None, "tok")
                .is_none()
        );
    }

    #[test]
    fn oldest_pages_go_when_the_budget_is_spent() {
        let pages = KeptPages::new(25);
        let refdata = Arc::new(RefData::default());
        for ticket in 1..=5 {
            pages.put(key(ticket), inputs(0, &refdata), None, "0123456789".into());
        }
        assert_eq!(pages.count(), 2);
        assert!(pages.get(&key(3), &inputs(0, &refdata), None, "").is_none());
        assert!(pages.get(&key(5), &inputs(0, &refdata), None, "").is_some());
        // Replacing a page does not count it twice.
        pages.put(key(5), inputs(1, &refdata), None, "0123456789".into());
        assert_eq!(pages.count(), 2);
        assert!(pages.get(&key(4), &inputs(0, &refdata), None, "").is_some());
    }

    fn request(refdata: &Arc<RefData>, now: i64) -> RequestInputs {
        RequestInputs {
            refdata: refdata.clone(),
            settings: Arc::new(Settings::default()),
            path: "/tickets/X".into(),
            viewer: Value::Null,
            now,
        }
    }

    #[test]
    fn unchanged_page_needs_the_same_data_version_and_request() {
        let pages = KeptPages::new(1 << 20);
        let refdata = Arc::new(RefData::default());
        let mut timed = inputs(3, &refdata);
        timed.until = Some(100);
        pages.put(key(1), timed, Some(7), "page".into());
        let got = |version, req: &RequestInputs| pages.get_unchanged(&key(1), req, version, "");
        assert!(got(Some(7), &request(&refdata, 99)).is_some());
        // A commit since, an unknown version, a deadline passed, other reference data.
        assert!(got(Some(8), &request(&refdata, 99)).is_none());
        assert!(got(None, &request(&refdata, 99)).is_none());
        assert!(got(Some(7), &request(&refdata, 100)).is_none());
        assert!(got(Some(7), &request(&Arc::new(RefData::default()), 99)).is_none());
        let mut other_viewer = request(&refdata, 99);
        other_viewer.viewer = Value::from(2);
        assert!(got(Some(7), &other_viewer).is_none());
        // Checked in full at a newer version, it holds at that one.
        let mut later = inputs(3, &refdata);
        later.until = Some(200);
        assert!(pages.get(&key(1), &later, Some(9), "").is_some());
        assert!(got(Some(9), &request(&refdata, 150)).is_some());
        assert!(got(Some(7), &request(&refdata, 150)).is_none());
    }
}
