package gateway

import (
	"context"
	"crypto/sha256"
	"encoding/json"
	"errors"
	"strings"
	"unsafe"

	"github.com/golang-jwt/jwt/v5"

	"github.com/scopecheck/scopecheck/internal/bytelru"
	"github.com/scopecheck/scopecheck/internal/memsize"
)

// Tokens turns a bearer token into the scope it carries, after verifying
// it. An error means the token is not to be trusted, and no request made
// with it is allowed. An error that wraps ErrUnavailable says that the
// token could not be checked at all; any other says the token is bad.
type Tokens interface {
	Scope(ctx context.Context, token string) (string, error)
}

// ErrInactive is the error for a token that introspection says is not active.
var ErrInactive = errors.New("gateway: token is not active")

// ErrUnavailable is wrapped by every error that comes from the machinery
// of verification rather than from the token: no key set loaded yet, a
// JWKS that cannot be fetched when a token names a key id not yet known,
// an introspection endpoint that cannot be reached, times out, answers
// other than 200, or answers what is not a well-formed introspection
// answer. Such a request is refused as an outage (503), never as a bad
// token (401), and never allowed. Test for it with errors.Is.
var ErrUnavailable = errors.New("gateway: token verification is unavailable")

// Readier is implemented by verifiers that depend on something remote:
// Ready returns nil once they can decide (a key set has loaded, the
// introspection endpoint has answered), and otherwise an error that
// wraps ErrUnavailable and says why.
type Readier interface {
	Ready() error
}

// CacheStats are the figures of a token cache: verified JWTs or
// introspection answers.
type CacheStats struct {
	Hits, Misses uint64
	Evictions    uint64 // entries dropped to make room
	Len          int    // entries held now
	Bytes        int64  // bytes charged for them, at most Budget
	Budget       int64
}

func cacheStats(hits, misses uint64, s bytelru.Stats) CacheStats {
	return CacheStats{Hits: hits, Misses: misses, Evictions: s.Evictions, Len: s.Len, Bytes: s.Bytes, Budget: s.Budget}
}

// tokenKey is the key a token's cache entry is filed under: its SHA-256,
// so that no cache holds a token.
func tokenKey(token string) bytelru.Key {
	return sha256.Sum256(unsafe.Slice(unsafe.StringData(token), len(token)))
}

// ScopeClaim returns the scope of a JWT access token's claims: the
// "scope" claim, a space-separated string, or, when there is none, the
// "scp" claim, an array of strings that it joins with spaces. Any other
// shape is an error that names the claim; nothing is guessed.
func ScopeClaim(claims jwt.MapClaims) (string, error) {
	switch s := claims["scope"].(type) {
	case string:
		return s, nil
	case nil:
	default:
		return "", errors.New("JWT claim scope is not a string")
	}
	if claims["scp"] == nil {
		return "", errors.New("JWT has neither a scope nor an scp claim")
	}
	arr, ok := claims["scp"].([]any)
	if !ok {
		return "", errors.New("JWT claim scp is not an array of strings")
	}
	parts := make([]string, len(arr))
	for i, v := range arr {
		if parts[i], ok = v.(string); !ok {
			return "", errors.New("JWT claim scp holds a non-string")
		}
	}
	return strings.Join(parts, " "), nil
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
