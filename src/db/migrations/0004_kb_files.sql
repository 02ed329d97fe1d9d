-- Version 4: files attached to knowledge-base articles (images shown in the text, other files
-- offered as downloads), and how often an article was suggested to an employee who then
-- submitted a ticket anyway (compare with `deflections`, the "this solved my problem" clicks).

ALTER TABLE kb_articles ADD COLUMN shown_count INTEGER NOT NULL DEFAULT 0;

CREATE TABLE kb_files (
    id           INTEGER PRIMARY KEY,
    article_id   INTEGER NOT NULL REFERENCES kb_articles(id) ON DELETE CASCADE,
    filename     TEXT NOT NULL,
    content_type TEXT NOT NULL,
    size         INTEGER NOT NULL,
    created_at   INTEGER NOT NULL,
    -- Last, so listing files never reads the blob's overflow pages.
    data         BLOB NOT NULL
);
CREATE INDEX kb_files_article ON kb_files(article_id, id);

-- The most viewed published articles (listed on every staff ticket page) without a sort.
CREATE INDEX kb_articles_popular ON kb_articles(state, view_count);
