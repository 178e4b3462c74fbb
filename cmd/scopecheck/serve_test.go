package main

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"
	"github.com/google/go-cmp/cmp"

	"github.com/scopecheck/scopecheck/internal/testjwt"
)

// serveBinary builds the command for a test that runs "scopecheck serve".
func serveBinary(t *testing.T) string {
	t.Helper()
	if testing.Short() {
		t.Skip("end-to-end test")
	}
	return buildScopecheck(t, t.TempDir())
}

func (s *server) get(t *testing.T, path string) int {
	t.Helper()
	resp, err := http.Get("http://" + s.addr + path)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	return resp.StatusCode
}

// auth asks the authoriser about a request, and returns its status and
// challenge.
func (s *server) auth(t *testing.T, token, method, uri string) (int, string) {
	t.Helper()
	req, _ := http.NewRequest("GET", "http://"+s.addr+"/auth", nil)
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	req.Header.Set("X-Original-Method", method)
	req.Header.Set("X-Original-URI", uri)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	return resp.StatusCode, resp.Header.Get("WWW-Authenticate")
}

// stop sends SIGTERM and checks that serve stops cleanly and that every
// line it logged is a JSON object, none of them holding a secret.
func (s *server) stop(t *testing.T, secrets ...string) string {
	t.Helper()
	if err := s.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	if err := s.cmd.Wait(); err != nil {
		t.Errorf("serve did not stop cleanly: %v", err)
	}
	out := s.logs.String()
	for _, line := range strings.Split(strings.TrimSpace(out), "\n") {
		var v map[string]any
		if err := json.Unmarshal([]byte(line), &v); err != nil {
			t.Errorf("a log line is not JSON: %q", line)
		}
	}
	for _, secret := range secrets {
		if strings.Contains(out, secret) {
			t.Errorf("serve logged a secret or token %.20q…", secret)
		}
	}
	return out
}

// waitStatus polls get(path) for up to ten seconds until it answers want.
func (s *server) waitStatus(t *testing.T, path string, want int) {
	t.Helper()
	for deadline := time.Now().Add(10 * time.Second); s.get(t, path) != want; time.Sleep(20 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("%s never answered %d\n%s", path, want, s.logs.String())
		}
	}
}

func claims(scope string) jwt.MapClaims {
	return jwt.MapClaims{"iss": "https://idp.example", "aud": "config-api", "exp": time.Now().Add(time.Hour).Unix(), "scope": scope}
}

// Behind a JWKS URL: not ready and 503 until a key set loads; ready and
// deciding after; a key withdrawn at the IdP still verifies until SIGHUP
// (the refresh interval being long) and not after; 503 on /readyz while
// shutting down, with /healthz still 200.
func TestServeJWKSReadinessAndReload(t *testing.T) {
	k1, k2 := testjwt.NewKID(t, "k1"), testjwt.NewKID(t, "k2")
	idp := testjwt.NewEndpoint(t, http.StatusServiceUnavailable, []byte("starting"))
	setJWKS := idp.Set

	s := startServe(t, serveBinary(t), nil, "--proxy", "nginx", "--jwks", idp.URL, "--issuer", "https://idp.example", "--audience", "config-api",
		"--jwks-refresh", "1h", "--shutdown-delay", "1s")
	tok1, tok2 := k1.Token(t, claims("*:config/**")), k2.Token(t, claims("*:config/**"))
	if got := s.get(t, "/healthz"); got != 200 {
		t.Errorf("/healthz = %d, want 200", got)
	}
	if got := s.get(t, "/readyz"); got != 503 {
		t.Errorf("/readyz with no key set = %d, want 503", got)
	}
	if code, challenge := s.auth(t, tok1, "GET", "/config/x"); code != 503 || challenge != "" {
		t.Errorf("a token with no key set loaded: %d %q, want 503 without a challenge", code, challenge)
	}
	setJWKS(http.StatusOK, testjwt.Set(t, k1, k2))
	s.waitStatus(t, "/readyz", 200)
	for _, tc := range []struct {
		name, token string
		want        int
	}{
		{"k1", tok1, 200},
		{"k2", tok2, 200},
		{"garbage", "a.b.c", 401},
		{"another audience", k1.Token(t, jwt.MapClaims{"iss": "https://idp.example", "aud": "billing", "exp": time.Now().Add(time.Hour).Unix(), "scope": "*:**"}), 401},
	} {
		if code, _ := s.auth(t, tc.token, "PUT", "/config/x"); code != tc.want {
			t.Errorf("%s: %d, want %d", tc.name, code, tc.want)
		}
	}
	// k2 is withdrawn at the IdP: with an hour between refreshes, it
	// still verifies, until SIGHUP.
	setJWKS(http.StatusOK, k1.JWKS)
	time.Sleep(300 * time.Millisecond)
	if code, _ := s.auth(t, tok2, "GET", "/config/x"); code != 200 {
		t.Errorf("k2 before SIGHUP: %d, want 200 (the set is not refreshed yet)", code)
	}
	s.cmd.Process.Signal(syscall.SIGHUP)
	for deadline := time.Now().Add(5 * time.Second); ; time.Sleep(20 * time.Millisecond) {
		if code, _ := s.auth(t, tok2, "GET", "/config/x"); code == 401 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("k2 still verifies after SIGHUP")
		}
	}
	if code, _ := s.auth(t, tok1, "GET", "/config/x"); code != 200 {
		t.Errorf("k1 after SIGHUP: %d", code)
	}
	// Shutting down: not ready, still alive, for --shutdown-delay.
	s.cmd.Process.Signal(syscall.SIGTERM)
	s.waitStatus(t, "/readyz", 503)
	if got := s.get(t, "/healthz"); got != 200 {
		t.Errorf("/healthz while shutting down = %d, want 200", got)
	}
	out := s.stop(t, tok1, tok2)
	for _, want := range []string{`"reason":"unavailable"`, `"reason":"invalid-token"`, `"msg":"key set loaded"`, `"msg":"stopped"`} {
		if !strings.Contains(out, want) {
			t.Errorf("the log lacks %s:\n%s", want, out)
		}
	}
}

// Behind introspection: 503 and not ready while the endpoint fails; the
// readiness probe finds it once it answers; the issuer and audience are
// checked on its answers; the secret is never logged.
func TestServeIntrospection(t *testing.T) {
	var up atomic.Bool
	idp := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if _, secret, _ := r.BasicAuth(); secret != "s3cret-value" || !up.Load() {
			http.Error(w, "unavailable", http.StatusInternalServerError)
			return
		}
		switch r.PostFormValue("token") {
		case "good":
			fmt.Fprint(w, `{"active": true, "scope": ".:config/**", "iss": "https://idp.example", "aud": "config-api"}`)
		case "foreign":
			fmt.Fprint(w, `{"active": true, "scope": "*:**", "iss": "https://idp.example", "aud": "billing"}`)
		default:
			fmt.Fprint(w, `{"active": false}`)
		}
	}))
	defer idp.Close()
	s := startServe(t, serveBinary(t), []string{"SCOPECHECK_CLIENT_SECRET=s3cret-value"}, "--proxy", "nginx", "--introspect", idp.URL, "--client-id", "gw",
		"--issuer", "https://idp.example", "--audience", "config-api")
	if got := s.get(t, "/readyz"); got != 503 {
		t.Errorf("/readyz before the endpoint answers = %d, want 503", got)
	}
	if code, challenge := s.auth(t, "good", "GET", "/config/x"); code != 503 || challenge != "" {
		t.Errorf("introspection failing: %d %q, want 503 without a challenge", code, challenge)
	}
	up.Store(true)
	s.waitStatus(t, "/readyz", 200)
	for _, tc := range []struct {
		token, method string
		want          int
	}{{"good", "GET", 200}, {"good", "PUT", 403}, {"foreign", "GET", 401}, {"bogus", "GET", 401}} {
		if code, _ := s.auth(t, tc.token, tc.method, "/config/x"); code != tc.want {
			t.Errorf("%s %s: %d, want %d", tc.token, tc.method, code, tc.want)
		}
	}
	s.stop(t, "s3cret-value")
}

// What a client sends is cut to a bound where it is logged, whatever its
// size.
func TestServeLogBounds(t *testing.T) {
	keys := testjwt.New(t)
	jwks := filepath.Join(t.TempDir(), "jwks.json")
	os.WriteFile(jwks, keys.JWKS, 0o600)
	s := startServe(t, serveBinary(t), nil, "--proxy", "nginx", "--jwks", jwks, "--unsafe-skip-issuer-audience")
	tok := keys.Token(t, jwt.MapClaims{"exp": time.Now().Add(time.Hour).Unix(), "scope": ".:a"})
	long := "/" + strings.Repeat("a", 20000)
	s.auth(t, tok, strings.Repeat("M", 5000), long)
	s.auth(t, strings.Repeat("x", 30000), "GET", long)
	out := s.stop(t, tok)
	if !strings.Contains(out, `"msg":"tokens are accepted whatever their issuer or audience`) {
		t.Errorf("the unsafe start was not logged:\n%.2000s", out)
	}
	for _, line := range strings.Split(strings.TrimSpace(out), "\n") {
		if len(line) > 3000 {
			t.Errorf("a log line of %d bytes: %.300s…", len(line), line)
		}
	}
}

// Each decision on a verified token names its client (client_id, else
// sub), cut to the bound of the other fields; a token that does not
// verify names none, and no line holds a token.
func TestServeLogsClient(t *testing.T) {
	keys := testjwt.New(t)
	jwks := filepath.Join(t.TempDir(), "jwks.json")
	os.WriteFile(jwks, keys.JWKS, 0o600)
	s := startServe(t, serveBinary(t), nil, "--proxy", "nginx", "--jwks", jwks, "--issuer", "https://idp.example", "--audience", "config-api")
	tok := func(extra jwt.MapClaims) string {
		c := claims(".:a/**")
		for k, v := range extra {
			c[k] = v
		}
		return keys.Token(t, c)
	}
	long := strings.Repeat("c", 2000)
	toks := []string{
		tok(jwt.MapClaims{"client_id": "reviewer", "sub": "someone"}),
		tok(jwt.MapClaims{"sub": "svc-7"}),
		tok(nil),
		tok(jwt.MapClaims{"client_id": 42, "sub": "svc-8"}),
		tok(jwt.MapClaims{"client_id": long}),
		keys.Token(t, jwt.MapClaims{"exp": time.Now().Add(-time.Hour).Unix(), "client_id": "expired", "scope": "*:**"}),
	}
	for _, tk := range toks {
		s.auth(t, tk, "GET", "/a/x")
	}
	out := s.stop(t, toks...)
	var got []any
	for _, line := range strings.Split(strings.TrimSpace(out), "\n") {
		var m map[string]any
		if json.Unmarshal([]byte(line), &m) == nil && m["msg"] == "decision" {
			got = append(got, m["client"])
		}
	}
	clipped := strings.Repeat("c", 512) + "…(+1488 bytes)"
	want := []any{"reviewer", "svc-7", nil, "svc-8", clipped, nil}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("clients logged %v, want %v", got, want)
	}
}

// A token whose scope is longer than --max-scope-bytes grants nothing,
// and its denial says why; one at the bound is decided as ever.
func TestServeMaxScopeBytes(t *testing.T) {
	keys := testjwt.New(t)
	jwks := filepath.Join(t.TempDir(), "jwks.json")
	os.WriteFile(jwks, keys.JWKS, 0o600)
	s := startServe(t, serveBinary(t), nil, "--proxy", "nginx", "--jwks", jwks, "--issuer", "https://idp.example", "--audience", "config-api", "--max-scope-bytes", "64")
	scopeOf := func(n int) string { return ".:a/** .:" + strings.Repeat("b", n-len(".:a/** .:")) }
	tests := []struct {
		name  string
		scope string
		want  int
	}{
		{"at the bound", scopeOf(64), http.StatusOK},
		{"past the bound", scopeOf(65), http.StatusForbidden},
	}
	var toks []string
	for _, tc := range tests {
		tk := keys.Token(t, claims(tc.scope))
		toks = append(toks, tk)
		if got, _ := s.auth(t, tk, "GET", "/a/x"); got != tc.want {
			t.Errorf("%s: status %d, want %d", tc.name, got, tc.want)
		}
	}
	out := s.stop(t, toks...)
	if !strings.Contains(out, `"scope_error":"gateway: the token's scope is 65 bytes long, longer than the 64 this gateway compiles"`) {
		t.Errorf("no scope_error for the scope past the bound in:\n%s", out)
	}
}

// Under --tenant-claim each decision on a verified token names the
// token's tenant beside its client, and suggest groups a client by
// (tenant, client): the same client_id in two tenants is two clients,
// each with its own suggestion. A request of acme's token under
// othercorp's segment, refused, is acme's client's.
func TestServeLogsTenant(t *testing.T) {
	keys := testjwt.New(t)
	dir := t.TempDir()
	jwks := filepath.Join(dir, "jwks.json")
	os.WriteFile(jwks, keys.JWKS, 0o600)
	s := startServe(t, serveBinary(t), nil, "--proxy", "nginx", "--jwks", jwks, "--tenant-claim", "tenant", "--issuer", "https://idp.example", "--audience", "config-api")
	tok := func(tenant, scope string) string {
		c := claims(scope)
		c["client_id"], c["tenant"] = "reporter", tenant
		return keys.Token(t, c)
	}
	acme, other := tok("acme", ".:config/**"), tok("othercorp", "*:**")
	for _, r := range []struct{ token, method, uri string }{
		{acme, "GET", "/acme/config/clients"},
		{other, "DELETE", "/othercorp/config/clients/c9"},
		{acme, "DELETE", "/othercorp/config/clients/c9"}, // not acme's tenant
	} {
		s.auth(t, r.token, r.method, r.uri)
	}
	out := s.stop(t, acme, other)
	type logged struct{ Method, Tenant string }
	var got []logged
	for _, line := range strings.Split(strings.TrimSpace(out), "\n") {
		var m map[string]any
		if json.Unmarshal([]byte(line), &m) == nil && m["msg"] == "decision" {
			tenant, _ := m["tenant"].(string)
			got = append(got, logged{m["method"].(string), tenant})
		}
	}
	if diff := cmp.Diff([]logged{{"GET", "acme"}, {"DELETE", "othercorp"}, {"DELETE", "acme"}}, got); diff != "" {
		t.Errorf("tenants logged (-want +got):\n%s", diff)
	}

	logFile := filepath.Join(dir, "decisions.log")
	os.WriteFile(logFile, []byte(out), 0o600)
	r := runCLI("", "suggest", "--format", "json", logFile)
	var res struct {
		Clients []struct {
			Client, Tenant string
			Suggestion     *string
		}
	}
	if err := json.Unmarshal([]byte(r.Stdout), &res); err != nil {
		t.Fatalf("%v: %s%s", err, r.Stdout, r.Stderr)
	}
	type client struct{ Client, Tenant, Suggestion string }
	var clients []client
	for _, c := range res.Clients {
		sug := ""
		if c.Suggestion != nil {
			sug = *c.Suggestion
		}
		clients = append(clients, client{c.Client, c.Tenant, sug})
	}
	want := []client{{"reporter", "acme", ".:config/clients"}, {"reporter", "othercorp", "*:config/clients/c9"}}
	if diff := cmp.Diff(want, clients); diff != "" {
		t.Errorf("clients (-want +got):\n%s", diff)
	}
}

// Credentials in a JWKS or introspection URL (userinfo, a query's API
// key) are printed nowhere: not in /readyz, which says "not ready" and
// never why, not in a decision line's error, not in any other line.
func TestServeRedactsURLs(t *testing.T) {
	bin := serveBinary(t)
	const url = "http://user:s3cretpw@127.0.0.1:1/x.json?api_key=k3y"
	tok := testjwt.New(t).Token(t, claims("*:**"))
	for _, tc := range []struct {
		name string
		env  []string
		args []string
	}{
		{"jwks", nil, []string{"--jwks", url}},
		{"introspect", []string{"SCOPECHECK_CLIENT_SECRET=x"}, []string{"--introspect", url, "--client-id", "gw"}},
	} {
		s := startServe(t, bin, tc.env, append([]string{"--proxy", "nginx", "--issuer", "https://idp.example", "--audience", "config-api"}, tc.args...)...)
		resp, err := http.Get("http://" + s.addr + "/readyz")
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if diff := cmp.Diff("503 not ready\n", fmt.Sprintf("%d %s", resp.StatusCode, body)); diff != "" {
			t.Errorf("%s: /readyz (-want +got):\n%s", tc.name, diff)
		}
		if code, _ := s.auth(t, tok, "GET", "/x"); code != 503 {
			t.Errorf("%s: a decision = %d, want 503", tc.name, code)
		}
		s.awaitDecision(t, 503, 0)
		out := s.stop(t, "s3cretpw", "k3y", "user:", tok)
		if !strings.Contains(out, `"reason":"unavailable"`) || !strings.Contains(out, "xxxxx@127.0.0.1:1") && tc.name == "jwks" {
			t.Errorf("%s: the log lacks the decision or the redacted URL:\n%s", tc.name, out)
		}
	}
}

// Every unsafe option logs a warning at the start, from a flag or from
// the configuration file alike.
func TestServeUnsafeWarnings(t *testing.T) {
	bin, _, jwksFile := setupServe(t)
	cfg := filepath.Join(t.TempDir(), "serve.json")
	os.WriteFile(cfg, []byte(`{"unsafe-strip-segments": 1, "unsafe-skip-issuer-audience": true}`), 0o600)
	for _, tc := range []struct {
		name string
		args []string
		want []string
	}{
		{"strip segments", []string{"--unsafe-strip-segments", "2", "--issuer", "https://idp.example", "--audience", "config-api"},
			[]string{"--unsafe-strip-segments: leading segments are removed and bound to no token"}},
		{"skip issuer and audience", []string{"--unsafe-skip-issuer-audience"},
			[]string{"tokens are accepted whatever their issuer or audience"}},
		{"both from the file", []string{"--config", cfg},
			[]string{"tokens are accepted whatever their issuer or audience", "--unsafe-strip-segments: leading segments are removed and bound to no token"}},
		{"none", []string{"--issuer", "https://idp.example", "--audience", "config-api"}, nil},
	} {
		s := startServe(t, bin, nil, append([]string{"--proxy", "nginx", "--jwks", jwksFile}, tc.args...)...)
		out := s.stop(t)
		var got []string
		for _, line := range strings.Split(strings.TrimSpace(out), "\n") {
			var m map[string]any
			if json.Unmarshal([]byte(line), &m) == nil && m["level"] == "WARN" {
				msg, _ := m["msg"].(string)
				for _, w := range []string{"--unsafe-strip-segments: leading segments are removed and bound to no token", "tokens are accepted whatever their issuer or audience"} {
					if strings.HasPrefix(msg, w) {
						got = append(got, w)
					}
				}
			}
		}
		if diff := cmp.Diff(tc.want, got); diff != "" {
			t.Errorf("%s: warnings (-want +got):\n%s", tc.name, diff)
		}
	}
}
