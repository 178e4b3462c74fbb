package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"pgregory.net/rapid"

	"github.com/scopecheck/scopecheck/internal/scopegen"
	"github.com/scopecheck/scopecheck/match"
	"github.com/scopecheck/scopecheck/scope"
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
			cliResult{1, "deny GET /a/%2e%2e/b: path is not canonical: the path escapes /, \\, ., %, ;, ?, #, a control byte or DEL (column 4) [escaped-byte]\n", ""}},
		{"unprintable path quoted", "", []string{"allow", "--scope", "*:**", "GET", "/a\x1b[31m"},
			cliResult{1, "deny GET \"/a\\x1b[31m\": path is not canonical: the path has a byte outside visible ASCII (column 3) [bad-byte]\n", ""}},
		{"read methods upper-cased as requests", "", []string{"allow", "--read-methods", "options", "--scope", ".:config/**", "OPTIONS", "/config/x"},
			cliResult{0, "allow OPTIONS /config/x: granted by .:config/**\n", ""}},
		{"read methods: an unsafe one is refused, not dropped", "", []string{"allow", "--read-methods", "OPTIONS, PATCH", "--scope", ".:config/**", "OPTIONS", "/config/x"},
			cliResult{2, "", "scopecheck allow: --read-methods: PATCH is not a safe method, so a read item (.) would grant it; add --unsafe-read-methods if that is meant\n"}},
		{"read methods: unsafe when said so", "", []string{"allow", "--read-methods", "OPTIONS, PATCH", "--unsafe-read-methods", "--scope", ".:config/**", "PATCH", "/config/x"},
			cliResult{0, "allow PATCH /config/x: granted by .:config/**\n", ""}},
		{"read methods: a write method", "", []string{"allow", "--read-methods", "POST", "--scope", ".:config/**", "POST", "/config/x"},
			cliResult{2, "", "scopecheck allow: --read-methods: POST is not a safe method, so a read item (.) would grant it; add --unsafe-read-methods if that is meant\n"}},
		{"read methods: not grantable", "", []string{"allow", "--read-methods", "TRACE", "--unsafe-read-methods", "--scope", ".:**", "GET", "/"},
			cliResult{2, "", "scopecheck allow: --read-methods: \"TRACE\" is not a method a scope can grant (a method token other than CONNECT and TRACE)\n"}},
		{"read methods: not a token", "", []string{"allow", "--read-methods", "GE T", "--scope", ".:**", "GET", "/"},
			cliResult{2, "", "scopecheck allow: --read-methods: \"GE T\" is not a method a scope can grant (a method token other than CONNECT and TRACE)\n"}},
		{"read methods: an empty entry", "", []string{"allow", "--read-methods", "OPTIONS,", "--scope", ".:**", "GET", "/"},
			cliResult{2, "", "scopecheck allow: --read-methods \"OPTIONS,\" has an empty entry\n"}},
		{"read methods: exact, lower case is an extension method", "", []string{"allow", "--exact-method", "--read-methods", "options", "--scope", ".:**", "GET", "/"},
			cliResult{2, "", "scopecheck allow: --read-methods: options is not a safe method, so a read item (.) would grant it; add --unsafe-read-methods if that is meant\n"}},
		{"unsafe read methods alone", "", []string{"allow", "--unsafe-read-methods", "--scope", ".:**", "GET", "/"},
			cliResult{2, "", "scopecheck allow: --unsafe-read-methods needs --read-methods\n"}},
		{"empty scope", "", []string{"allow", "--scope", "", "GET", "/"},
			cliResult{1, "deny GET /: no access item matches the path\n", ""}},
		{"json", "", []string{"allow", "--format", "json", "--scope", "*:a/**", "DELETE", "/a/b"},
			cliResult{0, `{"method":"DELETE","path":"/a/b","allowed":true,"item":"*:a/**","reason":"granted","message":"granted by *:a/**"}` + "\n", ""}},
		{"json non-canonical", "", []string{"allow", "--format", "json", "--scope", "*:**", "GET", "/a//b"},
			cliResult{1, `{"method":"GET","path":"/a//b","allowed":false,"reason":"not-canonical","message":"path is not canonical: the path has an empty segment (//) (column 4) [empty-segment]","rule":"empty-segment","offset":3,"column":4}` + "\n", ""}},
		{"json invalid UTF-8 path", "", []string{"allow", "--format", "json", "--scope", "*:**", "GET", "/\xff"},
			cliResult{1, `{"method":"GET","path":"\"/\\xff\"","allowed":false,"reason":"not-canonical","message":"path is not canonical: the path has a byte outside visible ASCII (column 2) [bad-byte]","rule":"bad-byte","offset":1,"column":2,"path_quoted":true}` + "\n", ""}},
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
			cliResult{2, "", "--scope:1:1: item \"*.**\" begins with \"*\" but has no \":\" after it; did you mean \"*:**\"? [missing-colon]\n" +
				"--scope:1:6: item \":webhooks/**\" has no access class before \":\": write \".:webhooks/**\" to read (GET, HEAD) or \"*:webhooks/**\" to read and write [missing-access]\n"}},
		{"json parse errors", "", []string{"allow", "--format", "json", "--scope", "*.**", "GET", "/"},
			cliResult{2, `{"errors":[{"file":"--scope","line":1,"column":1,"code":"missing-colon","item":"*.**","message":"item \"*.**\" begins with \"*\" but has no \":\" after it; did you mean \"*:**\"?"}]}` + "\n", ""}},
		{"json usage error", "", []string{"allow", "--format", "json", "GET", "/"},
			cliResult{2, `{"errors":[{"code":"usage","message":"scopecheck allow: give one of --scope, --scope-from and --token-from"}]}` + "\n", ""}},
		{"json scope from a damaged file", "", []string{"allow", "--format", "json", "--scope-from", "testdata/damaged-scope.txt", "GET", "/"},
			cliResult{2, `{"errors":[{"file":"testdata/damaged-scope.txt","line":2,"column":3,"code":"missing-colon","item":"*.**","message":"item \"*.**\" begins with \"*\" but has no \":\" after it; did you mean \"*:**\"?"}]}` + "\n", ""}},
		{"missing scope", "", []string{"allow", "GET", "/"}, cliResult{2, "", "scopecheck allow: give one of --scope, --scope-from and --token-from\n"}},
		{"scope from a policy", "", []string{"allow", "--scope-from", "testdata/lint/form-policies.json", "GET", "/config/x"},
			cliResult{0, "allow GET /config/x: granted by .:**\n", ""}},
		{"scope from a JWT", "", []string{"allow", "--scope-from", "testdata/lint/form-jwt.txt", "POST", "/config/tokenPolicies"},
			cliResult{0, "allow POST /config/tokenPolicies: granted by *:config/tokenPolicies**\n", ""}},
		{"scope from a damaged file", "", []string{"allow", "--scope-from", "testdata/damaged-scope.txt", "GET", "/"},
			cliResult{2, "", "testdata/damaged-scope.txt:2:3: item \"*.**\" begins with \"*\" but has no \":\" after it; did you mean \"*:**\"? [missing-colon]\n"}},
		// A pasted form decides nothing: read as written it grants
		// nothing, and what it probably means is a guess.
		{"scope from a pasted form", "", []string{"allow", "--scope-from", "testdata/lint/pasted-shell-quotes.txt", "GET", "/config/x"},
			cliResult{2, "", "testdata/lint/pasted-shell-quotes.txt:1:1: the line looks pasted (in shell quotes): read as written, which is how a server given it reads it, it holds no access item and grants no request; the scope it probably holds is \"*:config/**\" [pasted-form]\n"}},
		// A key that looks like an index is just another member: the
		// policy's item is *:**, as every server reads it.
		{"scope from a key that looks like an index", "", []string{"allow", "--scope-from", "testdata/lint/form-index-like-key.json", "DELETE", "/config/x"},
			cliResult{0, "allow DELETE /config/x: granted by *:**\n", ""}},
		{"scope from a policy with a duplicate key", "", []string{"allow", "--scope-from", "testdata/lint/form-duplicate-key.json", "GET", "/config/x"},
			cliResult{2, "", "testdata/lint/form-duplicate-key.json:4:3: duplicate key \"allowedScopes\" (first at 3:3): servers disagree on which one wins, so each is linted [duplicate-key]\n"}},
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
		{[]string{"help", "nope"}, exitUsage, `unknown help topic "nope"`},
		{[]string{"help", "version"}, exitYes, "usage: scopecheck version"},
		{[]string{"version", "x"}, exitUsage, `unexpected argument "x"`},
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
			cliResult{2, "", "--allowed:1:1: item \"*.**\" begins with \"*\" but has no \":\" after it; did you mean \"*:**\"? [missing-colon]\n" +
				"--requested:1:1: item \":x\" has no access class before \":\": write \".:x\" to read (GET, HEAD) or \"*:x\" to read and write [missing-access]\n"}},
		{"json parse errors", []string{"covers", "--format", "json", "--allowed", "*:**", "--requested", ":x"},
			cliResult{2, `{"errors":[{"file":"--requested","line":1,"column":1,"code":"missing-access","item":":x","message":"item \":x\" has no access class before \":\": write \".:x\" to read (GET, HEAD) or \"*:x\" to read and write"}]}` + "\n", ""}},
		{"missing flag", []string{"covers", "--allowed", "*:**"}, cliResult{2, "", "scopecheck covers: give one of --allowed and --allowed-from, and one of --requested and --requested-from\n"}},
		{"policy covers a token", []string{"covers", "--allowed-from", "testdata/lint/form-policy.json", "--requested-from", "testdata/lint/form-token-answer.json"},
			cliResult{1, "not covered: GET /config/ is allowed by the requested scope and denied by the allowed scope\n", ""}},
		{"policy covers its own scope", []string{"covers", "--allowed-from", "testdata/lint/form-policy.json", "--requested", ".:config/clients/x *:config/tokenPolicies/a"},
			cliResult{0, "covered\n", ""}},
		// A token is granted within one policy: ".:config/x" is in b's
		// and "*:webhooks/a" in a's, so the two together are in neither,
		// and the union of the file's policies is not what bounds them.
		{"several policies", []string{"covers", "--allowed-from", "testdata/lint/form-policies.json", "--requested", ".:config/x *:webhooks/a"},
			cliResult{2, "", "testdata/lint/form-policies.json:3:36: holds the scopes of more than one token policy or token (/0/allowedScopes/0, and /1/allowedScopes/0): a token is granted within one, and their union could pass what no one of them allows; give an input that holds one [several-policies]\n"}},
		{"several scopes requested", []string{"covers", "--allowed", "*:**", "--requested-from", "testdata/lint/form-policies.json"},
			cliResult{0, "covered\n", ""}},
		// The scope of an answer without one is unknown, so nothing is
		// covered by or covers it.
		{"token answer without scope", []string{"covers", "--allowed", ".:config/**", "--requested-from", "testdata/lint/form-token-answer-no-scope.json"},
			cliResult{2, "", "testdata/lint/form-token-answer-no-scope.json:1:1: the token answer has no scope: the server granted the scope the client asked for, or, when it asked for none, the client's default scope (RFC 6749 §5.1); nothing here says what that is [no-scope]\n"}},
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
		name  string
		stdin string
		args  []string
		want  cliResult
	}{
		{"canonical", "", []string{"fmt", "--scope", "  *:a   openid *:a .:b "}, cliResult{0, "*:a openid .:b\n", ""}},
		{"minimize", "", []string{"fmt", "--minimize", "--scope", "*:a/b *:a/** .:a/c openid"}, cliResult{0, "*:a/** openid\n", ""}},
		{"empty", "", []string{"fmt", "--scope", ""}, cliResult{0, "\n", ""}},
		{"stdin", "*:a  *:a\n# two\n.:b\n", []string{"fmt", "-"}, cliResult{0, "*:a\n.:b\n", ""}},
		{"a policy", "", []string{"fmt", "testdata/lint/form-policies.json"}, cliResult{0, "*:webhooks/**\n.:**\n*:webhooks/\n", ""}},
		// fmt prints the scope as written, never a guess; the guess is a note.
		{"a pasted form", "", []string{"fmt", "testdata/lint/pasted-url-encoded.txt"}, cliResult{0, "%2A%3Aconfig%2F%2A%2A\n",
			"testdata/lint/pasted-url-encoded.txt:1:1: the line looks pasted (URL-encoded): read as written, which is how a server given it reads it, it holds no access item and grants no request; the scope it probably holds is \"*:config/**\" [pasted-form]\n"}},
		{"parse error", "", []string{"fmt", "--scope", "*:a//b"}, cliResult{2, "", "--scope:1:5: path pattern \"a//b\" has an empty segment \"//\", which no canonical request path has [empty-segment]\n"}},
		{"parse error in a file, nothing printed", "", []string{"fmt", "testdata/lint/form-policies.json", "testdata/damaged-scope.txt"},
			cliResult{2, "", "testdata/damaged-scope.txt:2:3: item \"*.**\" begins with \"*\" but has no \":\" after it; did you mean \"*:**\"? [missing-colon]\n"}},
		{"a scope where a file is expected", "", []string{"fmt", "*:a"},
			cliResult{2, "", "*:a:1:1: open *:a: no such file or directory; to give a scope string rather than a file, use --scope [unreadable]\n"}},
		{"no argument", "", []string{"fmt"}, cliResult{2, "", "scopecheck fmt: give --scope or at least one INPUT\n"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if diff := cmp.Diff(tc.want, runCLI(tc.stdin, tc.args...)); diff != "" {
				t.Errorf("scopecheck %q (-want +got):\n%s", tc.args, diff)
			}
		})
	}
}

func TestServeUsage(t *testing.T) {
	issAud := []string{"--issuer", "https://idp.example", "--audience", "config-api"}
	with := func(args ...string) []string { return append(append([]string{"serve"}, args...), issAud...) }
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"serve"}, "scopecheck serve: give one of --jwks and --introspect\n"},
		{[]string{"serve", "--jwks", "a", "--introspect", "b"}, "scopecheck serve: give one of --jwks and --introspect\n"},
		{[]string{"serve", "--introspect", "http://127.0.0.1:1/i"}, "scopecheck serve: --introspect needs --client-id (and SCOPECHECK_CLIENT_SECRET)\n"},
		{with("--proxy", "nginx", "--jwks", "testdata/nope.json"), "scopecheck serve: token: JWKS: open testdata/nope.json: no such file or directory\n"},
		{with("--proxy", "nginx", "--jwks", "testdata/damaged-scope.txt"), "scopecheck serve: token: JWKS: testdata/damaged-scope.txt: not JSON"},
		{with("--jwks", "x", "extra"), "scopecheck serve: unexpected argument \"extra\"\n"},
		{with("--jwks", "x"), "scopecheck serve: give --proxy: the proxy in front"},
		{with("--jwks", "x", "--proxy", "haproxy"), "scopecheck serve: unknown --proxy \"haproxy\": give nginx, ingress-nginx, traefik, caddy or envoy\n"},
		{with("--jwks", "x", "--proxy", "nginx", "--strip-segments", "1"), "scopecheck serve: --strip-segments is gone: it let a token of one tenant reach every other;"},
		{with("--jwks", "x", "--proxy", "nginx", "--tenant-claim", "t", "--unsafe-strip-segments", "1"), "scopecheck serve: --unsafe-strip-segments binds no tenant: give it without --tenant and --tenant-claim\n"},
		{with("--jwks", "x", "--proxy", "nginx", "--tenant", "acme", "--unsafe-strip-segments", "1"), "scopecheck serve: --unsafe-strip-segments binds no tenant"},
		{with("--jwks", "x", "--proxy", "nginx", "--unsafe-strip-segments", "-1"), "scopecheck serve: --unsafe-strip-segments must be at least 0\n"},
		{with("--jwks", "x", "--proxy", "nginx", "--tenant", "a/b"), "scopecheck serve: --tenant \"a/b\" is not a plain tenant"},
		{with("--jwks", "x", "--proxy", "nginx", "--tenant", ".."), "scopecheck serve: --tenant \"..\" is not a plain tenant"},
		{with("--jwks", "x", "--proxy", "nginx", "--tenant", "a%2Fb"), "scopecheck serve: --tenant \"a%2Fb\" is not a plain tenant"},
		{with("--jwks", "x", "--proxy", "nginx", "--tenant", "%61cme"), "scopecheck serve: --tenant \"%61cme\" is not a plain tenant: give letters, digits, '-', '.', '_' and '~' only (no escape)\n"},
		{with("--jwks", "x", "--proxy", "nginx", "--allow-upgrade", "websocket,h2c"), "scopecheck serve: --allow-upgrade \"websocket,h2c\": give protocol names other than h2c"},
		{with("--jwks", "x", "--proxy", "nginx", "--allow-upgrade", "websocket,"), "scopecheck serve: --allow-upgrade \"websocket,\": give protocol names"},
		{with("--jwks", "x", "--proxy", "nginx", "--allow-upgrade", "web socket"), "scopecheck serve: --allow-upgrade \"web socket\": give protocol names"},
		{with("--jwks", "x", "--proxy", "envoy", "--auth-path", "/auth/"), "scopecheck serve: --auth-path \"/auth/\" must begin with /, not end with /, and not be /healthz or /readyz\n"},
		{with("--jwks", "x", "--proxy", "nginx", "--auth-path", "/healthz"), "scopecheck serve: --auth-path \"/healthz\" must begin with /, not end with /, and not be /healthz or /readyz\n"},
		{with("--jwks", "x", "--proxy", "nginx", "--auth-path", "/readyz"), "scopecheck serve: --auth-path \"/readyz\" must begin with /, not end with /, and not be /healthz or /readyz\n"},
		{with("--jwks", "x", "--proxy", "envoy", "--auth-path", "/readyz"), "scopecheck serve: --auth-path \"/readyz\" must begin"},
		{with("--jwks", "x", "--grpc", "127.0.0.1:0", "--auth-path", "/readyz"), "scopecheck serve: --auth-path \"/readyz\" must begin"},
		{with("--jwks", "x", "--proxy", "nginx", "--auth-path", "auth"), "scopecheck serve: --auth-path \"auth\" must begin"},
		{with("--jwks", "x", "--proxy", "nginx", "--auth-path", "/a/../auth"), "scopecheck serve: --auth-path \"/a/../auth\" is not a canonical path"},
		{with("--introspect", "ftp://idp/i", "--client-id", "gw"), "scopecheck serve: --introspect is not an http or https URL with a host: ftp://idp/i\n"},
		{with("--introspect", "ftp://gw:s3cret@idp/i?k=v", "--client-id", "gw"), "scopecheck serve: --introspect is not an http or https URL with a host: ftp://xxxxx@idp/i?xxxxx\n"},
		{with("--jwks", "https://"), "scopecheck serve: --jwks is not an http or https URL with a host: (not a URL)\n"},
		{[]string{"serve", "--proxy", "nginx", "--jwks", "testdata/nope.json"}, "scopecheck serve: give --issuer and --audience"},
		{[]string{"serve", "--proxy", "nginx", "--jwks", "testdata/nope.json", "--issuer", "https://idp.example"}, "scopecheck serve: give --issuer and --audience"},
		{[]string{"serve", "--proxy", "nginx", "--introspect", "http://127.0.0.1:1/i", "--client-id", "gw", "--audience", "a"}, "scopecheck serve: give --issuer and --audience"},
		{[]string{"serve", "--proxy", "nginx", "--jwks", "testdata/nope.json", "--unsafe-skip-issuer-audience"}, "scopecheck serve: token: JWKS: open testdata/nope.json: no such file or directory\n"},
		{with("--jwks", "x", "--jwks-refresh", "0s"), "scopecheck serve: durations must be positive (--shutdown-delay and --leeway may be 0)\n"},
		{with("--jwks", "x", "--proxy", "nginx", "--read-timeout", "0s"), "scopecheck serve: durations must be positive"},
		{with("--jwks", "x", "--proxy", "nginx", "--leeway", "-1s"), "scopecheck serve: durations must be positive"},
		{with("--jwks", "x", "--proxy", "nginx", "--read-header-timeout", "7s", "--read-timeout", "3s"), "scopecheck serve: --read-timeout 3s is shorter than --read-header-timeout 7s, which net/http gives a request's headers all the same\n"},
		{with("--jwks", "x", "--proxy", "nginx", "--log-allowed-sample", "-1"), "scopecheck serve: --log-allowed-sample must be at least 0\n"},
		{with("--jwks", "x", "--log-level", "verbose"), `invalid value "verbose" for flag -log-level: want debug, info, warn or error`},
		{with("--jwks", "x", "--config", "testdata/nope.json"), "scopecheck serve: open testdata/nope.json: no such file or directory\n"},
		{with("--jwks", "x", "--cache-bytes", "0"), `invalid value "0" for flag -cache-bytes: want a positive number of bytes`},
		{with("--jwks", "x", "--token-cache-bytes", "12XB"), `invalid value "12XB" for flag -token-cache-bytes`},
		{with("--jwks", "x", "--cache", "100"), "flag provided but not defined: -cache"},
	} {
		got := runCLI("", tc.args...)
		if got.Code != exitUsage || !strings.HasPrefix(got.Stderr, tc.want) {
			t.Errorf("scopecheck %q = %d, %q; want 2 and %q", tc.args, got.Code, got.Stderr, tc.want)
		}
	}
}

func TestByteSize(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want int64
		ok   bool
	}{
		{"1048576", 1 << 20, true}, {"512KiB", 512 << 10, true}, {"64MiB", 64 << 20, true}, {"2GiB", 2 << 30, true},
		{"0", 0, false}, {"-1MiB", 0, false}, {"1.5MiB", 0, false}, {"MiB", 0, false}, {"64MB", 0, false}, {"99999999GiB", 0, false},
	} {
		var b byteSize
		err := b.Set(tc.in)
		if (err == nil) != tc.ok || (tc.ok && int64(b) != tc.want) {
			t.Errorf("Set(%q) = %d, %v; want %d, ok %v", tc.in, b, err, tc.want, tc.ok)
		}
	}
}

// A string that is a valid scope is that scope in every command, whatever
// it looks like: the review's strings, that lint, explain and fmt once read
// as a guess at a pasted form while allow and covers read them as written.
func TestOneInputRule(t *testing.T) {
	superAdmin := "--scope:1:1: warning: *:** grants every method on every path (super admin); grant the paths and methods the client needs [super-admin]\n"
	tests := []struct {
		name string
		args []string
		want cliResult
	}{
		{"lint: a form field inside an item", []string{"lint", "--scope", "*:** *:a&scope=openid"}, cliResult{0, superAdmin +
			"--scope:1:6: warning: item *:a&scope=openid is covered by *:** and adds nothing; remove it [redundant]\n\tsuggestion (equal): *:**\n", ""}},
		{"allow: the same", []string{"allow", "--scope", "*:** *:a&scope=openid", "DELETE", "/config/x"}, cliResult{0, "allow DELETE /config/x: granted by *:**\n", ""}},
		{"explain: the same", []string{"explain", "--scope", ".:a&scope=openid"}, cliResult{0, ".:a&scope=openid\n  methods: GET and HEAD\n" +
			"  paths:   / then \"a&scope=openid\"\n  matches: /a&scope=openid\n  misses:  /a&scope=openid/z, /a&scope=openidX, /a&scope=openid/x\n", ""}},
		{"fmt: the same", []string{"fmt", "--minimize", "--scope", "*:config/** .:a&scope=openid"}, cliResult{0, "*:config/** .:a&scope=openid\n", ""}},
		{"covers: the same", []string{"covers", "--allowed", "*:config/** .:a&scope=openid", "--requested", "*:config/x"}, cliResult{0, "covered\n", ""}},
		{"lint: a scope that begins with bearer", []string{"lint", "--scope", "bearer *:**"}, cliResult{0,
			"--scope:1:8: warning: *:** grants every method on every path (super admin); grant the paths and methods the client needs [super-admin]\n", ""}},
		{"allow: the same", []string{"allow", "--scope", "bearer *:**", "DELETE", "/config"}, cliResult{0, "allow DELETE /config: granted by *:**\n", ""}},
		// What looks pasted and holds no access item is the scope as
		// written: fmt prints it, never the guess, which is a note; allow
		// refuses to decide on it.
		{"fmt: shell quotes", []string{"fmt", "--scope", "'*:**'"}, cliResult{0, "'*:**'\n",
			"--scope:1:1: the argument looks pasted (in shell quotes): read as written, which is how a server given it reads it, it holds no access item and grants no request; the scope it probably holds is \"*:**\" [pasted-form]\n"}},
		{"allow: shell quotes", []string{"allow", "--scope", "'*:**'", "DELETE", "/config"}, cliResult{2, "",
			"--scope:1:1: the argument looks pasted (in shell quotes): read as written, which is how a server given it reads it, it holds no access item and grants no request; the scope it probably holds is \"*:**\" [pasted-form]\n"}},
		{"fmt: URL-encoded", []string{"fmt", "--scope", "openid%20*:config/**"}, cliResult{0, "openid%20*:config/**\n",
			"--scope:1:1: the argument looks pasted (URL-encoded): read as written, which is how a server given it reads it, it holds no access item and grants no request; the scope it probably holds is \"openid *:config/**\" [pasted-form]\n"}},
		{"explain: shell quotes", []string{"explain", "--scope", "'*:**'"}, cliResult{0, "'*:**'\n  a plain scope name: grants no request\n",
			"--scope:1:1: the argument looks pasted (in shell quotes): read as written, which is how a server given it reads it, it holds no access item and grants no request; the scope it probably holds is \"*:**\" [pasted-form]\n"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if diff := cmp.Diff(tc.want, runCLI("", tc.args...)); diff != "" {
				t.Errorf("scopecheck %q (-want +got):\n%s", tc.args, diff)
			}
		})
	}
}

// Every command reads a scope given with --scope as Parse reads it: fmt
// prints its canonical text, explain explains it, lint reports super-admin
// exactly when it covers *:**, and allow decides with it (or refuses a
// string that looks pasted and holds no access item, never reading
// anything else into it).
func TestCommandsReadTheScopeAsWritten(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		s := scopegen.Pasted(4, 4).Draw(t, "scope")
		set, err := scope.Parse(s)
		if err != nil {
			return
		}
		if got := runCLI("", "fmt", "--scope", s); got.Code != 0 || got.Stdout != set.String()+"\n" {
			t.Fatalf("fmt --scope %q = %+v, want %q", s, got, set.String())
		}
		var ex struct{ Scopes []struct{ Scope string } }
		got := runCLI("", "explain", "--format", "json", "--scope", s)
		if err := json.Unmarshal([]byte(got.Stdout), &ex); err != nil || len(ex.Scopes) != 1 || ex.Scopes[0].Scope != set.String() {
			t.Fatalf("explain --scope %q = %+v", s, got)
		}
		var lint struct{ Findings []struct{ Code string } }
		got = runCLI("", "lint", "--format", "json", "--scope", s)
		if err := json.Unmarshal([]byte(got.Stdout), &lint); err != nil {
			t.Fatalf("lint --scope %q = %+v", s, got)
		}
		breadth, err := scope.Breadth(set)
		superAdmin := false
		for _, f := range lint.Findings {
			superAdmin = superAdmin || f.Code == string(scope.SuperAdmin)
		}
		if err == nil && superAdmin != (breadth == scope.SuperAdmin) {
			t.Fatalf("lint --scope %q: super-admin %v, Breadth %q", s, superAdmin, breadth)
		}
		path := scopegen.Path(4).Draw(t, "path")
		got = runCLI("", "allow", "--exact-method", "--scope", s, "--", "POST", path)
		want := match.Compile(set).Decide("POST", path).Allowed
		if got.Code == exitUsage && strings.Contains(got.Stderr, "[pasted-form]") && !want {
			return // a pasted form that grants nothing as written is refused
		}
		if (got.Code == exitYes) != want {
			t.Fatalf("allow --scope %q POST %q = %+v; the matcher says %v", s, path, got, want)
		}
	})
}

// A bad flag is reported in the format the arguments ask for, so that a
// program reading stdout gets JSON or a SARIF log even then.
func TestFlagErrorsFollowFormat(t *testing.T) {
	for _, args := range [][]string{
		{"allow", "--format", "json", "--bogus", "GET", "/"},
		{"covers", "--format=json", "--bogus"},
		{"explain", "--format", "json", "--bogus"},
		{"lint", "--format", "json", "--bogus", "x"},
	} {
		got := runCLI("", args...)
		want := fmt.Sprintf(`{"errors":[{"code":"usage","message":"scopecheck %s: flag provided but not defined: -bogus"}]}`+"\n", args[0])
		if got.Code != exitUsage || got.Stdout != want {
			t.Errorf("scopecheck %q = %+v", args, got)
		}
	}
	got := runCLI("", "lint", "--format", "sarif", "--bogus", "x")
	var log sarifLog
	if err := json.Unmarshal([]byte(got.Stdout), &log); err != nil || got.Code != exitUsage || len(log.Runs) != 1 ||
		log.Runs[0].Invocations[0].ExecutionSuccessful || len(log.Runs[0].Invocations[0].ToolExecutionNotifications) != 1 {
		t.Errorf("lint --format sarif --bogus: %+v", got)
	}
	validateSARIF(t, []byte(got.Stdout))
	if got := runCLI("", "lint", "--bogus", "--format", "json", "x"); got.Code != exitUsage || !strings.HasPrefix(got.Stdout, `{"errors":`) {
		t.Errorf("a bad flag before --format: %+v", got)
	}
	if got := runCLI("", "lint", "--format", "json", "-h"); got.Code != exitYes || got.Stdout != "" || !strings.Contains(got.Stderr, "usage: scopecheck lint") {
		t.Errorf("-h with --format json: %+v", got)
	}
}
