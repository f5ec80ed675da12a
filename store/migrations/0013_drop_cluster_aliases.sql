-- The ids of stories merged into older ones were kept as aliases of the
-- older (0002), but nothing read them: no request names a story by its id,
-- a merged story's entry leaves the merged feed, and the older story keeps
-- its own id (issue 14). The table was only written and pruned.
DROP INDEX IF EXISTS cluster_aliases_target;
DROP TABLE IF EXISTS cluster_aliases;
