//! Medians and 90th percentiles, computed as a spreadsheet's MEDIAN and PERCENTILE.INC do
//! (linear between the two nearest values), so a figure checks against the CSV export.

use serde::Serialize;

/// The value below which `p` (0–1) of `sorted` lies, interpolated; None for no values.
pub fn percentile(sorted: &[i64], p: f64) -> Option<f64> {
    let last = sorted.len().checked_sub(1)?;
    let rank = p.clamp(0.0, 1.0) * last as f64;
    let low = rank.floor() as usize;
    let high = rank.ceil() as usize;
    let (a, b) = (*sorted.get(low)? as f64, *sorted.get(high)? as f64);
    Some(a + (b - a) * (rank - low as f64))
}

/// How long something took, over a set of tickets: how many, and the median and 90th
/// percentile in calendar seconds and in business minutes (each rounded to a whole one).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct Durations {
    pub count: usize,
    pub median_secs: Option<i64>,
    pub p90_secs: Option<i64>,
    pub median_minutes: Option<i64>,
    pub p90_minutes: Option<i64>,
}

/// The durations of one set, as they are collected: (seconds, business minutes).
#[derive(Debug, Clone, Default)]
pub struct Samples {
    secs: Vec<i64>,
    minutes: Vec<i64>,
}

impl Samples {
    pub fn push(&mut self, secs: i64, minutes: i64) {
        self.secs.push(secs);
        self.minutes.push(minutes);
    }

    pub fn summary(mut self) -> Durations {
        self.secs.sort_unstable();
        self.minutes.sort_unstable();
        let round = |v: Option<f64>| v.map(|x| x.round() as i64);
        Durations {
            count: self.secs.len(),
            median_secs: round(percentile(&self.secs, 0.5)),
            p90_secs: round(percentile(&self.secs, 0.9)),
            median_minutes: round(percentile(&self.minutes, 0.5)),
            p90_minutes: round(percentile(&self.minutes, 0.9)),
        }
    }
}

/// `part` of `whole` in percent, to one decimal; None of nothing.
pub fn share(part: usize, whole: usize) -> Option<f64> {
    (whole > 0).then(|| (part as f64 * 1000.0 / whole as f64).round() / 10.0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn medians_and_p90_interpolate_like_a_spreadsheet() {
        assert_eq!(percentile(&[], 0.5), None);
        assert_eq!(percentile(&[7], 0.9), Some(7.0));
        assert_eq!(percentile(&[10, 20, 30, 40], 0.5), Some(25.0));
        let ten: Vec<i64> = (1..=10).collect();
        let p90 = percentile(&ten, 0.9).unwrap();
        assert!((p90 - 9.1).abs() < 1e-9, "{p90}");
        let mut s = Samples::default();
        for (secs, minutes) in [(600, 10), (60, 1), (3600, 30)] {
            s.push(secs, minutes);
        }
        let d = s.summary();
        assert_eq!(d.count, 3);
        assert_eq!((d.median_secs, d.median_minutes), (Some(600), Some(10)));
        // 600 + 0.8 × 3000.
        assert_eq!(d.p90_secs, Some(3000));
        assert_eq!(d.p90_minutes, Some(26));
        assert_eq!(share(1, 3), Some(33.3));
        assert_eq!(share(0, 0), None);
    }
}
