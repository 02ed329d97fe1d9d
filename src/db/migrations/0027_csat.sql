-- Satisfaction surveys (issue: CSAT and the agent home). One row per resolution of a ticket:
-- each time it enters a closing status from an open one (a reopened and re-resolved ticket has
-- a second row), with who had the ticket and its category at that moment. The requester's answer
-- to "How did we do?" for that resolution is kept in the same row, so one answer per resolution
-- is the table's shape, and reports count answers against resolutions from one table.
CREATE TABLE ticket_resolutions (
    id                INTEGER PRIMARY KEY,
    ticket_id         INTEGER NOT NULL REFERENCES tickets(id) ON DELETE CASCADE,
    -- 1 for the ticket's first resolution, 2 after it was reopened and resolved again, ...
    number            INTEGER NOT NULL,
    resolved_at       INTEGER NOT NULL,
    -- The assignee and the category at resolution (reports group by them).
    agent_id          INTEGER REFERENCES staff(id) ON DELETE SET NULL,
    category_id       INTEGER NOT NULL REFERENCES categories(id),
    -- The answer: NULL until the requester gives one.
    rating            TEXT CHECK (rating IN ('good', 'bad')),
    comment           TEXT NOT NULL DEFAULT '',
    -- The first answer, and the last change of it (the same while never changed).
    rated_at          INTEGER,
    rating_changed_at INTEGER,
    UNIQUE (ticket_id, number)
);
-- Resolutions by time, covering what the agent home's "resolved" per day reads (the tickets)
-- and what a report by period groups (category, agent).
CREATE INDEX ticket_resolutions_at
    ON ticket_resolutions(resolved_at, ticket_id, category_id, agent_id);
-- Answers by time, covering what a report groups and counts.
CREATE INDEX ticket_ratings_at ON ticket_resolutions(rated_at, category_id, agent_id, rating)
    WHERE rating IS NOT NULL;
-- A ticket's latest answer (the staff page, the ticket object of the API and webhooks).
CREATE INDEX ticket_ratings_latest ON ticket_resolutions(ticket_id, number)
    WHERE rating IS NOT NULL;

-- The agent home's counts for an agent limited to some categories, from the index alone: their
-- open tickets and the unassigned ones (assignee, open statuses, their categories), and the
-- overdue and due-today ones (their categories' running deadlines). Agents who see every
-- category are served by tickets_assignee_status and tickets_sla_due as before.
CREATE INDEX tickets_assignee_status_category ON tickets(assignee_id, status_id, category_id);
CREATE INDEX tickets_category_sla_due ON tickets(category_id, sla_due_at)
    WHERE sla_due_at IS NOT NULL;

-- Tickets closed before this migration: their current resolution (earlier ones, undone by a
-- reopening, left no trace to rebuild them from).
INSERT INTO ticket_resolutions (ticket_id, number, resolved_at, agent_id, category_id)
SELECT t.id, 1, t.resolved_at, t.assignee_id, t.category_id
FROM tickets t JOIN statuses s ON s.id = t.status_id
WHERE s.is_closed = 1 AND t.resolved_at IS NOT NULL;
