-- Canned replies (macros): text staff insert into a reply, with placeholders
-- (src/tickets/placeholders.rs) filled in from the ticket, and field changes applied when a reply
-- using one is sent. A row without an owner is shared (admins write those, every agent uses
-- them); one with an owner is that staff member's own.
CREATE TABLE canned_replies (
    id            INTEGER PRIMARY KEY,
    title         TEXT NOT NULL,
    body          TEXT NOT NULL,
    owner_id      INTEGER REFERENCES staff(id) ON DELETE CASCADE,
    -- Offered only on tickets of this category; NULL = on every ticket.
    category_id   INTEGER REFERENCES categories(id) ON DELETE SET NULL,
    -- Applied with the reply; NULL = left as it is.
    set_status_id   INTEGER REFERENCES statuses(id) ON DELETE SET NULL,
    set_priority_id INTEGER REFERENCES priorities(id) ON DELETE SET NULL,
    -- 1: the ticket is assigned to whoever sends the reply.
    assign_to_me  INTEGER NOT NULL DEFAULT 0,
    usage_count   INTEGER NOT NULL DEFAULT 0,
    last_used_at  INTEGER,
    created_at    INTEGER NOT NULL,
    updated_at    INTEGER NOT NULL
);
CREATE INDEX canned_replies_owner ON canned_replies(owner_id);
