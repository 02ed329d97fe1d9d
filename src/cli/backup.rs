//! `backup` and `restore`: SQLite's online backup between the desk's database and a file, with
//! the copy's progress on standard error and its time on the last line.

use std::path::Path;
use std::time::{Duration, Instant};

use rusqlite::backup::{Backup, StepResult};
use rusqlite::{Connection, OpenFlags};

use crate::config::Config;
use crate::db::{SCHEMA_VERSION, open_connection};
use crate::error::{Error, Result};

/// Pages copied per step: 16 MB of 4 KB pages, so a million-ticket database (3.5 GB) reports
/// some two hundred times.
const PAGES_PER_STEP: std::os::raw::c_int = 4096;

/// Copies all of `src` into `dst`, saying how far it is (`what: 42% (n of m pages)`) at most
/// once a second and when done. One read snapshot for the whole copy: `src` holds its read
/// transaction across the steps, so the server's writes meanwhile neither show in the copy nor
/// make SQLite start it again (which it does when the source changed between two steps taken
/// without one).
fn copy_reporting(src: &Connection, dst: &mut Connection, what: &str) -> Result<()> {
    src.execute_batch("BEGIN")?;
    src.query_row("SELECT count(*) FROM sqlite_schema", [], |_| Ok(()))?;
    let copied = (|| {
        let backup = Backup::new(src, dst)?;
        let mut said = Instant::now();
        loop {
            let step = backup.step(PAGES_PER_STEP)?;
            let p = backup.progress();
            let done = p.pagecount - p.remaining;
            let finished = matches!(step, StepResult::Done);
            if finished || said.elapsed() >= Duration::from_secs(1) {
                let percent = if p.pagecount > 0 {
                    100 * i64::from(done) / i64::from(p.pagecount)
                } else {
                    100
                };
                eprintln!("{what}: {percent}% ({done} of {} pages)", p.pagecount);
                said = Instant::now();
            }
            match step {
                StepResult::Done => return Ok(()),
                StepResult::More => {}
                // Only another connection to the copy could lock it; wait and go on.
                _ => std::thread::sleep(Duration::from_millis(10)),
            }
        }
    })();
    let _ = src.execute_batch("COMMIT");
    copied
}

/// SQLite's online backup: one consistent snapshot, even while the server writes.
pub fn backup(config: &Config, file: &Path) -> Result<()> {
    if !config.db.exists() {
        return Err(Error::BadRequest(format!(
            "database {} does not exist",
            config.db.display()
        )));
    }
    if file.exists() {
        return Err(Error::BadRequest(format!(
            "{} already exists; choose a new file",
            file.display()
        )));
    }
    let src = open_connection(&config.db)?;
    let tmp = file.with_extension("partial");
    let _ = std::fs::remove_file(&tmp);
    let started = Instant::now();
    {
        let mut dst = Connection::open(&tmp)?;
        copy_reporting(&src, &mut dst, "backup")?;
    }
    let check = Connection::open(&tmp)?;
    check.pragma_update(None, "journal_mode", "DELETE")?;
    let ok: String = check.query_row("PRAGMA integrity_check", [], |r| r.get(0))?;
    drop(check);
    if ok != "ok" {
        let _ = std::fs::remove_file(&tmp);
        return Err(Error::internal(format!(
            "the copy failed its integrity check: {ok}"
        )));
    }
    std::fs::rename(&tmp, file)?;
    let tickets: i64 = crate::tickets::store::count(&Connection::open(file)?)?;
    println!(
        "Backup written to {} ({tickets} tickets) in {:.1} s.",
        file.display(),
        started.elapsed().as_secs_f64()
    );
    Ok(())
}

/// True when another process holds the database open for writing (a running server keeps a
/// read transaction or its writer open; we test by taking an exclusive lock briefly).
fn in_use(db: &Path) -> Result<bool> {
    if !db.exists() {
        return Ok(false);
    }
    let conn = Connection::open_with_flags(db, OpenFlags::SQLITE_OPEN_READ_WRITE)?;
    conn.busy_timeout(Duration::from_millis(0))?;
    // In WAL mode other connections hold a shared lock on the -shm file; locking_mode EXCLUSIVE
    // needs them all gone.
    conn.pragma_update(None, "locking_mode", "EXCLUSIVE")?;
    let busy = conn.execute_batch("BEGIN EXCLUSIVE; COMMIT;").is_err();
    Ok(busy)
}

pub fn restore(config: &Config, file: &Path, yes: bool) -> Result<()> {
    let src = Connection::open_with_flags(file, OpenFlags::SQLITE_OPEN_READ_ONLY)
        .map_err(|e| Error::BadRequest(format!("cannot open {}: {e}", file.display())))?;
    let ok: String = src
        .query_row("PRAGMA integrity_check", [], |r| r.get(0))
        .map_err(|e| {
            Error::BadRequest(format!(
                "{} is not a Helpdesk database: {e}",
                file.display()
            ))
        })?;
    let version: i64 = src.query_row("PRAGMA user_version", [], |r| r.get(0))?;
    if ok != "ok" || !(1..=SCHEMA_VERSION).contains(&version) {
        return Err(Error::BadRequest(format!(
            "{} is not a valid Helpdesk backup",
            file.display()
        )));
    }
    if in_use(&config.db)? {
        return Err(Error::BadRequest(format!(
            "{} is in use by a running server; stop it first (e.g. systemctl stop helpdesk)",
            config.db.display()
        )));
    }
    if config.db.exists() && !yes {
        return Err(Error::BadRequest(format!(
            "{} exists; run again with --yes to replace it with {}",
            config.db.display(),
            file.display()
        )));
    }
    // Copy into the live file through SQLite so the WAL and -shm files stay consistent.
    let started = Instant::now();
    let mut dst = open_connection(&config.db)?;
    copy_reporting(&src, &mut dst, "restore")?;
    crate::db::migrate(&mut dst)?;
    let tickets: i64 = crate::tickets::store::count(&dst)?;
    println!(
        "Restored {} from {} ({tickets} tickets) in {:.1} s.",
        config.db.display(),
        file.display(),
        started.elapsed().as_secs_f64()
    );
    Ok(())
}
