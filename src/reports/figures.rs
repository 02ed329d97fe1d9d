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

/// Targets met and missed. A target counts once decided: met by the first reply (or closing,
/// for the first response) or the resolution by its due time; missed after it, or when its due
/// time passed while the clock ran without it.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct SlaCounts {
    pub first_response_met: usize,
    pub first_response_missed: usize,
    pub resolution_met: usize,
    pub resolution_missed: usize,
}

/// Resolutions, how many got an answer and how many of those were "good".
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct Csat {
    pub resolutions: usize,
    pub answered: usize,
    pub good: usize,
}

#[derive(Debug, Clone)]
pub struct PeriodFigures {
    pub period: Period,
    pub created: usize,
    pub resolved: usize,
    /// Open at the period's end.
    pub backlog: i64,
    pub first_response: Durations,
    pub resolution: Durations,
    pub sla: SlaCounts,
    pub csat: Csat,
}

#[derive(Debug, Clone, Serialize)]
pub struct Totals {
    pub created: usize,
    pub resolved: usize,
    /// Open at the range's start (its first instant) and end.
    pub backlog_start: i64,
    pub backlog_end: i64,
    pub first_response: Durations,
    pub resolution: Durations,
    pub sla: SlaCounts,
    pub csat: Csat,
}

#[derive(Debug, Clone, Serialize)]
pub struct AgentFigures {
    /// None: resolved while nobody had it.
    pub agent_id: Option<i64>,
    pub first_response: Durations,
    pub resolution: Durations,
    pub csat: Csat,
}

#[derive(Debug, Clone, Serialize)]
pub struct CategoryFigures {
    pub category_id: i64,
    pub created: usize,
    pub first_response: Durations,
    pub resolution: Durations,
}

#[derive(Debug, Clone, Serialize)]
pub struct PolicyFigures {
    /// None: a policy deleted since.
    pub policy_id: Option<i64>,
    pub sla: SlaCounts,
}

#[derive(Debug, Clone, Serialize)]
pub struct Requester {
    pub email: String,
    pub name: String,
    pub tickets: usize,
}

/// A requester's answer with a comment.
#[derive(Debug, Clone, Serialize)]
pub struct Comment {
    pub resolution_id: i64,
    pub ticket_id: i64,
    pub agent_id: Option<i64>,
    pub rated_at: i64,
    pub good: bool,
    /// Filled in from the survey's table.
    pub comment: String,
}

#[derive(Debug, Clone)]
pub struct Report {
    pub periods: Vec<PeriodFigures>,
    pub totals: Totals,
    pub agents: Vec<AgentFigures>,
    pub categories: Vec<CategoryFigures>,
    pub policies: Vec<PolicyFigures>,
    /// Tickets created per weekday (Monday first) and hour of the day, in the viewer's zone.
    pub heat: Vec<[usize; 24]>,
    pub requesters: Vec<Requester>,
    pub comments: Vec<Comment>,
}

/// How many requesters and comments are listed.
pub const TOP: usize = 10;

/// The conditions every read shares: the viewer's categories and the category, priority and
/// channel asked for, on the table aliased `alias` (both tables name the columns alike). The
/// agent is filtered per figure, in memory (each figure has its own agent column).
fn dims(scope: &Scope, alias: &str) -> (String, Vec<Value>) {
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
        requesters: requesters(conn, scope)?,
        comments: comments(conn, scope)?,
    })
}

/// The requesters who opened the most tickets in the range (agent: the assignee now), with the
/// name of each one's latest ticket. Counted here over the index's rows, borrowing each address
/// (a few hundred people open most tickets; SQLite's GROUP BY sorted them, case-folded, slower).
fn requesters(conn: &Connection, scope: &Scope) -> Result<Vec<Requester>> {
    let (cond, dim_values) = dims(scope, "m");
    let mut values: Vec<Value> = vec![
        Value::Integer(scope.range.start),
        Value::Integer(scope.range.end),
    ];
    values.extend(dim_values);
    let sql = format!(
        "SELECT m.requester_email, m.assignee_id FROM ticket_metrics m
         WHERE m.created_at >= ? AND m.created_at < ?{cond}"
    );
    let agent = scope.filters.agent;
    let mut counts: HashMap<String, usize> = HashMap::new();
    let mut stmt = conn.prepare_cached(&sql)?;
    let mut rows = stmt.query(params_from_iter(values))?;
    while let Some(row) = rows.next()? {
        if agent.is_some() && row.get::<_, Option<i64>>(1)? != agent {
            continue;
        }
        let email = row.get_ref(0)?.as_str().unwrap_or("");
        let folded;
        let key = if email.bytes().any(|b| b.is_ascii_uppercase()) {
            folded = email.to_ascii_lowercase();
            folded.as_str()
        } else {
            email
        };
        match counts.get_mut(key) {
            Some(n) => *n += 1,
            None => {
                counts.insert(key.to_string(), 1);
            }
        }
    }
    let mut top: Vec<(String, usize)> = counts.into_iter().collect();
    top.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
    top.truncate(TOP);
    top.into_iter()
        .map(|(email, tickets)| {
            Ok(Requester {
                name: crate::tickets::store::requester_name(conn, &email)?.unwrap_or_default(),
                email,
                tickets,
            })
        })
        .collect()
}

/// The latest answers with a comment about the range's resolutions, newest first.
fn comments(conn: &Connection, scope: &Scope) -> Result<Vec<Comment>> {
    let agent = scope.filters.agent;
    let (agent_sql, agent_value) = match agent {
        Some(a) => (" AND r.agent_id = ?", vec![a]),
        None => ("", Vec::new()),
    };
    let (cond, dim_values) = dims(scope, "r");
    let mut values: Vec<Value> = vec![
        Value::Integer(scope.range.start),
        Value::Integer(scope.range.end),
    ];
    values.extend(dim_values);
    values.extend(agent_value.into_iter().map(Value::Integer));
    let sql = format!(
        "SELECT r.resolution_id, r.ticket_id, r.agent_id, r.rated_at, r.rating = 'good'
         FROM resolution_metrics r INDEXED BY resolution_metrics_comments
         WHERE r.resolved_at >= ? AND r.resolved_at < ? AND r.has_comment = 1{cond}{agent_sql}
         ORDER BY r.rated_at DESC, r.resolution_id DESC LIMIT {TOP}"
    );
    let mut found = conn
        .prepare_cached(&sql)?
        .query_map(params_from_iter(values), |r| {
            Ok(Comment {
                resolution_id: r.get(0)?,
                ticket_id: r.get(1)?,
                agent_id: r.get(2)?,
                rated_at: r.get::<_, Option<i64>>(3)?.unwrap_or(0),
                good: r.get(4)?,
                comment: String::new(),
            })
        })?
        .collect::<rusqlite::Result<Vec<_>>>()?;
    for c in &mut found {
        c.comment = crate::tickets::csat::comment(conn, c.resolution_id)?;
    }
    Ok(found)
}
