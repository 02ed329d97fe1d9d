//! What a report's figures are (`figures` counts them): per period, agent, category and policy,
//! the totals, the heat map, the top requesters and the latest comments.

use serde::Serialize;

use super::range::Period;
use super::stats::Durations;

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
