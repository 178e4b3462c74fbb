package gateway

import (
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/scopecheck/scopecheck/match"
)

// longScope is a valid scope of exactly n bytes (n >= 20) that grants
// "GET /config/x": the granting item, then items that pad it.
func longScope(n int) string {
	s := ".:config/x"
	for n-len(s) >= 8 {
		s += " .:p"
	}
	return s + " .:" + strings.Repeat("q", n-len(s)-3) // 1 to 4 bytes of q
}

// A token's scope longer than the gateway compiles grants nothing, through
// Middleware and through the guard of TokenMiddleware and AuthRequest, and
// the hook is told why; one at the bound is compiled as ever.
func TestMaxScopeBytes(t *testing.T) {
	type seen struct {
		Allowed  bool
		Status   int
		Why      string
		TooLong  *ScopeTooLongError
		ScopeErr bool
	}
	tests := []struct {
		name  string
		opts  []Option
		scope string
		want  seen
	}{
		{"at the default bound", nil, longScope(DefaultMaxScopeBytes), seen{true, 200, "granted", nil, false}},
		{"past the default bound", nil, longScope(DefaultMaxScopeBytes + 1), seen{false, 403, "no-match", &ScopeTooLongError{DefaultMaxScopeBytes + 1, DefaultMaxScopeBytes}, true}},
		{"at a bound given", []Option{MaxScopeBytes(64)}, longScope(64), seen{true, 200, "granted", nil, false}},
		{"past a bound given", []Option{MaxScopeBytes(64)}, longScope(65), seen{false, 403, "no-match", &ScopeTooLongError{65, 64}, true}},
		{"a bound above the default", []Option{MaxScopeBytes(DefaultMaxScopeBytes * 2)}, longScope(DefaultMaxScopeBytes + 1), seen{true, 200, "granted", nil, false}},
	}
	for _, tc := range tests {
		if n := len(tc.scope); n != DefaultMaxScopeBytes && n != DefaultMaxScopeBytes+1 && n != 64 && n != 65 {
			t.Fatalf("%s: longScope made %d bytes", tc.name, n)
		}
		fronts := map[string]func(cache *match.Cache, opts []Option) http.Handler{
			"Middleware": func(cache *match.Cache, opts []Option) http.Handler {
				scopeOf := func(*http.Request) (string, bool) { return tc.scope, true }
				return Middleware(cache, scopeOf, opts...)(http.HandlerFunc(func(http.ResponseWriter, *http.Request) {}))
			},
			"TokenMiddleware": func(cache *match.Cache, opts []Option) http.Handler {
				return TokenMiddleware(cache, fixedTokens{scope: tc.scope}, opts...)(http.HandlerFunc(func(http.ResponseWriter, *http.Request) {}))
			},
		}
		for front, handler := range fronts {
			cache, err := match.NewCache(1 << 20)
			if err != nil {
				t.Fatal(err)
			}
			var got seen
			opts := append([]Option{WithHook(func(_ *http.Request, d Decision) {
				got.Allowed, got.Why, got.ScopeErr = d.Allowed, d.Why(), d.ScopeErr != nil
				errors.As(d.ScopeErr, &got.TooLong)
			})}, tc.opts...)
			r := httptest.NewRequest("GET", "/config/x", nil)
			r.Header.Set("Authorization", "Bearer t")
			w := httptest.NewRecorder()
			handler(cache, opts).ServeHTTP(w, r)
			got.Status = w.Code
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("%s, %s (-want +got):\n%s", tc.name, front, diff)
			}
			if tc.want.TooLong != nil && cache.Stats().Misses != 0 {
				t.Errorf("%s, %s: a scope past the bound reached the cache", tc.name, front)
			}
		}
	}
}

func TestMaxScopeBytesPanics(t *testing.T) {
	for _, n := range []int{0, -1} {
		func() {
			defer func() {
				if recover() == nil {
					t.Errorf("MaxScopeBytes(%d) did not panic", n)
				}
			}()
			cache, _ := match.NewCache(1 << 20)
			Middleware(cache, scopeHeader, MaxScopeBytes(n))
		}()
	}
}
