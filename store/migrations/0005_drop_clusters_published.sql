-- Stories are listed by first sight since 0004; the index on their
-- published date serves no query and was only kept up to date.
DROP INDEX IF EXISTS clusters_published;
