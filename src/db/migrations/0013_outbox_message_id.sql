-- Version 12: an emailed reply is trusted when it answers a mail the desk sent, found by the
-- Message-ID it names (src/mail/incoming.rs).

CREATE INDEX outbox_message_id ON outbox(message_id);
