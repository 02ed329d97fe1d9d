//! The reports page (`/staff/reports`) and its tables as CSV (`/staff/reports.csv?table=...`
//! with the same query). Agents see the team's figures (every ticket of the categories they
//! work) and their own; admins everything. A query that cannot be answered (a range that ends
//! before it starts, an unknown category, another agent's figures for an agent) gets the form
//! back with the problem next to its field, status 422.

use std::collections::HashMap;

use rocket::http::Status;
use rocket::{FromForm, Responder, State, get};
use serde_json::json;

use super::refdata;
use super::report_view::{self, Context, Table};
use crate::auth::StaffUser;
use crate::error::{Error, FieldErrors, Result};
use crate::reports::figures::{self, Filters, Scope};
use crate::reports::range::{self, Asked};
use crate::reports::{Preset, Range};
use crate::tickets::RefData;
use crate::web::files::Download;
use crate::web::{App, Html, Page};

/// Where a ticket can come from, as the channel filter offers them.
pub const CHANNELS: [&str; 7] = [
    "portal",
    "email",
    "staff",
    "api",
    "system",
    "recurring",
    "chat",
];

/// How many articles the knowledge-base table lists.
const ARTICLES: i64 = 20;

/// The query as typed; everything is checked by `check`.
#[derive(FromForm, Default, Debug, Clone, serde::Serialize)]
pub(super) struct ReportQuery {
    range: Option<String>,
    from: Option<String>,
    to: Option<String>,
    group: Option<String>,
    category: Option<String>,
    priority: Option<String>,
    agent: Option<String>,
    channel: Option<String>,
}

fn given(v: &Option<String>) -> Option<&str> {
    v.as_deref().map(str::trim).filter(|s| !s.is_empty())
}

impl ReportQuery {
    /// The form's values: the query as typed, the range's choice "custom" when dates were given.
    fn form(&self) -> serde_json::Value {
        let mut form = json!(self);
        let range = match (given(&self.range), given(&self.from)) {
            (_, Some(_)) => "custom",
            (Some(r), None) => r,
            (None, None) => Preset::Last30Days.as_str(),
        };
        form["range"] = json!(range);
        form
    }

    /// The query string of this report (for the CSV links and the form's values).
    fn query_string(&self) -> String {
        let fields = [
            ("range", &self.range),
            ("from", &self.from),
            ("to", &self.to),
            ("group", &self.group),
            ("category", &self.category),
            ("priority", &self.priority),
            ("agent", &self.agent),
            ("channel", &self.channel),
        ];
        fields
            .iter()
            .filter_map(|(k, v)| given(v).map(|v| format!("{k}={}", crate::util::url_encode(v))))
            .collect::<Vec<_>>()
            .join("&")
    }
}

/// The range and filters the query asks for, or its problems by field.
fn check(
    q: &ReportQuery,
    staff: &StaffUser,
    refdata: &RefData,
    today: jiff::civil::Date,
    zone: &jiff::tz::TimeZone,
) -> std::result::Result<(Range, Filters), FieldErrors> {
    let asked = Asked {
        range: q.range.as_deref(),
        from: q.from.as_deref(),
        to: q.to.as_deref(),
        group: q.group.as_deref(),
    };
    let mut errors = FieldErrors::new();
    let range = match range::parse(&asked, today, zone) {
        Ok(r) => Some(r),
        Err(e) => {
            for (field, problem) in e.iter() {
                errors.add(field.to_string(), problem.key);
            }
            None
        }
    };
    let id = |v: &Option<String>| given(v).map(|s| s.parse::<i64>().ok());
    let mut filters = Filters::default();
    match id(&q.category) {
        None => {}
        Some(Some(c)) if refdata.category(c).is_some() && staff.access.allows(c) => {
            filters.category = Some(c)
        }
        Some(_) => errors.add("category", "report_error_category"),
    }
    match id(&q.priority) {
        None => {}
        Some(Some(p)) if refdata.priority(p).is_some() => filters.priority = Some(p),
        Some(_) => errors.add("priority", "report_error_priority"),
    }
    match id(&q.agent) {
        None => {}
        Some(Some(a)) if !staff.is_admin && a != staff.id => {
            errors.add("agent", "report_error_agent_other")
        }
        Some(Some(a)) if refdata.agent(a).is_some() => filters.agent = Some(a),
        Some(_) => errors.add("agent", "report_error_agent"),
    }
    match given(&q.channel) {
        None => {}
        Some(ch) if CHANNELS.contains(&ch) => filters.channel = Some(ch.to_string()),
        Some(_) => errors.add("channel", "report_error_channel"),
    }
    match range {
        Some(r) if errors.is_empty() => Ok((r, filters)),
        _ => Err(errors),
    }
}

/// The form's choices: categories the viewer works, priorities, the agents they may pick.
fn choices(refdata: &RefData, staff: &StaffUser) -> serde_json::Value {
    json!({
        "presets": Preset::ALL.iter().map(|p| p.as_str()).collect::<Vec<_>>(),
        "groups": crate::reports::Grouping::ALL.iter().map(|g| g.as_str()).collect::<Vec<_>>(),
        "categories": refdata.categories.iter()
            .filter(|c| staff.access.allows(c.id))
            .map(|c| json!({ "id": c.id.to_string(), "name": c.label }))
            .collect::<Vec<_>>(),
        "priorities": refdata.priorities.iter()
            .map(|p| json!({ "id": p.id.to_string(), "name": p.label }))
            .collect::<Vec<_>>(),
        "agents": refdata.agents.iter()
            .filter(|a| staff.is_admin || a.id == staff.id)
            .map(|a| json!({ "id": a.id.to_string(), "name": a.name }))
            .collect::<Vec<_>>(),
        "channels": CHANNELS,
    })
}

/// Whether the desk keeps hours (a desk open around the clock has no business time apart).
fn keeps_hours(cal: &crate::desk_time::BusinessCalendar) -> bool {
    !cal.week()
        .iter()
        .all(|day| day.len() == 1 && day[0].start == 0 && day[0].end == 1440)
}

/// A computed report with everything its tables name.
struct Computed {
    report: crate::reports::Report,
    policies: HashMap<i64, String>,
    tracking_ids: HashMap<i64, String>,
    articles: Vec<crate::kb::store::Summary>,
    business: bool,
}

async fn compute(app: &App, scope: Scope, lang: crate::i18n::Lang) -> Result<Computed> {
    app.db
        .read(move |c| {
            let report = figures::compute(c, &scope)?;
            let policies = crate::sla::policies::all(c)?
                .into_iter()
                .map(|p| (p.id, p.name))
                .collect();
            let mut tracking_ids = HashMap::new();
            for m in &report.comments {
                if let Some(t) = crate::tickets::get(c, m.ticket_id)? {
                    tracking_ids.insert(m.ticket_id, t.tracking_id);
                }
            }
            let articles = crate::kb::store::by_use(c, lang, ARTICLES)?;
            let business = keeps_hours(&crate::desk_time::store::load_calendar(c)?);
            Ok(Computed {
                report,
                policies,
                tracking_ids,
                articles,
                business,
            })
        })
        .await
}

/// Checks the query and computes the report: its tables and charts for the page, or the form's
/// problems.
async fn prepare(
    staff: &StaffUser,
    pg: &Page<'_>,
    app: &App,
    refdata: &RefData,
    q: &ReportQuery,
) -> Result<std::result::Result<(Range, Filters, Computed), FieldErrors>> {
    let time = pg.time();
    let today = range::date_of(time.now, &time.zone).ok_or_else(|| Error::internal("no date"))?;
    let (range, filters) = match check(q, staff, refdata, today, &time.zone) {
        Ok(ok) => ok,
        Err(errors) => return Ok(Err(errors)),
    };
    let scope = Scope {
        periods: range::periods(&range, &time.zone),
        range: range.clone(),
        filters: filters.clone(),
        access: staff.access.clone(),
        only_agent: (!staff.is_admin).then_some(staff.id),
        zone: time.zone.clone(),
        now: time.now,
    };
    let computed = compute(app, scope, pg.lang).await?;
    Ok(Ok((range, filters, computed)))
}

fn build_tables(
    pg: &Page<'_>,
    refdata: &RefData,
    range: &Range,
    computed: &Computed,
) -> (
    Vec<Table>,
    HashMap<&'static str, Option<super::report_charts::Chart>>,
) {
    let t = |k: &str| pg.t(k);
    let time = pg.time();
    let ctx = Context {
        lang: pg.lang,
        t: &t,
        phrases: time.phrases,
        zone: &time.zone,
        refdata,
        grouping: range.grouping,
        business: computed.business,
        policies: &computed.policies,
        tracking_ids: &computed.tracking_ids,
        articles: &computed.articles,
    };
    (
        report_view::tables(&computed.report, &ctx),
        super::report_view_charts::charts(&computed.report, &ctx),
    )
}

#[get("/reports?<q..>")]
pub(super) async fn reports_page(
    staff: StaffUser,
    pg: Page<'_>,
    app: &State<App>,
    q: ReportQuery,
) -> Result<(Status, Html)> {
    let refdata = refdata(app, &pg).await?;
    let form = q.form();
    let (range, filters, computed) = match prepare(&staff, &pg, app, &refdata, &q).await? {
        Ok(ok) => ok,
        Err(errors) => {
            let html = pg.render(
                "staff/reports.html",
                json!({ "form": form, "errors": errors, "choices": choices(&refdata, &staff) }),
            )?;
            return Ok((Status::UnprocessableEntity, html));
        }
    };
    let (tables, charts) = build_tables(&pg, &refdata, &range, &computed);
    let tables: HashMap<&str, &Table> = tables.iter().map(|t| (t.name, t)).collect();
    let totals = &computed.report.totals;
    let share = crate::reports::stats::share;
    let time = pg.time();
    let summary = json!({
        "created": totals.created,
        "resolved": totals.resolved,
        "backlog_start": totals.backlog_start,
        "backlog_end": totals.backlog_end,
        "first_response": totals.first_response.median_secs
            .map(|s| crate::desk_time::format::duration(s, time.phrases)),
        "resolution": totals.resolution.median_secs
            .map(|s| crate::desk_time::format::duration(s, time.phrases)),
        "first_response_business": totals.first_response.median_minutes
            .map(|m| crate::desk_time::format::hours(m * 60, time.phrases)),
        "resolution_business": totals.resolution.median_minutes
            .map(|m| crate::desk_time::format::hours(m * 60, time.phrases)),
        "fr_share": report_view::fr_share(&totals.sla).map(|p| report_view::percent_text(p, pg.lang)),
        "res_share": report_view::res_share(&totals.sla).map(|p| report_view::percent_text(p, pg.lang)),
        "good_share": share(totals.csat.good, totals.csat.answered)
            .map(|p| report_view::percent_text(p, pg.lang)),
        "answer_rate": share(totals.csat.answered, totals.csat.resolutions)
            .map(|p| report_view::percent_text(p, pg.lang)),
        "answers": totals.csat.answered,
    });
    let html = pg.render(
        "staff/reports.html",
        json!({
            "form": form,
            "errors": {},
            "choices": choices(&refdata, &staff),
            "range": { "from": range.from.to_string(), "to": range.to.to_string(),
                       "grouping": range.grouping.as_str() },
            "filtered": filters != Filters::default(),
            "business": computed.business,
            "summary": summary,
            "tables": tables,
            "charts": charts,
            "qs": q.query_string(),
            "is_agent": !staff.is_admin,
        }),
    )?;
    Ok((Status::Ok, html))
}

/// The CSV file of a table, or the form again when the query cannot be answered.
#[derive(Responder)]
pub(super) enum CsvAnswer {
    File(Box<Download>),
    Page((Status, Html)),
}

#[get("/reports.csv?<table>&<q..>")]
pub(super) async fn report_csv(
    staff: StaffUser,
    pg: Page<'_>,
    app: &State<App>,
    table: Option<&str>,
    q: ReportQuery,
) -> Result<CsvAnswer> {
    let refdata = refdata(app, &pg).await?;
    let bad = |errors: FieldErrors| -> Result<CsvAnswer> {
        let html = pg.render(
            "staff/reports.html",
            json!({ "form": q.form(), "errors": errors, "choices": choices(&refdata, &staff) }),
        )?;
        Ok(CsvAnswer::Page((Status::UnprocessableEntity, html)))
    };
    let (range, filters, computed) = match prepare(&staff, &pg, app, &refdata, &q).await? {
        Ok(ok) => ok,
        Err(errors) => return bad(errors),
    };
    if table == Some(super::report_time::NAME) {
        let name = format!("report-time-{}-{}.csv", range.from, range.to);
        let csv = super::report_time::csv(app, &staff, &refdata, &range, &filters).await?;
        let file = Download::new(&name, "text/csv; charset=utf-8", csv);
        return Ok(CsvAnswer::File(Box::new(file)));
    }
    let (tables, _) = build_tables(&pg, &refdata, &range, &computed);
    let Some(found) = tables.iter().find(|t| Some(t.name) == table) else {
        return bad(FieldErrors::one("table", "report_error_table"));
    };
    let name = format!("report-{}-{}-{}.csv", found.name, range.from, range.to);
    Ok(CsvAnswer::File(Box::new(Download::new(
        &name,
        "text/csv; charset=utf-8",
        found.to_csv()?,
    ))))
}
