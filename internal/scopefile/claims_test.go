package scopefile

import (
	"encoding/json"
	"slices"
	"testing"

	"pgregory.net/rapid"

	"github.com/scopecheck/scopecheck/internal/scopegen"
	"github.com/scopecheck/scopecheck/scope"
)

// One rule for a JWT's scope: whatever scope scope.FromClaims gives a
// token's claims (what a gateway decides with) is one of the scopes lint
// reads from that token, so a review never misses the scope a gateway
// grants. Lint reads both claims; the gateway takes scope, else scp.
func TestJWTScopesCoverTheGatewayRule(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		claims := map[string]any{"sub": "client-1"}
		text := scopegen.String(3, 4)
		switch rapid.IntRange(0, 3).Draw(t, "scope claim") {
		case 1:
			claims["scope"] = text.Draw(t, "scope")
		case 2:
			claims["scope"] = nil
		case 3:
			claims["scope"] = []any{text.Draw(t, "scope in an array")}
		}
		switch rapid.IntRange(0, 3).Draw(t, "scp claim") {
		case 1:
			var items []any
			for _, s := range rapid.SliceOfN(text, 0, 3).Draw(t, "scp") {
				items = append(items, s)
			}
			claims["scp"] = items
		case 2:
			claims["scp"] = "*:**"
		case 3:
			claims["scp"] = []any{"*:a", 7.0}
		}
		payload, err := json.Marshal(claims)
		if err != nil {
			t.Fatal(err)
		}
		// The claims as the gateway's JWT parser decodes them.
		var decoded map[string]any
		if err := json.Unmarshal(payload, &decoded); err != nil {
			t.Fatal(err)
		}
		want, err := scope.FromClaims(decoded)
		if err != nil {
			return // the gateway refuses the token: no scope to miss
		}
		in, err := Read([]byte(jwtOf(string(payload))))
		if err != nil {
			t.Fatalf("Read: %v", err)
		}
		if !slices.ContainsFunc(in.Scopes, func(s Scope) bool { return s.Text == want }) {
			t.Fatalf("claims %s: the gateway decides with %q, lint read %v", payload, want, in.Scopes)
		}
	})
}
