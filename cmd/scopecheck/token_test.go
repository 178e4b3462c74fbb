package main

import (
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/scopecheck/scopecheck/scope"
)

// platformClient is a client the test token endpoint knows.
type platformClient struct {
	secret string
	auth   string // "basic", "form" or "" for either
	// policy is the client's token policy: a requested scope must lie
	// within it (else invalid_scope), and is granted as asked, unless
	// grant says otherwise.
	policy string
	// grants, when it has the scope asked for (or "*"), is the scope the
	// server grants for it; omitScope leaves the answer without scope.
	grants    map[string]string
	omitScope bool
	// expiresIn is the JSON of expires_in: 3600 or "3599".
	expiresIn           string
	noClientCredentials bool
}

// tokenEndpoint is a token endpoint in the shapes the platform's
// documentation gives: POST /{customerId}/login/token, client_credentials
// only, HTTP Basic (id and secret form-encoded, RFC 6749 §2.3.1) or form
// fields, never both; JSON answers, expires_in a number or a string; OAuth
// errors with status 400 or 401 (RFC 6749 §5.2). It records what it was
// sent.
type tokenEndpoint struct {
	*httptest.Server
	clients map[string]platformClient
	mu      sync.Mutex
	seen    []url.Values
	auths   []string
}

func newTokenEndpoint(t *testing.T) *tokenEndpoint {
	e := &tokenEndpoint{clients: map[string]platformClient{
		"reviewer":  {secret: "s3cret:/+é", policy: ".:config/** *:config/loginPolicies/**", expiresIn: `"3599"`, grants: map[string]string{".:config/**": ".:config/clients"}},
		"form-only": {secret: "f0rm", auth: "form", policy: "*:webhooks/**", expiresIn: "3600"},
		"narrowing": {secret: "narrowing-s3cret", policy: ".:config/**", grants: map[string]string{"*": ".:config/clients"}, expiresIn: "3600"},
		"widening":  {secret: "widening-s3cret", policy: "*:**", grants: map[string]string{"*": "*:config/** openid"}, expiresIn: "3600"},
		"quiet":     {secret: "quiet-s3cret", policy: ".:config/**", omitScope: true},
		"no-cc":     {secret: "no-cc-s3cret", policy: "*:**", noClientCredentials: true},
	}}
	mux := http.NewServeMux()
	mux.HandleFunc("/acme/login/token", func(w http.ResponseWriter, r *http.Request) {
		oauthErr := func(status int, code, desc string) {
			w.Header().Set("Content-Type", "application/json")
			if status == http.StatusUnauthorized {
				w.Header().Set("WWW-Authenticate", `Basic realm="token"`)
			}
			w.WriteHeader(status)
			fmt.Fprintf(w, `{"error": %q, "error_description": %q}`, code, desc)
		}
		if r.Method != http.MethodPost || r.Header.Get("Content-Type") != "application/x-www-form-urlencoded" {
			oauthErr(400, "invalid_request", "POST a form")
			return
		}
		if err := r.ParseForm(); err != nil {
			oauthErr(400, "invalid_request", "not a form")
			return
		}
		e.mu.Lock()
		e.seen = append(e.seen, r.PostForm)
		e.mu.Unlock()
		id, secret, basic := r.BasicAuth()
		if basic {
			id, _ = url.QueryUnescape(id)
			secret, _ = url.QueryUnescape(secret)
		}
		_, formID := r.PostForm["client_id"]
		switch {
		case basic && formID:
			oauthErr(400, "invalid_request", "the client is authenticated twice")
			return
		case formID:
			id, secret = r.PostForm.Get("client_id"), r.PostForm.Get("client_secret")
		}
		how := "form"
		if basic {
			how = "basic"
		}
		e.mu.Lock()
		e.auths = append(e.auths, how)
		e.mu.Unlock()
		c, ok := e.clients[id]
		if !ok || c.secret != secret || c.auth != "" && c.auth != how {
			oauthErr(401, "invalid_client", "client authentication failed")
			return
		}
		if r.PostForm.Get("grant_type") != "client_credentials" {
			oauthErr(400, "unsupported_grant_type", "only client_credentials")
			return
		}
		if c.noClientCredentials {
			oauthErr(400, "unauthorized_client", "the client may not use client_credentials")
			return
		}
		asked := r.PostForm.Get("scope")
		if asked == "" {
			asked = c.policy
		}
		req, err := scope.Parse(asked)
		if err != nil {
			oauthErr(400, "invalid_scope", "the scope does not parse")
			return
		}
		if ok, _ := scope.Covers(scope.MustParse(c.policy), req); !ok {
			oauthErr(400, "invalid_scope", "the scope is not within the client's token policy")
			return
		}
		grant := req.String()
		if g, ok := c.grants[grant]; ok {
			grant = g
		} else if g, ok := c.grants["*"]; ok {
			grant = g
		}
		answer := fmt.Sprintf(`{"access_token": "z7S4.token.%s", "token_type": "Bearer"`, id)
		if c.expiresIn != "" {
			answer += `, "expires_in": ` + c.expiresIn
		}
		if !c.omitScope {
			answer += fmt.Sprintf(`, "scope": %q`, grant)
		}
		w.Header().Set("Content-Type", "application/json")
		w.Header().Set("Cache-Control", "no-store")
		fmt.Fprint(w, answer+"}")
	})
	mux.HandleFunc("/acme/login/broken", func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(502)
		fmt.Fprint(w, "<html>bad gateway</html>")
	})
	mux.HandleFunc("/acme/login/moved", func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, "/acme/login/token", http.StatusTemporaryRedirect)
	})
	mux.HandleFunc("/acme/login/soon", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		fmt.Fprint(w, `{"access_token": "t", "token_type": "Bearer", "expires_in": "soon", "scope": ".:a"}`)
	})
	e.Server = httptest.NewServer(mux)
	t.Cleanup(e.Close)
	return e
}

func TestToken(t *testing.T) {
	e := newTokenEndpoint(t)
	dir := t.TempDir()
	secretFile := filepath.Join(dir, "secret")
	os.WriteFile(secretFile, []byte("f0rm\n"), 0o600)
	policy := filepath.Join(dir, "policy.json")
	os.WriteFile(policy, []byte(`{"allowedScopes": [".:config/**", "*:config/loginPolicies/**"]}`), 0o600)
	base := []string{"token", "--base", e.URL, "--customer", "acme"}
	secrets := map[string]string{"reviewer": "s3cret:/+é", "narrowing": "narrowing-s3cret", "widening": "widening-s3cret", "quiet": "quiet-s3cret", "no-cc": "no-cc-s3cret", "form-only": "f0rm"}
	tests := []struct {
		name   string
		client string
		args   []string
		code   int
		want   string // the whole stdout, with EXPIRY for the expiry time
	}{
		{"basic, string expires_in, equal", "reviewer", []string{"--scope", ".:config/clients  *:config/loginPolicies/p1"}, 0,
			"token type: Bearer\nexpires: EXPIRY (expires_in sent as the string \"3599\")\nscope: .:config/clients *:config/loginPolicies/p1\n" +
				"requested: .:config/clients *:config/loginPolicies/p1\ngranted: equal to the scope asked for (scope.Covers both ways)\n"},
		{"form, number expires_in", "form-only", []string{"--auth", "form", "--scope", "*:webhooks/**"}, 0,
			"token type: Bearer\nexpires: EXPIRY (expires_in 3600)\nscope: *:webhooks/**\nrequested: *:webhooks/**\ngranted: equal to the scope asked for (scope.Covers both ways)\n"},
		{"narrowed by the server", "narrowing", []string{"--scope", ".:config/**"}, 0,
			"token type: Bearer\nexpires: EXPIRY (expires_in 3600)\nscope: .:config/clients\nrequested: .:config/**\ngranted: narrower than asked: GET /config/ was asked for and not granted\n"},
		{"widened by the server", "widening", []string{"--scope", ".:config/**"}, 1,
			"token type: Bearer\nexpires: EXPIRY (expires_in 3600)\nscope: *:config/** openid\nrequested: .:config/**\ngranted: WIDER than asked: the plain item openid was granted and not asked for\n"},
		{"widened and narrowed", "widening", []string{"--scope", ".:webhooks/**"}, 1,
			"token type: Bearer\nexpires: EXPIRY (expires_in 3600)\nscope: *:config/** openid\nrequested: .:webhooks/**\n" +
				"granted: WIDER than asked (the plain item openid was granted and not asked for) and narrower (GET /webhooks/ was asked for and not granted)\n"},
		{"no scope in the answer", "quiet", []string{"--scope", ".:config/clients"}, 0,
			"token type: Bearer\nexpires: not said (no expires_in)\nscope: .:config/clients\nnote: the answer has no scope: the granted scope is the one asked for (RFC 6749 §5.1)\n" +
				"requested: .:config/clients\ngranted: equal to the scope asked for (scope.Covers both ways)\n"},
		{"no scope asked: the client's default", "reviewer", nil, 0,
			"token type: Bearer\nexpires: EXPIRY (expires_in sent as the string \"3599\")\nscope: .:config/** *:config/loginPolicies/**\n"},
		{"inside the policy, and a check", "reviewer", []string{"--policy", policy, "--scope", ".:config/** *:config/loginPolicies/**", "--check", "get", "/config/clients"}, 0,
			"token type: Bearer\nexpires: EXPIRY (expires_in sent as the string \"3599\")\nscope: .:config/** *:config/loginPolicies/**\nrequested: .:config/** *:config/loginPolicies/**\n" +
				"granted: equal to the scope asked for (scope.Covers both ways)\npolicy " + policy + ": the granted scope lies inside it\nallow GET /config/clients: granted by .:config/**\n"},
		{"outside the policy, a check denied", "widening", []string{"--policy", policy, "--check", "DELETE", "/webhooks/x"}, 1,
			"token type: Bearer\nexpires: EXPIRY (expires_in 3600)\nscope: *:config/** openid\npolicy " + policy +
				": the granted scope is OUTSIDE it: the plain item openid is granted and the policy does not allow it\ndeny DELETE /webhooks/x: no access item matches the path\n"},
		{"the token, when asked", "form-only", []string{"--auth", "form", "--print-token"}, 0,
			"token type: Bearer\nexpires: EXPIRY (expires_in 3600)\nscope: *:webhooks/**\naccess token: z7S4.token.form-only\n"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Setenv("SCOPECHECK_CLIENT_SECRET", secrets[tc.client])
			before := time.Now()
			got := runCLI("", append(append(base, "--client-id", tc.client), tc.args...)...)
			want := tc.want
			if i := strings.Index(got.Stdout, "expires: 20"); i >= 0 {
				expiry, _, _ := strings.Cut(got.Stdout[i+len("expires: "):], " ")
				when, err := time.Parse(time.RFC3339, expiry)
				// x/oauth2 reads expires_in, number or string, into the expiry.
				if err != nil || when.Before(before.Add(3590*time.Second)) || when.After(time.Now().Add(3601*time.Second)) {
					t.Errorf("expiry %q is not in an hour", expiry)
				}
				want = strings.Replace(want, "EXPIRY", expiry, 1)
			}
			if got.Code != tc.code || got.Stdout != want || got.Stderr != "" {
				t.Errorf("exit %d, stderr %q, stdout (-want +got):\n%s", got.Code, got.Stderr, cmp.Diff(want, got.Stdout))
			}
			if strings.Contains(got.Stdout+got.Stderr, secrets[tc.client]) {
				t.Error("the secret was printed")
			}
			if !strings.Contains(strings.Join(tc.args, " "), "--print-token") && strings.Contains(got.Stdout, "z7S4") {
				t.Error("the token was printed unasked")
			}
		})
	}

	// The secret from a file; the form fields sent; never both ways.
	got := runCLI("", append(base, "--client-id", "form-only", "--auth", "form", "--secret-file", secretFile, "--scope", "*:webhooks/**", "--format", "json")...)
	var out tokenOutput
	if err := json.Unmarshal([]byte(got.Stdout), &out); err != nil || got.Code != 0 || out.Relation != "equal" || out.ExpiresIn != 3600.0 || out.AccessToken != "" {
		t.Errorf("exit %d, %v: %+v", got.Code, err, out)
	}
	e.mu.Lock()
	last := e.seen[len(e.seen)-1]
	e.mu.Unlock()
	if last.Get("grant_type") != "client_credentials" || last.Get("scope") != "*:webhooks/**" || last.Get("client_secret") != "f0rm" {
		t.Errorf("sent %v", last)
	}
	for _, a := range e.auths {
		if a != "basic" && a != "form" {
			t.Errorf("authenticated %s", a)
		}
	}
}

// OAuth errors are reported as such, with exit 2, as are answers that are
// not tokens and usage errors; no secret is printed.
func TestTokenErrors(t *testing.T) {
	e := newTokenEndpoint(t)
	t.Setenv("SCOPECHECK_CLIENT_SECRET", "s3cret:/+é")
	t.Setenv("NO_CC_SECRET", "no-cc-s3cret")
	endpoint := e.URL + "/acme/login/token"
	for _, tc := range []struct {
		name string
		args []string
		want string
	}{
		{"invalid_client", []string{"--token-url", endpoint, "--client-id", "nobody"},
			"scopecheck token: the token endpoint answered invalid_client (HTTP 401): \"client authentication failed\" [the client id or secret is wrong, or the client may not authenticate this way (--auth)] [token-error]\n"},
		{"basic where only form is allowed", []string{"--token-url", endpoint, "--client-id", "form-only"},
			"scopecheck token: the token endpoint answered invalid_client (HTTP 401): \"client authentication failed\" [the client id or secret is wrong, or the client may not authenticate this way (--auth)] [token-error]\n"},
		{"invalid_scope", []string{"--token-url", endpoint, "--client-id", "reviewer", "--scope", "*:webhooks/**"},
			"scopecheck token: the token endpoint answered invalid_scope (HTTP 400): \"the scope is not within the client's token policy\" [the scope asked for is not one the client's token policy allows] [token-error]\n"},
		{"unauthorized_client", []string{"--token-url", endpoint, "--client-id", "no-cc", "--secret-env", "NO_CC_SECRET"},
			"scopecheck token: the token endpoint answered unauthorized_client (HTTP 400): \"the client may not use client_credentials\" [the client may not use the client_credentials grant] [token-error]\n"},
		{"not a token", []string{"--token-url", e.URL + "/acme/login/broken", "--client-id", "reviewer"},
			"scopecheck token: the token endpoint answered (HTTP 502), not a token: \"<html>bad gateway</html>\" [token-error]\n"},
		{"redirect not followed", []string{"--token-url", e.URL + "/acme/login/moved", "--client-id", "reviewer"},
			"scopecheck token: the token endpoint answered (HTTP 307), not a token: \"\" [token-error]\n"},
		{"expires_in not a number", []string{"--token-url", e.URL + "/acme/login/soon", "--client-id", "reviewer"},
			"scopecheck token: oauth2: cannot parse json: json: invalid number literal, trying to unmarshal \"\\\"soon\\\"\" into Number [token-error]\n"},
		{"plain http elsewhere", []string{"--token-url", "http://idp.example.com/acme/login/token", "--client-id", "reviewer"},
			"scopecheck token: the token endpoint \"http://idp.example.com/acme/login/token\" is not https: the client secret would cross the network in the clear\n"},
		{"no endpoint", []string{"--client-id", "reviewer"}, "scopecheck token: give --token-url, or --base and --customer\n"},
		{"customer not a segment", []string{"--base", e.URL, "--customer", "a/b", "--client-id", "reviewer"}, "scopecheck token: --customer \"a/b\" is not one canonical path segment\n"},
		{"damaged scope", []string{"--token-url", endpoint, "--client-id", "reviewer", "--scope", "*config/**"}, ""},
		{"no secret", []string{"--token-url", endpoint, "--client-id", "reviewer", "--secret-env", "SCOPECHECK_NO_SUCH_SECRET"},
			"scopecheck token: no client secret: set SCOPECHECK_NO_SUCH_SECRET, or give --secret-file (never the secret itself as a flag)\n"},
		{"--check without a request", []string{"--token-url", endpoint, "--client-id", "reviewer", "--check"}, "scopecheck token: --check needs METHOD PATH, got 0 argument(s)\n"},
		{"a policy file of several policies", []string{"--token-url", endpoint, "--client-id", "reviewer", "--policy", "testdata/lint/form-policies.json"},
			"testdata/lint/form-policies.json:3:36: holds the scopes of more than one token policy or token (/0/allowedScopes/0, and /1/allowedScopes/0): a token is granted within one, and their union could pass what no one of them allows; give an input that holds one [several-policies]\n"},
		{"a request without --check", []string{"--token-url", endpoint, "--client-id", "reviewer", "GET", "/x"},
			"scopecheck token: unexpected argument \"GET\" (to decide a request with the granted scope, add --check)\n"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got := runCLI("", append([]string{"token"}, tc.args...)...)
			if got.Code != exitUsage || got.Stdout != "" || tc.want != "" && got.Stderr != tc.want {
				t.Errorf("exit %d, stdout %q, stderr (-want +got):\n%s", got.Code, got.Stdout, cmp.Diff(tc.want, got.Stderr))
			}
			if strings.Contains(got.Stderr, "s3cret") {
				t.Error("the secret was printed")
			}
		})
	}
}

// The README's example is what the command prints against a token
// endpoint in the platform's shapes (the expiry aside, which is an hour
// from now).
func TestREADMEToken(t *testing.T) {
	e := newTokenEndpoint(t)
	t.Setenv("SCOPECHECK_CLIENT_SECRET", "s3cret:/+é")
	readme := readDoc(t, "../../README.md")
	const cmd = "$ scopecheck token --base https://idp.example.com --customer acme --client-id reviewer \\\n    --scope '.:config/**' --policy policy.json --check GET /config/clients\n"
	start := strings.Index(readme, cmd)
	if start < 0 {
		t.Fatal("README.md has no example of token")
	}
	shown := readme[start+len(cmd):]
	shown = shown[:strings.Index(shown, "```")]
	got := runCLI("", "token", "--base", e.URL, "--customer", "acme", "--client-id", "reviewer", "--scope", ".:config/**",
		"--policy", "testdata/suggest/policy.json", "--check", "GET", "/config/clients")
	out := regexp.MustCompile(`expires: \S+`).ReplaceAllString(got.Stdout, "expires: 2026-05-04T10:00:00Z")
	out = strings.ReplaceAll(out, "testdata/suggest/policy.json", "policy.json")
	if diff := cmp.Diff(shown, out); diff != "" || got.Code != exitYes {
		t.Errorf("exit %d, %s; the README's example (-README +output):\n%s", got.Code, got.Stderr, diff)
	}
}

// A form-encoded token answer (which x/oauth2 reads too) is read as
// sent: a member it does not hold is absent, not "" (an answer without
// scope grants the scope asked for, or only the server knows which), and
// an expires_in that is not a number is not a token.
func TestTokenFormAnswers(t *testing.T) {
	t.Setenv("SCOPECHECK_CLIENT_SECRET", "f0rm-s3cret")
	for _, tc := range []struct {
		name string
		body string
		args []string
		want cliResult
	}{
		{"scope sent", "access_token=t&token_type=bearer&expires_in=3600&scope=.%3Aconfig%2Fclients", []string{"--scope", ".:config/**"},
			cliResult{0, "token type: bearer\nexpires: EXPIRY (expires_in 3600)\nscope: .:config/clients\nrequested: .:config/**\ngranted: narrower than asked: GET /config/ was asked for and not granted\n", ""}},
		{"no scope, one asked", "access_token=t&token_type=bearer&expires_in=3600", []string{"--scope", ".:config/clients"},
			cliResult{0, "token type: bearer\nexpires: EXPIRY (expires_in 3600)\nscope: .:config/clients\nnote: the answer has no scope: the granted scope is the one asked for (RFC 6749 §5.1)\n" +
				"requested: .:config/clients\ngranted: equal to the scope asked for (scope.Covers both ways)\n", ""}},
		{"no scope, none asked", "access_token=t&token_type=bearer&expires_in=3600", nil,
			cliResult{2, "", "scopecheck token: the answer has no scope and none was asked for: the client's default scope was granted, which only the server knows [no-scope]\n"}},
		{"an empty scope sent", "access_token=t&token_type=bearer&scope=", nil,
			cliResult{0, "token type: bearer\nexpires: not said (no expires_in)\nscope: \n", ""}},
		{"expires_in not a number", "access_token=t&token_type=bearer&expires_in=abc&scope=.%3Aa", nil,
			cliResult{2, "", "scopecheck token: the answer's expires_in \"abc\" is not a number of seconds: not a token [token-error]\n"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				w.Header().Set("Content-Type", "application/x-www-form-urlencoded")
				fmt.Fprint(w, tc.body)
			}))
			defer srv.Close()
			got := runCLI("", append([]string{"token", "--token-url", srv.URL + "/acme/login/token", "--client-id", "c"}, tc.args...)...)
			if i := strings.Index(got.Stdout, "expires: 20"); i >= 0 {
				expiry, _, _ := strings.Cut(got.Stdout[i+len("expires: "):], " ")
				got.Stdout = strings.Replace(got.Stdout, expiry, "EXPIRY", 1)
			}
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("(-want +got):\n%s", diff)
			}
		})
	}
}

// The expiry and type are reported as the answer sends them: an
// expires_in of 0 or less is a token that had expired when issued (exit
// 2), one past 250 years is one that does not expire in practice (where
// x/oauth2 would clamp it to 2^31 seconds), a JSON number is written
// whole, and a missing token_type is said to be missing, not "Bearer".
func TestTokenExpiryAndType(t *testing.T) {
	t.Setenv("SCOPECHECK_CLIENT_SECRET", "s3cret-json")
	for _, tc := range []struct {
		name string
		body string
		want cliResult
	}{
		{"a lifetime", `{"access_token":"t","token_type":"Bearer","expires_in":3600,"scope":".:a"}`,
			cliResult{0, "token type: Bearer\nexpires: EXPIRY (expires_in 3600)\nscope: .:a\n", ""}},
		{"expired when issued", `{"access_token":"t","token_type":"Bearer","expires_in":0,"scope":".:a"}`,
			cliResult{2, "", "scopecheck token: the answer's expires_in is 0: the token had expired when it was issued, not a usable token [token-error]\n"}},
		{"negative", `{"access_token":"t","token_type":"Bearer","expires_in":-5,"scope":".:a"}`,
			cliResult{2, "", "scopecheck token: the answer's expires_in is -5: the token had expired when it was issued, not a usable token [token-error]\n"}},
		{"negative string", `{"access_token":"t","token_type":"Bearer","expires_in":"-1","scope":".:a"}`,
			cliResult{2, "", "scopecheck token: the answer's expires_in is -1: the token had expired when it was issued, not a usable token [token-error]\n"}},
		{"past 250 years", `{"access_token":"t","token_type":"Bearer","expires_in":99999999999,"scope":".:a"}`,
			cliResult{0, "token type: Bearer\nexpires: never in practice (expires_in 99999999999)\nscope: .:a\nnote: expires_in 99999999999 seconds is more than 250 years: the token does not expire in practice\n", ""}},
		{"not whole", `{"access_token":"t","token_type":"Bearer","expires_in":3600.5,"scope":".:a"}`,
			cliResult{2, "", ""}},
		{"no token_type", `{"access_token":"t","expires_in":"3599","scope":".:a"}`,
			cliResult{0, "token type: not said (no token_type)\nexpires: EXPIRY (expires_in sent as the string \"3599\")\nscope: .:a\nnote: the answer has no token_type, which RFC 6749 §5.1 requires: how to send the token is not said\n", ""}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				w.Header().Set("Content-Type", "application/json")
				fmt.Fprint(w, tc.body)
			}))
			defer srv.Close()
			before := time.Now()
			got := runCLI("", "token", "--token-url", srv.URL+"/acme/login/token", "--client-id", "c")
			if i := strings.Index(got.Stdout, "expires: 20"); i >= 0 {
				expiry, _, _ := strings.Cut(got.Stdout[i+len("expires: "):], " ")
				if when, err := time.Parse(time.RFC3339, expiry); err != nil || when.Before(before.Add(3590*time.Second)) || when.After(time.Now().Add(3601*time.Second)) {
					t.Errorf("expiry %q is not in an hour", expiry)
				}
				got.Stdout = strings.Replace(got.Stdout, expiry, "EXPIRY", 1)
			}
			if tc.want.Stderr == "" {
				got.Stderr = ""
			}
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("(-want +got):\n%s", diff)
			}
		})
	}
}

// An endpoint that echoes the request in its error answer does not make
// token print the secret: raw, URL-encoded (upper- or lower-case escapes),
// or inside Basic's base64, in text or JSON, whatever the clipping of a
// long body.
func TestTokenRedactsEchoedSecret(t *testing.T) {
	const secret = `s3cr3t VALUE/+é&"x`
	t.Setenv("SCOPECHECK_CLIENT_SECRET", secret)
	echo := func(status int, oauthErr bool, what func(*http.Request, string) string) http.HandlerFunc {
		return func(w http.ResponseWriter, r *http.Request) {
			body, _ := io.ReadAll(r.Body)
			text := what(r, string(body))
			if oauthErr {
				w.Header().Set("Content-Type", "application/json")
				w.WriteHeader(status)
				j, _ := json.Marshal(map[string]string{"error": "invalid_request", "error_description": text})
				w.Write(j)
				return
			}
			w.WriteHeader(status)
			fmt.Fprint(w, text)
		}
	}
	lowerEscapes := regexp.MustCompile(`%[0-9A-F]{2}`)
	for _, tc := range []struct {
		name    string
		auth    string
		format  string
		handler http.HandlerFunc
	}{
		{"form body in the description", "form", "text", echo(400, true, func(r *http.Request, b string) string { return "got: " + b })},
		{"form body, lower-case escapes", "form", "text", echo(400, true, func(r *http.Request, b string) string {
			return "got: " + lowerEscapes.ReplaceAllStringFunc(b, strings.ToLower)
		})},
		{"form body decoded", "form", "json", echo(400, true, func(r *http.Request, b string) string {
			v, _ := url.ParseQuery(b)
			return "client_secret=" + v.Get("client_secret")
		})},
		{"Basic header in a 500", "basic", "text", echo(500, false, func(r *http.Request, b string) string {
			return "debug: authorization=" + r.Header.Get("Authorization")
		})},
		{"Basic header, JSON", "basic", "json", echo(500, false, func(r *http.Request, b string) string {
			return strings.Repeat("x", 480) + r.Header.Get("Authorization")
		})},
		{"Basic password decoded", "basic", "text", echo(401, true, func(r *http.Request, b string) string {
			_, p, _ := r.BasicAuth()
			return "wrong password " + p
		})},
	} {
		t.Run(tc.name, func(t *testing.T) {
			srv := httptest.NewServer(tc.handler)
			defer srv.Close()
			got := runCLI("", "token", "--token-url", srv.URL+"/acme/login/token", "--client-id", "rev:iewer", "--auth", tc.auth, "--format", tc.format)
			out := got.Stdout + got.Stderr
			qe := url.QueryEscape(secret)
			type leak struct{ Form, Printed string }
			var leaks []leak
			for _, form := range []string{secret, qe, lowerEscapes.ReplaceAllStringFunc(qe, strings.ToLower),
				base64.StdEncoding.EncodeToString([]byte(url.QueryEscape("rev:iewer") + ":" + qe)), "s3cr3t"} {
				if strings.Contains(out, form) {
					leaks = append(leaks, leak{form, out})
				}
			}
			if diff := cmp.Diff([]leak(nil), leaks); diff != "" || got.Code != exitUsage || !strings.Contains(out, "[REDACTED]") {
				t.Errorf("exit %d; secrets printed (-want +got):\n%s\n%s", got.Code, diff, out)
			}
		})
	}
}

// An answer that names a member twice is refused as duplicate-key (exit
// 2), JSON and form alike, as lint refuses it: x/oauth2 takes JSON's last
// copy and a form's first, a gateway may take the other, and either way
// the copy read could say "narrower" of a token that is wider.
func TestTokenDuplicateMembers(t *testing.T) {
	t.Setenv("SCOPECHECK_CLIENT_SECRET", "dup-s3cret")
	const form = "application/x-www-form-urlencoded"
	for _, tc := range []struct {
		name, contentType, body string
		want                    string
	}{
		{"JSON scope twice, the wide one first", "application/json",
			`{"access_token":"t","token_type":"Bearer","scope":"*:**","scope":".:config/clients"}`,
			`scopecheck token: the answer, at 1:58: duplicate key "scope" (first at 1:43): readers disagree on which copy wins, so what was granted cannot be told: not a token [duplicate-key]`},
		{"JSON scope in a loose spelling", "application/json",
			`{"access_token":"t","token_type":"Bearer","scope":".:config/clients","Scope":"*:**"}`,
			`scopecheck token: the answer, at 1:70: key "Scope" is "scope" to servers that match names loosely (case, Unicode folding, '-' and '_', a NUL) (first at 1:43): readers disagree on which copy wins, so what was granted cannot be told: not a token [duplicate-key]`},
		{"JSON expires_in twice", "application/json",
			`{"access_token":"t","token_type":"Bearer","expires_in":-1,"expires_in":3600,"scope":".:config/clients"}`,
			`scopecheck token: the answer, at 1:59: duplicate key "expires_in" (first at 1:43): readers disagree on which copy wins, so what was granted cannot be told: not a token [duplicate-key]`},
		{"form scope twice, the narrow one first", form,
			"access_token=t&token_type=bearer&scope=.:config/clients&scope=*:**",
			`scopecheck token: the form-encoded answer holds "scope" 2 times: readers disagree on which copy wins, so what was granted cannot be told: not a token [duplicate-key]`},
		{"form expires_in twice", form,
			"access_token=t&token_type=bearer&expires_in=-1&expires_in=3600&scope=.:config/clients",
			`scopecheck token: the form-encoded answer holds "expires_in" 2 times: readers disagree on which copy wins, so what was granted cannot be told: not a token [duplicate-key]`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				w.Header().Set("Content-Type", tc.contentType)
				fmt.Fprint(w, tc.body)
			}))
			defer srv.Close()
			args := []string{"token", "--token-url", srv.URL + "/acme/login/token", "--client-id", "c", "--scope", ".:config/**"}
			got := runCLI("", args...)
			if diff := cmp.Diff(cliResult{exitUsage, "", tc.want + "\n"}, got); diff != "" {
				t.Errorf("(-want +got):\n%s", diff)
			}
			got = runCLI("", append(args, "--format", "json")...)
			if got.Code != exitUsage || !strings.Contains(got.Stdout, `"duplicate-key"`) {
				t.Errorf("--format json: exit %d, stdout %q, stderr %q", got.Code, got.Stdout, got.Stderr)
			}
		})
	}
}
