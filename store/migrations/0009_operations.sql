-- The operator's view (issue 12).

-- The deduplicator's rule that put each item in its story ('new', 'url',
-- 'body', 'near-duplicate', 'title', with '+merge' when the item also
-- joined two stories), shown on the status page; '' for items stored
-- before this migration.
ALTER TABLE items ADD COLUMN match_reason TEXT NOT NULL DEFAULT '';

-- Full-text search over every item's title, summary and text, as
-- internal/searchtext normalises them (Unicode case folding, accents
-- removed, unspaced scripts cut into characters). Contentless: the texts
-- live in items; rowid is items.id. The store writes a row with every
-- inserted or changed item, in the same transaction; the trigger removes
-- it with the item, whatever deletes it (retention, feeds prune, cascade).
CREATE VIRTUAL TABLE items_search USING fts5(
    title, summary, text,
    content = '', contentless_delete = 1,
    tokenize = 'unicode61 remove_diacritics 2'
);

CREATE TRIGGER items_search_delete AFTER DELETE ON items BEGIN
    DELETE FROM items_search WHERE rowid = old.id;
END;

-- Version of the normalisation the index was built with; the store
-- (re)builds the index from items when it is behind searchVersion.
INSERT INTO meta (key, value) VALUES ('search_version', 0);
