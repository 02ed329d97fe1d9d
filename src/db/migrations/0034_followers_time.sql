-- Followers, mentions and CC (issue 16 item 7) and time tracking (item 6).
--
-- Who follows a ticket: staff who chose to (`staff`), requesters added to it (`requester`, e.g.
-- of a merged ticket) and CC addresses (`cc`: from the portal or an incoming mail's Cc header).
-- A staff row has `staff_id`; the others an `email`.
-- `ticket_followers` itself (staff, requester and CC followers, one row per person and ticket)
-- comes with 0032 (merged tickets' requesters follow the survivor); here, the reads by staff
-- member and by address.
CREATE INDEX ticket_followers_ticket ON ticket_followers(ticket_id);
CREATE INDEX ticket_followers_by_staff ON ticket_followers(staff_id) WHERE staff_id IS NOT NULL;
CREATE INDEX ticket_followers_by_email ON ticket_followers(email) WHERE email IS NOT NULL;

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
