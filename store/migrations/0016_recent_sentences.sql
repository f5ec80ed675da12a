-- Boilerplate statistics over each feed's most recent items only (issue 13).
-- A sentence is learned as a feed's boilerplate when it recurs in
-- BoilerplateStories of the feed's last N items that recorded sentences
-- (N = wirefeed.SentenceWindow; 64 by default). Counting every stored item
-- (migration 0015: dedupe_sentence_counts, one row per feed and sentence
-- over all history, 23.4M rows at a million items) made each new item's
-- writes land on pages spread over a table that grew with history. Now
-- item_sentences holds the lists of each feed's last N items only, keyed by
-- (feed_id, item_id) so that a feed's rows are one short range, and a
-- transaction derives the counts from them in memory: there is no counts
-- table to keep in step. hashes is 8 bytes per hash, big-endian, or, for
-- items stored before migration 0015, comma-separated decimal TEXT.
--
-- The upgrade keeps the newest 64 lists of each feed (the default N; a
-- store configured for more fills its window as new items come).
CREATE TABLE item_sentences_recent (
    feed_id INTEGER NOT NULL,
    item_id INTEGER NOT NULL,
    hashes  BLOB    NOT NULL,
    PRIMARY KEY (feed_id, item_id)
) WITHOUT ROWID;

INSERT INTO item_sentences_recent (feed_id, item_id, hashes)
    SELECT s.feed_id, s.item_id, s.hashes
    FROM (SELECT day, item_id, row_number() OVER (PARTITION BY feed_id ORDER BY item_id DESC) AS k
          FROM item_sentences) r
    JOIN item_sentences s ON s.day = r.day AND s.item_id = r.item_id
    WHERE r.k <= 64;

DROP TRIGGER item_sentences_delete;
DROP TABLE item_sentences;
DROP TABLE dedupe_sentence_counts;
ALTER TABLE item_sentences_recent RENAME TO item_sentences;

-- An item's list goes with it (retention, a feed's removal): its feed's
-- counts then no longer include it.
CREATE TRIGGER item_sentences_delete AFTER DELETE ON items BEGIN
    DELETE FROM item_sentences WHERE feed_id = old.feed_id AND item_id = old.id;
END;
