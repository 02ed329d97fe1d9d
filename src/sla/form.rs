//! The policy form of Admin > SLA, checked: what was typed, and either the policy to save or
//! each problem next to its field. Nothing is saved while any field is wrong.

use rusqlite::{Connection, OptionalExtension};

use super::policies::{self, NewPolicy, NewStep};
use super::{Action, Target, Targets};
use crate::error::{FieldErrors, Result};

/// Escalation steps a policy may have (rows on the form).
pub const MAX_STEPS: usize = 4;

/// The longest target: a year.
pub const MAX_MINUTES: i64 = 525_600;

pub const MAX_NAME: usize = 100;

/// The names errors are shown under for each step row, first row first.
pub struct StepFields {
    pub target: &'static str,
    pub percent: &'static str,
    pub action: &'static str,
    pub staff: &'static str,
}

pub const STEP_FIELDS: [StepFields; MAX_STEPS] = [
    StepFields {
        target: "step1_target",
        percent: "step1_percent",
        action: "step1_action",
        staff: "step1_staff",
    },
    StepFields {
        target: "step2_target",
        percent: "step2_percent",
        action: "step2_action",
        staff: "step2_staff",
    },
    StepFields {
        target: "step3_target",
        percent: "step3_percent",
        action: "step3_action",
        staff: "step3_staff",
    },
    StepFields {
        target: "step4_target",
        percent: "step4_percent",
        action: "step4_action",
        staff: "step4_staff",
    },
];

/// The form as typed.
#[derive(Debug, Clone, Default)]
pub struct PolicyInput {
    pub name: String,
    pub priority: String,
    /// Empty: any category.
    pub category: String,
    pub first_response_minutes: String,
    pub resolution_minutes: String,
    pub business_hours: bool,
    /// The step rows, first first; a row without an action is unused.
    pub steps: Vec<StepInput>,
}

#[derive(Debug, Clone, Default)]
pub struct StepInput {
    pub target: String,
    pub percent: String,
    pub action: String,
    pub staff: String,
}

/// A whole number of minutes in 1..=MAX_MINUTES.
fn minutes(text: &str) -> Option<i64> {
    text.trim()
        .parse::<i64>()
        .ok()
        .filter(|m| (1..=MAX_MINUTES).contains(m))
}

fn exists(conn: &Connection, sql: &str, id: i64) -> Result<bool> {
    Ok(conn
        .prepare_cached(sql)?
        .query_row([id], |_| Ok(()))
        .optional()?
        .is_some())
}

/// The policy `input` describes, or its problems. `except` is the policy being edited (it may
/// keep its own priority and category).
pub fn check(
    conn: &Connection,
    input: &PolicyInput,
    except: Option<i64>,
) -> Result<std::result::Result<NewPolicy, FieldErrors>> {
    let mut errors = FieldErrors::new();
    let name = input.name.trim();
    let name_ok =
        !name.is_empty() && name.chars().count() <= MAX_NAME && !name.chars().any(char::is_control);
    if !name_ok {
        errors.add("name", "admin_error_name");
    }
    let priority = input.priority.trim().parse::<i64>().ok();
    let priority = match priority {
        Some(id) if exists(conn, "SELECT 1 FROM priorities WHERE id = ?1", id)? => Some(id),
        _ => {
            errors.add("priority", "admin_error_priority_unknown");
            None
        }
    };
    let category = match input.category.trim() {
        "" => Some(None),
        text => match text.parse::<i64>() {
            Ok(id) if exists(conn, "SELECT 1 FROM categories WHERE id = ?1", id)? => Some(Some(id)),
            _ => {
                errors.add("category", "admin_error_sla_category");
                None
            }
        },
    };
    if let (Some(p), Some(c)) = (priority, category)
        && policies::match_taken(conn, p, c, except)?
    {
        errors.add("category", "admin_error_sla_taken");
    }
    let first_response = minutes(&input.first_response_minutes);
    if first_response.is_none() {
        errors.add("first_response_minutes", "admin_error_sla_minutes");
    }
    let resolution = minutes(&input.resolution_minutes);
    if resolution.is_none() {
        errors.add("resolution_minutes", "admin_error_sla_minutes");
    }
    let mut steps = Vec::new();
    for (i, (row, fields)) in input.steps.iter().zip(&STEP_FIELDS).enumerate() {
        if let Some(step) = check_step(conn, row, fields, i, category.flatten(), &mut errors)? {
            steps.push(step);
        }
    }
    match (priority, category, first_response, resolution) {
        (Some(priority_id), Some(category_id), Some(first), Some(resolution))
            if errors.is_empty() =>
        {
            Ok(Ok(NewPolicy {
                name: name.to_string(),
                priority_id,
                category_id,
                targets: Targets {
                    first_response_minutes: first,
                    resolution_minutes: resolution,
                    business_hours: input.business_hours,
                },
                steps,
            }))
        }
        _ => Ok(Err(errors)),
    }
}

/// One step row: None when unused (no action chosen) or wrong (its problems are in `errors`).
fn check_step(
    conn: &Connection,
    row: &StepInput,
    fields: &StepFields,
    index: usize,
    category: Option<i64>,
    errors: &mut FieldErrors,
) -> Result<Option<NewStep>> {
    if row.action.trim().is_empty() {
        return Ok(None);
    }
    let action = Action::parse(row.action.trim());
    if action.is_none() {
        errors.add(fields.action, "admin_error_sla_action");
    }
    let target = Target::parse(row.target.trim());
    if target.is_none() {
        errors.add(fields.target, "admin_error_sla_target");
    }
    let percent = row
        .percent
        .trim()
        .parse::<i64>()
        .ok()
        .filter(|p| (1..=100).contains(p));
    if percent.is_none() {
        errors.add(fields.percent, "admin_error_sla_percent");
    }
    let mut staff_id = None;
    if action == Some(Action::Reassign) {
        let chosen = row.staff.trim().parse::<i64>().ok();
        let fits = match chosen {
            Some(id) => {
                let active = crate::tickets::store::staff_active(conn, id)? == Some(true);
                let works = match category {
                    Some(c) => crate::auth::access::staff_may_see(conn, id, c)?,
                    None => true,
                };
                active && works
            }
            None => false,
        };
        if fits {
            staff_id = chosen;
        } else {
            errors.add(fields.staff, "admin_error_sla_staff");
        }
    }
    Ok(match (target, percent, action) {
        (Some(target), Some(at_percent), Some(action)) => Some(NewStep {
            slot: index as i64 + 1,
            target,
            at_percent,
            action,
            staff_id,
        }),
        _ => None,
    })
}
