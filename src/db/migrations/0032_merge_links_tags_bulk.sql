-- Merge, links, tags and bulk actions (issue 16 items 2-5).

-- A merged ticket stays, closed, pointing at the ticket it was merged into: its tracking ID and
-- secret link lead there (the portal and the staff page redirect), and the survivor accepts the
-- merged ticket's access token. Only merged tickets have it, so the index is small.
ALTER TABLE tickets ADD COLUMN merged_into_id INTEGER REFERENCES tickets(id);
CREATE INDEX tickets_merged_into ON tickets(merged_into_id) WHERE merged_into_id IS NOT NULL;

-- Who follows a ticket besides its requester and assignee: the requesters of tickets merged
-- into it (kind 'requester'), and later staff followers and CC addresses (branch `followers`).
CREATE TABLE IF NOT EXISTS ticket_followers (
    id         INTEGER PRIMARY KEY,
    ticket_id  INTEGER NOT NULL REFERENCES tickets(id) ON DELETE CASCADE,
    staff_id   INTEGER REFERENCES staff(id) ON DELETE CASCADE,
    email      TEXT COLLATE NOCASE,
    name       TEXT NOT NULL DEFAULT '',
    kind       TEXT NOT NULL CHECK (kind IN ('staff', 'requester', 'cc')),
    created_at INTEGER NOT NULL
);
CREATE UNIQUE INDEX IF NOT EXISTS ticket_followers_email ON ticket_followers(ticket_id, email)
    WHERE email IS NOT NULL;
CREATE UNIQUE INDEX IF NOT EXISTS ticket_followers_staff ON ticket_followers(ticket_id, staff_id)
    WHERE staff_id IS NOT NULL;

-- "Related to" links, stored once per pair (lower id first) and read both ways.
CREATE TABLE ticket_links (
    low_id     INTEGER NOT NULL REFERENCES tickets(id) ON DELETE CASCADE,
    high_id    INTEGER NOT NULL REFERENCES tickets(id) ON DELETE CASCADE,
    created_at INTEGER NOT NULL,
    PRIMARY KEY (low_id, high_id),
    CHECK (low_id < high_id)
) WITHOUT ROWID;
CREATE INDEX ticket_links_high ON ticket_links(high_id, low_id);

-- Free tags: names lowercase and trimmed (`tickets::tags::normalize`).
CREATE TABLE tags (
    id         INTEGER PRIMARY KEY,
    name       TEXT NOT NULL UNIQUE,
    created_at INTEGER NOT NULL
);
-- By tag first: the list's tag filter reads one tag's tickets from the key alone.
CREATE TABLE ticket_tags (
    tag_id    INTEGER NOT NULL REFERENCES tags(id) ON DELETE CASCADE,
    ticket_id INTEGER NOT NULL REFERENCES tickets(id) ON DELETE CASCADE,
    PRIMARY KEY (tag_id, ticket_id)
) WITHOUT ROWID;
CREATE INDEX ticket_tags_ticket ON ticket_tags(ticket_id, tag_id);

-- A ticket's pages show its tags and links: their changes move its revision (kept pages), as
-- an admin renaming or deleting a tag does for every ticket that has it.
CREATE TRIGGER ticket_revision_tag_insert AFTER INSERT ON ticket_tags BEGIN
    UPDATE tickets SET revision = revision + 1 WHERE id = NEW.ticket_id;
END;
CREATE TRIGGER ticket_revision_tag_delete AFTER DELETE ON ticket_tags BEGIN
    UPDATE tickets SET revision = revision + 1 WHERE id = OLD.ticket_id;
END;
CREATE TRIGGER ticket_revision_tag_rename AFTER UPDATE OF name ON tags BEGIN
    UPDATE tickets SET revision = revision + 1
    WHERE id IN (SELECT ticket_id FROM ticket_tags WHERE tag_id = NEW.id);
END;
CREATE TRIGGER ticket_revision_link_insert AFTER INSERT ON ticket_links BEGIN
    UPDATE tickets SET revision = revision + 1 WHERE id IN (NEW.low_id, NEW.high_id);
END;
CREATE TRIGGER ticket_revision_link_delete AFTER DELETE ON ticket_links BEGIN
    UPDATE tickets SET revision = revision + 1 WHERE id IN (OLD.low_id, OLD.high_id);
END;

-- Bulk actions on "all N matching this filter", done in the background by the `bulk_actions`
-- job: the action (JSON, `tickets::bulk::BulkAction`), and one row per ticket with its outcome.
CREATE TABLE bulk_jobs (
    id          INTEGER PRIMARY KEY,
    staff_id    INTEGER NOT NULL REFERENCES staff(id) ON DELETE CASCADE,
    action      TEXT NOT NULL,
    total       INTEGER NOT NULL,
    done        INTEGER NOT NULL DEFAULT 0,
    failed      INTEGER NOT NULL DEFAULT 0,
    created_at  INTEGER NOT NULL,
    finished_at INTEGER
);
CREATE INDEX bulk_jobs_running ON bulk_jobs(id) WHERE finished_at IS NULL;
-- No foreign key on the ticket: a ticket deleted meanwhile is reported as failed, not lost.
CREATE TABLE bulk_job_items (
    job_id    INTEGER NOT NULL REFERENCES bulk_jobs(id) ON DELETE CASCADE,
    ticket_id INTEGER NOT NULL,
    state     TEXT NOT NULL DEFAULT 'pending' CHECK (state IN ('pending', 'done', 'failed')),
    error     TEXT,
    PRIMARY KEY (job_id, ticket_id)
) WITHOUT ROWID;
CREATE INDEX bulk_job_items_pending ON bulk_job_items(job_id, ticket_id) WHERE state = 'pending';
