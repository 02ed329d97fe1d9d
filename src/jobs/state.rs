//! The `jobs` table: what each job did last and when it runs next, written after each run.

use rusqlite::{Connection, OptionalExtension, params};
use serde::Serialize;

use crate::error::Result;

/// A job's stored state.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct JobState {
    pub name: String,
    pub last_run_at: Option<i64>,
    pub last_ok_at: Option<i64>,
    pub next_run_at: Option<i64>,
    pub last_error: Option<String>,
    pub last_summary: Option<String>,
    pub last_duration_ms: Option<i64>,
    pub runs: i64,
    pub failures: i64,
}

const COLUMNS: &str = "name, last_run_at, last_ok_at, next_run_at, last_error, last_summary,
    last_duration_ms, runs, failures";

fn row(r: &rusqlite::Row<'_>) -> rusqlite::Result<JobState> {
    Ok(JobState {
        name: r.get(0)?,
        last_run_at: r.get(1)?,
        last_ok_at: r.get(2)?,
        next_run_at: r.get(3)?,
        last_error: r.get(4)?,
        last_summary: r.get(5)?,
        last_duration_ms: r.get(6)?,
        runs: r.get(7)?,
        failures: r.get(8)?,
    })
}

/// The state of `name`; None before its first run.
pub fn get(c: &Connection, name: &str) -> Result<Option<JobState>> {
    let sql = format!("SELECT {COLUMNS} FROM jobs WHERE name = ?1");
    Ok(c.prepare_cached(&sql)?.query_row([name], row).optional()?)
}

/// Every job that ran at least once, by name.
pub fn all(c: &Connection) -> Result<Vec<JobState>> {
    let sql = format!("SELECT {COLUMNS} FROM jobs ORDER BY name");
    let rows = c
        .prepare_cached(&sql)?
        .query_map([], row)?
        .collect::<rusqlite::Result<Vec<_>>>()?;
    Ok(rows)
}

/// One finished run.
#[derive(Debug, Clone)]
pub struct Run<'a> {
    pub name: &'a str,
    pub started_at: i64,
    pub duration_ms: i64,
    /// The summary, or the error.
    pub outcome: std::result::Result<&'a str, &'a str>,
    pub next_run_at: i64,
}

/// Records a run: counts it (and its failure), keeps its outcome and the next run's time.
pub fn record(c: &Connection, run: &Run<'_>) -> Result<()> {
    let (summary, error) = match run.outcome {
        Ok(summary) => (Some(summary), None),
        Err(error) => (None, Some(error)),
    };
    c.prepare_cached(
        "INSERT INTO jobs (name, last_run_at, last_ok_at, next_run_at, last_error, last_summary,
             last_duration_ms, runs, failures)
         VALUES (?1, ?2, CASE WHEN ?4 IS NULL THEN ?2 END, ?3, ?4, ?5, ?6, 1, ?4 IS NOT NULL)
         ON CONFLICT (name) DO UPDATE SET
             last_run_at = excluded.last_run_at,
             last_ok_at = coalesce(excluded.last_ok_at, last_ok_at),
             next_run_at = excluded.next_run_at,
             last_error = excluded.last_error,
             last_summary = coalesce(excluded.last_summary, last_summary),
             last_duration_ms = excluded.last_duration_ms,
             runs = runs + 1,
             failures = failures + excluded.failures",
    )?
    .execute(params![
        run.name,
        run.started_at,
        run.next_run_at,
        error,
        summary,
        run.duration_ms
    ])?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn db() -> Connection {
        let mut c = Connection::open_in_memory().unwrap();
        crate::db::migrate(&mut c).unwrap();
        c
    }

    fn run<'a>(at: i64, outcome: std::result::Result<&'a str, &'a str>) -> Run<'a> {
        Run {
            name: "mail_send",
            started_at: at,
            duration_ms: 7,
            outcome,
            next_run_at: at + 30,
        }
    }

    #[test]
    fn runs_are_counted_and_the_last_outcome_kept() {
        let c = db();
        assert_eq!(get(&c, "mail_send").unwrap(), None);
        record(&c, &run(100, Ok("2 sent"))).unwrap();
        record(&c, &run(200, Err("SMTP: connection refused"))).unwrap();
        let s = get(&c, "mail_send").unwrap().unwrap();
        assert_eq!((s.runs, s.failures), (2, 1));
        assert_eq!(s.last_run_at, Some(200));
        assert_eq!(s.last_ok_at, Some(100), "the last success is kept");
        assert_eq!(s.last_summary.as_deref(), Some("2 sent"));
        assert_eq!(s.last_error.as_deref(), Some("SMTP: connection refused"));
        assert_eq!(s.next_run_at, Some(230));
        record(&c, &run(300, Ok("nothing due"))).unwrap();
        let s = get(&c, "mail_send").unwrap().unwrap();
        assert_eq!((s.runs, s.failures), (3, 1));
        assert_eq!(s.last_ok_at, Some(300));
        assert_eq!(s.last_error, None, "the last run succeeded");
        assert_eq!(s.last_summary.as_deref(), Some("nothing due"));
        assert_eq!(all(&c).unwrap(), vec![s]);
    }
}
