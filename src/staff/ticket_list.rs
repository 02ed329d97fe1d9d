//! The agents' ticket list (`/staff/tickets`): views, filters, sorting and paging ("26–50 of
//! 1,000+"), the columns each agent chose to show, kept rendered while the tickets it lists and
//! those columns are unchanged.

use rocket::{State, get};
use serde_json::json;

use super::refdata;
use crate::auth::{StaffUser, users};
use crate::error::Result;
use crate::i18n::Lang;
use crate::tickets::list::{self, Days, Filter, Sort, View};
use crate::tickets::list_columns;
use crate::util::clean;
use crate::web::{App, Html, Page};

/// Parses an optional numeric filter; anything else means "no filter".
fn opt_id(v: Option<&str>) -> Option<i64> {
    v.and_then(|s| s.parse().ok())
}

/// Days in the list's query: `created_from`/`created_to` and `resolved_from`/`resolved_to`
/// (local dates, both days included; one alone is that single day).
#[derive(rocket::FromForm)]
pub(super) struct DayParams {
    created_from: Option<String>,
    created_to: Option<String>,
    resolved_from: Option<String>,
    resolved_to: Option<String>,
    /// Not a day: the tag filter (`tag=`), which the list and its export read the same way.
    tag: Option<String>,
}

fn days(from: &Option<String>, to: &Option<String>, zone: &jiff::tz::TimeZone) -> Option<Days> {
    let (from, to) = match (from.as_deref(), to.as_deref()) {
        (Some(f), Some(t)) => (f, t),
        (Some(d), None) | (None, Some(d)) => (d, d),
        (None, None) => return None,
    };
    Days::parse(from, to, zone)
}

/// The select-field filters of the list's query (`field_<id>=option`): only select fields and
/// their own options count; anything else is no filter, like the other parameters.
pub(super) fn field_filters(
    uri: &rocket::http::uri::Origin<'_>,
    refdata: &crate::tickets::RefData,
) -> Vec<(i64, String)> {
    let mut out: Vec<(i64, String)> = Vec::new();
    let Some(query) = uri.query() else {
        return out;
    };
    for (name, value) in query.segments() {
        let Some(id) = name
            .strip_prefix("field_")
            .and_then(|id| id.parse::<i64>().ok())
        else {
            continue;
        };
        let known = refdata.fields.iter().any(|f| {
            f.id == id
                && f.kind == crate::fields::Kind::Select
                && f.options.iter().any(|o| o == value)
        });
        if known && !out.iter().any(|(f, _)| *f == id) {
            out.push((id, value.to_string()));
        }
    }
    out
}

/// The select fields the list can filter on, with the option chosen in each (empty: any).
fn filter_choices(
    refdata: &crate::tickets::RefData,
    chosen: &[(i64, String)],
) -> serde_json::Value {
    let fields: Vec<serde_json::Value> = refdata
        .fields
        .iter()
        .filter(|f| f.active && f.kind == crate::fields::Kind::Select)
        .map(|f| {
            let value = chosen.iter().find(|(id, _)| *id == f.id).map(|(_, v)| v.as_str());
            json!({ "id": f.id, "label": f.shown_label, "options": f.options, "value": value.unwrap_or("") })
        })
        .collect();
    json!(fields)
}

#[allow(clippy::too_many_arguments)]
#[get("/tickets?<view>&<status>&<priority>&<category>&<assignee>&<q>&<sort>&<dir>&<page>&<days..>")]
pub(super) async fn ticket_list(
    staff: StaffUser,
    pg: Page<'_>,
    app: &State<App>,
    view: Option<&str>,
    status: Option<&str>,
    priority: Option<&str>,
    category: Option<&str>,
    assignee: Option<&str>,
    q: Option<&str>,
    sort: Option<&str>,
    dir: Option<&str>,
    page: Option<i64>,
    days: DayParams,
    uri: &rocket::http::uri::Origin<'_>,
) -> Result<Html> {
    let time = pg.time();
    let mut filter = filter_of(
        &staff,
        &time,
        [view, status, priority, category, assignee, q, sort, dir],
        page,
        &days,
    );
    let refdata = refdata(app, &pg).await?;
    filter.fields = field_filters(uri, &refdata);
    let num = |v: Option<i64>| v.map(|v| v.to_string()).unwrap_or_default();
    // The filter as a query string, for the pager links (Tera escapes the `&`s), and sorted
    // by deadline for the due column's heading (the other way round when it already is).
    let day_span = |name: &str, d: &Option<Days>| {
        d.as_ref()
            .map(|d| format!("&{name}_from={}&{name}_to={}", d.from, d.to))
            .unwrap_or_default()
    };
    let tag_param = filter
        .tag
        .as_ref()
        .map(|t| format!("&tag={}", crate::util::url_encode(t)))
        .unwrap_or_default();
    let custom: String = filter
        .fields
        .iter()
        .map(|(id, v)| format!("&field_{id}={}", crate::util::url_encode(v)))
        .collect();
    let spans = format!(
        "{}{}{tag_param}{custom}",
        day_span("created", &filter.created),
        day_span("resolved", &filter.resolved)
    );
    let query = |sort: Sort, asc: bool| {
        format!(
            "view={}&status={}&priority={}&category={}&assignee={}&q={}&sort={}&dir={}{spans}",
            filter.view.as_str(),
            num(filter.status),
            num(filter.priority),
            num(filter.category),
            num(filter.assignee),
            crate::util::url_encode(&filter.q),
            sort.as_str(),
            if asc { "asc" } else { "desc" }
        )
    };
    let qs = query(filter.sort, filter.asc);
    let due_sort_qs = query(Sort::Due, !(filter.sort == Sort::Due && filter.asc));
    let key = pg.list_page_key("staff/list.html", format!("{qs}&page={}", filter.page));
    // Kept from an earlier view, and nothing committed since: nothing to read.
    if let Some(html) = pg.unchanged_page(&key, &refdata, &app.settings()) {
        return Ok(html);
    }
    let (f, rd, me) = (filter.clone(), refdata.clone(), staff.id);
    let (result, hidden, all_tags, until) = app
        .db
        .read(move |c| {
            let page = list::list(c, &f, me, &rd)?;
            // The names offered to the tag filter, without counting each tag's tickets.
            let tags =
                crate::tickets::tags::starting_with(c, "", super::ticket_tools::OFFERED_TAGS)?;
            // Which tickets the deadline views hold moves as deadlines pass.
            let until = match f.view {
                View::Overdue | View::DueToday => list::next_deadline(c, f.now)?,
                _ => None,
            };
            Ok((page, users::list_hidden_columns(c, me)?, tags, until))
        })
        .await?;
    let hidden = list_columns::parse_hidden(&hidden);
    // Kept while the same tickets, at the same revisions, are listed (a search's snippets come
    // from the tickets' text, which moves their revisions too).
    let listed: Vec<(i64, i64)> = result.tickets.iter().map(|t| (t.id, t.revision)).collect();
    let incidents = super::incidents::summaries(app, &staff).await?;
    let fingerprint = json!([result.total, result.has_next, listed, hidden, all_tags]);
    let fingerprint = json!([fingerprint, incidents]);
    let mut inputs = pg.page_inputs(0, &refdata, &app.settings(), fingerprint);
    inputs.until = until;
    if let Some(html) = pg.kept_page(&key, &inputs) {
        return Ok(html);
    }
    let columns = list_columns::shown(&hidden);
    let cols: serde_json::Map<String, serde_json::Value> = columns
        .iter()
        .map(|c| (c.name.to_string(), c.shown.into()))
        .collect();
    let range = Range::new(filter.page, result.tickets.len(), result.total, pg.lang);
    let data = json!({
        "filter": filter,
        "columns": columns,
        "cols": cols,
        "range": range,
        "tickets": result.tickets.into_iter().map(|t| list::Row::new(t, &time)).collect::<Vec<_>>(),
        "total": result.total,
        "capped": result.total > list::COUNT_CAP,
        "page": filter.page,
        "has_next": result.has_next,
        "refdata": &*refdata,
        "qs": qs,
        "due_sort_qs": due_sort_qs,
        "all_tags": all_tags,
        "field_filters": filter_choices(&refdata, &filter.fields),
        "incidents": incidents,
    });
    pg.render_kept(key, inputs, data)
}

/// The list's filter from its query (the page and its CSV export read the same parameters):
/// `asked` holds view, status, priority, category, assignee, q, sort and dir, as typed.
pub(super) fn filter_of(
    staff: &StaffUser,
    time: &crate::desk_time::format::ViewerTime<'_>,
    asked: [Option<&str>; 8],
    page: Option<i64>,
    days: &DayParams,
) -> Filter {
    let [view, status, priority, category, assignee, q, sort, dir] = asked;
    let view = View::parse(view);
    // The deadline views read soonest (most overdue) first unless another order is asked for.
    let sort = match sort {
        None if matches!(view, View::Overdue | View::DueToday) => Sort::Due,
        s => Sort::parse(s),
    };
    Filter {
        view,
        status: opt_id(status),
        priority: opt_id(priority),
        category: opt_id(category),
        assignee: opt_id(assignee),
        q: clean(q.unwrap_or(""), 200),
        tag: days
            .tag
            .as_deref()
            .and_then(|t| crate::tickets::tags::normalize(t).ok()),
        created: self::days(&days.created_from, &days.created_to, &time.zone),
        // Set by the caller, which has the fields (`field_filters`).
        fields: Vec::new(),
        resolved: self::days(&days.resolved_from, &days.resolved_to, &time.zone),
        sort,
        // Deadlines read soonest first unless asked otherwise; everything else newest first.
        asc: match dir {
            Some("asc") => true,
            Some("desc") => false,
            _ => sort == Sort::Due,
        },
        page: page.unwrap_or(1).clamp(1, 100_000),
        access: staff.access.clone(),
        now: time.now,
        day_end: crate::desk_time::day_end(time.now, &time.zone),
    }
}

/// The list's query as the bulk form carries it (`qs`, the list's own link to itself), read by
/// Rocket's form parser: every parameter may repeat (the first value given counts, as on the
/// page), unknown ones are ignored, and the custom field filters (`field_<id>=option`) are read
/// from the same string by `field_filters`.
#[derive(rocket::FromForm, Default)]
struct ListQuery {
    view: Vec<String>,
    status: Vec<String>,
    priority: Vec<String>,
    category: Vec<String>,
    assignee: Vec<String>,
    q: Vec<String>,
    sort: Vec<String>,
    dir: Vec<String>,
    created_from: Vec<String>,
    created_to: Vec<String>,
    resolved_from: Vec<String>,
    resolved_to: Vec<String>,
    tag: Vec<String>,
}

/// The first non-empty value of a repeated parameter.
fn first(values: &[String]) -> Option<&str> {
    values.iter().map(|v| v.trim()).find(|v| !v.is_empty())
}

/// The list's filter from the query string the bulk form carries, as the list page reads it.
/// The page shrugs off a value it does not know (no filter); a bulk action on "all matching"
/// must not, or it would change more tickets than the list showed: such a value is refused with
/// the name of its parameter.
pub(super) fn filter_from_query(
    staff: &StaffUser,
    time: &crate::desk_time::format::ViewerTime<'_>,
    refdata: &crate::tickets::RefData,
    qs: &str,
) -> std::result::Result<Filter, String> {
    let parsed = rocket::form::Form::<ListQuery>::parse_encoded(rocket::http::RawStr::new(qs))
        .map_err(|e| {
            e.iter()
                .next()
                .and_then(|e| e.name.as_ref().map(|n| n.to_string()))
                .unwrap_or_else(|| "filter".to_string())
        })?;
    for (name, values) in [
        ("status", &parsed.status),
        ("priority", &parsed.priority),
        ("category", &parsed.category),
        ("assignee", &parsed.assignee),
    ] {
        if first(values).is_some_and(|v| v.parse::<i64>().is_err()) {
            return Err(name.to_string());
        }
    }
    let known = |v: Option<&str>, names: &[&str]| v.is_none_or(|v| names.contains(&v));
    let views: Vec<&str> = View::ALL.iter().map(|v| v.as_str()).collect();
    let sorts: Vec<&str> = Sort::ALL.iter().map(|s| s.as_str()).collect();
    for (name, ok) in [
        ("view", known(first(&parsed.view), &views)),
        ("sort", known(first(&parsed.sort), &sorts)),
        ("dir", known(first(&parsed.dir), &["asc", "desc"])),
    ] {
        if !ok {
            return Err(name.to_string());
        }
    }
    let owned = |v: &[String]| first(v).map(str::to_string);
    let days = DayParams {
        created_from: owned(&parsed.created_from),
        created_to: owned(&parsed.created_to),
        resolved_from: owned(&parsed.resolved_from),
        resolved_to: owned(&parsed.resolved_to),
        tag: owned(&parsed.tag),
    };
    let asked = [
        first(&parsed.view),
        first(&parsed.status),
        first(&parsed.priority),
        first(&parsed.category),
        first(&parsed.assignee),
        first(&parsed.q),
        first(&parsed.sort),
        first(&parsed.dir),
    ];
    let mut filter = filter_of(staff, time, asked, None, &days);
    let spans = [
        (
            "created_from",
            &days.created_from,
            &days.created_to,
            &filter.created,
        ),
        (
            "resolved_from",
            &days.resolved_from,
            &days.resolved_to,
            &filter.resolved,
        ),
    ];
    for (name, from, to, parsed) in spans {
        if (from.is_some() || to.is_some()) && parsed.is_none() {
            return Err(name.to_string());
        }
    }
    if days.tag.is_some() && filter.tag.is_none() {
        return Err("tag".to_string());
    }
    // The same parser as the page's own query: a custom field filter the page would ignore is
    // refused here.
    let uri = rocket::http::uri::Origin::parse_owned(format!("/staff/tickets?{qs}"))
        .map_err(|_| "filter".to_string())?;
    filter.fields = field_filters(&uri, refdata);
    if let Some(query) = uri.query() {
        for (name, value) in query.segments() {
            let Some(id) = name
                .strip_prefix("field_")
                .and_then(|id| id.parse::<i64>().ok())
            else {
                continue;
            };
            // Repeated, the first value that fits counts (as on the page).
            if !value.is_empty() && !filter.fields.iter().any(|(f, _)| *f == id) {
                return Err(name.to_string());
            }
        }
    }
    Ok(filter)
}

/// Where a page of the list stands among the matches, for "26–50 of 1,000+": its first and
/// last ticket's place and the total, "1,000+" past the count's cap.
#[derive(serde::Serialize)]
struct Range {
    from: i64,
    to: i64,
    total: String,
}

impl Range {
    fn new(page: i64, shown: usize, total: i64, lang: Lang) -> Range {
        let from = (page - 1) * list::PER_PAGE + 1;
        let total = if total > list::COUNT_CAP {
            format!("{}+", group_digits(list::COUNT_CAP, lang))
        } else {
            group_digits(total, lang)
        };
        Range {
            from,
            to: from + shown as i64 - 1,
            total,
        }
    }
}

/// `n` with its thousands grouped as the language writes them: "1,000" in English; in Spanish
/// four digits stay together ("1000") and longer numbers take points ("12.500").
fn group_digits(n: i64, lang: Lang) -> String {
    let digits = n.unsigned_abs().to_string();
    let sep = match lang {
        Lang::Es if digits.len() <= 4 => return n.to_string(),
        Lang::Es => '.',
        _ => ',',
    };
    let mut out = String::new();
    for (i, ch) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(sep);
        }
        out.push(ch);
    }
    if n < 0 { format!("-{out}") } else { out }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ranges_and_totals_read_as_people_write_them() {
        let r = Range::new(2, 25, 1001, Lang::En);
        assert_eq!((r.from, r.to, r.total.as_str()), (26, 50, "1,000+"));
        let r = Range::new(1, 7, 7, Lang::Es);
        assert_eq!((r.from, r.to, r.total.as_str()), (1, 7, "7"));
        assert_eq!(group_digits(1000, Lang::Es), "1000");
        assert_eq!(group_digits(12500, Lang::Es), "12.500");
        assert_eq!(group_digits(1234567, Lang::En), "1,234,567");
        assert_eq!(group_digits(999, Lang::En), "999");
    }
}
