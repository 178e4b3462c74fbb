package token

import (
	"errors"

	"github.com/golang-jwt/jwt/v5"

	"github.com/scopecheck/scopecheck/gateway"
)

// Causes of a refused token, as Cause names them.
const (
	CauseUnavailable = "unavailable"   // the token could not be checked at all (gateway.ErrUnavailable)
	CauseMalformed   = "malformed"     // not a JWT: its parts, header or claims do not decode, or a kid or signature of the wrong shape
	CauseUnknownKey  = "unknown-key"   // no key of the set fits its kid and algorithm
	CauseSignature   = "signature"     // the signature does not verify, or its algorithm is not an asymmetric one
	CauseExpired     = "expired"       // exp has passed, or is missing
	CauseNotYetValid = "not-yet-valid" // nbf (or iat) has not come
	CauseIssuer      = "issuer"        // iss is not the issuer configured
	CauseAudience    = "audience"      // aud does not hold the audience configured
	CauseNoScope     = "no-scope"      // no scope or scp claim of the right shape
	CauseInactive    = "inactive"      // introspection says the token is not active
	CauseTokenType   = "token-type"    // introspection's token_type is not Bearer
	CauseInvalid     = "invalid"       // any other refusal
)

// refusal is a token's error with the cause it is counted under.
type refusal struct {
	cause string
	err   error
}

func (r *refusal) Error() string { return r.err.Error() }
func (r *refusal) Unwrap() error { return r.err }

// refuse gives err a cause.
func refuse(cause string, err error) error { return &refusal{cause, err} }

// Cause names why a token verifier of this package refused a token, or
// could not check it, for logs and metrics: one of the Cause constants.
// It is CauseUnavailable for an error that wraps gateway.ErrUnavailable,
// "" for nil, and CauseInvalid for an error it does not know.
func Cause(err error) string {
	var r *refusal
	switch {
	case err == nil:
		return ""
	case errors.Is(err, gateway.ErrUnavailable):
		return CauseUnavailable
	case errors.As(err, &r):
		return r.cause
	case errors.Is(err, ErrInactive):
		return CauseInactive
	case errors.Is(err, jwt.ErrTokenMalformed):
		return CauseMalformed
	case errors.Is(err, jwt.ErrTokenSignatureInvalid):
		return CauseSignature
	case errors.Is(err, jwt.ErrTokenExpired), errors.Is(err, jwt.ErrTokenRequiredClaimMissing):
		return CauseExpired
	case errors.Is(err, jwt.ErrTokenNotValidYet), errors.Is(err, jwt.ErrTokenUsedBeforeIssued):
		return CauseNotYetValid
	case errors.Is(err, jwt.ErrTokenInvalidIssuer):
		return CauseIssuer
	case errors.Is(err, jwt.ErrTokenInvalidAudience):
		return CauseAudience
	}
	return CauseInvalid
}
