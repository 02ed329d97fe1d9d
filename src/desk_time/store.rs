//! Every statement on the `business_hours` and `holidays` tables, and the desk's calendar as
//! loaded from them and the `timezone` setting.

use rusqlite::{Connection, params};
use serde::Serialize;

use super::calendar::{BusinessCalendar, Interval, default_week};
use crate::error::Result;

/// The settings key of the desk's zone.
pub const TIMEZONE_KEY: &str = "timezone";

/// The openings of each weekday, Monday first.
pub fn week(conn: &Connection) -> Result<[Vec<Interval>; 7]> {
    let mut week: [Vec<Interval>; 7] = Default::default();
    let mut stmt = conn.prepare_cached(
        "SELECT weekday, start_min, end_min FROM business_hours ORDER BY weekday, start_min",
    )?;
    let rows = stmt.query_map([], |r| {
        Ok((
            r.get::<_, i64>(0)?,
            r.get::<_, u16>(1)?,
            r.get::<_, u16>(2)?,
        ))
    })?;
    for row in rows {
        let (weekday, start, end) = row?;
        // The table's checks keep rows well-formed; anything else is skipped, not trusted.
        if let (Some(day), Ok(interval)) = (
            usize::try_from(weekday - 1)
                .ok()
                .and_then(|i| week.get_mut(i)),
            Interval::new(start, end),
        ) {
            day.push(interval);
        }
    }
    Ok(week)
}

/// Replaces the whole week's openings.
pub fn set_week(conn: &Connection, week: &[Vec<Interval>; 7]) -> Result<()> {
    conn.execute("DELETE FROM business_hours", [])?;
    let mut insert = conn.prepare_cached(
        "INSERT INTO business_hours (weekday, start_min, end_min) VALUES (?1, ?2, ?3)",
    )?;
    for (i, day) in week.iter().enumerate() {
        for interval in day {
            insert.execute(params![i as i64 + 1, interval.start, interval.end])?;
        }
    }
    Ok(())
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Holiday {
    /// `YYYY-MM-DD`, a local date.
    pub day: String,
    pub name: String,
}

/// Every holiday, in date order.
pub fn holidays(conn: &Connection) -> Result<Vec<Holiday>> {
    let mut stmt = conn.prepare_cached("SELECT day, name FROM holidays ORDER BY day")?;
    let rows = stmt
        .query_map([], |r| {
            Ok(Holiday {
                day: r.get(0)?,
                name: r.get(1)?,
            })
        })?
        .collect::<rusqlite::Result<Vec<_>>>()?;
    Ok(rows)
}

/// Adds a holiday; false when that date already is one (it is left as it was).
pub fn add_holiday(conn: &Connection, day: jiff::civil::Date, name: &str) -> Result<bool> {
    let n = conn.execute(
        "INSERT INTO holidays (day, name) VALUES (?1, ?2) ON CONFLICT(day) DO NOTHING",
        params![day.to_string(), name],
    )?;
    Ok(n == 1)
}

/// Removes the holiday on `day`; false when there was none.
pub fn remove_holiday(conn: &Connection, day: &str) -> Result<bool> {
    let n = conn.execute("DELETE FROM holidays WHERE day = ?1", [day])?;
    Ok(n == 1)
}

/// The desk's calendar as stored. The admin pages only save a valid one; should the stored
/// data still not make one (a zone the bundled database no longer knows, every day closed by
/// hand in SQL), the zone falls back to UTC and the hours to the defaults, so the clock runs.
pub fn load_calendar(conn: &Connection) -> Result<BusinessCalendar> {
    let zone = crate::settings::get(conn, TIMEZONE_KEY)?.unwrap_or_default();
    let zone = super::canonical_name(&zone).unwrap_or_else(|| super::DEFAULT_ZONE.to_string());
    let week = week(conn)?;
    let days: Vec<jiff::civil::Date> = holidays(conn)?
        .iter()
        .filter_map(|h| h.day.parse().ok())
        .collect();
    Ok(BusinessCalendar::new(&zone, week, days.iter().copied())
        .or_else(|_| BusinessCalendar::new(&zone, default_week(), days))
        .unwrap_or_default())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn db() -> Connection {
        let mut conn = Connection::open_in_memory().unwrap();
        crate::db::migrate(&mut conn).unwrap();
        conn
    }

    #[test]
    fn a_new_desk_keeps_office_hours_in_utc() {
        let conn = db();
        let cal = load_calendar(&conn).unwrap();
        assert_eq!(cal.zone_name(), "UTC");
        assert_eq!(cal.week(), &default_week());
        assert!(holidays(&conn).unwrap().is_empty());
    }

    #[test]
    fn hours_holidays_and_zone_are_stored() {
        let conn = db();
        crate::settings::set(&conn, TIMEZONE_KEY, "Europe/Madrid").unwrap();
        let mut week: [Vec<Interval>; 7] = Default::default();
        week[0] = vec![
            Interval::new(8 * 60, 14 * 60).unwrap(),
            Interval::new(15 * 60, 1440).unwrap(),
        ];
        week[5] = vec![Interval::new(10 * 60, 12 * 60).unwrap()];
        set_week(&conn, &week).unwrap();
        let day: jiff::civil::Date = "2026-12-25".parse().unwrap();
        assert!(add_holiday(&conn, day, "Navidad").unwrap());
        assert!(!add_holiday(&conn, day, "Again").unwrap());
        let cal = load_calendar(&conn).unwrap();
        assert_eq!(cal.zone_name(), "Europe/Madrid");
        assert_eq!(cal.week(), &week);
        assert!(cal.is_holiday(day));
        assert_eq!(
            holidays(&conn).unwrap(),
            vec![Holiday {
                day: "2026-12-25".into(),
                name: "Navidad".into()
            }]
        );
        assert!(remove_holiday(&conn, "2026-12-25").unwrap());
        assert!(!remove_holiday(&conn, "2026-12-25").unwrap());
    }

    #[test]
    fn stored_data_that_makes_no_calendar_falls_back() {
        let conn = db();
        crate::settings::set(&conn, TIMEZONE_KEY, "Nowhere/Gone").unwrap();
        set_week(&conn, &Default::default()).unwrap();
        let cal = load_calendar(&conn).unwrap();
        assert_eq!(cal.zone_name(), "UTC");
        assert_eq!(cal.week(), &default_week());
    }
}
