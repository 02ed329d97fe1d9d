-- Custom ticket fields (issue 16, item 1). An admin defines them (Admin > Fields); each ticket
-- keeps at most one value per field. A deactivated field keeps its values: only forms stop
-- asking for it.
CREATE TABLE fields (
    id                   INTEGER PRIMARY KEY,
    -- Stable name for machines (the API's `fields` object, the CSV header's key), made from the
    -- English label when the field is created and never changed after.
    key                  TEXT NOT NULL UNIQUE,
    label                TEXT NOT NULL,
    label_es             TEXT NOT NULL DEFAULT '',
    help                 TEXT NOT NULL DEFAULT '',
    help_es              TEXT NOT NULL DEFAULT '',
    kind                 TEXT NOT NULL CHECK (kind IN
                             ('text', 'long_text', 'number', 'date', 'select', 'multi_select', 'checkbox')),
    -- Select and multi-select: the options, one per line, in order.
    options              TEXT NOT NULL DEFAULT '',
    required             INTEGER NOT NULL DEFAULT 0,
    visible_to_requester INTEGER NOT NULL DEFAULT 0,
    sort                 INTEGER NOT NULL DEFAULT 0,
    active               INTEGER NOT NULL DEFAULT 1,
    created_at           INTEGER NOT NULL
);

-- The categories a field applies to; none = every category.
CREATE TABLE field_categories (
    field_id    INTEGER NOT NULL REFERENCES fields(id) ON DELETE CASCADE,
    category_id INTEGER NOT NULL REFERENCES categories(id) ON DELETE CASCADE,
    PRIMARY KEY (field_id, category_id)
) WITHOUT ROWID;

-- A ticket's value of a field, as text: numbers as typed (checked), dates YYYY-MM-DD, a select's
-- option, a multi-select's options as a JSON array, a checkbox `true` or `false`.
CREATE TABLE ticket_field_values (
    ticket_id INTEGER NOT NULL REFERENCES tickets(id) ON DELETE CASCADE,
    field_id  INTEGER NOT NULL REFERENCES fields(id) ON DELETE CASCADE,
    value     TEXT NOT NULL,
    PRIMARY KEY (ticket_id, field_id)
) WITHOUT ROWID;
-- The staff list's filter `field_<id>=option` finds a select's tickets through this.
CREATE INDEX ticket_field_values_by_value ON ticket_field_values (field_id, value, ticket_id);

-- The ticket search index gets a column for the field values (FTS5 tables take no new column,
-- so it is made again and refilled; the triggers of migration 0002 keep naming the same
-- columns). The values are written by the ticket actions (`search::index_fields`), one update
-- per action however many values it sets.
DROP TABLE ticket_search;
CREATE VIRTUAL TABLE ticket_search USING fts5(
    subject, body, notes, requester, fields,
    tokenize = 'unicode61 remove_diacritics 2',
    prefix = '2 3'
);
INSERT INTO ticket_search (rowid, subject, body, notes, requester, fields)
SELECT t.id, t.subject,
    coalesce((SELECT group_concat(m.body, char(10)) FROM messages m
              WHERE m.ticket_id = t.id AND m.kind != 'note'), ''),
    coalesce((SELECT group_concat(m.body, char(10)) FROM messages m
              WHERE m.ticket_id = t.id AND m.kind = 'note'), ''),
    t.requester_name || ' ' || t.requester_email,
    ''
FROM tickets t;
