//! One process at a time runs a job (delivering the outbox, fetching a mailbox…) for a database:
//! two servers started on the same file must not both send every mail. The holder keeps an
//! exclusive lock on a file beside the database, `DB.JOB.lock`; the operating system drops it
//! when the process ends, even by `kill -9`, so a restarted server takes over at once.

use std::fs::{File, OpenOptions, TryLockError};
use std::path::{Path, PathBuf};

use crate::error::{Error, Result};

/// Held while this process runs `job`; dropping it lets another process take over.
#[derive(Debug)]
pub struct Lease {
    _file: File,
}

fn lock_path(db: &Path, job: &str) -> PathBuf {
    let mut name = db.as_os_str().to_owned();
    name.push(format!(".{job}.lock"));
    PathBuf::from(name)
}

/// The lease for `job` on `db`, or `None` while another process holds it.
pub fn try_take(db: &Path, job: &str) -> Result<Option<Lease>> {
    let path = lock_path(db, job);
    let file = OpenOptions::new()
        .create(true)
        .truncate(false)
        .write(true)
        .open(&path)
        .map_err(|e| Error::internal(format!("{}: {e}", path.display())))?;
    match file.try_lock() {
        Ok(()) => Ok(Some(Lease { _file: file })),
        Err(TryLockError::WouldBlock) => Ok(None),
        Err(TryLockError::Error(e)) => Err(Error::internal(format!("{}: {e}", path.display()))),
    }
}

/// Whether a process (this one included) holds the lease for `job` on `db`. Takes it for a
/// moment when it is free.
pub fn is_held(db: &Path, job: &str) -> Result<bool> {
    Ok(try_take(db, job)?.is_none())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_holder_at_a_time_and_free_again_when_dropped() {
        let dir = tempfile::tempdir().unwrap();
        let db = dir.path().join("desk.db");
        let first = try_take(&db, "send").unwrap();
        assert!(first.is_some());
        assert!(try_take(&db, "send").unwrap().is_none());
        assert!(
            try_take(&db, "fetch").unwrap().is_some(),
            "jobs are separate"
        );
        assert!(is_held(&db, "send").unwrap());
        drop(first);
        assert!(!is_held(&db, "send").unwrap());
        assert!(try_take(&db, "send").unwrap().is_some());
    }
}
