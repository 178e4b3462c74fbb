package match

import (
	"fmt"
	"sync/atomic"

	lru "github.com/hashicorp/golang-lru/v2"
)

// MaxCachedScope is the longest scope string, in bytes, that a Cache keeps.
// Longer scopes are compiled and returned but not kept, so that the memory
// a Cache holds is bounded by its size times what a scope of this length
// compiles to, whatever scopes an attacker sends.
const MaxCachedScope = 4096

// Cache maps scope strings to compiled matchers for a gateway that sees the
// same tokens again and again. It is bounded (least recently used entries
// are evicted), safe for concurrent use, and counts hits and misses. A
// scope that does not parse is cached too, with its error, so that a
// damaged token sent repeatedly costs one parse.
type Cache struct {
	lru    *lru.Cache[string, cacheEntry]
	opts   []Option
	hits   atomic.Uint64
	misses atomic.Uint64
}

type cacheEntry struct {
	m   *Matcher
	err error
}

// NewCache makes a Cache of at most size entries whose matchers are
// compiled with opts. size must be positive.
func NewCache(size int, opts ...Option) (*Cache, error) {
	if size <= 0 {
		return nil, fmt.Errorf("match: cache size must be positive, not %d", size)
	}
	l, err := lru.New[string, cacheEntry](size)
	if err != nil {
		return nil, fmt.Errorf("match: %w", err)
	}
	return &Cache{lru: l, opts: opts}, nil
}

// Get returns the matcher of a scope string, compiling it on a miss. On a
// parse error it returns a nil *Matcher, which denies everything, and the
// scope.ErrorList. A hit makes no allocation.
func (c *Cache) Get(scope string) (*Matcher, error) {
	if e, ok := c.lru.Get(scope); ok {
		c.hits.Add(1)
		return e.m, e.err
	}
	c.misses.Add(1)
	m, err := CompileString(scope, c.opts...)
	if len(scope) <= MaxCachedScope {
		c.lru.Add(scope, cacheEntry{m, err})
	}
	return m, err
}

// CacheStats are a Cache's counters.
type CacheStats struct {
	Hits, Misses uint64
	Len          int // entries held now
}

// Stats returns the counters; they are read without stopping Get.
func (c *Cache) Stats() CacheStats {
	return CacheStats{Hits: c.hits.Load(), Misses: c.misses.Load(), Len: c.lru.Len()}
}
