//! Custom ticket fields (Admin > Fields): what an admin defines (a label and help in English and
//! Spanish, a kind, options, the categories it applies to, required, shown to requesters, order,
//! active) and each ticket's values. The definitions are small and read on every form, so they
//! travel with the reference data (`tickets::RefData::fields`, cached by the web layer and
//! cleared on every admin change); the values are written only by the ticket actions
//! (`tickets::actions`), which record each change in the ticket's history.
//!
//! `store` holds the SQL of both tables, `validate` the rules a value must meet.

pub mod store;
pub mod validate;

use serde::Serialize;

use crate::i18n::Lang;
use crate::tickets::refdata::name_in;

/// What a field holds, and so how it is asked for and checked.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Kind {
    Text,
    LongText,
    Number,
    Date,
    Select,
    MultiSelect,
    Checkbox,
}

impl Kind {
    pub const ALL: [Kind; 7] = [
        Kind::Text,
        Kind::LongText,
        Kind::Number,
        Kind::Date,
        Kind::Select,
        Kind::MultiSelect,
        Kind::Checkbox,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Kind::Text => "text",
            Kind::LongText => "long_text",
            Kind::Number => "number",
            Kind::Date => "date",
            Kind::Select => "select",
            Kind::MultiSelect => "multi_select",
            Kind::Checkbox => "checkbox",
        }
    }

    pub fn parse(s: &str) -> Option<Kind> {
        Kind::ALL.into_iter().find(|k| k.as_str() == s)
    }

    /// Whether values are chosen from the field's options.
    pub fn has_options(self) -> bool {
        matches!(self, Kind::Select | Kind::MultiSelect)
    }
}

/// A field as defined, with its label and help in the viewer's language once `localize`d.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct FieldDef {
    pub id: i64,
    /// Stable machine name (the API's `fields` object), made from the first English label.
    pub key: String,
    pub label: String,
    pub label_es: String,
    pub help: String,
    pub help_es: String,
    pub kind: Kind,
    pub options: Vec<String>,
    pub required: bool,
    pub visible_to_requester: bool,
    /// The categories it applies to; empty: every category.
    pub categories: Vec<i64>,
    pub sort: i64,
    pub active: bool,
    /// What pages show: the label and help in the viewer's language (see `localize`).
    pub shown_label: String,
    pub shown_help: String,
}

impl FieldDef {
    pub fn applies_to(&self, category_id: i64) -> bool {
        self.categories.is_empty() || self.categories.contains(&category_id)
    }

    /// The label in `lang` (the English one when no Spanish one was given).
    pub fn label_in(&self, lang: Lang) -> String {
        name_in(lang, &self.label, &self.label_es)
    }

    pub fn localize(&mut self, lang: Lang) {
        self.shown_label = self.label_in(lang);
        self.shown_help = name_in(lang, &self.help, &self.help_es);
    }

    /// The name of the field's input on forms and of its error: `field_<id>`.
    pub fn input_name(&self) -> String {
        format!("field_{}", self.id)
    }
}

/// Who fills a form in: a requester sees only the fields shown to requesters.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Audience {
    Requester,
    Staff,
}

/// The active fields a form for a ticket in `category_id` asks `who` for, in order.
pub fn asked(
    defs: &[FieldDef],
    category_id: i64,
    who: Audience,
) -> impl Iterator<Item = &FieldDef> {
    defs.iter().filter(move |d| {
        d.active && d.applies_to(category_id) && (who == Audience::Staff || d.visible_to_requester)
    })
}

/// A stored value as people read it: a multi-select's options joined with commas, anything
/// else as stored (a checkbox's `true`/`false` is worded by the page or mail showing it).
pub fn display(kind: Kind, stored: &str) -> String {
    match kind {
        Kind::MultiSelect => multi_values(stored).join(", "),
        _ => stored.to_string(),
    }
}

/// A multi-select's stored options (a JSON array of strings).
pub fn multi_values(stored: &str) -> Vec<String> {
    serde_json::from_str::<Vec<String>>(stored).unwrap_or_default()
}

/// A stored value as the API gives it: a number as a JSON number, a checkbox as a boolean, a
/// multi-select as an array of strings, anything else as a string.
pub fn json_value(kind: Kind, stored: &str) -> serde_json::Value {
    use serde_json::Value;
    match kind {
        Kind::Number => stored
            .parse::<f64>()
            .ok()
            .and_then(serde_json::Number::from_f64)
            .map(|n| match stored.parse::<i64>() {
                Ok(i) => Value::from(i),
                Err(_) => Value::Number(n),
            })
            .unwrap_or_else(|| Value::String(stored.to_string())),
        Kind::Checkbox => Value::Bool(stored == "true"),
        Kind::MultiSelect => Value::from(multi_values(stored)),
        _ => Value::String(stored.to_string()),
    }
}

/// One value of a ticket, with its field, for a page or a mail.
#[derive(Debug, Clone, Serialize)]
pub struct Shown {
    pub field_id: i64,
    pub label: String,
    pub kind: Kind,
    /// As stored (`true`/`false` for a checkbox, a JSON array for a multi-select).
    pub value: String,
    /// As people read it (see `display`).
    pub text: String,
    /// A multi-select's options, for a form to tick them again.
    pub values: Vec<String>,
    pub visible_to_requester: bool,
    /// The field was deactivated: its value is kept and shown as such to staff.
    pub active: bool,
}

/// A ticket's `values` (field id, stored value) with their fields in `defs`' order, labelled in
/// `lang`; only the fields shown to requesters for `Audience::Requester`.
pub fn shown(defs: &[FieldDef], values: &[(i64, String)], lang: Lang, who: Audience) -> Vec<Shown> {
    defs.iter()
        .filter(|d| who == Audience::Staff || (d.visible_to_requester && d.active))
        .filter_map(|d| {
            let (_, value) = values.iter().find(|(id, _)| *id == d.id)?;
            Some(Shown {
                field_id: d.id,
                label: d.label_in(lang),
                kind: d.kind,
                text: display(d.kind, value),
                values: if d.kind == Kind::MultiSelect {
                    multi_values(value)
                } else {
                    Vec::new()
                },
                value: value.clone(),
                visible_to_requester: d.visible_to_requester,
                active: d.active,
            })
        })
        .collect()
}

/// The fields a new-ticket form shows `who` (active; for requesters those shown to them), each
/// with what was typed (`raw`, when the form comes back) and, for a field limited to some
/// categories, their names: a page without JavaScript shows every field marked so, and
/// `static/fields.js` shows only those of the chosen category.
pub fn form_json(
    refdata: &crate::tickets::RefData,
    who: Audience,
    raw: Option<&validate::Raw>,
) -> serde_json::Value {
    let fields: Vec<serde_json::Value> = refdata
        .fields
        .iter()
        .filter(|d| d.active && (who == Audience::Staff || d.visible_to_requester))
        .map(|d| {
            let typed = raw.and_then(|r| r.get(&d.id.to_string()));
            input_json(refdata, d, typed.cloned().unwrap_or_default())
        })
        .collect();
    serde_json::Value::from(fields)
}

/// One field for a form: its definition, the names of its categories, and its value(s).
pub fn input_json(
    refdata: &crate::tickets::RefData,
    def: &FieldDef,
    values: Vec<String>,
) -> serde_json::Value {
    let categories: Vec<&str> = def
        .categories
        .iter()
        .filter_map(|id| refdata.category(*id))
        .map(|c| c.label.as_str())
        .collect();
    serde_json::json!({
        "id": def.id, "kind": def.kind, "label": def.shown_label, "help": def.shown_help,
        "required": def.required, "options": def.options, "categories": def.categories,
        "categories_label": categories.join(", "), "active": def.active,
        "visible_to_requester": def.visible_to_requester,
        "value": values.first().cloned().unwrap_or_default(), "values": values,
    })
}

/// A stored value as a form's inputs hold it: a multi-select's options one by one.
pub fn typed_values(kind: Kind, stored: &str) -> Vec<String> {
    match kind {
        Kind::MultiSelect => multi_values(stored),
        _ => vec![stored.to_string()],
    }
}

/// Names the custom field changes in a ticket's history as pages show them: the entry's
/// `field` becomes the field's label in `lang` (pages show an unknown event name as it is),
/// its values worded as `display` does, a checkbox's with `yes_no`.
pub fn label_history(
    defs: &[FieldDef],
    entries: &mut [crate::tickets::HistoryEntry],
    lang: Lang,
    yes_no: (&str, &str),
) {
    for e in entries
        .iter_mut()
        .filter(|e| e.field == crate::tickets::store::CUSTOM_FIELD_EVENT)
    {
        let Some(def) = e.new_id.and_then(|id| defs.iter().find(|d| d.id == id)) else {
            continue;
        };
        let word = |v: &Option<String>| {
            v.as_deref().map(|v| match def.kind {
                Kind::Checkbox if v == "true" => yes_no.0.to_string(),
                Kind::Checkbox => yes_no.1.to_string(),
                kind => display(kind, v),
            })
        };
        e.old_value = word(&e.old_value);
        e.new_value = word(&e.new_value);
        e.field = def.label_in(lang);
    }
}

/// A ticket's values shown to its requester, labelled in `lang`: for the mails about it.
pub fn for_requester(
    conn: &rusqlite::Connection,
    ticket_id: i64,
    lang: Lang,
) -> crate::error::Result<Vec<Shown>> {
    let values = store::values(conn, ticket_id)?;
    if values.is_empty() {
        return Ok(Vec::new());
    }
    Ok(shown(
        &store::all(conn)?,
        &values,
        lang,
        Audience::Requester,
    ))
}

/// A key for machines made from a label: lowercase ASCII letters and digits, words joined by
/// `_` ("Room / floor" → `room_floor`); `field` when nothing is left.
pub fn key_from_label(label: &str) -> String {
    let folded = crate::search::fold(label);
    let words: Vec<&str> = folded
        .split(|c: char| !c.is_ascii_alphanumeric())
        .filter(|w| !w.is_empty())
        .collect();
    let key: String = words.join("_").chars().take(40).collect();
    if key.is_empty() {
        "field".to_string()
    } else {
        key
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_are_made_of_the_label_words() {
        assert_eq!(key_from_label("Room / floor"), "room_floor");
        assert_eq!(key_from_label("Número de serie"), "numero_de_serie");
        assert_eq!(key_from_label("¿?"), "field");
    }

    #[test]
    fn values_for_machines_have_their_type() {
        assert_eq!(json_value(Kind::Number, "42"), serde_json::json!(42));
        assert_eq!(json_value(Kind::Number, "2.5"), serde_json::json!(2.5));
        assert_eq!(json_value(Kind::Checkbox, "true"), serde_json::json!(true));
        assert_eq!(
            json_value(Kind::MultiSelect, "[\"A\",\"B\"]"),
            serde_json::json!(["A", "B"])
        );
        assert_eq!(display(Kind::MultiSelect, "[\"A\",\"B\"]"), "A, B");
    }
}
