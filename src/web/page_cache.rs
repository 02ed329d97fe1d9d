//! Whole pages that every anonymous visitor sees alike but for their CSRF token (the new-ticket
//! form): rendered once per language and kept until the reference data or the desk settings they
//! show change; each request then only puts its own token in.

use std::collections::HashMap;
use std::sync::{Arc, RwLock};

use crate::settings::Settings;
use crate::tickets::RefData;
use crate::web::Lang;

/// Stands for the visitor's CSRF token in a cached page. Made of characters Tera never escapes,
/// and long and odd enough to appear nowhere else in a page.
pub const CSRF_SLOT: &str = "csrf-slot-7e1f0b9c4a52d8e36b0f";

struct Entry {
    refdata: Arc<RefData>,
    settings: Settings,
    html: String,
}

#[derive(Default)]
pub struct PageCache {
    entries: RwLock<HashMap<(&'static str, Lang), Entry>>,
}

impl PageCache {
    /// The cached page, with `token` in place, if it was rendered from these very inputs.
    pub fn get(
        &self,
        template: &'static str,
        lang: Lang,
        refdata: &Arc<RefData>,
        settings: &Settings,
        token: &str,
    ) -> Option<String> {
        let entries = self.entries.read().unwrap_or_else(|p| p.into_inner());
        let entry = entries.get(&(template, lang))?;
        // Same Arc: the cache entry holds it, so its address cannot be reused by newer data.
        (Arc::ptr_eq(&entry.refdata, refdata) && entry.settings == *settings)
            .then(|| entry.html.replace(CSRF_SLOT, token))
    }

    pub fn put(
        &self,
        template: &'static str,
        lang: Lang,
        refdata: Arc<RefData>,
        settings: Settings,
        html: String,
    ) {
        let entry = Entry {
            refdata,
            settings,
            html,
        };
        self.entries
            .write()
            .unwrap_or_else(|p| p.into_inner())
            .insert((template, lang), entry);
    }
}
