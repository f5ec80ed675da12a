-- Feeds as configured, with what is remembered between fetches.
CREATE TABLE feeds (
    id                 INTEGER PRIMARY KEY,
    name               TEXT    NOT NULL UNIQUE,
    config_url         TEXT    NOT NULL,         -- URL the config gave
    url                TEXT    NOT NULL,         -- URL fetched now (follows 301/308)
    title              TEXT    NOT NULL DEFAULT '',
    etag               TEXT    NOT NULL DEFAULT '',
    last_modified      TEXT    NOT NULL DEFAULT '',
    body_hash          TEXT    NOT NULL DEFAULT '',
    last_status        INTEGER NOT NULL DEFAULT 0,
    last_attempt       INTEGER NOT NULL DEFAULT 0, -- unix seconds, UTC; 0 = never
    last_success       INTEGER NOT NULL DEFAULT 0,
    consecutive_errors INTEGER NOT NULL DEFAULT 0,
    last_error         TEXT    NOT NULL DEFAULT '',
    next_due           INTEGER NOT NULL DEFAULT 0,
    gone               INTEGER NOT NULL DEFAULT 0
);

-- A story: items that carry the same copy. id never changes once given.
CREATE TABLE clusters (
    id          TEXT    PRIMARY KEY,
    first_seen  INTEGER NOT NULL,              -- when wirefeed first saw any member
    published   INTEGER NOT NULL,              -- earliest member's published date
    updated     INTEGER NOT NULL,              -- last change of membership or representative
    rep_item_id INTEGER                        -- representative member (items.id)
) WITHOUT ROWID;

CREATE INDEX clusters_published ON clusters (published DESC, id DESC);

CREATE TABLE items (
    id           INTEGER PRIMARY KEY,
    feed_id      INTEGER NOT NULL REFERENCES feeds (id) ON DELETE CASCADE,
    guid         TEXT    NOT NULL,
    url          TEXT    NOT NULL DEFAULT '',
    title        TEXT    NOT NULL DEFAULT '',
    summary      TEXT    NOT NULL DEFAULT '',
    text         TEXT    NOT NULL DEFAULT '',
    content_html TEXT    NOT NULL DEFAULT '',
    published    INTEGER NOT NULL,
    updated      INTEGER NOT NULL,
    first_seen   INTEGER NOT NULL,
    authors      TEXT    NOT NULL DEFAULT '[]',   -- JSON array of strings
    categories   TEXT    NOT NULL DEFAULT '[]',   -- JSON array of strings
    body_hash    INTEGER NOT NULL DEFAULT 0,      -- normalised body hash; 0 = not an identity key
    signature    BLOB,                            -- deduplicator's data, opaque to the store
    cluster_id   TEXT    NOT NULL REFERENCES clusters (id),
    UNIQUE (feed_id, guid)
);

CREATE INDEX items_url ON items (url) WHERE url != '';
CREATE INDEX items_body_hash ON items (body_hash) WHERE body_hash != 0;
CREATE INDEX items_cluster ON items (cluster_id);
CREATE INDEX items_first_seen ON items (first_seen);

-- Counters; 'generation' grows with every change a reader of the merged
-- feed could see, so renderings are cached until it moves.
CREATE TABLE meta (
    key   TEXT PRIMARY KEY,
    value INTEGER NOT NULL
) WITHOUT ROWID;

INSERT INTO meta (key, value) VALUES ('generation', 0);
