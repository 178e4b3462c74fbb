// Package token verifies bearer tokens for package gateway: JWT access
// tokens against a JSON Web Key Set (a fixed document, a file read again
// when it changes, or a URL fetched again in the background), and opaque
// tokens by RFC 7662 introspection. Both are gateway.ClaimTokens, so they
// plug into gateway.TokenMiddleware and gateway.AuthRequest as they are,
// with gateway.TenantClaim; both are gateway.Readier, for a readiness
// probe, and both cache what they verified in a cache bounded in bytes.
//
// An error that wraps gateway.ErrUnavailable says that a token could not
// be checked at all (an outage, 503); any other says the token is bad
// (401), and Cause names why, for logs and metrics. Close ends a
// verifier's background work.
package token
