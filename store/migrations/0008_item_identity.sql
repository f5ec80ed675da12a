-- Item identity, document warnings and suspicious validators (issue 10).

-- items.guid is an item's key within its feed (UNIQUE with feed_id): for
-- nearly every item the GUID exactly as the source gave it. When entries of
-- one document share a GUID but neither link nor body, each of them is
-- keyed by its GUID and link, and source_guid keeps the GUID as given; it
-- is '' whenever guid is the GUID itself. Readers show
-- coalesce(nullif(source_guid, ''), guid).
ALTER TABLE items ADD COLUMN source_guid TEXT NOT NULL DEFAULT '';

-- Problems with the last document that was read all the same (cut short
-- and repaired, GUIDs shared by different items, a redirect to plain
-- http...), one per line; '' when it was sound.
ALTER TABLE feeds ADD COLUMN last_warning TEXT NOT NULL DEFAULT '';

-- Consecutive 304 answers to a conditional GET whose Last-Modified was
-- suspicious (later than the server's own Date); at a bound the feed is
-- fetched unconditionally.
ALTER TABLE feeds ADD COLUMN suspect_not_modified INTEGER NOT NULL DEFAULT 0;
