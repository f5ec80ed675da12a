-- The search index merges its segments in larger steps (issue 13): FTS5's
-- default automerge of 4 rewrote each feed's rows several times over as
-- feeds were recorded one transaction each.
INSERT INTO items_search (items_search, rank) VALUES ('automerge', 16);
