package main

import (
	"bytes"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

type cliResult struct {
	Code           int
	Stdout, Stderr string
}

func runCLI(stdin string, args ...string) cliResult {
	var out, errb bytes.Buffer
	code := run(args, strings.NewReader(stdin), &out, &errb)
	return cliResult{code, out.String(), errb.String()}
}

func TestAllow(t *testing.T) {
	tests := []struct {
		name  string
		stdin string
		args  []string
		want  cliResult
	}{
		{"allowed", "", []string{"allow", "--scope", "*:config/**", "GET", "/config/tokenPolicies"},
			cliResult{0, "allow GET /config/tokenPolicies: granted by *:config/**\n", ""}},
		{"flags after positionals", "", []string{"allow", "GET", "/config/x", "--scope", ".:config/**"},
			cliResult{0, "allow GET /config/x: granted by .:config/**\n", ""}},
		{"lower-case method upper-cased", "", []string{"allow", "--scope", ".:config/**", "get", "/config/x"},
			cliResult{0, "allow GET /config/x: granted by .:config/**\n", ""}},
		{"exact method", "", []string{"allow", "--exact-method", "--scope", ".:config/**", "get", "/config/x"},
			cliResult{1, "deny get /config/x: method not granted: .:config/** matches the path but grants only the read methods\n", ""}},
		{"read-only denial", "", []string{"allow", "--scope", ".:config/**", "PUT", "/config/x"},
			cliResult{1, "deny PUT /config/x: method not granted: .:config/** matches the path but grants only the read methods\n", ""}},
		{"read methods widened", "", []string{"allow", "--read-methods", "OPTIONS", "--scope", ".:config/**", "OPTIONS", "/config/x"},
			cliResult{0, "allow OPTIONS /config/x: granted by .:config/**\n", ""}},
		{"non-canonical", "", []string{"allow", "--scope", "*:**", "GET", "/a/%2e%2e/b"},
			cliResult{1, "deny GET /a/%2e%2e/b: path is not canonical: the path escapes /, \\, ., %, ;, ?, #, a control byte or DEL (offset 3) [escaped-byte]\n", ""}},
		{"unprintable path quoted", "", []string{"allow", "--scope", "*:**", "GET", "/a\x1b[31m"},
			cliResult{1, "deny GET \"/a\\x1b[31m\": path is not canonical: the path has a byte outside visible ASCII (offset 2) [bad-byte]\n", ""}},
		{"empty scope", "", []string{"allow", "--scope", "", "GET", "/"},
			cliResult{1, "deny GET /: no access item matches the path\n", ""}},
		{"json", "", []string{"allow", "--format", "json", "--scope", "*:a/**", "DELETE", "/a/b"},
			cliResult{0, `{"method":"DELETE","path":"/a/b","allowed":true,"item":"*:a/**","reason":"granted","message":"granted by *:a/**"}` + "\n", ""}},
		{"json non-canonical", "", []string{"allow", "--format", "json", "--scope", "*:**", "GET", "/a//b"},
			cliResult{1, `{"method":"GET","path":"/a//b","allowed":false,"reason":"not-canonical","message":"path is not canonical: the path has an empty segment (//) (offset 3) [empty-segment]","rule":"empty-segment","offset":3}` + "\n", ""}},
		{"json invalid UTF-8 path", "", []string{"allow", "--format", "json", "--scope", "*:**", "GET", "/\xff"},
			cliResult{1, `{"method":"GET","path":"\"/\\xff\"","allowed":false,"reason":"not-canonical","message":"path is not canonical: the path has a byte outside visible ASCII (offset 1) [bad-byte]","rule":"bad-byte","offset":1,"path_quoted":true}` + "\n", ""}},
		{"stdin", "GET /config/a\n\n  \nPUT /config/a\r\nbad line here\nget /x\n", []string{"allow", "--scope", ".:config/**", "-"},
			cliResult{1, "allow GET /config/a: granted by .:config/**\n" +
				"deny PUT /config/a: method not granted: .:config/** matches the path but grants only the read methods\n" +
				"deny line 5 is not \"METHOD PATH\": \"bad line here\"\n" +
				"deny GET /x: no access item matches the path\n", ""}},
		{"stdin all allowed", "GET /a\nHEAD /a\n", []string{"allow", "--scope", ".:a", "-"},
			cliResult{0, "allow GET /a: granted by .:a\nallow HEAD /a: granted by .:a\n", ""}},
		{"stdin json", "GET /a\nx\n", []string{"allow", "--format", "json", "--scope", ".:a", "-"},
			cliResult{1, `{"line":1,"method":"GET","path":"/a","allowed":true,"item":".:a","reason":"granted","message":"granted by .:a"}` + "\n" +
				`{"line":2,"method":"","path":"","allowed":false,"reason":"malformed-line","message":"line 2 is not \"METHOD PATH\": \"x\""}` + "\n", ""}},
		{"parse errors", "", []string{"allow", "--scope", "*.** :webhooks/**", "GET", "/"},
			cliResult{2, "", "col 1: item \"*.**\" begins with \"*\" but has no \":\" after it; did you mean \"*:**\"? [missing-colon]\n" +
				"col 6: item \":webhooks/**\" has no access class before \":\": write \".:webhooks/**\" to read (GET, HEAD) or \"*:webhooks/**\" to read and write [missing-access]\n"}},
		{"missing scope", "", []string{"allow", "GET", "/"}, cliResult{2, "", "scopecheck allow: give one of --scope and --scope-from\n"}},
		{"scope from a policy", "", []string{"allow", "--scope-from", "testdata/lint/form-policies.json", "GET", "/config/x"},
			cliResult{0, "allow GET /config/x: granted by .:**\n", ""}},
		{"scope from a JWT", "", []string{"allow", "--scope-from", "testdata/lint/form-jwt.txt", "POST", "/config/tokenPolicies"},
			cliResult{0, "allow POST /config/tokenPolicies: granted by *:config/tokenPolicies**\n", ""}},
		{"scope from a damaged file", "", []string{"allow", "--scope-from", "testdata/damaged-scope.txt", "GET", "/"},
			cliResult{2, "", "testdata/damaged-scope.txt:2:3: item \"*.**\" begins with \"*\" but has no \":\" after it; did you mean \"*:**\"? [missing-colon]\n"}},
		{"scope and requests both on stdin", "", []string{"allow", "--scope-from", "-", "-"},
			cliResult{2, "", "scopecheck allow: stdin cannot hold both the scope and the requests\n"}},
		{"bad format", "", []string{"allow", "--scope", "*:**", "--format", "xml", "GET", "/"},
			cliResult{2, "", "scopecheck allow: --format must be text or json, not \"xml\"\n"}},
		{"too few args", "", []string{"allow", "--scope", "*:**", "GET"},
			cliResult{2, "", "scopecheck allow: want METHOD PATH or -, got 1 argument(s)\n"}},
		{"double dash", "", []string{"allow", "--scope", "*:**", "--", "-X", "/"},
			cliResult{0, "allow -X /: granted by *:**\n", ""}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if diff := cmp.Diff(tc.want, runCLI(tc.stdin, tc.args...)); diff != "" {
				t.Errorf("scopecheck %q (-want +got):\n%s", tc.args, diff)
			}
		})
	}
}

func TestAllowLongLine(t *testing.T) {
	got := runCLI("GET /"+strings.Repeat("a", maxLine+10)+"\n", "allow", "--scope", "*:**", "-")
	if got.Code != exitUsage || !strings.Contains(got.Stderr, "stdin line 1: bufio.Scanner: token too long") {
		t.Errorf("a line over the limit gave %d, %q", got.Code, got.Stderr)
	}
}

func TestUsage(t *testing.T) {
	for _, tc := range []struct {
		args []string
		code int
		in   string // text the output must contain
	}{
		{nil, exitUsage, "usage: scopecheck COMMAND"},
		{[]string{"frobnicate"}, exitUsage, `unknown command "frobnicate"`},
		{[]string{"help"}, exitYes, "allow"},
		{[]string{"help", "allow"}, exitYes, "upper-cased"},
		{[]string{"allow", "--nope"}, exitUsage, "flag provided but not defined"},
	} {
		got := runCLI("", tc.args...)
		if got.Code != tc.code || !strings.Contains(got.Stdout+got.Stderr, tc.in) {
			t.Errorf("scopecheck %q = %d, %q %q; want %d and %q", tc.args, got.Code, got.Stdout, got.Stderr, tc.code, tc.in)
		}
	}
}

func TestCovers(t *testing.T) {
	tests := []struct {
		name string
		args []string
		want cliResult
	}{
		{"covered", []string{"covers", "--allowed", "*:a/* *:a/*/**", "--requested", "*:a/**"}, cliResult{0, "covered\n", ""}},
		{"not covered", []string{"covers", "--allowed", ".:**", "--requested", "*:x"},
			cliResult{1, "not covered: POST /x is allowed by the requested scope and denied by the allowed scope\n", ""}},
		{"plain missing", []string{"covers", "--allowed", "*:**", "--requested", "openid"},
			cliResult{1, "not covered: plain item openid is not in the allowed scope\n", ""}},
		{"json covered", []string{"covers", "--format", "json", "--allowed", "*:**", "--requested", ".:x"},
			cliResult{0, `{"covered":true}` + "\n", ""}},
		{"json witness", []string{"covers", "--format", "json", "--allowed", "*:config/tokenPolicies/**", "--requested", "*:config/tokenPolicies**"},
			cliResult{1, `{"covered":false,"witness":{"method":"GET","path":"/config/tokenPolicies"}}` + "\n", ""}},
		{"json plain", []string{"covers", "--format", "json", "--allowed", "", "--requested", "email"},
			cliResult{1, `{"covered":false,"witness":{"plain":"email"}}` + "\n", ""}},
		{"parse errors", []string{"covers", "--allowed", "*.**", "--requested", ":x"},
			cliResult{2, "", "--allowed: col 1: item \"*.**\" begins with \"*\" but has no \":\" after it; did you mean \"*:**\"? [missing-colon]\n" +
				"--requested: col 1: item \":x\" has no access class before \":\": write \".:x\" to read (GET, HEAD) or \"*:x\" to read and write [missing-access]\n"}},
		{"missing flag", []string{"covers", "--allowed", "*:**"}, cliResult{2, "", "scopecheck covers: give one of --allowed and --allowed-from, and one of --requested and --requested-from\n"}},
		{"policy covers a token", []string{"covers", "--allowed-from", "testdata/lint/form-policies.json", "--requested-from", "testdata/lint/form-token-answer.json"},
			cliResult{1, "not covered: POST /config/ is allowed by the requested scope and denied by the allowed scope\n", ""}},
		{"policy covers its own scope", []string{"covers", "--allowed-from", "testdata/lint/form-policies.json", "--requested", ".:config/x *:webhooks/a"},
			cliResult{0, "covered\n", ""}},
		{"extra argument", []string{"covers", "--allowed", "*:**", "--requested", "*:**", "x"}, cliResult{2, "", "scopecheck covers: unexpected argument \"x\"\n"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if diff := cmp.Diff(tc.want, runCLI("", tc.args...)); diff != "" {
				t.Errorf("scopecheck %q (-want +got):\n%s", tc.args, diff)
			}
		})
	}
}

func TestFmt(t *testing.T) {
	tests := []struct {
		name string
		args []string
		want cliResult
	}{
		{"canonical", []string{"fmt", "  *:a   openid *:a .:b "}, cliResult{0, "*:a openid .:b\n", ""}},
		{"minimize", []string{"fmt", "--minimize", "*:a/b *:a/** .:a/c openid"}, cliResult{0, "*:a/** openid\n", ""}},
		{"empty", []string{"fmt", ""}, cliResult{0, "\n", ""}},
		{"parse error", []string{"fmt", "*:a//b"}, cliResult{2, "", "col 5: path pattern \"a//b\" has an empty segment \"//\", which no canonical request path has [empty-segment]\n"}},
		{"no argument", []string{"fmt"}, cliResult{2, "", "scopecheck fmt: want one SCOPE argument, got 0\n"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if diff := cmp.Diff(tc.want, runCLI("", tc.args...)); diff != "" {
				t.Errorf("scopecheck %q (-want +got):\n%s", tc.args, diff)
			}
		})
	}
}

func TestServeUsage(t *testing.T) {
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"serve"}, "scopecheck serve: give one of --jwks and --introspect\n"},
		{[]string{"serve", "--jwks", "a", "--introspect", "b"}, "scopecheck serve: give one of --jwks and --introspect\n"},
		{[]string{"serve", "--introspect", "http://127.0.0.1:1/i"}, "scopecheck serve: --introspect needs --client-id (and SCOPECHECK_CLIENT_SECRET)\n"},
		{[]string{"serve", "--jwks", "testdata/nope.json"}, "scopecheck serve: open testdata/nope.json: no such file or directory\n"},
		{[]string{"serve", "--jwks", "testdata/damaged-scope.txt"}, "scopecheck serve: gateway: JWKS: "},
		{[]string{"serve", "--jwks", "x", "--strip-segments", "-1"}, "scopecheck serve: --strip-segments must be at least 0 and --cache positive\n"},
		{[]string{"serve", "--jwks", "x", "extra"}, "scopecheck serve: unexpected argument \"extra\"\n"},
	} {
		got := runCLI("", tc.args...)
		if got.Code != exitUsage || !strings.HasPrefix(got.Stderr, tc.want) {
			t.Errorf("scopecheck %q = %d, %q; want 2 and %q", tc.args, got.Code, got.Stderr, tc.want)
		}
	}
}
