-- The staff list that fits (issue 15): each status's pill colour, and the list columns each
-- staff member hid.
--
-- `color` names one colour of the fixed palette in `tickets::statuses::COLORS` (each has a light
-- and a dark variant in static/app.css, both readable); an admin picks it in Admin > Statuses.
-- New statuses start grey; the built-in ones get the colours the pages showed them in so far.
ALTER TABLE statuses ADD COLUMN color TEXT NOT NULL DEFAULT 'gray';
UPDATE statuses SET color = CASE slug
        WHEN 'new' THEN 'blue'
        WHEN 'in_progress' THEN 'purple'
        WHEN 'waiting' THEN 'amber'
        WHEN 'on_hold' THEN 'teal'
        WHEN 'resolved' THEN 'green'
        WHEN 'closed' THEN 'gray'
    END
    WHERE slug IN ('new', 'in_progress', 'waiting', 'on_hold', 'resolved', 'closed');

-- The ticket list's columns this member hid (names from `tickets::list_columns`, comma
-- separated); empty: every column shows.
ALTER TABLE staff ADD COLUMN list_hidden_columns TEXT NOT NULL DEFAULT '';
