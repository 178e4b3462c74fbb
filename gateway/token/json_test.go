package token

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestDecodeObject(t *testing.T) {
	tests := []struct {
		name, in string
		want     map[string]any
		wantErr  string
	}{
		{"object", `{"active": true, "scope": ".:a", "exp": 1700000000, "aud": ["x", "y"], "n": null}`,
			map[string]any{"active": true, "scope": ".:a", "exp": json.Number("1700000000"), "aud": []any{"x", "y"}, "n": nil}, ""},
		{"white space after", "{\"active\": false}\n\t ", map[string]any{"active": false}, ""},
		{"nested", `{"a": {"b": [{"c": 1}]}}`, map[string]any{"a": map[string]any{"b": []any{map[string]any{"c": json.Number("1")}}}}, ""},
		{"empty array", `{"a": []}`, map[string]any{"a": []any{}}, ""},
		{"trailing garbage", `{"active": true}x`, nil, "JSON has more after the object"},
		{"second object", `{"active": false}{"active": true}`, nil, "JSON has more after the object"},
		{"duplicate member", `{"active": false, "active": true}`, nil, `JSON names member "active" twice`},
		{"duplicate nested", `{"a": {"scope": "x", "scope": "*:**"}}`, nil, `JSON names member "scope" twice`},
		{"not an object", `[{"active": true}]`, nil, "JSON is not an object"},
		{"string", `"active"`, nil, "JSON is not an object"},
		{"truncated", `{"active": true`, nil, "JSON: "},
		{"empty", ``, nil, "JSON: EOF"},
		{"bad UTF-8", "{\"scope\": \"\xff\"}", nil, "JSON is not valid UTF-8"},
		{"too deep", `{"a":` + strings.Repeat("[", 40) + strings.Repeat("]", 40) + `}`, nil, "JSON nests deeper than 32"},
	}
	for _, tc := range tests {
		got, err := decodeObject([]byte(tc.in))
		gotErr := ""
		if err != nil {
			gotErr = err.Error()
		}
		if !strings.HasPrefix(gotErr, tc.wantErr) || (tc.wantErr == "") != (err == nil) {
			t.Errorf("%s: error %q, want %q", tc.name, gotErr, tc.wantErr)
		}
		if diff := cmp.Diff(tc.want, got); diff != "" {
			t.Errorf("%s (-want +got):\n%s", tc.name, diff)
		}
	}
}
