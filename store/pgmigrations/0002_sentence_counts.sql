-- Boilerplate statistics as counts per feed and sentence (issue 13): the
-- SQLite migration 0015 (store/migrations/0015_sentence_counts.sql) in
-- PostgreSQL's terms. hashes is always written by the store (8 bytes per
-- hash, big-endian): no PostgreSQL database held dedupe_sentences rows
-- before this migration that were not converted here.
CREATE TABLE dedupe_sentence_counts (
    feed_id BIGINT NOT NULL REFERENCES feeds (id) ON DELETE CASCADE,
    hash    BIGINT NOT NULL,
    items   BIGINT NOT NULL,
    PRIMARY KEY (feed_id, hash)
);

CREATE TABLE item_sentences (
    day        BIGINT NOT NULL,
    item_id    BIGINT NOT NULL,
    first_seen BIGINT NOT NULL,
    feed_id    BIGINT NOT NULL,
    hashes     BYTEA  NOT NULL,
    PRIMARY KEY (day, item_id)
);

INSERT INTO dedupe_sentence_counts (feed_id, hash, items)
    SELECT feed_id, hash, count(*) FROM dedupe_sentences GROUP BY feed_id, hash;

INSERT INTO item_sentences (day, item_id, first_seen, feed_id, hashes)
    SELECT i.first_seen / 86400, s.item_id, i.first_seen, s.feed_id,
           string_agg(int8send(s.hash), ''::bytea ORDER BY s.hash)
    FROM dedupe_sentences s JOIN items i ON i.id = s.item_id
    GROUP BY s.item_id, i.first_seen, s.feed_id;

DROP TABLE dedupe_sentences;

-- An item's list goes with it (the SQLite trigger item_sentences_delete),
-- for whole statements, as items_deleted does.
CREATE FUNCTION item_sentences_deleted() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    DELETE FROM item_sentences s USING old_items o
        WHERE s.day = o.first_seen / 86400 AND s.item_id = o.id;
    RETURN NULL;
END $$;

CREATE TRIGGER item_sentences_deleted AFTER DELETE ON items
    REFERENCING OLD TABLE AS old_items FOR EACH STATEMENT EXECUTE FUNCTION item_sentences_deleted();
