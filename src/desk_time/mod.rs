//! The desk's time: its time zone, business hours and holidays (`calendar`, stored by `store`),
//! and how times are shown to a person in their own zone (`format`). Times are unix seconds in
//! UTC everywhere else in the program; this module is where they meet a wall clock.
//!
//! Time zones come from `jiff` with the IANA time-zone database bundled into the binary, so the
//! desk computes the same local times on a machine without `/usr/share/zoneinfo`.

pub mod calendar;
pub mod format;
pub mod store;

pub use calendar::{
    BusinessCalendar, Interval, add_business_minutes, business_minutes_between, is_business_time,
    next_business_time,
};

use jiff::tz::TimeZone;

/// The desk's zone until an admin picks one.
pub const DEFAULT_ZONE: &str = "UTC";

/// The time zone named `name` (an IANA name such as `Europe/Madrid`; case is ignored), from the
/// bundled database. Lookups are cached by jiff, so pages may call this for every time shown.
pub fn zone(name: &str) -> Option<TimeZone> {
    let name = name.trim();
    if name.is_empty() {
        return None;
    }
    jiff::tz::db().get(name).ok()
}

/// The canonical spelling of a zone name (`europe/madrid` → `Europe/Madrid`), or None when the
/// database does not know it.
pub fn canonical_name(name: &str) -> Option<String> {
    let tz = zone(name)?;
    Some(tz.iana_name().unwrap_or(DEFAULT_ZONE).to_string())
}

/// The zone named `name`, or UTC when it is empty or unknown (a stored name the bundled
/// database no longer knows must not take pages down).
pub fn zone_or_utc(name: &str) -> TimeZone {
    zone(name).unwrap_or(TimeZone::UTC)
}

/// Every zone name of the bundled database, sorted, for the pickers on the settings pages.
pub fn zone_names() -> Vec<String> {
    let mut names: Vec<String> = jiff::tz::db()
        .available()
        .map(|n| n.to_string())
        // The legacy aliases (`EST5EDT`, `Etc/GMT+3`, ...) still work when typed; the list
        // offers the names people look for.
        .filter(|n| n.contains('/') && !n.starts_with("Etc/") && !n.starts_with("SystemV/"))
        .collect();
    names.push(DEFAULT_ZONE.to_string());
    names.sort();
    names.dedup();
    names
}

/// The end of the local day at instant `t` in `zone`: the next local midnight (the start of the
/// next day, however long a clock change makes this one).
pub fn day_end(t: i64, zone: &TimeZone) -> i64 {
    let Ok(ts) = jiff::Timestamp::from_second(t) else {
        return t;
    };
    zone.to_datetime(ts)
        .date()
        .tomorrow()
        .ok()
        // A midnight a clock change skips maps to the instant after the gap.
        .and_then(|day| zone.to_timestamp(day.at(0, 0, 0, 0)).ok())
        .map_or(t, |start| start.as_second())
}

/// The zone a person sees times in: their own when they chose one, else the desk's.
pub fn viewer_zone<'a>(own: &'a str, desk: &'a str) -> &'a str {
    if own.trim().is_empty() { desk } else { own }
}

/// The end of the local day `YYYY-MM-DD` in `zone` (its next midnight, or the first instant of
/// the next day when a clock change skips midnight) as unix seconds; None unless a real date.
pub fn date_end(day: &str, zone: &TimeZone) -> Option<i64> {
    let date: jiff::civil::Date = day.trim().parse().ok()?;
    let next = date.tomorrow().ok()?;
    let start = zone.to_timestamp(next.at(0, 0, 0, 0)).ok()?;
    Some(start.as_second())
}

/// The start of the local day `YYYY-MM-DD` in `zone` (its midnight, or the first instant after
/// a clock change that skips it) as unix seconds; None unless a real date.
pub fn date_start(day: &str, zone: &TimeZone) -> Option<i64> {
    let date: jiff::civil::Date = day.trim().parse().ok()?;
    let start = zone.to_timestamp(date.at(0, 0, 0, 0)).ok()?;
    Some(start.as_second())
}

/// The local date of unix time `t` in `zone`, as `YYYY-MM-DD`.
pub fn local_date(t: i64, zone: &TimeZone) -> String {
    jiff::Timestamp::from_second(t)
        .map(|ts| ts.to_zoned_datetime(zone.clone()).date().to_string())
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn zone_names_are_checked_against_the_bundled_database() {
        assert_eq!(
            canonical_name("europe/madrid").as_deref(),
            Some("Europe/Madrid")
        );
        assert_eq!(canonical_name("UTC").as_deref(), Some("UTC"));
        let madrid = zone("Europe/Madrid").unwrap();
        // 2026-12-24 ends at 23:00 UTC in Madrid (CET, UTC+1).
        assert_eq!(date_end("2026-12-24", &madrid), Some(1_798_153_200));
        assert_eq!(local_date(1_798_153_199, &madrid), "2026-12-24");
        assert_eq!(local_date(1_798_153_200, &madrid), "2026-12-25");
        assert_eq!(date_end("2026-02-30", &madrid), None);
        assert_eq!(canonical_name("Mars/Olympus_Mons"), None);
        assert_eq!(canonical_name(""), None);
        // A POSIX TZ string is not a zone name.
        assert_eq!(canonical_name("CET-1CEST,M3.5.0,M10.5.0/3"), None);
        let names = zone_names();
        assert!(names.iter().any(|n| n == "America/New_York"));
        assert!(names.iter().any(|n| n == "UTC"));
        assert!(names.len() > 300, "{}", names.len());
    }

    #[test]
    fn the_day_ends_at_the_next_local_midnight() {
        let utc = |t: &str| t.parse::<jiff::Timestamp>().unwrap().as_second();
        let madrid = zone("Europe/Madrid").unwrap();
        // 23:30 in Madrid on 28 March 2026 (CET); the next midnight is still CET.
        assert_eq!(
            day_end(utc("2026-03-28T22:30:00Z"), &madrid),
            utc("2026-03-28T23:00:00Z")
        );
        // The 29th has 23 hours: it ends at 22:00Z (midnight CEST).
        assert_eq!(
            day_end(utc("2026-03-29T10:00:00Z"), &madrid),
            utc("2026-03-29T22:00:00Z")
        );
        assert_eq!(
            day_end(utc("2026-07-01T10:00:00Z"), &TimeZone::UTC),
            utc("2026-07-02T00:00:00Z")
        );
    }

    #[test]
    fn the_viewer_sees_their_own_zone_or_the_desks() {
        assert_eq!(viewer_zone("", "Europe/Madrid"), "Europe/Madrid");
        assert_eq!(
            viewer_zone("America/New_York", "Europe/Madrid"),
            "America/New_York"
        );
    }
}
