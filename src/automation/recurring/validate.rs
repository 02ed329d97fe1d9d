//! The rules a recurring ticket's form must meet: its problems come back as `FieldErrors`, each
//! next to its field, and nothing is saved while there is one.

use super::Template;
use super::schedule::{Repeat, Schedule, ScheduleError, WEEKDAY_NAMES, Weekdays};
use crate::desk_time::calendar::parse_clock;
use crate::error::FieldErrors;
use crate::i18n::Lang;
use crate::tickets::RefData;
use crate::tickets::validate::{MAX_NAME, MAX_SUBJECT, message};
use crate::util::looks_like_email;

/// Longest schedule name.
pub const MAX_SCHEDULE_NAME: usize = 100;

/// The form as typed.
#[derive(Debug, Clone, Default)]
pub struct Input {
    pub name: String,
    pub subject: String,
    pub message: String,
    pub category: String,
    pub priority: String,
    /// Empty: nobody (the category's auto-assignment decides).
    pub assignee: String,
    pub requester_name: String,
    pub requester_email: String,
    pub lang: String,
    /// `daily`, `weekly` or `monthly`.
    pub repeat: String,
    /// Weekly: the ticked weekdays (`mon` ... `sun`).
    pub weekdays: Vec<String>,
    /// Monthly: 1–31.
    pub day_of_month: String,
    /// `HH:MM`, local to the desk's zone.
    pub time: String,
}

/// Trimmed text of 1..=max characters without control characters, or None.
fn line(s: &str, max: usize) -> Option<String> {
    let s = s.trim();
    let n = s.chars().count();
    (n >= 1 && n <= max && !s.chars().any(char::is_control)).then(|| s.to_string())
}

fn schedule(input: &Input, errors: &mut FieldErrors) -> Option<Schedule> {
    let minute = parse_clock(&input.time, false);
    if minute.is_none() {
        errors.add("time", "recurring_error_time");
    }
    let repeat = match input.repeat.trim() {
        "daily" => Some(Repeat::Daily),
        "weekly" => {
            // Each ticked box is one name; an unknown one spoils the set.
            let days = input
                .weekdays
                .iter()
                .try_fold(Weekdays::default(), |all, d| {
                    let i = WEEKDAY_NAMES.iter().position(|n| *n == d.trim())?;
                    Some(all.with(i))
                });
            match days {
                Some(days) => Some(Repeat::Weekly(days)),
                None => {
                    errors.add("weekdays", "recurring_error_weekdays");
                    None
                }
            }
        }
        "monthly" => match input.day_of_month.trim().parse::<u8>() {
            Ok(day) => Some(Repeat::Monthly(day)),
            Err(_) => {
                errors.add("day_of_month", "recurring_error_day_of_month");
                None
            }
        },
        _ => {
            errors.add("repeat", "recurring_error_repeat");
            None
        }
    };
    // Checked with any time when the time itself is wrong, so each field gets its own error.
    match Schedule::new(repeat?, minute.unwrap_or(0)) {
        Ok(s) => minute.map(|_| s),
        Err(ScheduleError::NoWeekday) => {
            errors.add("weekdays", "recurring_error_weekdays");
            None
        }
        Err(ScheduleError::BadDayOfMonth) => {
            errors.add("day_of_month", "recurring_error_day_of_month");
            None
        }
        Err(ScheduleError::BadTime) => {
            errors.add("time", "recurring_error_time");
            None
        }
    }
}

/// The template and schedule `input` describes, or every problem with it. The category must be
/// active, the assignee (if any) an active staff member who works that category.
pub fn template(input: &Input, refdata: &RefData) -> Result<Template, FieldErrors> {
    let mut errors = FieldErrors::new();
    let name = line(&input.name, MAX_SCHEDULE_NAME);
    if name.is_none() {
        errors.add("name", "recurring_error_name");
    }
    let subject = line(&input.subject, MAX_SUBJECT);
    if subject.is_none() {
        errors.add("subject", "error_subject_required");
    }
    message(&input.message, &mut errors);
    let category = input
        .category
        .trim()
        .parse::<i64>()
        .ok()
        .and_then(|id| refdata.category(id))
        .filter(|c| c.active);
    if category.is_none() {
        errors.add("category", "recurring_error_category");
    }
    let priority = input
        .priority
        .trim()
        .parse::<i64>()
        .ok()
        .and_then(|id| refdata.priority(id));
    if priority.is_none() {
        errors.add("priority", "error_priority_invalid");
    }
    let assignee = match input.assignee.trim() {
        "" => Ok(None),
        id => id
            .parse::<i64>()
            .ok()
            .and_then(|id| refdata.agent(id))
            .filter(|a| a.active)
            .map(Some)
            .ok_or("recurring_error_assignee"),
    };
    let assignee = match (assignee, category) {
        (Ok(Some(a)), Some(c)) if !a.access.allows(c.id) => Err("error_assignee_category"),
        (other, _) => other,
    };
    let assignee = assignee.unwrap_or_else(|key| {
        errors.add("assignee", key);
        None
    });
    let requester_name = line(&input.requester_name, MAX_NAME);
    if requester_name.is_none() {
        errors.add("requester_name", "recurring_error_requester_name");
    }
    let email = input.requester_email.trim();
    if !looks_like_email(email) {
        errors.add("requester_email", "error_email_invalid");
    }
    let lang = Lang::from_code(&input.lang).filter(|l| l.code() == input.lang.trim());
    if lang.is_none() {
        errors.add("lang", "recurring_error_lang");
    }
    let schedule = schedule(input, &mut errors);
    match (
        name,
        subject,
        category,
        priority,
        requester_name,
        lang,
        schedule,
    ) {
        (
            Some(name),
            Some(subject),
            Some(c),
            Some(p),
            Some(requester_name),
            Some(lang),
            Some(s),
        ) if errors.is_empty() => Ok(Template {
            name,
            subject,
            message: input.message.trim().to_string(),
            category_id: c.id,
            priority_id: p.id,
            assignee_id: assignee.map(|a| a.id),
            requester_name,
            requester_email: email.to_string(),
            lang,
            schedule: s,
        }),
        _ => Err(errors),
    }
}
