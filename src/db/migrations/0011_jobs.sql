-- Version 10: the background jobs (src/jobs). One row per job, written after each of its runs;
-- a restarted server resumes each job from its next_run_at. Times are Unix seconds.

CREATE TABLE jobs (
    name             TEXT PRIMARY KEY,
    -- When the last run started, and the last one that succeeded.
    last_run_at      INTEGER,
    last_ok_at       INTEGER,
    next_run_at      INTEGER,
    -- The last run's error; NULL when it succeeded.
    last_error       TEXT,
    -- The one-line summary of the last run that succeeded.
    last_summary     TEXT,
    last_duration_ms INTEGER,
    runs             INTEGER NOT NULL DEFAULT 0,
    failures         INTEGER NOT NULL DEFAULT 0
) WITHOUT ROWID;
