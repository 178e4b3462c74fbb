package gateway

import (
	"fmt"
	"strconv"

	"github.com/scopecheck/scopecheck/match"
)

// DefaultMaxScopeBytes is the longest scope a gateway compiles unless
// MaxScopeBytes says otherwise: room for a few hundred items, far more
// than a token's scope holds, and far less than the headers a server
// accepts (serve takes 64 KiB of them).
//
// A request's work grows with the part of its scope that its path
// reaches (match: O(len(path) × (p + m/64)) word operations, for p
// passes over the path, fewer than 8 × (√(2·len(scope)) + 1), and m bytes
// of tails): with the scope bounded, the work per byte of an attacker's
// path is bounded too. At 16 KiB that is at most some 1,500 passes and
// 256 words a byte, whatever the token's issuer put in its scope.
const DefaultMaxScopeBytes = 16 << 10

// MaxScopeBytes sets the longest scope, in bytes, that Middleware,
// TokenMiddleware and AuthRequest compile (DefaultMaxScopeBytes when not
// given). A token whose scope is longer grants nothing: its requests are
// denied (403) with reason "no-match", and the Decision's ScopeErr is a
// *ScopeTooLongError. They panic on n < 1.
func MaxScopeBytes(n int) Option {
	return func(c *config) { c.maxScope, c.maxScopeSet = n, true }
}

// ScopeTooLongError is the ScopeErr of a Decision whose token's scope is
// longer than the gateway compiles (MaxScopeBytes).
type ScopeTooLongError struct {
	Len, Max int // the scope's length, the bound, in bytes
}

func (e *ScopeTooLongError) Error() string {
	return "gateway: the token's scope is " + strconv.Itoa(e.Len) + " bytes long, longer than the " + strconv.Itoa(e.Max) + " this gateway compiles"
}

// matcher is the matcher of scope s from cache, or, when s is longer than
// the gateway compiles, nil (which denies everything) and why.
func (c *config) matcher(cache *match.Cache, s string) (*match.Matcher, error) {
	if len(s) > c.maxScope {
		return nil, &ScopeTooLongError{Len: len(s), Max: c.maxScope}
	}
	return cache.Get(s)
}

// checkMaxScope sets the default bound when none was given, and panics on
// one that cannot be.
func (c *config) checkMaxScope() {
	switch {
	case !c.maxScopeSet:
		c.maxScope = DefaultMaxScopeBytes
	case c.maxScope < 1:
		panic(fmt.Sprintf("gateway: MaxScopeBytes needs n >= 1, not %d", c.maxScope))
	}
}
