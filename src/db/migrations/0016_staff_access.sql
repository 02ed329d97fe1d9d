-- Per-category access: a staff member works every category (the default, and always for
-- admins) or only the categories listed in staff_categories.
ALTER TABLE staff ADD COLUMN all_categories INTEGER NOT NULL DEFAULT 1;
CREATE TABLE staff_categories (
    staff_id    INTEGER NOT NULL REFERENCES staff(id) ON DELETE CASCADE,
    category_id INTEGER NOT NULL REFERENCES categories(id) ON DELETE CASCADE,
    PRIMARY KEY (staff_id, category_id)
) WITHOUT ROWID;
CREATE INDEX staff_categories_category ON staff_categories(category_id);
