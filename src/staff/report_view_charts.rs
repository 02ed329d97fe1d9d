//! Which charts the reports page draws, each from the numbers of one of its tables (the
//! geometry is `report_charts`'s).

use std::collections::HashMap;

use super::report_charts::{self, Chart, Series};
use super::report_view::{Context, fr_share, res_share};
use crate::reports::Report;
use crate::reports::figures::PeriodFigures;
use crate::reports::stats::Durations;

/// Hours, for the time charts' axes.
fn hours_of(secs: Option<i64>) -> Option<f64> {
    secs.map(|s| s as f64 / 3600.0)
}

/// The charts, by name (each drawn from a table's numbers; None: nothing to draw).
pub fn charts(report: &Report, c: &Context<'_>) -> HashMap<&'static str, Option<Chart>> {
    let t = c.t;
    let labels: Vec<String> = report
        .periods
        .iter()
        .map(|p| c.period_short(&p.period))
        .collect();
    let count = |v: f64| format!("{v}");
    let hours = |v: f64| {
        // Axis labels in whole hours, or minutes below one.
        if v >= 1.0 || v == 0.0 {
            format!("{} h", (v * 10.0).round() / 10.0)
        } else {
            format!("{} min", (v * 60.0).round())
        }
    };
    let pct = |v: f64| format!("{v}%");
    let series = |label: &str, values: Vec<Option<f64>>| Series {
        label: t(label),
        values,
    };
    let per = &report.periods;
    let mut out = HashMap::new();
    out.insert(
        "volume",
        report_charts::bars(
            "chart-volume",
            t("report_volume_chart"),
            t("report_volume_how"),
            &labels,
            &[
                series(
                    "report_col_created",
                    per.iter().map(|p| Some(p.created as f64)).collect(),
                ),
                series(
                    "report_col_resolved",
                    per.iter().map(|p| Some(p.resolved as f64)).collect(),
                ),
            ],
            &count,
        ),
    );
    out.insert(
        "backlog",
        report_charts::bars(
            "chart-backlog",
            t("report_backlog_chart"),
            t("report_backlog_how"),
            &labels,
            &[series(
                "report_col_backlog",
                per.iter().map(|p| Some(p.backlog.max(0) as f64)).collect(),
            )],
            &count,
        ),
    );
    for (name, id, title, how, pick) in [
        (
            "first_response",
            "chart-first-response",
            "report_first_response_chart",
            "report_first_response_how",
            (|p: &PeriodFigures| p.first_response) as fn(&PeriodFigures) -> Durations,
        ),
        (
            "resolution",
            "chart-resolution",
            "report_resolution_chart",
            "report_resolution_how",
            |p| p.resolution,
        ),
    ] {
        out.insert(
            name,
            report_charts::lines(
                id,
                t(title),
                t(how),
                &labels,
                &[
                    series(
                        "report_median",
                        per.iter().map(|p| hours_of(pick(p).median_secs)).collect(),
                    ),
                    series(
                        "report_p90",
                        per.iter().map(|p| hours_of(pick(p).p90_secs)).collect(),
                    ),
                ],
                &hours,
            ),
        );
    }
    out.insert(
        "sla",
        report_charts::lines(
            "chart-sla",
            t("report_sla_chart"),
            t("report_sla_how"),
            &labels,
            &[
                series(
                    "report_col_fr_share",
                    per.iter().map(|p| fr_share(&p.sla)).collect(),
                ),
                series(
                    "report_col_res_share",
                    per.iter().map(|p| res_share(&p.sla)).collect(),
                ),
            ],
            &pct,
        ),
    );
    let weekdays: Vec<String> = (1..=7).map(|d| t(&format!("report_weekday_{d}"))).collect();
    let tip_text = t("report_heat_tip");
    out.insert(
        "heat",
        report_charts::heat(
            "chart-heat",
            t("report_heat_chart"),
            t("report_heat_how"),
            &weekdays,
            &report.heat,
            &|day, hour, n| {
                tip_text
                    .replace("{day}", day)
                    .replace("{hour}", &format!("{hour:02}"))
                    .replace("{n}", &n.to_string())
            },
        ),
    );
    let names: Vec<String> = report
        .categories
        .iter()
        .map(|cat| c.category_name(cat.category_id))
        .collect();
    let created: Vec<f64> = report
        .categories
        .iter()
        .map(|cat| cat.created as f64)
        .collect();
    out.insert(
        "categories",
        report_charts::hbars(
            "chart-categories",
            t("report_categories_chart"),
            t("report_categories_how"),
            &names,
            &created,
            &count,
        ),
    );
    out
}
