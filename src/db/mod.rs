//! SQLite access: one writer connection (writes are serialised, so "database is locked" never
//! reaches a user) and a small pool of readers, used off the async runtime. Async writes go to
//! the writer thread, which commits the requests waiting together (group commit, `writer`).

use std::path::{Path, PathBuf};
use std::sync::mpsc::Sender;
use std::sync::{Arc, Condvar, Mutex};
use std::thread::JoinHandle;
use std::time::Duration;

use rusqlite::config::DbConfig;
use rusqlite::{Connection, OpenFlags, TransactionBehavior};
use tokio::sync::{AcquireError, Semaphore, oneshot};

use crate::error::{Error, Result};

mod migrate;
mod writer;
pub use migrate::{SCHEMA_VERSION, migrate};
pub use writer::{MAX_GROUP, MAX_GROUP_TIME, after_commit};

/// At most this many read connections exist; more concurrent readers wait for one. Each holds
/// its own page cache, so the bound is also what keeps memory flat under load.
const MAX_READERS: usize = 4;

/// At most this many async writes wait in the writer's queue; more callers wait for room here,
/// without a thread, so a flood of requests cannot grow the queue without bound.
const MAX_QUEUED_WRITES: usize = 256;

#[derive(Clone)]
pub struct Db {
    path: Arc<PathBuf>,
    /// The write connection: the writer thread takes it for each group, `write_blocking` for
    /// each of its transactions.
    writer: Arc<Mutex<Connection>>,
    queue: Arc<WriteQueue>,
    readers: Arc<ReaderPool>,
    /// Room in the writer's queue (see `MAX_QUEUED_WRITES`).
    write_permit: Arc<Semaphore>,
}

/// The writer thread and the way to it. When the last `Db` handle goes, the queue closes and
/// the thread ends; dropping waits for it, so the connection is closed when `Db` is gone.
struct WriteQueue {
    sender: Option<Sender<Box<dyn writer::Request>>>,
    thread: Option<JoinHandle<()>>,
}

impl Drop for WriteQueue {
    fn drop(&mut self) {
        self.sender.take();
        if let Some(thread) = self.thread.take()
            && thread.thread().id() != std::thread::current().id()
        {
            let _ = thread.join();
        }
    }
}

struct ReaderPool {
    /// Idle connections, and how many exist in all (idle + in use).
    state: Mutex<(Vec<Connection>, usize)>,
    returned: Condvar,
    /// Async callers wait here, without a thread, until a reader is theirs: otherwise every
    /// waiting request would hold a blocking thread (and its memory) just to sleep on `returned`.
    permits: Semaphore,
}

/// The last statements of every write transaction: the new rows of the ticket search index,
/// which wait in an ordinary table meanwhile, go into the index together (see
/// `crate::search::flush_pending` and migration 0040).
const BEFORE_COMMIT: writer::BeforeCommit = crate::search::flush_pending;

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
        // Rows a writer of another process committed without indexing them (none of ours
        // does). Deferred: a database opened only to be read takes no write lock for it.
        let tx = writer.transaction()?;
        BEFORE_COMMIT(&tx)?;
        tx.commit()?;
        let writer = Arc::new(Mutex::new(writer));
        let (sender, queue) = std::sync::mpsc::channel();
        let conn = writer.clone();
        let thread = std::thread::Builder::new()
            .name("db-writer".into())
            .spawn(move || writer::run(conn, queue, BEFORE_COMMIT))
            .map_err(|e| Error::internal(format!("cannot start the writer thread: {e}")))?;
        Ok(Db {
            path: Arc::new(path.to_path_buf()),
            writer,
            queue: Arc::new(WriteQueue {
                sender: Some(sender),
                thread: Some(thread),
            }),
            readers: Arc::new(ReaderPool {
                state: Mutex::new((Vec::new(), 0)),
                returned: Condvar::new(),
                permits: Semaphore::new(MAX_READERS),
            }),
            write_permit: Arc::new(Semaphore::new(MAX_QUEUED_WRITES)),
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

    /// Runs `f` on the single writer, in the transaction of the group of writes waiting with it
    /// (in a savepoint of its own unless it is the group's first); answers once that commit is
    /// done, so the change is durable and every reader sees it. `f`'s error undoes its changes
    /// only. Hooks `f` registered with `after_commit` (job wakes and the like) run after the commit.
    pub async fn write<T, F>(&self, f: F) -> Result<T>
    where
        T: Send + 'static,
        F: FnOnce(&Connection) -> Result<T> + Send + 'static,
    {
        let _room = self.write_permit.acquire().await.map_err(closed)?;
        let (reply, answer) = oneshot::channel();
        let request: Box<dyn writer::Request> = Box::new(writer::Pending::new(f, reply));
        let sent = match &self.queue.sender {
            Some(sender) => sender.send(request).is_ok(),
            None => false,
        };
        if !sent {
            return Err(Error::internal("the database is closing"));
        }
        let out = answer
            .await
            .map_err(|_| Error::internal("the writer stopped before answering"))?;
        self.read_only_said_plainly(out)
    }

    /// Async writes queued or being written now (each holds its room until it is answered).
    pub fn queued_writes(&self) -> usize {
        MAX_QUEUED_WRITES - self.write_permit.available_permits()
    }

    /// Runs `f` in one IMMEDIATE transaction of its own on the writer connection, on this
    /// thread, taking the connection between two groups: for jobs and the CLI, whose closures
    /// borrow from their caller. Its `after_commit` hooks run once it committed.
    pub fn write_blocking<T>(&self, f: impl FnOnce(&Connection) -> Result<T>) -> Result<T> {
        // A panic while holding the lock leaves the connection usable (the transaction rolls
        // back on drop), so a poisoned lock is recovered rather than failing every later write.
        let mut conn = self
            .writer
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        let _ = writer::take_hooks(); // left by no write that committed
        let result = (|| {
            let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
            let out = f(&tx)?;
            BEFORE_COMMIT(&tx)?;
            tx.commit()?;
            Ok(out)
        })();
        drop(conn);
        // What the transaction asked for once committed (see `after_commit`); never when it
        // rolled back.
        let hooks = writer::take_hooks();
        if result.is_ok() {
            writer::run_hooks(hooks);
        }
        self.read_only_said_plainly(result)
    }

    /// A file system that turned read-only under an open connection shows up as a generic I/O
    /// error; tell the user the truth (503, try later) rather than a 500.
    fn read_only_said_plainly<T>(&self, result: Result<T>) -> Result<T> {
        match result {
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
