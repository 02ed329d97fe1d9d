//! Next runs: daily, weekly, monthly, month ends and Madrid's clock changes of 2026 (Sunday
//! 29 March, 02:00 CET → 03:00 CEST; Sunday 25 October, 03:00 CEST → 02:00 CET).

use super::*;

fn madrid() -> TimeZone {
    crate::desk_time::zone("Europe/Madrid").unwrap()
}

/// Local wall-clock time `2026-03-27T16:00` in `zone` (unambiguous times only).
fn local(zone: &TimeZone, text: &str) -> i64 {
    let dt: jiff::civil::DateTime = text.parse().unwrap();
    zone.to_timestamp(dt).unwrap().as_second()
}

/// A UTC instant, `2026-03-27T15:00:00Z`.
fn utc(text: &str) -> i64 {
    text.parse::<Timestamp>().unwrap().as_second()
}

/// `t` as local time in `zone`, with its offset: `2026-03-29T03:00:00+02:00`.
fn shown(zone: &TimeZone, t: i64) -> String {
    Timestamp::from_second(t)
        .unwrap()
        .to_zoned_datetime(zone.clone())
        .strftime("%Y-%m-%dT%H:%M:%S%:z")
        .to_string()
}

fn at(repeat: Repeat, clock: &str) -> Schedule {
    let minute = crate::desk_time::calendar::parse_clock(clock, false).unwrap();
    Schedule::new(repeat, minute).unwrap()
}

/// The next `n` runs after `from`.
fn runs(schedule: &Schedule, zone: &TimeZone, from: i64, n: usize) -> Vec<String> {
    let mut out = Vec::new();
    let mut t = from;
    for _ in 0..n {
        t = schedule.next_after(t, zone).unwrap();
        out.push(shown(zone, t));
    }
    out
}

#[test]
fn daily_runs_at_the_local_time_each_day_and_strictly_after_the_moment_asked() {
    let z = madrid();
    let s = at(Repeat::Daily, "08:00");
    assert_eq!(
        runs(&s, &z, local(&z, "2026-06-01T07:59"), 2),
        ["2026-06-01T08:00:00+02:00", "2026-06-02T08:00:00+02:00"]
    );
    // At the due time itself, the next is tomorrow's: a pass at 08:00 never finds it twice.
    let due = local(&z, "2026-06-01T08:00");
    assert_eq!(
        shown(&z, s.next_after(due, &z).unwrap()),
        "2026-06-02T08:00:00+02:00"
    );
    // Midnight and the last minute of the day.
    let s = at(Repeat::Daily, "00:00");
    assert_eq!(
        runs(&s, &z, local(&z, "2026-06-01T00:00"), 1),
        ["2026-06-02T00:00:00+02:00"]
    );
    let s = at(Repeat::Daily, "23:59");
    assert_eq!(
        runs(&s, &z, local(&z, "2026-06-01T23:59"), 1),
        ["2026-06-02T23:59:00+02:00"]
    );
}

#[test]
fn weekly_runs_on_the_chosen_weekdays_only() {
    let z = madrid();
    let days = Weekdays::parse("mon,wed,fri").unwrap();
    let s = at(Repeat::Weekly(days), "09:30");
    // Friday 5 June 2026, after the run: Monday, Wednesday, Friday, Monday.
    assert_eq!(
        runs(&s, &z, local(&z, "2026-06-05T10:00"), 4),
        [
            "2026-06-08T09:30:00+02:00",
            "2026-06-10T09:30:00+02:00",
            "2026-06-12T09:30:00+02:00",
            "2026-06-15T09:30:00+02:00",
        ]
    );
    let sunday = at(Repeat::Weekly(Weekdays::parse("sun").unwrap()), "18:00");
    assert_eq!(
        runs(&sunday, &z, local(&z, "2026-06-07T18:00"), 1),
        ["2026-06-14T18:00:00+02:00"]
    );
}

#[test]
fn monthly_runs_on_its_day_and_on_the_last_day_of_shorter_months() {
    let z = madrid();
    let s = at(Repeat::Monthly(31), "07:00");
    assert_eq!(
        runs(&s, &z, local(&z, "2027-01-01T00:00"), 5),
        [
            "2027-01-31T07:00:00+01:00",
            "2027-02-28T07:00:00+01:00",
            "2027-03-31T07:00:00+02:00",
            "2027-04-30T07:00:00+02:00",
            "2027-05-31T07:00:00+02:00",
        ]
    );
    // A leap year's February has its 29th.
    let s29 = at(Repeat::Monthly(29), "07:00");
    assert_eq!(
        runs(&s29, &z, local(&z, "2028-02-01T00:00"), 2),
        ["2028-02-29T07:00:00+01:00", "2028-03-29T07:00:00+02:00"]
    );
    assert_eq!(
        runs(&s29, &z, local(&z, "2027-02-01T00:00"), 2),
        ["2027-02-28T07:00:00+01:00", "2027-03-29T07:00:00+02:00"]
    );
    // After this month's day has passed: next month's.
    let s15 = at(Repeat::Monthly(15), "12:00");
    assert_eq!(
        runs(&s15, &z, local(&z, "2026-12-15T12:01"), 2),
        ["2027-01-15T12:00:00+01:00", "2027-02-15T12:00:00+01:00"]
    );
}

#[test]
fn the_local_time_holds_across_the_clock_changes() {
    let z = madrid();
    // 08:00 in Madrid is 07:00 UTC in winter and 06:00 UTC in summer.
    let s = at(Repeat::Daily, "08:00");
    let mut t = local(&z, "2026-03-28T09:00");
    t = s.next_after(t, &z).unwrap();
    assert_eq!(t, utc("2026-03-29T06:00:00Z"));
    t = s.next_after(t, &z).unwrap();
    assert_eq!(t, utc("2026-03-30T06:00:00Z"));
    let mut t = local(&z, "2026-10-24T09:00");
    t = s.next_after(t, &z).unwrap();
    assert_eq!(t, utc("2026-10-25T07:00:00Z"));
}

#[test]
fn a_time_the_spring_change_skips_runs_at_the_end_of_the_gap() {
    let z = madrid();
    // 02:30 does not exist on 29 March 2026: the clock goes from 02:00 to 03:00.
    let s = at(Repeat::Daily, "02:30");
    assert_eq!(
        runs(&s, &z, local(&z, "2026-03-28T03:00"), 3),
        [
            "2026-03-29T03:00:00+02:00",
            "2026-03-30T02:30:00+02:00",
            "2026-03-31T02:30:00+02:00",
        ]
    );
    assert_eq!(
        s.next_after(local(&z, "2026-03-28T03:00"), &z),
        Some(utc("2026-03-29T01:00:00Z"))
    );
    // A run that would land after 03:00 that day is unaffected.
    let s = at(Repeat::Daily, "03:15");
    assert_eq!(
        runs(&s, &z, local(&z, "2026-03-28T04:00"), 1),
        ["2026-03-29T03:15:00+02:00"]
    );
}

#[test]
fn a_time_the_autumn_change_repeats_runs_once_at_its_first_occurrence() {
    let z = madrid();
    // 02:30 happens twice on 25 October 2026: at 00:30 UTC (CEST) and 01:30 UTC (CET).
    let s = at(Repeat::Daily, "02:30");
    let first = s.next_after(local(&z, "2026-10-24T12:00"), &z).unwrap();
    assert_eq!(first, utc("2026-10-25T00:30:00Z"));
    let second = s.next_after(first, &z).unwrap();
    assert_eq!(shown(&z, second), "2026-10-26T02:30:00+01:00");
    // Asked between the two 02:30s, the repeated one is not a run of its own.
    assert_eq!(s.next_after(utc("2026-10-25T01:00:00Z"), &z), Some(second));
}

#[test]
fn after_downtime_the_latest_missed_due_time_is_found() {
    let z = madrid();
    let s = at(Repeat::Daily, "08:00");
    let stored = local(&z, "2026-06-01T08:00");
    // Down from 1 June 07:00 to 3 June 10:00: the 1st, 2nd and 3rd were missed; the 3rd counts.
    let now = local(&z, "2026-06-03T10:00");
    assert_eq!(s.latest_due(stored, now, &z), local(&z, "2026-06-03T08:00"));
    // Not yet due again: the stored one is the one.
    let early = local(&z, "2026-06-01T09:00");
    assert_eq!(s.latest_due(stored, early, &z), stored);
}

#[test]
fn schedules_that_cannot_be_are_refused() {
    assert_eq!(
        Schedule::new(Repeat::Weekly(Weekdays::default()), 60),
        Err(ScheduleError::NoWeekday)
    );
    assert_eq!(
        Schedule::new(Repeat::Monthly(0), 60),
        Err(ScheduleError::BadDayOfMonth)
    );
    assert_eq!(
        Schedule::new(Repeat::Monthly(32), 60),
        Err(ScheduleError::BadDayOfMonth)
    );
    assert_eq!(
        Schedule::new(Repeat::Daily, 1440),
        Err(ScheduleError::BadTime)
    );
    assert!(Schedule::new(Repeat::Monthly(31), 1439).is_ok());
}

#[test]
fn weekdays_read_and_write_their_names() {
    let days = Weekdays::parse("fri, Mon").unwrap();
    assert_eq!(days.names(), ["mon", "fri"]);
    assert!(days.contains(0) && days.contains(4) && !days.contains(1));
    assert_eq!(Weekdays::parse("mon,funday"), None);
    assert!(Weekdays::parse("").unwrap().is_empty());
    assert_eq!(Weekdays::default().with(9), Weekdays::default());
}

#[test]
fn a_change_at_midnight_keeps_the_run_on_its_day() {
    // Santiago de Chile springs forward at midnight: on 6 September 2026 the clock goes from
    // 00:00 straight to 01:00, so 00:30 that day is 01:00.
    let z = crate::desk_time::zone("America/Santiago").unwrap();
    let s = at(Repeat::Daily, "00:30");
    assert_eq!(
        runs(&s, &z, local(&z, "2026-09-05T12:00"), 2),
        ["2026-09-06T01:00:00-03:00", "2026-09-07T00:30:00-03:00"]
    );
}
