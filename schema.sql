-- Baseline schema (user_version 1). Later changes go in src/db/migrations/NNNN_name.sql.
-- Times are Unix seconds (UTC).

CREATE TABLE settings (
    key   TEXT PRIMARY KEY,
    value TEXT NOT NULL
) WITHOUT ROWID;

CREATE TABLE staff (
    id            INTEGER PRIMARY KEY,
    email         TEXT NOT NULL UNIQUE COLLATE NOCASE,
    name          TEXT NOT NULL,
    role          TEXT NOT NULL CHECK (role IN ('admin', 'agent')),
    password_hash TEXT NOT NULL,
    active        INTEGER NOT NULL DEFAULT 1,
    -- Bumped on password change or deactivation: every older session cookie stops working.
    session_epoch INTEGER NOT NULL DEFAULT 0,
    created_at    INTEGER NOT NULL
);

CREATE TABLE statuses (
    id        INTEGER PRIMARY KEY,
    -- Built-in statuses carry a slug the ticket loop relies on; custom ones have none.
    slug      TEXT UNIQUE,
    name      TEXT NOT NULL,
    is_closed INTEGER NOT NULL DEFAULT 0,
    sort      INTEGER NOT NULL DEFAULT 0
);

CREATE TABLE priorities (
    id                    INTEGER PRIMARY KEY,
    slug                  TEXT UNIQUE,
    name                  TEXT NOT NULL,
    -- Higher rank = more urgent; used for sorting.
    rank                  INTEGER NOT NULL,
    requester_selectable  INTEGER NOT NULL DEFAULT 1
);

CREATE TABLE categories (
    id                  INTEGER PRIMARY KEY,
    name                TEXT NOT NULL UNIQUE COLLATE NOCASE,
    default_priority_id INTEGER NOT NULL REFERENCES priorities(id),
    active              INTEGER NOT NULL DEFAULT 1,
    sort                INTEGER NOT NULL DEFAULT 0
);

-- Which agents handle which category (auto-assignment and notifications build on this).
CREATE TABLE category_agents (
    category_id INTEGER NOT NULL REFERENCES categories(id) ON DELETE CASCADE,
    staff_id    INTEGER NOT NULL REFERENCES staff(id) ON DELETE CASCADE,
    PRIMARY KEY (category_id, staff_id)
) WITHOUT ROWID;
CREATE INDEX category_agents_staff ON category_agents(staff_id);

CREATE TABLE tickets (
    id                  INTEGER PRIMARY KEY,
    tracking_id         TEXT NOT NULL UNIQUE,
    -- Secret for the requester's link; compared in constant time.
    access_token        TEXT NOT NULL,
    subject             TEXT NOT NULL,
    requester_name      TEXT NOT NULL,
    requester_email     TEXT NOT NULL COLLATE NOCASE,
    category_id         INTEGER NOT NULL REFERENCES categories(id),
    priority_id         INTEGER NOT NULL REFERENCES priorities(id),
    status_id           INTEGER NOT NULL REFERENCES statuses(id),
    assignee_id         INTEGER REFERENCES staff(id),
    created_by_staff_id INTEGER REFERENCES staff(id),
    created_at          INTEGER NOT NULL,
    updated_at          INTEGER NOT NULL,
    first_response_at   INTEGER,
    resolved_at         INTEGER,
    message_count       INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX tickets_updated   ON tickets(updated_at);
CREATE INDEX tickets_created   ON tickets(created_at);
CREATE INDEX tickets_status    ON tickets(status_id, updated_at);
CREATE INDEX tickets_assignee  ON tickets(assignee_id, updated_at);
CREATE INDEX tickets_category  ON tickets(category_id, updated_at);
CREATE INDEX tickets_priority  ON tickets(priority_id, updated_at);
-- Common combinations of list filters: a category's or an agent's tickets in one status.
CREATE INDEX tickets_category_status ON tickets(category_id, status_id, updated_at);
CREATE INDEX tickets_assignee_status ON tickets(assignee_id, status_id, updated_at);
CREATE INDEX tickets_requester ON tickets(requester_email, created_at);

CREATE TABLE messages (
    id          INTEGER PRIMARY KEY,
    ticket_id   INTEGER NOT NULL REFERENCES tickets(id) ON DELETE CASCADE,
    -- requester: from the employee; staff: a reply they see; note: internal, staff only.
    kind        TEXT NOT NULL CHECK (kind IN ('requester', 'staff', 'note')),
    staff_id    INTEGER REFERENCES staff(id),
    author_name TEXT NOT NULL,
    body        TEXT NOT NULL,
    created_at  INTEGER NOT NULL
);
CREATE INDEX messages_ticket ON messages(ticket_id, id);

CREATE TABLE attachments (
    id           INTEGER PRIMARY KEY,
    ticket_id    INTEGER NOT NULL REFERENCES tickets(id) ON DELETE CASCADE,
    message_id   INTEGER NOT NULL REFERENCES messages(id) ON DELETE CASCADE,
    filename     TEXT NOT NULL,
    content_type TEXT NOT NULL,
    size         INTEGER NOT NULL,
    created_at   INTEGER NOT NULL,
    -- Last, so listing attachments never reads the blob's overflow pages.
    data         BLOB NOT NULL
);
CREATE INDEX attachments_ticket ON attachments(ticket_id, message_id);

-- History of a ticket: who changed what, when, from what to what.
CREATE TABLE ticket_events (
    id         INTEGER PRIMARY KEY,
    ticket_id  INTEGER NOT NULL REFERENCES tickets(id) ON DELETE CASCADE,
    staff_id   INTEGER REFERENCES staff(id),
    actor_name TEXT NOT NULL,
    field      TEXT NOT NULL,
    old_value  TEXT,
    new_value  TEXT,
    created_at INTEGER NOT NULL
);
CREATE INDEX ticket_events_ticket ON ticket_events(ticket_id, id);

-- Security-relevant actions outside tickets: logins, account and settings changes.
CREATE TABLE audit_log (
    id         INTEGER PRIMARY KEY,
    staff_id   INTEGER REFERENCES staff(id),
    action     TEXT NOT NULL,
    detail     TEXT NOT NULL DEFAULT '',
    ip         TEXT,
    created_at INTEGER NOT NULL
);
CREATE INDEX audit_log_created ON audit_log(created_at);

INSERT INTO statuses (slug, name, is_closed, sort) VALUES
    ('new', 'New', 0, 10),
    ('in_progress', 'In progress', 0, 20),
    ('waiting', 'Waiting on requester', 0, 30),
    ('on_hold', 'On hold', 0, 40),
    ('resolved', 'Resolved', 1, 50),
    ('closed', 'Closed', 1, 60);

INSERT INTO priorities (slug, name, rank, requester_selectable) VALUES
    ('low', 'Low', 10, 1),
    ('medium', 'Medium', 20, 1),
    ('high', 'High', 30, 1),
    ('critical', 'Critical', 40, 0);

INSERT INTO categories (name, default_priority_id, sort) VALUES
    ('General', (SELECT id FROM priorities WHERE slug = 'medium'), 10),
    ('Hardware', (SELECT id FROM priorities WHERE slug = 'medium'), 20),
    ('Network & Wi-Fi', (SELECT id FROM priorities WHERE slug = 'high'), 30),
    ('Accounts & access', (SELECT id FROM priorities WHERE slug = 'medium'), 40),
    ('Software', (SELECT id FROM priorities WHERE slug = 'low'), 50);
