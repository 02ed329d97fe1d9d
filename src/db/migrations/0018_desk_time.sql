-- The desk's time: business hours per weekday and holidays, in the desk's zone (the settings
-- key `timezone`, UTC while unset), and each staff member's own zone (empty = the desk's).

ALTER TABLE staff ADD COLUMN timezone TEXT NOT NULL DEFAULT '';

-- The openings of each weekday (1 = Monday ... 7 = Sunday) in minutes after local midnight; an
-- end of 1440 is the midnight that ends the day. A weekday without rows is closed.
CREATE TABLE business_hours (
    id        INTEGER PRIMARY KEY,
    weekday   INTEGER NOT NULL CHECK (weekday BETWEEN 1 AND 7),
    start_min INTEGER NOT NULL CHECK (start_min >= 0 AND start_min < 1440),
    end_min   INTEGER NOT NULL CHECK (end_min > start_min AND end_min <= 1440)
);
CREATE INDEX business_hours_weekday ON business_hours(weekday, start_min);

-- Monday to Friday, 09:00-17:00, until an admin sets the desk's own hours.
INSERT INTO business_hours (weekday, start_min, end_min) VALUES
    (1, 540, 1020), (2, 540, 1020), (3, 540, 1020), (4, 540, 1020), (5, 540, 1020);

-- Days the desk is closed, as local dates `YYYY-MM-DD`.
CREATE TABLE holidays (
    day  TEXT PRIMARY KEY,
    name TEXT NOT NULL
) WITHOUT ROWID;
