package main

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"
	"pgregory.net/rapid"

	"github.com/scopecheck/scopecheck/internal/oracle"
	"github.com/scopecheck/scopecheck/internal/scopegen"
	"github.com/scopecheck/scopecheck/internal/testjwt"
	"github.com/scopecheck/scopecheck/scope"
)

// The end-to-end tests run "scopecheck serve" behind real proxies. Where
// SCOPECHECK_E2E=require (as .ci/run sets it), a proxy that is not
// installed fails the test instead of skipping it.

// needProgram returns the path of a program the test needs, skipping (or,
// where the end-to-end tests are required, failing) when it is missing.
func needProgram(t *testing.T, name string, paths ...string) string {
	t.Helper()
	if p, err := exec.LookPath(name); err == nil {
		return p
	}
	for _, p := range paths {
		if _, err := os.Stat(p); err == nil {
			return p
		}
	}
	if os.Getenv("SCOPECHECK_E2E") == "require" {
		t.Fatalf("%s is not installed, and SCOPECHECK_E2E=require: the end-to-end tests may not skip", name)
	}
	t.Skipf("%s is not installed; .ci/run installs it from Debian's packages", name)
	return ""
}

// e2eIssuer and e2eAudience are what the end-to-end tests' serve requires
// of tokens, and what their tokens carry.
const (
	e2eIssuer   = "https://idp.example"
	e2eAudience = "config-api"
)

// syncBuffer collects a process's output while the test reads it.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// buildScopecheck builds the command into dir.
func buildScopecheck(t *testing.T, dir string) string {
	t.Helper()
	bin := filepath.Join(dir, "scopecheck")
	if out, err := exec.Command("go", "build", "-o", bin, ".").CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	return bin
}

// setupServe builds the command and makes a signing key and its JWKS
// file, for tests that run "scopecheck serve".
func setupServe(t *testing.T) (bin string, keys testjwt.Signer, jwksFile string) {
	t.Helper()
	dir := t.TempDir()
	bin = buildScopecheck(t, dir)
	keys = testjwt.New(t)
	jwksFile = filepath.Join(dir, "jwks.json")
	if err := os.WriteFile(jwksFile, keys.JWKS, 0o600); err != nil {
		t.Fatal(err)
	}
	return bin, keys, jwksFile
}

// server is "scopecheck serve" running, with its log.
type server struct {
	cmd  *exec.Cmd
	addr string
	logs *syncBuffer
}

// startServe starts "scopecheck serve" on an ephemeral port, with env
// added to the environment, and waits for the first line of its log,
// which must name the address.
func startServe(t *testing.T, bin string, env []string, args ...string) *server {
	t.Helper()
	cmd := exec.Command(bin, append([]string{"serve", "--listen", "127.0.0.1:0"}, args...)...)
	cmd.Env = append(os.Environ(), env...)
	logs := &syncBuffer{} // exec copies into it until Wait returns
	cmd.Stderr = logs
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cmd.Process.Kill(); cmd.Wait() })
	first := ""
	for i := 0; i < 500 && !strings.Contains(first, "\n"); i++ {
		time.Sleep(10 * time.Millisecond)
		first = logs.String()
	}
	first, _, _ = strings.Cut(first, "\n")
	var listening struct{ Msg, Addr string }
	if err := json.Unmarshal([]byte(first), &listening); err != nil || listening.Msg != "listening" || listening.Addr == "" {
		t.Fatalf("serve's first line %q names no address", first)
	}
	return &server{cmd, listening.Addr, logs}
}

// decisions are the decision lines of serve's log so far.
func (s *server) decisions(t *testing.T) []map[string]any {
	t.Helper()
	var out []map[string]any
	for _, line := range strings.Split(s.logs.String(), "\n") {
		var m map[string]any
		if json.Unmarshal([]byte(line), &m) == nil && m["msg"] == "decision" {
			out = append(out, m)
		}
	}
	return out
}

// awaitDecision waits, when status is one that serve answers with, until
// its log holds more than decided decisions: the log arrives through a
// pipe, after the answer.
func (s *server) awaitDecision(t *testing.T, status, decided int) {
	t.Helper()
	if status != http.StatusOK && status != http.StatusUnauthorized && status != http.StatusForbidden {
		return // the proxy answered by itself
	}
	for i := 0; i < 200 && len(s.decisions(t)) == decided; i++ {
		time.Sleep(5 * time.Millisecond)
	}
}

// received is a request as the upstream read it.
type received struct {
	Method, RequestURI string
	Header             http.Header
}

// recorder is an upstream that records every request that reaches it.
type recorder struct {
	*httptest.Server
	mu   sync.Mutex
	reqs []received
}

func newRecorder(t *testing.T) *recorder {
	rec := &recorder{}
	rec.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		rec.mu.Lock()
		rec.reqs = append(rec.reqs, received{r.Method, r.RequestURI, r.Header.Clone()})
		rec.mu.Unlock()
		fmt.Fprint(w, "upstream")
	}))
	t.Cleanup(rec.Close)
	return rec
}

func (rec *recorder) all() []received {
	rec.mu.Lock()
	defer rec.mu.Unlock()
	return slices.Clone(rec.reqs)
}

// freeAddr returns a loopback address whose port was free a moment ago.
func freeAddr(t *testing.T) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().String()
}

// waitListening waits until addr accepts connections.
func waitListening(t *testing.T, addr string, out func() string) {
	t.Helper()
	for i := 0; i < 200; i++ {
		if c, err := net.Dial("tcp", addr); err == nil {
			c.Close()
			return
		}
		time.Sleep(25 * time.Millisecond)
	}
	t.Fatalf("nothing listens on %s:\n%s", addr, out())
}

// readmeBlock returns the one fenced block of README.md in language lang,
// so that the tests run the configuration the README shows.
func readmeBlock(t *testing.T, lang string) string {
	t.Helper()
	readme, err := os.ReadFile("../../README.md")
	if err != nil {
		t.Fatal(err)
	}
	blocks := regexp.MustCompile("(?ms)^```"+regexp.QuoteMeta(lang)+"\n(.*?)^```").FindAllSubmatch(readme, -1)
	if len(blocks) != 1 {
		t.Fatalf("README.md has %d ```%s blocks, want 1", len(blocks), lang)
	}
	return string(blocks[0][1])
}

// replaceAll replaces each old with new, failing when old is not there.
func replaceAll(t *testing.T, s string, oldnew ...string) string {
	t.Helper()
	for i := 0; i < len(oldnew); i += 2 {
		if !strings.Contains(s, oldnew[i]) {
			t.Fatalf("%q is not in:\n%s", oldnew[i], s)
		}
		s = strings.ReplaceAll(s, oldnew[i], oldnew[i+1])
	}
	return s
}

// startNginx runs nginx with the http-level configuration body, listening
// on front.
func startNginx(t *testing.T, dir, front, locations string) {
	t.Helper()
	nginx := needProgram(t, "nginx", "/usr/sbin/nginx")
	conf := fmt.Sprintf(`worker_processes 1;
daemon off;
master_process off;
error_log %[1]s/error.log info;
pid %[1]s/nginx.pid;
events { worker_connections 64; }
http {
  access_log %[1]s/access.log;
  client_body_temp_path %[1]s/body; proxy_temp_path %[1]s/proxy; fastcgi_temp_path %[1]s/fastcgi;
  uwsgi_temp_path %[1]s/uwsgi; scgi_temp_path %[1]s/scgi;
  server {
    listen %[2]s;
%[3]s
  }
}
`, dir, front, locations)
	confFile := filepath.Join(dir, "nginx.conf")
	if err := os.WriteFile(confFile, []byte(conf), 0o600); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(nginx, "-p", dir, "-c", confFile)
	out := &syncBuffer{}
	cmd.Stdout, cmd.Stderr = out, out
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cmd.Process.Kill(); cmd.Wait() })
	waitListening(t, front, func() string {
		errLog, _ := os.ReadFile(filepath.Join(dir, "error.log"))
		return out.String() + string(errLog)
	})
}

// startCaddy runs Caddy with the site block, its global options keeping
// it off the admin port and out of the home directory.
func startCaddy(t *testing.T, dir, front, site string) {
	t.Helper()
	caddy := needProgram(t, "caddy", "/usr/bin/caddy")
	conf := "{\n\tadmin off\n\tauto_https off\n\tstorage file_system " + filepath.Join(dir, "caddy") + "\n}\n" + site
	confFile := filepath.Join(dir, "Caddyfile")
	if err := os.WriteFile(confFile, []byte(conf), 0o600); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(caddy, "run", "--config", confFile, "--adapter", "caddyfile")
	cmd.Env = append(os.Environ(), "HOME="+dir, "XDG_DATA_HOME="+dir, "XDG_CONFIG_HOME="+dir)
	out := &syncBuffer{}
	cmd.Stdout, cmd.Stderr = out, out
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cmd.Process.Kill(); cmd.Wait() })
	waitListening(t, front, out.String)
}

// sendRaw writes a raw request to addr and returns the status, or 0 when
// the connection was closed without an answer.
func sendRaw(t *testing.T, addr, raw string) int {
	t.Helper()
	c, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	c.SetDeadline(time.Now().Add(10 * time.Second))
	if _, err := c.Write([]byte(raw)); err != nil {
		t.Fatal(err)
	}
	resp, err := http.ReadResponse(bufio.NewReader(c), nil)
	if err != nil {
		return 0
	}
	resp.Body.Close()
	return resp.StatusCode
}

// e2eScope is the scope of every test token; tokens name their tenant in
// the claim "tenant".
const e2eScope = ".:config/** *:webhooks/** *:config/loginPolicies/**"

// wideScope is the scope of the token of generated requests: read
// everything, write under a/ and config/.
const wideScope = ".:** *:a/** *:config/**"

// e2eCase is one request sent through a proxy.
type e2eCase struct {
	name string
	// line is the request line without its version; headers are extra
	// header lines. Host is "api" unless headers set one; http10 sends
	// HTTP/1.0 without a Host.
	line    string
	headers []string
	http10  bool
	// token names the bearer token: acme (the default), other (tenant
	// othercorp), notenant, expired, garbage, twice (two Authorization
	// headers), none.
	token string
	// allow lists the proxies behind which the request is allowed ("*":
	// all); elsewhere it is denied with one of deny (default 403).
	allow string
	deny  []int
	// only, when set, lists the proxies to send it through.
	only string
}

var e2eCases = []e2eCase{
	{name: "read", line: "GET /acme/config/clients", allow: "*"},
	{name: "query", line: "GET /acme/config/clients?limit=5&x=%2F", allow: "*"},
	{name: "head", line: "HEAD /acme/config/clients", allow: "*"},
	{name: "write", line: "POST /acme/webhooks/subscriptions", allow: "*"},
	{name: "delete", line: "DELETE /acme/webhooks/subscriptions/s1", allow: "*"},
	{name: "write login policy", line: "PUT /acme/config/loginPolicies/p1", allow: "*"},
	{name: "root of tenant", line: "GET /acme/", deny: []int{403}},
	{name: "override both allowed", line: "POST /acme/webhooks/s1", headers: []string{"X-HTTP-Method-Override: DELETE"}, allow: "*"},
	{name: "second target both allowed", line: "GET /acme/config/clients", headers: []string{"X-Original-URL: /acme/config/tokenPolicies"}, allow: "*"},
	{name: "_method the same", line: "GET /acme/config/clients?_method=GET", allow: "*"},
	{name: "absolute form", line: "GET http://api/acme/config/clients", allow: "*"},

	{name: "no token", line: "GET /acme/config/clients", token: "none", deny: []int{401}},
	{name: "expired token", line: "GET /acme/config/clients", token: "expired", deny: []int{401}},
	{name: "not a JWT", line: "GET /acme/config/clients", token: "garbage", deny: []int{401}},
	{name: "two Authorization headers", line: "GET /acme/config/clients", token: "twice", deny: []int{401, 400}},

	{name: "read-only", line: "PUT /acme/config/clients/c1"},
	{name: "no item", line: "GET /acme/users/u1"},
	{name: "post on read-only", line: "POST /acme/config/clients"},
	{name: "trace", line: "TRACE /acme/webhooks/x", deny: []int{403, 405}},
	{name: "lower-case method", line: "get /acme/config/clients", deny: []int{403, 400}},

	// The first segment, stripped unchecked once, is decided with the rest.
	{name: "backslashes and fragment", line: `DELETE /acme\config\clients\c1#/webhooks/x`, deny: []int{403, 400}},
	{name: "segment .", line: "DELETE /./webhooks/x", deny: []int{403, 400}},
	{name: "segment ..", line: "DELETE /../webhooks/x", deny: []int{403, 400}},
	{name: "segment %2e", line: "DELETE /%2e/webhooks/x", deny: []int{403, 400}},
	{name: "segment %2e%2e", line: "DELETE /%2e%2e/webhooks/x", deny: []int{403, 400}},
	{name: "segment ..;", line: "DELETE /..;/webhooks/x", deny: []int{403, 400}},
	{name: "segment a;b=c", line: "DELETE /a;b=c/webhooks/x", deny: []int{403, 400}},
	{name: "segment acme;b=c", line: "DELETE /acme;b=c/webhooks/x", deny: []int{403, 400}},
	{name: "segment a%2Fb", line: "DELETE /a%2Fb/webhooks/x", deny: []int{403, 400}},
	{name: "segment acme%2Fwebhooks", line: "DELETE /acme%2Fwebhooks/x", deny: []int{403, 400}},
	{name: "segment %C0%AE", line: "DELETE /%C0%AE/webhooks/x", deny: []int{403, 400}},
	{name: "segment acme%3F", line: "DELETE /acme%3F/webhooks/x", deny: []int{403, 400}},
	{name: "segment %E2%80%A8", line: "DELETE /%E2%80%A8/webhooks/x", deny: []int{403, 400}},
	{name: "segment acme%25", line: "DELETE /acme%25/webhooks/x", deny: []int{403, 400}},
	{name: "segment acme%2500", line: "DELETE /acme%2500/webhooks/x", deny: []int{403, 400}},
	{name: "segment backslash", line: `DELETE /acme\/webhooks/x`, deny: []int{403, 400}},
	{name: "segment #", line: "DELETE /acme#/webhooks/x", deny: []int{403, 400}},
	{name: "segment empty", line: "DELETE //webhooks/x", deny: []int{403, 400}},
	{name: "nothing after the tenant", line: "GET /acme", deny: []int{403}},

	// The path tricks of the language reference.
	{name: "dot dot", line: "DELETE /acme/webhooks/../config/clients/c1", deny: []int{403, 400}},
	{name: "escaped dots", line: "DELETE /acme/webhooks/%2e%2e/config/clients/c1", deny: []int{403, 400}},
	{name: "upper escaped dots", line: "DELETE /acme/webhooks/%2E%2E/config/clients/c1", deny: []int{403, 400}},
	{name: "dot dot semicolon", line: "PUT /acme/config/loginPolicies/..;/clients/c1", deny: []int{403, 400}},
	{name: "escaped semicolon", line: "PUT /acme/config/loginPolicies/p1/..%3B/..%3B/clients/c1", deny: []int{403, 400}},
	{name: "double slash", line: "DELETE /acme/webhooks//x/../../config/clients/c1", deny: []int{403, 400}},
	{name: "escaped slash", line: "DELETE /acme/webhooks/a%2F..%2F..%2Fconfig/clients/c1", deny: []int{403, 400}},
	{name: "overlong dots", line: "DELETE /acme/webhooks/%C0%AE%C0%AE/config/clients/c1", deny: []int{403, 400}},
	{name: "backslash dots", line: `DELETE /acme/webhooks\..\config\clients\c1`, deny: []int{403, 400}},
	{name: "NUL", line: "DELETE /acme/webhooks/x%00", deny: []int{403, 400}},
	{name: "absolute form dot dot", line: "DELETE http://api/acme/webhooks/../config/clients/c1", deny: []int{403, 400}},
	{name: "absolute form other tenant", line: "GET http://api/othercorp/config/clients"},
	// Caddy (Go's URL.RequestURI) re-escapes this target as
	// /acme/webhooks/a/b%7C, which is what it decides and what the
	// upstream gets; nginx passes it as sent, with its %2F.
	{name: "escaped slash and pipe", line: "DELETE /acme/webhooks/a%2Fb|", allow: "caddy", deny: []int{403, 400}},

	// Other tenants, and spellings of this one.
	{name: "other tenant read", line: "GET /othercorp/config/clients"},
	{name: "other tenant delete", line: "DELETE /othercorp/webhooks/s1"},
	{name: "tenant in capitals", line: "GET /ACME/config/clients"},
	{name: "tenant escaped", line: "GET /%61cme/config/clients"},
	{name: "token of another tenant", line: "GET /acme/config/clients", token: "other"},
	{name: "token without a tenant", line: "GET /acme/config/clients", token: "notenant"},

	// Spoofed proxy headers: each is the proxy's own source behind some
	// proxies (overwritten there for scopecheck, removed for the
	// upstream), and a second source everywhere else.
	{name: "spoofed X-Original-URI, denied request", line: "DELETE /acme/config/clients/c1", headers: []string{"X-Original-URI: /acme/webhooks/x"}},
	{name: "spoofed X-Original-URI", line: "DELETE /acme/webhooks/x", headers: []string{"X-Original-URI: /acme/config/clients/c1"}, allow: "nginx"},
	{name: "spoofed X-Original-URL", line: "DELETE /acme/webhooks/x", headers: []string{"X-Original-URL: /acme/config/clients/c1"}, allow: "ingress-nginx"},
	{name: "spoofed absolute X-Original-URL", line: "DELETE /acme/webhooks/x", headers: []string{"X-Original-URL: http://api/acme/config/clients/c1"}, allow: "ingress-nginx"},
	{name: "spoofed X-Rewrite-URL", line: "DELETE /acme/webhooks/x", headers: []string{"X-Rewrite-URL: /acme/config/clients/c1"}},
	{name: "spoofed X-Forwarded-Uri", line: "DELETE /acme/webhooks/x", headers: []string{"X-Forwarded-Uri: /acme/config/clients/c1"}, allow: "caddy"},
	{name: "spoofed X-Original-Method", line: "GET /acme/config/clients", headers: []string{"X-Original-Method: DELETE"}, allow: "nginx ingress-nginx"},
	{name: "spoofed X-Forwarded-Method", line: "GET /acme/config/clients", headers: []string{"X-Forwarded-Method: DELETE"}, allow: "caddy"},
	{name: "spoofed target of another tenant", line: "GET /acme/config/clients", headers: []string{"X-Rewrite-URL: /othercorp/config/clients"}},
	{name: "spoofed target not canonical", line: "GET /acme/config/clients", headers: []string{"X-Rewrite-URL: /acme/config/%2e%2e/webhooks"}},
	// nginx drops header names with '_'; Caddy passes them on.
	{name: "spoofed X_Original_URL", line: "DELETE /acme/webhooks/x", headers: []string{"X_Original_URL: /acme/config/clients/c1"}, allow: "nginx ingress-nginx"},
	{name: "spoofed X_Forwarded_Uri", line: "DELETE /acme/webhooks/x", headers: []string{"X_Forwarded_Uri: /acme/config/clients/c1"}, allow: "nginx ingress-nginx"},

	// Method overrides on a read-only path.
	{name: "X-HTTP-Method-Override", line: "GET /acme/config/clients", headers: []string{"X-HTTP-Method-Override: DELETE"}},
	{name: "x-http-method-override lower case", line: "GET /acme/config/clients", headers: []string{"x-http-method-override: delete"}},
	{name: "X-Method-Override", line: "GET /acme/config/clients", headers: []string{"X-Method-Override: PUT"}},
	{name: "X-HTTP-Method", line: "GET /acme/config/clients", headers: []string{"X-HTTP-Method: DELETE"}},
	{name: "two overrides", line: "GET /acme/config/clients", headers: []string{"X-HTTP-Method-Override: GET", "X-HTTP-Method-Override: DELETE"}},
	{name: "override on a POST", line: "POST /acme/config/clients", headers: []string{"X-HTTP-Method-Override: GET"}},
	{name: "_method", line: "GET /acme/config/clients?_method=DELETE"},
	{name: "_method lower case", line: "GET /acme/config/clients?_method=delete"},
	{name: "%5Fmethod", line: "GET /acme/config/clients?%5Fmethod=DELETE"},
	{name: ".method", line: "GET /acme/config/clients?.method=DELETE"},
	{name: "_method after ;", line: "GET /acme/config/clients?a=1;_method=PUT"},
	{name: "_method undecodable", line: "GET /acme/config/clients?_method=%zz", deny: []int{403, 400}},
	{name: "_method cut at NUL", line: "GET /acme/config/clients?_method%00=DELETE"},
	{name: "__METHOD_OVERRIDE__", line: "GET /acme/config/clients?__METHOD_OVERRIDE__=DELETE"},
	{name: "WebDAV Destination", line: "MOVE /acme/webhooks/x", headers: []string{"Destination: http://api/acme/config/clients/c1"}},
	{name: "lower-case trace", line: "trace /acme/webhooks/x", deny: []int{403, 400}},
	// Caddy drops the headers a Connection header names, on the way to
	// scopecheck and to the upstream alike; nginx passes them to both.
	{name: "override named by Connection", line: "GET /acme/config/clients", headers: []string{"X-HTTP-Method-Override: DELETE", "Connection: X-HTTP-Method-Override"}, allow: "caddy"},

	// ingress-nginx builds X-Original-URL from the client's Host.
	{name: "Host with ?", line: "GET /acme/config/clients", headers: []string{"Host: api?x"}, only: "ingress-nginx"},
	{name: "Host with #", line: "GET /acme/config/clients", headers: []string{"Host: api#x"}, only: "ingress-nginx"},
	{name: "Host with /", line: "GET /acme/config/clients", headers: []string{"Host: api/acme/webhooks/x?"}, only: "ingress-nginx", deny: []int{400}},
	{name: "Host with @", line: "GET /acme/config/clients", headers: []string{"Host: a@api"}, only: "ingress-nginx", allow: "*"},
	{name: "no Host", line: "GET /acme/config/clients", http10: true, only: "nginx ingress-nginx", allow: "*"},
}

func inList(list, name string) bool {
	return list == "*" || slices.Contains(strings.Fields(list), name)
}

// front is a proxy in front of serve, for the end-to-end test.
type front struct {
	name  string
	start func(t *testing.T, dir, front, serve, upstream string)
	// own are the headers that this proxy overwrites for scopecheck and
	// removes for the upstream.
	own []string
}

var fronts = []front{
	{"nginx", func(t *testing.T, dir, addr, serve, upstream string) {
		startNginx(t, dir, addr, replaceAll(t, readmeBlock(t, "nginx"),
			"http://config_api", "http://"+upstream, "127.0.0.1:8181", serve))
	}, []string{"X-Original-Method", "X-Original-Uri"}},
	// nginx as ingress-nginx's template configures it for the auth-url
	// annotation, with the README's proxy-set-headers.
	{"ingress-nginx", func(t *testing.T, dir, addr, serve, upstream string) {
		startNginx(t, dir, addr, fmt.Sprintf(`
    location / {
      auth_request /_external-auth;
      proxy_set_header X-Original-URL "";
      proxy_set_header X-Original-Method "";
      proxy_set_header X-Original-URI "";
      proxy_pass http://%[1]s;
    }
    location = /_external-auth {
      internal;
      proxy_pass_request_body off;
      proxy_set_header Content-Length "";
      proxy_set_header X-Forwarded-Proto "";
      proxy_set_header Host scopecheck.auth.svc.cluster.local;
      proxy_set_header X-Original-URL $scheme://$http_host$request_uri;
      proxy_set_header X-Original-Method $request_method;
      proxy_set_header X-Sent-From "nginx-ingress-controller";
      proxy_set_header X-Real-IP $remote_addr;
      proxy_set_header X-Forwarded-For $remote_addr;
      proxy_set_header X-Auth-Request-Redirect $request_uri;
      proxy_pass_request_headers on;
      proxy_pass http://%[2]s/auth;
    }`, upstream, serve))
	}, []string{"X-Original-Method", "X-Original-Url"}},
	{"caddy", func(t *testing.T, dir, addr, serve, upstream string) {
		_, port, _ := net.SplitHostPort(addr)
		startCaddy(t, dir, addr, replaceAll(t, readmeBlock(t, "caddy"),
			"api.example.com", "http://:"+port, "127.0.0.1:8181", serve, "config_api:8080", upstream))
	}, []string{"X-Forwarded-Method", "X-Forwarded-Uri"}},
}

// TestProxies puts "scopecheck serve" behind real nginx (the README's
// configuration), nginx in the shape of ingress-nginx, and Caddy (the
// README's configuration), in front of an upstream that records what
// reaches it, and sends each case raw over TCP. Each is answered as
// documented; nothing but the allowed requests reaches the upstream; every
// request the upstream receives, read with all its headers as the oracle
// reads a request, is one the token allows; and serve's log names, for
// each request it allowed, the target the upstream received.
func TestProxies(t *testing.T) {
	if testing.Short() {
		t.Skip("end-to-end test")
	}
	bin, keys, jwksFile := setupServe(t)
	exp := time.Now().Add(time.Hour).Unix()
	tokens := map[string]string{
		"acme":     keys.Token(t, jwt.MapClaims{"iss": e2eIssuer, "aud": e2eAudience, "exp": exp, "tenant": "acme", "scope": e2eScope, "client_id": "acme-reviewer"}),
		"other":    keys.Token(t, jwt.MapClaims{"iss": e2eIssuer, "aud": e2eAudience, "exp": exp, "tenant": "othercorp", "scope": e2eScope, "client_id": "other-reviewer"}),
		"notenant": keys.Token(t, jwt.MapClaims{"iss": e2eIssuer, "aud": e2eAudience, "exp": exp, "scope": e2eScope, "sub": "svc-no-tenant"}),
		"expired":  keys.Token(t, jwt.MapClaims{"iss": e2eIssuer, "aud": e2eAudience, "exp": time.Now().Add(-time.Hour).Unix(), "tenant": "acme", "scope": "*:**", "client_id": "expired"}),
		"garbage":  "not.a.jwt",
		"wide":     keys.Token(t, jwt.MapClaims{"iss": e2eIssuer, "aud": e2eAudience, "exp": exp, "tenant": "acme", "scope": wideScope, "client_id": "acme-wide"}),
	}
	mount := oracle.Mount{Segments: 1, Bound: true, Tenant: "acme"}
	for _, f := range fronts {
		t.Run(f.name, func(t *testing.T) {
			dir := t.TempDir()
			srv := startServe(t, bin, nil, "--proxy", f.name, "--jwks", jwksFile, "--tenant-claim", "tenant", "--issuer", e2eIssuer, "--audience", e2eAudience)
			up := newRecorder(t)
			addr := freeAddr(t)
			f.start(t, dir, addr, srv.addr, up.Listener.Addr().String())

			for _, c := range e2eCases {
				if c.only != "" && !inList(c.only, f.name) {
					continue
				}
				var raw strings.Builder
				if c.http10 {
					raw.WriteString(c.line + " HTTP/1.0\r\n")
				} else {
					raw.WriteString(c.line + " HTTP/1.1\r\n")
					if !slices.ContainsFunc(c.headers, func(h string) bool { return strings.HasPrefix(h, "Host:") }) {
						raw.WriteString("Host: api\r\n")
					}
				}
				for _, h := range c.headers {
					raw.WriteString(h + "\r\n")
				}
				switch c.token {
				case "none":
				case "twice":
					raw.WriteString("Authorization: Bearer " + tokens["acme"] + "\r\nAuthorization: Bearer " + tokens["acme"] + "\r\n")
				case "":
					raw.WriteString("Authorization: Bearer " + tokens["acme"] + "\r\n")
				default:
					raw.WriteString("Authorization: Bearer " + tokens[c.token] + "\r\n")
				}
				raw.WriteString("Connection: close\r\n\r\n")

				before, decided := len(up.all()), len(srv.decisions(t))
				got := sendRaw(t, addr, raw.String())
				reached := up.all()[before:]
				srv.awaitDecision(t, got, decided)
				if inList(c.allow, f.name) {
					if got != http.StatusOK || len(reached) != 1 {
						t.Errorf("%s: %s: status %d, %d requests upstream; want 200 and 1\n%s", c.name, c.line, got, len(reached), srv.logs.String())
						continue
					}
					// serve decided the target the upstream received.
					d := srv.decisions(t)
					if len(d) != decided+1 {
						t.Errorf("%s: %d decisions logged, want 1", c.name, len(d)-decided)
						continue
					}
					last := d[len(d)-1]
					if last["allowed"] != true || last["method"] != reached[0].Method || last["target"] != oracle.TargetPath(reached[0].RequestURI) {
						t.Errorf("%s: serve allowed %v %v %v; the upstream received %s %s", c.name, last["allowed"], last["method"], last["target"], reached[0].Method, reached[0].RequestURI)
					}
					continue
				}
				want := c.deny
				if want == nil {
					want = []int{http.StatusForbidden}
				}
				if !slices.Contains(want, got) || len(reached) != 0 {
					t.Errorf("%s: %s: status %d, %d requests upstream; want one of %v and none", c.name, c.line, got, len(reached), want)
				}
			}

			// Generated requests, with the generous token "wide": each
			// that serve allows is the one the upstream gets, and
			// whatever reaches the upstream is checked below.
			allowed := 0
			rapid.Check(t, func(rt *rapid.T) {
				method := rapid.SampledFrom([]string{"GET", "GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "MOVE", "get", "trace"}).Draw(rt, "method")
				target := scopegen.Target(5).Draw(rt, "target")
				var raw strings.Builder
				raw.WriteString(method + " " + target + " HTTP/1.1\r\nHost: api\r\n")
				for name, values := range scopegen.Headers(rapid.SampledFrom([]int{0, 0, 0, 1, 2}).Draw(rt, "max headers")).Draw(rt, "headers") {
					for _, v := range values {
						raw.WriteString(name + ": " + v + "\r\n")
					}
				}
				raw.WriteString("Authorization: Bearer " + tokens["wide"] + "\r\nConnection: close\r\n\r\n")
				if target == "" || strings.ContainsFunc(strings.TrimSuffix(raw.String(), "\r\n\r\n"), func(r rune) bool {
					return r < 0x20 && r != '\r' && r != '\n' || r == 0x7F
				}) || strings.Contains(target, " ") || strings.Count(raw.String(), "\n") != strings.Count(raw.String(), "\r\n") {
					return // no request line or header a client could send
				}
				before, decided := len(up.all()), len(srv.decisions(t))
				got := sendRaw(t, addr, raw.String())
				reached := up.all()[before:]
				srv.awaitDecision(t, got, decided)
				if got != http.StatusOK {
					if len(reached) != 0 {
						rt.Fatalf("%q: status %d, but the upstream received %v", raw.String(), got, reached)
					}
					return
				}
				allowed++
				d := srv.decisions(t)
				if len(reached) != 1 || len(d) != decided+1 {
					rt.Fatalf("%q: allowed; %d requests upstream, %d decisions", raw.String(), len(reached), len(d)-decided)
				}
				if last := d[len(d)-1]; last["allowed"] != true || last["method"] != reached[0].Method || last["target"] != oracle.TargetPath(reached[0].RequestURI) {
					rt.Fatalf("%q: serve allowed %v %v; the upstream received %s %s", raw.String(), last["method"], last["target"], reached[0].Method, reached[0].RequestURI)
				}
			})
			t.Logf("%d generated requests allowed", allowed)
			if allowed == 0 {
				t.Error("no generated request was allowed: the property checked nothing")
			}

			// Every request the upstream received is one its token
			// allows, however the upstream reads it, and none carries
			// the proxy's own source headers from a client.
			for _, r := range up.all() {
				set := scope.MustParse(e2eScope)
				if r.Header.Get("Authorization") == "Bearer "+tokens["wide"] {
					set = scope.MustParse(wideScope)
				}
				if !oracle.AllowRequest(set, mount, oracle.Request{Method: r.Method, Target: r.RequestURI, Header: r.Header}) {
					t.Errorf("the upstream received %s %s %v, which the token does not allow", r.Method, r.RequestURI, r.Header)
				}
				for _, h := range f.own {
					if v, ok := r.Header[h]; ok {
						t.Errorf("the upstream received %s: %q", h, v)
					}
				}
			}

			// The audit trail names the whole target as received.
			out := srv.logs.String()
			if f.name != "caddy" && !strings.Contains(out, `"target":"/acme\\config\\clients\\c1#/webhooks/x"`) {
				t.Errorf("serve's log lacks the whole target of the backslash case:\n%s", out)
			}
			for _, tok := range tokens {
				if strings.Contains(out, tok) {
					t.Error("serve logged a token")
				}
			}
			if err := srv.cmd.Process.Signal(syscall.SIGTERM); err != nil {
				t.Fatal(err)
			}
			if err := srv.cmd.Wait(); err != nil {
				t.Errorf("serve did not stop cleanly: %v", err)
			}
			if !strings.Contains(srv.logs.String(), `"msg":"stopped"`) {
				t.Error("serve did not log its stop")
			}
			t.Logf("what reached the authoriser:\n%s", srv.logs.String())

			// The decision log serve wrote behind this proxy is what
			// suggest reads: for each client, a scope that covers proves
			// within its token's scope, and that allows every request
			// the log says was allowed.
			logFile := filepath.Join(dir, "decisions.log")
			if err := os.WriteFile(logFile, []byte(srv.logs.String()), 0o600); err != nil {
				t.Fatal(err)
			}
			checkSuggestOnLog(t, logFile, srv.decisions(t), map[string]string{"acme-reviewer": e2eScope, "acme-wide": wideScope})
		})
	}
}

// TestProxyHeaders sends "scopecheck serve" the subrequests that Traefik's
// forwardAuth and Envoy's HTTP ext_authz send, header for header (Traefik
// copies the client's headers and sets X-Forwarded-*; Envoy sends the
// original method and target after its path_prefix, with the headers
// allowed_headers lets through), and checks that only the auth path
// answers decisions.
func TestProxyHeaders(t *testing.T) {
	if testing.Short() {
		t.Skip("end-to-end test")
	}
	bin, keys, jwksFile := setupServe(t)
	exp := time.Now().Add(time.Hour).Unix()
	acme := "Authorization: Bearer " + keys.Token(t, jwt.MapClaims{"iss": e2eIssuer, "aud": e2eAudience, "exp": exp, "tenant": "acme", "scope": e2eScope})
	other := "Authorization: Bearer " + keys.Token(t, jwt.MapClaims{"iss": e2eIssuer, "aud": e2eAudience, "exp": exp, "tenant": "othercorp", "scope": e2eScope})

	// traefik sends forwardAuth's subrequest for an original request.
	traefik := func(method, uri string, client ...string) string {
		return "GET /auth HTTP/1.1\r\nHost: 127.0.0.1:8181\r\nUser-Agent: Go-http-client/1.1\r\n" + strings.Join(client, "\r\n") +
			"\r\nX-Forwarded-For: 10.0.0.7\r\nX-Forwarded-Host: api.example.com\r\nX-Forwarded-Method: " + method +
			"\r\nX-Forwarded-Proto: https\r\nX-Forwarded-Uri: " + uri + "\r\nAccept-Encoding: gzip\r\nConnection: close\r\n\r\n"
	}
	// envoy sends ext_authz's check request for an original request.
	envoy := func(method, path string, client ...string) string {
		return method + " /auth" + path + " HTTP/1.1\r\nhost: api.example.com\r\ncontent-length: 0\r\n" + strings.Join(client, "\r\n") +
			"\r\nx-forwarded-proto: https\r\nx-request-id: 3f1c2a9e-8d1b-4c55-9d0e-5b7a1f2e6c11\r\nx-envoy-expected-rq-timeout-ms: 500\r\nconnection: close\r\n\r\n"
	}
	type exchange struct {
		name, raw string
		want      int
	}
	for _, run := range []struct {
		args      []string
		exchanges []exchange
	}{
		{[]string{"--proxy", "traefik", "--tenant-claim", "tenant"}, []exchange{
			{"allowed", traefik("DELETE", "/acme/webhooks/s1?x=1", acme), 200},
			{"read", traefik("GET", "/acme/config/clients", acme), 200},
			{"read-only", traefik("PUT", "/acme/config/clients/c1", acme), 403},
			{"other tenant", traefik("GET", "/othercorp/config/clients", acme), 403},
			{"token of another tenant", traefik("GET", "/acme/config/clients", other), 403},
			{"re-escaped by Go", traefik("DELETE", "/acme/webhooks/a/b%7C", acme), 200},
			{"not canonical", traefik("DELETE", "/acme/webhooks/%2e%2e/config/clients/c1", acme), 403},
			{"client's X-Original-URL", traefik("DELETE", "/acme/webhooks/s1", acme, "X-Original-Url: /acme/config/clients/c1"), 403},
			{"client's X-Original-Method", traefik("GET", "/acme/config/clients", acme, "X-Original-Method: DELETE"), 403},
			{"client's override", traefik("GET", "/acme/config/clients", acme, "X-Http-Method-Override: PATCH"), 403},
			{"client's _method", traefik("GET", "/acme/config/clients?_method=DELETE", acme), 403},
			{"no token", traefik("GET", "/acme/config/clients"), 401},
			{"other path", strings.Replace(traefik("GET", "/acme/config/clients", acme), "GET /auth ", "GET /authz ", 1), 404},
			{"below the auth path", strings.Replace(traefik("GET", "/acme/config/clients", acme), "GET /auth ", "GET /auth/x ", 1), 404},
			{"health", "GET /healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n", 200},
		}},
		{[]string{"--proxy", "envoy", "--auth-path", "/auth", "--tenant", "acme"}, []exchange{
			{"allowed", envoy("DELETE", "/acme/webhooks/s1?x=1", acme), 200},
			{"read", envoy("GET", "/acme/config/clients", acme), 200},
			{"fixed tenant, whatever the claim", envoy("GET", "/acme/config/clients", other), 200},
			{"read-only", envoy("PUT", "/acme/config/clients/c1", acme), 403},
			{"other tenant", envoy("GET", "/othercorp/config/clients", other), 403},
			{"dot dot, decided not redirected", envoy("DELETE", "/acme/webhooks/../config/clients/c1", acme), 403},
			{"empty segment", envoy("GET", "//acme/config/clients", acme), 403},
			{"first-segment trick", envoy("DELETE", "/acme;x/webhooks/s1", acme), 403},
			{"override", envoy("GET", "/acme/config/clients", acme, "x-http-method-override: DELETE"), 403},
			{"client's x-original-uri", envoy("DELETE", "/acme/webhooks/s1", acme, "x-original-uri: /acme/config/clients/c1"), 403},
			{"client's x-forwarded-uri", envoy("DELETE", "/acme/webhooks/s1", acme, "x-forwarded-uri: /acme/config/clients/c1"), 403},
			{"no token", envoy("GET", "/acme/config/clients"), 401},
			{"not under the prefix", strings.Replace(envoy("GET", "/acme/config/clients", acme), "/auth/acme", "/authacme", 1), 404},
			{"the prefix alone", strings.Replace(envoy("GET", "/acme/config/clients", acme), "/auth/acme/config/clients", "/auth", 1), 404},
			{"health", "GET /healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n", 200},
		}},
	} {
		t.Run(run.args[1], func(t *testing.T) {
			srv := startServe(t, bin, nil, append(run.args, "--jwks", jwksFile, "--issuer", e2eIssuer, "--audience", e2eAudience)...)
			for _, x := range run.exchanges {
				if got := sendRaw(t, srv.addr, x.raw); got != x.want {
					t.Errorf("%s: status %d, want %d\n%s", x.name, got, x.want, x.raw)
				}
			}
		})
	}
}

// checkSuggestOnLog runs suggest on a decision log serve wrote, for each
// client with the scope of its token as the granted scope, and holds the
// suggestion to it with the covers command (equal or narrower) and to the
// log with the allow command (every request logged as allowed for that
// client is allowed).
func checkSuggestOnLog(t *testing.T, logFile string, decisions []map[string]any, granted map[string]string) {
	t.Helper()
	for client, scopeText := range granted {
		var allowed strings.Builder
		n := 0
		for _, d := range decisions {
			if d["client"] == client && d["allowed"] == true {
				fmt.Fprintf(&allowed, "%s %s\n", d["method"], d["path"])
				n++
			}
		}
		got := runCLI("", "suggest", "--format", "json", "--client", client, "--within", scopeText, logFile)
		var out struct {
			Clients []struct {
				Client     string
				Allowed    int
				Suggestion *string
				Checks     []struct {
					Name   string
					Passed bool
				}
			}
		}
		if err := json.Unmarshal([]byte(got.Stdout), &out); err != nil || got.Code != exitYes || len(out.Clients) != 1 {
			t.Errorf("suggest for %s: exit %d, %v\n%s%s", client, got.Code, err, got.Stdout, got.Stderr)
			continue
		}
		c := out.Clients[0]
		if c.Suggestion == nil || c.Allowed != n || n == 0 {
			t.Errorf("suggest for %s: %d allowed requests (the log has %d), suggestion %v: %+v", client, c.Allowed, n, c.Suggestion, c.Checks)
			continue
		}
		if cov := runCLI("", "covers", "--allowed", scopeText, "--requested", *c.Suggestion); cov.Code != exitYes {
			t.Errorf("%s: the suggestion %q is not within the token's scope %q: %s", client, *c.Suggestion, scopeText, cov.Stdout)
		}
		if al := runCLI(allowed.String(), "allow", "--exact-method", "--scope", *c.Suggestion, "-"); al.Code != exitYes {
			t.Errorf("%s: the suggestion %q does not allow every request the log allowed:\n%s", client, *c.Suggestion, al.Stdout)
		}
		t.Logf("%s: %d allowed requests; least scope %q (granted %q)", client, n, *c.Suggestion, scopeText)
	}
}
