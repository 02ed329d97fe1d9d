-- Reports (issue: reports, charts and CSV export). What a report counts, stored when it happens
-- rather than recomputed from the history on every view: one row per ticket and one per
-- resolution (`ticket_resolutions`), kept by `reports::metrics` as a reaction to every ticket
-- action.
--
-- Both tables copy the ticket's current category, priority, channel and assignee, so a report
-- filters and counts one narrow table through its time index instead of joining the tickets.

CREATE TABLE ticket_metrics (
    ticket_id              INTEGER PRIMARY KEY REFERENCES tickets(id) ON DELETE CASCADE,
    created_at             INTEGER NOT NULL,
    category_id            INTEGER NOT NULL,
    priority_id            INTEGER NOT NULL,
    channel                TEXT NOT NULL,
    assignee_id            INTEGER REFERENCES staff(id) ON DELETE SET NULL,
    requester_email        TEXT NOT NULL COLLATE NOCASE,
    requester_name         TEXT NOT NULL,
    -- The first staff reply: when, by whom, and how long after the ticket was opened, in seconds
    -- and in the desk's business minutes (with the hours in effect when it happened).
    first_response_at      INTEGER,
    first_response_by      INTEGER REFERENCES staff(id) ON DELETE SET NULL,
    first_response_secs    INTEGER,
    first_response_minutes INTEGER,
    -- The resolution that stands: set while the ticket is closed, NULL while it is open.
    resolved_at            INTEGER,
    -- Its service-level clock as `ticket_sla` keeps it, for the shares of targets met.
    sla_policy_id          INTEGER,
    first_response_due_at  INTEGER,
    resolution_due_at      INTEGER,
    sla_paused_at          INTEGER
);
-- A report reads a range from these indexes alone (`reports::figures`): each holds every column
-- its read filters on and counts, so no row of the table is looked up.
CREATE INDEX ticket_metrics_created ON ticket_metrics(created_at, category_id, priority_id,
    channel, assignee_id, sla_policy_id, first_response_at, resolved_at, first_response_due_at,
    resolution_due_at, sla_paused_at, requester_email);
CREATE INDEX ticket_metrics_first_response ON ticket_metrics(first_response_at, first_response_by,
    category_id, priority_id, channel, first_response_secs, first_response_minutes)
    WHERE first_response_at IS NOT NULL;
-- The open tickets now: where the backlog of past days is counted back from.
CREATE INDEX ticket_metrics_open ON ticket_metrics(assignee_id, category_id, priority_id, channel)
    WHERE resolved_at IS NULL;

CREATE TABLE resolution_metrics (
    resolution_id      INTEGER PRIMARY KEY REFERENCES ticket_resolutions(id) ON DELETE CASCADE,
    ticket_id          INTEGER NOT NULL REFERENCES tickets(id) ON DELETE CASCADE,
    resolved_at        INTEGER NOT NULL,
    -- When the ticket was opened again after this resolution; NULL while it stands.
    reopened_at        INTEGER,
    -- Who had the ticket when it was resolved (time to resolution and CSAT count per agent so).
    agent_id           INTEGER REFERENCES staff(id) ON DELETE SET NULL,
    -- From the ticket's opening to this resolution.
    resolution_secs    INTEGER NOT NULL,
    resolution_minutes INTEGER NOT NULL,
    -- The ticket's current fields, as in `ticket_metrics`.
    category_id        INTEGER NOT NULL,
    priority_id        INTEGER NOT NULL,
    channel            TEXT NOT NULL,
    assignee_id        INTEGER REFERENCES staff(id) ON DELETE SET NULL,
    -- The requester's answer to the survey about this resolution.
    rating             TEXT,
    rated_at           INTEGER,
    has_comment        INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX resolution_metrics_ticket ON resolution_metrics(ticket_id);
CREATE INDEX resolution_metrics_at ON resolution_metrics(resolved_at, agent_id, assignee_id,
    category_id, priority_id, channel, resolution_secs, resolution_minutes, rating);
CREATE INDEX resolution_metrics_reopened ON resolution_metrics(reopened_at, assignee_id,
    category_id, priority_id, channel) WHERE reopened_at IS NOT NULL;
-- The answers with a comment, for the latest comments.
CREATE INDEX resolution_metrics_comments ON resolution_metrics(resolved_at) WHERE has_comment = 1;

-- The rows of the tickets already there are computed in Rust once the migrations are done
-- (`reports::metrics::fill_after_migration`): SQL cannot count business minutes.
INSERT OR REPLACE INTO settings (key, value) VALUES ('report_metrics_fill', 'pending');
