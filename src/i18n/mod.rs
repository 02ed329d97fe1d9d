//! Translation layer: every UI string comes from a catalog (`src/i18n/<lang>.json`). Which
//! language a request gets is the web layer's business (`web::lang`); this module knows nothing
//! of HTTP, so the domain (mail, tickets, the KB) can speak every language too.

pub mod localize;
pub mod templates;

use std::collections::HashMap;

use serde::Serialize;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Lang {
    En,
    Es,
}

pub const LANGS: [Lang; 2] = [Lang::En, Lang::Es];

impl Lang {
    /// Position in `LANGS`.
    pub fn index(self) -> usize {
        match self {
            Lang::En => 0,
            Lang::Es => 1,
        }
    }

    pub fn code(self) -> &'static str {
        match self {
            Lang::En => "en",
            Lang::Es => "es",
        }
    }

    pub fn from_code(code: &str) -> Option<Lang> {
        let primary = code.trim().split(['-', '_']).next()?.to_ascii_lowercase();
        LANGS.into_iter().find(|l| l.code() == primary)
    }

    /// Picks the supported language the client prefers most (q-values honoured).
    pub fn from_accept_language(header: &str) -> Option<Lang> {
        let mut best: Option<(f32, Lang)> = None;
        for part in header.split(',') {
            let mut pieces = part.split(';');
            let tag = pieces.next().unwrap_or("");
            let q = pieces
                .find_map(|p| p.trim().strip_prefix("q="))
                .and_then(|q| q.parse::<f32>().ok())
                .unwrap_or(1.0);
            if let Some(lang) = Lang::from_code(tag)
                && best.is_none_or(|(bq, _)| q > bq)
            {
                best = Some((q, lang));
            }
        }
        best.map(|(_, l)| l)
    }
}

/// All catalogs, parsed once at start.
pub struct I18n {
    maps: HashMap<&'static str, HashMap<String, String>>,
    values: HashMap<&'static str, tera::Value>,
}

/// Each language's catalog, split by area; the parts are merged at start.
pub const CATALOG_SOURCES: [(&str, &[&str]); 2] = [
    (
        "en",
        &[
            include_str!("en.json"),
            include_str!("en.admin.json"),
            include_str!("en.kb.json"),
            include_str!("en.canned.json"),
            include_str!("en.recurring.json"),
            include_str!("en.sla.json"),
            include_str!("en.tokens.json"),
            include_str!("en.webhooks.json"),
            include_str!("en.csat.json"),
            include_str!("en.reports.json"),
            include_str!("en.home.json"),
            include_str!("en.desk_ux.json"),
            include_str!("en.selfservice.json"),
            include_str!("en.list.json"),
            include_str!("en.followers.json"),
            include_str!("en.merge.json"),
            include_str!("en.fields.json"),
            include_str!("en.portal.json"),
            include_str!("en.similar.json"),
            include_str!("en.triage.json"),
            include_str!("en.live.json"),
            include_str!("en.incidents.json"),
            include_str!("en.tools16.json"),
        ],
    ),
    (
        "es",
        &[
            include_str!("es.json"),
            include_str!("es.admin.json"),
            include_str!("es.kb.json"),
            include_str!("es.canned.json"),
            include_str!("es.recurring.json"),
            include_str!("es.sla.json"),
            include_str!("es.tokens.json"),
            include_str!("es.webhooks.json"),
            include_str!("es.csat.json"),
            include_str!("es.reports.json"),
            include_str!("es.home.json"),
            include_str!("es.desk_ux.json"),
            include_str!("es.selfservice.json"),
            include_str!("es.list.json"),
            include_str!("es.followers.json"),
            include_str!("es.merge.json"),
            include_str!("es.fields.json"),
            include_str!("es.portal.json"),
            include_str!("es.similar.json"),
            include_str!("es.triage.json"),
            include_str!("es.live.json"),
            include_str!("es.incidents.json"),
            include_str!("es.tools16.json"),
        ],
    ),
];

impl I18n {
    pub fn load() -> Result<I18n, String> {
        let mut maps = HashMap::new();
        let mut values = HashMap::new();
        for (code, sources) in CATALOG_SOURCES {
            let mut map: HashMap<String, String> = HashMap::new();
            for source in sources {
                let part: HashMap<String, String> =
                    serde_json::from_str(source).map_err(|e| format!("catalog {code}: {e}"))?;
                map.extend(part);
            }
            values.insert(code, serde_json::to_value(&map).map_err(|e| e.to_string())?);
            maps.insert(code, map);
        }
        Ok(I18n { maps, values })
    }

    /// The catalog as a template value (`{{ t.some_key }}`).
    pub fn value(&self, lang: Lang) -> &tera::Value {
        &self.values[lang.code()]
    }

    /// One language's catalog.
    pub fn catalog(&self, lang: Lang) -> &HashMap<String, String> {
        &self.maps[lang.code()]
    }

    /// One string; falls back to English, then to the key itself.
    pub fn get<'a>(&'a self, lang: Lang, key: &'a str) -> &'a str {
        self.maps[lang.code()]
            .get(key)
            .or_else(|| self.maps["en"].get(key))
            .map(String::as_str)
            .unwrap_or(key)
    }

    pub fn has(&self, key: &str) -> bool {
        self.maps["en"].contains_key(key)
    }
}
