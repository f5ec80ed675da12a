package feedout

// CacheBytes returns the bytes held by cached renderings, both encodings
// of each with their keys, for the daemon's metrics; it never exceeds
// HandlerOptions.CacheBytes.
func (h *Handler) CacheBytes() int64 {
	_, n := h.cache.stats()
	return n
}
