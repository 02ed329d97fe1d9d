-- Followers, mentions and CC (issue 16 item 7) and time tracking (item 6).
--
-- Who follows a ticket: staff who chose to (`staff`), requesters added to it (`requester`, e.g.
-- of a merged ticket) and CC addresses (`cc`: from the portal or an incoming mail's Cc header).
-- A staff row has `staff_id`; the others an `email`. Another branch may create the same table;
-- `IF NOT EXISTS` keeps the first one, and the code keeps one row per person and ticket.
CREATE TABLE IF NOT EXISTS ticket_followers (
    ticket_id  INTEGER NOT NULL REFERENCES tickets(id) ON DELETE CASCADE,
    staff_id   INTEGER REFERENCES staff(id) ON DELETE CASCADE,
    email      TEXT COLLATE NOCASE,
    name       TEXT NOT NULL DEFAULT '',
    kind       TEXT NOT NULL CHECK (kind IN ('staff', 'requester', 'cc')),
    created_at INTEGER NOT NULL
);
CREATE INDEX IF NOT EXISTS ticket_followers_ticket ON ticket_followers(ticket_id);
CREATE INDEX IF NOT EXISTS ticket_followers_staff ON ticket_followers(staff_id) WHERE staff_id IS NOT NULL;
CREATE INDEX IF NOT EXISTS ticket_followers_email ON ticket_followers(email) WHERE email IS NOT NULL;

-- Minutes a staff member spent on a ticket, entered with a reply or note (`message_id`) and
-- editable by that staff member only.
CREATE TABLE time_entries (
    id         INTEGER PRIMARY KEY,
    ticket_id  INTEGER NOT NULL REFERENCES tickets(id) ON DELETE CASCADE,
    staff_id   INTEGER NOT NULL REFERENCES staff(id),
    message_id INTEGER REFERENCES messages(id) ON DELETE SET NULL,
    minutes    INTEGER NOT NULL CHECK (minutes BETWEEN 1 AND 10080),
    created_at INTEGER NOT NULL,
    updated_at INTEGER NOT NULL
);
CREATE INDEX time_entries_ticket ON time_entries(ticket_id);
CREATE INDEX time_entries_created ON time_entries(created_at);
