-- Service levels (SLA): policies matched by priority and optionally category, each with a
-- first-response and a resolution target in minutes, counted in business hours or calendar
-- time; their escalation steps; each ticket's clock; and the escalations that fired.

CREATE TABLE sla_policies (
    id                     INTEGER PRIMARY KEY,
    name                   TEXT NOT NULL,
    priority_id            INTEGER NOT NULL REFERENCES priorities(id),
    -- NULL: any category. A policy for the ticket's own category wins over it.
    category_id            INTEGER REFERENCES categories(id),
    first_response_minutes INTEGER NOT NULL CHECK (first_response_minutes > 0),
    resolution_minutes     INTEGER NOT NULL CHECK (resolution_minutes > 0),
    -- 1: the desk's business hours (Admin > Settings) count; 0: calendar time.
    business_hours         INTEGER NOT NULL DEFAULT 1,
    created_at             INTEGER NOT NULL
);
-- One policy per priority and category (or "any category"), so a ticket matches at most two
-- and the one for its category wins.
CREATE UNIQUE INDEX sla_policies_match ON sla_policies(priority_id, COALESCE(category_id, 0));

-- What happens at a share of a target (100 = the breach). Steps are numbered per policy
-- (`slot`): saving a policy keeps the steps it did not change, and with them the record of the
-- tickets they already fired on. A changed step is a new row, never given an old one's id.
CREATE TABLE sla_escalations (
    id         INTEGER PRIMARY KEY AUTOINCREMENT,
    policy_id  INTEGER NOT NULL REFERENCES sla_policies(id) ON DELETE CASCADE,
    slot       INTEGER NOT NULL,
    target     TEXT NOT NULL CHECK (target IN ('first_response', 'resolution')),
    at_percent INTEGER NOT NULL CHECK (at_percent BETWEEN 1 AND 100),
    action     TEXT NOT NULL CHECK (action IN ('email_assignee', 'email_category_agents',
                                               'email_admins', 'raise_priority', 'reassign')),
    -- Whom `reassign` hands the ticket to.
    staff_id   INTEGER REFERENCES staff(id),
    UNIQUE (policy_id, slot)
);

-- Each ticket's clock, from the policy it matched when it was opened or its priority or
-- category changed. The targets are copied: a later edit of the policy leaves the due times
-- already promised alone. Both targets run from the ticket's creation; the time spent paused
-- (waiting on the requester, on hold, resolved) is added, in seconds and in business minutes,
-- and each due time moves by it until its target is met.
CREATE TABLE ticket_sla (
    ticket_id              INTEGER PRIMARY KEY REFERENCES tickets(id) ON DELETE CASCADE,
    -- NULL once the policy is deleted: the due times stay, its escalations are gone.
    policy_id              INTEGER REFERENCES sla_policies(id) ON DELETE SET NULL,
    first_response_minutes INTEGER NOT NULL,
    resolution_minutes     INTEGER NOT NULL,
    business_hours         INTEGER NOT NULL,
    first_response_due_at  INTEGER NOT NULL,
    resolution_due_at      INTEGER NOT NULL,
    -- Set while the clock stands still.
    paused_at              INTEGER,
    paused_secs            INTEGER NOT NULL DEFAULT 0,
    paused_minutes         INTEGER NOT NULL DEFAULT 0,
    -- 1 while the ticket is in a closing status: nothing is due.
    closed                 INTEGER NOT NULL DEFAULT 0,
    -- When the next escalation step falls due: what the `sla_escalate` job looks for.
    next_check_at          INTEGER
);
CREATE INDEX ticket_sla_next_check ON ticket_sla(next_check_at) WHERE next_check_at IS NOT NULL;
CREATE INDEX ticket_sla_policy ON ticket_sla(policy_id, closed);

-- The escalations that fired: one row per ticket and step, written in the transaction that
-- does the step's action, so a step fires once, across restarts and crashes.
CREATE TABLE sla_firings (
    ticket_id INTEGER NOT NULL REFERENCES tickets(id) ON DELETE CASCADE,
    step_id   INTEGER NOT NULL REFERENCES sla_escalations(id) ON DELETE CASCADE,
    fired_at  INTEGER NOT NULL,
    PRIMARY KEY (ticket_id, step_id)
) WITHOUT ROWID;
CREATE INDEX sla_firings_step ON sla_firings(step_id);

-- On the ticket itself, for the staff list: the next running deadline (NULL: none, e.g. paused
-- in time, met, closed or no policy) and when less than a quarter of its target is left.
ALTER TABLE tickets ADD COLUMN sla_due_at INTEGER;
ALTER TABLE tickets ADD COLUMN sla_warn_at INTEGER;
-- The overdue and due-today views and the due sort walk it; only open tickets have a value.
CREATE INDEX tickets_sla_due ON tickets(sla_due_at) WHERE sla_due_at IS NOT NULL;
