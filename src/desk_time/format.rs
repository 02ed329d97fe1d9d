//! Times as people read them: the absolute time in the viewer's zone ("2026-07-01 12:00 CEST"),
//! relative to now ("2 hours ago", "in 35 min", "hace 2 horas") and against a deadline ("due in
//! 35 min", "breached by 2 h 10 min"). "Now" is always passed in, never read from the clock
//! here, so a page (and a test) decides what time it is.
//!
//! The words come from the catalogs (`time_*` keys), so each language has its own; the Tera
//! filters at the end make the same functions available to the templates.

use std::collections::HashMap;

use jiff::Timestamp;
use jiff::tz::TimeZone;
use tera::Value;

/// One language's words for times.
#[derive(Debug, Clone)]
pub struct Phrases {
    just_now: String,
    ago: String,
    ahead: String,
    due_in: String,
    due_now: String,
    breached_by: String,
    minutes: String,
    hour: [String; 2],
    day: [String; 2],
    month: [String; 2],
    year: [String; 2],
    short_hours: String,
    short_days: String,
}

impl Phrases {
    /// From one language's catalog; a missing key shows as itself (the i18n tests check that
    /// every key is in every catalog).
    pub fn from_catalog(catalog: &HashMap<String, String>) -> Phrases {
        let get = |key: &str| catalog.get(key).cloned().unwrap_or_else(|| key.to_string());
        let pair = |key: &str| [get(&format!("{key}_one")), get(&format!("{key}_other"))];
        Phrases {
            just_now: get("time_just_now"),
            ago: get("time_ago"),
            ahead: get("time_in"),
            due_in: get("time_due_in"),
            due_now: get("time_due_now"),
            breached_by: get("time_breached_by"),
            minutes: get("time_minutes"),
            hour: pair("time_hours"),
            day: pair("time_days"),
            month: pair("time_months"),
            year: pair("time_years"),
            short_hours: get("time_hours_short"),
            short_days: get("time_days_short"),
        }
    }
}

fn with_n(template: &str, n: i64) -> String {
    template.replace("{n}", &n.to_string())
}

fn plural(forms: &[String; 2], n: i64) -> String {
    with_n(if n == 1 { &forms[0] } else { &forms[1] }, n)
}

/// `t` in zone `zone`: `2026-07-01 12:00 CEST` (the zone's abbreviation, or its offset where
/// it has none).
pub fn absolute(t: i64, zone: &TimeZone) -> String {
    match Timestamp::from_second(t) {
        Ok(ts) => ts
            .to_zoned_datetime(zone.clone())
            .strftime("%Y-%m-%d %H:%M %Z")
            .to_string(),
        Err(_) => String::new(),
    }
}

/// `t` as ISO 8601 in UTC, for `<time datetime>`: `2026-07-01T10:00:00Z`.
pub fn iso(t: i64) -> String {
    Timestamp::from_second(t)
        .map(|ts| ts.to_string())
        .unwrap_or_default()
}

/// An RFC 3339 time with its offset (`2026-07-01T10:00:00Z`, `2026-07-01T12:00:00+02:00`) as
/// unix seconds, rounded down; `None` for anything else.
pub fn parse_iso(s: &str) -> Option<i64> {
    s.trim().parse::<Timestamp>().ok().map(|ts| ts.as_second())
}

/// A length of time in the largest unit that fits, rounded down: "35 min", "2 hours", "3 days".
fn coarse(seconds: i64, p: &Phrases) -> String {
    let minutes = seconds / 60;
    let hours = minutes / 60;
    let days = hours / 24;
    if hours == 0 {
        with_n(&p.minutes, minutes)
    } else if days == 0 {
        plural(&p.hour, hours)
    } else if days < 30 {
        plural(&p.day, days)
    } else if days < 365 {
        plural(&p.month, days / 30)
    } else {
        plural(&p.year, days / 365)
    }
}

/// A length of time to the minute, for deadlines: "35 min", "2 h 10 min", "3 d 4 h".
pub fn duration(seconds: i64, p: &Phrases) -> String {
    let minutes = seconds.max(0) / 60;
    let (days, hours, mins) = (minutes / 1440, minutes / 60 % 24, minutes % 60);
    let (big, small) = if days > 0 {
        ((days, &p.short_days), (hours, &p.short_hours))
    } else if hours > 0 {
        ((hours, &p.short_hours), (mins, &p.minutes))
    } else {
        return with_n(&p.minutes, mins);
    };
    let big_text = with_n(big.1, big.0);
    // "2 h" rather than "2 h 0 min".
    if small.0 == 0 {
        big_text
    } else {
        format!("{big_text} {}", with_n(small.1, small.0))
    }
}

/// A length of working time, never in days (a day of business hours is not 24 of them): "35
/// min", "24 h", "2 h 10 min".
pub fn hours(seconds: i64, p: &Phrases) -> String {
    let minutes = seconds.max(0) / 60;
    let (hours, mins) = (minutes / 60, minutes % 60);
    match (hours, mins) {
        (0, m) => with_n(&p.minutes, m),
        (h, 0) => with_n(&p.short_hours, h),
        (h, m) => format!("{} {}", with_n(&p.short_hours, h), with_n(&p.minutes, m)),
    }
}

/// A service-level target's length: business time in hours (8 of them are a working day, not a
/// third of one), calendar time in days and hours.
pub fn target_length(minutes: i64, business_hours: bool, p: &Phrases) -> String {
    if business_hours {
        hours(minutes * 60, p)
    } else {
        duration(minutes * 60, p)
    }
}

/// `t` relative to `now`: "2 hours ago", "in 35 min", "just now" (under a minute either way).
pub fn relative(t: i64, now: i64, p: &Phrases) -> String {
    let diff = now.saturating_sub(t);
    if diff.abs() < 60 {
        return p.just_now.clone();
    }
    let amount = coarse(diff.abs(), p);
    let template = if diff > 0 { &p.ago } else { &p.ahead };
    template.replace("{d}", &amount)
}

/// A deadline `due` seen at `now`: "due in 35 min", "breached by 2 h 10 min", "due now" (under
/// a minute either way).
pub fn due(due: i64, now: i64, p: &Phrases) -> String {
    let left = due.saturating_sub(now);
    if left.abs() < 60 {
        return p.due_now.clone();
    }
    let template = if left > 0 { &p.due_in } else { &p.breached_by };
    template.replace("{d}", &duration(left.abs(), p))
}

/// What a viewer sees times as: their zone, the moment of the request and their language's
/// words. Built per request by the web layer; anything that preformats times takes one.
#[derive(Debug, Clone)]
pub struct ViewerTime<'a> {
    pub zone: TimeZone,
    pub now: i64,
    pub phrases: &'a Phrases,
}

impl ViewerTime<'_> {
    pub fn absolute(&self, t: i64) -> String {
        absolute(t, &self.zone)
    }

    pub fn relative(&self, t: i64) -> String {
        relative(t, self.now, self.phrases)
    }

    pub fn due(&self, t: i64) -> String {
        due(t, self.now, self.phrases)
    }
}

// The templates' filters. Each takes what it depends on as an argument (`tz`, `now`), which the
// page or mail puts in its context, so no filter reads the clock or a global zone.

fn seconds(value: &Value, filter: &str) -> tera::Result<Option<i64>> {
    match value {
        Value::Null => Ok(None),
        v => v
            .as_i64()
            .map(Some)
            .ok_or_else(|| tera::Error::msg(format!("{filter}: not a time in unix seconds: {v}"))),
    }
}

fn arg_i64(args: &HashMap<String, Value>, name: &str, filter: &str) -> tera::Result<i64> {
    args.get(name)
        .and_then(Value::as_i64)
        .ok_or_else(|| tera::Error::msg(format!("{filter} needs `{name}=` (unix seconds)")))
}

/// `{{ t | datetime(tz=tz) }}`: the absolute time in zone `tz`. Without `tz` it fails to
/// render, so a template can never silently show another zone than the viewer's.
pub fn datetime_filter(value: &Value, args: &HashMap<String, Value>) -> tera::Result<Value> {
    let Some(t) = seconds(value, "datetime")? else {
        return Ok(Value::String(String::new()));
    };
    let name = args
        .get("tz")
        .and_then(Value::as_str)
        .ok_or_else(|| tera::Error::msg("datetime needs `tz=` (the viewer's time zone)"))?;
    Ok(Value::String(absolute(t, &super::zone_or_utc(name))))
}

/// `{{ t | iso }}`: ISO 8601 in UTC, for `<time datetime="...">`.
pub fn iso_filter(value: &Value, _: &HashMap<String, Value>) -> tera::Result<Value> {
    Ok(Value::String(
        seconds(value, "iso")?.map(iso).unwrap_or_default(),
    ))
}

/// The `ago` (`{{ t | ago(now=now) }}`) and `due` (`{{ t | due(now=now) }}`) filters in one
/// language.
pub fn relative_filters(
    phrases: Phrases,
) -> (impl tera::Filter + 'static, impl tera::Filter + 'static) {
    let p = std::sync::Arc::new(phrases);
    let q = p.clone();
    let ago = move |value: &Value, args: &HashMap<String, Value>| -> tera::Result<Value> {
        let now = arg_i64(args, "now", "ago")?;
        let text = seconds(value, "ago")?.map(|t| relative(t, now, &p));
        Ok(Value::String(text.unwrap_or_default()))
    };
    let due_filter = move |value: &Value, args: &HashMap<String, Value>| -> tera::Result<Value> {
        let now = arg_i64(args, "now", "due")?;
        let text = seconds(value, "due")?.map(|t| due(t, now, &q));
        Ok(Value::String(text.unwrap_or_default()))
    };
    (ago, due_filter)
}

/// Registers `datetime`, `iso`, `ago` and `due` on a Tera instance rendering one language.
pub fn register_filters(tera: &mut tera::Tera, phrases: Phrases) {
    let (ago, due) = relative_filters(phrases);
    tera.register_filter("datetime", datetime_filter);
    tera.register_filter("iso", iso_filter);
    tera.register_filter("ago", ago);
    tera.register_filter("due", due);
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::i18n::{I18n, Lang};

    fn phrases(lang: Lang) -> Phrases {
        Phrases::from_catalog(I18n::load().unwrap().catalog(lang))
    }

    fn utc(text: &str) -> i64 {
        text.parse::<Timestamp>().unwrap().as_second()
    }

    #[test]
    fn absolute_times_are_in_the_viewers_zone_with_its_clock_changes() {
        let t = utc("2026-07-01T10:00:00Z");
        let madrid = crate::desk_time::zone("Europe/Madrid").unwrap();
        let new_york = crate::desk_time::zone("America/New_York").unwrap();
        assert_eq!(absolute(t, &TimeZone::UTC), "2026-07-01 10:00 UTC");
        assert_eq!(absolute(t, &madrid), "2026-07-01 12:00 CEST");
        assert_eq!(absolute(t, &new_york), "2026-07-01 06:00 EDT");
        // Winter: one hour less in Madrid.
        assert_eq!(
            absolute(utc("2026-01-15T10:00:00Z"), &madrid),
            "2026-01-15 11:00 CET"
        );
        // Both sides of the March and October changes.
        assert_eq!(
            absolute(utc("2026-03-29T00:59:00Z"), &madrid),
            "2026-03-29 01:59 CET"
        );
        assert_eq!(
            absolute(utc("2026-03-29T01:00:00Z"), &madrid),
            "2026-03-29 03:00 CEST"
        );
        assert_eq!(
            absolute(utc("2026-10-25T00:30:00Z"), &madrid),
            "2026-10-25 02:30 CEST"
        );
        assert_eq!(
            absolute(utc("2026-10-25T01:30:00Z"), &madrid),
            "2026-10-25 02:30 CET"
        );
        assert_eq!(iso(t), "2026-07-01T10:00:00Z");
    }

    #[test]
    fn relative_times_in_english_and_spanish() {
        let now = utc("2026-07-01T12:00:00Z");
        let (en, es) = (phrases(Lang::En), phrases(Lang::Es));
        let cases = [
            (-30, "just now", "ahora mismo"),
            (-60, "1 min ago", "hace 1 min"),
            (-35 * 60, "35 min ago", "hace 35 min"),
            (-3600, "1 hour ago", "hace 1 hora"),
            (-2 * 3600 - 59 * 60, "2 hours ago", "hace 2 horas"),
            (-86_400, "1 day ago", "hace 1 día"),
            (-3 * 86_400, "3 days ago", "hace 3 días"),
            (-65 * 86_400, "2 months ago", "hace 2 meses"),
            (-800 * 86_400, "2 years ago", "hace 2 años"),
            (35 * 60, "in 35 min", "dentro de 35 min"),
            (2 * 3600, "in 2 hours", "dentro de 2 horas"),
        ];
        for (offset, english, spanish) in cases {
            assert_eq!(relative(now + offset, now, &en), english);
            assert_eq!(relative(now + offset, now, &es), spanish);
        }
    }

    #[test]
    fn deadlines_say_how_long_is_left_or_how_late() {
        let now = utc("2026-07-01T12:00:00Z");
        let (en, es) = (phrases(Lang::En), phrases(Lang::Es));
        assert_eq!(due(now + 35 * 60, now, &en), "due in 35 min");
        assert_eq!(due(now + 35 * 60, now, &es), "vence dentro de 35 min");
        assert_eq!(
            due(now - 2 * 3600 - 10 * 60, now, &en),
            "breached by 2 h 10 min"
        );
        assert_eq!(
            due(now - 2 * 3600 - 10 * 60, now, &es),
            "vencido hace 2 h 10 min"
        );
        assert_eq!(due(now + 3 * 3600, now, &en), "due in 3 h");
        assert_eq!(due(now + 26 * 3600 + 5 * 60, now, &en), "due in 1 d 2 h");
        assert_eq!(due(now + 20, now, &en), "due now");
        assert_eq!(due(now - 20, now, &es), "vence ahora");
        assert_eq!(duration(10 * 60, &en), "10 min");
        assert_eq!(hours(1440 * 60, &en), "24 h");
        assert_eq!(hours(130 * 60, &es), "2 h 10 min");
        assert_eq!(duration(2 * 86_400, &es), "2 d");
    }

    #[test]
    fn the_filters_need_the_zone_and_now() {
        let mut tera = tera::Tera::default();
        register_filters(&mut tera, phrases(Lang::Es));
        let mut ctx = tera::Context::new();
        ctx.insert("t", &utc("2026-07-01T10:00:00Z"));
        ctx.insert("now", &utc("2026-07-01T12:05:00Z"));
        ctx.insert("tz", "Europe/Madrid");
        let mut render = |src: &str| tera.render_str(src, &ctx);
        assert_eq!(
            render("{{ t | datetime(tz=tz) }}").unwrap(),
            "2026-07-01 12:00 CEST"
        );
        assert_eq!(render("{{ t | ago(now=now) }}").unwrap(), "hace 2 horas");
        assert_eq!(
            render("{{ t | due(now=now) }}").unwrap(),
            "vencido hace 2 h 5 min"
        );
        assert_eq!(render("{{ t | iso }}").unwrap(), "2026-07-01T10:00:00Z");
        assert!(render("{{ t | datetime }}").is_err(), "no zone, no time");
        assert!(render("{{ t | ago }}").is_err(), "no now, no relative time");
    }
}
