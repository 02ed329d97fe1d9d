-- Two-factor sign-in for staff (TOTP, RFC 6238). One row per member who set it up or is setting
-- it up: the secret stays pending (confirmed_at NULL) until a first code confirms it. The secret
-- is kept as is (base32), since the server computes the codes from it; `last_step` is the time
-- step of the last code accepted, so each code is accepted once.
CREATE TABLE staff_totp (
    staff_id     INTEGER PRIMARY KEY REFERENCES staff(id) ON DELETE CASCADE,
    secret       TEXT NOT NULL,
    created_at   INTEGER NOT NULL,
    confirmed_at INTEGER,
    last_step    INTEGER NOT NULL DEFAULT 0
);

-- One-time recovery codes, used in place of a code when the authenticator is lost. Stored as
-- their SHA-256 (they are random and long, so a fast hash is enough); a used one keeps its row
-- so that trying it again is refused as "already used".
CREATE TABLE staff_recovery_codes (
    id        INTEGER PRIMARY KEY,
    staff_id  INTEGER NOT NULL REFERENCES staff(id) ON DELETE CASCADE,
    code_hash TEXT NOT NULL,
    used_at   INTEGER,
    UNIQUE (staff_id, code_hash)
);

-- A sign-in whose password was right and which waits for the code: no session yet. The browser
-- holds a random token (stored hashed) for at most a few minutes.
CREATE TABLE staff_pending_logins (
    id            INTEGER PRIMARY KEY,
    token_hash    TEXT NOT NULL UNIQUE,
    staff_id      INTEGER NOT NULL REFERENCES staff(id) ON DELETE CASCADE,
    session_epoch INTEGER NOT NULL,
    next          TEXT NOT NULL,
    created_at    INTEGER NOT NULL,
    expires_at    INTEGER NOT NULL
);
CREATE INDEX staff_pending_logins_staff ON staff_pending_logins(staff_id);
CREATE INDEX staff_pending_logins_expires ON staff_pending_logins(expires_at);
