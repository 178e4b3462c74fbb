package gateway

import (
	"errors"
	"net/http"

	"github.com/scopecheck/scopecheck/match"
)

// guard decides requests with a token verifier: the common part of
// AuthRequest and TokenMiddleware.
type guard struct {
	config
	cache  *match.Cache
	tokens Tokens
	claims ClaimTokens // tokens, when they have claims (TenantClaim, Decision.Claims)
	text   bool        // answer denials with a text body, as Middleware does
}

// newGuard applies the options, and panics on options that exclude each
// other and on TenantClaim with tokens that are not ClaimTokens.
func newGuard(cache *match.Cache, tokens Tokens, opts []Option, text bool) *guard {
	g := &guard{cache: cache, tokens: tokens, text: text}
	for _, o := range opts {
		o(&g.config)
	}
	g.check()
	g.claims, _ = tokens.(ClaimTokens)
	if g.claim != "" && g.claims == nil {
		panic("gateway: TenantClaim needs Tokens that are ClaimTokens")
	}
	return g
}

// serve verifies the bearer token of r and decides rq with its scope. An
// allowed request goes to next, or, when next is nil, is answered 200. A
// denied one is answered 401 without a usable token, 503 when the token
// could not be checked at all (ErrUnavailable), and 403 otherwise.
func (g *guard) serve(w http.ResponseWriter, r *http.Request, rq request, next http.Handler) {
	token, ok := bearer(r)
	if !ok {
		g.deny(w, r, Decision{Method: rq.method, Target: targetPath(rq.target), NoToken: true}, http.StatusUnauthorized)
		return
	}
	var (
		s      string
		claims map[string]any
		err    error
	)
	if g.claims != nil {
		s, claims, err = g.claims.Claims(r.Context(), token)
	} else {
		s, err = g.tokens.Scope(r.Context(), token)
	}
	if err != nil {
		status := http.StatusUnauthorized
		if errors.Is(err, ErrUnavailable) {
			status = http.StatusServiceUnavailable // an outage, not a bad token
		}
		g.deny(w, r, Decision{Method: rq.method, Target: targetPath(rq.target), NoToken: true, TokenErr: err}, status)
		return
	}
	g.bindTenants(r, claims, &rq)
	m, scopeErr := g.matcher(g.cache, s)
	var d Decision
	g.decide(&d, m, r.Header, rq, g.hook != nil)
	if g.hook != nil {
		d.ScopeErr, d.Claims = scopeErr, claims
		g.hook(r, d)
	}
	switch {
	case !d.Allowed:
		w.Header().Set("WWW-Authenticate", d.challenge())
		g.answer(w, http.StatusForbidden, "insufficient scope")
	case next != nil:
		next.ServeHTTP(w, r)
	default:
		w.WriteHeader(http.StatusOK)
	}
}

// deny answers a request that is refused before any scope is consulted.
func (g *guard) deny(w http.ResponseWriter, r *http.Request, d Decision, status int) {
	if g.hook != nil {
		g.hook(r, d)
	}
	text := "token verification is unavailable"
	if status == http.StatusUnauthorized {
		w.Header().Set("WWW-Authenticate", `Bearer error="invalid_token"`)
		text = "no usable token"
	}
	g.answer(w, status, text)
}

// answer writes a denial's status, and its text where the guard has one.
func (g *guard) answer(w http.ResponseWriter, status int, text string) {
	if g.text {
		http.Error(w, text, status)
		return
	}
	w.WriteHeader(status)
}
