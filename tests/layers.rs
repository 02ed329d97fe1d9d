//! The code's shape, checked: ticket writes only in the tickets store, and a domain that knows
//! nothing of the web layer or the web framework. Reads the source tree as text.

use std::path::{Path, PathBuf};

fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
    let entries = std::fs::read_dir(dir).unwrap_or_else(|e| panic!("{}: {e}", dir.display()));
    for entry in entries {
        let path = entry.expect("directory entry").path();
        if path.is_dir() {
            rust_files(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
}

fn src() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("src")
}

/// Each file under `src/` with its path relative to `src/`, as text, whitespace folded so a
/// statement split over lines is still found.
fn sources() -> Vec<(String, String)> {
    let root = src();
    let mut files = Vec::new();
    rust_files(&root, &mut files);
    assert!(files.len() > 20, "found only {} source files", files.len());
    files
        .into_iter()
        .map(|path| {
            let text = std::fs::read_to_string(&path).expect("source file");
            let rel = path
                .strip_prefix(&root)
                .expect("under src")
                .to_string_lossy()
                .replace('\\', "/");
            let folded = text.split_whitespace().collect::<Vec<_>>().join(" ");
            (rel, folded)
        })
        .collect()
}

#[test]
fn ticket_writes_only_in_the_tickets_store() {
    let writes = [
        "INSERT INTO tickets",
        "UPDATE tickets",
        "INSERT INTO messages",
    ];
    let mut found = Vec::new();
    for (path, text) in sources() {
        let upper = text.to_uppercase();
        for write in writes {
            if upper.contains(write) && path != "tickets/store.rs" {
                found.push(format!("{path}: {write}"));
            }
        }
    }
    assert!(
        found.is_empty(),
        "ticket SQL outside src/tickets/store.rs (use the ticket actions or the store):\n{}",
        found.join("\n")
    );
    // The check itself must see the store's statements, or it proves nothing.
    let store = sources()
        .into_iter()
        .find(|(p, _)| p == "tickets/store.rs")
        .expect("src/tickets/store.rs");
    for write in writes {
        assert!(store.1.contains(write), "the store has no {write}");
    }
}

/// The domain: what the desk is, without HTTP. The web layer (`web`, `portal`, `staff`,
/// `admin`, the KB's pages) depends on it, never the reverse.
const DOMAIN: &[&str] = &[
    "tickets/",
    "kb/store.rs",
    "kb/categories.rs",
    "kb/staff_list.rs",
    "auth/",
    "mail/",
    "settings.rs",
    "search.rs",
    "db/",
    "i18n/",
    "workflow.rs",
    "notify/",
    "outbox.rs",
    "jobs/",
    "audit.rs",
    "automation/",
    "desk_time/",
    "rules/",
    "sla/",
    "webhooks/",
    "reports/",
    "csv_export.rs",
    "fields/",
    "live/",
    "incidents/",
];

/// Whether `text` names `path` as a whole: `crate::web` is the web layer, `crate::webhooks` is
/// not.
fn mentions(text: &str, path: &str) -> bool {
    text.match_indices(path).any(|(at, _)| {
        !text[at + path.len()..]
            .chars()
            .next()
            .is_some_and(|c| c.is_alphanumeric() || c == '_')
    })
}

#[test]
fn the_domain_imports_nothing_from_the_web_layer() {
    let mut found = Vec::new();
    let mut checked = 0;
    for (path, text) in sources() {
        if !DOMAIN.iter().any(|d| path.starts_with(d)) {
            continue;
        }
        checked += 1;
        for needle in ["crate::web", "rocket::", "use rocket"] {
            if mentions(&text, needle) {
                found.push(format!("{path}: {needle}"));
            }
        }
    }
    assert!(checked >= 15, "only {checked} domain files were checked");
    assert!(
        found.is_empty(),
        "domain modules reaching into the web layer:\n{}",
        found.join("\n")
    );
}
