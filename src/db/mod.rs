//! SQLite access: one writer connection (writes are serialised, so "database is locked" never
//! reaches a user) and a small pool of readers, all used from Tokio's blocking pool so queries
//! never stall the async runtime.

use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use rusqlite::{Connection, OpenFlags, Transaction, TransactionBehavior};

use crate::error::{Error, Result};

mod migrate;
pub use migrate::{SCHEMA_VERSION, migrate};

/// Readers kept open between requests; more are opened on demand under load.
const IDLE_READERS: usize = 8;

#[derive(Clone)]
pub struct Db {
    path: Arc<PathBuf>,
    writer: Arc<Mutex<Connection>>,
    readers: Arc<Mutex<Vec<Connection>>>,
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
    conn.pragma_update(None, "cache_size", -16000)?;
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
            readers: Arc::new(Mutex::new(Vec::new())),
        })
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    fn take_reader(&self) -> Result<Connection> {
        let pooled = self
            .readers
            .lock()
            .map_err(|_| Error::internal("reader pool poisoned"))?
            .pop();
        match pooled {
            Some(conn) => Ok(conn),
            None => {
                let conn = open_connection(&self.path)?;
                conn.pragma_update(None, "query_only", "ON")?;
                Ok(conn)
            }
        }
    }

    fn give_back(&self, conn: Connection) {
        if let Ok(mut pool) = self.readers.lock()
            && pool.len() < IDLE_READERS
        {
            pool.push(conn);
        }
    }

    /// Runs read-only queries on a pooled connection, off the async runtime.
    pub async fn read<T, F>(&self, f: F) -> Result<T>
    where
        T: Send + 'static,
        F: FnOnce(&Connection) -> Result<T> + Send + 'static,
    {
        let db = self.clone();
        rocket::tokio::task::spawn_blocking(move || db.read_blocking(f))
            .await
            .map_err(|e| Error::internal(format!("read task failed: {e}")))?
    }

    pub fn read_blocking<T>(&self, f: impl FnOnce(&Connection) -> Result<T>) -> Result<T> {
        let conn = self.take_reader()?;
        let out = f(&conn);
        self.give_back(conn);
        out
    }

    /// Runs `f` in one IMMEDIATE transaction on the single writer; commits when it returns Ok.
    pub async fn write<T, F>(&self, f: F) -> Result<T>
    where
        T: Send + 'static,
        F: FnOnce(&Transaction) -> Result<T> + Send + 'static,
    {
        let db = self.clone();
        rocket::tokio::task::spawn_blocking(move || db.write_blocking(f))
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
        let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
        let out = f(&tx)?;
        tx.commit()?;
        Ok(out)
    }
}

/// Current time as Unix seconds.
pub fn now() -> i64 {
    time::OffsetDateTime::now_utc().unix_timestamp()
}
