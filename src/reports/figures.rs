//! A report's figures, from the stored facts (`metrics`): a few reads of one time index each
//! (tickets created since the range began, first responses within it, resolutions and
//! reopenings since it began, the tickets open now), then everything else counted in memory,
//! per period, agent, category and policy. At 100,000 tickets a 90-day range reads some
//! thousands of narrow rows per table.
//!
//! Who counts as "the agent" depends on the figure, as each says on the page: the assignee now
//! for tickets created, the backlog and service levels; whoever wrote the first reply for the
//! first response; whoever had the ticket when it was resolved for the time to resolution and
//! satisfaction.

use std::collections::HashMap;

use jiff::tz::TimeZone;
use rusqlite::types::Value;
use rusqlite::{Connection, params_from_iter};
use serde::Serialize;

pub use super::model::*;
use super::range::{Period, Range, weekday_index};
use super::stats::{Durations, Samples};
use crate::auth::access::Access;
use crate::error::Result;

/// The filters of a report (None: any).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Filters {
    pub category: Option<i64>,
    pub priority: Option<i64>,
    pub agent: Option<i64>,
    pub channel: Option<String>,
}

/// What a report covers, for whom.
#[derive(Debug, Clone)]
pub struct Scope {
    pub range: Range,
    pub periods: Vec<Period>,
    pub filters: Filters,
    /// The viewer's categories: nothing outside them is counted.
    pub access: Access,
    /// Set for an agent: the per-agent tables show only this one (their own figures).
    pub only_agent: Option<i64>,
    pub zone: TimeZone,
    pub now: i64,
}

/// How many requesters and comments are listed.
pub const TOP: usize = 10;

/// The conditions every read shares: the viewer's categories and the category, priority and
/// channel asked for, on the table aliased `alias` (both tables name the columns alike). The
/// agent is filtered per figure, in memory (each figure has its own agent column).
pub(super) fn dims(scope: &Scope, alias: &str) -> (String, Vec<Value>) {
    let mut parts = Vec::new();
    let mut values = Vec::new();
    if let Some(c) = scope.access.sql_condition(&format!("{alias}.category_id")) {
        parts.push(c);
    }
    let f = &scope.filters;
    if let Some(c) = f.category {
        parts.push(format!("{alias}.category_id = ?"));
        values.push(Value::Integer(c));
    }
    if let Some(p) = f.priority {
        parts.push(format!("{alias}.priority_id = ?"));
        values.push(Value::Integer(p));
    }
    if let Some(ch) = &f.channel {
        parts.push(format!("{alias}.channel = ?"));
        values.push(Value::Text(ch.clone()));
    }
    let sql = parts
        .iter()
        .map(|p| format!(" AND {p}"))
        .collect::<String>();
    (sql, values)
}

/// Runs `sql` (which starts with one `?` for a time) with the shared conditions appended.
fn rows<T>(
    conn: &Connection,
    scope: &Scope,
    sql: &str,
    alias: &str,
    times: &[i64],
    tail: &str,
    map: impl FnMut(&rusqlite::Row<'_>) -> rusqlite::Result<T>,
) -> Result<Vec<T>> {
    let (cond, dim_values) = dims(scope, alias);
    let mut values: Vec<Value> = times.iter().map(|t| Value::Integer(*t)).collect();
    values.extend(dim_values);
    let sql = format!("{sql}{cond} {tail}");
    let out = conn
        .prepare_cached(&sql)?
        .query_map(params_from_iter(values), map)?
        .collect::<rusqlite::Result<Vec<T>>>()?;
    Ok(out)
}

struct Created {
    at: i64,
    category_id: i64,
    assignee_id: Option<i64>,
    policy_id: Option<i64>,
    first_response_at: Option<i64>,
    resolved_at: Option<i64>,
    first_response_due_at: Option<i64>,
    resolution_due_at: Option<i64>,
    paused_at: Option<i64>,
}

struct FirstResponse {
    at: i64,
    by: Option<i64>,
    category_id: i64,
    secs: i64,
    minutes: i64,
}

struct Resolved {
    at: i64,
    agent_id: Option<i64>,
    assignee_id: Option<i64>,
    category_id: i64,
    secs: i64,
    minutes: i64,
    /// The answer: good (true), bad (false) or none.
    good: Option<bool>,
}

/// Whether a target was met (Some(true)), missed (Some(false)) or is not decided yet (None):
/// `achieved` is when it was met, if it was, against `due`; `paused_at` is set while its clock
/// stands still (a target not due when it stopped is not missed).
fn target_outcome(
    achieved: Option<i64>,
    due: Option<i64>,
    paused_at: Option<i64>,
    now: i64,
) -> Option<bool> {
    let due = due?;
    match achieved {
        Some(at) => Some(at <= due),
        None if due < now && paused_at.is_none_or(|p| p > due) => Some(false),
        None => None,
    }
}

impl Created {
    fn sla(&self, now: i64) -> SlaCounts {
        let mut c = SlaCounts::default();
        let achieved = self.first_response_at.or(self.resolved_at);
        match target_outcome(achieved, self.first_response_due_at, self.paused_at, now) {
            Some(true) => c.first_response_met = 1,
            Some(false) => c.first_response_missed = 1,
            None => {}
        }
        match target_outcome(
            self.resolved_at,
            self.resolution_due_at,
            self.paused_at,
            now,
        ) {
            Some(true) => c.resolution_met = 1,
            Some(false) => c.resolution_missed = 1,
            None => {}
        }
        c
    }
}

impl SlaCounts {
    fn add(&mut self, o: SlaCounts) {
        self.first_response_met += o.first_response_met;
        self.first_response_missed += o.first_response_missed;
        self.resolution_met += o.resolution_met;
        self.resolution_missed += o.resolution_missed;
    }
}

impl Csat {
    fn add(&mut self, good: Option<bool>) {
        self.resolutions += 1;
        if let Some(good) = good {
            self.answered += 1;
            self.good += usize::from(good);
        }
    }
}

/// The index of the period holding instant `t`, if any (periods are in order and touch).
fn period_of(periods: &[Period], t: i64) -> Option<usize> {
    let i = periods.partition_point(|p| p.end <= t);
    periods.get(i).filter(|p| p.start <= t).map(|_| i)
}

/// How many of `sorted` are at or after `t`.
fn at_or_after(sorted: &[i64], t: i64) -> i64 {
    (sorted.len() - sorted.partition_point(|&x| x < t)) as i64
}

pub fn compute(conn: &Connection, scope: &Scope) -> Result<Report> {
    let (start, end, now) = (scope.range.start, scope.range.end, scope.now);
    let agent = scope.filters.agent;
    let agent_ok = |id: Option<i64>| agent.is_none() || id == agent;

    // The range's tickets, first responses and resolutions.
    let created = rows(
        conn,
        scope,
        "SELECT m.created_at, m.category_id, m.assignee_id, m.sla_policy_id, m.first_response_at,
                m.resolved_at, m.first_response_due_at, m.resolution_due_at, m.sla_paused_at
         FROM ticket_metrics m WHERE m.created_at >= ? AND m.created_at < ?",
        "m",
        &[start, end],
        "",
        |r| {
            Ok(Created {
                at: r.get(0)?,
                category_id: r.get(1)?,
                assignee_id: r.get(2)?,
                policy_id: r.get(3)?,
                first_response_at: r.get(4)?,
                resolved_at: r.get(5)?,
                first_response_due_at: r.get(6)?,
                resolution_due_at: r.get(7)?,
                paused_at: r.get(8)?,
            })
        },
    )?;
    let responses = rows(
        conn,
        scope,
        "SELECT m.first_response_at, m.first_response_by, m.category_id, m.first_response_secs,
                m.first_response_minutes
         FROM ticket_metrics m WHERE m.first_response_at >= ? AND m.first_response_at < ?",
        "m",
        &[start, end],
        "",
        |r| {
            Ok(FirstResponse {
                at: r.get(0)?,
                by: r.get(1)?,
                category_id: r.get(2)?,
                secs: r.get::<_, Option<i64>>(3)?.unwrap_or(0),
                minutes: r.get::<_, Option<i64>>(4)?.unwrap_or(0),
            })
        },
    )?;
    let resolved = rows(
        conn,
        scope,
        "SELECT r.resolved_at, r.agent_id, r.assignee_id, r.category_id, r.resolution_secs,
                r.resolution_minutes, r.rating = 'good'
         FROM resolution_metrics r WHERE r.resolved_at >= ? AND r.resolved_at < ?",
        "r",
        &[start, end],
        "",
        |r| {
            Ok(Resolved {
                at: r.get(0)?,
                agent_id: r.get(1)?,
                assignee_id: r.get(2)?,
                category_id: r.get(3)?,
                secs: r.get(4)?,
                minutes: r.get(5)?,
                good: r.get(6)?,
            })
        },
    )?;

    // The backlog: the tickets open now, counted back over what happened since each period's
    // end (tickets created and resolutions after the range too, and reopenings since it began),
    // each by the ticket's assignee now.
    let times = |sql: &str, alias: &str, from: i64| -> Result<Vec<i64>> {
        Ok(rows(conn, scope, sql, alias, &[from], "", |r| {
            Ok((r.get::<_, i64>(0)?, r.get::<_, Option<i64>>(1)?))
        })?
        .into_iter()
        .filter(|(_, a)| agent_ok(*a))
        .map(|(t, _)| t)
        .collect())
    };
    let mut created_times: Vec<i64> = created
        .iter()
        .filter(|c| agent_ok(c.assignee_id))
        .map(|c| c.at)
        .collect();
    created_times.extend(times(
        "SELECT m.created_at, m.assignee_id FROM ticket_metrics m WHERE m.created_at >= ?",
        "m",
        end,
    )?);
    let mut resolved_times: Vec<i64> = resolved
        .iter()
        .filter(|r| agent_ok(r.assignee_id))
        .map(|r| r.at)
        .collect();
    resolved_times.extend(times(
        "SELECT r.resolved_at, r.assignee_id FROM resolution_metrics r WHERE r.resolved_at >= ?",
        "r",
        end,
    )?);
    let mut reopened = times(
        "SELECT r.reopened_at, r.assignee_id FROM resolution_metrics r WHERE r.reopened_at >= ?",
        "r",
        start,
    )?;
    for list in [&mut created_times, &mut resolved_times, &mut reopened] {
        list.sort_unstable();
    }
    let open_now = rows(
        conn,
        scope,
        "SELECT m.assignee_id FROM ticket_metrics m WHERE m.resolved_at IS NULL",
        "m",
        &[],
        "",
        |r| r.get::<_, Option<i64>>(0),
    )?
    .into_iter()
    .filter(|a| agent_ok(*a))
    .count() as i64;
    let open_at = |t: i64| {
        open_now - at_or_after(&created_times, t) + at_or_after(&resolved_times, t)
            - at_or_after(&reopened, t)
    };

    let periods = &scope.periods;
    let n = periods.len();
    let mut per: Vec<PeriodFigures> = periods
        .iter()
        .map(|p| PeriodFigures {
            period: p.clone(),
            created: 0,
            resolved: 0,
            backlog: 0,
            first_response: Durations::default(),
            resolution: Durations::default(),
            sla: SlaCounts::default(),
            csat: Csat::default(),
        })
        .collect();
    let mut fr_per: Vec<Samples> = vec![Samples::default(); n];
    let mut ttr_per: Vec<Samples> = vec![Samples::default(); n];
    let (mut fr_all, mut ttr_all) = (Samples::default(), Samples::default());
    let mut totals_sla = SlaCounts::default();
    let mut totals_csat = Csat::default();
    let mut heat = vec![[0usize; 24]; 7];
    let mut by_category: HashMap<i64, (usize, Samples, Samples)> = HashMap::new();
    let mut by_policy: HashMap<Option<i64>, SlaCounts> = HashMap::new();
    let mut by_agent: HashMap<Option<i64>, (Samples, Samples, Csat)> = HashMap::new();

    for p in per.iter_mut() {
        p.backlog = open_at(p.period.end);
    }

    for c in created.iter().filter(|c| agent_ok(c.assignee_id)) {
        let Some(i) = period_of(periods, c.at) else {
            continue;
        };
        per[i].created += 1;
        let sla = c.sla(now);
        per[i].sla.add(sla);
        totals_sla.add(sla);
        by_policy.entry(c.policy_id).or_default().add(sla);
        by_category.entry(c.category_id).or_default().0 += 1;
        if let Ok(ts) = jiff::Timestamp::from_second(c.at) {
            let local = scope.zone.to_datetime(ts);
            let hour = usize::try_from(local.hour()).unwrap_or(0).min(23);
            heat[weekday_index(local.weekday())][hour] += 1;
        }
    }
    for f in responses.iter().filter(|f| agent_ok(f.by)) {
        let Some(i) = period_of(periods, f.at) else {
            continue;
        };
        fr_per[i].push(f.secs, f.minutes);
        fr_all.push(f.secs, f.minutes);
        by_category
            .entry(f.category_id)
            .or_default()
            .1
            .push(f.secs, f.minutes);
        by_agent.entry(f.by).or_default().0.push(f.secs, f.minutes);
    }
    for r in resolved.iter().filter(|r| agent_ok(r.agent_id)) {
        let Some(i) = period_of(periods, r.at) else {
            continue;
        };
        per[i].resolved += 1;
        per[i].csat.add(r.good);
        totals_csat.add(r.good);
        ttr_per[i].push(r.secs, r.minutes);
        ttr_all.push(r.secs, r.minutes);
        by_category
            .entry(r.category_id)
            .or_default()
            .2
            .push(r.secs, r.minutes);
        let entry = by_agent.entry(r.agent_id).or_default();
        entry.1.push(r.secs, r.minutes);
        entry.2.add(r.good);
    }
    for ((p, fr), ttr) in per.iter_mut().zip(fr_per).zip(ttr_per) {
        p.first_response = fr.summary();
        p.resolution = ttr.summary();
    }

    let mut agents: Vec<AgentFigures> = by_agent
        .into_iter()
        .filter(|(id, _)| scope.only_agent.is_none() || *id == scope.only_agent)
        .map(|(agent_id, (fr, ttr, csat))| AgentFigures {
            agent_id,
            first_response: fr.summary(),
            resolution: ttr.summary(),
            csat,
        })
        .collect();
    agents.sort_by_key(|a| a.agent_id);
    let mut categories: Vec<CategoryFigures> = by_category
        .into_iter()
        .map(|(category_id, (created, fr, ttr))| CategoryFigures {
            category_id,
            created,
            first_response: fr.summary(),
            resolution: ttr.summary(),
        })
        .collect();
    // Busiest first.
    categories.sort_by(|a, b| {
        b.created
            .cmp(&a.created)
            .then(a.category_id.cmp(&b.category_id))
    });
    let mut policies: Vec<PolicyFigures> = by_policy
        .into_iter()
        .filter(|(_, sla)| *sla != SlaCounts::default())
        .map(|(policy_id, sla)| PolicyFigures { policy_id, sla })
        .collect();
    policies.sort_by_key(|p| (p.policy_id.is_none(), p.policy_id));
    let totals = Totals {
        created: per.iter().map(|p| p.created).sum(),
        resolved: per.iter().map(|p| p.resolved).sum(),
        backlog_start: open_at(start),
        backlog_end: per.last().map_or_else(|| open_at(end), |p| p.backlog),
        first_response: fr_all.summary(),
        resolution: ttr_all.summary(),
        sla: totals_sla,
        csat: totals_csat,
    };
    Ok(Report {
        periods: per,
        totals,
        agents,
        categories,
        policies,
        heat,
        requesters: super::lists::requesters(conn, scope)?,
        comments: super::lists::comments(conn, scope)?,
    })
}
