package feedout

import (
	"container/list"
	"sync"
)

// Defaults for the rendering cache and the size of one response.
const (
	// DefaultCacheBytes bounds the rendering cache.
	DefaultCacheBytes = 64 << 20
	// DefaultMaxResponseBytes bounds one feed response; a fuller one is
	// cut to fewer entries, with a next link to the rest.
	DefaultMaxResponseBytes = 8 << 20
)

// renderCache keeps renderings by key within a budget of bytes, dropping
// the least recently used first. Every distinct query a reader can make
// was once a rendering kept until the cache held 256 of them: 256 junk
// cursors took a daemon from 66 MB to 2.3 GB. It also remembers the next-page
// cursors its renderings link to, so that a page a reader reached by
// following a next link is cached and a cursor made up by anyone else is
// not. It is safe for concurrent use.
type renderCache struct {
	mu     sync.Mutex
	max    int64
	size   int64
	lru    *list.List // of *cacheEntry, most recently used first
	byKey  map[string]*list.Element
	issued map[string]int // next-page cursor -> cached renderings linking to it
}

type cacheEntry struct {
	key  string
	rd   *rendering
	size int64
}

func newRenderCache(maxBytes int64) *renderCache {
	return &renderCache{max: maxBytes, lru: list.New(), byKey: map[string]*list.Element{}, issued: map[string]int{}}
}

// sizeOf is what a rendering costs the cache: both encodings, the key and
// the headers around them.
func sizeOf(key string, rd *rendering) int64 {
	return int64(len(rd.identity.body)+len(rd.gzip.body)+len(key)) + 512
}

// get returns the rendering kept for key, or nil, and marks it used.
func (c *renderCache) get(key string) *rendering {
	c.mu.Lock()
	defer c.mu.Unlock()
	el := c.byKey[key]
	if el == nil {
		return nil
	}
	c.lru.MoveToFront(el)
	return el.Value.(*cacheEntry).rd
}

// peek returns the rendering kept for key, or nil, without marking it.
func (c *renderCache) peek(key string) *rendering {
	c.mu.Lock()
	defer c.mu.Unlock()
	if el := c.byKey[key]; el != nil {
		return el.Value.(*cacheEntry).rd
	}
	return nil
}

// put keeps rd for key, dropping the least recently used renderings until
// it fits. A rendering larger than the whole budget is not kept (and the
// one kept before under key is dropped: it is stale).
func (c *renderCache) put(key string, rd *rendering) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if el := c.byKey[key]; el != nil {
		c.remove(el)
	}
	size := sizeOf(key, rd)
	if size > c.max {
		return
	}
	for c.size+size > c.max && c.lru.Len() > 0 {
		c.remove(c.lru.Back())
	}
	c.byKey[key] = c.lru.PushFront(&cacheEntry{key: key, rd: rd, size: size})
	c.size += size
	if rd.next != "" {
		c.issued[rd.next]++
	}
}

func (c *renderCache) remove(el *list.Element) {
	e := c.lru.Remove(el).(*cacheEntry)
	delete(c.byKey, e.key)
	c.size -= e.size
	if e.rd.next != "" {
		if c.issued[e.rd.next]--; c.issued[e.rd.next] <= 0 {
			delete(c.issued, e.rd.next)
		}
	}
}

// linked reports whether a kept rendering links to the page before
// cursor.
func (c *renderCache) linked(cursor string) bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.issued[cursor] > 0
}

// stats returns the number of renderings kept and their bytes.
func (c *renderCache) stats() (int, int64) {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.lru.Len(), c.size
}
