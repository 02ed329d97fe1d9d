//! The served OpenAPI 3.1 document as a test oracle: which operations it describes, and whether
//! an answer (or a request body) matches the schema it gives, `$ref`s resolved, with the
//! `jsonschema` crate (draft 2020-12, the dialect of OpenAPI 3.1; formats such as `date-time`
//! checked too).

use std::collections::BTreeSet;

use serde_json::{Value, json};

pub struct Spec {
    pub doc: Value,
}

/// `/api/v1/tickets/<tracking_id>` (a Rocket route) as the document writes it under its server
/// `/api/v1`: `/tickets/{tracking_id}`.
pub fn document_path(route_path: &str, base: &str) -> String {
    let path = route_path.strip_prefix(base).unwrap_or(route_path);
    path.split('/')
        .map(
            |seg| match seg.strip_prefix('<').and_then(|s| s.strip_suffix('>')) {
                Some(name) => format!("{{{}}}", name.trim_end_matches("..")),
                None => seg.to_string(),
            },
        )
        .collect::<Vec<_>>()
        .join("/")
}

const METHODS: &[&str] = &[
    "get", "put", "post", "delete", "options", "head", "patch", "trace",
];

impl Spec {
    pub fn new(doc: Value) -> Spec {
        assert_eq!(doc["openapi"], "3.1.0", "an OpenAPI 3.1 document");
        Spec { doc }
    }

    /// Every operation as ("GET", "/tickets/{tracking_id}").
    pub fn operations(&self) -> BTreeSet<(String, String)> {
        let mut out = BTreeSet::new();
        for (path, item) in self.doc["paths"].as_object().expect("paths") {
            for method in METHODS {
                if item.get(*method).is_some() {
                    out.insert((method.to_uppercase(), path.clone()));
                }
            }
        }
        out
    }

    fn operation(&self, method: &str, path: &str) -> &Value {
        let op = &self.doc["paths"][path][method.to_lowercase()];
        assert!(op.is_object(), "the document has no {method} {path}");
        op
    }

    /// `v`, or what its `$ref` (`#/components/...`) points at.
    fn deref<'a>(&'a self, v: &'a Value) -> &'a Value {
        match v.get("$ref").and_then(Value::as_str) {
            Some(r) => {
                let pointer = r.strip_prefix('#').expect("a local $ref");
                self.doc
                    .pointer(pointer)
                    .unwrap_or_else(|| panic!("$ref {r} points at nothing"))
            }
            None => v,
        }
    }

    /// The JSON schema the document gives for the answer `status` of `method path`; `None`
    /// when that answer is documented without a JSON body. Panics when the status is not
    /// documented for the operation: every answer a route gives must be.
    pub fn response_schema(&self, method: &str, path: &str, status: u16) -> Option<Value> {
        let op = self.operation(method, path);
        let response = op["responses"]
            .get(status.to_string())
            .or_else(|| op["responses"].get("default"))
            .unwrap_or_else(|| panic!("{method} {path} does not document the answer {status}"));
        let response = self.deref(response);
        response["content"]
            .get("application/json")
            .map(|c| c["schema"].clone())
    }

    /// The JSON schema of the operation's request body (JSON ones only).
    pub fn request_schema(&self, method: &str, path: &str) -> Option<Value> {
        let op = self.operation(method, path);
        let body = self.deref(op.get("requestBody")?);
        body["content"]
            .get("application/json")
            .map(|c| c["schema"].clone())
    }

    /// What is wrong with `instance` as an instance of `schema` (a schema of this document,
    /// whose `$ref`s point into its components).
    pub fn schema_errors(&self, schema: &Value, instance: &Value) -> Vec<String> {
        let mut root = json!({
            "$schema": "https://json-schema.org/draft/2020-12/schema",
            "allOf": [schema],
        });
        root["components"] = self.doc["components"].clone();
        let validator = jsonschema::options()
            .should_validate_formats(true)
            .build(&root)
            .unwrap_or_else(|e| panic!("the document's schema {schema} does not compile: {e}"));
        validator
            .iter_errors(instance)
            .map(|e| format!("{e} (at {})", e.instance_path()))
            .collect()
    }

    /// What is wrong with `body` as the answer `status` of `method path`.
    pub fn answer_errors(
        &self,
        method: &str,
        path: &str,
        status: u16,
        body: &Value,
    ) -> Vec<String> {
        match self.response_schema(method, path, status) {
            Some(schema) => self.schema_errors(&schema, body),
            None => vec![format!(
                "{method} {path} documents its {status} answer without a JSON body"
            )],
        }
    }

    /// Panics unless `body` matches the document's schema for that answer.
    pub fn check(&self, method: &str, path: &str, status: u16, body: &Value) {
        let errors = self.answer_errors(method, path, status, body);
        assert!(
            errors.is_empty(),
            "the {status} answer of {method} {path} does not match the document:\n  {}\nbody: {body}",
            errors.join("\n  ")
        );
    }
}
