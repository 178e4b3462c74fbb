// Package bytelru is a least-recently-used cache bounded by bytes rather
// than by entries, for caches whose entries differ in size by orders of
// magnitude (a compiled three-item scope and a compiled 40 KiB one) and
// whose keys come from clients. Keys are digests of fixed size (a SHA-256
// of a token, a seeded hash of a scope), so a key costs the same whatever
// it digests and never holds a client's secret.
//
// The list and map are hashicorp/golang-lru's simplelru, unbounded in
// entries; this package does the byte accounting around it under one
// mutex, so that the total charged never exceeds the budget, not even for
// a moment between two concurrent adds.
package bytelru

import (
	"errors"
	"math"
	"sync"
	"unsafe"

	"github.com/hashicorp/golang-lru/v2/simplelru"

	"github.com/scopecheck/scopecheck/internal/memsize"
)

// Key is a SHA-256 digest, the key of the token caches.
type Key = [32]byte

// LRU is a cache of values of type V under a byte budget. It is safe for
// concurrent use.
//
// The bytes it counts are every entry's charge (its size and its list
// element) and a map slot for as many entries as the map has held since
// it was built: Go's maps never shrink, so the slots of evicted entries
// stay allocated. When the entries fall to half of that peak, the map is
// built again, so that the slots reserved are at most twice the slots
// used. The fixed structures of an empty cache (a few KiB at most, whatever
// its budget) are not counted.
type LRU[K comparable, V any] struct {
	mu        sync.Mutex
	l         *simplelru.LRU[K, slot[V]]
	budget    int64
	charged   int64 // sizes and list elements of the entries held
	peak      int   // map slots reserved: the most entries since the map was built
	elem      int64 // a list element
	evictions uint64
}

type slot[V any] struct {
	v      V
	charge int64
}

// mapSlot bounds what the map spends on one slot: a key of up to 32 bytes
// and a pointer, and a control byte, in tables that are between 7/16 and
// 7/8 full, measured by TestBytesMeasured.
const mapSlot = 120

// rebuildAt is the least peak at which a map is built again: smaller maps
// are not worth it.
const rebuildAt = 64

// New makes an LRU that holds at most budget bytes. budget must be
// positive. Keys must be at most 32 bytes.
func New[K comparable, V any](budget int64) (*LRU[K, V], error) {
	if budget <= 0 {
		return nil, errors.New("bytelru: the budget must be positive")
	}
	// simplelru's list element: two links and the list pointer, the key,
	// the value, an expiry time and its bucket byte.
	var k K
	if unsafe.Sizeof(k) > 32 {
		return nil, errors.New("bytelru: keys are at most 32 bytes")
	}
	elem := 3*8 + int(unsafe.Sizeof(k)) + int(unsafe.Sizeof(slot[V]{})) + 24 + 8
	return &LRU[K, V]{l: newList[K, V](), budget: budget, elem: int64(memsize.AllocPointers(elem))}, nil
}

func newList[K comparable, V any]() *simplelru.LRU[K, slot[V]] {
	l, err := simplelru.NewLRU[K, slot[V]](math.MaxInt, nil)
	if err != nil {
		panic(err) // only for a size that is not positive
	}
	return l
}

// EntryOverhead is what the cache itself spends on each entry, beyond the
// size its caller charges: the list element and a map slot.
func (c *LRU[K, V]) EntryOverhead() int64 { return c.elem + mapSlot }

// Get returns the value filed under k and marks it most recently used.
// It makes no allocation.
func (c *LRU[K, V]) Get(k K) (V, bool) {
	c.mu.Lock()
	s, ok := c.l.Get(k)
	c.mu.Unlock()
	return s.v, ok
}

// Add files v under k, replacing what was there, charged size bytes plus
// EntryOverhead, and evicts the least recently used entries until the
// total fits the budget. An entry whose charge alone exceeds the budget is
// not kept (what was under k goes too), and Add reports false.
func (c *LRU[K, V]) Add(k K, v V, size int64) bool {
	charge := max(size, 0) + c.elem
	c.mu.Lock()
	defer c.mu.Unlock()
	c.remove(k)
	if charge+mapSlot > c.budget {
		c.shrink()
		return false
	}
	c.l.Add(k, slot[V]{v, charge})
	c.charged += charge
	c.peak = max(c.peak, c.l.Len())
	// The new entry is the most recent, so evictions reach it last; when
	// it is alone, the map is built again below and it fits.
	for c.bytes() > c.budget && c.l.Len() > 1 {
		_, old, _ := c.l.RemoveOldest()
		c.charged -= old.charge
		c.evictions++
	}
	c.shrink()
	return true
}

// Remove drops what is filed under k, and reports whether there was
// anything.
func (c *LRU[K, V]) Remove(k K) bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	ok := c.remove(k)
	c.shrink()
	return ok
}

func (c *LRU[K, V]) remove(k K) bool {
	old, ok := c.l.Peek(k)
	if ok {
		c.l.Remove(k)
		c.charged -= old.charge
	}
	return ok
}

func (c *LRU[K, V]) bytes() int64 { return c.charged + int64(c.peak)*mapSlot }

// shrink builds the map again when it holds half of its peak or less
// (for a small map, only when its reserve keeps the total over the
// budget), keeping the order of use. The work is paid for by the evictions and
// removals that halved it.
func (c *LRU[K, V]) shrink() {
	if c.l.Len() > c.peak/2 || (c.peak < rebuildAt && c.bytes() <= c.budget) {
		return
	}
	l := newList[K, V]()
	for _, k := range c.l.Keys() { // oldest first
		s, _ := c.l.Peek(k)
		l.Add(k, s)
	}
	c.l, c.peak = l, l.Len()
}

// Stats are an LRU's figures at one moment.
type Stats struct {
	Len       int    // entries held
	Bytes     int64  // bytes counted: charges and map slots, at most Budget
	Budget    int64  // the bound on Bytes
	Evictions uint64 // entries dropped to make room
}

// Stats returns the LRU's figures.
func (c *LRU[K, V]) Stats() Stats {
	c.mu.Lock()
	defer c.mu.Unlock()
	return Stats{Len: c.l.Len(), Bytes: c.bytes(), Budget: c.budget, Evictions: c.evictions}
}
