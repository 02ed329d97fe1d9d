//! A report as the page shows it and the CSV files hold it: every figure is a `Table` (columns
//! with a heading for people and a name for machines, cells with the text shown and the raw
//! value exported), built once from the computed report, so the page and each download always
//! agree. Charts are drawn from the same numbers.

use std::collections::HashMap;

use jiff::tz::TimeZone;
use serde::Serialize;

use crate::desk_time::format::{self, Phrases};
use crate::i18n::Lang;
use crate::reports::figures::{Csat, SlaCounts};
use crate::reports::range::Period;
use crate::reports::stats::{Durations, share};
use crate::reports::{Grouping, Report};
use crate::tickets::RefData;

#[derive(Debug, Serialize)]
pub struct Column {
    pub title: String,
    /// The CSV header: stable, English, snake_case.
    #[serde(skip)]
    pub key: String,
    /// Right-aligned.
    pub num: bool,
}

#[derive(Debug, Serialize)]
pub struct Cell {
    pub text: String,
    #[serde(skip)]
    pub raw: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub href: Option<String>,
    /// A number: right-aligned (its column's, set once the table is built).
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub num: bool,
}

#[derive(Debug, Serialize)]
pub struct Table {
    /// Its name in `/staff/reports.csv?table=...` and its anchor on the page.
    pub name: &'static str,
    pub caption: String,
    pub columns: Vec<Column>,
    pub rows: Vec<Vec<Cell>>,
}

impl Table {
    fn new(name: &'static str, caption: String) -> Table {
        Table {
            name,
            caption,
            columns: Vec::new(),
            rows: Vec::new(),
        }
    }

    fn col(&mut self, title: String, key: &str, num: bool) {
        self.columns.push(Column {
            title,
            key: key.to_string(),
            num,
        });
    }

    /// The table as CSV: its column names, then each row's raw values, text neutralised.
    pub fn to_csv(&self) -> crate::error::Result<Vec<u8>> {
        use crate::csv_export::{error, neutralise, writer};
        let mut out = writer(Vec::new());
        out.write_record(self.columns.iter().map(|c| c.key.as_str()))
            .map_err(error)?;
        for row in &self.rows {
            out.write_record(row.iter().map(|c| neutralise(&c.raw)))
                .map_err(error)?;
        }
        out.into_inner()
            .map_err(|e| crate::error::Error::internal(format!("writing the CSV: {e}")))
    }
}

/// What the tables need besides the figures.
pub struct Context<'a> {
    pub lang: Lang,
    pub t: &'a dyn Fn(&str) -> String,
    pub phrases: &'a Phrases,
    pub zone: &'a TimeZone,
    pub refdata: &'a RefData,
    pub grouping: Grouping,
    /// Whether business-hours columns are shown (the desk is not open around the clock).
    pub business: bool,
    pub policies: &'a HashMap<i64, String>,
    pub tracking_ids: &'a HashMap<i64, String>,
    pub articles: &'a [crate::kb::store::Summary],
}

impl Context<'_> {
    fn num(&self, n: impl ToString) -> Cell {
        let s = n.to_string();
        Cell {
            text: s.clone(),
            raw: s,
            href: None,
            num: false,
        }
    }

    fn text(&self, s: &str) -> Cell {
        Cell {
            text: s.to_string(),
            raw: s.to_string(),
            href: None,
            num: false,
        }
    }

    fn none(&self) -> Cell {
        Cell {
            text: "—".into(),
            raw: String::new(),
            href: None,
            num: false,
        }
    }

    fn secs(&self, v: Option<i64>) -> Cell {
        match v {
            Some(s) => Cell {
                text: format::duration(s, self.phrases),
                raw: s.to_string(),
                href: None,
                num: false,
            },
            None => self.none(),
        }
    }

    fn minutes(&self, v: Option<i64>) -> Cell {
        match v {
            Some(m) => Cell {
                text: format::hours(m * 60, self.phrases),
                raw: m.to_string(),
                href: None,
                num: false,
            },
            None => self.none(),
        }
    }

    fn percent(&self, v: Option<f64>) -> Cell {
        match v {
            Some(p) => Cell {
                text: percent_text(p, self.lang),
                raw: format!("{p:.1}"),
                href: None,
                num: false,
            },
            None => self.none(),
        }
    }

    /// The period's name: its day, its week (first and last day) or its month.
    pub fn period_label(&self, p: &Period) -> String {
        match self.grouping {
            Grouping::Day => p.first.to_string(),
            Grouping::Week if p.first == p.last => p.first.to_string(),
            Grouping::Week => format!("{} – {}", p.first, p.last),
            Grouping::Month => p.first.strftime("%Y-%m").to_string(),
        }
    }

    /// A short name under a chart's axis.
    pub fn period_short(&self, p: &Period) -> String {
        match self.grouping {
            Grouping::Day | Grouping::Week => p.first.strftime("%m-%d").to_string(),
            Grouping::Month => p.first.strftime("%Y-%m").to_string(),
        }
    }

    fn period_cells(&self, p: &Period) -> [Cell; 2] {
        let iso = |t: i64| crate::csv_export::iso_in(t, self.zone);
        [
            Cell {
                text: self.period_label(p),
                raw: iso(p.start),
                href: None,
                num: false,
            },
            Cell {
                text: p.last.to_string(),
                raw: iso(p.end),
                href: None,
                num: false,
            },
        ]
    }

    fn agent_name(&self, id: Option<i64>) -> String {
        match id.and_then(|id| self.refdata.agent(id)) {
            Some(a) => a.name.clone(),
            None if id.is_some() => (self.t)("report_unknown_agent"),
            None => (self.t)("report_nobody"),
        }
    }

    pub fn category_name(&self, id: i64) -> String {
        self.refdata
            .category(id)
            .map_or_else(|| format!("#{id}"), |c| c.label.clone())
    }
}

pub fn percent_text(p: f64, lang: Lang) -> String {
    let s = format!("{p:.1} %");
    match lang {
        Lang::Es => s.replace('.', ","),
        Lang::En => s.replace(" %", "%"),
    }
}

/// Adds the columns of a set of durations: count, median and 90th percentile, in calendar and
/// (when shown) business time.
fn duration_columns(t: &mut Table, c: &Context<'_>, prefix: &str, what: &str) {
    let tr = |k: &str| (c.t)(k).replace("{what}", what);
    t.col(tr("report_col_count"), &format!("{prefix}_count"), true);
    t.col(
        tr("report_col_median"),
        &format!("{prefix}_median_seconds"),
        true,
    );
    t.col(tr("report_col_p90"), &format!("{prefix}_p90_seconds"), true);
    if c.business {
        t.col(
            tr("report_col_median_business"),
            &format!("{prefix}_median_business_minutes"),
            true,
        );
        t.col(
            tr("report_col_p90_business"),
            &format!("{prefix}_p90_business_minutes"),
            true,
        );
    }
}

fn duration_cells(c: &Context<'_>, d: &Durations) -> Vec<Cell> {
    let mut cells = vec![c.num(d.count), c.secs(d.median_secs), c.secs(d.p90_secs)];
    if c.business {
        cells.push(c.minutes(d.median_minutes));
        cells.push(c.minutes(d.p90_minutes));
    }
    cells
}

fn sla_columns(t: &mut Table, c: &Context<'_>) {
    for (title, key) in [
        ("report_col_fr_met", "first_response_met"),
        ("report_col_fr_missed", "first_response_missed"),
        ("report_col_fr_share", "first_response_met_percent"),
        ("report_col_res_met", "resolution_met"),
        ("report_col_res_missed", "resolution_missed"),
        ("report_col_res_share", "resolution_met_percent"),
    ] {
        t.col((c.t)(title), key, true);
    }
}

fn sla_cells(c: &Context<'_>, s: &SlaCounts) -> Vec<Cell> {
    vec![
        c.num(s.first_response_met),
        c.num(s.first_response_missed),
        c.percent(fr_share(s)),
        c.num(s.resolution_met),
        c.num(s.resolution_missed),
        c.percent(res_share(s)),
    ]
}

pub fn fr_share(s: &SlaCounts) -> Option<f64> {
    share(
        s.first_response_met,
        s.first_response_met + s.first_response_missed,
    )
}

pub fn res_share(s: &SlaCounts) -> Option<f64> {
    share(s.resolution_met, s.resolution_met + s.resolution_missed)
}

fn csat_columns(t: &mut Table, c: &Context<'_>) {
    for (title, key) in [
        ("report_col_resolutions", "resolutions"),
        ("report_col_answers", "answers"),
        ("report_col_answer_rate", "answer_rate_percent"),
        ("report_col_good", "good"),
        ("report_col_good_share", "good_percent"),
    ] {
        t.col((c.t)(title), key, true);
    }
}

fn csat_cells(c: &Context<'_>, s: &Csat) -> Vec<Cell> {
    vec![
        c.num(s.resolutions),
        c.num(s.answered),
        c.percent(share(s.answered, s.resolutions)),
        c.num(s.good),
        c.percent(share(s.good, s.answered)),
    ]
}

fn period_columns(t: &mut Table, c: &Context<'_>) {
    t.col((c.t)("report_col_period"), "period_start", false);
    t.col((c.t)("report_col_last_day"), "period_end", false);
}

/// Every table of the report, in page order.
pub fn tables(report: &Report, c: &Context<'_>) -> Vec<Table> {
    let mut out = Vec::new();
    let frt = (c.t)("report_what_first_response");
    let ttr = (c.t)("report_what_resolution");

    let mut volume = Table::new("volume", (c.t)("report_volume_table"));
    period_columns(&mut volume, c);
    volume.col((c.t)("report_col_created"), "created", true);
    volume.col((c.t)("report_col_resolved"), "resolved", true);
    volume.col((c.t)("report_col_backlog"), "open_at_end", true);
    for p in &report.periods {
        let mut row: Vec<Cell> = c.period_cells(&p.period).into();
        row.extend([c.num(p.created), c.num(p.resolved), c.num(p.backlog)]);
        volume.rows.push(row);
    }
    out.push(volume);

    let mut times = Table::new("times", (c.t)("report_times_table"));
    period_columns(&mut times, c);
    duration_columns(&mut times, c, "first_response", &frt);
    duration_columns(&mut times, c, "resolution", &ttr);
    for p in &report.periods {
        let mut row: Vec<Cell> = c.period_cells(&p.period).into();
        row.extend(duration_cells(c, &p.first_response));
        row.extend(duration_cells(c, &p.resolution));
        times.rows.push(row);
    }
    out.push(times);

    let mut agents = Table::new("agents", (c.t)("report_agents_table"));
    agents.col((c.t)("report_col_agent"), "agent", false);
    duration_columns(&mut agents, c, "first_response", &frt);
    duration_columns(&mut agents, c, "resolution", &ttr);
    csat_columns(&mut agents, c);
    let mut by_name: Vec<_> = report
        .agents
        .iter()
        .map(|a| (c.agent_name(a.agent_id), a))
        .collect();
    by_name.sort_by_key(|a| a.0.to_lowercase());
    for (name, a) in by_name {
        let mut row = vec![c.text(&name)];
        row.extend(duration_cells(c, &a.first_response));
        row.extend(duration_cells(c, &a.resolution));
        row.extend(csat_cells(c, &a.csat));
        agents.rows.push(row);
    }
    out.push(agents);

    let mut categories = Table::new("categories", (c.t)("report_categories_table"));
    categories.col((c.t)("report_col_category"), "category", false);
    categories.col((c.t)("report_col_created"), "created", true);
    duration_columns(&mut categories, c, "first_response", &frt);
    duration_columns(&mut categories, c, "resolution", &ttr);
    for cat in &report.categories {
        let mut row = vec![
            c.text(&c.category_name(cat.category_id)),
            c.num(cat.created),
        ];
        row.extend(duration_cells(c, &cat.first_response));
        row.extend(duration_cells(c, &cat.resolution));
        categories.rows.push(row);
    }
    out.push(categories);

    let mut sla = Table::new("sla", (c.t)("report_sla_table"));
    period_columns(&mut sla, c);
    sla_columns(&mut sla, c);
    for p in &report.periods {
        let mut row: Vec<Cell> = c.period_cells(&p.period).into();
        row.extend(sla_cells(c, &p.sla));
        sla.rows.push(row);
    }
    out.push(sla);

    let mut policies = Table::new("sla_policies", (c.t)("report_sla_policies_table"));
    policies.col((c.t)("report_col_policy"), "policy", false);
    sla_columns(&mut policies, c);
    for p in &report.policies {
        let name = p
            .policy_id
            .and_then(|id| c.policies.get(&id).cloned())
            .unwrap_or_else(|| (c.t)("report_policy_gone"));
        let mut row = vec![c.text(&name)];
        row.extend(sla_cells(c, &p.sla));
        policies.rows.push(row);
    }
    out.push(policies);

    let mut csat = Table::new("csat", (c.t)("report_csat_table"));
    period_columns(&mut csat, c);
    csat_columns(&mut csat, c);
    for p in &report.periods {
        let mut row: Vec<Cell> = c.period_cells(&p.period).into();
        row.extend(csat_cells(c, &p.csat));
        csat.rows.push(row);
    }
    out.push(csat);

    let mut comments = Table::new("comments", (c.t)("report_comments_table"));
    comments.col((c.t)("report_col_answered_at"), "answered_at", false);
    comments.col((c.t)("report_col_ticket"), "ticket", false);
    comments.col((c.t)("report_col_agent"), "agent", false);
    comments.col((c.t)("report_col_rating"), "rating", false);
    comments.col((c.t)("report_col_comment"), "comment", false);
    for m in &report.comments {
        let tracking = c
            .tracking_ids
            .get(&m.ticket_id)
            .cloned()
            .unwrap_or_default();
        let rating = if m.good { "good" } else { "bad" };
        comments.rows.push(vec![
            Cell {
                text: format::absolute(m.rated_at, c.zone),
                raw: crate::csv_export::iso_in(m.rated_at, c.zone),
                href: None,
                num: false,
            },
            Cell {
                text: tracking.clone(),
                raw: tracking,
                href: Some(format!("/staff/tickets/{}", m.ticket_id)),
                num: false,
            },
            c.text(&c.agent_name(m.agent_id)),
            Cell {
                text: (c.t)(&format!("report_rating_{rating}")),
                raw: rating.to_string(),
                href: None,
                num: false,
            },
            c.text(&m.comment),
        ]);
    }
    out.push(comments);

    let mut heat = Table::new("heat", (c.t)("report_heat_table"));
    heat.col((c.t)("report_col_weekday"), "weekday", false);
    for h in 0..24 {
        heat.col(format!("{h:02}"), &format!("hour_{h:02}"), true);
    }
    for (d, hours) in report.heat.iter().enumerate() {
        let mut row = vec![c.text(&(c.t)(&format!("report_weekday_{}", d + 1)))];
        row.extend(hours.iter().map(|n| c.num(n)));
        heat.rows.push(row);
    }
    out.push(heat);

    let mut requesters = Table::new("requesters", (c.t)("report_requesters_table"));
    requesters.col((c.t)("report_col_requester"), "requester_name", false);
    requesters.col((c.t)("report_col_email"), "requester_email", false);
    requesters.col((c.t)("report_col_created"), "created", true);
    for r in &report.requesters {
        requesters
            .rows
            .push(vec![c.text(&r.name), c.text(&r.email), c.num(r.tickets)]);
    }
    out.push(requesters);

    let mut kb = Table::new("kb", (c.t)("report_kb_table"));
    kb.col((c.t)("report_col_article"), "article", false);
    kb.col((c.t)("report_col_state"), "state", false);
    kb.col((c.t)("report_col_views"), "views", true);
    kb.col((c.t)("report_col_helpful_yes"), "helpful_yes", true);
    kb.col((c.t)("report_col_helpful_no"), "helpful_no", true);
    kb.col((c.t)("report_col_avoided"), "tickets_avoided", true);
    kb.col((c.t)("report_col_shown"), "suggested_then_submitted", true);
    for a in c.articles {
        kb.rows.push(vec![
            Cell {
                text: a.title.clone(),
                raw: a.title.clone(),
                href: Some(format!("/staff/kb/{}", a.id)),
                num: false,
            },
            Cell {
                text: (c.t)(&format!("kb_state_{}", a.state)),
                raw: a.state.clone(),
                href: None,
                num: false,
            },
            c.num(a.view_count),
            c.num(a.helpful_yes),
            c.num(a.helpful_no),
            c.num(a.deflections),
            c.num(a.shown_count),
        ]);
    }
    out.push(kb);
    for table in &mut out {
        for row in &mut table.rows {
            for (cell, col) in row.iter_mut().zip(&table.columns) {
                cell.num = col.num;
            }
        }
    }
    out
}
