package scope

import (
	"testing"
)

func TestFromClaims(t *testing.T) {
	tests := []struct {
		name    string
		claims  map[string]any
		want    string
		wantErr string
	}{
		{"scope", map[string]any{"scope": "*:a .:b"}, "*:a .:b", ""},
		{"empty scope", map[string]any{"scope": ""}, "", ""},
		{"scope wins over scp", map[string]any{"scope": "*:a", "scp": []any{".:b"}}, "*:a", ""},
		{"scp", map[string]any{"scp": []any{"*:a", ".:b"}}, "*:a .:b", ""},
		{"null scope, scp", map[string]any{"scope": nil, "scp": []any{"*:a"}}, "*:a", ""},
		{"scope not a string", map[string]any{"scope": []any{"*:a"}}, "", "JWT claim scope is not a string"},
		{"neither", map[string]any{"sub": "c1"}, "", "JWT has neither a scope nor an scp claim"},
		{"scp not an array", map[string]any{"scp": "*:a"}, "", "JWT claim scp is not an array of strings"},
		{"scp with a number", map[string]any{"scp": []any{"*:a", 1.0}}, "", "JWT claim scp holds a non-string"},
	}
	for _, tc := range tests {
		got, err := FromClaims(tc.claims)
		gotErr := ""
		if err != nil {
			gotErr = err.Error()
		}
		if got != tc.want || gotErr != tc.wantErr {
			t.Errorf("%s: FromClaims = %q, %q; want %q, %q", tc.name, got, gotErr, tc.want, tc.wantErr)
		}
	}
}
