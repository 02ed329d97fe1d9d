-- Version 8: the admin mail pages. An outbox row an admin gave up on is marked discarded (kept,
-- listed as such) instead of deleted; a quarantined message that was imported on a retry keeps
-- what became of it. The partial indexes serve the admin lists and the nav counts.

ALTER TABLE outbox ADD COLUMN discarded_at INTEGER;
DROP INDEX outbox_due;
CREATE INDEX outbox_due ON outbox(next_attempt_at) WHERE sent_at IS NULL AND discarded_at IS NULL;
CREATE INDEX outbox_sent ON outbox(sent_at) WHERE sent_at IS NOT NULL;
CREATE INDEX outbox_discarded ON outbox(discarded_at) WHERE discarded_at IS NOT NULL;

ALTER TABLE mail_quarantine ADD COLUMN outcome TEXT;
CREATE INDEX mail_quarantine_open ON mail_quarantine(id) WHERE retried_at IS NULL;
CREATE INDEX mail_quarantine_retried ON mail_quarantine(retried_at) WHERE retried_at IS NOT NULL;
