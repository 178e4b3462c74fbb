package scopefile

import (
	"encoding/base64"
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"unicode/utf16"
	"unicode/utf8"

	"github.com/google/go-cmp/cmp"
	"pgregory.net/rapid"
)

type found struct {
	Text, Where string
	Form        Form
	Start, End  Pos
	Unverified  bool
}

func summarize(ss []Scope) []found {
	var out []found
	for _, s := range ss {
		out = append(out, found{s.Text, s.Where, s.Form, s.At(0), s.At(len(s.Text)), s.Unverified})
	}
	return out
}

func jwtOf(payload string) string {
	enc := base64.RawURLEncoding.EncodeToString
	return enc([]byte(`{"alg":"RS256","typ":"JWT"}`)) + "." + enc([]byte(payload)) + ".c2lnbmF0dXJl"
}

func TestRead(t *testing.T) {
	tests := []struct {
		name, in string
		want     []found
	}{
		{"policy", "{\n  \"name\": \"ops\",\n  \"allowedScopes\": [\"*:webhooks/**\", \".:config/**\"]\n}\n", []found{
			{"*:webhooks/**", "allowedScopes[0]", Policy, Pos{3, 22}, Pos{3, 35}, false},
			{".:config/**", "allowedScopes[1]", Policy, Pos{3, 39}, Pos{3, 50}, false},
		}},
		{"policies", `[{"allowedScopes": ["*:a"]}, {"allowedScopes": [".:b", ".:c"]}]`, []found{
			{"*:a", "[0].allowedScopes[0]", Policy, Pos{1, 22}, Pos{1, 25}, false},
			{".:b", "[1].allowedScopes[0]", Policy, Pos{1, 50}, Pos{1, 53}, false},
			{".:c", "[1].allowedScopes[1]", Policy, Pos{1, 57}, Pos{1, 60}, false},
		}},
		{"escapes keep positions", `{"allowedScopes": ["\u002a:a\/b"]}`, []found{
			{"*:a/b", "allowedScopes[0]", Policy, Pos{1, 21}, Pos{1, 32}, false},
		}},
		{"token answer", `{"access_token": "z7S4", "expires_in": 3600, "token_type": "Bearer", "scope": "*:config/**"}`, []found{
			{"*:config/**", "scope", TokenAnswer, Pos{1, 80}, Pos{1, 91}, false},
		}},
		{"token answer, expires_in string", `{"access_token": "z", "expires_in": "3599", "scope": "openid"}`, []found{
			{"openid", "scope", TokenAnswer, Pos{1, 55}, Pos{1, 61}, false},
		}},
		{"introspection", `{"active": true, "scope": ".:x"}`, []found{{".:x", "scope", Introspection, Pos{1, 28}, Pos{1, 31}, false}}},
		{"inactive token", `{"active": false}`, nil},
		{"jwt scope", "\n  " + jwtOf(`{"sub":"c1","scope":"*:a .:b"}`) + "\n", []found{{"*:a .:b", "JWT payload", JWT, Pos{2, 3}, Pos{2, 3}, true}}},
		{"jwt scp", jwtOf(`{"scp":["*:a",".:b"]}`), []found{{"*:a .:b", "JWT payload", JWT, Pos{1, 1}, Pos{1, 1}, true}}},
		{"text", "# policies under review\n*:config/**\n\n   \n  .:x  \r\n*:y # the y API\nx#y\n   # indented comment\n", []found{
			{"*:config/**", "line 2", Text, Pos{2, 1}, Pos{2, 12}, false},
			{"  .:x  ", "line 5", Text, Pos{5, 1}, Pos{5, 8}, false},
			{"*:y", "line 6", Text, Pos{6, 1}, Pos{6, 4}, false},
			{"x#y", "line 7", Text, Pos{7, 1}, Pos{7, 4}, false},
		}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := Read([]byte(tc.in))
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tc.want, summarize(got)); diff != "" {
				t.Errorf("Read (-want +got):\n%s", diff)
			}
		})
	}
}

func TestReadErrors(t *testing.T) {
	tests := []struct{ name, in, want string }{
		{"unquoted scope", "{\n  \"allowedScopes\": [*:webhooks/]\n}", "2:21: invalid JSON: invalid character '*' looking for beginning of value"},
		{"truncated", `{"allowedScopes": ["*:a"`, "1:25: invalid JSON: unexpected end of JSON input"},
		{"not a scope", `{"allowedScopes": [3]}`, "1:1: allowedScopes[0] is not a string"},
		{"no known shape", `{"hello": 1}`, "1:1: JSON is neither a token policy (allowedScopes), a token answer (access_token) nor an introspection answer (active)"},
		{"bad expires_in", `{"access_token": "z", "expires_in": "soon", "scope": "x"}`, "1:1: expires_in is neither a number nor a numeric string"},
		{"jwt without scope", jwtOf(`{"sub":"c1"}`), "1:1: JWT has neither a scope nor an scp claim"},
		{"jwt garbage", "abc.def.ghi", "1:1: JWT does not decode: token is malformed: could not JSON decode header: invalid character 'i' looking for beginning of value"},
		{"two documents", `{"active": false} {}`, "1:20: invalid JSON: more than one value"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := Read([]byte(tc.in))
			if err == nil || err.Error() != tc.want || got != nil {
				t.Errorf("Read = %v, %v; want error %q", got, err, tc.want)
			}
		})
	}
}

func TestAtClamps(t *testing.T) {
	got, _ := Read([]byte("*:a\n"))
	if got[0].At(-1) != (Pos{1, 1}) || got[0].At(99) != (Pos{1, 4}) {
		t.Error("At does not clamp")
	}
}

// The positions decoder reads a JSON string as encoding/json does, for
// every escape json.Marshal writes (\u003c, \u2028, \n, \" ...) and for
// hand-written \u escapes of any character, surrogate pairs included.
func TestDecodeStringAgreesWithJSON(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		text := rapid.StringOf(rapid.Rune()).Draw(t, "text")
		enc, err := json.Marshal(text)
		if err != nil {
			t.Fatal(err)
		}
		var u strings.Builder
		u.WriteByte('"')
		for _, r := range text {
			if r1, r2 := utf16.EncodeRune(r); r1 != utf8.RuneError {
				fmt.Fprintf(&u, `\u%04x\u%04X`, r1, r2)
			} else {
				fmt.Fprintf(&u, `\u%04x`, r)
			}
		}
		u.WriteByte('"')
		for _, lit := range []string{string(enc), u.String()} {
			var want string
			if err := json.Unmarshal([]byte(lit), &want); err != nil {
				t.Fatalf("%s: %v", lit, err)
			}
			got, err := Read([]byte(`{"allowedScopes": [` + lit + `]}`))
			if err != nil {
				t.Fatalf("%s: %v", lit, err)
			}
			if len(got) != 1 || got[0].Text != want {
				t.Fatalf("Read of %s = %+v, encoding/json says %q", lit, got, want)
			}
		}
	})
}
