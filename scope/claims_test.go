package gateway

import (
	"testing"

	"github.com/golang-jwt/jwt/v5"
)

func TestScopeClaim(t *testing.T) {
	tests := []struct {
		name    string
		claims  jwt.MapClaims
		want    string
		wantErr string
	}{
		{"scope", jwt.MapClaims{"scope": "*:a .:b"}, "*:a .:b", ""},
		{"empty scope", jwt.MapClaims{"scope": ""}, "", ""},
		{"scope wins over scp", jwt.MapClaims{"scope": "*:a", "scp": []any{".:b"}}, "*:a", ""},
		{"scp", jwt.MapClaims{"scp": []any{"*:a", ".:b"}}, "*:a .:b", ""},
		{"null scope, scp", jwt.MapClaims{"scope": nil, "scp": []any{"*:a"}}, "*:a", ""},
		{"scope not a string", jwt.MapClaims{"scope": []any{"*:a"}}, "", "JWT claim scope is not a string"},
		{"neither", jwt.MapClaims{"sub": "c1"}, "", "JWT has neither a scope nor an scp claim"},
		{"scp not an array", jwt.MapClaims{"scp": "*:a"}, "", "JWT claim scp is not an array of strings"},
		{"scp with a number", jwt.MapClaims{"scp": []any{"*:a", 1.0}}, "", "JWT claim scp holds a non-string"},
	}
	for _, tc := range tests {
		got, err := ScopeClaim(tc.claims)
		gotErr := ""
		if err != nil {
			gotErr = err.Error()
		}
		if got != tc.want || gotErr != tc.wantErr {
			t.Errorf("%s: ScopeClaim = %q, %q; want %q, %q", tc.name, got, gotErr, tc.want, tc.wantErr)
		}
	}
}
