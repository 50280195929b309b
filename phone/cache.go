package phone

import "sync"

// cacheSize bounds the entries kept: the org's numbers and caller IDs are
// few, but outbound destinations are unbounded.
const cacheSize = 100_000

// maxKeyLen keeps arbitrary text (a fuzzer, a hostile header) out of the
// cache: no phone number is this long.
const maxKeyLen = 64

type cacheKey struct{ text, country string }

// cache holds parses in two generations: when the young one is full it
// becomes the old one and the previous old one is dropped, so memory stays
// under cacheSize entries without bookkeeping per hit, and a number still
// in use survives by moving back to the young generation.
type cache struct {
	mu         sync.RWMutex
	young, old map[cacheKey]parsed
	half       int
}

func newCache(size int) *cache {
	half := max(size/2, 1)
	return &cache{young: make(map[cacheKey]parsed), old: make(map[cacheKey]parsed), half: half}
}

func (c *cache) get(k cacheKey) (parsed, bool) {
	c.mu.RLock()
	p, ok := c.young[k]
	if ok {
		c.mu.RUnlock()
		return p, true
	}
	p, ok = c.old[k]
	c.mu.RUnlock()
	if ok {
		c.put(k, p)
	}
	return p, ok
}

func (c *cache) put(k cacheKey, p parsed) {
	if len(k.text) > maxKeyLen {
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if len(c.young) >= c.half {
		c.old, c.young = c.young, make(map[cacheKey]parsed, c.half)
	}
	c.young[k] = p
}

func (c *cache) len() int {
	c.mu.RLock()
	defer c.mu.RUnlock()
	return len(c.young) + len(c.old)
}
