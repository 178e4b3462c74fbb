package gateway

import (
	"context"
	"errors"
)

// Tokens turns a bearer token into the scope it carries, after verifying
// it. An error means the token is not to be trusted, and no request made
// with it is allowed. An error that wraps ErrUnavailable says that the
// token could not be checked at all; any other says the token is bad.
// Package gateway/token has verifiers of JWTs and of opaque tokens by
// introspection.
type Tokens interface {
	Scope(ctx context.Context, token string) (string, error)
}

// ClaimTokens is a Tokens that also returns a verified token's claims, so
// that the mount can be bound to one of them (TenantClaim).
type ClaimTokens interface {
	Tokens
	// Claims verifies the token as Scope does and returns its scope and
	// its claims (a JWT's payload, an introspection answer's members). An
	// error means the token is not to be trusted.
	Claims(ctx context.Context, token string) (scope string, claims map[string]any, err error)
}

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
