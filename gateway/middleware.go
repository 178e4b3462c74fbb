// Package gateway puts scopecheck in front of an HTTP API: TokenMiddleware
// or Middleware in the API's server, or AuthRequest behind a proxy,
// decides every request with a token's scope before the API sees it, as
// the API will read it: the whole target, the mount bound to the token's
// tenant, and every other source of the method or target the request
// carries; a second token in the query and a switch to another protocol
// are refused. The work is linear in the bytes of the target and the
// headers, and MaxSources bounds the matches.
//
// The token verifiers that TokenMiddleware and AuthRequest take (JWTs
// against a JWKS, introspection) are in package gateway/token, and the
// same decision over Envoy's gRPC external authorization is in
// gateway/extauthz; this package links neither, nor their libraries.
package gateway

import (
	"errors"
	"net/http"
	"strings"

	"github.com/scopecheck/scopecheck/match"
	"github.com/scopecheck/scopecheck/scope"
)

// ScopeFunc returns the scope of the token a request carries, and false
// when the request carries no usable token. It runs after an
// authentication step of the caller's; it cannot say that the token could
// not be checked at all (an outage), so Middleware answers that 401 too:
// TokenMiddleware verifies tokens itself and answers outages 503.
type ScopeFunc func(*http.Request) (scope string, ok bool)

// Decision is what a Hook observes of one request.
type Decision struct {
	// Method is the method decided on: the request line's (Middleware), or
	// the one the proxy in front sent (AuthRequest).
	Method string
	// Target is the whole path of the original request target as it was
	// received: escaped, the query removed, the mount still there.
	Target string
	// Path is the path decided on: Target without the mount segments; ""
	// when the request was refused before they could be removed.
	Path string
	// NoToken is set when no usable token was found (answered 401);
	// TokenErr says why, when a token was there but failed verification.
	// A TokenErr that wraps ErrUnavailable is an outage (answered 503).
	NoToken  bool
	TokenErr error
	// ScopeErr is set when the token's scope does not parse, or is longer
	// than the gateway compiles (a *ScopeTooLongError, MaxScopeBytes);
	// such a scope grants nothing.
	ScopeErr error
	// Claims are the verified token's claims when the Tokens of
	// TokenMiddleware or AuthRequest are ClaimTokens (a JWT's payload, an
	// introspection answer's members), so that a hook can name the client
	// without a second verification; nil before a token has verified.
	// They are shared with the verifier's cache: read them, never change
	// them.
	Claims map[string]any
	// Refusal is why the request side denied the request whatever the
	// scope; Decided when it did not.
	Refusal Refusal
	// Other is, when Refusal is Conflict, the second source of the method
	// or target and the request it means, which the scope denies; the
	// embedded match.Decision is then that request's. When Refusal is
	// QueryToken, its Name is the query parameter.
	Other Source
	// Decision is the scope's decision. When the whole target is not
	// canonical, its Rule and Offset are those of Target.
	match.Decision

	// sources are the request's other sources (Sources), kept in the
	// Decision so that observing them allocates nothing.
	sources  [2 * MaxSources]Source
	nsources uint8
}

// Sources are the request's other sources of its method or target, each
// with the request it means (as Other): every method that a header or a
// query parameter gave besides the proxy's own (on the proxy's target),
// every target one gave (with the proxy's method), each once and named by
// the first source that gave it, and the source that may mean any method
// (a POST's body, a "_method" that does not decode; Method ""). They are
// what took part in the decision besides the proxy's own request, allowed
// or denied, at most 2*MaxSources-1 of them. They are there only for a
// hook, and only once the whole target was found canonical and its mount
// bound; the slice shares d's memory.
func (d *Decision) Sources() []Source { return d.sources[:d.nsources] }

// Why names the reason of the decision: "no-token" or "invalid-token"
// when there was no usable token, "unavailable" when the token could not
// be checked at all, the refusal when there is one, else the scope's
// reason ("granted", "read-only", "not-canonical" …).
func (d Decision) Why() string {
	switch {
	case d.NoToken && errors.Is(d.TokenErr, ErrUnavailable):
		return "unavailable"
	case d.NoToken && d.TokenErr != nil:
		return "invalid-token"
	case d.NoToken:
		return "no-token"
	case d.Refusal != Decided:
		return d.Refusal.String()
	}
	return d.Reason.String()
}

// Option configures Middleware, TokenMiddleware and AuthRequest.
type Option func(*config)

type config struct {
	unbound int
	tenants []func(*http.Request) (string, bool)
	// claim is TenantClaim's.
	claim string
	hook  func(*http.Request, Decision)
	// upgrades are the protocols that AllowUpgrade names.
	upgrades []string
	// maxScope is the longest scope compiled (MaxScopeBytes).
	maxScope    int
	maxScopeSet bool
}

// mountSegments is how many segments the mount removes.
func (c *config) mountSegments() int {
	if c.bound() {
		return 1
	}
	return c.unbound
}

// bound reports whether the mount's one segment is the token's tenant.
func (c *config) bound() bool { return len(c.tenants) > 0 || c.claim != "" }

// check panics on options that contradict each other: an unbound mount
// and a tenant binding; or that cannot be.
func (c *config) check() {
	if c.unbound < 0 {
		panic("gateway: UnsafeStripSegments needs n >= 0")
	}
	if c.bound() && c.unbound > 0 {
		panic("gateway: UnsafeStripSegments and a tenant binding (TenantSegment, TenantClaim) exclude each other")
	}
	checkUpgrades(c.upgrades)
	c.checkMaxScope()
}

// TenantSegment mounts the API under "/{tenant}" and binds that segment to
// the request's token: tenantOf returns the tenant of the request's token
// (after the authentication step, as ScopeFunc does). The first segment of
// the target must equal it byte for byte (case counts) and is removed
// before deciding: "/acme/config/x" is decided as "/config/x" for a token
// of tenant "acme". A request whose token has no tenant (false, or one
// that is not ValidTenant, such as "" or "%61cme") or another one, or
// whose target has nothing after the tenant's segment, is denied. A fixed
// tenant is a function that always returns it. Several bindings
// (TenantSegment given more than once, with TenantClaim) must all give the
// same tenant, or the request is denied: a gateway for one customer under
// an identity provider that serves several binds both the fixed tenant and
// the token's claim.
func TenantSegment(tenantOf func(*http.Request) (string, bool)) Option {
	return func(c *config) { c.tenants = append(c.tenants, tenantOf) }
}

// UnsafeStripSegments removes the first n segments of the target before
// deciding and binds none of them to the token, so that a token of one
// customer reaches every other customer's API: use it only when the
// upstream itself checks the segments, or serves one customer. The whole
// target must still be canonical, so each removed segment is an ordinary
// one; a target with n segments or fewer is denied. It and a tenant
// binding exclude each other (Middleware and AuthRequest panic).
func UnsafeStripSegments(n int) Option { return func(c *config) { c.unbound = n } }

// WithHook calls hook with every decision, for logs and metrics. Without a
// hook the allow path runs Matcher.Allow alone; with one it runs
// Matcher.Decide, which also makes no allocation.
func WithHook(hook func(*http.Request, Decision)) Option {
	return func(c *config) { c.hook = hook }
}

// Middleware returns a handler wrapper that passes a request on only when
// the token's scope allows it. It decides the raw request target
// (r.RequestURI, the query removed; its path in absolute form; never the
// URL that net/http re-encodes), all of which must be canonical, the
// mount (TenantSegment, UnsafeStripSegments) included; and, besides the
// request line, every header and query parameter that a proxy or framework
// reads as the method or the target (X-HTTP-Method-Override, "_method",
// X-Original-URL …, see the README): the request is allowed only when the
// scope allows every method and target they could mean, and a POST only
// when the scope allows its path for every method (a "_method" field in
// its body may change it). A request whose target's query carries a token
// ("access_token") or that asks to switch protocols (unless AllowUpgrade
// names the protocol) is denied. A request without a scope is answered 401
// with an invalid_token challenge; any other denial, 403 with an
// insufficient_scope challenge (RFC 6750 §3.1) that names, where it can
// be written, the item that would allow it. A request that net/http did
// not read from a connection (r.RequestURI is "") is denied. Matchers come
// from cache. Middleware panics on options that exclude each other, and
// on TenantClaim (a ScopeFunc has no claims: bind the tenant with
// TenantSegment, or verify tokens with TokenMiddleware).
func Middleware(cache *match.Cache, scopeOf ScopeFunc, opts ...Option) func(http.Handler) http.Handler {
	var c config
	for _, o := range opts {
		o(&c)
	}
	c.check()
	if c.claim != "" {
		panic("gateway: Middleware has no token claims for TenantClaim: use TenantSegment, or TokenMiddleware")
	}
	return func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			s, ok := scopeOf(r)
			if !ok {
				if c.hook != nil {
					c.hook(r, Decision{Method: r.Method, Target: targetPath(r.RequestURI), NoToken: true})
				}
				w.Header().Set("WWW-Authenticate", `Bearer error="invalid_token", error_description="no token scope"`)
				http.Error(w, "no token", http.StatusUnauthorized)
				return
			}
			rq := request{method: r.Method, target: r.RequestURI}
			c.bindTenants(r, nil, &rq)
			m, err := c.matcher(cache, s) // a nil matcher denies everything
			var d Decision
			c.decide(&d, m, r.Header, rq, c.hook != nil)
			if c.hook != nil {
				d.ScopeErr = err
				c.hook(r, d)
			}
			if d.Allowed {
				next.ServeHTTP(w, r)
				return
			}
			w.Header().Set("WWW-Authenticate", d.challenge())
			http.Error(w, "insufficient scope", http.StatusForbidden)
		})
	}
}

// TokenMiddleware is Middleware with the token check built in: it takes
// the bearer token of the one Authorization header, as AuthRequest does,
// verifies it with tokens (a JWT, an Introspection, or any Tokens), and
// decides the request as Middleware does. It answers 401 with an
// invalid_token challenge without a usable token (missing, more than one
// Authorization header, unverifiable, inactive), 503 without a challenge
// when the token could not be checked at all (its error wraps
// ErrUnavailable: no key set loaded, introspection unreachable), and 403
// as Middleware does. TenantClaim binds the mount to a claim of the token,
// and needs tokens that are ClaimTokens. It panics as AuthRequest does.
func TokenMiddleware(cache *match.Cache, tokens Tokens, opts ...Option) func(http.Handler) http.Handler {
	g := newGuard(cache, tokens, opts, true)
	return func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			g.serve(w, r, request{method: r.Method, target: r.RequestURI}, next)
		})
	}
}

// challenge is a denial's WWW-Authenticate value: it names a scope only
// for a request that the scope alone denied.
func (d Decision) challenge() string {
	if d.Refusal != Decided {
		return challenge("", "")
	}
	return challenge(d.Method, d.Path)
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
