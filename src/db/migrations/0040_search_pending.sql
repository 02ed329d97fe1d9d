-- Version 40 (issue 18): a new row of the ticket search index waits in `search_pending`, an
-- ordinary table, until its transaction is about to commit; then `search::flush_pending` moves
-- every waiting row into `ticket_search` with one INSERT, in rowid order (the writer does it
-- before each commit, so no reader ever sees a row waiting).
--
-- Why: FTS5 writes the terms it holds in memory to a new segment of its index at every
-- savepoint and at every statement that opens a statement journal (an INSERT that fires a
-- trigger is one). Indexed as each ticket and message came, a group commit of 64 submissions
-- wrote some hundred tiny segments, and merging them was the largest part of a submission's
-- cost; moved at once, the group's rows make one segment.
--
-- The rows are those of migration 0039 (rowid T * 2^24 for ticket T's own row, T * 2^24 + n
-- for its messages). A row changed or removed while it waits is changed or removed where it
-- is: each trigger below looks in both places.
CREATE TABLE search_pending (
    id        INTEGER PRIMARY KEY,
    subject   TEXT,
    body      TEXT,
    notes     TEXT,
    requester TEXT,
    fields    TEXT
);

DROP TRIGGER ticket_search_insert;
DROP TRIGGER ticket_search_subject;
DROP TRIGGER ticket_search_delete;
DROP TRIGGER message_search_insert;
DROP TRIGGER message_search_update;
DROP TRIGGER message_search_delete;

CREATE TRIGGER ticket_search_insert AFTER INSERT ON tickets BEGIN
    INSERT INTO search_pending (id, subject, requester)
    VALUES (NEW.id * 16777216, NEW.subject, NEW.requester_name || ' ' || NEW.requester_email);
END;

CREATE TRIGGER ticket_search_subject AFTER UPDATE OF subject, requester_name, requester_email ON tickets BEGIN
    UPDATE search_pending SET subject = NEW.subject, requester = NEW.requester_name || ' ' || NEW.requester_email
    WHERE id = NEW.id * 16777216;
    UPDATE ticket_search SET subject = NEW.subject, requester = NEW.requester_name || ' ' || NEW.requester_email
    WHERE rowid = NEW.id * 16777216;
END;

CREATE TRIGGER ticket_search_delete AFTER DELETE ON tickets BEGIN
    DELETE FROM search_pending
    WHERE id BETWEEN OLD.id * 16777216 AND OLD.id * 16777216 + 16777215;
    DELETE FROM ticket_search
    WHERE rowid BETWEEN OLD.id * 16777216 AND OLD.id * 16777216 + 16777215;
END;

-- A message is the next row of its ticket, after the last one waiting or (when none waits) the
-- last one in the index, unless the ticket is spam. A ticket's waiting rows always come after
-- its indexed ones, so the first of those two found is the last row.
CREATE TRIGGER message_search_insert AFTER INSERT ON messages
WHEN NOT EXISTS (SELECT 1 FROM ticket_spam WHERE ticket_id = NEW.ticket_id) BEGIN
    INSERT INTO search_pending (id, body, notes) VALUES (
        coalesce((SELECT id FROM search_pending
                  WHERE id BETWEEN NEW.ticket_id * 16777216 AND NEW.ticket_id * 16777216 + 16777215
                  ORDER BY id DESC LIMIT 1),
                 (SELECT rowid FROM ticket_search
                  WHERE rowid BETWEEN NEW.ticket_id * 16777216 AND NEW.ticket_id * 16777216 + 16777215
                  ORDER BY rowid DESC LIMIT 1),
                 NEW.ticket_id * 16777216) + 1,
        CASE WHEN NEW.kind = 'note' THEN NULL ELSE NEW.body END,
        CASE WHEN NEW.kind = 'note' THEN NEW.body END);
END;

-- An edited, moved (merge) or deleted message: its row is the one of its ticket holding the same
-- text in the same column (two messages with the same text index the same words, so either
-- row will do), a waiting one first; exactly one row goes.
CREATE TRIGGER message_search_update AFTER UPDATE OF body, kind, ticket_id ON messages BEGIN
    DELETE FROM ticket_search WHERE rowid = (
        SELECT rowid FROM ticket_search
        WHERE rowid BETWEEN OLD.ticket_id * 16777216 + 1 AND OLD.ticket_id * 16777216 + 16777215
            AND body IS (CASE WHEN OLD.kind = 'note' THEN NULL ELSE OLD.body END)
            AND notes IS (CASE WHEN OLD.kind = 'note' THEN OLD.body END)
        LIMIT 1)
    AND NOT EXISTS (
        SELECT 1 FROM search_pending
        WHERE id BETWEEN OLD.ticket_id * 16777216 + 1 AND OLD.ticket_id * 16777216 + 16777215
            AND body IS (CASE WHEN OLD.kind = 'note' THEN NULL ELSE OLD.body END)
            AND notes IS (CASE WHEN OLD.kind = 'note' THEN OLD.body END));
    DELETE FROM search_pending WHERE id = (
        SELECT id FROM search_pending
        WHERE id BETWEEN OLD.ticket_id * 16777216 + 1 AND OLD.ticket_id * 16777216 + 16777215
            AND body IS (CASE WHEN OLD.kind = 'note' THEN NULL ELSE OLD.body END)
            AND notes IS (CASE WHEN OLD.kind = 'note' THEN OLD.body END)
        LIMIT 1);
    INSERT INTO search_pending (id, body, notes)
    SELECT coalesce((SELECT id FROM search_pending
                     WHERE id BETWEEN NEW.ticket_id * 16777216 AND NEW.ticket_id * 16777216 + 16777215
                     ORDER BY id DESC LIMIT 1),
                    (SELECT rowid FROM ticket_search
                     WHERE rowid BETWEEN NEW.ticket_id * 16777216 AND NEW.ticket_id * 16777216 + 16777215
                     ORDER BY rowid DESC LIMIT 1),
                    NEW.ticket_id * 16777216) + 1,
        CASE WHEN NEW.kind = 'note' THEN NULL ELSE NEW.body END,
        CASE WHEN NEW.kind = 'note' THEN NEW.body END
    WHERE NOT EXISTS (SELECT 1 FROM ticket_spam WHERE ticket_id = NEW.ticket_id);
END;

CREATE TRIGGER message_search_delete AFTER DELETE ON messages BEGIN
    DELETE FROM ticket_search WHERE rowid = (
        SELECT rowid FROM ticket_search
        WHERE rowid BETWEEN OLD.ticket_id * 16777216 + 1 AND OLD.ticket_id * 16777216 + 16777215
            AND body IS (CASE WHEN OLD.kind = 'note' THEN NULL ELSE OLD.body END)
            AND notes IS (CASE WHEN OLD.kind = 'note' THEN OLD.body END)
        LIMIT 1)
    AND NOT EXISTS (
        SELECT 1 FROM search_pending
        WHERE id BETWEEN OLD.ticket_id * 16777216 + 1 AND OLD.ticket_id * 16777216 + 16777215
            AND body IS (CASE WHEN OLD.kind = 'note' THEN NULL ELSE OLD.body END)
            AND notes IS (CASE WHEN OLD.kind = 'note' THEN OLD.body END));
    DELETE FROM search_pending WHERE id = (
        SELECT id FROM search_pending
        WHERE id BETWEEN OLD.ticket_id * 16777216 + 1 AND OLD.ticket_id * 16777216 + 16777215
            AND body IS (CASE WHEN OLD.kind = 'note' THEN NULL ELSE OLD.body END)
            AND notes IS (CASE WHEN OLD.kind = 'note' THEN OLD.body END)
        LIMIT 1);
END;
