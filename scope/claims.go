package scope

import (
	"errors"
	"strings"
)

// FromClaims returns the scope string that a JWT access token's claims
// carry: the "scope" claim, a space-separated string (RFC 9068 §2.2.3),
// or, when there is none (absent or null), the "scp" claim, an array of
// strings that it joins with SP, as some issuers send it. Any other shape
// is an error that names the claim; nothing is guessed. It is the one
// rule: gateway/token decides with it, and lint, which reads both claims
// unverified, reports a token whose two claims disagree.
func FromClaims(claims map[string]any) (string, error) {
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
