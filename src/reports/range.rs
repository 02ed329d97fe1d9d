//! A report's days and how they are grouped: a preset (`last_7_days`, ..., `last_month`) or a
//! `from`/`to` pair of local dates (both included), in the viewer's zone, cut into days, weeks
//! (Monday to Sunday) or months. Bad input is answered with the problem next to its field,
//! never with a guess: an unknown preset, a date that is not one, a range that ends before it
//! starts, reaches past today, starts before 2000 or spans more than five years, or more periods
//! than a chart can show.

use jiff::ToSpan;
use jiff::civil::{Date, Weekday};
use jiff::tz::TimeZone;
use serde::Serialize;

use crate::error::FieldErrors;

/// The longest range, in days (five years).
pub const MAX_DAYS: i32 = 5 * 366;
/// The most periods a report is cut into (a chart's bars).
pub const MAX_PERIODS: usize = 400;
/// No desk's history starts before this.
const EARLIEST: Date = jiff::civil::date(2000, 1, 1);

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Preset {
    Last7Days,
    Last30Days,
    Last90Days,
    ThisMonth,
    LastMonth,
}

impl Preset {
    pub const ALL: [Preset; 5] = [
        Preset::Last7Days,
        Preset::Last30Days,
        Preset::Last90Days,
        Preset::ThisMonth,
        Preset::LastMonth,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Preset::Last7Days => "last_7_days",
            Preset::Last30Days => "last_30_days",
            Preset::Last90Days => "last_90_days",
            Preset::ThisMonth => "this_month",
            Preset::LastMonth => "last_month",
        }
    }

    pub fn parse(s: &str) -> Option<Preset> {
        Preset::ALL.into_iter().find(|p| p.as_str() == s.trim())
    }

    /// Its first and last day, seen on `today`.
    fn days(self, today: Date) -> (Date, Date) {
        let back = |n: i64| today.checked_sub(n.days()).unwrap_or(today);
        match self {
            Preset::Last7Days => (back(6), today),
            Preset::Last30Days => (back(29), today),
            Preset::Last90Days => (back(89), today),
            Preset::ThisMonth => (today.first_of_month(), today),
            Preset::LastMonth => {
                let last = today.first_of_month().yesterday().unwrap_or(today);
                (last.first_of_month(), last)
            }
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Grouping {
    Day,
    Week,
    Month,
}

impl Grouping {
    pub const ALL: [Grouping; 3] = [Grouping::Day, Grouping::Week, Grouping::Month];

    pub fn as_str(self) -> &'static str {
        match self {
            Grouping::Day => "day",
            Grouping::Week => "week",
            Grouping::Month => "month",
        }
    }

    pub fn parse(s: &str) -> Option<Grouping> {
        Grouping::ALL.into_iter().find(|g| g.as_str() == s.trim())
    }

    /// The grouping a range gets when none is asked for: days for two months, then weeks for a
    /// year, then months.
    fn for_days(days: i32) -> Grouping {
        match days {
            ..=62 => Grouping::Day,
            63..=366 => Grouping::Week,
            _ => Grouping::Month,
        }
    }

    /// The first day of the period holding `day`.
    fn period_start(self, day: Date) -> Date {
        match self {
            Grouping::Day => day,
            Grouping::Week => {
                let back = i64::from(day.weekday().to_monday_zero_offset());
                day.checked_sub(back.days()).unwrap_or(day)
            }
            Grouping::Month => day.first_of_month(),
        }
    }

    fn next_start(self, start: Date) -> Option<Date> {
        match self {
            Grouping::Day => start.tomorrow().ok(),
            Grouping::Week => start.checked_add(7.days()).ok(),
            Grouping::Month => start.last_of_month().tomorrow().ok(),
        }
    }
}

/// The days a report covers, in the viewer's zone: `from` to `to` included, as the instants
/// [`start`, `end`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Range {
    /// The preset it came from; None for dates given.
    pub preset: Option<Preset>,
    pub from: Date,
    pub to: Date,
    pub grouping: Grouping,
    pub start: i64,
    pub end: i64,
}

/// One period of a report: its first and last day and the instants [`start`, `end`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Period {
    pub first: Date,
    pub last: Date,
    pub start: i64,
    pub end: i64,
}

/// What the query string asked for, as typed.
#[derive(Debug, Clone, Default)]
pub struct Asked<'a> {
    pub range: Option<&'a str>,
    pub from: Option<&'a str>,
    pub to: Option<&'a str>,
    pub group: Option<&'a str>,
}

fn nonempty(v: Option<&str>) -> Option<&str> {
    v.map(str::trim).filter(|s| !s.is_empty())
}

/// The local midnight starting `day` in `zone` (the first instant after a gap a clock change
/// puts there).
pub fn day_start(day: Date, zone: &TimeZone) -> Option<i64> {
    zone.to_timestamp(day.at(0, 0, 0, 0))
        .ok()
        .map(|t| t.as_second())
}

/// The local date of instant `t` in `zone`.
pub fn date_of(t: i64, zone: &TimeZone) -> Option<Date> {
    jiff::Timestamp::from_second(t)
        .ok()
        .map(|ts| zone.to_datetime(ts).date())
}

/// Reads the range and grouping; `today` is the viewer's date now. Every problem is reported
/// at once, by field (`range`, `from`, `to`, `group`).
pub fn parse(asked: &Asked<'_>, today: Date, zone: &TimeZone) -> Result<Range, FieldErrors> {
    let mut errors = FieldErrors::new();
    let (from, to) = (nonempty(asked.from), nonempty(asked.to));
    let date = |text: &str, field: &'static str, errors: &mut FieldErrors| {
        let parsed = text.parse::<Date>().ok().filter(|_| text.len() == 10);
        if parsed.is_none() {
            errors.add(field, "report_error_date");
        }
        parsed
    };
    // Dates given win over a preset (the form sends both when "custom" is chosen).
    let (preset, days) = if from.is_some() || to.is_some() {
        let first = match from {
            Some(f) => date(f, "from", &mut errors),
            None => {
                errors.add("from", "report_error_from_missing");
                None
            }
        };
        let last = match to {
            Some(t) => date(t, "to", &mut errors),
            None => Some(today),
        };
        (None, first.zip(last))
    } else {
        match nonempty(asked.range).map(|r| (r, Preset::parse(r))) {
            None => (
                Some(Preset::Last30Days),
                Some(Preset::Last30Days.days(today)),
            ),
            Some((_, Some(p))) => (Some(p), Some(p.days(today))),
            Some((_, None)) => {
                errors.add("range", "report_error_range");
                (None, None)
            }
        }
    };
    let grouping = match nonempty(asked.group) {
        None => None,
        Some(g) => {
            let parsed = Grouping::parse(g);
            if parsed.is_none() {
                errors.add("group", "report_error_group");
            }
            parsed
        }
    };
    let Some((first, last)) = days else {
        return Err(errors);
    };
    if last < first {
        errors.add("to", "report_error_inverted");
    } else if first < EARLIEST {
        errors.add("from", "report_error_too_early");
    } else if last > today {
        errors.add("to", "report_error_future");
    } else if (last - first).get_days() >= MAX_DAYS {
        errors.add("to", "report_error_too_long");
    }
    if !errors.is_empty() {
        return Err(errors);
    }
    let length = (last - first).get_days() + 1;
    let grouping = grouping.unwrap_or(Grouping::for_days(length));
    let range = (|| {
        Some(Range {
            preset,
            from: first,
            to: last,
            grouping,
            start: day_start(first, zone)?,
            end: day_start(last.tomorrow().ok()?, zone)?,
        })
    })();
    let Some(range) = range else {
        errors.add("from", "report_error_date");
        return Err(errors);
    };
    if periods(&range, zone).len() > MAX_PERIODS {
        errors.add("group", "report_error_too_many_periods");
        return Err(errors);
    }
    Ok(range)
}

/// The range cut into its periods, in order; the first and last are clipped to the range (a
/// range from a Wednesday starts its first week there).
pub fn periods(range: &Range, zone: &TimeZone) -> Vec<Period> {
    let mut out = Vec::new();
    let mut first = range.from;
    while first <= range.to && out.len() <= MAX_PERIODS {
        let next = range
            .grouping
            .next_start(range.grouping.period_start(first));
        let last = next
            .and_then(|n| n.yesterday().ok())
            .map_or(range.to, |l| l.min(range.to));
        let (Some(start), Some(end)) = (
            day_start(first, zone),
            last.tomorrow().ok().and_then(|d| day_start(d, zone)),
        ) else {
            break;
        };
        out.push(Period {
            first,
            last,
            start,
            end,
        });
        match next {
            Some(n) => first = n,
            None => break,
        }
    }
    out
}

/// Monday first, as the heat map's rows.
pub fn weekday_index(day: Weekday) -> usize {
    usize::try_from(day.to_monday_zero_offset()).unwrap_or(0)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(s: &str) -> Date {
        s.parse().unwrap()
    }

    fn asked<'a>(range: &'a str, from: &'a str, to: &'a str, group: &'a str) -> Asked<'a> {
        let some = |s: &'a str| (!s.is_empty()).then_some(s);
        Asked {
            range: some(range),
            from: some(from),
            to: some(to),
            group: some(group),
        }
    }

    fn fields(e: FieldErrors) -> Vec<(&'static str, String)> {
        // The form's own names, as the assertions spell them.
        let named = |f: &str| {
            ["range", "from", "to", "group"]
                .into_iter()
                .find(|n| *n == f)
        };
        e.iter()
            .map(|(f, e)| (named(f).unwrap_or("?"), e.key.to_string()))
            .collect()
    }

    #[test]
    fn presets_count_back_from_today_in_the_viewers_zone() {
        let today = d("2026-03-18");
        let utc = TimeZone::UTC;
        let r = parse(&asked("last_7_days", "", "", ""), today, &utc).unwrap();
        assert_eq!((r.from, r.to), (d("2026-03-12"), d("2026-03-18")));
        assert_eq!(r.grouping, Grouping::Day);
        assert_eq!(r.end - r.start, 7 * 86_400);
        let r = parse(&asked("last_90_days", "", "", ""), today, &utc).unwrap();
        assert_eq!(r.from, d("2025-12-19"));
        assert_eq!(r.grouping, Grouping::Week);
        let r = parse(&asked("last_month", "", "", ""), today, &utc).unwrap();
        assert_eq!((r.from, r.to), (d("2026-02-01"), d("2026-02-28")));
        let r = parse(&asked("this_month", "", "", "week"), today, &utc).unwrap();
        assert_eq!(
            (r.from, r.to, r.grouping),
            (d("2026-03-01"), today, Grouping::Week)
        );
        let r = parse(&Asked::default(), today, &utc).unwrap();
        assert_eq!(r.preset, Some(Preset::Last30Days));
    }

    #[test]
    fn bad_ranges_say_what_is_wrong_and_where() {
        let today = d("2026-03-18");
        let utc = TimeZone::UTC;
        let bad = |a: Asked<'_>| fields(parse(&a, today, &utc).unwrap_err());
        assert_eq!(
            bad(asked("yesterday", "", "", "")),
            [("range", "report_error_range".to_string())]
        );
        assert_eq!(
            bad(asked("", "2026-03-10", "2026-03-01", "")),
            [("to", "report_error_inverted".to_string())]
        );
        assert_eq!(
            bad(asked("", "2026-02-30", "2026-13-01", "hour")),
            [
                ("from", "report_error_date".to_string()),
                ("group", "report_error_group".to_string()),
                ("to", "report_error_date".to_string()),
            ]
        );
        assert_eq!(
            bad(asked("", "0001-01-01", "2026-01-01", "")),
            [("from", "report_error_too_early".to_string())]
        );
        assert_eq!(
            bad(asked("", "2026-03-01", "9999-12-31", "")),
            [("to", "report_error_future".to_string())]
        );
        assert_eq!(
            bad(asked("", "2020-01-01", "2026-03-01", "")),
            [("to", "report_error_too_long".to_string())]
        );
        assert_eq!(
            bad(asked("", "2024-01-01", "2026-03-01", "day")),
            [("group", "report_error_too_many_periods".to_string())]
        );
        assert_eq!(
            bad(asked("", "", "2026-03-01", "")),
            [("from", "report_error_from_missing".to_string())]
        );
        assert_eq!(
            bad(asked("", "2026-3-1", "", "")),
            [("from", "report_error_date".to_string())]
        );
    }

    #[test]
    fn weeks_run_monday_to_sunday_and_are_clipped_to_the_range() {
        let madrid = crate::desk_time::zone("Europe/Madrid").unwrap();
        // Wednesday 2026-03-18 to Tuesday 2026-03-31, over the change to summer time (29 March).
        let r = parse(
            &asked("", "2026-03-18", "2026-03-31", "week"),
            d("2026-04-01"),
            &madrid,
        )
        .unwrap();
        let p = periods(&r, &madrid);
        let spans: Vec<(Date, Date)> = p.iter().map(|p| (p.first, p.last)).collect();
        assert_eq!(
            spans,
            [
                (d("2026-03-18"), d("2026-03-22")),
                (d("2026-03-23"), d("2026-03-29")),
                (d("2026-03-30"), d("2026-03-31")),
            ]
        );
        // The week with the change is an hour short.
        assert_eq!(p[1].end - p[1].start, 7 * 86_400 - 3600);
        assert_eq!(p[0].start, r.start);
        assert_eq!(p[2].end, r.end);
        let months = Range {
            grouping: Grouping::Month,
            ..r
        };
        assert_eq!(periods(&months, &madrid).len(), 1);
    }
}
