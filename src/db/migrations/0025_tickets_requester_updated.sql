-- The API's list by requester (`?requester=EMAIL`), newest change first, without sorting all of
-- a frequent requester's tickets (issue: REST API). `tickets_requester` keeps serving the
-- ticket page's "other tickets of this requester", newest first by creation.
CREATE INDEX tickets_requester_updated ON tickets(requester_email, updated_at);
