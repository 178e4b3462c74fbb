package match

import (
	"errors"
	"hash/maphash"
	"runtime"
	"strings"
	"sync/atomic"
	"unsafe"

	"golang.org/x/sync/singleflight"

	"github.com/scopecheck/scopecheck/internal/bytelru"
	"github.com/scopecheck/scopecheck/internal/memsize"
	"github.com/scopecheck/scopecheck/scope"
)

// Cache maps scope strings to compiled matchers for a gateway that sees the
// same tokens again and again. It is bounded in bytes: each entry is
// charged what it really holds (the scope's text, its items, the
// compiled matcher as Matcher.Size measures it, or the parse errors of a
// damaged scope, and the cache's own bookkeeping), and the least recently
// used entries are evicted to keep the total within the budget. Entries
// are filed under a 64-bit digest of the scope (hash/maphash, the AES-based
// hash of Go's maps, with a seed chosen at random for each Cache), and a
// hit is confirmed by comparing the scope with the entry's own copy: a key
// costs 8 bytes however long the scope is, no two scopes ever share an
// entry (a collision costs a compile, never a wrong matcher), and a hit on
// a 1 KiB scope costs tens of nanoseconds, where a SHA-256 would cost
// hundreds. An entry lives until it is evicted: a scope's matcher never
// changes.
//
// A scope of any length is cached if it fits the budget. One that does
// not (its entry alone is larger than the whole budget) is compiled on
// every Get and not kept. Concurrent misses for one scope compile it once
// and share the result; at most GOMAXPROCS compiles run at once, so
// the memory of matchers being built is bounded too. A scope that does
// not parse is cached with its error, so that a damaged token sent
// repeatedly costs one parse. Cache is safe for concurrent use.
type Cache struct {
	lru      *bytelru.LRU[uint64, cacheEntry]
	seed     maphash.Seed
	group    singleflight.Group
	compile  chan struct{} // a slot per compile running
	opts     []Option
	hits     atomic.Uint64
	misses   atomic.Uint64
	uncached atomic.Uint64
	compiles atomic.Uint64
}

type cacheEntry struct {
	scope string // the cache's own copy, which m's items are slices of
	m     *Matcher
	err   error
}

// NewCache makes a Cache that holds at most maxBytes bytes of entries,
// whose matchers are compiled with opts. maxBytes must be positive; a
// budget smaller than a compiled scope caches nothing (every Get
// compiles).
func NewCache(maxBytes int64, opts ...Option) (*Cache, error) {
	l, err := bytelru.New[uint64, cacheEntry](maxBytes)
	if err != nil {
		return nil, errors.New("match: cache budget must be positive")
	}
	return &Cache{lru: l, seed: maphash.MakeSeed(), opts: opts, compile: make(chan struct{}, runtime.GOMAXPROCS(0))}, nil
}

// Get returns the matcher of a scope string, compiling it on a miss. On a
// parse error it returns a nil *Matcher, which denies everything, and the
// scope.ErrorList. A hit makes no allocation.
func (c *Cache) Get(s string) (*Matcher, error) {
	k := maphash.Comparable(c.seed, s) // one pass; String hashes in 128-byte rounds
	if e, ok := c.lru.Get(k); ok && e.scope == s {
		c.hits.Add(1)
		return e.m, e.err
	}
	c.misses.Add(1)
	// Callers wait for a compile of the same scope, never of another that
	// has the same hash.
	v, _, _ := c.group.Do(s, func() (any, error) {
		if e, ok := c.lru.Get(k); ok && e.scope == s { // added since this caller's miss
			return e, nil
		}
		c.compile <- struct{}{}
		defer func() { <-c.compile }()
		c.compiles.Add(1)
		// The matcher keeps slices of the text: give it its own copy, so
		// that it holds exactly the bytes it is charged for and not a
		// caller's larger buffer.
		s := strings.Clone(s)
		m, err := CompileString(s, c.opts...)
		e := cacheEntry{s, m, err}
		if !c.lru.Add(k, e, int64(entrySize(s, m, err))) {
			c.uncached.Add(1)
		}
		return e, nil
	})
	e := v.(cacheEntry)
	return e.m, e.err
}

// entrySize is the memory an entry holds beyond the cache's bookkeeping:
// the scope's text, and its matcher with the items it was compiled from,
// or its parse errors.
func entrySize(s string, m *Matcher, err error) int {
	n := memsize.String(s)
	if m != nil {
		// A valid scope's items are one array, of one slot per SP
		// plus one (scope.Parse allocates no more than that, since
		// it cannot have more items than that), if it has any.
		items := 0
		if strings.Trim(s, " ") != "" {
			items = strings.Count(s, " ") + 1
		}
		n += memsize.AllocPointers(items*int(unsafe.Sizeof(scope.Item{}))) + m.Size()
	}
	var list scope.ErrorList
	if errors.As(err, &list) {
		// The slice header boxed in the error, the slice, and each error.
		n += memsize.AllocPointers(int(unsafe.Sizeof(list)))
		n += memsize.AllocPointers(cap(list) * int(unsafe.Sizeof(list[0])))
		for _, e := range list {
			n += memsize.AllocPointers(int(unsafe.Sizeof(*e))) + memsize.String(e.Message) +
				memsize.String(e.Suggestion) + memsize.String(e.Item)
		}
	} else if err != nil {
		n += 2 * memsize.String(err.Error())
	}
	return n
}

// CacheStats are a Cache's counters and size.
type CacheStats struct {
	Hits, Misses uint64
	// Evictions counts entries dropped to make room; Uncached, scopes
	// compiled whose entry alone was larger than the budget.
	Evictions, Uncached uint64
	Len                 int   // entries held now
	Bytes, Budget       int64 // bytes charged for them, and the bound
}

// Stats returns the counters; they are read without stopping Get.
func (c *Cache) Stats() CacheStats {
	s := c.lru.Stats()
	return CacheStats{Hits: c.hits.Load(), Misses: c.misses.Load(), Evictions: s.Evictions,
		Uncached: c.uncached.Load(), Len: s.Len, Bytes: s.Bytes, Budget: s.Budget}
}
