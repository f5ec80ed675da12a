-- Boilerplate statistics per feed, counted rather than listed (issue 13).
-- The deduplicator asks, for each sentence of a new item, in how many of
-- its feed's stored items it occurs; a sentence found in enough of them is
-- learned as the feed's boilerplate (dedupe_boilerplate). Those counts were
-- rows per item and sentence (dedupe_sentences, with an index by item for
-- deletions: 1.2 KB per item); they are now one row per feed and sentence,
-- written once per transaction, and each item keeps the list of the hashes
-- it added (item_sentences: the store packs them 8 bytes each, big-endian),
-- which retention reads to take its items off the counts before deleting
-- them. A feed's counts go with the feed.
CREATE TABLE dedupe_sentence_counts (
    feed_id INTEGER NOT NULL REFERENCES feeds (id) ON DELETE CASCADE,
    hash    INTEGER NOT NULL,
    items   INTEGER NOT NULL,   -- stored items of the feed that carry it
    PRIMARY KEY (feed_id, hash)
) WITHOUT ROWID;

-- By the UTC day the item was first seen, like item_signatures: retention
-- reads the days it deletes. hashes is a BLOB written by the store, or, for
-- items stored before this migration, their hashes as comma-separated
-- decimal TEXT.
CREATE TABLE item_sentences (
    day        INTEGER NOT NULL,
    item_id    INTEGER NOT NULL,
    first_seen INTEGER NOT NULL,
    feed_id    INTEGER NOT NULL,
    hashes     BLOB    NOT NULL,
    PRIMARY KEY (day, item_id)
) WITHOUT ROWID;

CREATE TRIGGER item_sentences_delete AFTER DELETE ON items BEGIN
    DELETE FROM item_sentences WHERE day = old.first_seen / 86400 AND item_id = old.id;
END;

INSERT INTO dedupe_sentence_counts (feed_id, hash, items)
    SELECT feed_id, hash, count(*) FROM dedupe_sentences GROUP BY feed_id, hash;

INSERT INTO item_sentences (day, item_id, first_seen, feed_id, hashes)
    SELECT i.first_seen / 86400, s.item_id, i.first_seen, s.feed_id, group_concat(s.hash)
    FROM dedupe_sentences s JOIN items i ON i.id = s.item_id
    GROUP BY s.item_id;

DROP TABLE dedupe_sentences;
