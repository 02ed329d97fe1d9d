-- Version 3: the knowledge base. Articles have one translation per language (English, Spanish);
-- pages fall back to the other language when one is missing.

CREATE TABLE kb_categories (
    id   INTEGER PRIMARY KEY,
    name TEXT NOT NULL UNIQUE COLLATE NOCASE,
    sort INTEGER NOT NULL DEFAULT 0
);

CREATE TABLE kb_articles (
    id          INTEGER PRIMARY KEY,
    slug        TEXT NOT NULL UNIQUE,
    category_id INTEGER REFERENCES kb_categories(id) ON DELETE SET NULL,
    -- draft: being written; published: everyone; internal: staff only.
    state       TEXT NOT NULL DEFAULT 'draft' CHECK (state IN ('draft', 'published', 'internal')),
    sort        INTEGER NOT NULL DEFAULT 0,
    view_count  INTEGER NOT NULL DEFAULT 0,
    helpful_yes INTEGER NOT NULL DEFAULT 0,
    helpful_no  INTEGER NOT NULL DEFAULT 0,
    -- "This solved my problem" clicks on a suggestion shown while writing a ticket.
    deflections INTEGER NOT NULL DEFAULT 0,
    created_by  INTEGER REFERENCES staff(id),
    updated_by  INTEGER REFERENCES staff(id),
    created_at  INTEGER NOT NULL,
    updated_at  INTEGER NOT NULL
);
CREATE INDEX kb_articles_category ON kb_articles(category_id, state, sort);

CREATE TABLE kb_translations (
    id            INTEGER PRIMARY KEY,
    article_id    INTEGER NOT NULL REFERENCES kb_articles(id) ON DELETE CASCADE,
    lang          TEXT NOT NULL CHECK (lang IN ('en', 'es')),
    title         TEXT NOT NULL,
    body_markdown TEXT NOT NULL,
    UNIQUE (article_id, lang)
);

-- Search over every translation (rowid = kb_translations.id; the column names are the content
-- table's, which snippet() and 'rebuild' read). The article's state is not
-- indexed: queries join kb_articles, so publishing or hiding an article needs no reindex.
CREATE VIRTUAL TABLE kb_search USING fts5(
    title, body_markdown,
    content = 'kb_translations', content_rowid = 'id',
    tokenize = 'unicode61 remove_diacritics 2',
    prefix = '2 3'
);

CREATE TRIGGER kb_search_insert AFTER INSERT ON kb_translations BEGIN
    INSERT INTO kb_search (rowid, title, body_markdown) VALUES (NEW.id, NEW.title, NEW.body_markdown);
END;

CREATE TRIGGER kb_search_update AFTER UPDATE ON kb_translations BEGIN
    INSERT INTO kb_search (kb_search, rowid, title, body_markdown)
        VALUES ('delete', OLD.id, OLD.title, OLD.body_markdown);
    INSERT INTO kb_search (rowid, title, body_markdown) VALUES (NEW.id, NEW.title, NEW.body_markdown);
END;

CREATE TRIGGER kb_search_delete AFTER DELETE ON kb_translations BEGIN
    INSERT INTO kb_search (kb_search, rowid, title, body_markdown)
        VALUES ('delete', OLD.id, OLD.title, OLD.body_markdown);
END;
