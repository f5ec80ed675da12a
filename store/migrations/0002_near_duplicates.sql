-- Near-duplicate detection (dedupe).

-- Words of the body the deduplicator compared, after boilerplate removal;
-- 0 = the item counted as title-only. A story's root is its earliest member
-- with words > 0.
ALTER TABLE items ADD COLUMN near_words INTEGER NOT NULL DEFAULT 0;

-- Sentences of new items, per feed: a sentence found in
-- many of a feed's items is that feed's boilerplate. Rows go with their
-- item when retention deletes it.
CREATE TABLE dedupe_sentences (
    feed_id INTEGER NOT NULL,
    hash    INTEGER NOT NULL,
    item_id INTEGER NOT NULL REFERENCES items (id) ON DELETE CASCADE,
    PRIMARY KEY (feed_id, hash, item_id)
) WITHOUT ROWID;

CREATE INDEX dedupe_sentences_item ON dedupe_sentences (item_id);

-- Learned boilerplate: once learned, a sentence stays the feed's
-- boilerplate (it is loaded at start; counts above may be pruned).
CREATE TABLE dedupe_boilerplate (
    feed_id INTEGER NOT NULL REFERENCES feeds (id) ON DELETE CASCADE,
    hash    INTEGER NOT NULL,
    learned INTEGER NOT NULL,  -- unix seconds, UTC
    PRIMARY KEY (feed_id, hash)
) WITHOUT ROWID;

-- Stories merged into an older one: the alias id now means the target.
CREATE TABLE cluster_aliases (
    alias  TEXT    PRIMARY KEY,
    target TEXT    NOT NULL,
    merged INTEGER NOT NULL    -- unix seconds, UTC
) WITHOUT ROWID;

CREATE INDEX cluster_aliases_target ON cluster_aliases (target);
