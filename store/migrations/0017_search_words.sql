-- The search index keeps which words each item has, not where (issue 13):
-- migration 0009's table kept every word's positions in three columns,
-- 2.8 KB per item (a third of the database), and cost a sixth of ingest to
-- write. Its texts are normalised before they are indexed (internal/
-- searchtext: folded, words of letters, digits and marks joined by single
-- spaces), so the ascii tokenizer, which only cuts them at the spaces,
-- reads searchtext's words exactly. One column holds the title, the summary
-- unless the title or text holds it, and the text. A search asks it for the
-- items that have all the words of a term and checks the order of the
-- words on their texts (store/search.go).
--
-- columnsize=0 would save a few bytes more per item, but FTS5 refuses it
-- with contentless_delete, which lets the trigger of 0009 delete an item's
-- row without its text. That trigger names the table and stays.
DROP TABLE items_search;

CREATE VIRTUAL TABLE items_search USING fts5(
    words,
    content = '', contentless_delete = 1,
    detail = none,
    tokenize = 'ascii'
);

INSERT INTO items_search (items_search, rank) VALUES ('automerge', 16);

-- The store fills the new table from items at the next Open.
UPDATE meta SET value = 0 WHERE key = 'search_version';
