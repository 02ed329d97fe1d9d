//! Admin > Settings: the desk's business hours (a week grid, up to two openings a day) and its
//! holidays. Hours and holidays are in the desk's zone (the settings form's `timezone`).

use std::collections::HashMap;

use rocket::form::FromForm;
use rocket::{Route, State, post, routes};
use serde_json::{Value, json};

use super::settings::{Forms, page_data};
use super::{done, rejected, text};
use crate::auth::AdminUser;
use crate::desk_time::calendar::{CalendarError, Interval, check_day};
use crate::desk_time::store;
use crate::error::FieldErrors;
use crate::web::csrf::{Checked, CsrfForm};
use crate::web::{App, ClientIp, Page, PageResult};

const MAX_HOLIDAY_NAME: usize = 100;

pub fn routes() -> Vec<Route> {
    routes![save_hours, add_holiday, remove_holiday]
}

/// Each weekday, Monday first: its key in the form (`days[mon].start`) and the field its
/// error is shown next to.
const DAYS: [(&str, &str); 7] = [
    ("mon", "hours_mon"),
    ("tue", "hours_tue"),
    ("wed", "hours_wed"),
    ("thu", "hours_thu"),
    ("fri", "hours_fri"),
    ("sat", "hours_sat"),
    ("sun", "hours_sun"),
];

/// One row of the grid. An unticked box is not sent, so `open` defaults to off.
#[derive(FromForm, Default)]
pub struct DayForm {
    #[field(default = false)]
    open: bool,
    #[field(default = String::new())]
    start: String,
    #[field(default = String::new())]
    end: String,
    #[field(default = String::new())]
    start2: String,
    #[field(default = String::new())]
    end2: String,
}

#[derive(FromForm)]
pub struct HoursForm {
    #[field(default = String::new())]
    csrf_token: String,
    days: HashMap<String, DayForm>,
}

impl CsrfForm for HoursForm {
    fn csrf_token(&self) -> &str {
        &self.csrf_token
    }
}

/// The grid as the page shows it, from the stored week.
pub fn grid(week: &[Vec<Interval>; 7]) -> Value {
    let rows: Vec<Value> = DAYS
        .iter()
        .zip(week)
        .enumerate()
        .map(|(i, ((key, field), day))| {
            let at = |n: usize| day.get(n);
            json!({
                "key": key, "n": i + 1, "field": field, "open": !day.is_empty(),
                "start": at(0).map(Interval::start_text).unwrap_or_default(),
                "end": at(0).map(Interval::end_text).unwrap_or_default(),
                "start2": at(1).map(Interval::start_text).unwrap_or_default(),
                "end2": at(1).map(Interval::end_text).unwrap_or_default(),
            })
        })
        .collect();
    Value::Array(rows)
}

/// The grid as it was typed, for a refused form.
fn typed_grid(form: &HoursForm) -> Value {
    let empty = <DayForm as Default>::default();
    let rows: Vec<Value> = DAYS
        .iter()
        .enumerate()
        .map(|(i, (key, field))| {
            let d = form.days.get(*key).unwrap_or(&empty);
            json!({ "key": key, "n": i + 1, "field": field, "open": d.open,
                    "start": d.start, "end": d.end, "start2": d.start2, "end2": d.end2 })
        })
        .collect();
    Value::Array(rows)
}

/// One open day's openings, or the catalog key of what is wrong with them.
fn parse_day(day: &DayForm) -> std::result::Result<Vec<Interval>, &'static str> {
    let key = CalendarError::message_key;
    let mut openings = vec![Interval::parse(&day.start, &day.end).map_err(key)?];
    match (day.start2.trim(), day.end2.trim()) {
        ("", "") => {}
        (start, end) if !start.is_empty() && !end.is_empty() => {
            openings.push(Interval::parse(start, end).map_err(key)?);
        }
        _ => return Err("admin_error_hours_second_incomplete"),
    }
    check_day(&mut openings).map_err(key)?;
    Ok(openings)
}

/// The week the form describes, or its problems, each next to its day.
fn parse_week(form: &HoursForm) -> std::result::Result<[Vec<Interval>; 7], FieldErrors> {
    let mut errors = FieldErrors::new();
    let mut week: [Vec<Interval>; 7] = Default::default();
    for (i, (key, field)) in DAYS.iter().enumerate() {
        match form.days.get(*key) {
            Some(day) if day.open => match parse_day(day) {
                Ok(openings) => week[i] = openings,
                Err(problem) => errors.add(*field, problem),
            },
            _ => {}
        }
    }
    if errors.is_empty() && week.iter().all(Vec::is_empty) {
        errors.add("hours", CalendarError::NeverOpen.message_key());
    }
    if errors.is_empty() {
        Ok(week)
    } else {
        Err(errors)
    }
}

/// The week for the audit log: `mon=09:00-13:00,15:00-18:00 ... sun=closed`.
fn describe(week: &[Vec<Interval>; 7]) -> String {
    DAYS.iter()
        .zip(week)
        .map(|((key, _), day)| {
            let hours = if day.is_empty() {
                "closed".to_string()
            } else {
                day.iter()
                    .map(|i| format!("{}-{}", i.start_text(), i.end_text()))
                    .collect::<Vec<_>>()
                    .join(",")
            };
            format!("{key}={hours}")
        })
        .collect::<Vec<_>>()
        .join(" ")
}

#[post("/settings/hours", data = "<form>")]
async fn save_hours(
    admin: AdminUser,
    page: Page<'_>,
    app: &State<App>,
    ip: ClientIp,
    form: Checked<HoursForm>,
) -> PageResult {
    let form = form.0;
    let week = match parse_week(&form) {
        Ok(week) => week,
        Err(errors) => {
            let forms = Forms {
                hours: Some(typed_grid(&form)),
                ..Forms::stored()
            };
            let data = page_data(app, forms, errors).await?;
            return rejected(&page, "admin/settings.html", data);
        }
    };
    let me = admin.0.id;
    app.db
        .write(move |c| {
            store::set_week(c, &week)?;
            let detail = describe(&week);
            crate::audit::record(c, Some(me), "business_hours_update", &detail, Some(&ip.0))
        })
        .await?;
    done("/admin/settings#hours".into(), "admin_flash_hours_saved")
}

#[derive(FromForm)]
struct HolidayForm {
    #[field(default = String::new())]
    csrf_token: String,
    #[field(default = String::new())]
    holiday_date: String,
    #[field(default = String::new())]
    holiday_name: String,
}

impl CsrfForm for HolidayForm {
    fn csrf_token(&self) -> &str {
        &self.csrf_token
    }
}

/// `YYYY-MM-DD` naming a real day, or None.
fn parse_date(text: &str) -> Option<jiff::civil::Date> {
    let text = text.trim();
    let shaped = text.len() == 10
        && text.bytes().enumerate().all(|(i, b)| {
            if i == 4 || i == 7 {
                b == b'-'
            } else {
                b.is_ascii_digit()
            }
        });
    shaped.then(|| text.parse().ok()).flatten()
}

async fn refuse_holiday(
    page: &Page<'_>,
    app: &App,
    form: &HolidayForm,
    errors: FieldErrors,
) -> PageResult {
    let forms = Forms {
        holiday: Some(json!({ "date": form.holiday_date, "name": form.holiday_name })),
        ..Forms::stored()
    };
    let data = page_data(app, forms, errors).await?;
    rejected(page, "admin/settings.html", data)
}

#[post("/settings/holidays", data = "<form>")]
async fn add_holiday(
    admin: AdminUser,
    page: Page<'_>,
    app: &State<App>,
    ip: ClientIp,
    form: Checked<HolidayForm>,
) -> PageResult {
    let form = form.0;
    let mut errors = FieldErrors::new();
    let date = parse_date(&form.holiday_date);
    if date.is_none() {
        errors.add("holiday_date", "admin_error_holiday_date");
    }
    let name = text(&form.holiday_name, MAX_HOLIDAY_NAME);
    if name.is_none() {
        errors.add("holiday_name", "admin_error_holiday_name");
    }
    let (Some(date), Some(name)) = (date, name) else {
        return refuse_holiday(&page, app, &form, errors).await;
    };
    let me = admin.0.id;
    let added = app
        .db
        .write(move |c| {
            let added = store::add_holiday(c, date, &name)?;
            if added {
                let detail = format!("{date} {name}");
                crate::audit::record(c, Some(me), "holiday_add", &detail, Some(&ip.0))?;
            }
            Ok(added)
        })
        .await?;
    if !added {
        let errors = FieldErrors::one("holiday_date", "admin_error_holiday_exists");
        return refuse_holiday(&page, app, &form, errors).await;
    }
    done(
        "/admin/settings#holidays".into(),
        "admin_flash_holiday_added",
    )
}

#[derive(FromForm)]
struct RemoveHolidayForm {
    #[field(default = String::new())]
    csrf_token: String,
    #[field(default = String::new())]
    day: String,
}

impl CsrfForm for RemoveHolidayForm {
    fn csrf_token(&self) -> &str {
        &self.csrf_token
    }
}

#[post("/settings/holidays/remove", data = "<form>")]
async fn remove_holiday(
    admin: AdminUser,
    app: &State<App>,
    ip: ClientIp,
    form: Checked<RemoveHolidayForm>,
) -> PageResult {
    let day = form.0.day.trim().to_string();
    let me = admin.0.id;
    app.db
        .write(move |c| {
            if store::remove_holiday(c, &day)? {
                crate::audit::record(c, Some(me), "holiday_remove", &day, Some(&ip.0))?;
            }
            Ok(())
        })
        .await?;
    done(
        "/admin/settings#holidays".into(),
        "admin_flash_holiday_removed",
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn day(open: bool, times: [&str; 4]) -> DayForm {
        DayForm {
            open,
            start: times[0].into(),
            end: times[1].into(),
            start2: times[2].into(),
            end2: times[3].into(),
        }
    }

    #[test]
    fn a_day_is_one_or_two_openings_that_do_not_overlap() {
        assert_eq!(
            parse_day(&day(true, ["09:00", "17:00", "", ""]))
                .unwrap()
                .len(),
            1
        );
        let split = parse_day(&day(true, ["15:00", "18:00", "09:00", "13:00"])).unwrap();
        assert_eq!(split[0].start, 9 * 60, "sorted");
        assert_eq!(
            parse_day(&day(true, ["09:00", "14:00", "13:00", "18:00"])),
            Err("admin_error_hours_overlap")
        );
        assert_eq!(
            parse_day(&day(true, ["17:00", "09:00", "", ""])),
            Err("admin_error_hours_end_before_start")
        );
        assert_eq!(
            parse_day(&day(true, ["09:00", "17:00", "18:00", ""])),
            Err("admin_error_hours_second_incomplete")
        );
        assert_eq!(
            parse_day(&day(true, ["", "", "", ""])),
            Err("admin_error_hours_bad_time")
        );
    }

    #[test]
    fn the_week_needs_an_open_day_and_names_each_bad_one() {
        let mut form = HoursForm {
            csrf_token: String::new(),
            days: HashMap::new(),
        };
        form.days
            .insert("sat".into(), day(false, ["09:00", "17:00", "", ""]));
        assert_eq!(
            parse_week(&form).unwrap_err().get("hours").map(|e| e.key),
            Some("admin_error_hours_never_open")
        );
        form.days
            .insert("mon".into(), day(true, ["09:00", "17:00", "", ""]));
        form.days
            .insert("tue".into(), day(true, ["18:00", "17:00", "", ""]));
        let errors = parse_week(&form).unwrap_err();
        assert!(errors.get("hours_tue").is_some() && errors.get("hours_mon").is_none());
        form.days.remove("tue");
        let week = parse_week(&form).unwrap();
        assert_eq!(describe(&week).split(' ').next(), Some("mon=09:00-17:00"));
        assert!(describe(&week).ends_with("sun=closed"));
    }

    #[test]
    fn holiday_dates_are_real_days_in_iso_form() {
        assert_eq!(
            parse_date("2026-12-25").map(|d| d.to_string()).as_deref(),
            Some("2026-12-25")
        );
        for bad in [
            "2026-02-30",
            "25/12/2026",
            "2026-1-05",
            "20261225",
            "",
            "2026-12-25x",
        ] {
            assert!(parse_date(bad).is_none(), "{bad}");
        }
    }
}
