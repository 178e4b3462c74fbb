package token

import (
	"context"
	"crypto/sha256"
	"encoding/json"
	"errors"
	"net/http"
	"sync"
	"unsafe"

	"github.com/golang-jwt/jwt/v5"

	"github.com/scopecheck/scopecheck/internal/bytelru"
	"github.com/scopecheck/scopecheck/internal/memsize"
)

// ErrInactive is the error for a token that introspection says is not active.
var ErrInactive = errors.New("token: not active")

// CacheStats are the figures of a token cache: verified JWTs or
// introspection answers.
type CacheStats struct {
	Hits, Misses uint64
	Evictions    uint64 // entries dropped to make room
	Len          int    // entries held now
	Bytes        int64  // bytes charged for them, at most Budget
	Budget       int64
}

// background is a verifier's work that outlives its calls: a goroutine
// (the refresh of a key set, the probe of an endpoint) and the client it
// made. close ends the goroutine, waits for it, and closes the client's
// idle connections; a client given by the caller is the caller's.
type background struct {
	stop context.CancelFunc // nil when no goroutine was started
	done chan struct{}      // closed when it has ended
	once sync.Once
	own  *http.Client
}

// start runs work until ctx ends or close.
func (b *background) start(ctx context.Context, work func(context.Context)) {
	ctx, b.stop = context.WithCancel(ctx)
	b.done = make(chan struct{})
	go func() {
		defer close(b.done)
		work(ctx)
	}()
}

func (b *background) close() {
	b.once.Do(func() {
		if b.stop != nil {
			b.stop()
			<-b.done
		}
		if b.own != nil {
			b.own.CloseIdleConnections()
		}
	})
}

func cacheStats(hits, misses uint64, s bytelru.Stats) CacheStats {
	return CacheStats{Hits: hits, Misses: misses, Evictions: s.Evictions, Len: s.Len, Bytes: s.Bytes, Budget: s.Budget}
}

// digest is the SHA-256 of s, taken without a copy: the key of the token
// caches' entries (an opaque token's, a JWT's signature's), so that no
// cache holds a token.
func digest(s string) bytelru.Key {
	return sha256.Sum256(unsafe.Slice(unsafe.StringData(s), len(s)))
}

// valueSize estimates the memory of a value that encoding/json decoded
// into an interface (an object, an array, a string, a number, a bool or
// null), counting what the interface points to but not the interface
// itself. TestValueSizeMeasured holds it to measured heap.
func valueSize(v any) int {
	switch v := v.(type) {
	case map[string]any:
		n := mapSize(len(v))
		for k, e := range v {
			n += memsize.String(k) + valueSize(e)
		}
		return n
	case jwt.MapClaims:
		return valueSize(map[string]any(v))
	case []any:
		// The boxed slice header, and the elements.
		n := memsize.AllocPointers(24) + memsize.AllocPointers(cap(v)*16)
		for _, e := range v {
			n += valueSize(e)
		}
		return n
	case string:
		return memsize.AllocPointers(16) + memsize.String(v) // the boxed header and the bytes
	case json.Number:
		return memsize.AllocPointers(16) + memsize.String(string(v))
	case float64:
		return memsize.NoPointers(8)
	}
	return 0 // bool and nil are not allocated
}

// mapSize bounds the memory of a map[string]any of n entries: its
// header, and groups of eight 32-byte slots and their control word, in
// tables that growth leaves between 7/16 and 7/8 full.
func mapSize(n int) int {
	const header, group = 48, 8 + 8*32
	if n <= 8 {
		return memsize.AllocPointers(header) + memsize.AllocPointers(group)
	}
	groups := (n*16/7 + 7) / 8
	return memsize.AllocPointers(header) + memsize.AllocPointers(64) + groups*group + 64*(groups/128+1)
}
