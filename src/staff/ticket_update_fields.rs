//! The custom fields in the staff ticket page's one form (`ticket_update`): the card's inputs
//! (`fields[<id>]`) join `ticket-form`, with the values the page showed (`was_fields[<id>]`) and
//! which fields it showed (`fields_shown`, since an unticked checkbox or multi-select sends
//! nothing). Only a field the agent changed counts, as for the other fields: an untouched empty
//! required field never blocks a reply, and a reply never undoes a value someone else set
//! meanwhile. A changed value is checked by its type (`fields::validate`), its problem next to
//! the field. A post naming `fields[<id>]` without the rest (older clients, plain posts) changes
//! the fields it names.

use std::collections::HashMap;

use crate::error::FieldErrors;
use crate::fields::{self, Audience, FieldDef, Kind, validate};
use crate::tickets::{RefData, Ticket};

/// What was typed for each field, by field id, one entry per value.
pub(super) type Typed = HashMap<String, Vec<String>>;

/// A field's values in a form compared as the field reads them: a checkbox as ticked or not, a
/// multi-select as a set, anything else as its trimmed text.
fn normal(def: &FieldDef, typed: Option<&Vec<String>>) -> Vec<String> {
    let mut values: Vec<String> = typed
        .map(|v| {
            v.iter()
                .map(|s| s.trim().to_string())
                .filter(|s| !s.is_empty())
                .collect()
        })
        .unwrap_or_default();
    match def.kind {
        Kind::Checkbox => {
            let ticked = values.first().is_some_and(|v| {
                ["true", "on", "1", "yes"].contains(&v.to_ascii_lowercase().as_str())
            });
            vec![ticked.to_string()]
        }
        Kind::MultiSelect => {
            values.sort();
            values.dedup();
            values
        }
        _ => values,
    }
}

/// The custom field values the agent changed, checked; problems go to `errors` under the
/// field's `field_<id>`.
pub(super) fn changes(
    refdata: &RefData,
    ticket: &Ticket,
    typed: &Typed,
    was: &Typed,
    shown: &[String],
    errors: &mut FieldErrors,
) -> validate::Checked {
    let mut out = Vec::new();
    for def in fields::asked(&refdata.fields, ticket.category_id, Audience::Staff) {
        let key = def.id.to_string();
        let on_form = shown.contains(&key);
        let given = typed.get(&key);
        if !on_form && given.is_none() {
            continue;
        }
        // On the page: a change only when it differs from what the page showed.
        if on_form && normal(def, given) == normal(def, was.get(&key)) {
            continue;
        }
        let values: Vec<&str> = given
            .map(|v| {
                v.iter()
                    .map(|s| s.trim())
                    .filter(|s| !s.is_empty())
                    .collect()
            })
            .unwrap_or_default();
        match validate::value(def, &values) {
            Ok(v) => out.push((def.id, v)),
            Err(key) => errors.add(def.input_name(), key),
        }
    }
    out
}
