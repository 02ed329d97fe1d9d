//! English and Spanish: complete catalogs, chosen by Accept-Language or the switch.

use std::collections::{BTreeSet, HashMap};

use crate::common::*;
use rocket::http::Status;

fn catalog(lang: &str) -> HashMap<String, String> {
    let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/src/i18n");
    let mut map = HashMap::new();
    // `LANG.json` and every part `LANG.AREA.json` beside it.
    let mut files: Vec<_> = std::fs::read_dir(dir)
        .expect("catalog dir")
        .map(|e| e.expect("entry").path())
        .filter(|p| {
            let name = p.file_name().and_then(|n| n.to_str()).unwrap_or("");
            name == format!("{lang}.json")
                || (name.starts_with(&format!("{lang}.")) && name.ends_with(".json"))
        })
        .collect();
    files.sort();
    assert!(files.len() >= 4, "catalog parts for {lang}: {files:?}");
    for file in files {
        let text = std::fs::read_to_string(&file).expect("catalog file");
        let part: HashMap<String, String> =
            serde_json::from_str(&text).expect("catalog is a flat JSON object");
        map.extend(part);
    }
    map
}

#[test]
fn spanish_and_english_catalogs_have_the_same_keys_and_no_empty_strings() {
    let en = catalog("en");
    let es = catalog("es");
    let en_keys: BTreeSet<_> = en.keys().collect();
    let es_keys: BTreeSet<_> = es.keys().collect();
    let missing: Vec<_> = en_keys.difference(&es_keys).collect();
    let extra: Vec<_> = es_keys.difference(&en_keys).collect();
    assert!(missing.is_empty(), "missing in es: {missing:?}");
    assert!(extra.is_empty(), "only in es: {extra:?}");
    assert!(en.values().chain(es.values()).all(|v| !v.trim().is_empty()));
    // Translated, not copied: most strings differ.
    let same = en.iter().filter(|(k, v)| es[*k] == **v).count();
    assert!(
        same * 10 < en.len(),
        "{same} of {} Spanish strings equal the English ones",
        en.len()
    );
}

#[test]
fn every_key_the_templates_use_exists() {
    let en = catalog("en");
    let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/templates");
    let mut missing = Vec::new();
    let mut stack = vec![std::path::PathBuf::from(dir)];
    while let Some(path) = stack.pop() {
        if path.is_dir() {
            stack.extend(
                std::fs::read_dir(&path)
                    .expect("dir")
                    .map(|e| e.expect("entry").path()),
            );
            continue;
        }
        let text = std::fs::read_to_string(&path).expect("template");
        let bytes = text.as_bytes();
        let mut i = 0;
        while let Some(pos) = text[i..].find("t.") {
            let start = i + pos;
            i = start + 2;
            let before = if start == 0 { b' ' } else { bytes[start - 1] };
            if before.is_ascii_alphanumeric() || before == b'_' || before == b'.' {
                continue;
            }
            let key: String = text[start + 2..]
                .chars()
                .take_while(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || *c == '_')
                .collect();
            if !key.is_empty() && !en.contains_key(&key) {
                missing.push(format!("{}: {key}", path.display()));
            }
        }
    }
    assert!(
        missing.is_empty(),
        "keys missing from the catalog: {missing:?}"
    );
    // Keys the templates build at run time.
    for key in [
        "view_open",
        "view_mine",
        "view_unassigned",
        "view_all",
        "sort_updated",
        "sort_created",
        "sort_priority",
        "sort_subject",
        "event_created",
        "event_status",
        "event_priority",
        "event_category",
        "event_assignee",
        "error_400",
        "error_403",
        "error_404",
        "error_413",
        "error_422",
        "error_429",
        "error_500",
        "error_other",
    ] {
        assert!(en.contains_key(key), "{key}");
    }
}

#[test]
fn accept_language_picks_spanish_and_the_switch_overrides_it() {
    let app = TestApp::new();
    let es = catalog("es");
    let en = catalog("en");
    let page = app
        .client
        .get("/tickets/new")
        .header(accept_language("es-ES,es;q=0.9,en;q=0.5"))
        .dispatch();
    let body = page.into_string().unwrap_or_default();
    assert!(body.contains("<html lang=\"es\">"));
    assert!(body.contains(&es["submit_ticket"]));
    assert!(!body.contains(&en["submit_ticket"]));
    // Built-in priorities are translated too.
    assert!(body.contains(">Alta<"));
    // English is preferred here by q-value.
    let page = app
        .client
        .get("/")
        .header(accept_language("es;q=0.3, en;q=0.8"))
        .dispatch();
    assert!(
        page.into_string()
            .unwrap_or_default()
            .contains("<html lang=\"en\">")
    );
    // The footer switch sets a cookie that wins over the header.
    let token = csrf(&app.client, "/");
    let res = post_form(
        &app.client,
        "/lang",
        &[
            ("csrf_token", &token),
            ("lang", "es"),
            ("next", "/tickets/new"),
        ],
    );
    assert_eq!(res.status(), Status::SeeOther);
    assert_eq!(location(&res), "/tickets/new");
    let page = app.client.get("/").header(accept_language("en")).dispatch();
    assert!(
        page.into_string()
            .unwrap_or_default()
            .contains("<html lang=\"es\">")
    );
}

#[test]
fn validation_messages_and_error_pages_are_translated() {
    let app = TestApp::new();
    let es = catalog("es");
    let token = csrf(&app.client, "/");
    post_form(
        &app.client,
        "/lang",
        &[("csrf_token", &token), ("lang", "es"), ("next", "/")],
    );
    let mut form = Multipart::new();
    form.text("csrf_token", &token)
        .text("name", "")
        .text("email", "x")
        .text("category", "1")
        .text("subject", "s")
        .text("message", "m");
    let body = form
        .post(&app.client, "/tickets")
        .into_string()
        .unwrap_or_default();
    assert!(body.contains(&es["error_name_required"]));
    let res = app.client.get("/no/such/page").dispatch();
    assert_eq!(res.status(), Status::NotFound);
    assert!(
        res.into_string()
            .unwrap_or_default()
            .contains(&es["error_404"])
    );
}

#[test]
fn staff_pages_show_translated_statuses() {
    let app = TestApp::new();
    submit_ticket(&app.client, &TicketInput::default(), &[]);
    login(&app.client, AGENT_EMAIL, AGENT_PASSWORD);
    let es = catalog("es");
    let body = app
        .client
        .get("/staff/tickets")
        .header(accept_language("es"))
        .dispatch()
        .into_string()
        .unwrap_or_default();
    assert!(body.contains(&format!(">{}<", es["status_new"])));
}
