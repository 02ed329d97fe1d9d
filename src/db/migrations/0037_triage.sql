-- Learned triage (issue 17 item 3): the model trained on the desk's resolved tickets, and what
-- it predicted for each new ticket.
--
-- One row per training; the newest is the model in use (older ones are deleted when a new one
-- is stored). `uid` names the model in the processes' in-memory caches; `blob` is the model in
-- `triage::model`'s own binary format (`format` its version); `eval` the held-out evaluation
-- (JSON: accuracy per field, the majority baseline, the category confusion table).
CREATE TABLE triage_models (
    id          INTEGER PRIMARY KEY,
    uid         TEXT NOT NULL UNIQUE,
    format      INTEGER NOT NULL,
    trained_at  INTEGER NOT NULL,
    -- Resolved tickets the model learned from, and how many the desk had then (the job retrains
    -- when enough more were resolved since).
    tickets     INTEGER NOT NULL,
    resolved    INTEGER NOT NULL,
    train_ms    INTEGER NOT NULL,
    eval        TEXT NOT NULL,
    blob        BLOB NOT NULL
);

-- The prediction for a new ticket (each field with its confidence, 0..1), shown to staff with
-- one click to accept; `applied`: the desk set the predicted category itself (the requester
-- chose "I don't know" and the confidence reached the admin's threshold).
CREATE TABLE triage_suggestions (
    ticket_id           INTEGER PRIMARY KEY REFERENCES tickets(id) ON DELETE CASCADE,
    model_id            INTEGER NOT NULL,
    category_id         INTEGER,
    category_confidence REAL NOT NULL DEFAULT 0,
    priority_id         INTEGER,
    priority_confidence REAL NOT NULL DEFAULT 0,
    assignee_id         INTEGER,
    assignee_confidence REAL NOT NULL DEFAULT 0,
    applied             INTEGER NOT NULL DEFAULT 0,
    created_at          INTEGER NOT NULL
);
