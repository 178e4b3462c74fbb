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

	"github.com/scopecheck/scopecheck/scope"
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
			{"*:webhooks/**", "/allowedScopes/0", Policy, Pos{3, 22}, Pos{3, 35}, false},
			{".:config/**", "/allowedScopes/1", Policy, Pos{3, 39}, Pos{3, 50}, false},
		}},
		{"policies", `[{"allowedScopes": ["*:a"]}, {"allowedScopes": [".:b", ".:c"]}]`, []found{
			{"*:a", "/0/allowedScopes/0", Policy, Pos{1, 22}, Pos{1, 25}, false},
			{".:b", "/1/allowedScopes/0", Policy, Pos{1, 50}, Pos{1, 53}, false},
			{".:c", "/1/allowedScopes/1", Policy, Pos{1, 57}, Pos{1, 60}, false},
		}},
		{"escapes keep positions", `{"allowedScopes": ["\u002a:a\/b"]}`, []found{
			{"*:a/b", "/allowedScopes/0", Policy, Pos{1, 21}, Pos{1, 32}, false},
		}},
		{"token answer", `{"access_token": "z7S4", "expires_in": 3600, "token_type": "Bearer", "scope": "*:config/**"}`, []found{
			{"*:config/**", "/scope", TokenAnswer, Pos{1, 80}, Pos{1, 91}, false},
		}},
		{"token answer, expires_in string", `{"access_token": "z", "expires_in": "3599", "scope": "openid"}`, []found{
			{"openid", "/scope", TokenAnswer, Pos{1, 55}, Pos{1, 61}, false},
		}},
		{"introspection", `{"active": true, "scope": ".:x"}`, []found{{".:x", "/scope", Introspection, Pos{1, 28}, Pos{1, 31}, false}}},
		{"inactive token", `{"active": false}`, nil},
		{"key that looks like an index", `{"allowedScopes":["*:**"],"allowedScopes[0]":"openid"}`, []found{
			{"*:**", "/allowedScopes/0", Policy, Pos{1, 20}, Pos{1, 24}, false},
		}},
		{"jwt scope", "\n  " + jwtOf(`{"sub":"c1","scope":"*:a .:b"}`) + "\n", []found{{"*:a .:b", "JWT payload", JWT, Pos{2, 3}, Pos{2, 3}, true}}},
		{"jwt scp", jwtOf(`{"scp":["*:a",".:b"]}`), []found{{"*:a .:b", "JWT payload", JWT, Pos{1, 1}, Pos{1, 1}, true}}},
		{"text", "# policies under review\n*:config/**\n\n   \n  .:x  \r\n*:y # the y API\nx#y\n   # indented comment\n", []found{
			{"*:config/**", "line 2", Text, Pos{2, 1}, Pos{2, 12}, false},
			{"  .:x  ", "line 5", Text, Pos{5, 1}, Pos{5, 8}, false},
			{"*:y", "line 6", Text, Pos{6, 1}, Pos{6, 4}, false},
			{"x#y", "line 7", Text, Pos{7, 1}, Pos{7, 4}, false},
		}},
		{"a dotted plain item is no JWT", "a.b.c\neyewear.orders.read\n", []found{
			{"a.b.c", "line 1", Text, Pos{1, 1}, Pos{1, 6}, false},
			{"eyewear.orders.read", "line 2", Text, Pos{2, 1}, Pos{2, 20}, false},
		}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := Read([]byte(tc.in))
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tc.want, summarize(got.Scopes)); diff != "" {
				t.Errorf("Read (-want +got):\n%s", diff)
			}
		})
	}
}

type note struct {
	Code     scope.Code
	Severity scope.Severity
	Pos      Pos
	Message  string
}

func notes(fs []Finding) []note {
	var out []note
	for _, f := range fs {
		out = append(out, note{f.Code, f.Severity, f.Pos, f.Message})
	}
	return out
}

// Findings about the input itself, each at the position it concerns;
// reading goes on after each.
func TestReadFindings(t *testing.T) {
	bearerJWT := jwtOf(`{"scope":"*:config/**"}`)
	tests := []struct {
		name, in string
		scopes   []string
		want     []note
	}{
		{"duplicate key: both copies read", `{"allowedScopes": ["*:a"], "allowedScopes": ["*:**"]}`, []string{"*:a", "*:**"}, []note{
			{DuplicateKey, scope.SeverityError, Pos{1, 28}, `duplicate key "allowedScopes" (first at 1:2): servers disagree on which one wins, so each is linted`},
		}},
		{"duplicate key by escape", `{"scope": "a", "access_token": "z", "\u0073cope": "*:**"}`, []string{"a", "*:**"}, []note{
			{DuplicateKey, scope.SeverityError, Pos{1, 37}, `duplicate key "scope" (first at 1:2): servers disagree on which one wins, so each is linted`},
		}},
		{"not a string, in an array", `{"allowedScopes": ["*:a", 3, ".:b"]}`, []string{"*:a", ".:b"}, []note{
			{WrongType, scope.SeverityError, Pos{1, 27}, "/allowedScopes/1 (a scope) is not a string"},
		}},
		{"a policy in an array that is not one", "[\n  {\"allowedScopes\": [\"*:a\"]},\n  7,\n  {\"name\": \"x\"}\n]", []string{"*:a"}, []note{
			{WrongType, scope.SeverityError, Pos{3, 3}, "/1 is not a token policy object"},
			{UnknownForm, scope.SeverityError, Pos{4, 3}, "/2 is not a token policy: it has no allowedScopes"},
		}},
		{"allowedScopes not an array", `{"allowedScopes": "*:a"}`, nil, []note{
			{WrongType, scope.SeverityError, Pos{1, 19}, "/allowedScopes is not an array of scope strings"},
		}},
		{"token answer without scope", `{"access_token": "z7S4", "token_type": "Bearer", "expires_in": 3599}`, nil, []note{
			{NoScope, scope.SeverityInfo, Pos{1, 1}, "the token answer has no scope: the server granted the scope the client asked for, or, when it asked for none, the client's default scope (RFC 6749 §5.1); nothing here says what that is"},
		}},
		{"bad expires_in", `{"access_token": "z", "expires_in": "soon", "scope": "x"}`, []string{"x"}, []note{
			{WrongType, scope.SeverityError, Pos{1, 37}, "/expires_in is neither a number nor a numeric string"},
		}},
		{"scope not a string", `{"access_token": "z", "scope": ["*:a"]}`, nil, []note{
			{WrongType, scope.SeverityError, Pos{1, 32}, "/scope (the granted scope) is not a string"},
		}},
		{"active without scope", `{"active": true}`, nil, []note{
			{NoScope, scope.SeverityInfo, Pos{1, 1}, "the introspection answer has no scope: what the token grants is not said here"},
		}},
		{"jwt without scope", jwtOf(`{"sub":"c1"}`), nil, []note{
			{UnknownForm, scope.SeverityError, Pos{1, 1}, "JWT has neither a scope nor an scp claim"},
		}},
		{"jwt garbage", "eyJhbGc.def.ghi", nil, []note{
			{Malformed, scope.SeverityError, Pos{1, 1}, "JWT does not decode: token is malformed: could not JSON decode header: unexpected end of JSON input"},
		}},
		{"bearer", "Bearer " + bearerJWT, []string{"*:config/**"}, []note{
			{UnverifiedJWT, scope.SeverityInfo, Pos{1, 8}, "scopes read from a JWT payload; its signature is not verified here"},
		}},
		{"authorization header", "# pasted from a request\n  authorization: bearer " + bearerJWT + "\n", []string{"*:config/**"}, []note{
			{UnverifiedJWT, scope.SeverityInfo, Pos{2, 25}, "scopes read from a JWT payload; its signature is not verified here"},
		}},
		{"opaque bearer", "Authorization: Bearer z7S4abc", nil, []note{
			{UnknownForm, scope.SeverityError, Pos{1, 23}, "a Bearer token that is not a JWT holds no scope that can be read here; ask its issuer (RFC 7662 introspection)"},
		}},
		{"form field", "grant_type=client_credentials&scope=*%3Aconfig%2F**+openid\n", []string{"*:config/** openid"}, []note{
			{PastedForm, scope.SeverityWarning, Pos{1, 1}, `the line is a form field (scope=…), not a scope as a server reads it; the scope it holds is probably "*:config/** openid", which is what is linted`},
		}},
		{"shell quotes", "'*:config/**'\n\"*:a .:b\"\n", []string{"*:config/**", "*:a .:b"}, []note{
			{PastedForm, scope.SeverityWarning, Pos{1, 1}, `the line is in shell quotes, not a scope as a server reads it; the scope it holds is probably "*:config/**", which is what is linted`},
			{PastedForm, scope.SeverityWarning, Pos{2, 1}, `the line is in shell quotes, not a scope as a server reads it; the scope it holds is probably "*:a .:b", which is what is linted`},
		}},
		{"url-encoded", "%2A%3Aconfig%2F%2A%2A\n", []string{"*:config/**"}, []note{
			{PastedForm, scope.SeverityWarning, Pos{1, 1}, `the line is URL-encoded, not a scope as a server reads it; the scope it holds is probably "*:config/**", which is what is linted`},
		}},
		{"quoted form field", "'scope=*:**'", []string{"*:**"}, []note{
			{PastedForm, scope.SeverityWarning, Pos{1, 1}, `the line is in shell quotes, a form field (scope=…), not a scope as a server reads it; the scope it holds is probably "*:**", which is what is linted`},
		}},
		{"escapes in a pattern are no pasting", "*:a/%C3%A9 openid\n", []string{"*:a/%C3%A9 openid"}, nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := Read([]byte(tc.in))
			if err != nil {
				t.Fatal(err)
			}
			var texts []string
			for _, s := range got.Scopes {
				texts = append(texts, s.Text)
			}
			if diff := cmp.Diff(tc.scopes, texts); diff != "" {
				t.Errorf("scopes (-want +got):\n%s", diff)
			}
			if diff := cmp.Diff(tc.want, notes(got.Findings)); diff != "" {
				t.Errorf("findings (-want +got):\n%s", diff)
			}
		})
	}
}

// An unwrapped scope keeps, for each byte, the position of what it was
// decoded from.
func TestPastedFormPositions(t *testing.T) {
	got, _ := Read([]byte("x\n 'scope=%2A%3Aa'"))
	s := got.Scopes[1]
	var at []Pos
	for i := 0; i <= len(s.Text); i++ {
		at = append(at, s.At(i))
	}
	want := []Pos{{2, 9}, {2, 12}, {2, 15}, {2, 16}} // %2A, %3A, a, then the closing quote
	if s.Text != "*:a" || !cmp.Equal(want, at) {
		t.Errorf("%q at %v, want *:a at %v", s.Text, at, want)
	}
}

func TestFromString(t *testing.T) {
	for _, tc := range []struct {
		in, text string
		codes    []scope.Code
	}{
		{"*:a  .:b", "*:a  .:b", nil},
		{"", "", nil},
		{"'*:a'", "*:a", []scope.Code{PastedForm}},
		{"Bearer " + jwtOf(`{"scope":".:x"}`), ".:x", []scope.Code{UnverifiedJWT}},
		{"*:a # not a comment", "*:a # not a comment", nil},
	} {
		in := FromString(tc.in)
		var codes []scope.Code
		for _, f := range in.Findings {
			codes = append(codes, f.Code)
		}
		if len(in.Scopes) != 1 || in.Scopes[0].Text != tc.text || !cmp.Equal(tc.codes, codes) || in.Scopes[0].At(0).Line != 1 {
			t.Errorf("FromString(%q) = %+v", tc.in, in)
		}
	}
}

func TestReadErrors(t *testing.T) {
	tests := []struct {
		name, in string
		code     scope.Code
		want     string
	}{
		{"unquoted scope", "{\n  \"allowedScopes\": [*:webhooks/]\n}", Malformed, "2:21: invalid JSON at /allowedScopes/0: invalid character '*' at start of value"},
		{"truncated", `{"allowedScopes": ["*:a"`, Malformed, "1:25: invalid JSON at /allowedScopes: unexpected EOF"},
		{"lone surrogate", `{"allowedScopes": ["\ud83d"]}`, Malformed, "1:21: invalid JSON at /allowedScopes/0: invalid surrogate pair `\\ud83d\"]}` in string"},
		{"no known shape", `{"hello": 1}`, UnknownForm, "1:1: JSON is neither a token policy (allowedScopes), a token answer (access_token) nor an introspection answer (active)"},
		{"two documents", `{"active": false} {}`, Malformed, "1:19: invalid JSON: more than one value (a second begins here)"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := Read([]byte(tc.in))
			f, ok := err.(*Finding)
			if !ok || err.Error() != tc.want || f.Code != tc.code || got.Scopes != nil {
				t.Errorf("Read = %v, %v; want %s %q", got, err, tc.code, tc.want)
			}
		})
	}
}

func TestAtClamps(t *testing.T) {
	got, _ := Read([]byte("*:a\n"))
	if got.Scopes[0].At(-1) != (Pos{1, 1}) || got.Scopes[0].At(99) != (Pos{1, 4}) {
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
			doc := `{"allowedScopes": [` + lit + `]}`
			in, err := Read([]byte(doc))
			if err != nil {
				t.Fatalf("%s: %v", lit, err)
			}
			got := in.Scopes
			if len(got) != 1 || got[0].Text != want {
				t.Fatalf("Read of %s = %+v, encoding/json says %q", lit, got, want)
			}
			// Each byte points into the literal, in order.
			for i, prev := 0, 0; i < len(want); i++ {
				col := got[0].At(i).Column
				if col < 21 || col >= 20+len(lit) || col < prev {
					t.Fatalf("byte %d of %s is at column %d", i, lit, col)
				}
				prev = col
			}
		}
	})
}
