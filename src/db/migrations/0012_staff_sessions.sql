-- Staff sessions kept on the server, so that logging out, "sign out everywhere" and an admin
-- can end them: the session cookie only names a row here. The token is stored hashed
-- (SHA-256): a copy of the database alone opens no session.
CREATE TABLE staff_sessions (
    id          INTEGER PRIMARY KEY,
    token_hash  TEXT NOT NULL UNIQUE,
    staff_id    INTEGER NOT NULL REFERENCES staff(id) ON DELETE CASCADE,
    created_at  INTEGER NOT NULL,
    expires_at  INTEGER NOT NULL,
    ip          TEXT,
    user_agent  TEXT
);
CREATE INDEX staff_sessions_staff ON staff_sessions(staff_id);
CREATE INDEX staff_sessions_expires ON staff_sessions(expires_at);
