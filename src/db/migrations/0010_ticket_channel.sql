-- Where each ticket came from (portal, staff, email, api, system), and what kind of party made
-- each history entry (requester, staff, email, system, rule, api): automation, reports and the
-- API tell them apart. Tickets from before were opened on the portal, by staff (they have
-- created_by_staff_id) or by mail (their first message was imported).
ALTER TABLE tickets ADD COLUMN channel TEXT NOT NULL DEFAULT 'portal';
UPDATE tickets SET channel = 'staff' WHERE created_by_staff_id IS NOT NULL;
UPDATE tickets SET channel = 'email'
    WHERE channel = 'portal' AND id IN (SELECT ticket_id FROM mail_imports WHERE outcome = 'new');

ALTER TABLE ticket_events ADD COLUMN actor_kind TEXT NOT NULL DEFAULT '';
UPDATE ticket_events SET actor_kind = CASE WHEN staff_id IS NULL THEN 'requester' ELSE 'staff' END;
