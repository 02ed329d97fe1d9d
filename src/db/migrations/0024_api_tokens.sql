-- API tokens (issue: REST API). A token acts as its staff member, with their role and category
-- access; only its SHA-256 is stored. Revoking sets revoked_at (the row stays, so the audit log
-- and the member's list can still name it).
CREATE TABLE api_tokens (
    id           INTEGER PRIMARY KEY,
    staff_id     INTEGER NOT NULL REFERENCES staff(id) ON DELETE CASCADE,
    name         TEXT NOT NULL,
    scope        TEXT NOT NULL CHECK (scope IN ('read', 'read-write')),
    token_hash   TEXT NOT NULL UNIQUE,
    -- The token's first characters, shown so its owner can tell tokens apart.
    prefix       TEXT NOT NULL,
    created_at   INTEGER NOT NULL,
    last_used_at INTEGER,
    last_used_ip TEXT,
    revoked_at   INTEGER
);
CREATE INDEX api_tokens_staff ON api_tokens(staff_id, created_at);
