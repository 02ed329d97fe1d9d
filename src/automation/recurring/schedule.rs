//! When a recurring ticket falls due: every day, on chosen weekdays or on a day of the month, at
//! a local time of day in the desk's zone. Pure functions of the instant they are asked about
//! (unix seconds, UTC) and the zone, so tests pick any moment, a clock change included.
//!
//! The local calendar comes from jiff and the bundled time-zone database; no offset is computed
//! by hand. Two rules a clock change calls for:
//! - a local time the change skips (02:30 on the last Sunday of March in Madrid) runs at the next
//!   valid local time, the end of the gap (03:00 that day);
//! - a local time the change repeats (02:30 on the last Sunday of October) runs once, at its
//!   first occurrence.
//!
//! A monthly schedule on the 29th, 30th or 31st runs on the last day of a month without that day
//! (the 31st is the 30th in April and the 28th or 29th in February), so it runs every month.

use jiff::Timestamp;
use jiff::civil::Date;
use jiff::tz::{AmbiguousOffset, TimeZone};

use crate::desk_time::calendar::MINUTES_PER_DAY;

/// The weekdays as the form and the database name them, Monday first.
pub const WEEKDAY_NAMES: [&str; 7] = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"];

/// A set of weekdays: bit 0 is Monday, bit 6 Sunday.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Weekdays(u8);

impl Weekdays {
    /// From `WEEKDAY_NAMES` entries (`mon,wed`), any order; None for a name it does not know.
    pub fn parse(text: &str) -> Option<Weekdays> {
        let mut days = Weekdays::default();
        for name in text.split(',').map(str::trim).filter(|n| !n.is_empty()) {
            let i = WEEKDAY_NAMES
                .iter()
                .position(|d| d.eq_ignore_ascii_case(name))?;
            days = days.with(i);
        }
        Some(days)
    }

    /// This set plus weekday `i` (0 = Monday); an index past Sunday changes nothing.
    pub fn with(self, i: usize) -> Weekdays {
        match u32::try_from(i) {
            Ok(i) if i < 7 => Weekdays(self.0 | (1 << i)),
            _ => self,
        }
    }

    pub fn contains(self, i: usize) -> bool {
        i < 7 && self.0 & (1 << i) != 0
    }

    pub fn is_empty(self) -> bool {
        self.0 == 0
    }

    /// The names, Monday first: `mon,wed,fri`.
    pub fn names(self) -> Vec<&'static str> {
        WEEKDAY_NAMES
            .iter()
            .enumerate()
            .filter(|(i, _)| self.contains(*i))
            .map(|(_, n)| *n)
            .collect()
    }
}

/// How often a recurring ticket is opened.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Repeat {
    Daily,
    /// On these weekdays (never none).
    Weekly(Weekdays),
    /// On this day of the month, 1–31; a month without it: its last day.
    Monthly(u8),
}

impl Repeat {
    /// Its name in the form and the database: `daily`, `weekly` or `monthly`.
    pub fn kind(self) -> &'static str {
        match self {
            Repeat::Daily => "daily",
            Repeat::Weekly(_) => "weekly",
            Repeat::Monthly(_) => "monthly",
        }
    }
}

/// Why a schedule cannot be.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ScheduleError {
    /// Weekly without a weekday.
    NoWeekday,
    /// A day of the month outside 1–31.
    BadDayOfMonth,
    /// A time of day outside 00:00–23:59.
    BadTime,
}

/// When: how often, and at which local time of day.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Schedule {
    pub repeat: Repeat,
    /// Minutes after local midnight, 0–1439.
    pub minute: u16,
}

/// Days looked ahead for the next run: a monthly schedule runs at least every 31 days, a weekly
/// one every 7; this leaves room for any clock change on the way.
const DAYS_AHEAD: i32 = 64;

impl Schedule {
    pub fn new(repeat: Repeat, minute: u16) -> Result<Schedule, ScheduleError> {
        if minute >= MINUTES_PER_DAY {
            return Err(ScheduleError::BadTime);
        }
        match repeat {
            Repeat::Weekly(days) if days.is_empty() => Err(ScheduleError::NoWeekday),
            Repeat::Monthly(day) if !(1..=31).contains(&day) => Err(ScheduleError::BadDayOfMonth),
            _ => Ok(Schedule { repeat, minute }),
        }
    }

    /// `HH:MM`, as the form shows it.
    pub fn time_text(&self) -> String {
        format!("{:02}:{:02}", self.minute / 60, self.minute % 60)
    }

    /// Whether the schedule runs on local date `date`.
    fn runs_on(&self, date: Date) -> bool {
        match self.repeat {
            Repeat::Daily => true,
            Repeat::Weekly(days) => {
                days.contains(usize::try_from(date.weekday().to_monday_zero_offset()).unwrap_or(7))
            }
            Repeat::Monthly(day) => {
                date.day() == i8::try_from(day).unwrap_or(31).min(date.days_in_month())
            }
        }
    }

    /// The first due time strictly after `t` in `zone`; None only for a schedule `new` would
    /// refuse, or past the end of jiff's calendar (the year 9999).
    pub fn next_after(&self, t: i64, zone: &TimeZone) -> Option<i64> {
        let ts = Timestamp::from_second(t).ok()?;
        // From the day before: a clock change may move a day's run past midnight.
        let mut date = zone.to_datetime(ts).date().yesterday().ok()?;
        for _ in 0..DAYS_AHEAD {
            if self.runs_on(date)
                && let Some(at) = local_instant(zone, date, self.minute)
                && at > t
            {
                return Some(at);
            }
            date = date.tomorrow().ok()?;
        }
        None
    }

    /// The latest due time at or before `now`, counting from `due` (a due time not yet served):
    /// `due` itself when the next one after it is still to come. With the server down for two
    /// days, a daily schedule's stored due time is two days old and this is today's.
    pub fn latest_due(&self, due: i64, now: i64, zone: &TimeZone) -> i64 {
        let mut latest = due;
        while let Some(next) = self.next_after(latest, zone) {
            if next > now {
                break;
            }
            latest = next;
        }
        latest
    }
}

/// The instant local time `minute` on `date` is in `zone`: a skipped time at the end of its gap,
/// a repeated one at its first occurrence.
fn local_instant(zone: &TimeZone, date: Date, minute: u16) -> Option<i64> {
    let hour = i8::try_from(minute / 60).ok()?;
    let min = i8::try_from(minute % 60).ok()?;
    let local = date.at(hour, min, 0, 0);
    let ts = match zone.to_ambiguous_timestamp(local).offset() {
        AmbiguousOffset::Unambiguous { offset } => offset.to_timestamp(local).ok()?,
        AmbiguousOffset::Fold { before, .. } => before.to_timestamp(local).ok()?,
        AmbiguousOffset::Gap { after, .. } => {
            // Read with the later offset, the time falls before the change; the change itself
            // is the first moment the clock shows a later time.
            let before_change = after.to_timestamp(local).ok()?;
            zone.following(before_change).next()?.timestamp()
        }
    };
    Some(ts.as_second())
}

#[cfg(test)]
#[path = "schedule_tests.rs"]
mod tests;
