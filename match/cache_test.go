package match

import (
	"fmt"
	"runtime"
	"strings"
	"sync"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestCache(t *testing.T) {
	c, err := NewCache(2)
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
	c.Get(".:a") // evicts *:config/** (least recently used)
	if diff := cmp.Diff(CacheStats{Hits: 2, Misses: 3, Len: 2}, c.Stats()); diff != "" {
		t.Errorf("stats (-want +got):\n%s", diff)
	}
	if m, _ := c.Get("*:config/**"); m == m1 {
		t.Error("an evicted entry was still there")
	}
	if _, err := NewCache(0); err == nil {
		t.Error("NewCache(0) succeeded")
	}
}

func TestCacheOptions(t *testing.T) {
	c, _ := NewCache(4, WithReadMethods("OPTIONS"))
	m, _ := c.Get(".:a")
	if !m.Allow("OPTIONS", "/a") {
		t.Error("the cache's options were not applied")
	}
}

// Endless distinct scopes do not grow the cache past its bound, and long
// scopes are not kept at all.
func TestCacheBounded(t *testing.T) {
	c, _ := NewCache(100)
	for i := 0; i < 10000; i++ {
		c.Get(fmt.Sprintf("*:tenant%d/**", i))
	}
	long := "*:" + strings.Repeat("a", MaxCachedScope)
	m, err := c.Get(long)
	if err != nil || !m.Allow("GET", "/"+strings.Repeat("a", MaxCachedScope)) {
		t.Fatalf("a long scope was not compiled: %v", err)
	}
	if s := c.Stats(); s.Len != 100 || s.Misses != 10001 {
		t.Errorf("stats = %+v, want 100 entries after 10001 misses", s)
	}
	if _, ok := c.lru.Peek(long); ok {
		t.Error("a scope over MaxCachedScope was kept")
	}
}

func TestCacheHitAllocs(t *testing.T) {
	c, _ := NewCache(8)
	s := ".:config/tokenPolicies** .:config/loginPolicies** *:webhooks/**"
	c.Get(s)
	if n := testing.AllocsPerRun(100, func() { c.Get(s) }); n != 0 {
		t.Errorf("a cache hit makes %v allocations", n)
	}
}

func TestCacheConcurrent(t *testing.T) {
	c, _ := NewCache(16)
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
}

func BenchmarkCacheHit(b *testing.B) {
	c, _ := NewCache(1024)
	s := ".:config/tokenPolicies** .:config/loginPolicies** *:webhooks/**"
	c.Get(s)
	b.ReportAllocs()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			c.Get(s)
		}
	})
}
