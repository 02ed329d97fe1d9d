//! The audit log page (see `crate::audit`): newest first, a page at a time, filtered by staff
//! member, action and a range of days (UTC), and the same entries as a CSV download, which is
//! audited itself.

use rocket::{Route, State, get, routes};
use serde_json::json;

use crate::audit::{self, Filter};
use crate::auth::AdminUser;
use crate::error::Result;
use crate::web::files::Download;
use crate::web::{App, ClientIp, Html, Page};

/// Entries on one page.
const PER_PAGE: i64 = 50;
const DAY: i64 = 86_400;

pub fn routes() -> Vec<Route> {
    routes![audit_page, audit_csv]
}

/// The filter as the query string gave it (`staff`, `action`, `from`, `to` as YYYY-MM-DD in
/// UTC, both days included); a part that does not parse is left out and `bad_date` set.
struct Query {
    filter: Filter,
    staff: String,
    action: String,
    from: String,
    to: String,
    bad_date: bool,
}

impl Query {
    fn parse(
        staff: Option<&str>,
        action: Option<&str>,
        from: Option<&str>,
        to: Option<&str>,
    ) -> Query {
        let staff_id = staff
            .and_then(|s| s.trim().parse::<i64>().ok())
            .filter(|id| *id > 0);
        let action = action
            .map(|a| crate::util::clean(a, 100))
            .filter(|a| !a.is_empty());
        let day = |s: Option<&str>| -> (String, Option<i64>, bool) {
            match s.map(str::trim).filter(|s| !s.is_empty()) {
                None => (String::new(), None, false),
                Some(s) => match day_start(s) {
                    Some(t) => (s.to_string(), Some(t), false),
                    None => (String::new(), None, true),
                },
            }
        };
        let (from, since, bad_from) = day(from);
        let (to, last_day, bad_to) = day(to);
        Query {
            filter: Filter {
                staff_id,
                action: action.clone(),
                since,
                until: last_day.map(|t| t + DAY),
            },
            staff: staff_id.map(|id| id.to_string()).unwrap_or_default(),
            action: action.unwrap_or_default(),
            from,
            to,
            bad_date: bad_from || bad_to,
        }
    }

    /// The filter as a query string, for the pager and the download link (Tera escapes `&`).
    fn query_string(&self) -> String {
        format!(
            "staff={}&action={}&from={}&to={}",
            self.staff,
            crate::util::url_encode(&self.action),
            self.from,
            self.to
        )
    }

    /// What the export's own audit entry says.
    fn detail(&self) -> String {
        format!(
            "staff={} action={} from={} to={}",
            self.staff, self.action, self.from, self.to
        )
    }
}

/// Midnight UTC at the start of day `YYYY-MM-DD`, in Unix seconds.
fn day_start(s: &str) -> Option<i64> {
    let mut parts = s.split('-');
    let (y, m, d) = (parts.next()?, parts.next()?, parts.next()?);
    if parts.next().is_some() || y.len() != 4 || m.len() != 2 || d.len() != 2 {
        return None;
    }
    let month = time::Month::try_from(m.parse::<u8>().ok()?).ok()?;
    let date = time::Date::from_calendar_date(y.parse().ok()?, month, d.parse().ok()?).ok()?;
    Some(date.midnight().assume_utc().unix_timestamp())
}

#[allow(clippy::too_many_arguments)]
#[get("/audit?<staff>&<action>&<from>&<to>&<page>")]
async fn audit_page(
    _admin: AdminUser,
    pg: Page<'_>,
    app: &State<App>,
    staff: Option<&str>,
    action: Option<&str>,
    from: Option<&str>,
    to: Option<&str>,
    page: Option<i64>,
) -> Result<Html> {
    let query = Query::parse(staff, action, from, to);
    let page = page.unwrap_or(1).clamp(1, 1_000_000);
    let filter = query.filter.clone();
    let (mut rows, total, staff_list, actions) = app
        .db
        .read(move |c| {
            Ok((
                audit::page(c, &filter, PER_PAGE + 1, (page - 1) * PER_PAGE)?,
                audit::count(c, &filter)?,
                crate::auth::users::list(c)?,
                audit::actions(c)?,
            ))
        })
        .await?;
    let has_next = rows.len() as i64 > PER_PAGE;
    rows.truncate(PER_PAGE as usize);
    let staff_list: Vec<_> = staff_list
        .iter()
        .map(|s| json!({ "id": s.id.to_string(), "name": s.name, "email": s.email }))
        .collect();
    super::render(
        &pg,
        app,
        "admin/audit.html",
        json!({
            "rows": rows, "per_page": PER_PAGE, "total": total, "page": page,
            "has_next": has_next, "pages": (total + PER_PAGE - 1) / PER_PAGE,
            "staff_list": staff_list, "actions": actions,
            "filter": {
                "staff": query.staff, "action": query.action, "from": query.from,
                "to": query.to,
            },
            "filtered": query.filter != Filter::default(), "bad_date": query.bad_date,
            "qs": query.query_string(),
        }),
    )
    .await
}

/// Every entry the same filters show, as CSV; the download is recorded first.
#[get("/audit.csv?<staff>&<action>&<from>&<to>")]
async fn audit_csv(
    admin: AdminUser,
    app: &State<App>,
    ip: ClientIp,
    staff: Option<&str>,
    action: Option<&str>,
    from: Option<&str>,
    to: Option<&str>,
) -> Result<Download> {
    let query = Query::parse(staff, action, from, to);
    let (me, detail) = (admin.0.id, query.detail());
    app.db
        .write(move |c| audit::record(c, Some(me), "audit_export", &detail, Some(&ip.0)))
        .await?;
    let filter = query.filter.clone();
    let rows = app.db.read(move |c| audit::all(c, &filter)).await?;
    let name = format!(
        "audit-{}.csv",
        audit::iso_time(crate::db::now()).replace(':', "")
    );
    Ok(Download::new(
        &name,
        "text/csv; charset=utf-8",
        audit::to_csv(&rows)?,
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn days_are_parsed_strictly() {
        assert_eq!(day_start("1970-01-02"), Some(DAY));
        assert_eq!(day_start("2026-01-31"), Some(1_769_817_600));
        for bad in [
            "2026-02-30",
            "2026-1-31",
            "31-01-2026",
            "2026-01-31-1",
            "",
            "yesterday",
        ] {
            assert_eq!(day_start(bad), None, "{bad}");
        }
        let q = Query::parse(
            Some("3"),
            Some("login"),
            Some("2026-01-31"),
            Some("2026-01-31"),
        );
        assert_eq!(q.filter.since, Some(1_769_817_600));
        assert_eq!(q.filter.until, Some(1_769_817_600 + DAY));
        assert!(!q.bad_date);
        let q = Query::parse(Some("x"), Some(""), Some("soon"), None);
        assert_eq!(q.filter, Filter::default());
        assert!(q.bad_date);
    }
}
