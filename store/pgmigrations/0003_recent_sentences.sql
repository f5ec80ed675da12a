-- Boilerplate statistics over each feed's most recent items only (issue
-- 13): the SQLite migration 0016 (store/migrations/0016_recent_sentences.sql)
-- in PostgreSQL's terms.
CREATE TABLE item_sentences_recent (
    feed_id BIGINT NOT NULL,
    item_id BIGINT NOT NULL,
    hashes  BYTEA  NOT NULL,
    PRIMARY KEY (feed_id, item_id)
);

INSERT INTO item_sentences_recent (feed_id, item_id, hashes)
    SELECT feed_id, item_id, hashes
    FROM (SELECT feed_id, item_id, hashes, row_number() OVER (PARTITION BY feed_id ORDER BY item_id DESC) AS k
          FROM item_sentences) r
    WHERE r.k <= 64;

DROP TRIGGER item_sentences_deleted ON items;
DROP TABLE item_sentences;
DROP TABLE dedupe_sentence_counts;
ALTER TABLE item_sentences_recent RENAME TO item_sentences;

CREATE OR REPLACE FUNCTION item_sentences_deleted() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    DELETE FROM item_sentences s USING old_items o
        WHERE s.feed_id = o.feed_id AND s.item_id = o.id;
    RETURN NULL;
END $$;

CREATE TRIGGER item_sentences_deleted AFTER DELETE ON items
    REFERENCING OLD TABLE AS old_items FOR EACH STATEMENT EXECUTE FUNCTION item_sentences_deleted();
