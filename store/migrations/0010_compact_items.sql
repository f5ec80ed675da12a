-- Items that cost what they carry, and nothing that reads all of history
-- (issue 13).

-- An item's summary, text and sanitised HTML, compressed together (the
-- format is in store/body.go: a format byte, then one DEFLATE stream).
-- Rows stored before this migration keep the three in summary, text and
-- content_html and have no body; rows stored since keep '' in those
-- columns. A title-only item has neither.
ALTER TABLE items ADD COLUMN body BLOB;

-- The deduplicator's signatures, apart from the wide item rows, by the UTC
-- day the item was first seen (first_seen / 86400): start-up reads the
-- window's days and nothing else, in the order the index was built.
-- items.signature is no longer written; rows from before keep theirs until
-- retention deletes them.
CREATE TABLE item_signatures (
    day        INTEGER NOT NULL,
    item_id    INTEGER NOT NULL,
    first_seen INTEGER NOT NULL,   -- items.first_seen
    signature  BLOB    NOT NULL,
    PRIMARY KEY (day, item_id)
) WITHOUT ROWID;

INSERT INTO item_signatures (day, item_id, first_seen, signature)
    SELECT first_seen / 86400, id, first_seen, signature FROM items WHERE signature IS NOT NULL;

CREATE TRIGGER item_signatures_delete AFTER DELETE ON items BEGIN
    DELETE FROM item_signatures WHERE day = old.first_seen / 86400 AND item_id = old.id;
END;

-- Retention finds the stories of the items it deletes in this index alone.
CREATE INDEX items_first_seen_cluster ON items (first_seen, cluster_id);
DROP INDEX items_first_seen;

-- Items per feed, kept as items come and go, so that reading the feeds'
-- states (at the start of every cycle, on the status page) counts nothing.
ALTER TABLE feeds ADD COLUMN item_count INTEGER NOT NULL DEFAULT 0;
UPDATE feeds SET item_count = (SELECT count(*) FROM items WHERE items.feed_id = feeds.id);

CREATE TRIGGER items_count_insert AFTER INSERT ON items BEGIN
    UPDATE feeds SET item_count = item_count + 1 WHERE id = new.feed_id;
END;

CREATE TRIGGER items_count_delete AFTER DELETE ON items BEGIN
    UPDATE feeds SET item_count = item_count - 1 WHERE id = old.feed_id;
END;
