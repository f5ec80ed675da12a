package feedout

// CacheBytes returns the bytes held by cached renderings, both encodings
// of each, for the daemon's metrics.
func (h *Handler) CacheBytes() int64 {
	h.cacheMu.RLock()
	defer h.cacheMu.RUnlock()
	var n int64
	for _, rd := range h.cache {
		n += int64(len(rd.identity.body) + len(rd.gzip.body))
	}
	return n
}
