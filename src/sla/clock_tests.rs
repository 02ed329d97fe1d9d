//! The clock over Madrid's office hours (Monday to Friday, 09:00–17:00): due times across a
//! weekend, a holiday and the clock change of Sunday 29 March 2026, pauses, met targets, the
//! list's columns and the steps due.

use super::*;
use crate::desk_time::calendar::Interval;
use crate::sla::Action;
use jiff::Timestamp;

fn iso(t: i64) -> String {
    Timestamp::from_second(t).unwrap().to_string()
}

fn utc(text: &str) -> i64 {
    text.parse::<Timestamp>().unwrap().as_second()
}

fn madrid(holidays: &[&str]) -> BusinessCalendar {
    let day = || vec![Interval::new(9 * 60, 17 * 60).unwrap()];
    let week = [day(), day(), day(), day(), day(), Vec::new(), Vec::new()];
    let days: Vec<jiff::civil::Date> = holidays.iter().map(|d| d.parse().unwrap()).collect();
    BusinessCalendar::new("Europe/Madrid", week, days).unwrap()
}

fn facts(created_at: i64, slug: &str, closed: bool) -> SlaFacts {
    SlaFacts {
        created_at,
        priority_id: 3,
        category_id: 1,
        status_slug: Some(slug.to_string()),
        closed,
        first_response_at: None,
        resolved_at: None,
    }
}

fn targets(first: i64, resolution: i64, business_hours: bool) -> Option<Option<(i64, Targets)>> {
    Some(Some((
        7,
        Targets {
            first_response_minutes: first,
            resolution_minutes: resolution,
            business_hours,
        },
    )))
}

fn step(id: i64, target: Target, at_percent: i64) -> Step {
    Step {
        id,
        slot: id,
        target,
        at_percent,
        action: Action::EmailAssignee,
        staff_id: None,
    }
}

#[test]
fn business_time_skips_the_weekend_a_holiday_and_counts_the_clock_change() {
    // Friday 2026-03-27 16:00 CET: one business hour that day, the next on Monday 30 March,
    // after the change to summer time (10:00 CEST = 08:00Z, not 09:00Z).
    let friday = utc("2026-03-27T15:00:00Z");
    let open = facts(friday, "new", false);
    let cal = madrid(&[]);
    let clock = advance(None, &open, targets(120, 480, true), &cal, friday).unwrap();
    assert_eq!(iso(clock.first_response_due_at), "2026-03-30T08:00:00Z");
    // 8 business hours: 1 on Friday, 7 on Monday, to 16:00 CEST.
    assert_eq!(iso(clock.resolution_due_at), "2026-03-30T14:00:00Z");
    // Monday a holiday: Tuesday.
    let cal = madrid(&["2026-03-30"]);
    let clock = advance(None, &open, targets(120, 480, true), &cal, friday).unwrap();
    assert_eq!(iso(clock.first_response_due_at), "2026-03-31T08:00:00Z");
    // Calendar time ignores all of it.
    let clock = advance(None, &open, targets(120, 480, false), &cal, friday).unwrap();
    assert_eq!(iso(clock.first_response_due_at), "2026-03-27T17:00:00Z");
}

#[test]
fn a_pause_moves_the_targets_not_yet_met_by_the_business_time_it_lasted() {
    let cal = madrid(&[]);
    // Monday 2026-06-01 09:00 CEST (07:00Z), 4 business hours to respond, 16 to resolve.
    let monday = utc("2026-06-01T07:00:00Z");
    let mut ticket = facts(monday, "new", false);
    let clock = advance(None, &ticket, targets(240, 960, true), &cal, monday).unwrap();
    assert_eq!(iso(clock.first_response_due_at), "2026-06-01T11:00:00Z");
    // Answered at 10:00 and set waiting on the requester at 10:00 CEST.
    let ten = utc("2026-06-01T08:00:00Z");
    ticket.first_response_at = Some(ten);
    ticket.status_slug = Some("waiting".into());
    let paused = advance(Some(&clock), &ticket, None, &cal, ten).unwrap();
    assert_eq!(paused.paused_at, Some(ten));
    let (due, _) = list_columns(&paused, &ticket, &cal);
    assert_eq!(due, None, "no running deadline while waiting");
    // The requester answers on Tuesday at 10:00 CEST: 7 business hours passed (10–17 Monday),
    // plus 1 on Tuesday = 8 hours = 480 minutes paused.
    let tuesday_ten = utc("2026-06-02T08:00:00Z");
    ticket.status_slug = Some("in_progress".into());
    let resumed = advance(Some(&paused), &ticket, None, &cal, tuesday_ten).unwrap();
    assert_eq!(resumed.paused_at, None);
    assert_eq!(resumed.paused_minutes, 480);
    assert_eq!(resumed.paused_secs, 86_400);
    // The met first response keeps its due time; the resolution moves by the 8 hours.
    assert_eq!(resumed.first_response_due_at, clock.first_response_due_at);
    assert_eq!(
        iso(resumed.resolution_due_at),
        iso(add_business_minutes(clock.resolution_due_at, 480, &cal))
    );
    assert_eq!(iso(resumed.resolution_due_at), "2026-06-03T15:00:00Z");
    // Matched again under the same policy (its category changed): still kept; under other
    // targets (its priority changed) counted again, the pause included.
    let same = advance(
        Some(&resumed),
        &ticket,
        targets(240, 960, true),
        &cal,
        tuesday_ten,
    );
    assert_eq!(
        same.unwrap().first_response_due_at,
        clock.first_response_due_at
    );
    let other = advance(
        Some(&resumed),
        &ticket,
        targets(60, 960, true),
        &cal,
        tuesday_ten,
    );
    assert_eq!(
        iso(other.unwrap().first_response_due_at),
        "2026-06-02T08:00:00Z"
    );
    let (due, warn) = list_columns(&resumed, &ticket, &cal);
    assert_eq!(due, Some(resumed.resolution_due_at));
    // 75% of 16 hours = 12 hours (+ the 8 paused): Wednesday 13:00 CEST.
    assert_eq!(iso(warn.unwrap()), "2026-06-03T11:00:00Z");
}

#[test]
fn a_ticket_breached_before_its_pause_stays_overdue_and_a_closed_one_owes_nothing() {
    let cal = madrid(&[]);
    let start = utc("2026-06-01T07:00:00Z");
    let mut ticket = facts(start, "new", false);
    let clock = advance(None, &ticket, targets(60, 600, false), &cal, start).unwrap();
    // On hold two hours later: the first response was due an hour before.
    let later = start + 2 * 3600;
    ticket.status_slug = Some("on_hold".into());
    let paused = advance(Some(&clock), &ticket, None, &cal, later).unwrap();
    assert_eq!(
        list_columns(&paused, &ticket, &cal),
        (Some(start + 3600), Some(start + 3600))
    );
    ticket.status_slug = Some("resolved".into());
    ticket.closed = true;
    ticket.resolved_at = Some(later + 60);
    let closed = advance(Some(&paused), &ticket, None, &cal, later + 60).unwrap();
    assert!(closed.closed);
    assert_eq!(list_columns(&closed, &ticket, &cal), (None, None));
    assert_eq!(
        achieved_at(&ticket, Target::FirstResponse),
        Some(later + 60)
    );
}

#[test]
fn steps_fall_due_at_their_share_of_a_target_not_yet_met_and_once() {
    let cal = madrid(&[]);
    let start = utc("2026-06-01T07:00:00Z");
    let mut ticket = facts(start, "new", false);
    let clock = advance(None, &ticket, targets(60, 600, false), &cal, start).unwrap();
    let steps = [
        step(1, Target::FirstResponse, 75),
        step(2, Target::FirstResponse, 100),
        step(3, Target::Resolution, 50),
    ];
    let due = steps_due(&clock, &ticket, &steps, &[], &cal);
    let at: Vec<(i64, i64)> = due.iter().map(|(s, at)| (s.id, *at - start)).collect();
    assert_eq!(at, vec![(1, 45 * 60), (2, 3600), (3, 300 * 60)]);
    assert_eq!(
        next_check(&clock, &ticket, &steps, &[1], &cal),
        Some(start + 3600)
    );
    // Answered: only the resolution's step is left.
    ticket.first_response_at = Some(start + 600);
    assert_eq!(
        next_check(&clock, &ticket, &steps, &[], &cal),
        Some(start + 300 * 60)
    );
    // Paused before it came: nothing due until the clock runs again.
    ticket.status_slug = Some("waiting".into());
    let paused = advance(Some(&clock), &ticket, None, &cal, start + 1200).unwrap();
    assert_eq!(next_check(&paused, &ticket, &steps, &[], &cal), None);
}

#[test]
fn each_breach_falls_due_once_at_its_target_unless_met_or_paused_first() {
    let cal = madrid(&[]);
    let start = utc("2026-06-01T07:00:00Z");
    let mut ticket = facts(start, "new", false);
    let clock = advance(None, &ticket, targets(60, 600, false), &cal, start).unwrap();
    // No steps at all: the job still looks at the first due time.
    assert_eq!(next_breach(&clock, &ticket, &[]), Some(start + 3600));
    assert!(breaches_due(&clock, &ticket, &[], start + 3599).is_empty());
    assert_eq!(
        breaches_due(&clock, &ticket, &[], start + 3600),
        vec![(Target::FirstResponse, start + 3600)]
    );
    // Announced: the next one is the resolution's.
    let announced = [Target::FirstResponse];
    assert_eq!(
        next_breach(&clock, &ticket, &announced),
        Some(start + 36_000)
    );
    assert!(breaches_due(&clock, &ticket, &announced, start + 7200).is_empty());
    // Answered in time: nothing to announce for the first response.
    ticket.first_response_at = Some(start + 600);
    assert_eq!(next_breach(&clock, &ticket, &[]), Some(start + 36_000));
    // Waiting on the requester before the resolution's due time: nothing, until it runs again.
    ticket.status_slug = Some("waiting".into());
    let paused = advance(Some(&clock), &ticket, None, &cal, start + 1200).unwrap();
    assert_eq!(next_breach(&paused, &ticket, &[]), None);
}
