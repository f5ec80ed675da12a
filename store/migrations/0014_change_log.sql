-- What every deduplicator keeps in memory, as a sequence of changes
-- (issue 11): several processes write to one database (`serve` and a cron
-- `fetch`), each with its own in-memory index of recent items and learned
-- boilerplate. Inside each write transaction, before it matches anything, a
-- deduplicator reads the changes committed after the last position it saw
-- (one range read of this table's primary key) and applies them: items
-- others stored, signatures others replaced, items others deleted,
-- sentences others learned, feeds renamed or deleted. Write transactions
-- are serialised (BEGIN IMMEDIATE), so positions are taken in commit order.
--
-- Triggers write the log, so no statement that changes those tables can
-- forget to. kind: 1 signed (an item's signature inserted), 2 resigned
-- (replaced), 3 unsigned (deleted), 4 learned (feed_id, hash), 5 feed
-- renamed (feed_id; name is the old name), 6 feed deleted (name is its
-- name). at is when the change was logged (unix seconds, the clock of the
-- process that wrote it): retention trims entries older than a day, and a
-- deduplicator that last looked before the trimmed ones loads everything
-- again (meta 'change_log_floor' is the last trimmed position).
CREATE TABLE change_log (
    seq     INTEGER PRIMARY KEY AUTOINCREMENT,
    kind    INTEGER NOT NULL,
    day     INTEGER NOT NULL DEFAULT 0,
    item_id INTEGER NOT NULL DEFAULT 0,
    feed_id INTEGER NOT NULL DEFAULT 0,
    hash    INTEGER NOT NULL DEFAULT 0,
    name    TEXT    NOT NULL DEFAULT '',
    at      INTEGER NOT NULL
);

CREATE TRIGGER change_log_signed AFTER INSERT ON item_signatures BEGIN
    INSERT INTO change_log (kind, day, item_id, at) VALUES (1, new.day, new.item_id, unixepoch());
END;

CREATE TRIGGER change_log_resigned AFTER UPDATE OF signature ON item_signatures BEGIN
    INSERT INTO change_log (kind, day, item_id, at) VALUES (2, new.day, new.item_id, unixepoch());
END;

CREATE TRIGGER change_log_unsigned AFTER DELETE ON item_signatures BEGIN
    INSERT INTO change_log (kind, day, item_id, at) VALUES (3, old.day, old.item_id, unixepoch());
END;

CREATE TRIGGER change_log_learned AFTER INSERT ON dedupe_boilerplate BEGIN
    INSERT INTO change_log (kind, feed_id, hash, at) VALUES (4, new.feed_id, new.hash, unixepoch());
END;

CREATE TRIGGER change_log_feed_renamed AFTER UPDATE OF name ON feeds WHEN old.name != new.name BEGIN
    INSERT INTO change_log (kind, feed_id, name, at) VALUES (5, new.id, old.name, unixepoch());
END;

CREATE TRIGGER change_log_feed_deleted AFTER DELETE ON feeds BEGIN
    INSERT INTO change_log (kind, feed_id, name, at) VALUES (6, old.id, old.name, unixepoch());
END;

-- Nothing before this migration is in the log: a deduplicator that has not
-- loaded its state since (position 0) loads it whole.
INSERT INTO sqlite_sequence (name, seq) VALUES ('change_log', 1);
INSERT INTO meta (key, value) VALUES ('change_log_floor', 1);
