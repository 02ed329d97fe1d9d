//! SQLite access: one writer connection (writes are serialised, so "database is locked" never
//! reaches a user) and a small pool of readers, all used from Tokio's blocking pool so queries
//! never stall the async runtime.

use std::path::{Path, PathBuf};
use std::sync::{Arc, Condvar, Mutex};
use std::time::Duration;

use rusqlite::config::DbConfig;
use rusqlite::{Connection, OpenFlags, Transaction, TransactionBehavior};
use tokio::sync::{AcquireError, Semaphore};

use crate::error::{Error, Result};

mod migrate;
pub use migrate::{SCHEMA_VERSION, migrate};

/// At most this many read connections exist; more concurrent readers wait for one. Each holds
/// its own page cache, so the bound is also what keeps memory flat under load.
const MAX_READERS: usize = 4;

#[derive(Clone)]
pub struct Db {
    path: Arc<PathBuf>,
    writer: Arc<Mutex<Connection>>,
    readers: Arc<ReaderPool>,
    /// Async writers queue here rather than each on a blocking thread waiting for the lock.
    write_permit: Arc<Semaphore>,
}

struct ReaderPool {
    /// Idle connections, and how many exist in all (idle + in use).
    state: Mutex<(Vec<Connection>, usize)>,
    returned: Condvar,
    /// Async callers wait here, without a thread, until a reader is theirs: otherwise every
    /// waiting request would hold a blocking thread (and its memory) just to sleep on `returned`.
    permits: Semaphore,
}

/// Opens a connection with the settings every connection needs.
pub fn open_connection(path: &Path) -> Result<Connection> {
    let conn = Connection::open_with_flags(
        path,
        OpenFlags::SQLITE_OPEN_READ_WRITE
            | OpenFlags::SQLITE_OPEN_CREATE
            | OpenFlags::SQLITE_OPEN_NO_MUTEX,
    )?;
    conn.busy_timeout(Duration::from_secs(10))?;
    // WAL + NORMAL: a commit survives a killed process (the WAL is in the OS page cache);
    // only a power cut can cost the last few commits.
    conn.pragma_update(None, "journal_mode", "WAL")?;
    conn.pragma_update(None, "synchronous", "NORMAL")?;
    conn.pragma_update(None, "foreign_keys", "ON")?;
    conn.pragma_update(None, "temp_store", "MEMORY")?;
    // 2 MiB of page cache per connection: the OS caches the file too, so a larger cache saves
    // little time and costs resident memory in every reader.
    conn.pragma_update(None, "cache_size", -2000)?;
    // Without the query planner stability guarantee, SQLite re-plans a statement (parsing its
    // SQL again) whenever a bound value might change the best plan, which is every time once
    // ANALYZE has gathered value samples: a prepared statement would save nothing.
    conn.set_db_config(DbConfig::SQLITE_DBCONFIG_ENABLE_QPSG, true)?;
    // A staff ticket page alone runs more distinct statements than rusqlite's default cache of
    // 16 holds, so every page re-parsed its SQL; this holds all the app's statements.
    conn.set_prepared_statement_cache_capacity(128);
    Ok(conn)
}

impl Db {
    /// Opens (creating if needed) the database file and brings its schema up to date.
    pub fn open(path: &Path) -> Result<Db> {
        let mut writer = open_connection(path)?;
        migrate(&mut writer)?;
        Ok(Db {
            path: Arc::new(path.to_path_buf()),
            writer: Arc::new(Mutex::new(writer)),
            readers: Arc::new(ReaderPool {
                state: Mutex::new((Vec::new(), 0)),
                returned: Condvar::new(),
                permits: Semaphore::new(MAX_READERS),
            }),
            write_permit: Arc::new(Semaphore::new(1)),
        })
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    fn take_reader(&self) -> Result<Connection> {
        let pool = &self.readers;
        let mut state = pool.state.lock().unwrap_or_else(|p| p.into_inner());
        loop {
            if let Some(conn) = state.0.pop() {
                return Ok(conn);
            }
            if state.1 < MAX_READERS {
                state.1 += 1;
                drop(state);
                let opened = open_connection(&self.path).and_then(|conn| {
                    conn.pragma_update(None, "query_only", "ON")?;
                    Ok(conn)
                });
                if opened.is_err() {
                    let mut state = pool.state.lock().unwrap_or_else(|p| p.into_inner());
                    state.1 -= 1;
                    pool.returned.notify_one();
                }
                return opened;
            }
            state = pool.returned.wait(state).unwrap_or_else(|p| p.into_inner());
        }
    }

    fn give_back(&self, conn: Connection) {
        let mut state = self.readers.state.lock().unwrap_or_else(|p| p.into_inner());
        state.0.push(conn);
        self.readers.returned.notify_one();
    }

    /// Runs read-only queries on a pooled connection, off the async runtime.
    pub async fn read<T, F>(&self, f: F) -> Result<T>
    where
        T: Send + 'static,
        F: FnOnce(&Connection) -> Result<T> + Send + 'static,
    {
        let _permit = self.readers.permits.acquire().await.map_err(closed)?;
        let db = self.clone();
        tokio::task::spawn_blocking(move || db.read_blocking(f))
            .await
            .map_err(|e| Error::internal(format!("read task failed: {e}")))?
    }

    /// For lookups that take microseconds (rows by their keys or a short index range): runs
    /// them right here when a reader is idle, sparing the hand-off to a blocking thread and
    /// back, which costs more than the query; otherwise waits for a reader like `read`.
    pub async fn read_quick<T, F>(&self, f: F) -> Result<T>
    where
        T: Send + 'static,
        F: FnOnce(&Connection) -> Result<T> + Send + 'static,
    {
        let idle = self.readers.permits.try_acquire().ok().and_then(|permit| {
            let conn = self
                .readers
                .state
                .lock()
                .unwrap_or_else(|p| p.into_inner())
                .0
                .pop()?;
            Some((permit, conn))
        });
        match idle {
            Some((_permit, conn)) => {
                let out = f(&conn);
                self.give_back(conn);
                out
            }
            None => self.read(f).await,
        }
    }

    pub fn read_blocking<T>(&self, f: impl FnOnce(&Connection) -> Result<T>) -> Result<T> {
        let conn = self.take_reader()?;
        let out = f(&conn);
        self.give_back(conn);
        out
    }

    /// Runs `f` in one IMMEDIATE transaction on the single writer; commits when it returns Ok,
    /// then wakes the jobs `f` asked for with `jobs::wake::after_commit`.
    pub async fn write<T, F>(&self, f: F) -> Result<T>
    where
        T: Send + 'static,
        F: FnOnce(&Transaction) -> Result<T> + Send + 'static,
    {
        let _permit = self.write_permit.acquire().await.map_err(closed)?;
        let db = self.clone();
        tokio::task::spawn_blocking(move || db.write_blocking(f))
            .await
            .map_err(|e| Error::internal(format!("write task failed: {e}")))?
    }

    pub fn write_blocking<T>(&self, f: impl FnOnce(&Transaction) -> Result<T>) -> Result<T> {
        // A panic while holding the lock leaves the connection usable (the transaction rolls
        // back on drop), so a poisoned lock is recovered rather than failing every later write.
        let mut conn = self
            .writer
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        let result = (|| {
            let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
            let out = f(&tx)?;
            tx.commit()?;
            Ok(out)
        })();
        // The jobs woken for work queued in the transaction (see `jobs::wake`): only once it is
        // committed, so they find it; never when it rolled back.
        if result.is_ok() {
            crate::jobs::wake::flush();
        } else {
            crate::jobs::wake::discard();
        }
        match result {
            // A file system that turned read-only under an open connection shows up as a generic
            // I/O error; tell the user the truth (503, try later) rather than a 500.
            Err(Error::Internal(_)) if self.storage_read_only() => Err(Error::ReadOnly),
            other => other,
        }
    }

    /// Opening for append changes nothing, and fails with EROFS on a read-only file system.
    fn storage_read_only(&self) -> bool {
        let probe = std::fs::OpenOptions::new()
            .append(true)
            .open(self.path.as_path());
        matches!(probe, Err(e) if e.kind() == std::io::ErrorKind::ReadOnlyFilesystem)
    }
}

fn closed(_: AcquireError) -> Error {
    Error::internal("the database is closing")
}

/// Current time as Unix seconds.
pub fn now() -> i64 {
    time::OffsetDateTime::now_utc().unix_timestamp()
}
