//! The demo's service levels (`helpdesk demo`): five policies for a desk that has none.

use rusqlite::Connection;

use crate::error::Result;
use crate::sla::policies::NewPolicy;
use crate::sla::{self, Targets};

/// One of the demo's service levels.
struct DemoPolicy {
    name: &'static str,
    priority: &'static str,
    /// None: any category.
    category: Option<&'static str>,
    first_response_minutes: i64,
    resolution_minutes: i64,
    business_hours: bool,
}

const fn policy(
    name: &'static str,
    priority: &'static str,
    category: Option<&'static str>,
    minutes: (i64, i64),
    business_hours: bool,
) -> DemoPolicy {
    DemoPolicy {
        name,
        priority,
        category,
        first_response_minutes: minutes.0,
        resolution_minutes: minutes.1,
        business_hours,
    }
}

/// The demo's service levels: five policies, the count the submission budget is measured with;
/// no escalation steps, so starting a server on demo data mails nobody.
const SLA_POLICIES: &[DemoPolicy] = &[
    policy(
        "Critical, around the clock",
        "critical",
        None,
        (30, 240),
        false,
    ),
    policy("High", "high", None, (60, 480), true),
    policy(
        "High, Network & Wi-Fi",
        "high",
        Some("Network & Wi-Fi"),
        (30, 240),
        true,
    ),
    policy("Medium", "medium", None, (240, 1440), true),
    policy("Low", "low", None, (480, 2400), true),
];

/// Adds the demo's service levels to a desk that has none.
pub fn add_policies(c: &Connection, now: i64) -> Result<()> {
    if !sla::policies::all(c)?.is_empty() {
        return Ok(());
    }
    for p in SLA_POLICIES {
        let priority_id: i64 = c.query_row(
            "SELECT id FROM priorities WHERE slug = ?1",
            [p.priority],
            |r| r.get(0),
        )?;
        let category_id: Option<i64> = match p.category {
            Some(name) => Some(c.query_row(
                "SELECT id FROM categories WHERE name = ?1",
                [name],
                |r| r.get(0),
            )?),
            None => None,
        };
        let policy = NewPolicy {
            name: p.name.to_string(),
            priority_id,
            category_id,
            targets: Targets {
                first_response_minutes: p.first_response_minutes,
                resolution_minutes: p.resolution_minutes,
                business_hours: p.business_hours,
            },
            steps: Vec::new(),
        };
        sla::save_policy(c, None, &policy, now)?;
    }
    Ok(())
}
