//! Custom field values in API bodies (`"fields": {"<key or id>": value}` on POST and PATCH
//! /api/v1/tickets): turned into what the desk's forms send and checked by the same rules
//! (`fields::validate`); a refusal is a 422 naming `fields.<key>`.

use serde_json::{Map, Value};

use super::ApiError;
use crate::error::FieldErrors;
use crate::fields::validate::{self, Checked, Raw};
use crate::fields::{Audience, FieldDef};
use crate::web::App;

/// The checked values of `given` for a ticket in `category_id`; with `partial` (PATCH) only the
/// fields named change, `null` clearing one.
pub fn check(
    app: &App,
    defs: &[FieldDef],
    category_id: i64,
    given: Option<&Map<String, Value>>,
    partial: bool,
) -> Result<Checked, ApiError> {
    let empty = Map::new();
    let given = given.unwrap_or(&empty);
    let mut raw = Raw::new();
    for (name, value) in given {
        let def = defs
            .iter()
            .find(|d| d.active && (d.key == *name || d.id.to_string() == *name))
            .ok_or_else(|| ApiError::invalid(format!("fields.{name}: there is no such field")))?;
        let typed = match value {
            Value::Null => Vec::new(),
            Value::String(s) => vec![s.clone()],
            Value::Number(n) => vec![n.to_string()],
            Value::Bool(b) => vec![b.to_string()],
            Value::Array(items) => items
                .iter()
                .map(|i| i.as_str().map(str::to_string))
                .collect::<Option<Vec<_>>>()
                .ok_or_else(|| {
                    ApiError::invalid(format!("fields.{name}: give an array of strings"))
                })?,
            Value::Object(_) => {
                return Err(ApiError::invalid(format!(
                    "fields.{name}: give a string, number, boolean or array"
                )));
            }
        };
        raw.insert(def.id.to_string(), typed);
    }
    let mut errors = FieldErrors::new();
    let checked = validate::check(
        defs,
        category_id,
        Audience::Staff,
        &raw,
        partial,
        &mut errors,
    );
    if errors.is_empty() {
        // A field named that the ticket's category does not ask for is refused, not dropped.
        if let Some(id) = raw
            .keys()
            .find(|id| !checked.iter().any(|(c, _)| c.to_string() == **id))
        {
            let key = defs
                .iter()
                .find(|d| d.id.to_string() == *id)
                .map_or(id.as_str(), |d| d.key.as_str());
            return Err(ApiError::invalid(format!(
                "fields.{key}: this field is not asked for the ticket's category"
            )));
        }
        return Ok(checked);
    }
    let names: Vec<(String, String)> = defs
        .iter()
        .map(|d| (d.input_name(), format!("fields.{}", d.key)))
        .collect();
    let names: Vec<(&str, &str)> = names
        .iter()
        .map(|(a, b)| (a.as_str(), b.as_str()))
        .collect();
    Err(super::tickets::invalid_fields(app, &errors, &names))
}
