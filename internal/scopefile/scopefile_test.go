package scopefile

import (
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"runtime"
	"strings"
	"testing"
	"unicode/utf16"
	"unicode/utf8"

	"github.com/google/go-cmp/cmp"
	"pgregory.net/rapid"

	"github.com/scopecheck/scopecheck/internal/scopegen"
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
			{"*:webhooks/**", "/allowedScopes/0", Policy, Pos{3, 22, 22}, Pos{3, 35, 35}, false},
			{".:config/**", "/allowedScopes/1", Policy, Pos{3, 39, 39}, Pos{3, 50, 50}, false},
		}},
		{"policies", `[{"allowedScopes": ["*:a"]}, {"allowedScopes": [".:b", ".:c"]}]`, []found{
			{"*:a", "/0/allowedScopes/0", Policy, Pos{1, 22, 22}, Pos{1, 25, 25}, false},
			{".:b", "/1/allowedScopes/0", Policy, Pos{1, 50, 50}, Pos{1, 53, 53}, false},
			{".:c", "/1/allowedScopes/1", Policy, Pos{1, 57, 57}, Pos{1, 60, 60}, false},
		}},
		{"escapes keep positions", `{"allowedScopes": ["\u002a:a\/b"]}`, []found{
			{"*:a/b", "/allowedScopes/0", Policy, Pos{1, 21, 21}, Pos{1, 32, 32}, false},
		}},
		{"token answer", `{"access_token": "z7S4", "expires_in": 3600, "token_type": "Bearer", "scope": "*:config/**"}`, []found{
			{"*:config/**", "/scope", TokenAnswer, Pos{1, 80, 80}, Pos{1, 91, 91}, false},
		}},
		{"token answer, expires_in string", `{"access_token": "z", "expires_in": "3599", "scope": "openid"}`, []found{
			{"openid", "/scope", TokenAnswer, Pos{1, 55, 55}, Pos{1, 61, 61}, false},
		}},
		{"introspection", `{"active": true, "scope": ".:x"}`, []found{{".:x", "/scope", Introspection, Pos{1, 28, 28}, Pos{1, 31, 31}, false}}},
		{"inactive token", `{"active": false}`, nil},
		{"key that looks like an index", `{"allowedScopes":["*:**"],"allowedScopes[0]":"openid"}`, []found{
			{"*:**", "/allowedScopes/0", Policy, Pos{1, 20, 20}, Pos{1, 24, 24}, false},
		}},
		{"jwt scope", "\n  " + jwtOf(`{"sub":"c1","scope":"*:a .:b"}`) + "\n", []found{{"*:a .:b", "line 2: JWT claim scope", JWT, Pos{2, 3, 3}, Pos{2, 3, 3}, true}}},
		{"jwt scp", jwtOf(`{"scp":["*:a",".:b"]}`), []found{{"*:a .:b", "line 1: JWT claim scp", JWT, Pos{1, 1, 1}, Pos{1, 1, 1}, true}}},
		{"text", "# policies under review\n*:config/**\n\n   \n  .:x  \r\n*:y # the y API\nx#y\n   # indented comment\n", []found{
			{"*:config/**", "line 2", Text, Pos{2, 1, 1}, Pos{2, 12, 12}, false},
			{"  .:x  ", "line 5", Text, Pos{5, 1, 1}, Pos{5, 8, 8}, false},
			{"*:y", "line 6", Text, Pos{6, 1, 1}, Pos{6, 4, 4}, false},
			{"x#y", "line 7", Text, Pos{7, 1, 1}, Pos{7, 4, 4}, false},
		}},
		{"a dotted plain item is no JWT", "a.b.c\neyewear.orders.read\n", []found{
			{"a.b.c", "line 1", Text, Pos{1, 1, 1}, Pos{1, 6, 6}, false},
			{"eyewear.orders.read", "line 2", Text, Pos{2, 1, 1}, Pos{2, 20, 20}, false},
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
	superJWT := jwtOf(`{"scope":"*:**"}`)
	tests := []struct {
		name, in string
		scopes   []string
		want     []note
	}{
		{"duplicate key: both copies read", `{"allowedScopes": ["*:a"], "allowedScopes": ["*:**"]}`, []string{"*:a", "*:**"}, []note{
			{DuplicateKey, scope.SeverityError, Pos{1, 28, 28}, `duplicate key "allowedScopes" (first at 1:2): servers disagree on which one wins, so each is linted`},
		}},
		{"duplicate key by escape", `{"scope": "a", "access_token": "z", "\u0073cope": "*:**"}`, []string{"a", "*:**"}, []note{
			{DuplicateKey, scope.SeverityError, Pos{1, 37, 37}, `duplicate key "scope" (first at 1:2): servers disagree on which one wins, so each is linted`},
		}},
		{"not a string, in an array", `{"allowedScopes": ["*:a", 3, ".:b"]}`, []string{"*:a", ".:b"}, []note{
			{WrongType, scope.SeverityError, Pos{1, 27, 27}, "/allowedScopes/1 (a scope) is not a string"},
		}},
		{"a policy in an array that is not one", "[\n  {\"allowedScopes\": [\"*:a\"]},\n  7,\n  {\"name\": \"x\"}\n]", []string{"*:a"}, []note{
			{WrongType, scope.SeverityError, Pos{3, 3, 3}, "/1 is not a token policy object"},
			{UnknownForm, scope.SeverityError, Pos{4, 3, 3}, "/2 is not a token policy: it has no allowedScopes"},
		}},
		// The string is read too, as some servers read it.
		{"allowedScopes a string", `{"allowedScopes": "*:a"}`, []string{"*:a"}, []note{
			{WrongType, scope.SeverityError, Pos{1, 19, 19}, "/allowedScopes is a string, not an array of scope strings: servers reject it, or read it as one scope, which is linted"},
		}},
		{"token answer without scope", `{"access_token": "z7S4", "token_type": "Bearer", "expires_in": 3599}`, nil, []note{
			{NoScope, scope.SeverityInfo, Pos{1, 1, 1}, "the token answer has no scope: the server granted the scope the client asked for, or, when it asked for none, the client's default scope (RFC 6749 §5.1); nothing here says what that is"},
		}},
		{"bad expires_in", `{"access_token": "z", "expires_in": "soon", "scope": "x"}`, []string{"x"}, []note{
			{WrongType, scope.SeverityError, Pos{1, 37, 37}, "/expires_in is neither a number nor a numeric string"},
		}},
		{"scope not a string", `{"access_token": "z", "scope": ["*:a"]}`, nil, []note{
			{WrongType, scope.SeverityError, Pos{1, 32, 32}, "/scope (the granted scope) is not a string"},
		}},
		{"active without scope", `{"active": true}`, nil, []note{
			{NoScope, scope.SeverityInfo, Pos{1, 1, 1}, "the introspection answer has no scope: what the token grants is not said here"},
		}},
		{"jwt without scope", jwtOf(`{"sub":"c1"}`), nil, []note{
			{UnknownForm, scope.SeverityError, Pos{1, 1, 1}, "JWT has neither a scope nor an scp claim"},
		}},
		{"jwt garbage", "eyJhbGc.def.ghi", nil, []note{
			{Malformed, scope.SeverityError, Pos{1, 1, 1}, "JWT header is not a JSON object"},
		}},
		{"jwt payload not JSON", jwtOf(`{"scope":`), nil, []note{
			{Malformed, scope.SeverityError, Pos{1, 1, 1}, "JWT payload is not valid JSON: unexpected EOF"},
		}},
		{"bearer", "Bearer " + bearerJWT, []string{"*:config/**"}, []note{
			{UnverifiedJWT, scope.SeverityInfo, Pos{1, 8, 8}, "scopes read from a JWT payload; its signature is not verified here"},
		}},
		{"authorization header", "# pasted from a request\n  authorization: bearer " + bearerJWT + "\n", []string{"*:config/**"}, []note{
			{UnverifiedJWT, scope.SeverityInfo, Pos{2, 25, 25}, "scopes read from a JWT payload; its signature is not verified here"},
		}},

		// A scope is read as written, whatever it looks like; what looks
		// pasted and holds no access item is named, never substituted.
		{"a field of a valid scope is no form field", "*:** *:a&scope=openid", []string{"*:** *:a&scope=openid"}, nil},
		{"a valid scope that begins with bearer", "bearer *:**", []string{"bearer *:**"}, nil},
		{"opaque bearer", "Authorization: Bearer z7S4abc", []string{"Authorization: Bearer z7S4abc"}, []note{
			{PastedForm, scope.SeverityWarning, Pos{1, 1, 1}, "the line looks pasted (a Bearer header): read as written, which is how a server given it reads it, it holds no access item and grants no request; its token is opaque: what it grants only its issuer can say (RFC 7662 introspection)"},
		}},
		{"form field", "grant_type=client_credentials&scope=*%3Aconfig%2F**+openid\n", []string{"grant_type=client_credentials&scope=*%3Aconfig%2F**+openid"}, []note{
			{PastedForm, scope.SeverityWarning, Pos{1, 1, 1}, `the line looks pasted (a form field or URL query (scope=…)): read as written, which is how a server given it reads it, it holds no access item and grants no request; the scope it probably holds is "*:config/** openid"`},
		}},
		{"scope field late in a URL query", "https://idp.example.com/authorize?client_id=x&scope=*%3A**&response_type=code",
			[]string{"https://idp.example.com/authorize?client_id=x&scope=*%3A**&response_type=code"}, []note{
				{PastedForm, scope.SeverityWarning, Pos{1, 1, 1}, `the line looks pasted (a form field or URL query (scope=…)): read as written, which is how a server given it reads it, it holds no access item and grants no request; the scope it probably holds is "*:**"`},
			}},
		{"scope field first in a URL query", "https://idp.example.com/authorize?scope=*%3A**&client_id=x",
			[]string{"https://idp.example.com/authorize?scope=*%3A**&client_id=x"}, []note{
				{PastedForm, scope.SeverityWarning, Pos{1, 1, 1}, `the line looks pasted (a form field or URL query (scope=…)): read as written, which is how a server given it reads it, it holds no access item and grants no request; the scope it probably holds is "*:**"`},
			}},
		// A token endpoint decodes a form body once.
		{"a form field decoded once", "grant_type=client_credentials&scope=%252A%253Aconfig%252F%252A%252A",
			[]string{"grant_type=client_credentials&scope=%252A%253Aconfig%252F%252A%252A"}, []note{
				{PastedForm, scope.SeverityWarning, Pos{1, 1, 1}, `the line looks pasted (a form field or URL query (scope=…)): read as written, which is how a server given it reads it, it holds no access item and grants no request; the scope it probably holds is "%2A%3Aconfig%2F%2A%2A"`},
			}},
		{"shell quotes", "'*:config/**'\n\"*:a .:b\"\n", []string{"'*:config/**'", `"*:a .:b"`}, []note{
			{PastedForm, scope.SeverityWarning, Pos{1, 1, 1}, `the line looks pasted (in shell quotes): read as written, which is how a server given it reads it, it holds no access item and grants no request; the scope it probably holds is "*:config/**"`},
			{PastedForm, scope.SeverityWarning, Pos{2, 1, 1}, `the line looks pasted (in shell quotes): read as written, which is how a server given it reads it, it holds no access item and grants no request; the scope it probably holds is "*:a .:b"`},
		}},
		{"url-encoded", "%2A%3Aconfig%2F%2A%2A\n", []string{"%2A%3Aconfig%2F%2A%2A"}, []note{
			{PastedForm, scope.SeverityWarning, Pos{1, 1, 1}, `the line looks pasted (URL-encoded): read as written, which is how a server given it reads it, it holds no access item and grants no request; the scope it probably holds is "*:config/**"`},
		}},
		{"url-encoded space", "openid%20*:config/**", []string{"openid%20*:config/**"}, []note{
			{PastedForm, scope.SeverityWarning, Pos{1, 1, 1}, `the line looks pasted (URL-encoded): read as written, which is how a server given it reads it, it holds no access item and grants no request; the scope it probably holds is "openid *:config/**"`},
		}},
		{"quoted form field", "'scope=*:**'", []string{"'scope=*:**'"}, []note{
			{PastedForm, scope.SeverityWarning, Pos{1, 1, 1}, `the line looks pasted (in shell quotes, a form field or URL query (scope=…)): read as written, which is how a server given it reads it, it holds no access item and grants no request; the scope it probably holds is "*:**"`},
		}},
		{"a JWT in a command line", "curl -H 'Authorization: Bearer " + superJWT + "' https://api/config\n", []string{"curl -H 'Authorization: Bearer " + superJWT + "' https://api/config"}, []note{
			{PastedForm, scope.SeverityWarning, Pos{1, 1, 1}, `the line looks pasted (a command or header holding a JWT): read as written, which is how a server given it reads it, it holds no access item and grants no request; the token is a JWT whose scope claim is "*:**" (its signature not verified)`},
		}},
		{"a JWT in a header option", "-H 'Authorization: Bearer " + superJWT + "'", []string{"-H 'Authorization: Bearer " + superJWT + "'"}, []note{
			{PastedForm, scope.SeverityWarning, Pos{1, 1, 1}, `the line looks pasted (a command or header holding a JWT): read as written, which is how a server given it reads it, it holds no access item and grants no request; the token is a JWT whose scope claim is "*:**" (its signature not verified)`},
		}},
		{"escapes in a pattern are no pasting", "*:a/%C3%A9 openid\n", []string{"*:a/%C3%A9 openid"}, nil},
		{"escapes in a plain item are no pasting", "https://api.example.com/a%20b\n", []string{"https://api.example.com/a%20b"}, nil},

		// A token answer's access token that is a JWT is read: its claim is
		// what a gateway decides with.
		{"token answer and its JWT disagree", `{"access_token":"` + superJWT + `","token_type":"Bearer","scope":"openid"}`, []string{"openid", "*:**"}, []note{
			{UnverifiedJWT, scope.SeverityInfo, Pos{1, 18, 18}, "scopes read from a JWT payload; its signature is not verified here"},
			{ScopeMismatch, scope.SeverityError, Pos{1, 18, 18}, `the answer's scope is "openid", but its access token, a JWT, has the scope claim "*:**": the client is told one, and a gateway decides with the other`},
		}},
		{"token answer and its JWT agree", `{"access_token":"` + jwtOf(`{"scope":"b a"}`) + `","scope":"a b"}`, []string{"a b", "b a"}, []note{
			{UnverifiedJWT, scope.SeverityInfo, Pos{1, 18, 18}, "scopes read from a JWT payload; its signature is not verified here"},
		}},
		{"token answer without scope, with a JWT", `{"access_token":"` + jwtOf(`{"sub":"c1","scope":"*:**","exp":1}`) + `","token_type":"Bearer"}`, []string{"*:**"}, []note{
			{UnverifiedJWT, scope.SeverityInfo, Pos{1, 18, 18}, "scopes read from a JWT payload; its signature is not verified here"},
		}},

		// Names a server may take for a member it reads are duplicates.
		{"a name folded by Unicode", `{"allowedScopes":["openid"],"allowed\u017fcopes":["*:**"]}`, []string{"openid", "*:**"}, []note{
			{DuplicateKey, scope.SeverityError, Pos{1, 29, 29}, `key "allowedſcopes" is "allowedScopes" to servers that match names loosely (case, Unicode folding, '-' and '_', a NUL) (first at 1:2): servers disagree on which one wins, so each is linted`},
		}},
		{"a name in upper case", `{"allowedScopes":["openid"],"ALLOWEDSCOPES":["*:**"]}`, []string{"openid", "*:**"}, []note{
			{DuplicateKey, scope.SeverityError, Pos{1, 29, 29}, `key "ALLOWEDSCOPES" is "allowedScopes" to servers that match names loosely (case, Unicode folding, '-' and '_', a NUL) (first at 1:2): servers disagree on which one wins, so each is linted`},
		}},
		{"a loose name alone", `{"AllowedScopes":["*:**"]}`, []string{"*:**"}, []note{
			{DuplicateKey, scope.SeverityError, Pos{1, 2, 2}, `key "AllowedScopes" is "allowedScopes" to servers that match names loosely (case, Unicode folding, '-' and '_', a NUL), and another member to the rest: servers disagree, so it is linted as "allowedScopes"`},
		}},
		{"a name with a NUL", `{"scope\u0000x": "*:**", "scope": "a", "access_token": "z"}`, []string{"*:**", "a"}, []note{
			{DuplicateKey, scope.SeverityError, Pos{1, 2, 2}, `key "scope\x00x" is "scope" to servers that match names loosely (case, Unicode folding, '-' and '_', a NUL), and another member to the rest: servers disagree, so it is linted as "scope"`},
			{DuplicateKey, scope.SeverityError, Pos{1, 26, 26}, `duplicate key "scope" (first at 1:2): servers disagree on which one wins, so each is linted`},
		}},
		{"a name without its underscore", `{"accessToken":"z","scope":"a"}`, []string{"a"}, []note{
			{DuplicateKey, scope.SeverityError, Pos{1, 2, 2}, `key "accessToken" is "access_token" to servers that match names loosely (case, Unicode folding, '-' and '_', a NUL), and another member to the rest: servers disagree, so it is linted as "access_token"`},
		}},
		{"an unused name twice is no concern", `{"name":"a","name":"b","allowedScopes":["x"]}`, []string{"x"}, nil},

		// A JWT's payload is read by the same reader.
		{"a JWT claim twice", jwtOf(`{"scope":"*:**","scope":"openid"}`), []string{"*:**", "openid"}, []note{
			{DuplicateKey, scope.SeverityError, Pos{1, 1, 1}, `in the JWT payload: duplicate key "scope": servers disagree on which one wins, so each is linted`},
			{UnverifiedJWT, scope.SeverityInfo, Pos{1, 1, 1}, "scopes read from a JWT payload; its signature is not verified here"},
			{ScopeMismatch, scope.SeverityError, Pos{1, 1, 1}, `the JWT's scope claim is "*:**", but its other scope claim is "openid": gateways read one or the other`},
		}},
		{"a JWT claim folded", jwtOf(`{"scope":"openid","SCOPE":"*:**"}`), []string{"openid", "*:**"}, []note{
			{DuplicateKey, scope.SeverityError, Pos{1, 1, 1}, `in the JWT payload: key "SCOPE" is "scope" to servers that match names loosely (case, Unicode folding, '-' and '_', a NUL): servers disagree on which one wins, so each is linted`},
			{UnverifiedJWT, scope.SeverityInfo, Pos{1, 1, 1}, "scopes read from a JWT payload; its signature is not verified here"},
			{ScopeMismatch, scope.SeverityError, Pos{1, 1, 1}, `the JWT's scope claim is "openid", but its other scope claim is "*:**": gateways read one or the other`},
		}},
		{"JWT scope and scp disagree", jwtOf(`{"scope":"openid","scp":["*:**"]}`), []string{"openid", "*:**"}, []note{
			{UnverifiedJWT, scope.SeverityInfo, Pos{1, 1, 1}, "scopes read from a JWT payload; its signature is not verified here"},
			{ScopeMismatch, scope.SeverityError, Pos{1, 1, 1}, `the JWT's scope claim is "openid", but its scp claim is "*:**": gateways read one or the other`},
		}},
		{"JWT scope and scp agree", jwtOf(`{"scope":"a b","scp":["b","a"]}`), []string{"a b", "b a"}, []note{
			{UnverifiedJWT, scope.SeverityInfo, Pos{1, 1, 1}, "scopes read from a JWT payload; its signature is not verified here"},
		}},
		{"JWT scp not an array", jwtOf(`{"scp":"*:**"}`), nil, []note{
			{WrongType, scope.SeverityError, Pos{1, 1, 1}, "in the JWT payload: claim scp is not an array of strings"},
		}},

		// A byte order mark is skipped, and said so; the JSON is read.
		{"byte order mark", "\xEF\xBB\xBF{\"allowedScopes\":[\"*:**\"]}", []string{"*:**"}, []note{
			{ByteOrderMark, scope.SeverityWarning, Pos{1, 1, 1}, "the input begins with a UTF-8 byte order mark, which JSON forbids and some servers reject; it is skipped here"},
		}},
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

// Positions count columns in bytes and in UTF-16 code units: a character
// past the Basic Multilingual Plane is two units, any other one.
func TestPositions(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want Pos
	}{
		{`{"name":"Équipe ☃☃☃","allowedScopes":["*:**"]}`, Pos{1, 47, 40}},
		{"{\"name\":\"\U0001F600\",\n \"x\": 1, \"allowedScopes\":[\"*:**\"]}", Pos{2, 28, 28}},
		{`{"name":"` + "\U0001F600" + `","allowedScopes":["*:**"]}`, Pos{1, 34, 32}},
		{"\xEF\xBB\xBF{\"allowedScopes\":[\"*:**\"]}", Pos{1, 20, 20}},
	} {
		got, err := Read([]byte(tc.in))
		if err != nil || len(got.Scopes) != 1 || got.Scopes[0].At(0) != tc.want {
			t.Errorf("Read(%q): scope at %+v, %v; want %+v", tc.in, got.Scopes, err, tc.want)
		}
	}
}

func TestFromString(t *testing.T) {
	for _, tc := range []struct {
		in, text string
		codes    []scope.Code
	}{
		{"*:a  .:b", "*:a  .:b", nil},
		{"", "", nil},
		// An argument is the scope, as written, whatever it looks like.
		{"'*:a'", "'*:a'", []scope.Code{PastedForm}},
		{"Bearer " + jwtOf(`{"scope":".:x"}`), "Bearer " + jwtOf(`{"scope":".:x"}`), []scope.Code{PastedForm}},
		{jwtOf(`{"scope":".:x"}`), jwtOf(`{"scope":".:x"}`), []scope.Code{PastedForm}},
		{"*:** *:a&scope=openid", "*:** *:a&scope=openid", nil},
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
			var f *Finding
			ok := errors.As(err, &f)
			if !ok || err.Error() != tc.want || f.Code != tc.code || got.Scopes != nil {
				t.Errorf("Read = %v, %v; want %s %q", got, err, tc.code, tc.want)
			}
		})
	}
}

// The message of an error deep in a document names a bounded pointer.
func TestReadDeepError(t *testing.T) {
	_, err := Read([]byte(`{"allowedScopes":` + strings.Repeat("[", 20_000)))
	if f, ok := err.(*Finding); !ok || f.Code != Malformed || len(f.Message) > 300 || !strings.Contains(f.Message, "…") {
		t.Errorf("Read = %v", err)
	}
}

func TestAtClamps(t *testing.T) {
	got, _ := Read([]byte("*:a\n"))
	if got.Scopes[0].At(-1) != (Pos{1, 1, 1}) || got.Scopes[0].At(99) != (Pos{1, 4, 4}) {
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

// Whatever a string looks like, given on its own it is the scope, as
// written; and so is a line of text, unless it is a JWT alone or in a
// Bearer header, which holds no access item as written. What looks
// pasted is named in a finding only when the string holds no access item.
func TestReadAsWritten(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		s := scopegen.Pasted(4, 4).Draw(t, "text")
		in := FromString(s)
		if len(in.Scopes) != 1 || in.Scopes[0].Text != s || in.Scopes[0].Form != Text {
			t.Fatalf("FromString(%q) read %+v", s, in.Scopes)
		}
		pasted := false
		for _, f := range in.Findings {
			pasted = pasted || f.Code == PastedForm
		}
		if pasted && holdsAccessItem(s) {
			t.Fatalf("FromString(%q): a pasted-form finding for a scope with an access item", s)
		}
		if strings.ContainsAny(s, "\r\n#") || strings.TrimSpace(s) == "" || strings.HasPrefix(strings.TrimSpace(s), "{") || strings.HasPrefix(strings.TrimSpace(s), "[") {
			return
		}
		got, err := Read([]byte(s))
		if err != nil {
			t.Fatal(err)
		}
		for _, sc := range got.Scopes {
			switch {
			case sc.Text == s && sc.Form == Text:
			case sc.Form == JWT && !holdsAccessItem(s) && (jwtShape.MatchString(strings.TrimSpace(s)) || bearer.MatchString(strings.TrimSpace(s))):
			default:
				t.Fatalf("Read(%q) read %q as a scope of form %s", s, sc.Text, sc.Form)
			}
		}
	})
}

// Reading is bounded in findings, scopes, memory and allocations,
// whatever the input: the review's inputs, a 500,000-element array of
// scopes and a policy with megabytes of other members, are read within
// small multiples of their size.
func TestReadBounds(t *testing.T) {
	elems := `{"allowedScopes":["a"` + strings.Repeat(`,"a"`, 500_000) + `]}`
	zeros := `{"allowedScopes":["openid"],"x":[0` + strings.Repeat(`,0`, 2_000_000) + `]}`
	wrong := `{"allowedScopes":[1` + strings.Repeat(`,1`, 5000) + `]}`
	lines := strings.Repeat("openid\n", 20_000)
	for _, tc := range []struct {
		name, in         string
		scopes, findings int
	}{
		{"scopes in an array", elems, MaxScopes, 1},
		{"other members", zeros, 1, 0},
		{"findings", wrong, 0, MaxFindings + 1},
		{"lines", lines, MaxScopes, 1},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var in Input
			var before, after runtime.MemStats
			runtime.ReadMemStats(&before)
			allocs := testing.AllocsPerRun(1, func() { in, _ = Read([]byte(tc.in)) })
			runtime.ReadMemStats(&after)
			bytes := (after.TotalAlloc - before.TotalAlloc) / 2 // AllocsPerRun runs it twice
			if len(in.Scopes) != tc.scopes || len(in.Findings) != tc.findings {
				t.Errorf("%d scopes, %d findings; want %d, %d", len(in.Scopes), len(in.Findings), tc.scopes, tc.findings)
			}
			if tc.findings > 0 && in.Findings[len(in.Findings)-1].Code != scope.TooLarge {
				t.Errorf("the last finding is %+v, not too-large", in.Findings[len(in.Findings)-1])
			}
			if allocs > 20*MaxScopes || bytes > 4*uint64(len(tc.in))+8<<20 {
				t.Errorf("%d allocations, %d bytes for %d bytes of input", int(allocs), bytes, len(tc.in))
			}
		})
	}
}

func TestReadTooLarge(t *testing.T) {
	_, err := Read(make([]byte, MaxInputBytes+1))
	if f, ok := err.(*Finding); !ok || f.Code != scope.TooLarge {
		t.Errorf("an input over the bound: %v", err)
	}
}
