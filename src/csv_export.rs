//! CSV as every export of the desk writes it: RFC 4180 (CRLF line ends, fields quoted when
//! needed) in UTF-8 with a header row, text cells a spreadsheet will not run as formulas, and
//! times in ISO 8601 (in UTC, or with the viewer's offset).

use jiff::Timestamp;
use jiff::tz::TimeZone;

use crate::error::Error;

/// A text cell a spreadsheet will not run as a formula: one starting with `=`, `+`, `-`, `@`, a
/// tab or a carriage return gets a leading `'` (the OWASP advice against CSV injection).
pub fn neutralise(cell: &str) -> String {
    if cell.starts_with(['=', '+', '-', '@', '\t', '\r']) {
        format!("'{cell}")
    } else {
        cell.to_string()
    }
}

/// A writer of RFC 4180 records into `out`.
pub fn writer<W: std::io::Write>(out: W) -> csv::Writer<W> {
    csv::WriterBuilder::new()
        .terminator(csv::Terminator::CRLF)
        .from_writer(out)
}

pub fn error(e: csv::Error) -> Error {
    Error::internal(format!("writing the CSV: {e}"))
}

/// Instant `t` as ISO 8601 in `zone`, with its offset then: `2026-03-02T10:00:00+01:00`.
pub fn iso_in(t: i64, zone: &TimeZone) -> String {
    Timestamp::from_second(t)
        .map(|ts| {
            ts.to_zoned_datetime(zone.clone())
                .strftime("%Y-%m-%dT%H:%M:%S%:z")
                .to_string()
        })
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formulas_are_neutralised_and_times_carry_the_offset() {
        assert_eq!(neutralise("=1+2"), "'=1+2");
        assert_eq!(neutralise("+x"), "'+x");
        assert_eq!(neutralise("-x"), "'-x");
        assert_eq!(neutralise("@SUM(A1)"), "'@SUM(A1)");
        assert_eq!(neutralise("\tx"), "'\tx");
        assert_eq!(neutralise("a=b"), "a=b");
        assert_eq!(neutralise(""), "");
        let madrid = crate::desk_time::zone("Europe/Madrid").unwrap();
        // 2026-01-31T09:05:00Z: CET in winter, CEST in summer.
        assert_eq!(iso_in(1_769_850_300, &madrid), "2026-01-31T10:05:00+01:00");
        assert_eq!(iso_in(1_785_488_700, &madrid), "2026-07-31T11:05:00+02:00");
        assert_eq!(iso_in(0, &TimeZone::UTC), "1970-01-01T00:00:00+00:00");
    }
}
