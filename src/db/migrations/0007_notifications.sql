-- Version 7: mail in the recipient's language, staff notifications and their preferences.
-- The requester's language is the one they used when the ticket was opened; staff have their
-- own, kept from their last login or their preferences page.

ALTER TABLE tickets ADD COLUMN lang TEXT NOT NULL DEFAULT 'en';

ALTER TABLE staff ADD COLUMN lang TEXT NOT NULL DEFAULT 'en';
-- Which mails an agent wants (1 = yes): a new ticket in their categories (or any, when a
-- category has no agents), a requester's reply on their tickets, a ticket assigned to them.
ALTER TABLE staff ADD COLUMN notify_new_ticket INTEGER NOT NULL DEFAULT 1;
ALTER TABLE staff ADD COLUMN notify_requester_reply INTEGER NOT NULL DEFAULT 1;
ALTER TABLE staff ADD COLUMN notify_assigned INTEGER NOT NULL DEFAULT 1;

