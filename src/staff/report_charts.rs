//! The reports' charts as SVG drawn on the server: bars for counts, lines for times, a heat map
//! for weekday × hour. This module computes the geometry (scales, ticks, coordinates, each
//! mark's tooltip); `templates/parts/charts.html` writes the elements. No crate: the charting
//! crates draw to files or bitmaps with their own colours and fonts, while these must take the
//! page's colours from CSS (`currentColor` and the `--chart-*` variables, so dark mode and print
//! follow), carry a `<title>`, a description and `role="img"`, and leave the numbers to the data
//! table printed beside each chart. That is a few rectangles and polylines.

use serde::Serialize;

const WIDTH: f64 = 720.0;
const HEIGHT: f64 = 240.0;
const LEFT: f64 = 56.0;
const RIGHT: f64 = 12.0;
const TOP: f64 = 12.0;
const BOTTOM: f64 = 34.0;
/// At most this many labels under the x axis (every k-th period gets one).
const MAX_X_LABELS: usize = 12;

/// One series of values, one per period (None: nothing to show there).
pub struct Series {
    pub label: String,
    pub values: Vec<Option<f64>>,
}

#[derive(Debug, Serialize)]
pub struct Tick {
    pub at: f64,
    pub label: String,
}

#[derive(Debug, Serialize)]
pub struct Mark {
    pub x: f64,
    pub y: f64,
    pub w: f64,
    pub h: f64,
    pub series: usize,
    pub tip: String,
}

#[derive(Debug, Serialize)]
pub struct Line {
    pub series: usize,
    /// Runs of consecutive points ("x,y x,y ..."): a period without a value breaks the line.
    pub runs: Vec<String>,
    pub dots: Vec<Mark>,
}

#[derive(Debug, Serialize)]
pub struct Legend {
    pub series: usize,
    pub label: String,
}

#[derive(Debug, Serialize)]
pub struct Chart {
    /// Unique on the page: the title's and description's ids derive from it.
    pub id: String,
    /// `bars`, `lines`, `heat` or `hbars`.
    pub kind: &'static str,
    pub title: String,
    pub desc: String,
    pub width: f64,
    pub height: f64,
    /// The plot area: left, top, right, bottom.
    pub left: f64,
    pub top: f64,
    pub right: f64,
    pub bottom: f64,
    pub y_ticks: Vec<Tick>,
    pub x_labels: Vec<Tick>,
    pub marks: Vec<Mark>,
    pub lines: Vec<Line>,
    pub legend: Vec<Legend>,
    /// Heat map: the row labels (weekdays) at their y.
    pub row_labels: Vec<Tick>,
}

/// One decimal is plenty for a 720-unit-wide drawing and keeps the page small.
fn r(v: f64) -> f64 {
    (v * 10.0).round() / 10.0
}

/// A round upper bound for an axis (1, 2, 2.5 or 5 times a power of ten) and its step.
fn nice_max(max: f64) -> (f64, f64) {
    if max <= 0.0 {
        return (1.0, 0.25);
    }
    let magnitude = 10f64.powf(max.log10().floor());
    for m in [1.0, 2.0, 2.5, 5.0, 10.0] {
        let top = m * magnitude;
        if top >= max {
            let step = top / if m == 2.5 { 5.0 } else { 4.0 };
            return (top, step);
        }
    }
    (10.0 * magnitude, 2.5 * magnitude)
}

fn base(id: &str, kind: &'static str, title: String, desc: String) -> Chart {
    Chart {
        id: id.to_string(),
        kind,
        title,
        desc,
        width: WIDTH,
        height: HEIGHT,
        left: LEFT,
        top: TOP,
        right: WIDTH - RIGHT,
        bottom: HEIGHT - BOTTOM,
        y_ticks: Vec::new(),
        x_labels: Vec::new(),
        marks: Vec::new(),
        lines: Vec::new(),
        legend: Vec::new(),
        row_labels: Vec::new(),
    }
}

/// The y axis for values up to `max`, labelled by `label`; returns the scale (value → y).
fn y_axis(c: &mut Chart, max: f64, label: &dyn Fn(f64) -> String) -> impl Fn(f64) -> f64 + use<> {
    let (top, step) = nice_max(max);
    let (y0, y1) = (c.bottom, c.top);
    let scale = move |v: f64| r(y0 - (v / top) * (y0 - y1));
    let mut v = 0.0;
    while v <= top + step / 2.0 {
        c.y_ticks.push(Tick {
            at: scale(v),
            label: label(v),
        });
        v += step;
    }
    scale
}

fn x_labels(c: &mut Chart, labels: &[String], slot: f64) {
    let every = labels.len().div_ceil(MAX_X_LABELS).max(1);
    for (i, label) in labels.iter().enumerate().step_by(every) {
        c.x_labels.push(Tick {
            at: r(c.left + slot * (i as f64 + 0.5)),
            label: label.clone(),
        });
    }
}

fn has_data(series: &[Series]) -> bool {
    series
        .iter()
        .any(|s| s.values.iter().any(|v| v.is_some_and(|x| x > 0.0)))
}

fn max_of(series: &[Series]) -> f64 {
    series
        .iter()
        .flat_map(|s| s.values.iter().flatten())
        .fold(0.0, |a: f64, b| a.max(*b))
}

/// Side-by-side bars per period, one per series; None when every value is zero or missing
/// (the page says the period is empty instead). `tip` words a mark: (series label, period
/// label, value).
pub fn bars(
    id: &str,
    title: String,
    desc: String,
    periods: &[String],
    series: &[Series],
    label: &dyn Fn(f64) -> String,
) -> Option<Chart> {
    if !has_data(series) || periods.is_empty() {
        return None;
    }
    let mut c = base(id, "bars", title, desc);
    let scale = y_axis(&mut c, max_of(series), label);
    let slot = (c.right - c.left) / periods.len() as f64;
    let width = slot * 0.8 / series.len().max(1) as f64;
    x_labels(&mut c, periods, slot);
    for (s, one) in series.iter().enumerate() {
        c.legend.push(Legend {
            series: s,
            label: one.label.clone(),
        });
        for (i, v) in one.values.iter().enumerate() {
            let Some(v) = v else { continue };
            let y = scale(*v);
            c.marks.push(Mark {
                x: r(c.left + slot * i as f64 + slot * 0.1 + width * s as f64),
                y,
                w: r(width),
                h: r(c.bottom - y),
                series: s,
                tip: format!("{}, {}: {}", one.label, periods[i], label(*v)),
            });
        }
    }
    Some(c)
}

/// A line per series over the periods; a period without a value breaks its line.
pub fn lines(
    id: &str,
    title: String,
    desc: String,
    periods: &[String],
    series: &[Series],
    label: &dyn Fn(f64) -> String,
) -> Option<Chart> {
    if !has_data(series) || periods.is_empty() {
        return None;
    }
    let mut c = base(id, "lines", title, desc);
    let scale = y_axis(&mut c, max_of(series), label);
    let slot = (c.right - c.left) / periods.len() as f64;
    x_labels(&mut c, periods, slot);
    for (s, one) in series.iter().enumerate() {
        c.legend.push(Legend {
            series: s,
            label: one.label.clone(),
        });
        let mut line = Line {
            series: s,
            runs: Vec::new(),
            dots: Vec::new(),
        };
        let mut run: Vec<String> = Vec::new();
        for (i, v) in one.values.iter().enumerate() {
            match v {
                Some(v) => {
                    let (x, y) = (r(c.left + slot * (i as f64 + 0.5)), scale(*v));
                    run.push(format!("{x},{y}"));
                    line.dots.push(Mark {
                        x,
                        y,
                        w: 0.0,
                        h: 0.0,
                        series: s,
                        tip: format!("{}, {}: {}", one.label, periods[i], label(*v)),
                    });
                }
                None if !run.is_empty() => line.runs.push(std::mem::take(&mut run).join(" ")),
                None => {}
            }
        }
        if !run.is_empty() {
            line.runs.push(run.join(" "));
        }
        c.lines.push(line);
    }
    Some(c)
}

/// Horizontal bars, one per label (the top categories).
pub fn hbars(
    id: &str,
    title: String,
    desc: String,
    labels: &[String],
    values: &[f64],
    label: &dyn Fn(f64) -> String,
) -> Option<Chart> {
    if !values.iter().any(|v| *v > 0.0) {
        return None;
    }
    let mut c = base(id, "hbars", title, desc);
    // Room for the names on the left.
    c.left = 180.0;
    c.height = r(TOP + BOTTOM + 26.0 * labels.len() as f64);
    c.bottom = c.height - BOTTOM;
    let (top, step) = nice_max(values.iter().fold(0.0, |a: f64, b| a.max(*b)));
    let (x0, x1) = (c.left, c.right);
    let scale = move |v: f64| r(x0 + (v / top) * (x1 - x0));
    let mut v = 0.0;
    while v <= top + step / 2.0 {
        c.x_labels.push(Tick {
            at: scale(v),
            label: label(v),
        });
        v += step;
    }
    for (i, (name, v)) in labels.iter().zip(values).enumerate() {
        let y = r(c.top + 26.0 * i as f64 + 4.0);
        c.row_labels.push(Tick {
            at: r(y + 13.0),
            label: name.clone(),
        });
        c.marks.push(Mark {
            x: c.left,
            y,
            w: r(scale(*v) - c.left),
            h: 18.0,
            series: 0,
            tip: format!("{name}: {}", label(*v)),
        });
    }
    Some(c)
}

/// The heat map: a row per weekday (`rows`, Monday first), a column per hour, each cell's shade
/// one of five steps of the busiest cell's count.
pub fn heat(
    id: &str,
    title: String,
    desc: String,
    rows: &[String],
    counts: &[[usize; 24]],
    tip: &dyn Fn(&str, usize, usize) -> String,
) -> Option<Chart> {
    let max = counts.iter().flatten().copied().max().unwrap_or(0);
    if max == 0 {
        return None;
    }
    let mut c = base(id, "heat", title, desc);
    c.left = 90.0;
    let (w, h) = (
        (c.right - c.left) / 24.0,
        (c.bottom - c.top) / rows.len().max(1) as f64,
    );
    for hour in (0..24).step_by(3) {
        c.x_labels.push(Tick {
            at: r(c.left + w * (hour as f64 + 0.5)),
            label: format!("{hour:02}"),
        });
    }
    for (d, (name, day)) in rows.iter().zip(counts).enumerate() {
        let y = c.top + h * d as f64;
        c.row_labels.push(Tick {
            at: r(y + h / 2.0 + 4.0),
            label: name.clone(),
        });
        for (hour, n) in day.iter().enumerate() {
            // 0 for none, else 1–4 by quarters of the busiest hour.
            let level = if *n == 0 { 0 } else { (n * 4).div_ceil(max) };
            c.marks.push(Mark {
                x: r(c.left + w * hour as f64),
                y: r(y),
                w: r(w - 1.0),
                h: r(h - 1.0),
                series: level,
                tip: tip(name, hour, *n),
            });
        }
    }
    Some(c)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn axes_end_on_round_numbers_and_empty_charts_are_none() {
        assert_eq!(nice_max(7.0), (10.0, 2.5));
        assert_eq!(nice_max(180.0), (200.0, 50.0));
        assert_eq!(nice_max(24.0), (25.0, 5.0));
        assert_eq!(nice_max(0.0), (1.0, 0.25));
        let label = |v: f64| format!("{v}");
        let periods = vec!["a".to_string(), "b".to_string()];
        let empty = [Series {
            label: "x".into(),
            values: vec![Some(0.0), None],
        }];
        assert!(bars("c", "t".into(), "d".into(), &periods, &empty, &label).is_none());
        let some = [Series {
            label: "x".into(),
            values: vec![Some(4.0), None],
        }];
        let c = lines("c", "t".into(), "d".into(), &periods, &some, &label).unwrap();
        assert_eq!(c.lines[0].runs.len(), 1);
        assert_eq!(c.lines[0].dots.len(), 1);
        let c = bars("c", "t".into(), "d".into(), &periods, &some, &label).unwrap();
        assert_eq!(c.marks.len(), 1);
        assert_eq!(c.marks[0].tip, "x, a: 4");
        let mut counts = vec![[0usize; 24]; 7];
        counts[0][9] = 8;
        counts[4][15] = 1;
        let days: Vec<String> = (1..=7).map(|d| d.to_string()).collect();
        let tip = |d: &str, h: usize, n: usize| format!("{d} {h}: {n}");
        let c = heat("h", "t".into(), "d".into(), &days, &counts, &tip).unwrap();
        assert_eq!(c.marks.len(), 168);
        assert_eq!(c.marks[9].series, 4);
        assert_eq!(c.marks[4 * 24 + 15].series, 1);
        assert_eq!(c.marks[0].series, 0);
    }
}
