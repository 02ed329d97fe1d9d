-- Requester self-service, spam and bans (issue 16, items 9 and 10).

-- "My tickets" sign-in links mailed to a requester: used once, valid 30 minutes. The token in
-- the link is stored only as its SHA-256 hash.
CREATE TABLE requester_links (
    id          INTEGER PRIMARY KEY,
    token_hash  TEXT NOT NULL UNIQUE,
    email       TEXT NOT NULL COLLATE NOCASE,
    created_at  INTEGER NOT NULL,
    expires_at  INTEGER NOT NULL,
    used_at     INTEGER
);
CREATE INDEX requester_links_email ON requester_links(email);

-- A requester signed in by such a link: the (encrypted) cookie names a row here, so signing
-- out ends it on the server too. Stored as the token's hash, like the links.
CREATE TABLE requester_sessions (
    id          INTEGER PRIMARY KEY,
    token_hash  TEXT NOT NULL UNIQUE,
    email       TEXT NOT NULL COLLATE NOCASE,
    created_at  INTEGER NOT NULL,
    expires_at  INTEGER NOT NULL
);
CREATE INDEX requester_sessions_email ON requester_sessions(email);

-- Addresses and domains the desk accepts no tickets from (Admin > Bans), with what each
-- stopped: mails dropped and portal submissions refused.
CREATE TABLE bans (
    id                  INTEGER PRIMARY KEY,
    kind                TEXT NOT NULL CHECK (kind IN ('email', 'domain')),
    value               TEXT NOT NULL COLLATE NOCASE,
    created_at          INTEGER NOT NULL,
    created_by          INTEGER REFERENCES staff(id) ON DELETE SET NULL,
    dropped_mails       INTEGER NOT NULL DEFAULT 0,
    refused_submissions INTEGER NOT NULL DEFAULT 0,
    UNIQUE (kind, value)
);

-- Tickets staff marked as spam: hidden from every list, the search and the reports. A table of
-- its own rather than a column on `tickets`, so a list's condition `t.id NOT IN (...)` is
-- answered from the list's own (covering) index, which holds the rowid.
CREATE TABLE ticket_spam (
    ticket_id  INTEGER PRIMARY KEY REFERENCES tickets(id) ON DELETE CASCADE,
    marked_at  INTEGER NOT NULL,
    marked_by  INTEGER REFERENCES staff(id) ON DELETE SET NULL
);
