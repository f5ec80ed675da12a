-- The merged feed lists stories newest first by the time wirefeed first
-- saw them (see Store.Stories); pages are keyset-paginated on this order.
CREATE INDEX clusters_first_seen ON clusters (first_seen DESC, id DESC);
