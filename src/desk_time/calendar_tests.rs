//! The calendar's arithmetic across weekends, holidays and Madrid's clock changes of 2026
//! (Sunday 29 March, 02:00 CET → 03:00 CEST; Sunday 25 October, 03:00 CEST → 02:00 CET).

use super::*;

/// A UTC instant, `2026-03-27T15:00:00Z`.
fn utc(text: &str) -> i64 {
    text.parse::<Timestamp>().unwrap().as_second()
}

fn iso(t: i64) -> String {
    Timestamp::from_second(t).unwrap().to_string()
}

/// Local wall-clock time `2026-03-27T16:00` in the calendar's zone.
fn local(calendar: &BusinessCalendar, text: &str) -> i64 {
    let dt: jiff::civil::DateTime = text.parse().unwrap();
    calendar.zone().to_timestamp(dt).unwrap().as_second()
}

fn hours(start: u16, end: u16) -> Vec<Interval> {
    vec![Interval::new(start * 60, end * 60).unwrap()]
}

fn weekdays(day: Vec<Interval>) -> [Vec<Interval>; 7] {
    let d = || day.clone();
    [d(), d(), d(), d(), d(), Vec::new(), Vec::new()]
}

fn every_day(day: Vec<Interval>) -> [Vec<Interval>; 7] {
    std::array::from_fn(|_| day.clone())
}

fn date(text: &str) -> Date {
    text.parse().unwrap()
}

fn madrid_office() -> BusinessCalendar {
    BusinessCalendar::new("Europe/Madrid", weekdays(hours(9, 17)), []).unwrap()
}

fn madrid_always_open() -> BusinessCalendar {
    BusinessCalendar::new("Europe/Madrid", every_day(hours(0, 24)), []).unwrap()
}

#[test]
fn the_default_is_weekdays_nine_to_five_in_utc() {
    let cal = BusinessCalendar::default();
    assert_eq!(cal.zone_name(), "UTC");
    // Wednesday 1 July 2026.
    let wed_10 = utc("2026-07-01T10:00:00Z");
    assert_eq!(
        iso(add_business_minutes(wed_10, 60, &cal)),
        "2026-07-01T11:00:00Z"
    );
    assert!(is_business_time(wed_10, &cal));
    assert!(
        !is_business_time(utc("2026-07-01T17:00:00Z"), &cal),
        "17:00 is closed"
    );
    assert!(is_business_time(utc("2026-07-01T16:59:59Z"), &cal));
    assert!(
        !is_business_time(utc("2026-07-04T12:00:00Z"), &cal),
        "a Saturday"
    );
}

#[test]
fn business_time_skips_nights_and_weekends() {
    let cal = BusinessCalendar::default();
    // Friday 3 July 16:30 + 1 hour: 30 minutes on Friday, 30 on Monday.
    let fri = utc("2026-07-03T16:30:00Z");
    let due = add_business_minutes(fri, 60, &cal);
    assert_eq!(iso(due), "2026-07-06T09:30:00Z");
    assert_eq!(business_minutes_between(fri, due, &cal), 60);
    assert_eq!(business_minutes_between(due, fri, &cal), -60);
    // Opened on Saturday: the clock starts on Monday at opening.
    let sat = utc("2026-07-04T11:00:00Z");
    assert_eq!(
        iso(add_business_minutes(sat, 15, &cal)),
        "2026-07-06T09:15:00Z"
    );
    assert_eq!(iso(next_business_time(sat, &cal)), "2026-07-06T09:00:00Z");
    assert_eq!(
        business_minutes_between(sat, utc("2026-07-05T23:00:00Z"), &cal),
        0
    );
    // Before opening on a weekday.
    let early = utc("2026-07-01T07:00:00Z");
    assert_eq!(
        iso(add_business_minutes(early, 30, &cal)),
        "2026-07-01T09:30:00Z"
    );
    // A whole week is five days of eight hours.
    let mon = utc("2026-07-06T00:00:00Z");
    assert_eq!(
        business_minutes_between(mon, mon + 7 * 86_400, &cal),
        5 * 8 * 60
    );
    // Nothing to add, or less than nothing: the start itself.
    assert_eq!(add_business_minutes(sat, 0, &cal), sat);
    assert_eq!(add_business_minutes(sat, -5, &cal), sat);
    assert_eq!(
        next_business_time(utc("2026-07-01T10:00:00Z"), &cal),
        utc("2026-07-01T10:00:00Z")
    );
}

#[test]
fn holidays_are_closed_all_day() {
    // Thursday 2 July is a holiday in Madrid.
    let cal = BusinessCalendar::new(
        "Europe/Madrid",
        weekdays(hours(9, 17)),
        [date("2026-07-02")],
    )
    .unwrap();
    assert!(cal.is_holiday(date("2026-07-02")));
    // Wednesday 16:00 CEST (14:00Z) + 2 hours: one on Wednesday, one on Friday.
    let wed = local(&cal, "2026-07-01T16:00");
    assert_eq!(wed, utc("2026-07-01T14:00:00Z"));
    let due = add_business_minutes(wed, 120, &cal);
    assert_eq!(iso(due), "2026-07-03T08:00:00Z", "Friday 10:00 in Madrid");
    assert_eq!(business_minutes_between(wed, due, &cal), 120);
    assert!(!is_business_time(local(&cal, "2026-07-02T12:00"), &cal));
    assert_eq!(
        iso(next_business_time(local(&cal, "2026-07-01T18:00"), &cal)),
        "2026-07-03T07:00:00Z"
    );
}

#[test]
fn a_ticket_opened_before_the_march_change_is_due_after_it() {
    let cal = madrid_office();
    // Friday 27 March, 16:00 CET = 15:00Z; the clocks go forward on Sunday.
    let opened = local(&cal, "2026-03-27T16:00");
    assert_eq!(opened, utc("2026-03-27T15:00:00Z"));
    let due = add_business_minutes(opened, 120, &cal);
    // Monday 30 March 10:00 CEST = 08:00Z (a fixed +01:00 would say 09:00Z).
    assert_eq!(iso(due), "2026-03-30T08:00:00Z");
    assert_eq!(business_minutes_between(opened, due, &cal), 120);
    assert!(
        is_business_time(utc("2026-03-30T07:00:00Z"), &cal),
        "09:00 CEST"
    );
    assert!(
        !is_business_time(utc("2026-03-30T06:30:00Z"), &cal),
        "08:30 CEST"
    );
}

#[test]
fn a_ticket_opened_before_the_october_change_is_due_after_it() {
    let cal = madrid_office();
    // Friday 23 October, 16:00 CEST = 14:00Z; the clocks go back on Sunday.
    let opened = local(&cal, "2026-10-23T16:00");
    assert_eq!(opened, utc("2026-10-23T14:00:00Z"));
    let due = add_business_minutes(opened, 120, &cal);
    // Monday 26 October 10:00 CET = 09:00Z.
    assert_eq!(iso(due), "2026-10-26T09:00:00Z");
    assert_eq!(business_minutes_between(opened, due, &cal), 120);
    assert!(
        is_business_time(utc("2026-10-26T08:00:00Z"), &cal),
        "09:00 CET"
    );
    assert!(
        !is_business_time(utc("2026-10-26T07:30:00Z"), &cal),
        "08:30 CET"
    );
}

#[test]
fn the_change_days_are_23_and_25_hours_long() {
    let cal = madrid_always_open();
    let march = business_minutes_between(
        local(&cal, "2026-03-29T00:00"),
        local(&cal, "2026-03-30T00:00"),
        &cal,
    );
    assert_eq!(march, 23 * 60);
    let october = business_minutes_between(
        local(&cal, "2026-10-25T00:00"),
        local(&cal, "2026-10-26T00:00"),
        &cal,
    );
    assert_eq!(october, 25 * 60);
    // An ordinary day.
    let july = business_minutes_between(
        local(&cal, "2026-07-01T00:00"),
        local(&cal, "2026-07-02T00:00"),
        &cal,
    );
    assert_eq!(july, 24 * 60);
}

#[test]
fn time_running_through_a_change_counts_real_minutes() {
    let cal = madrid_always_open();
    // Saturday 28 March 22:00 CET (21:00Z) + 4 hours: 01:00Z, which is 03:00 CEST on the
    // wall (the hour from 02:00 never happened there).
    let opened = local(&cal, "2026-03-28T22:00");
    let due = add_business_minutes(opened, 240, &cal);
    assert_eq!(iso(due), "2026-03-29T01:00:00Z");
    assert_eq!(
        cal.zone()
            .to_datetime(Timestamp::from_second(due).unwrap())
            .to_string(),
        "2026-03-29T03:00:00"
    );
    // Saturday 24 October 23:00 CEST (21:00Z) + 4 hours: 01:00Z, 02:00 CET, after the
    // repeated hour.
    let opened = local(&cal, "2026-10-24T23:00");
    let due = add_business_minutes(opened, 240, &cal);
    assert_eq!(iso(due), "2026-10-25T01:00:00Z");
    assert_eq!(business_minutes_between(opened, due, &cal), 240);
}

#[test]
fn an_opening_inside_the_changed_hour_is_as_long_as_it_really_is() {
    // Open only on Sundays, 02:00–04:00 local.
    let mut week: [Vec<Interval>; 7] = Default::default();
    week[6] = hours(2, 4);
    let cal = BusinessCalendar::new("Europe/Madrid", week, []).unwrap();
    // 29 March: 02:00–03:00 does not exist; open 03:00–04:00 CEST = 01:00Z–02:00Z.
    let day = |d: &str| {
        (
            utc(&format!("{d}T00:00:00Z")) - 3600,
            utc(&format!("{d}T23:00:00Z")),
        )
    };
    let (a, b) = day("2026-03-29");
    assert_eq!(business_minutes_between(a, b, &cal), 60);
    assert!(is_business_time(utc("2026-03-29T01:30:00Z"), &cal));
    assert!(
        !is_business_time(utc("2026-03-29T00:30:00Z"), &cal),
        "01:30 CET"
    );
    assert_eq!(iso(next_business_time(a, &cal)), "2026-03-29T01:00:00Z");
    // 25 October: 02:00–03:00 happens twice; open 02:00 CEST–04:00 CET = 00:00Z–03:00Z.
    let (a, b) = day("2026-10-25");
    assert_eq!(business_minutes_between(a, b, &cal), 180);
    assert_eq!(
        iso(add_business_minutes(a, 150, &cal)),
        "2026-10-25T02:30:00Z"
    );
    // An ordinary Sunday.
    let (a, b) = day("2026-07-05");
    assert_eq!(business_minutes_between(a, b, &cal), 120);
}

#[test]
fn a_split_shift_has_its_lunch_break_closed() {
    let day = vec![
        Interval::new(15 * 60, 18 * 60).unwrap(),
        Interval::new(9 * 60, 13 * 60).unwrap(),
    ];
    let cal = BusinessCalendar::new("UTC", weekdays(day), []).unwrap();
    assert_eq!(cal.week()[0][0].start, 9 * 60, "openings are sorted");
    let nine = utc("2026-07-01T09:00:00Z");
    assert_eq!(
        iso(add_business_minutes(nine, 300, &cal)),
        "2026-07-01T16:00:00Z"
    );
    assert!(!is_business_time(utc("2026-07-01T14:00:00Z"), &cal));
    assert_eq!(
        business_minutes_between(nine, utc("2026-07-02T00:00:00Z"), &cal),
        7 * 60
    );
}

/// Whatever the start, adding business minutes and then measuring them gives them back, across
/// a whole year with holidays and both clock changes.
#[test]
fn adding_and_measuring_agree_all_year() {
    let cal = BusinessCalendar::new(
        "Europe/Madrid",
        weekdays(hours(8, 18)),
        [
            date("2026-01-06"),
            date("2026-04-03"),
            date("2026-10-12"),
            date("2026-12-25"),
        ],
    )
    .unwrap();
    let mut start = utc("2026-01-01T00:00:00Z");
    let end = utc("2027-01-01T00:00:00Z");
    let mut n = 0;
    while start < end {
        for minutes in [1, 59, 600, 3_000] {
            let due = add_business_minutes(start, minutes, &cal);
            assert!(due > start);
            assert!(
                is_business_time(due - 1, &cal),
                "the last second counted was open"
            );
            assert_eq!(
                business_minutes_between(start, due, &cal),
                minutes,
                "from {}",
                iso(start)
            );
        }
        start += 7 * 3600 + 17 * 60 + 13;
        n += 1;
    }
    assert!(n > 1000);
    // A large amount walks days, not minutes: a year of business time.
    let far = add_business_minutes(utc("2026-01-01T00:00:00Z"), 250 * 600, &cal);
    assert_eq!(
        business_minutes_between(utc("2026-01-01T00:00:00Z"), far, &cal),
        250 * 600
    );
}

#[test]
fn hours_are_checked() {
    assert_eq!(parse_clock("09:00", false), Some(540));
    assert_eq!(parse_clock("9:05", false), Some(545));
    assert_eq!(parse_clock("23:59", true), Some(1439));
    assert_eq!(parse_clock("00:00", false), Some(0));
    assert_eq!(parse_clock("00:00", true), Some(1440), "an end at midnight");
    assert_eq!(parse_clock("24:00", true), Some(1440));
    assert_eq!(parse_clock("24:00", false), None);
    for bad in ["", "9", "25:00", "09:60", "9h", "09:0", "-1:00", "09:00:00"] {
        assert_eq!(parse_clock(bad, false), None, "{bad}");
    }
    assert_eq!(
        Interval::parse("17:00", "09:00"),
        Err(CalendarError::EndNotAfterStart)
    );
    assert_eq!(
        Interval::parse("09:00", "09:00"),
        Err(CalendarError::EndNotAfterStart)
    );
    assert_eq!(
        Interval::parse("nine", "17:00"),
        Err(CalendarError::BadTime)
    );
    let full = Interval::parse("00:00", "00:00").unwrap();
    assert_eq!((full.start, full.end), (0, 1440));
    assert_eq!(
        (full.start_text(), full.end_text()),
        ("00:00".into(), "00:00".into())
    );

    let mut overlapping = vec![
        Interval::parse("09:00", "13:00").unwrap(),
        Interval::parse("12:00", "17:00").unwrap(),
    ];
    assert_eq!(check_day(&mut overlapping), Err(CalendarError::Overlap));
    let mut touching = vec![
        Interval::parse("13:00", "17:00").unwrap(),
        Interval::parse("09:00", "13:00").unwrap(),
    ];
    assert_eq!(check_day(&mut touching), Ok(()));
    let mut three = vec![Interval::parse("01:00", "02:00").unwrap(); 3];
    assert_eq!(check_day(&mut three), Err(CalendarError::TooMany));

    let closed: [Vec<Interval>; 7] = Default::default();
    assert_eq!(
        BusinessCalendar::new("UTC", closed, []).unwrap_err(),
        CalendarError::NeverOpen
    );
    assert_eq!(
        BusinessCalendar::new("Europe/Atlantis", default_week(), []).unwrap_err(),
        CalendarError::UnknownZone
    );
    assert_eq!(
        BusinessCalendar::new("europe/madrid", default_week(), [])
            .unwrap()
            .zone_name(),
        "Europe/Madrid"
    );
}
