-- Version 6: incoming mail. Each imported Message-ID is remembered so the same message piped
-- twice is imported once; what cannot be imported is kept raw in the quarantine (see
-- src/mail/incoming.rs).

CREATE TABLE mail_imports (
    id          INTEGER PRIMARY KEY,
    message_id  TEXT NOT NULL UNIQUE,
    ticket_id   INTEGER REFERENCES tickets(id) ON DELETE SET NULL,
    outcome     TEXT NOT NULL,
    created_at  INTEGER NOT NULL
);

CREATE TABLE mail_quarantine (
    id          INTEGER PRIMARY KEY,
    raw         BLOB NOT NULL,
    reason      TEXT NOT NULL,
    created_at  INTEGER NOT NULL,
    retried_at  INTEGER
);
