//! The rules a ticket's fields must meet, wherever the ticket comes from (the portal, the staff
//! form, later the API): problems come back as `FieldErrors`, which a page shows next to each
//! field and an API can answer as they are.

use super::RefData;
use crate::error::FieldErrors;
use crate::util::{clean, looks_like_email};

pub const MAX_SUBJECT: usize = 200;
pub const MAX_NAME: usize = 100;
pub const MAX_MESSAGE: usize = 50_000;

/// A ticket's fields as typed.
pub struct TicketInput<'a> {
    pub name: &'a str,
    pub email: &'a str,
    pub category: &'a str,
    pub priority: &'a str,
    pub subject: &'a str,
    pub message: &'a str,
}

/// Checks the fields of a new ticket; with no errors, also the (category, priority) it goes to.
/// An empty priority means the category's default; requesters may only pick the priorities
/// marked for them, staff (`staff`) any.
pub fn ticket(
    input: &TicketInput<'_>,
    refdata: &RefData,
    staff: bool,
) -> (FieldErrors, Option<(i64, i64)>) {
    let mut errors = FieldErrors::new();
    if clean(input.name, MAX_NAME).is_empty() {
        errors.add("name", "error_name_required");
    }
    if !looks_like_email(input.email.trim()) {
        errors.add("email", "error_email_invalid");
    }
    if clean(input.subject, MAX_SUBJECT).is_empty() {
        errors.add("subject", "error_subject_required");
    }
    message(input.message, &mut errors);
    let category = input
        .category
        .parse::<i64>()
        .ok()
        .and_then(|id| refdata.category(id))
        .filter(|c| c.active);
    let Some(category) = category else {
        errors.add("category", "error_category_required");
        return (errors, None);
    };
    let priority = match input.priority.trim() {
        "" => Some(category.default_priority_id),
        p => p
            .parse::<i64>()
            .ok()
            .and_then(|id| refdata.priority(id))
            .filter(|p| staff || p.requester_selectable)
            .map(|p| p.id),
    };
    match priority {
        Some(priority) => (errors, Some((category.id, priority))),
        None => {
            errors.add("priority", "error_priority_invalid");
            (errors, None)
        }
    }
}

/// Adds an error for an empty or over-long message.
pub fn message(body: &str, errors: &mut FieldErrors) {
    if body.trim().is_empty() {
        errors.add("message", "error_message_required");
    } else if body.chars().count() > MAX_MESSAGE {
        errors.add("message", "error_message_too_long");
    }
}
