//! The embedded Tera templates, loaded once per language with that language's strings baked in
//! (see `localize`). Pages and mail share them.

use rust_embed::RustEmbed;
use tera::Tera;

use super::localize::{self, Localized};
use super::{I18n, LANGS};
use crate::desk_time::format::{self, Phrases};
use crate::error::{Error, Result};

#[derive(RustEmbed)]
#[folder = "templates/"]
pub struct Templates;

/// Every embedded template, once per language (in `LANGS` order).
pub fn load_templates(i18n: &I18n) -> Result<Vec<Localized>> {
    let mut sources = Vec::new();
    for name in Templates::iter() {
        if let Some(file) = Templates::get(&name) {
            let text = String::from_utf8(file.data.into_owned())
                .map_err(|_| Error::internal(format!("template {name} is not UTF-8")))?;
            sources.push((name.to_string(), text));
        }
    }
    // Each language's time filters speak it (`desk_time::format`).
    let setup = |tera: &mut Tera, phrases: &Phrases| {
        tera.register_filter("filesize", crate::util::filesize_filter);
        format::register_filters(tera, phrases.clone());
    };
    // One language per thread: parsing every template twice is most of the start-up time.
    std::thread::scope(|scope| {
        let builds: Vec<_> = LANGS
            .iter()
            .map(|lang| {
                let (sources, catalog) = (&sources, i18n.catalog(*lang));
                scope.spawn(move || {
                    let phrases = Phrases::from_catalog(catalog);
                    localize::build(sources, catalog, |tera| setup(tera, &phrases))
                })
            })
            .collect();
        builds
            .into_iter()
            .map(|build| match build.join() {
                Ok(built) => Ok(built?),
                Err(_) => Err(Error::internal("building the templates failed")),
            })
            .collect()
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every shipped template has its strings baked in: none still needs the catalog per render
    /// (a template that did would render correctly, only slower).
    #[test]
    fn shipped_templates_need_no_catalog() {
        let i18n = I18n::load().expect("catalogs");
        let localized = load_templates(&i18n).expect("templates");
        for (lang, templates) in LANGS.iter().zip(&localized) {
            for name in Templates::iter() {
                assert!(
                    !templates.needs_catalog(&name),
                    "{name} ({}) still reads `t` from the context",
                    lang.code()
                );
            }
        }
    }
}
