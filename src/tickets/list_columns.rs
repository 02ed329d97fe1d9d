//! Which columns of the staff ticket list a staff member shows: the subject always, the others
//! unless they hid them (stored per member, see `auth::users::list_hidden_columns`).

use serde::Serialize;

/// The list's columns an agent may hide, in page order. The requester and the category are
/// shown as secondary text beside the subject; the rest are columns of their own.
pub const COLUMNS: [&str; 8] = [
    "tracking_id",
    "requester",
    "category",
    "status",
    "priority",
    "due",
    "assignee",
    "updated",
];

/// Each column and whether it shows, for the list page and its "Columns" menu.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Shown {
    pub name: &'static str,
    pub shown: bool,
}

/// The known column names in `stored` (comma separated, as saved), in page order; unknown
/// names (a column since removed) are dropped.
pub fn parse_hidden(stored: &str) -> Vec<&'static str> {
    let names: Vec<&str> = stored.split(',').map(str::trim).collect();
    COLUMNS.into_iter().filter(|c| names.contains(c)).collect()
}

/// The columns to hide when the menu's form sends `shown` (the ticked ones), as stored.
pub fn hidden_from_shown(shown: &[String]) -> String {
    COLUMNS
        .into_iter()
        .filter(|c| !shown.iter().any(|s| s.trim() == *c))
        .collect::<Vec<_>>()
        .join(",")
}

/// Every column with whether it shows, given the hidden ones.
pub fn shown(hidden: &[&str]) -> Vec<Shown> {
    COLUMNS
        .into_iter()
        .map(|name| Shown {
            name,
            shown: !hidden.contains(&name),
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stored_names_round_trip_and_unknown_ones_are_dropped() {
        assert_eq!(parse_hidden(""), Vec::<&str>::new());
        assert_eq!(parse_hidden("due, priority,bogus"), vec!["priority", "due"]);
        let ticked = vec!["status".to_string(), "updated".to_string()];
        let stored = hidden_from_shown(&ticked);
        assert_eq!(
            stored,
            "tracking_id,requester,category,priority,due,assignee"
        );
        let hidden = parse_hidden(&stored);
        let cols = shown(&hidden);
        assert!(cols.iter().any(|c| c.name == "status" && c.shown));
        assert!(cols.iter().any(|c| c.name == "due" && !c.shown));
    }
}
