package bytelru

import (
	"crypto/sha256"
	"fmt"
	"runtime"
	"sync"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/scopecheck/scopecheck/internal/memsize"
)

func key(i int) Key { return sha256.Sum256(fmt.Appendf(nil, "k%d", i)) }

func TestLRU(t *testing.T) {
	const budget, size = 10000, 2500
	c, err := New[Key, string](budget)
	if err != nil {
		t.Fatal(err)
	}
	o := c.EntryOverhead()
	elem := o - mapSlot
	for i := 0; i < 3; i++ {
		if !c.Add(key(i), fmt.Sprint(i), size) {
			t.Fatalf("Add(%d) refused an entry that fits", i)
		}
	}
	if diff := cmp.Diff(Stats{Len: 3, Bytes: 3 * (size + o), Budget: budget}, c.Stats()); diff != "" {
		t.Errorf("three entries (-want +got):\n%s", diff)
	}
	c.Get(key(0))            // 1 is now the least recently used
	c.Add(key(3), "3", size) // a fourth does not fit: 1 goes
	if _, ok := c.Get(key(1)); ok {
		t.Error("the least recently used entry was kept")
	}
	for _, i := range []int{0, 2, 3} {
		if v, ok := c.Get(key(i)); !ok || v != fmt.Sprint(i) {
			t.Errorf("Get(%d) = %q, %v", i, v, ok)
		}
	}
	// The map keeps the fourth slot it grew.
	if got, want := c.Stats().Bytes, 3*(size+elem)+4*mapSlot; got != want {
		t.Errorf("after an eviction, %d bytes counted, want %d", got, want)
	}
	// Replacing an entry charges the new size, not both.
	c.Add(key(3), "three", 0)
	if got, want := c.Stats().Bytes, 2*(size+elem)+elem+4*mapSlot; got != want {
		t.Errorf("after a replacement, %d bytes counted, want %d", got, want)
	}
	// An entry larger than the whole budget is refused, and what was
	// under its key goes.
	if c.Add(key(0), "big", budget) {
		t.Error("an entry over the budget was kept")
	}
	if _, ok := c.Get(key(0)); ok {
		t.Error("a refused replacement left the old value")
	}
	if !c.Remove(key(2)) || c.Remove(key(2)) {
		t.Error("Remove did not report what it removed")
	}
	if diff := cmp.Diff(Stats{Len: 1, Bytes: elem + 4*mapSlot, Budget: budget, Evictions: 1}, c.Stats()); diff != "" {
		t.Errorf("at the end (-want +got):\n%s", diff)
	}
	if _, err := New[Key, int](0); err == nil {
		t.Error("New(0) succeeded")
	}
}

// When the entries fall to half of the map's peak, the map is built
// again: its reserve shrinks, and the order of use is kept.
func TestLRUShrink(t *testing.T) {
	c, _ := New[Key, int](1 << 30)
	for i := 0; i < 1000; i++ {
		c.Add(key(i), i, 0)
	}
	for i := 0; i < 499; i++ {
		c.Remove(key(2 * i))
	}
	if s := c.Stats(); s.Bytes != 501*c.elem+1000*mapSlot {
		t.Errorf("501 of 1000 entries left: %d bytes counted, want the peak's slots", s.Bytes)
	}
	var before []Key
	for _, k := range c.l.Keys() {
		if k != key(998) {
			before = append(before, k)
		}
	}
	c.Remove(key(998)) // 500 left: half the peak
	if s := c.Stats(); s.Bytes != 500*c.EntryOverhead() {
		t.Errorf("after the rebuild, %d bytes counted, want %d", s.Bytes, 500*c.EntryOverhead())
	}
	if diff := cmp.Diff(before, c.l.Keys()); diff != "" {
		t.Errorf("the rebuild changed the order of use (-want +got):\n%s", diff)
	}
	// A small map alone over the budget is built again too, so that an
	// entry that fits the budget on its own is kept.
	small, _ := New[Key, int](2 * (c.EntryOverhead() + 1000))
	small.Add(key(1), 1, 0)
	small.Add(key(2), 2, 0)
	if !small.Add(key(3), 3, 2*1000) {
		t.Fatal("an entry that fits alone was refused")
	}
	if s := small.Stats(); s.Len != 1 || s.Bytes > s.Budget {
		t.Errorf("stats %+v", s)
	}
}

// Concurrent adds and removals of many sizes never take the total over
// the budget.
func TestLRUConcurrentBudget(t *testing.T) {
	const budget = 64 << 10
	c, _ := New[Key, int](budget)
	var wg sync.WaitGroup
	for g := 0; g < 8; g++ {
		wg.Add(1)
		go func(g int) {
			defer wg.Done()
			for i := 0; i < 2000; i++ {
				c.Add(key(g*10000+i), i, int64((i*7919)%5000))
				if s := c.Stats(); s.Bytes > budget || s.Bytes < int64(s.Len)*c.EntryOverhead() {
					t.Errorf("stats %+v break the budget", s)
					return
				}
				c.Get(key(g*10000 + i/2))
				if i%3 == 0 {
					c.Remove(key(g*10000 + i/3))
				}
			}
		}(g)
	}
	wg.Wait()
}

func TestLRUGetAllocs(t *testing.T) {
	c, _ := New[Key, *int](1 << 20)
	v := 1
	c.Add(key(1), &v, 8)
	k := key(1)
	if n := testing.AllocsPerRun(100, func() { c.Get(k) }); n != 0 {
		t.Errorf("Get makes %v allocations", n)
	}
}

// The bytes counted cover what the cache really holds, measured, after a
// churn that first fills the map with small entries and then evicts
// them for large ones, give or take the few KiB of the empty structures;
// and they do not overstate it by more than half. Keys of 32 and of 8
// bytes.
func TestBytesMeasured(t *testing.T) {
	measureBytes(t, "digest keys", key)
	measureBytes(t, "uint64 keys", func(i int) uint64 { return uint64(i) * 0x9e3779b97f4a7c15 })
}

var held any

func measureBytes[K comparable](t *testing.T, keys string, newKey func(int) K) {
	for _, tc := range []struct {
		name        string
		small, size int
	}{
		{"small entries", 30000, 0},
		{"small, then large", 30000, 8000},
		{"large", 0, 20000},
	} {
		var before, after runtime.MemStats
		runtime.GC()
		runtime.ReadMemStats(&before)
		c, _ := New[K, []byte](8 << 20)
		held = c
		for i := 0; i < tc.small; i++ {
			c.Add(newKey(i), nil, 0)
		}
		for i := 0; tc.size > 0 && i < 3000; i++ {
			b := make([]byte, tc.size)
			c.Add(newKey(-i-1), b, int64(memsize.Alloc(len(b))))
		}
		runtime.GC()
		runtime.ReadMemStats(&after)
		real, s := int64(after.HeapAlloc-before.HeapAlloc), c.Stats()
		t.Logf("%s, %s: %d entries, %d bytes counted, %d measured", keys, tc.name, s.Len, s.Bytes, real)
		if real > s.Bytes+16<<10 || real < s.Bytes/2 { // the empty structures are not charged
			t.Errorf("%s, %s: %d bytes counted, %d measured", keys, tc.name, s.Bytes, real)
		}
		held = nil
	}
}
