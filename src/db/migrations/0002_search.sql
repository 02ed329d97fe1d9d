-- Version 2: full-text search over tickets.
--
-- One document per ticket (rowid = tickets.id): its subject, the text of every message the
-- requester can see (`body`) and the internal notes (`notes`), kept apart so searches made for
-- employees can leave the notes out with a column filter. One document per ticket lets a search
-- for "printer offline" find a ticket whose subject says "printer" and whose reply says
-- "offline". `remove_diacritics 2` folds accents both ways ("impresion" = "impresión").
-- `requester` holds the requester's name and email, so one index answers every text search.
CREATE VIRTUAL TABLE ticket_search USING fts5(
    subject, body, notes, requester,
    tokenize = 'unicode61 remove_diacritics 2',
    -- Prefix indexes: "wi"* or "imp"* read one list instead of every word that starts so.
    prefix = '2 3'
);

CREATE TRIGGER ticket_search_insert AFTER INSERT ON tickets BEGIN
    INSERT INTO ticket_search (rowid, subject, body, notes, requester)
    VALUES (NEW.id, NEW.subject, '', '', NEW.requester_name || ' ' || NEW.requester_email);
END;

CREATE TRIGGER ticket_search_subject AFTER UPDATE OF subject, requester_name, requester_email ON tickets BEGIN
    UPDATE ticket_search SET subject = NEW.subject, requester = NEW.requester_name || ' ' || NEW.requester_email
    WHERE rowid = NEW.id;
END;

CREATE TRIGGER ticket_search_delete AFTER DELETE ON tickets BEGIN
    DELETE FROM ticket_search WHERE rowid = OLD.id;
END;

-- A new message is appended to its column; edits and deletions rebuild the ticket's text.
CREATE TRIGGER message_search_insert AFTER INSERT ON messages BEGIN
    UPDATE ticket_search SET
        body = CASE WHEN NEW.kind = 'note' THEN body ELSE body || char(10) || NEW.body END,
        notes = CASE WHEN NEW.kind = 'note' THEN notes || char(10) || NEW.body ELSE notes END
    WHERE rowid = NEW.ticket_id;
END;

CREATE TRIGGER message_search_update AFTER UPDATE OF body, kind, ticket_id ON messages BEGIN
    UPDATE ticket_search SET
        body = coalesce((SELECT group_concat(body, char(10)) FROM messages
                         WHERE ticket_id = ticket_search.rowid AND kind != 'note'), ''),
        notes = coalesce((SELECT group_concat(body, char(10)) FROM messages
                          WHERE ticket_id = ticket_search.rowid AND kind = 'note'), '')
    WHERE rowid IN (OLD.ticket_id, NEW.ticket_id);
END;

CREATE TRIGGER message_search_delete AFTER DELETE ON messages BEGIN
    UPDATE ticket_search SET
        body = coalesce((SELECT group_concat(body, char(10)) FROM messages
                         WHERE ticket_id = OLD.ticket_id AND kind != 'note'), ''),
        notes = coalesce((SELECT group_concat(body, char(10)) FROM messages
                          WHERE ticket_id = OLD.ticket_id AND kind = 'note'), '')
    WHERE rowid = OLD.ticket_id;
END;

-- Existing tickets.
INSERT INTO ticket_search (rowid, subject, body, notes, requester)
SELECT t.id, t.subject,
    coalesce((SELECT group_concat(m.body, char(10)) FROM messages m
              WHERE m.ticket_id = t.id AND m.kind != 'note'), ''),
    coalesce((SELECT group_concat(m.body, char(10)) FROM messages m
              WHERE m.ticket_id = t.id AND m.kind = 'note'), ''),
    t.requester_name || ' ' || t.requester_email
FROM tickets t;
