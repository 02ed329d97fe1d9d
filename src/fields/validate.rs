//! The rules a custom field's value meets, wherever it comes from (the portal, the staff forms,
//! the API): problems come back in `FieldErrors` under the field's `field_<id>`, values as they
//! are stored.

use std::collections::HashMap;

use super::{Audience, FieldDef, Kind, asked};
use crate::error::FieldErrors;

pub const MAX_TEXT: usize = 500;
pub const MAX_LONG_TEXT: usize = 10_000;

/// What was typed for each field, by field id (as text): a form's `fields[<id>]` inputs, one
/// entry per value (a multi-select's ticked options; a checkbox's `true` when ticked).
pub type Raw = HashMap<String, Vec<String>>;

/// A checked change of one value: `None` removes it.
pub type Checked = Vec<(i64, Option<String>)>;

/// Checks the values `raw` gives for a ticket in `category_id`: every field the form asks `who`
/// for (active, for that category, for requesters only those shown to them); others in `raw`
/// are ignored (a form without JavaScript sends the fields of every category). With `partial`
/// (an API patch), a field `raw` leaves out is left as it is; otherwise a missing value is an
/// empty one (refused when required) and a checkbox left out is unticked.
pub fn check(
    defs: &[FieldDef],
    category_id: i64,
    who: Audience,
    raw: &Raw,
    partial: bool,
    errors: &mut FieldErrors,
) -> Checked {
    let mut out = Vec::new();
    for def in asked(defs, category_id, who) {
        let given = raw.get(&def.id.to_string());
        if partial && given.is_none() {
            continue;
        }
        let typed: Vec<&str> = given
            .map(|v| {
                v.iter()
                    .map(|s| s.trim())
                    .filter(|s| !s.is_empty())
                    .collect()
            })
            .unwrap_or_default();
        match value(def, &typed) {
            Ok(v) => out.push((def.id, v)),
            Err(key) => errors.add(def.input_name(), key),
        }
    }
    out
}

/// One field's value from what was typed (empty strings already dropped), or the catalog key of
/// its problem.
pub fn value(def: &FieldDef, typed: &[&str]) -> Result<Option<String>, &'static str> {
    if def.kind == Kind::Checkbox {
        return checkbox(def, typed);
    }
    let Some(first) = typed.first().copied() else {
        return if def.required {
            Err("fields_error_required")
        } else {
            Ok(None)
        };
    };
    if def.kind != Kind::MultiSelect && typed.len() > 1 {
        return Err("fields_error_one_value");
    }
    let text = match def.kind {
        Kind::Text | Kind::LongText => {
            let max = if def.kind == Kind::Text {
                MAX_TEXT
            } else {
                MAX_LONG_TEXT
            };
            if first.chars().count() > max {
                return Err("fields_error_too_long");
            }
            let single_line = def.kind == Kind::Text;
            if first
                .chars()
                .any(|c| c.is_control() && (single_line || !matches!(c, '\n' | '\r' | '\t')))
            {
                return Err("fields_error_text");
            }
            first.to_string()
        }
        Kind::Number => {
            if first.len() > 40 || !first.parse::<f64>().is_ok_and(f64::is_finite) {
                return Err("fields_error_number");
            }
            // "1e3" and "inf" parse too; people type plain decimals.
            if !first
                .chars()
                .all(|c| c.is_ascii_digit() || matches!(c, '-' | '+' | '.'))
            {
                return Err("fields_error_number");
            }
            first.to_string()
        }
        Kind::Date => {
            let well_formed = first.len() == 10
                && first.char_indices().all(|(i, c)| {
                    if i == 4 || i == 7 {
                        c == '-'
                    } else {
                        c.is_ascii_digit()
                    }
                });
            if !well_formed || first.parse::<jiff::civil::Date>().is_err() {
                return Err("fields_error_date");
            }
            first.to_string()
        }
        Kind::Select => {
            if !def.options.iter().any(|o| o == first) {
                return Err("fields_error_option");
            }
            first.to_string()
        }
        Kind::MultiSelect => {
            if typed.iter().any(|t| !def.options.iter().any(|o| o == t)) {
                return Err("fields_error_option");
            }
            // In the options' order, each once.
            let picked: Vec<&String> = def
                .options
                .iter()
                .filter(|o| typed.contains(&o.as_str()))
                .collect();
            serde_json::to_string(&picked).map_err(|_| "fields_error_option")?
        }
        Kind::Checkbox => return checkbox(def, typed),
    };
    Ok(Some(text))
}

/// A checkbox: ticked or not (nothing typed: not ticked); a required one must be ticked.
fn checkbox(def: &FieldDef, typed: &[&str]) -> Result<Option<String>, &'static str> {
    let ticked = match typed.first().map(|s| s.to_ascii_lowercase()) {
        None => false,
        Some(s) if ["true", "on", "1", "yes"].contains(&s.as_str()) => true,
        Some(s) if ["false", "off", "0", "no"].contains(&s.as_str()) => false,
        Some(_) => return Err("fields_error_checkbox"),
    };
    if def.required && !ticked {
        return Err("fields_error_required_checkbox");
    }
    Ok(Some(ticked.to_string()))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn def(kind: Kind, required: bool) -> FieldDef {
        FieldDef {
            id: 7,
            key: "k".into(),
            label: "Device".into(),
            label_es: String::new(),
            help: String::new(),
            help_es: String::new(),
            kind,
            options: vec!["Laptop".into(), "Desktop".into(), "Phone".into()],
            required,
            visible_to_requester: true,
            categories: vec![2],
            sort: 0,
            active: true,
            shown_label: String::new(),
            shown_help: String::new(),
        }
    }

    #[test]
    fn each_kind_takes_only_its_values() {
        let v = |kind, typed: &[&str]| value(&def(kind, false), typed);
        assert_eq!(v(Kind::Number, &["12.5"]), Ok(Some("12.5".into())));
        assert_eq!(v(Kind::Number, &["12,5"]), Err("fields_error_number"));
        assert_eq!(v(Kind::Number, &["1e9"]), Err("fields_error_number"));
        assert_eq!(
            v(Kind::Date, &["2025-02-28"]),
            Ok(Some("2025-02-28".into()))
        );
        assert_eq!(v(Kind::Date, &["2025-02-30"]), Err("fields_error_date"));
        assert_eq!(v(Kind::Date, &["28/02/2025"]), Err("fields_error_date"));
        assert_eq!(v(Kind::Select, &["Laptop"]), Ok(Some("Laptop".into())));
        assert_eq!(v(Kind::Select, &["Tablet"]), Err("fields_error_option"));
        assert_eq!(
            v(Kind::MultiSelect, &["Phone", "Laptop", "Phone"]),
            Ok(Some("[\"Laptop\",\"Phone\"]".into()))
        );
        assert_eq!(
            v(Kind::MultiSelect, &["Laptop", "Fax"]),
            Err("fields_error_option")
        );
        assert_eq!(v(Kind::Checkbox, &["on"]), Ok(Some("true".into())));
        assert_eq!(v(Kind::Checkbox, &[]), Ok(Some("false".into())));
        assert_eq!(v(Kind::Checkbox, &["maybe"]), Err("fields_error_checkbox"));
        assert_eq!(v(Kind::Text, &["a\u{7}b"]), Err("fields_error_text"));
        assert_eq!(v(Kind::LongText, &["a\nb"]), Ok(Some("a\nb".into())));
        assert_eq!(v(Kind::Text, &[]), Ok(None));
    }

    #[test]
    fn required_fields_of_the_chosen_category_only() {
        let defs = vec![def(Kind::Select, true)];
        let mut errors = FieldErrors::new();
        let raw = Raw::new();
        let out = check(&defs, 3, Audience::Requester, &raw, false, &mut errors);
        assert!(
            errors.is_empty() && out.is_empty(),
            "not asked in category 3"
        );
        let out = check(&defs, 2, Audience::Requester, &raw, false, &mut errors);
        assert!(out.is_empty());
        assert_eq!(errors.get("field_7").unwrap().key, "fields_error_required");
        let mut errors = FieldErrors::new();
        let mut staff_only = def(Kind::Select, true);
        staff_only.visible_to_requester = false;
        check(
            &[staff_only],
            2,
            Audience::Requester,
            &raw,
            false,
            &mut errors,
        );
        assert!(
            errors.is_empty(),
            "requesters are not asked for staff-only fields"
        );
    }
}
