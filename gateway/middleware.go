// Package gateway puts scopecheck in front of an HTTP API: Middleware
// decides every request with a token's scope before the API sees it.
package gateway

import (
	"net/http"
	"strings"

	"github.com/scopecheck/scopecheck/match"
	"github.com/scopecheck/scopecheck/scope"
)

// ScopeFunc returns the scope of the token a request carries, and false
// when the request carries no usable token. It runs after authentication
// (JWT verification or token introspection), which is not this package's.
type ScopeFunc func(*http.Request) (scope string, ok bool)

// Decision is what a Hook observes of one request.
type Decision struct {
	Method string
	// Path is the path decided on: escaped, the mount prefix removed.
	Path string
	// NoToken is set when no usable token was found (answered 401);
	// TokenErr says why, when a token was there but failed verification.
	// A TokenErr that wraps ErrUnavailable is an outage (answered 503).
	NoToken  bool
	TokenErr error
	// ScopeErr is set when the token's scope does not parse; such a scope
	// grants nothing.
	ScopeErr error
	match.Decision
}

// Option configures Middleware.
type Option func(*config)

type config struct {
	strip int
	hook  func(*http.Request, Decision)
}

// StripSegments removes the first n segments of the path before deciding,
// for an API mounted under "/{customerId}": with n = 1,
// "/acme/config/x" is decided as "/config/x". A path with fewer segments,
// or an empty one among them, is denied.
func StripSegments(n int) Option { return func(c *config) { c.strip = n } }

// WithHook calls hook with every decision, for logs and metrics. Without a
// hook the allow path runs Matcher.Allow alone; with one it runs
// Matcher.Decide, which also makes no allocation.
func WithHook(hook func(*http.Request, Decision)) Option {
	return func(c *config) { c.hook = hook }
}

// Middleware returns a handler wrapper that passes a request on only when
// the token's scope allows its method on its path. The path is the
// request's escaped path (URL.EscapedPath), so "%2F", "%2e%2e" and the
// other forms that are not canonical are seen and denied. A request
// without a scope is answered 401 with an invalid_token challenge; a
// request the scope does not allow, 403 with an insufficient_scope
// challenge (RFC 6750 §3.1) that names, where it can be written, the item
// that would allow it. Matchers come from cache.
func Middleware(cache *match.Cache, scopeOf ScopeFunc, opts ...Option) func(http.Handler) http.Handler {
	var c config
	for _, o := range opts {
		o(&c)
	}
	return func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			s, ok := scopeOf(r)
			if !ok {
				if c.hook != nil {
					c.hook(r, Decision{Method: r.Method, Path: r.URL.EscapedPath(), NoToken: true})
				}
				w.Header().Set("WWW-Authenticate", `Bearer error="invalid_token", error_description="no token scope"`)
				http.Error(w, "no token", http.StatusUnauthorized)
				return
			}
			allowed, path := decide(cache, c, r, s, r.Method, r.URL.EscapedPath())
			if allowed {
				next.ServeHTTP(w, r)
				return
			}
			w.Header().Set("WWW-Authenticate", challenge(r.Method, path))
			http.Error(w, "insufficient scope", http.StatusForbidden)
		})
	}
}

// decide strips the mount segments from an escaped path and decides the
// request with the scope's cached matcher, calling the hook when there is
// one. It returns the path decided on, or "" when the mount segments could
// not be stripped (no scope allows such a request).
func decide(cache *match.Cache, c config, r *http.Request, s, method, escaped string) (bool, string) {
	path, pathOK := stripSegments(escaped, c.strip)
	m, err := cache.Get(s) // a nil matcher denies everything
	if c.hook == nil {
		if !pathOK {
			return false, ""
		}
		return m.Allow(method, path), path
	}
	d := Decision{Method: method, Path: path, ScopeErr: err}
	if pathOK {
		d.Decision = m.Decide(method, path)
	}
	c.hook(r, d)
	if !pathOK {
		return false, ""
	}
	return d.Allowed, path
}

// stripSegments removes the first n segments of an escaped path.
func stripSegments(p string, n int) (string, bool) {
	for ; n > 0; n-- {
		if len(p) < 2 || p[0] != '/' {
			return p, false
		}
		i := strings.IndexByte(p[1:], '/')
		if i == 0 {
			return p, false // an empty segment
		}
		if i < 0 {
			return p, false // nothing left after the prefix
		}
		p = p[1+i:]
	}
	return p, true
}

// challenge is the 403's WWW-Authenticate value. Its scope names the least
// item that allows the request: the path as a pattern, read or
// read-write. It is left out where no item allows the request (the
// method is not grantable, or the path is "" or not canonical) or where
// the path cannot be written as an exact pattern in a quoted string (it
// holds '*' or '"').
func challenge(method, path string) string {
	const base = `Bearer error="insufficient_scope"`
	if !scope.GrantableMethod(method) || len(path) < 2 || strings.ContainsAny(path, `*"`) {
		return base
	}
	if r, _ := scope.CheckPath(path); r != scope.Canonical {
		return base
	}
	class := "*"
	if method == http.MethodGet || method == http.MethodHead {
		class = "."
	}
	return base + `, scope="` + class + ":" + path[1:] + `"`
}
