-- Automation rules (Admin > Rules, `crate::rules`): run in `position` order when a ticket is
-- created or updated. Conditions and actions are JSON lists of `rules::Condition` and
-- `rules::Action` (serde enums), so a new kind of either needs no schema change.
CREATE TABLE rules (
    id          INTEGER PRIMARY KEY,
    name        TEXT NOT NULL,
    active      INTEGER NOT NULL DEFAULT 1,
    position    INTEGER NOT NULL,
    event       TEXT NOT NULL CHECK (event IN ('created', 'updated')),
    by_whom     TEXT NOT NULL CHECK (by_whom IN ('requester', 'staff', 'any')),
    match_mode  TEXT NOT NULL CHECK (match_mode IN ('all', 'any')),
    conditions  TEXT NOT NULL DEFAULT '[]' CHECK (json_valid(conditions)),
    actions     TEXT NOT NULL DEFAULT '[]' CHECK (json_valid(actions)),
    created_at  INTEGER NOT NULL,
    updated_at  INTEGER NOT NULL,
    -- The last action the rule could not carry out (say, assigning to a deactivated agent):
    -- skipped so the ticket's change still happens, and shown on Admin > Rules.
    last_error        TEXT,
    last_error_action TEXT,
    last_error_ticket INTEGER,
    last_error_at     INTEGER
);
CREATE INDEX rules_position ON rules(position, id);

-- Moves to a new random value whenever a rule's definition changes, from any process, so the
-- rules kept in memory for ticket changes are reloaded only then (`rules::active`). Random
-- rather than counted: a backup restored over the file (or another file at the same path)
-- cannot show a number already seen with other rules. Zero, the start, is the empty list.
CREATE TABLE rules_revision (
    id    INTEGER PRIMARY KEY CHECK (id = 1),
    value INTEGER NOT NULL
);
INSERT INTO rules_revision (id, value) VALUES (1, 0);

CREATE TRIGGER rules_revision_insert AFTER INSERT ON rules BEGIN
    UPDATE rules_revision SET value = random() WHERE id = 1;
END;
CREATE TRIGGER rules_revision_update
    AFTER UPDATE OF name, active, position, event, by_whom, match_mode, conditions, actions ON rules
BEGIN
    UPDATE rules_revision SET value = random() WHERE id = 1;
END;
CREATE TRIGGER rules_revision_delete AFTER DELETE ON rules BEGIN
    UPDATE rules_revision SET value = random() WHERE id = 1;
END;
