-- A counter that moves whenever anything a ticket's pages show changes: its row, its messages,
-- attachments or history. Rendered ticket pages are kept while it stays the same. Triggers keep
-- it, so writes from any process (the server, `mail pipe`, a future tool) move it too.
ALTER TABLE tickets ADD COLUMN revision INTEGER NOT NULL DEFAULT 0;

-- Only when the statement itself left revision alone; the inner UPDATE changes it, so it does
-- not fire this trigger again.
CREATE TRIGGER ticket_revision_row AFTER UPDATE ON tickets
WHEN NEW.revision = OLD.revision BEGIN
    UPDATE tickets SET revision = OLD.revision + 1 WHERE id = NEW.id;
END;

CREATE TRIGGER ticket_revision_message_insert AFTER INSERT ON messages BEGIN
    UPDATE tickets SET revision = revision + 1 WHERE id = NEW.ticket_id;
END;
CREATE TRIGGER ticket_revision_message_update AFTER UPDATE ON messages BEGIN
    UPDATE tickets SET revision = revision + 1 WHERE id IN (OLD.ticket_id, NEW.ticket_id);
END;
CREATE TRIGGER ticket_revision_message_delete AFTER DELETE ON messages BEGIN
    UPDATE tickets SET revision = revision + 1 WHERE id = OLD.ticket_id;
END;

CREATE TRIGGER ticket_revision_attachment_insert AFTER INSERT ON attachments BEGIN
    UPDATE tickets SET revision = revision + 1 WHERE id = NEW.ticket_id;
END;
CREATE TRIGGER ticket_revision_attachment_update AFTER UPDATE ON attachments BEGIN
    UPDATE tickets SET revision = revision + 1 WHERE id IN (OLD.ticket_id, NEW.ticket_id);
END;
CREATE TRIGGER ticket_revision_attachment_delete AFTER DELETE ON attachments BEGIN
    UPDATE tickets SET revision = revision + 1 WHERE id = OLD.ticket_id;
END;

CREATE TRIGGER ticket_revision_event_insert AFTER INSERT ON ticket_events BEGIN
    UPDATE tickets SET revision = revision + 1 WHERE id = NEW.ticket_id;
END;
CREATE TRIGGER ticket_revision_event_update AFTER UPDATE ON ticket_events BEGIN
    UPDATE tickets SET revision = revision + 1 WHERE id IN (OLD.ticket_id, NEW.ticket_id);
END;
CREATE TRIGGER ticket_revision_event_delete AFTER DELETE ON ticket_events BEGIN
    UPDATE tickets SET revision = revision + 1 WHERE id = OLD.ticket_id;
END;
