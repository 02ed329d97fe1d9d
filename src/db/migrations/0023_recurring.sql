-- Recurring tickets (src/automation/recurring.rs): a ticket template with a schedule in the
-- desk's zone. The `recurring_tickets` job opens a ticket when `next_run_at` falls due and moves
-- `next_run_at` on in the same transaction, with `WHERE next_run_at = <the due time>`, so each
-- due time opens one ticket however often the pass runs or the server restarts.
CREATE TABLE recurring_tickets (
    id              INTEGER PRIMARY KEY,
    name            TEXT NOT NULL,
    subject         TEXT NOT NULL,
    message         TEXT NOT NULL,
    category_id     INTEGER NOT NULL REFERENCES categories(id),
    priority_id     INTEGER NOT NULL REFERENCES priorities(id),
    -- NULL: the category's auto-assignment decides, as for any new ticket.
    assignee_id     INTEGER REFERENCES staff(id) ON DELETE SET NULL,
    -- Who the ticket is from (the creating admin unless changed), and their mail's language.
    requester_name  TEXT NOT NULL,
    requester_email TEXT NOT NULL,
    lang            TEXT NOT NULL DEFAULT 'en',
    repeat          TEXT NOT NULL CHECK (repeat IN ('daily', 'weekly', 'monthly')),
    -- Weekly: the weekdays, `mon,tue,...`; empty otherwise.
    weekdays        TEXT NOT NULL DEFAULT '',
    -- Monthly: the day (1-31; a month without it runs on its last day); NULL otherwise.
    day_of_month    INTEGER CHECK (day_of_month BETWEEN 1 AND 31),
    -- Local time of day in the desk's zone, in minutes after midnight.
    time_of_day     INTEGER NOT NULL CHECK (time_of_day BETWEEN 0 AND 1439),
    active          INTEGER NOT NULL DEFAULT 1,
    -- The next due time (UTC unix seconds); NULL while paused.
    next_run_at     INTEGER,
    -- The zone next_run_at was computed in: after the desk's zone changes, the job moves it.
    zone            TEXT NOT NULL,
    -- The due time of the last ticket opened, and that ticket.
    last_run_at     INTEGER,
    last_ticket_id  INTEGER REFERENCES tickets(id) ON DELETE SET NULL,
    created_by      INTEGER REFERENCES staff(id) ON DELETE SET NULL,
    created_at      INTEGER NOT NULL,
    updated_at      INTEGER NOT NULL
);
CREATE INDEX recurring_tickets_due ON recurring_tickets(next_run_at) WHERE active = 1;
