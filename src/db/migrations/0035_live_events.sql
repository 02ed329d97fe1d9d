-- Live conversations (issue 17 item 1): what happened on a ticket, one row per thing an open
-- ticket page shows without a reload (a message, a status or assignee change, a new chat).
-- The row id is the Server-Sent Events id: a client that reconnects with `Last-Event-ID` gets
-- the rows after it, so a dropped connection or a restarted server loses nothing.
-- `staff_only` rows (internal notes, desk alerts) never go to the requester's stream.
-- Rows are a replay buffer, not a record: the job runner prunes old ones.
CREATE TABLE live_events (
    id         INTEGER PRIMARY KEY,
    ticket_id  INTEGER NOT NULL REFERENCES tickets(id) ON DELETE CASCADE,
    kind       TEXT NOT NULL,
    staff_only INTEGER NOT NULL DEFAULT 0,
    data       TEXT NOT NULL DEFAULT '{}',
    created_at INTEGER NOT NULL
);
CREATE INDEX live_events_ticket ON live_events(ticket_id, id);
