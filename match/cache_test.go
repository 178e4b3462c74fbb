package match

import (
	"fmt"
	"hash/maphash"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
)

func TestCache(t *testing.T) {
	c, err := NewCache(1 << 20)
	if err != nil {
		t.Fatal(err)
	}
	m1, err := c.Get("*:config/**")
	if err != nil || !m1.Allow("PUT", "/config/x") {
		t.Fatalf("Get = %v, %v", m1, err)
	}
	if m, _ := c.Get("*:config/**"); m != m1 {
		t.Error("a second Get compiled again")
	}
	if m, err := c.Get("*.**"); m != nil || err == nil || m.Allow("GET", "/x") {
		t.Errorf("a damaged scope gave %v, %v", m, err)
	}
	if _, err := c.Get("*.**"); err == nil {
		t.Error("the cached damaged scope lost its error")
	}
	want := CacheStats{Hits: 2, Misses: 2, Len: 2, Budget: 1 << 20}
	if diff := cmp.Diff(want, c.Stats(), cmpopts.IgnoreFields(CacheStats{}, "Bytes")); diff != "" {
		t.Errorf("stats (-want +got):\n%s", diff)
	}
	if b := c.Stats().Bytes; b <= 0 || b > 1<<20 {
		t.Errorf("%d bytes charged for two small entries", b)
	}
	if _, err := NewCache(0); err == nil {
		t.Error("NewCache(0) succeeded")
	}
}

// Entries are evicted in order of use when the budget is reached.
func TestCacheEvicts(t *testing.T) {
	one, _ := NewCache(1 << 20)
	one.Get("*:a/**")
	per := one.Stats().Bytes
	c, _ := NewCache(3*per + per/2) // room for three such entries
	a, _ := c.Get("*:a/**")
	c.Get("*:b/**")
	c.Get("*:c/**")
	c.Get("*:a/**") // b is now the least recently used
	c.Get("*:d/**") // evicts b
	if m, _ := c.Get("*:a/**"); m != a {
		t.Error("a recently used entry was evicted")
	}
	s := c.Stats()
	if s.Evictions != 1 || s.Len != 3 || s.Bytes > s.Budget {
		t.Errorf("stats = %+v, want one eviction and three entries within the budget", s)
	}
	c.Get("*:b/**")
	if s := c.Stats(); s.Misses != 5 {
		t.Errorf("the evicted entry was still there: %+v", s)
	}
}

func TestCacheOptions(t *testing.T) {
	c, _ := NewCache(1<<20, WithReadMethods("OPTIONS"))
	m, _ := c.Get(".:a")
	if !m.Allow("OPTIONS", "/a") {
		t.Error("the cache's options were not applied")
	}
}

// largeScope is a distinct scope of about n bytes whose items all have
// wildcards, so that it compiles to tries and programs, not one table.
func largeScope(i, n int) string {
	var b strings.Builder
	for j := 0; b.Len() < n; j++ {
		fmt.Fprintf(&b, "*:t%d/s%d/*/x*y%d/** ", i, j, j)
	}
	return b.String()
}

var keepCache *Cache

// Endless distinct large scopes keep the bytes charged within the budget,
// and the heap the cache really holds, measured, within the bytes
// charged. Scopes larger than 4 KiB are cached like any other.
func TestCacheBudget(t *testing.T) {
	const budget = 4 << 20
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	keepCache, _ = NewCache(budget)
	for i := 0; i < 400; i++ {
		s := largeScope(i, 1000+i*37%20000)
		m, err := keepCache.Get(s)
		if err != nil || !m.Allow("PUT", fmt.Sprintf("/t%d/s0/a/xzy0/b", i)) {
			t.Fatalf("scope %d: %v", i, err)
		}
		if st := keepCache.Stats(); st.Bytes > budget {
			t.Fatalf("after %d scopes, %d bytes charged over a budget of %d", i+1, st.Bytes, budget)
		}
	}
	runtime.GC()
	runtime.ReadMemStats(&after)
	real, s := int64(after.HeapAlloc-before.HeapAlloc), keepCache.Stats()
	t.Logf("%d entries, %d evictions, %d bytes charged, %d measured", s.Len, s.Evictions, s.Bytes, real)
	slack := int64(64 << 10)
	if raceEnabled {
		slack += s.Bytes / 25 // the race detector's allocations
	}
	if real > s.Bytes+slack || real < s.Bytes/2 {
		t.Errorf("the cache holds %d bytes and is charged %d", real, s.Bytes)
	}
	if s.Evictions == 0 || s.Uncached != 0 {
		t.Errorf("stats = %+v: the flood should have evicted, and every entry fit", s)
	}
	// A recent scope over 4 KiB is served from the cache.
	big := largeScope(399, 1000+399*37%20000)
	m1, _ := keepCache.Get(big)
	m2, _ := keepCache.Get(big)
	if len(big) < 4096 || m1 != m2 {
		t.Errorf("a %d-byte scope was compiled twice", len(big))
	}
	keepCache = nil
}

// A damaged scope's errors are charged what they hold.
func TestCacheErrorBudget(t *testing.T) {
	damaged := func(i int) string {
		return strings.Repeat(fmt.Sprintf(":t%d/** *.x%d ", i, i), 40)
	}
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	keepCache, _ = NewCache(64 << 20)
	for i := 0; i < 300; i++ {
		if _, err := keepCache.Get(damaged(i)); err == nil {
			t.Fatal("a damaged scope parsed")
		}
	}
	runtime.GC()
	runtime.ReadMemStats(&after)
	real, s := int64(after.HeapAlloc-before.HeapAlloc), keepCache.Stats()
	t.Logf("%d damaged entries: %d bytes charged, %d measured", s.Len, s.Bytes, real)
	slack := int64(64 << 10)
	if raceEnabled {
		slack += s.Bytes / 25 // the race detector's allocations
	}
	if real > s.Bytes+slack || real < s.Bytes/2 {
		t.Errorf("the cache holds %d bytes and is charged %d", real, s.Bytes)
	}
	keepCache = nil
}

// A scope whose entry is larger than the whole budget is compiled, right,
// and not kept.
func TestCacheOversize(t *testing.T) {
	c, _ := NewCache(8 << 10)
	big := largeScope(1, 20000)
	for i := 0; i < 2; i++ {
		m, err := c.Get(big)
		if err != nil || !m.Allow("PUT", "/t1/s0/a/xzy0/b") || m.Allow("PUT", "/t2/s0/a/xzy0/b") {
			t.Fatalf("the oversized scope compiled wrong: %v", err)
		}
	}
	if s := c.Stats(); s.Len != 0 || s.Uncached != 2 || s.Bytes != 0 {
		t.Errorf("stats = %+v, want nothing kept and two uncached compiles", s)
	}
}

// Concurrent misses for one scope compile it once.
func TestCacheSingleflight(t *testing.T) {
	const n = 32
	var c *Cache
	// The compile waits until every Get has missed, so that all of them
	// are in flight at once.
	wait := func(*Matcher) {
		deadline := time.Now().Add(10 * time.Second)
		for c.misses.Load() < n && time.Now().Before(deadline) {
			runtime.Gosched()
		}
	}
	c, _ = NewCache(64<<20, wait)
	s := largeScope(7, 3000)
	var start, done sync.WaitGroup
	start.Add(1)
	got := make([]*Matcher, n)
	for i := 0; i < n; i++ {
		done.Add(1)
		go func(i int) {
			defer done.Done()
			start.Wait()
			got[i], _ = c.Get(s)
		}(i)
	}
	start.Done()
	done.Wait()
	if k := c.compiles.Load(); k != 1 {
		t.Errorf("%d concurrent Gets compiled %d times", n, k)
	}
	for i := range got {
		if got[i] != got[0] || got[i] == nil {
			t.Fatalf("Get %d returned another matcher", i)
		}
	}
	if st := c.Stats(); st.Misses != n {
		t.Errorf("stats = %+v, want %d misses", st, n)
	}
}

func TestCacheHitAllocs(t *testing.T) {
	c, _ := NewCache(1 << 20)
	for _, s := range []string{".:config/tokenPolicies** .:config/loginPolicies** *:webhooks/**", largeScope(1, 10000)} {
		c.Get(s)
		if n := testing.AllocsPerRun(100, func() { c.Get(s) }); n != 0 {
			t.Errorf("a cache hit on a %d-byte scope makes %v allocations", len(s), n)
		}
	}
}

func TestCacheConcurrent(t *testing.T) {
	c, _ := NewCache(16 << 10) // small: entries are evicted while others read
	var wg sync.WaitGroup
	for g := 0; g < 4*runtime.GOMAXPROCS(0); g++ {
		wg.Add(1)
		go func(g int) {
			defer wg.Done()
			for i := 0; i < 200; i++ {
				m, err := c.Get(fmt.Sprintf("*:t%d/**", (g+i)%32))
				if err != nil || !m.Allow("GET", fmt.Sprintf("/t%d/x", (g+i)%32)) {
					t.Errorf("wrong matcher for t%d", (g+i)%32)
					return
				}
			}
		}(g)
	}
	wg.Wait()
	if s := c.Stats(); s.Bytes > s.Budget || s.Evictions == 0 {
		t.Errorf("stats = %+v", s)
	}
}

func BenchmarkCacheHit(b *testing.B) {
	c, _ := NewCache(1 << 20)
	s := ".:config/tokenPolicies** .:config/loginPolicies** *:webhooks/**"
	c.Get(s)
	b.ReportAllocs()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			c.Get(s)
		}
	})
}

// Two scopes with the same hash never share an entry: a hit is confirmed
// by the scope itself.
func TestCacheHashCollision(t *testing.T) {
	c, _ := NewCache(1 << 20)
	other, _ := c.Get("*:b/**")
	// File b's entry under a's hash, as a collision would.
	c.lru.Add(maphash.Comparable(c.seed, "*:a/**"), cacheEntry{"*:b/**", other, nil}, 0)
	m, err := c.Get("*:a/**")
	if err != nil || m == other || !m.Allow("PUT", "/a/x") || m.Allow("PUT", "/b/x") {
		t.Fatalf("a scope got the matcher of another with its hash")
	}
	if m2, _ := c.Get("*:a/**"); m2 != m {
		t.Error("the entry that replaced the colliding one is not used")
	}
}
