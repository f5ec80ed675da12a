-- Feed health and politeness (issue 4).

-- Why next_due is set ('backoff', 'retry-after', 'cache' or ''), so an
-- operator, and `wirefeed fetch`, can say why a feed is not fetched now.
ALTER TABLE feeds ADD COLUMN next_due_reason TEXT NOT NULL DEFAULT '';

-- The feed's own minimum interval in seconds (RSS <ttl>), remembered across
-- 304 answers, which carry no body to read it from.
ALTER TABLE feeds ADD COLUMN min_interval INTEGER NOT NULL DEFAULT 0;

-- Hosts that answered 429 or 503 with Retry-After: no feed on them is
-- fetched before `until` (unix seconds, UTC), by this process or the next
-- `wirefeed fetch` run.
CREATE TABLE host_pauses (
    host   TEXT    PRIMARY KEY,   -- lower-case host[:port]
    until  INTEGER NOT NULL,
    reason TEXT    NOT NULL DEFAULT ''
) WITHOUT ROWID;
