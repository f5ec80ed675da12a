-- The search index merges a little after every write instead of a whole
-- level at once (issue 13). With automerge equal to crisismerge (16 and
-- FTS5's default 16, since 0011), every merge was a crisis merge: the
-- transaction that wrote a level's sixteenth segment merged all sixteen
-- before it committed, however large they were. With a million items that
-- held the writer for up to 9.7 s (a fetch cycle or /readyz waited) and was
-- most of what ingesting into a large database cost beyond an empty one.
-- Now a level's segments are merged eight at a time, in steps proportional
-- to what each transaction writes (FTS5's incremental automerge), and a
-- crisis merge happens only if a level reaches 64 segments, which the steps
-- keep it from. A search reads at most about eight segments per level
-- instead of fifteen.
INSERT INTO items_search (items_search, rank) VALUES ('automerge', 8);
INSERT INTO items_search (items_search, rank) VALUES ('crisismerge', 64);
