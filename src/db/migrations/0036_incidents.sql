-- Outage detection and incidents (issue 17 item 2).
--
-- An incident groups the tickets about one thing that broke. The desk raises it as `suggested`
-- when a burst of similar tickets arrives (`crate::incidents::detect`); staff confirm it
-- (`open`), answer and resolve all its tickets at once (`resolved`), or dismiss the suggestion
-- (`dismissed`: kept, so its tickets raise no second suggestion; never listed). `keywords` is the
-- token set later tickets are compared with. A `public` open incident is a known issue shown
-- on the portal under `public_title`.
CREATE TABLE incidents (
    id           INTEGER PRIMARY KEY,
    status       TEXT NOT NULL CHECK (status IN ('suggested', 'open', 'resolved', 'dismissed')),
    category_id  INTEGER NOT NULL REFERENCES categories(id),
    title        TEXT NOT NULL,
    keywords     TEXT NOT NULL,
    public       INTEGER NOT NULL DEFAULT 0,
    public_title TEXT NOT NULL DEFAULT '',
    created_at   INTEGER NOT NULL,
    opened_at    INTEGER,
    published_at INTEGER,
    resolved_at  INTEGER
);
CREATE INDEX incidents_category_status ON incidents(category_id, status);
CREATE INDEX incidents_status ON incidents(status);

-- The tickets of an incident; a ticket belongs to one incident at most. `attached` 0: a later
-- matching ticket the desk only suggests adding (the admin's choice in Admin > Settings).
CREATE TABLE incident_tickets (
    incident_id INTEGER NOT NULL REFERENCES incidents(id) ON DELETE CASCADE,
    ticket_id   INTEGER NOT NULL REFERENCES tickets(id) ON DELETE CASCADE,
    attached    INTEGER NOT NULL DEFAULT 1,
    added_at    INTEGER NOT NULL,
    PRIMARY KEY (incident_id, ticket_id)
) WITHOUT ROWID;
CREATE UNIQUE INDEX incident_tickets_ticket ON incident_tickets(ticket_id);

-- A reply to (or the resolving of) every ticket of an incident, worked through by the job
-- `incident_fanout` in batches, so 200 requesters never hold up the request. `last_ticket_id`
-- is how far it got; `done_at` set when every ticket had its turn.
CREATE TABLE incident_batches (
    id             INTEGER PRIMARY KEY,
    incident_id    INTEGER NOT NULL REFERENCES incidents(id) ON DELETE CASCADE,
    action         TEXT NOT NULL CHECK (action IN ('reply', 'resolve')),
    staff_id       INTEGER NOT NULL REFERENCES staff(id),
    body           TEXT NOT NULL DEFAULT '',
    created_at     INTEGER NOT NULL,
    last_ticket_id INTEGER NOT NULL DEFAULT 0,
    done_count     INTEGER NOT NULL DEFAULT 0,
    failed_count   INTEGER NOT NULL DEFAULT 0,
    done_at        INTEGER
);
CREATE INDEX incident_batches_pending ON incident_batches(id) WHERE done_at IS NULL;
