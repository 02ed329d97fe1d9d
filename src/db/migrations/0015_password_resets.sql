-- Links that let a staff member set a new password when they forgot theirs: single use, valid
-- one hour; the token in the link is stored only as its SHA-256 hash.
CREATE TABLE password_resets (
    id          INTEGER PRIMARY KEY,
    token_hash  TEXT NOT NULL UNIQUE,
    staff_id    INTEGER NOT NULL REFERENCES staff(id) ON DELETE CASCADE,
    created_at  INTEGER NOT NULL,
    expires_at  INTEGER NOT NULL,
    used_at     INTEGER
);
CREATE INDEX password_resets_staff ON password_resets(staff_id);
