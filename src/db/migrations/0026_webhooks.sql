-- Webhooks (Admin > Webhooks): where ticket events are POSTed, and every delivery, queued in the
-- transaction of the change and sent by the `webhook_deliver` job. And the service-level breaches
-- that were announced, so that each breach is announced (`sla.breached`) once.

CREATE TABLE webhooks (
    id         INTEGER PRIMARY KEY,
    -- Optional, for the admin list.
    name       TEXT NOT NULL DEFAULT '',
    url        TEXT NOT NULL,
    -- Signs every delivery (HMAC-SHA256); stored in clear, since signing needs it.
    secret     TEXT NOT NULL,
    -- The event names it receives, comma-separated: 'ticket.created,message.created'.
    events     TEXT NOT NULL,
    -- The body's format: the desk's own JSON, or a chat service's message.
    preset     TEXT NOT NULL DEFAULT 'generic'
               CHECK (preset IN ('generic', 'slack', 'teams', 'mattermost', 'discord', 'ntfy')),
    active     INTEGER NOT NULL DEFAULT 1,
    created_at INTEGER NOT NULL,
    updated_at INTEGER NOT NULL
);

CREATE TABLE webhook_deliveries (
    id               INTEGER PRIMARY KEY,
    webhook_id       INTEGER NOT NULL REFERENCES webhooks(id) ON DELETE CASCADE,
    -- X-Helpdesk-Delivery: random, so it stays unique across backups and restores; a receiver
    -- dedupes by it.
    delivery_id      TEXT NOT NULL UNIQUE,
    event            TEXT NOT NULL,
    ticket_id        INTEGER REFERENCES tickets(id) ON DELETE SET NULL,
    -- The body exactly as it is sent.
    payload          TEXT NOT NULL,
    status           TEXT NOT NULL DEFAULT 'pending'
                     CHECK (status IN ('pending', 'delivered', 'failed')),
    attempts         INTEGER NOT NULL DEFAULT 0,
    next_attempt_at  INTEGER NOT NULL,
    -- Retried until then (24 hours after it was queued or redelivered), then failed.
    expires_at       INTEGER NOT NULL,
    last_attempt_at  INTEGER,
    last_status_code INTEGER,
    last_error       TEXT,
    created_at       INTEGER NOT NULL,
    delivered_at     INTEGER
);
-- The job's look per webhook: its oldest waiting delivery.
CREATE INDEX webhook_deliveries_pending ON webhook_deliveries(webhook_id, id)
    WHERE status = 'pending';
-- The delivery log, newest first, a page at a time.
CREATE INDEX webhook_deliveries_log ON webhook_deliveries(webhook_id, id);
-- Forgetting old deliveries.
CREATE INDEX webhook_deliveries_created ON webhook_deliveries(created_at);

-- A target's breach, once announced: at most one per ticket and target.
CREATE TABLE sla_breaches (
    ticket_id   INTEGER NOT NULL REFERENCES tickets(id) ON DELETE CASCADE,
    target      TEXT NOT NULL CHECK (target IN ('first_response', 'resolution')),
    due_at      INTEGER NOT NULL,
    breached_at INTEGER NOT NULL,
    PRIMARY KEY (ticket_id, target)
) WITHOUT ROWID;

-- The breaches before this version count as announced (nobody could have been told of them),
-- so the job does not announce last month's breaches today.
INSERT INTO sla_breaches (ticket_id, target, due_at, breached_at)
SELECT ts.ticket_id, 'first_response', ts.first_response_due_at, ts.first_response_due_at
FROM ticket_sla ts JOIN tickets t ON t.id = ts.ticket_id
WHERE ts.first_response_due_at <= CAST(strftime('%s', 'now') AS INTEGER)
  AND COALESCE(t.first_response_at, t.resolved_at, ts.first_response_due_at + 1)
      > ts.first_response_due_at;
INSERT INTO sla_breaches (ticket_id, target, due_at, breached_at)
SELECT ts.ticket_id, 'resolution', ts.resolution_due_at, ts.resolution_due_at
FROM ticket_sla ts JOIN tickets t ON t.id = ts.ticket_id
WHERE ts.resolution_due_at <= CAST(strftime('%s', 'now') AS INTEGER)
  AND COALESCE(t.resolved_at, ts.resolution_due_at + 1) > ts.resolution_due_at;
-- The job now also looks at a ticket when a target falls due: have it look at every open one
-- once, which works out each one's next look (as a policy's changed steps do).
UPDATE ticket_sla SET next_check_at = CAST(strftime('%s', 'now') AS INTEGER) WHERE closed = 0;
