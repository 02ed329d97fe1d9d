-- Version 39 (issue 18): the ticket search index holds one row per message instead of one
-- concatenated document per ticket, so a new message is one FTS5 INSERT (appending to the
-- ticket's document was an FTS5 UPDATE: the whole ticket's text deleted and indexed again, most
-- of the cost of a submission or a reply).
--
-- Rows of ticket T have rowids T * 2^24 + n: n = 0 is the ticket's own row (subject, requester,
-- custom fields), n >= 1 one message each (`body` for what the requester sees, `notes` for
-- internal notes). The ticket id is `rowid >> 24`, with no lookup, and a ticket's rows are one
-- rowid range, which FTS5 reads directly. A search for several words matches a ticket when
-- every word is in one of its rows (`search::TicketQuery`), as it was in the one document.
-- Spam tickets have no rows, as before.
DROP TRIGGER ticket_search_insert;
DROP TRIGGER ticket_search_subject;
DROP TRIGGER ticket_search_delete;
DROP TRIGGER message_search_insert;
DROP TRIGGER message_search_update;
DROP TRIGGER message_search_delete;
DROP TABLE ticket_search;

CREATE VIRTUAL TABLE ticket_search USING fts5(
    subject, body, notes, requester, fields,
    tokenize = 'unicode61 remove_diacritics 2',
    prefix = '2 3'
);

CREATE TRIGGER ticket_search_insert AFTER INSERT ON tickets BEGIN
    INSERT INTO ticket_search (rowid, subject, requester)
    VALUES (NEW.id * 16777216, NEW.subject, NEW.requester_name || ' ' || NEW.requester_email);
END;

CREATE TRIGGER ticket_search_subject AFTER UPDATE OF subject, requester_name, requester_email ON tickets BEGIN
    UPDATE ticket_search SET subject = NEW.subject, requester = NEW.requester_name || ' ' || NEW.requester_email
    WHERE rowid = NEW.id * 16777216;
END;

CREATE TRIGGER ticket_search_delete AFTER DELETE ON tickets BEGIN
    DELETE FROM ticket_search
    WHERE rowid BETWEEN OLD.id * 16777216 AND OLD.id * 16777216 + 16777215;
END;

-- A message is the next row of its ticket (after the last one there), unless the ticket is spam.
CREATE TRIGGER message_search_insert AFTER INSERT ON messages
WHEN NOT EXISTS (SELECT 1 FROM ticket_spam WHERE ticket_id = NEW.ticket_id) BEGIN
    INSERT INTO ticket_search (rowid, body, notes) VALUES (
        coalesce((SELECT rowid FROM ticket_search
                  WHERE rowid BETWEEN NEW.ticket_id * 16777216 AND NEW.ticket_id * 16777216 + 16777215
                  ORDER BY rowid DESC LIMIT 1), NEW.ticket_id * 16777216) + 1,
        CASE WHEN NEW.kind = 'note' THEN NULL ELSE NEW.body END,
        CASE WHEN NEW.kind = 'note' THEN NEW.body END);
END;

-- An edited, moved (merge) or deleted message: its row is the one of its ticket holding the same
-- text in the same column (two messages with the same text index the same words, so either
-- row will do).
CREATE TRIGGER message_search_update AFTER UPDATE OF body, kind, ticket_id ON messages BEGIN
    DELETE FROM ticket_search WHERE rowid = (
        SELECT rowid FROM ticket_search
        WHERE rowid BETWEEN OLD.ticket_id * 16777216 + 1 AND OLD.ticket_id * 16777216 + 16777215
            AND body IS (CASE WHEN OLD.kind = 'note' THEN NULL ELSE OLD.body END)
            AND notes IS (CASE WHEN OLD.kind = 'note' THEN OLD.body END)
        LIMIT 1);
    INSERT INTO ticket_search (rowid, body, notes)
    SELECT coalesce((SELECT rowid FROM ticket_search
                     WHERE rowid BETWEEN NEW.ticket_id * 16777216 AND NEW.ticket_id * 16777216 + 16777215
                     ORDER BY rowid DESC LIMIT 1), NEW.ticket_id * 16777216) + 1,
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
        LIMIT 1);
END;

-- Existing tickets, in rowid order (FTS5 starts a new segment whenever a rowid goes down).
INSERT INTO ticket_search (rowid, subject, body, notes, requester, fields)
SELECT rowid, subject, body, notes, requester, fields FROM (
    SELECT t.id * 16777216 AS rowid, t.subject AS subject, NULL AS body, NULL AS notes,
        t.requester_name || ' ' || t.requester_email AS requester,
        (SELECT group_concat(v.value, char(10)) FROM ticket_field_values v
         JOIN fields f ON f.id = v.field_id
         WHERE v.ticket_id = t.id AND f.kind != 'checkbox') AS fields
    FROM tickets t
    WHERE t.id NOT IN (SELECT ticket_id FROM ticket_spam)
    UNION ALL
    SELECT m.ticket_id * 16777216 + row_number() OVER (PARTITION BY m.ticket_id ORDER BY m.id),
        NULL,
        CASE WHEN m.kind = 'note' THEN NULL ELSE m.body END,
        CASE WHEN m.kind = 'note' THEN m.body END,
        NULL, NULL
    FROM messages m
    WHERE m.ticket_id NOT IN (SELECT ticket_id FROM ticket_spam)
)
ORDER BY rowid;
INSERT INTO ticket_search (ticket_search) VALUES ('optimize');
