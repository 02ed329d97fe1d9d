-- Auto-assignment per category (off, round_robin, least_open), the round robin's place, and
-- agents marking themselves away (until a time, or until they come back).
ALTER TABLE categories ADD COLUMN assignment TEXT NOT NULL DEFAULT 'off';
ALTER TABLE categories ADD COLUMN last_assigned_id INTEGER;
ALTER TABLE staff ADD COLUMN away INTEGER NOT NULL DEFAULT 0;
ALTER TABLE staff ADD COLUMN away_until INTEGER;
