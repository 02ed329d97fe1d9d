//! `GET /openapi.json`: the API's OpenAPI 3.1 document, assembled at start-up from JSON
//! fragments embedded in the binary: `base.json` (info, servers, security, the error shape) and
//! one fragment per part of the API, each adding its `paths` and `components`. A path or a
//! component two fragments define is an error at start-up, never a silent overwrite. The
//! integration tests check every answer of every route against this document.

use rocket::serde::json::Json;
use rocket::{State, get, routes};
use serde_json::{Map, Value};

const BASE: &str = include_str!("openapi/base.json");

/// The fragments, by file name (the name is only for error messages).
const FRAGMENTS: &[(&str, &str)] = &[
    ("tickets.json", include_str!("openapi/tickets.json")),
    ("reference.json", include_str!("openapi/reference.json")),
    ("incidents.json", include_str!("openapi/incidents.json")),
];

/// The assembled document, managed by Rocket.
pub struct Document(pub Value);

impl Document {
    pub fn assemble() -> Result<Document, String> {
        assemble(BASE, FRAGMENTS).map(Document)
    }
}

pub fn routes() -> Vec<rocket::Route> {
    routes![openapi]
}

/// Needs no token: a client reads it before it has one.
#[get("/openapi.json")]
fn openapi(doc: &State<Document>) -> Json<Value> {
    Json(doc.0.clone())
}

fn object<'a>(v: &'a mut Value, what: &str) -> Result<&'a mut Map<String, Value>, String> {
    v.as_object_mut()
        .ok_or_else(|| format!("OpenAPI: {what} is not an object"))
}

/// Adds `from`'s keys to `into`; a key both have is an error naming it and `file`.
fn union(
    into: &mut Map<String, Value>,
    from: Map<String, Value>,
    file: &str,
    what: &str,
) -> Result<(), String> {
    for (key, value) in from {
        if into.contains_key(&key) {
            return Err(format!("OpenAPI: {file} defines {what} {key:?} again"));
        }
        into.insert(key, value);
    }
    Ok(())
}

/// `base` with every fragment's `paths` and `components.*` maps added.
pub fn assemble(base: &str, fragments: &[(&str, &str)]) -> Result<Value, String> {
    let mut doc: Value =
        serde_json::from_str(base).map_err(|e| format!("OpenAPI: base.json: {e}"))?;
    let root = object(&mut doc, "base.json")?;
    root.entry("paths")
        .or_insert_with(|| Value::Object(Map::new()));
    root.entry("components")
        .or_insert_with(|| Value::Object(Map::new()));
    for (file, text) in fragments {
        let mut fragment: Value =
            serde_json::from_str(text).map_err(|e| format!("OpenAPI: {file}: {e}"))?;
        let fragment = object(&mut fragment, file)?;
        for key in fragment.keys() {
            if key != "paths" && key != "components" {
                return Err(format!(
                    "OpenAPI: {file} may hold only paths and components, not {key:?}"
                ));
            }
        }
        if let Some(mut paths) = fragment.remove("paths") {
            let paths = std::mem::take(object(&mut paths, "paths")?);
            let into = object(&mut doc["paths"], "paths")?;
            union(into, paths, file, "path")?;
        }
        if let Some(mut components) = fragment.remove("components") {
            let components = std::mem::take(object(&mut components, "components")?);
            for (kind, mut entries) in components {
                let entries = std::mem::take(object(&mut entries, &kind)?);
                let all = object(&mut doc["components"], "components")?;
                let into = all
                    .entry(kind.clone())
                    .or_insert_with(|| Value::Object(Map::new()));
                union(
                    object(into, &kind)?,
                    entries,
                    file,
                    &format!("components.{kind}"),
                )?;
            }
        }
    }
    Ok(doc)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_shipped_fragments_assemble() {
        let doc = Document::assemble().unwrap().0;
        assert_eq!(doc["openapi"], "3.1.0");
        assert!(doc["paths"]["/tickets"]["get"].is_object());
        assert!(doc["paths"]["/statuses"]["get"].is_object());
        assert!(doc["components"]["schemas"]["Ticket"].is_object());
        assert!(doc["components"]["schemas"]["Error"].is_object());
    }

    #[test]
    fn fragments_are_merged_and_a_duplicate_is_refused() {
        let base =
            r#"{"openapi": "3.1.0", "paths": {"/a": {}}, "components": {"schemas": {"A": {}}}}"#;
        let b = r#"{"paths": {"/b": {}}, "components": {"schemas": {"B": {}}, "parameters": {"P": {}}}}"#;
        let doc = assemble(base, &[("b.json", b)]).unwrap();
        assert!(doc["paths"]["/a"].is_object() && doc["paths"]["/b"].is_object());
        assert!(doc["components"]["schemas"]["B"].is_object());
        assert!(doc["components"]["parameters"]["P"].is_object());

        let again = r#"{"paths": {"/a": {}}}"#;
        let e = assemble(base, &[("c.json", again)]).unwrap_err();
        assert!(e.contains("c.json") && e.contains("\"/a\""), "{e}");
        let again = r#"{"components": {"schemas": {"A": {}}}}"#;
        let e = assemble(base, &[("d.json", again)]).unwrap_err();
        assert!(
            e.contains("components.schemas") && e.contains("\"A\""),
            "{e}"
        );
        let e = assemble(base, &[("e.json", r#"{"info": {}}"#)]).unwrap_err();
        assert!(e.contains("only paths and components"), "{e}");
        assert!(assemble(base, &[("f.json", "{")]).is_err());
    }
}
