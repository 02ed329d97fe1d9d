//! Service-level escalation mail (`crate::sla::escalate`): to the assignee, the category's agents
//! or the admins, whatever their notification preferences, each in their language and zone.

use rusqlite::Connection;
use serde_json::json;

use super::templates::Kind;
use super::{MailCtx, audience_of, load, queue, recipient, staff_member_of};
use crate::error::Result;

/// Whom a service-level escalation mails.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StaffGroup {
    /// The ticket's assignee; the category's agents while nobody has it.
    Assignee,
    /// The agents of the ticket's category; every staff member when it has none.
    CategoryAgents,
    /// Every active admin.
    Admins,
}

/// What an escalation mail says: which target of which policy reached what share, and when it
/// is (was) due.
#[derive(Debug, Clone, Copy)]
pub struct Escalation<'a> {
    pub policy: &'a str,
    /// `first_response` or `resolution`.
    pub target: &'a str,
    /// 100: the target is breached.
    pub percent: i64,
    pub due_at: i64,
}

/// An escalation mail about a ticket to `group`, whatever their notification preferences, each
/// in their language and zone. Returns how many were queued (none while mail is off).
pub fn sla_escalation(
    conn: &Connection,
    ctx: &MailCtx,
    ticket_id: i64,
    group: StaffGroup,
    escalation: &Escalation<'_>,
) -> Result<usize> {
    if !ctx.enabled(conn)? {
        return Ok(0);
    }
    let (ticket, _) = load(conn, ticket_id)?;
    let category = ticket.category_id;
    let to = match (group, ticket.assignee_id) {
        (StaffGroup::Assignee, Some(id)) => staff_member_of(conn, None, id, category)?
            .into_iter()
            .collect(),
        (StaffGroup::Assignee | StaffGroup::CategoryAgents, _) => {
            audience_of(conn, None, category, None)?
        }
        (StaffGroup::Admins, _) => conn
            .prepare_cached(
                "SELECT email, lang, timezone FROM staff WHERE active = 1 AND role = 'admin'
                 ORDER BY id",
            )?
            .query_map([], recipient)?
            .collect::<rusqlite::Result<Vec<_>>>()?,
    };
    let kind = if escalation.percent >= 100 {
        Kind::SlaBreached
    } else {
        Kind::SlaWarning
    };
    let extra = json!({
        "policy": escalation.policy, "target": escalation.target,
        "percent": escalation.percent, "due_at": escalation.due_at,
    });
    for agent in &to {
        queue(conn, ctx, &ticket, agent, kind, extra.clone())?;
    }
    Ok(to.len())
}
