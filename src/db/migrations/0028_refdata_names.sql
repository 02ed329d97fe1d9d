-- Reference data in both languages (issue: UX). `name` stays the English name, the one the API,
-- the audit log and the rules speak of; `name_es` is the Spanish one, empty when the admin left
-- it out, and pages in Spanish then show the English name.
ALTER TABLE statuses ADD COLUMN name_es TEXT NOT NULL DEFAULT '';
ALTER TABLE priorities ADD COLUMN name_es TEXT NOT NULL DEFAULT '';
ALTER TABLE categories ADD COLUMN name_es TEXT NOT NULL DEFAULT '';
ALTER TABLE kb_categories ADD COLUMN name_es TEXT NOT NULL DEFAULT '';

-- The built-in rows get their Spanish names (the catalog's `status_*` and `priority_*` words,
-- which pages showed for them until now) unless an admin renamed them: a custom name was shown
-- as typed in both languages, and still is.
UPDATE statuses SET name_es = CASE slug
        WHEN 'new' THEN 'Nuevo'
        WHEN 'in_progress' THEN 'En curso'
        WHEN 'waiting' THEN 'Esperando al solicitante'
        WHEN 'on_hold' THEN 'En pausa'
        WHEN 'resolved' THEN 'Resuelto'
        WHEN 'closed' THEN 'Cerrado'
    END
    WHERE (slug, name) IN (VALUES ('new', 'New'), ('in_progress', 'In progress'),
        ('waiting', 'Waiting on requester'), ('on_hold', 'On hold'), ('resolved', 'Resolved'),
        ('closed', 'Closed'));
UPDATE priorities SET name_es = CASE slug
        WHEN 'low' THEN 'Baja'
        WHEN 'medium' THEN 'Media'
        WHEN 'high' THEN 'Alta'
        WHEN 'critical' THEN 'Crítica'
    END
    WHERE (slug, name) IN (VALUES ('low', 'Low'), ('medium', 'Medium'), ('high', 'High'),
        ('critical', 'Critical'));
-- The categories a new desk starts with, under the names it gave them.
UPDATE categories SET name_es = CASE name
        WHEN 'General' THEN 'General'
        WHEN 'Hardware' THEN 'Equipos'
        WHEN 'Network & Wi-Fi' THEN 'Red y wifi'
        WHEN 'Accounts & access' THEN 'Cuentas y accesos'
        WHEN 'Software' THEN 'Programas'
    END
    WHERE name IN ('General', 'Hardware', 'Network & Wi-Fi', 'Accounts & access', 'Software');

-- A history entry of a field change keeps the ids of the old and new value beside their names
-- as they were then, so pages show each in the viewer's language (and under its current name).
-- Older entries get the ids of the rows that carry those names now; an entry whose name no row
-- carries any more (renamed since) keeps showing the name it has.
ALTER TABLE ticket_events ADD COLUMN old_id INTEGER;
ALTER TABLE ticket_events ADD COLUMN new_id INTEGER;
UPDATE ticket_events SET
    old_id = (SELECT id FROM statuses s WHERE s.name = ticket_events.old_value ORDER BY id LIMIT 1),
    new_id = (SELECT id FROM statuses s WHERE s.name = ticket_events.new_value ORDER BY id LIMIT 1)
    WHERE field = 'status';
UPDATE ticket_events SET
    old_id = (SELECT id FROM priorities p WHERE p.name = ticket_events.old_value ORDER BY id LIMIT 1),
    new_id = (SELECT id FROM priorities p WHERE p.name = ticket_events.new_value ORDER BY id LIMIT 1)
    WHERE field = 'priority';
UPDATE ticket_events SET
    old_id = (SELECT id FROM categories c WHERE c.name = ticket_events.old_value),
    new_id = (SELECT id FROM categories c WHERE c.name = ticket_events.new_value)
    WHERE field = 'category';
