//! The desk's business calendar: its time zone, the hours it is open on each weekday and its
//! holidays, and the arithmetic over them that service-level targets need ("4 business hours
//! after it was opened", "how much of the desk's time has this ticket waited").
//!
//! Hours and holidays are local to the desk's zone (09:00 in Madrid is 09:00 there in winter and
//! in summer); every function takes and returns unix seconds in UTC. They walk the calendar one
//! local day at a time, turning each opening into a UTC span with the zone's rules, so a day a
//! clock change makes 23 or 25 hours long counts as what it really is, and a local time the
//! change skips (02:30 on the last Sunday of March in Madrid) is never open.

use std::collections::BTreeSet;

use jiff::Timestamp;
use jiff::civil::Date;
use jiff::tz::TimeZone;
use serde::Serialize;

pub const MINUTES_PER_DAY: u16 = 24 * 60;

/// How many openings a day may have (a split shift: morning and afternoon).
pub const MAX_INTERVALS_PER_DAY: usize = 2;

/// One opening of a day: from `start` to `end`, in minutes after local midnight; `end` may be
/// 1440 (midnight at the end of the day).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
pub struct Interval {
    pub start: u16,
    pub end: u16,
}

impl Interval {
    /// `start`–`end` as `HH:MM` text (see `parse_clock`).
    pub fn parse(start: &str, end: &str) -> Result<Interval, CalendarError> {
        let start = parse_clock(start, false).ok_or(CalendarError::BadTime)?;
        let end = parse_clock(end, true).ok_or(CalendarError::BadTime)?;
        Interval::new(start, end)
    }

    pub fn new(start: u16, end: u16) -> Result<Interval, CalendarError> {
        if end > MINUTES_PER_DAY || start >= MINUTES_PER_DAY {
            return Err(CalendarError::BadTime);
        }
        if end <= start {
            return Err(CalendarError::EndNotAfterStart);
        }
        Ok(Interval { start, end })
    }

    /// As the settings form shows it: `HH:MM`, the end of the day as `00:00`.
    pub fn start_text(&self) -> String {
        clock_text(self.start)
    }

    pub fn end_text(&self) -> String {
        clock_text(self.end % MINUTES_PER_DAY)
    }
}

fn clock_text(minute: u16) -> String {
    format!("{:02}:{:02}", minute / 60, minute % 60)
}

/// `HH:MM` (or `H:MM`) as minutes after midnight. As an end, `00:00` and `24:00` mean the
/// midnight that ends the day (a desk open until midnight).
pub fn parse_clock(text: &str, is_end: bool) -> Option<u16> {
    let (h, m) = text.trim().split_once(':')?;
    if h.is_empty() || h.len() > 2 || m.len() != 2 {
        return None;
    }
    let (h, m): (u16, u16) = (h.parse().ok()?, m.parse().ok()?);
    if m > 59 {
        return None;
    }
    match (h, m, is_end) {
        (0 | 24, 0, true) => Some(MINUTES_PER_DAY),
        (0..=23, _, _) => Some(h * 60 + m),
        _ => None,
    }
}

/// Why a week of hours cannot be a calendar.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CalendarError {
    /// Not a time of day (`25:00`, `9h`).
    BadTime,
    /// An opening that ends when or before it starts.
    EndNotAfterStart,
    /// Two openings of one day that overlap.
    Overlap,
    /// More openings in a day than `MAX_INTERVALS_PER_DAY`.
    TooMany,
    /// No opening on any day: the desk's clock would never run.
    NeverOpen,
    /// A zone name the time-zone database does not know.
    UnknownZone,
}

impl CalendarError {
    /// The catalog key of the message shown next to the field.
    pub fn message_key(self) -> &'static str {
        match self {
            CalendarError::BadTime => "admin_error_hours_bad_time",
            CalendarError::EndNotAfterStart => "admin_error_hours_end_before_start",
            CalendarError::Overlap => "admin_error_hours_overlap",
            CalendarError::TooMany => "admin_error_hours_too_many",
            CalendarError::NeverOpen => "admin_error_hours_never_open",
            CalendarError::UnknownZone => "admin_error_timezone",
        }
    }
}

/// Sorts a day's openings and checks they neither overlap nor exceed the limit. Openings that
/// touch (09:00–13:00 and 13:00–17:00) are fine.
pub fn check_day(intervals: &mut [Interval]) -> Result<(), CalendarError> {
    if intervals.len() > MAX_INTERVALS_PER_DAY {
        return Err(CalendarError::TooMany);
    }
    intervals.sort();
    if intervals.windows(2).any(|w| w[1].start < w[0].end) {
        return Err(CalendarError::Overlap);
    }
    Ok(())
}

/// The desk's calendar. Made only through `new`, which guarantees the desk is open at some time
/// of the week, so that adding business time always ends.
#[derive(Debug, Clone)]
pub struct BusinessCalendar {
    zone_name: String,
    zone: TimeZone,
    /// Monday first.
    week: [Vec<Interval>; 7],
    holidays: BTreeSet<Date>,
}

/// Monday to Friday, 09:00–17:00: the hours an office desk keeps until an admin sets its own.
pub fn default_week() -> [Vec<Interval>; 7] {
    let day = || {
        vec![Interval {
            start: 9 * 60,
            end: 17 * 60,
        }]
    };
    [day(), day(), day(), day(), day(), Vec::new(), Vec::new()]
}

impl Default for BusinessCalendar {
    fn default() -> Self {
        BusinessCalendar {
            zone_name: super::DEFAULT_ZONE.to_string(),
            zone: TimeZone::UTC,
            week: default_week(),
            holidays: BTreeSet::new(),
        }
    }
}

impl BusinessCalendar {
    /// A calendar in zone `zone_name` (an IANA name; unknown is an error, `None`), opening as
    /// `week` says (Monday first) and closed on `holidays` (local dates).
    pub fn new(
        zone_name: &str,
        mut week: [Vec<Interval>; 7],
        holidays: impl IntoIterator<Item = Date>,
    ) -> Result<BusinessCalendar, CalendarError> {
        let zone = super::zone(zone_name).ok_or(CalendarError::UnknownZone)?;
        for day in &mut week {
            check_day(day)?;
        }
        if week.iter().all(Vec::is_empty) {
            return Err(CalendarError::NeverOpen);
        }
        Ok(BusinessCalendar {
            zone_name: zone.iana_name().unwrap_or(zone_name).to_string(),
            zone,
            week,
            holidays: holidays.into_iter().collect(),
        })
    }

    pub fn zone_name(&self) -> &str {
        &self.zone_name
    }

    pub fn zone(&self) -> &TimeZone {
        &self.zone
    }

    /// The openings of each weekday, Monday first.
    pub fn week(&self) -> &[Vec<Interval>; 7] {
        &self.week
    }

    pub fn is_holiday(&self, date: Date) -> bool {
        self.holidays.contains(&date)
    }

    /// The local date at instant `t`.
    fn local_date(&self, t: i64) -> Option<Date> {
        let ts = Timestamp::from_second(t).ok()?;
        Some(self.zone.to_datetime(ts).date())
    }

    /// The instant of local time `minute` on `date` (1440: the next midnight). A local time
    /// skipped by a clock change maps to the instant after the gap, one repeated by a change to
    /// its first occurrence, so the day's openings stay in order.
    fn instant(&self, date: Date, minute: u16) -> Option<i64> {
        let (date, minute) = if minute >= MINUTES_PER_DAY {
            (date.tomorrow().ok()?, 0)
        } else {
            (date, minute)
        };
        let hour = i8::try_from(minute / 60).ok()?;
        let min = i8::try_from(minute % 60).ok()?;
        let ts = self.zone.to_timestamp(date.at(hour, min, 0, 0)).ok()?;
        Some(ts.as_second())
    }

    /// The open spans of `date` as UTC unix-second ranges, in order; none on a holiday. An
    /// opening that a clock change swallows whole is left out.
    fn spans(&self, date: Date) -> Vec<(i64, i64)> {
        if self.is_holiday(date) {
            return Vec::new();
        }
        let weekday = usize::try_from(date.weekday().to_monday_zero_offset()).unwrap_or(0);
        self.week[weekday]
            .iter()
            .filter_map(|i| Some((self.instant(date, i.start)?, self.instant(date, i.end)?)))
            .filter(|(a, b)| b > a)
            .collect()
    }
}

/// The instant `minutes` of business time after `start` (unix seconds): time outside the
/// desk's hours, on weekends it is closed and on holidays does not count. Zero or fewer minutes
/// give `start` itself. Saturates at the end of the calendar (year 9999).
pub fn add_business_minutes(start: i64, minutes: i64, calendar: &BusinessCalendar) -> i64 {
    if minutes <= 0 {
        return start;
    }
    let Some(mut date) = calendar.local_date(start) else {
        return start;
    };
    let mut left = minutes.saturating_mul(60);
    // Ends: `new` guarantees an opening every week, and holidays are finitely many.
    loop {
        for (open, close) in calendar.spans(date) {
            let from = open.max(start);
            if close <= from {
                continue;
            }
            if close - from >= left {
                return from + left;
            }
            left -= close - from;
        }
        match date.tomorrow() {
            Ok(next) => date = next,
            Err(_) => return i64::MAX,
        }
    }
}

/// The business minutes (whole ones, rounded down) from `a` to `b`; negative when `b` is before
/// `a`.
pub fn business_minutes_between(a: i64, b: i64, calendar: &BusinessCalendar) -> i64 {
    if b < a {
        return -business_minutes_between(b, a, calendar);
    }
    let Some(mut date) = calendar.local_date(a) else {
        return 0;
    };
    let mut seconds = 0i64;
    loop {
        for (open, close) in calendar.spans(date) {
            let overlap = close.min(b) - open.max(a);
            if overlap > 0 {
                seconds += overlap;
            }
        }
        match calendar.instant(date, MINUTES_PER_DAY) {
            Some(end_of_day) if end_of_day < b => {}
            _ => break,
        }
        match date.tomorrow() {
            Ok(next) => date = next,
            Err(_) => break,
        }
    }
    seconds / 60
}

/// Whether the desk is open at instant `t`.
pub fn is_business_time(t: i64, calendar: &BusinessCalendar) -> bool {
    calendar.local_date(t).is_some_and(|date| {
        calendar
            .spans(date)
            .iter()
            .any(|&(open, close)| open <= t && t < close)
    })
}

/// The first instant at or after `t` when the desk is open (`t` itself while it is).
pub fn next_business_time(t: i64, calendar: &BusinessCalendar) -> i64 {
    let Some(mut date) = calendar.local_date(t) else {
        return t;
    };
    loop {
        if let Some((open, _)) = calendar
            .spans(date)
            .into_iter()
            .find(|&(_, close)| close > t)
        {
            return open.max(t);
        }
        match date.tomorrow() {
            Ok(next) => date = next,
            Err(_) => return i64::MAX,
        }
    }
}

#[cfg(test)]
#[path = "calendar_tests.rs"]
mod tests;
