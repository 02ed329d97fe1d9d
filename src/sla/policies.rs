//! Every statement on `sla_policies` and `sla_escalations`: the policies with their steps, for
//! the clocks and for Admin > SLA.

use rusqlite::{Connection, OptionalExtension, params};

use super::{Action, Policy, Step, Target, Targets};
use crate::error::Result;

/// A policy as saved from the form (already checked: see `form`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewPolicy {
    pub name: String,
    pub priority_id: i64,
    pub category_id: Option<i64>,
    pub targets: Targets,
    pub steps: Vec<NewStep>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewStep {
    pub slot: i64,
    pub target: Target,
    pub at_percent: i64,
    pub action: Action,
    pub staff_id: Option<i64>,
}

impl NewStep {
    fn same_as(&self, step: &Step) -> bool {
        self.target == step.target
            && self.at_percent == step.at_percent
            && self.action == step.action
            && self.staff_id == step.staff_id
    }
}

fn policy_from_row(r: &rusqlite::Row<'_>) -> rusqlite::Result<Policy> {
    Ok(Policy {
        id: r.get(0)?,
        name: r.get(1)?,
        priority_id: r.get(2)?,
        category_id: r.get(3)?,
        targets: Targets {
            first_response_minutes: r.get(4)?,
            resolution_minutes: r.get(5)?,
            business_hours: r.get(6)?,
        },
        steps: Vec::new(),
    })
}

/// Every policy with its steps: the most urgent priority first, a category's own policy before
/// the one for any category.
pub fn all(conn: &Connection) -> Result<Vec<Policy>> {
    let mut policies = conn
        .prepare_cached(
            "SELECT s.id, s.name, s.priority_id, s.category_id, s.first_response_minutes,
                    s.resolution_minutes, s.business_hours
             FROM sla_policies s JOIN priorities p ON p.id = s.priority_id
             ORDER BY p.rank DESC, s.category_id IS NULL, s.name, s.id",
        )?
        .query_map([], policy_from_row)?
        .collect::<rusqlite::Result<Vec<_>>>()?;
    let mut stmt = conn.prepare_cached(
        "SELECT id, policy_id, slot, target, at_percent, action, staff_id FROM sla_escalations
         ORDER BY policy_id, slot",
    )?;
    let steps = stmt.query_map([], |r| Ok((r.get::<_, i64>(1)?, step_from_row(r)?)))?;
    for row in steps {
        let (policy_id, step) = row?;
        if let (Some(policy), Some(step)) = (policies.iter_mut().find(|p| p.id == policy_id), step)
        {
            policy.steps.push(step);
        }
    }
    Ok(policies)
}

/// A step row (id, policy_id, slot, target, at_percent, action, staff_id); None for values the
/// table's checks keep out.
fn step_from_row(r: &rusqlite::Row<'_>) -> rusqlite::Result<Option<Step>> {
    let target: String = r.get(3)?;
    let action: String = r.get(5)?;
    Ok(match (Target::parse(&target), Action::parse(&action)) {
        (Some(target), Some(action)) => Some(Step {
            id: r.get(0)?,
            slot: r.get(2)?,
            target,
            at_percent: r.get(4)?,
            action,
            staff_id: r.get(6)?,
        }),
        _ => None,
    })
}

/// Whether the desk has any service-level policy (the agent home shows deadlines only then).
pub fn any(conn: &Connection) -> Result<bool> {
    Ok(conn
        .prepare_cached("SELECT EXISTS (SELECT 1 FROM sla_policies)")?
        .query_row([], |r| r.get(0))?)
}

pub fn get(conn: &Connection, id: i64) -> Result<Option<Policy>> {
    Ok(all(conn)?.into_iter().find(|p| p.id == id))
}

/// Whether another policy (not `except`) is for this priority and category (None: any).
pub fn match_taken(
    conn: &Connection,
    priority_id: i64,
    category_id: Option<i64>,
    except: Option<i64>,
) -> Result<bool> {
    Ok(conn
        .prepare_cached(
            "SELECT 1 FROM sla_policies
             WHERE priority_id = ?1 AND category_id IS ?2 AND id IS NOT ?3",
        )?
        .query_row(params![priority_id, category_id, except], |_| Ok(()))
        .optional()?
        .is_some())
}

pub fn insert(conn: &Connection, policy: &NewPolicy, now: i64) -> Result<i64> {
    conn.prepare_cached(
        "INSERT INTO sla_policies (name, priority_id, category_id, first_response_minutes,
             resolution_minutes, business_hours, created_at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
    )?
    .execute(params![
        policy.name,
        policy.priority_id,
        policy.category_id,
        policy.targets.first_response_minutes,
        policy.targets.resolution_minutes,
        policy.targets.business_hours,
        now
    ])?;
    let id = conn.last_insert_rowid();
    set_steps(conn, id, &[], &policy.steps)?;
    Ok(id)
}

/// Saves the policy; false when there is none with this id.
pub fn update(conn: &Connection, id: i64, policy: &NewPolicy) -> Result<bool> {
    let Some(old) = get(conn, id)? else {
        return Ok(false);
    };
    conn.prepare_cached(
        "UPDATE sla_policies SET name = ?2, priority_id = ?3, category_id = ?4,
             first_response_minutes = ?5, resolution_minutes = ?6, business_hours = ?7
         WHERE id = ?1",
    )?
    .execute(params![
        id,
        policy.name,
        policy.priority_id,
        policy.category_id,
        policy.targets.first_response_minutes,
        policy.targets.resolution_minutes,
        policy.targets.business_hours,
    ])?;
    set_steps(conn, id, &old.steps, &policy.steps)?;
    Ok(true)
}

/// Replaces the policy's steps slot by slot: a step saved as it was keeps its id (and the record
/// of the tickets it fired on); a changed one is a new step, which fires on every ticket that
/// has reached it.
fn set_steps(conn: &Connection, policy_id: i64, old: &[Step], new: &[NewStep]) -> Result<()> {
    let mut delete = conn.prepare_cached("DELETE FROM sla_escalations WHERE id = ?1")?;
    for step in old {
        let kept = new.iter().any(|n| n.slot == step.slot && n.same_as(step));
        if !kept {
            delete.execute([step.id])?;
        }
    }
    let mut insert = conn.prepare_cached(
        "INSERT INTO sla_escalations (policy_id, slot, target, at_percent, action, staff_id)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
    )?;
    for step in new {
        let kept = old.iter().any(|o| o.slot == step.slot && step.same_as(o));
        if !kept {
            insert.execute(params![
                policy_id,
                step.slot,
                step.target.as_str(),
                step.at_percent,
                step.action.as_str(),
                step.staff_id
            ])?;
        }
    }
    Ok(())
}

/// Deletes the policy and its steps; its tickets keep their due times. False when there was none.
pub fn delete(conn: &Connection, id: i64) -> Result<bool> {
    let n = conn
        .prepare_cached("DELETE FROM sla_policies WHERE id = ?1")?
        .execute([id])?;
    Ok(n == 1)
}
