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
	"sync/atomic"
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

// server is "scopecheck serve" running, with its log and the addresses
// of its listeners (grpc and metrics: "" when it has none).
type server struct {
	cmd                 *exec.Cmd
	addr, grpc, metrics string
	logs                *syncBuffer
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
	var listening struct{ Msg, Addr, GRPC, Metrics string }
	if err := json.Unmarshal([]byte(first), &listening); err != nil || listening.Msg != "listening" || listening.Addr == "" {
		t.Fatalf("serve's first line %q names no address", first)
	}
	return &server{cmd, listening.Addr, listening.GRPC, listening.Metrics, logs}
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
	switch status {
	case http.StatusOK, http.StatusUnauthorized, http.StatusForbidden, http.StatusServiceUnavailable:
	default:
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
	// Tunnel is set for a request read from a connection after it
	// switched protocols.
	Tunnel bool
}

// recorder is an upstream that records every request that reaches it. It
// is as lax as an upstream can be: it switches protocols whenever asked
// to (an Upgrade header) and then reads further HTTP/1.1 requests from the
// tunnel, recording them too.
type recorder struct {
	*httptest.Server
	mu   sync.Mutex
	reqs []received
}

func newRecorder(t *testing.T) *recorder {
	rec := &recorder{}
	rec.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		rec.add(received{r.Method, r.RequestURI, r.Header.Clone(), false})
		if up := r.Header.Get("Upgrade"); up != "" {
			rec.tunnel(w, up)
			return
		}
		fmt.Fprint(w, "upstream")
	}))
	t.Cleanup(rec.Close)
	return rec
}

func (rec *recorder) add(r received) {
	rec.mu.Lock()
	rec.reqs = append(rec.reqs, r)
	rec.mu.Unlock()
}

// tunnel answers 101 and reads requests from the connection until it
// closes.
func (rec *recorder) tunnel(w http.ResponseWriter, protocol string) {
	conn, brw, err := w.(http.Hijacker).Hijack()
	if err != nil {
		return
	}
	defer conn.Close()
	conn.SetDeadline(time.Now().Add(10 * time.Second))
	fmt.Fprintf(conn, "HTTP/1.1 101 Switching Protocols\r\nConnection: Upgrade\r\nUpgrade: %s\r\n\r\n", protocol)
	for {
		r, err := http.ReadRequest(brw.Reader)
		if err != nil {
			return
		}
		rec.add(received{r.Method, r.RequestURI, r.Header.Clone(), true})
		fmt.Fprint(conn, "HTTP/1.1 200 OK\r\nContent-Length: 17\r\n\r\nupstream (tunnel)")
	}
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
	status, _ := sendRawThen(t, addr, raw, "")
	return status
}

// sendRawThen writes a raw request to addr and returns its status (0 when
// the connection was closed without an answer); when the answer is 101
// Switching Protocols and then is not empty, it writes then into the
// tunnel and returns the status of what answers it too.
func sendRawThen(t *testing.T, addr, raw, then string) (status, tunneled int) {
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
	br := bufio.NewReader(c)
	resp, err := http.ReadResponse(br, nil)
	if err != nil {
		return 0, 0
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusSwitchingProtocols || then == "" {
		return resp.StatusCode, 0
	}
	if _, err := c.Write([]byte(then)); err != nil {
		return resp.StatusCode, 0
	}
	resp2, err := http.ReadResponse(br, nil)
	if err != nil {
		return resp.StatusCode, 0
	}
	resp2.Body.Close()
	return resp.StatusCode, resp2.StatusCode
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
	// othercorp), notenant, escaped (tenant %61cme), expired, garbage,
	// twice (two Authorization headers), none.
	token string
	// allow lists the proxies behind which the request is allowed ("*":
	// all); elsewhere it is denied with one of deny (default 403).
	allow string
	deny  []int
	// only, when set, lists the proxies to send it through.
	only string
	// then is a raw request sent on the same connection should it switch
	// protocols; the request keeps its connection open (no "Connection:
	// close") when it has one.
	then string
	// logged are texts that serve's decision line holds, where it decides.
	logged []string
}

var e2eCases = []e2eCase{
	{name: "read", line: "GET /acme/config/clients", allow: "*"},
	{name: "query", line: "GET /acme/config/clients?limit=5&x=%2F", allow: "*"},
	{name: "head", line: "HEAD /acme/config/clients", allow: "*"},
	{name: "write", line: "POST /acme/webhooks/subscriptions", allow: "*"},
	{name: "delete", line: "DELETE /acme/webhooks/subscriptions/s1", allow: "*"},
	{name: "write login policy", line: "PUT /acme/config/loginPolicies/p1", allow: "*"},
	{name: "root of tenant", line: "GET /acme/", deny: []int{403}},
	// The log names every source that took part, allowed or not.
	{name: "override both allowed", line: "POST /acme/webhooks/s1", headers: []string{"X-HTTP-Method-Override: DELETE"}, allow: "*",
		logged: []string{`"sources":[{"name":"X-Http-Method-Override","method":"DELETE","target":"/acme/webhooks/s1"},{"name":"POST body","method":"(any)","target":"/acme/webhooks/s1"}]`}},
	{name: "second target both allowed", line: "GET /acme/config/clients", headers: []string{"X-Rewrite-URL: /acme/config/tokenPolicies"}, allow: "*",
		logged: []string{`"sources":[{"name":"X-Rewrite-Url","method":"GET","target":"/acme/config/tokenPolicies"}]`}},
	{name: "_method allowed", line: "GET /acme/config/clients?_method=HEAD", allow: "*",
		logged: []string{`"sources":[{"name":"_method","method":"HEAD","target":"/acme/config/clients"}]`}},
	{name: "second target denied", line: "GET /acme/config/clients", headers: []string{"X-Rewrite-URL: /acme/users,/acme/config/x"},
		logged: []string{`{"name":"X-Rewrite-Url","method":"GET","target":"/acme/users"}`, `{"name":"X-Rewrite-Url","method":"GET","target":"/acme/config/x"}`, `"source":"X-Rewrite-Url","source_method":"GET","source_target":"/acme/users,/acme/config/x"`}},
	{name: "_method the same", line: "GET /acme/config/clients?_method=GET", allow: "*"},
	// nginx answers a body too large by itself, before it asks the
	// gateway, and logs the Basic header's user as $remote_user: an
	// access log read by suggest must not count such a request.
	{name: "body too large, Basic user", line: "DELETE /acme/config/clients/c1", token: "none", only: "nginx ingress-nginx",
		headers: []string{"Authorization: Basic cmVwb3J0ZXI6eA==", "Content-Length: 5000000"}, deny: []int{413}},
	{name: "body too large, Basic user, a write", line: "PUT /acme/config/tokenPolicies/t1", token: "none", only: "nginx ingress-nginx",
		headers: []string{"Authorization: Basic cmVwb3J0ZXI6eA==", "Content-Length: 5000000"}, deny: []int{413}},
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
	// A tenant claim with an escape is none: its segment would reach acme.
	{name: "token of the tenant %61cme", line: "DELETE /%61cme/webhooks/x", token: "escaped"},
	{name: "token of the tenant %61cme, plain segment", line: "DELETE /acme/webhooks/x", token: "escaped"},

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
	{name: "_method cut at NUL, an invalid escape after", line: "GET /acme/config/clients?_method%00%zz=DELETE"},
	{name: "_method in IIS's %u", line: "GET /acme/config/clients?%u005Fmethod=DELETE"},
	{name: "__METHOD_OVERRIDE__", line: "GET /acme/config/clients?__METHOD_OVERRIDE__=DELETE"},
	{name: "WebDAV Destination", line: "MOVE /acme/webhooks/x", headers: []string{"Destination: http://api/acme/config/clients/c1"}},

	// A second bearer token, in the query, which some servers read first.
	{name: "access_token", line: "DELETE /acme/webhooks/x?access_token=eyJhbGciOiJub25lIn0.e30."},
	{name: "access_token spelled Access.Token", line: "GET /acme/config/clients?a=1&Access.Token=x"},
	{name: "access_token as an array", line: "DELETE /acme/webhooks/x?access_token[]=x"},
	{name: "access_token as an array, indexed", line: "DELETE /acme/webhooks/x?access_token[0]=x"},
	{name: "access_token in a second target", line: "DELETE /acme/webhooks/x", headers: []string{"X-Rewrite-URL: /acme/webhooks/x?access_token=x"}},

	// A value may be lines that a proxy joined with commas.
	{name: "second target joined with a comma", line: "DELETE /acme/webhooks/x", headers: []string{"X-Rewrite-URL: /acme/webhooks/x,/acme/config/clients/c1"}},
	{name: "two second targets", line: "DELETE /acme/webhooks/x", headers: []string{"X-Rewrite-URL: /acme/webhooks/x", "X-Rewrite-URL: /acme/config/clients/c1"}},
	{name: "another tenant after a comma", line: "GET /acme/config/clients", headers: []string{"X-Forwarded-Uri: /acme/config/clients,/othercorp/config/clients"}, allow: "caddy"},
	{name: "Destination joined with a comma", line: "MOVE /acme/webhooks/a", headers: []string{"Destination: /acme/webhooks/b,/acme/config/clients/c1"}},
	{name: "overrides joined with a comma", line: "GET /acme/config/clients", headers: []string{"X-HTTP-Method-Override: GET,DELETE"}},
	{name: "a comma in the path", line: "GET /acme/config/a,b", allow: "*"},

	// A protocol switch would make the connection a tunnel; then is a
	// request that no token allows, sent into it.
	{name: "h2c upgrade", line: "GET /acme/config/clients", headers: []string{"Upgrade: h2c", "HTTP2-Settings: AAMAAABkAARAAAAAAAIAAAAA", "Connection: Upgrade"},
		then: "DELETE /acme/config/clients/c1 HTTP/1.1\r\nHost: api\r\n\r\n"},
	{name: "h2c upgrade, settings named by Connection", line: "GET /acme/config/clients",
		headers: []string{"Upgrade: h2c", "HTTP2-Settings: AAMAAABkAARAAAAAAAIAAAAA", "Connection: Upgrade, HTTP2-Settings"},
		then:    "DELETE /acme/config/clients/c1 HTTP/1.1\r\nHost: api\r\n\r\n"},
	{name: "h2c settings alone", line: "GET /acme/config/clients", headers: []string{"HTTP2-Settings: AAMAAABkAARAAAAAAAIAAAAA"}},
	// ingress-nginx's subrequest hides Upgrade (its README annotation keeps
	// the API from switching); this shape of it passes none on.
	{name: "websocket", line: "GET /acme/config/clients", headers: []string{"Upgrade: websocket", "Connection: Upgrade", "Sec-WebSocket-Version: 13",
		"Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ=="}, then: "DELETE /acme/config/clients/c1 HTTP/1.1\r\nHost: api\r\n\r\n", allow: "ingress-nginx"},
	// Without "upgrade" in Connection, Caddy drops Upgrade as a hop-by-hop
	// header, towards scopecheck and the API alike.
	{name: "Upgrade without Connection", line: "GET /acme/config/clients", headers: []string{"Upgrade: h2c"}, allow: "caddy ingress-nginx"},
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
		"escaped":  keys.Token(t, jwt.MapClaims{"iss": e2eIssuer, "aud": e2eAudience, "exp": exp, "tenant": "%61cme", "scope": e2eScope}),
		"expired":  keys.Token(t, jwt.MapClaims{"iss": e2eIssuer, "aud": e2eAudience, "exp": time.Now().Add(-time.Hour).Unix(), "tenant": "acme", "scope": "*:**", "client_id": "expired"}),
		"garbage":  "not.a.jwt",
		"wide":     keys.Token(t, jwt.MapClaims{"iss": e2eIssuer, "aud": e2eAudience, "exp": exp, "tenant": "acme", "scope": wideScope, "client_id": "acme-wide"}),
	}
	mount := oracle.Mount{Segments: 1, Bound: true, Tenants: []string{"acme"}}
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
				if c.then == "" {
					raw.WriteString("Connection: close\r\n")
				}
				raw.WriteString("\r\n")

				before, decided := len(up.all()), len(srv.decisions(t))
				got, tunneled := sendRawThen(t, addr, raw.String(), c.then)
				if tunneled != 0 {
					t.Errorf("%s: %s: a tunnel opened, and a request in it was answered %d", c.name, c.line, tunneled)
				}
				reached := up.all()[before:]
				srv.awaitDecision(t, got, decided)
				if len(c.logged) > 0 {
					lines := strings.Split(srv.logs.String(), "\n")
					line := ""
					for i := len(lines) - 1; i >= 0 && line == ""; i-- {
						if strings.Contains(lines[i], `"msg":"decision"`) {
							line = lines[i]
						}
					}
					for _, want := range c.logged {
						if !strings.Contains(line, want) {
							t.Errorf("%s: the decision line lacks %s:\n%s", c.name, want, line)
						}
					}
				}
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
			t.Run("generated", func(t *testing.T) {
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
			if f.name != "caddy" {
				checkSuggestOnAccessLog(t, filepath.Join(dir, "access.log"), "reporter")
			}
		})
	}
}

// introspectionEndpoint is an RFC 7662 endpoint for the end-to-end tests:
// it knows the tokens "acme", "acme-2", "acme-3" (tenant acme), "other"
// (tenant othercorp) and "notenant", all with e2eScope; every other token
// is inactive. fail makes it answer 500 to everything.
type introspectionEndpoint struct {
	*httptest.Server
	fail atomic.Bool
}

func newIntrospectionEndpoint(t *testing.T, secret string) *introspectionEndpoint {
	e := &introspectionEndpoint{}
	e.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if _, pw, _ := r.BasicAuth(); pw != secret || e.fail.Load() {
			http.Error(w, "unavailable", http.StatusInternalServerError)
			return
		}
		answer := map[string]any{"active": true, "scope": e2eScope, "iss": e2eIssuer, "aud": e2eAudience, "exp": time.Now().Add(time.Hour).Unix()}
		switch r.PostFormValue("token") {
		case "acme", "acme-2", "acme-3":
			answer["tenant"] = "acme"
		case "other":
			answer["tenant"] = "othercorp"
		case "notenant":
		default:
			answer = map[string]any{"active": false}
		}
		json.NewEncoder(w).Encode(answer)
	}))
	t.Cleanup(e.Close)
	return e
}

// TestProxyOutages puts "scopecheck serve" behind the README's nginx and
// Caddy configurations, and nginx in ingress-nginx's shape, with its token
// verification failing: a JWKS URL where nothing listens, one that answers
// 500, and an introspection endpoint (which first answers, tenant claim
// and all, as a working one does) that answers 500 and then cannot be
// reached. Every request is then answered 503 through nginx and Caddy (500
// through ingress-nginx, which maps nothing), serve logs it as
// "unavailable", and the upstream sees nothing.
func TestProxyOutages(t *testing.T) {
	if testing.Short() {
		t.Skip("end-to-end test")
	}
	bin, keys, _ := setupServe(t)
	jwtToken := keys.Token(t, jwt.MapClaims{"iss": e2eIssuer, "aud": e2eAudience, "exp": time.Now().Add(time.Hour).Unix(), "tenant": "acme", "scope": e2eScope})
	failing := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		http.Error(w, "down", http.StatusInternalServerError)
	}))
	defer failing.Close()
	request := func(line, token string) string {
		raw := line + " HTTP/1.1\r\nHost: api\r\n"
		if token != "" {
			raw += "Authorization: Bearer " + token + "\r\n"
		}
		return raw + "Connection: close\r\n\r\n"
	}
	const secret = "e2e-secret"
	for _, f := range fronts {
		outage := http.StatusServiceUnavailable
		if f.name == "ingress-nginx" {
			outage = http.StatusInternalServerError
		}
		// send sends a request through a proxy in front of srv, and checks
		// its status, what reached the upstream, and the reason serve
		// logged.
		send := func(t *testing.T, addr string, srv *server, up *recorder, name, raw string, want int, reason string) {
			t.Helper()
			before, decided := len(up.all()), len(srv.decisions(t))
			got := sendRaw(t, addr, raw)
			srv.awaitDecision(t, http.StatusOK, decided) // serve decides each
			reached := len(up.all()) - before
			if got != want || (reached == 1) != (want == http.StatusOK) || reached > 1 {
				t.Errorf("%s: status %d, %d requests upstream; want %d\n%s", name, got, reached, want, srv.logs.String())
			}
			if d := srv.decisions(t); len(d) != decided+1 || d[len(d)-1]["reason"] != reason {
				t.Errorf("%s: serve logged %v, want one decision, %q", name, d[decided:], reason)
			}
		}
		t.Run(f.name, func(t *testing.T) {
			for _, jwks := range []struct{ name, url string }{
				{"JWKS where nothing listens", "http://" + freeAddr(t) + "/jwks.json"},
				{"JWKS answering 500", failing.URL + "/jwks.json"},
			} {
				srv := startServe(t, bin, nil, "--proxy", f.name, "--jwks", jwks.url, "--tenant-claim", "tenant", "--issuer", e2eIssuer, "--audience", e2eAudience)
				up := newRecorder(t)
				addr := freeAddr(t)
				f.start(t, t.TempDir(), addr, srv.addr, up.Listener.Addr().String())
				if got := srv.get(t, "/readyz"); got != http.StatusServiceUnavailable {
					t.Errorf("%s: /readyz = %d, want 503", jwks.name, got)
				}
				send(t, addr, srv, up, jwks.name, request("GET /acme/config/clients", jwtToken), outage, "unavailable")
				send(t, addr, srv, up, jwks.name+", no token", request("GET /acme/config/clients", ""), http.StatusUnauthorized, "no-token")
			}

			// Introspection, with the tenant in its answers' members.
			endpoint := newIntrospectionEndpoint(t, secret)
			srv := startServe(t, bin, []string{"SCOPECHECK_CLIENT_SECRET=" + secret}, "--proxy", f.name, "--introspect", endpoint.URL,
				"--client-id", "gw", "--tenant-claim", "tenant", "--issuer", e2eIssuer, "--audience", e2eAudience)
			up := newRecorder(t)
			addr := freeAddr(t)
			dir := t.TempDir()
			f.start(t, dir, addr, srv.addr, up.Listener.Addr().String())
			srv.waitStatus(t, "/readyz", http.StatusOK)
			for _, tc := range []struct {
				name, line, token string
				want              int
				reason            string
			}{
				{"introspected, allowed", "GET /acme/config/clients", "acme", 200, "granted"},
				{"introspected, read-only", "DELETE /acme/config/clients/c1", "acme", 403, "read-only"},
				{"introspected, another tenant's token", "GET /acme/config/clients", "other", 403, "wrong-tenant"},
				{"introspected, another tenant", "GET /othercorp/config/clients", "acme", 403, "wrong-tenant"},
				{"introspected, no tenant claim", "GET /acme/config/clients", "notenant", 403, "no-tenant"},
				{"introspected, inactive", "GET /acme/config/clients", "bogus", 401, "invalid-token"},
			} {
				send(t, addr, srv, up, tc.name, request(tc.line, tc.token), tc.want, tc.reason)
			}
			endpoint.fail.Store(true)
			send(t, addr, srv, up, "introspection answering 500", request("GET /acme/config/clients", "acme-2"), outage, "unavailable")
			endpoint.Close()
			send(t, addr, srv, up, "introspection unreachable", request("GET /acme/config/clients", "acme-3"), outage, "unavailable")
			srv.stop(t, secret, jwtToken)
			if f.name != "caddy" {
				// The outages' 503 (500) in nginx's access log are no
				// requests the gateway allowed.
				checkSuggestOnAccessLog(t, filepath.Join(dir, "access.log"), "")
			}
		})
	}
}

// TestProxyUpgrades: behind the README's nginx and Caddy configurations,
// with --allow-upgrade websocket, a WebSocket upgrade that the token allows
// switches (Caddy passes upgrades on; nginx's configuration never does),
// and one it does not, or an h2c upgrade, reaches nothing. And the two
// configurations themselves, in front of an authoriser that allows
// everything, never pass an h2c upgrade to the API.
func TestProxyUpgrades(t *testing.T) {
	if testing.Short() {
		t.Skip("end-to-end test")
	}
	bin, keys, jwksFile := setupServe(t)
	token := keys.Token(t, jwt.MapClaims{"iss": e2eIssuer, "aud": e2eAudience, "exp": time.Now().Add(time.Hour).Unix(), "tenant": "acme", "scope": e2eScope})
	request := func(target, protocol string) string {
		return "GET " + target + " HTTP/1.1\r\nHost: api\r\nAuthorization: Bearer " + token + "\r\nUpgrade: " + protocol +
			"\r\nHTTP2-Settings: AAMAAABkAARAAAAAAAIAAAAA\r\nConnection: Upgrade\r\n\r\n"
	}
	websocket := func(target string) string {
		return "GET " + target + " HTTP/1.1\r\nHost: api\r\nAuthorization: Bearer " + token +
			"\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Version: 13\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n\r\n"
	}
	const then = "DELETE /acme/config/clients/c1 HTTP/1.1\r\nHost: api\r\n\r\n"
	allowAll := httptest.NewServer(http.HandlerFunc(func(http.ResponseWriter, *http.Request) {}))
	defer allowAll.Close()
	for _, f := range fronts {
		if f.name == "ingress-nginx" {
			continue // its upgrades are set by annotations, not in this shape
		}
		t.Run(f.name, func(t *testing.T) {
			srv := startServe(t, bin, nil, "--proxy", f.name, "--jwks", jwksFile, "--tenant-claim", "tenant", "--allow-upgrade", "websocket",
				"--issuer", e2eIssuer, "--audience", e2eAudience)
			up := newRecorder(t)
			addr := freeAddr(t)
			f.start(t, t.TempDir(), addr, srv.addr, up.Listener.Addr().String())

			for _, tc := range []struct {
				name, raw string
				want      int
			}{
				{"h2c", request("/acme/config/clients", "h2c"), 403},
				{"websocket, another tenant", websocket("/othercorp/config/clients"), 403},
				{"websocket, h2c too", request("/acme/config/clients", "websocket, h2c"), 403},
			} {
				before := len(up.all())
				got, tunneled := sendRawThen(t, addr, tc.raw, then)
				if got != tc.want || tunneled != 0 || len(up.all()) != before {
					t.Errorf("%s: %d, tunnel %d, %d requests upstream; want %d and none", tc.name, got, tunneled, len(up.all())-before, tc.want)
				}
			}
			// An allowed WebSocket: Caddy switches; nginx passes a plain GET.
			before := len(up.all())
			got, tunneled := sendRawThen(t, addr, websocket("/acme/config/clients"), "GET /acme/config/x HTTP/1.1\r\nHost: api\r\n\r\n")
			reached := up.all()[before:]
			switch {
			case f.name == "caddy" && (got != 101 || tunneled != 200 || len(reached) != 2 || reached[0].Header.Get("Upgrade") != "websocket" || !reached[1].Tunnel):
				t.Errorf("an allowed WebSocket behind Caddy: %d, tunnel %d, upstream %v; want 101, a tunnel", got, tunneled, reached)
			case f.name == "nginx" && (got != 200 || len(reached) != 1 || reached[0].Header.Get("Upgrade") != ""):
				t.Errorf("an allowed WebSocket behind nginx: %d, upstream %v; want 200, no upgrade", got, reached)
			}

			// The configuration alone, in front of an authoriser that
			// allows everything: no h2c upgrade reaches the API.
			up2 := newRecorder(t)
			addr2 := freeAddr(t)
			f.start(t, t.TempDir(), addr2, allowAll.Listener.Addr().String(), up2.Listener.Addr().String())
			for _, settings := range []string{"Upgrade", "Upgrade, HTTP2-Settings"} {
				raw := strings.Replace(request("/acme/config/clients", "h2c"), "Connection: Upgrade", "Connection: "+settings, 1)
				got, tunneled := sendRawThen(t, addr2, raw, then)
				all := up2.all()
				if got != 200 || tunneled != 0 || len(all) != 1 || all[0].Header.Get("Upgrade") != "" {
					t.Errorf("h2c (Connection: %s) with every request allowed: %d, tunnel %d, upstream %v; want 200 and no upgrade", settings, got, tunneled, all)
				}
				up2.mu.Lock()
				up2.reqs = nil
				up2.mu.Unlock()
			}
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
	notenant := "Authorization: Bearer " + keys.Token(t, jwt.MapClaims{"iss": e2eIssuer, "aud": e2eAudience, "exp": exp, "scope": e2eScope})

	// traefik sends forwardAuth's subrequest for an original request.
	traefik := func(method, uri string, client ...string) string {
		return "GET /auth HTTP/1.1\r\nHost: 127.0.0.1:8181\r\nUser-Agent: Go-http-client/1.1\r\n" + strings.Join(client, "\r\n") +
			"\r\nX-Forwarded-For: 10.0.0.7\r\nX-Forwarded-Host: api.example.com\r\nX-Forwarded-Method: " + method +
			"\r\nX-Forwarded-Proto: https\r\nX-Forwarded-Uri: " + uri + "\r\nAccept-Encoding: gzip\r\nConnection: close\r\n\r\n"
	}
	// envoy sends ext_authz's check request for an original request. It
	// builds the check request from a header map, names in lower case,
	// joining the lines of a repeated header with a bare ","
	// (check_request_utils.cc); the upstream gets the lines as they were.
	envoy := func(method, path string, client ...string) string {
		var names []string
		joined := map[string]string{}
		for _, line := range client {
			name, value, _ := strings.Cut(line, ":")
			name, value = strings.ToLower(name), strings.TrimSpace(value)
			if v, ok := joined[name]; ok {
				joined[name] = v + "," + value
				continue
			}
			names = append(names, name)
			joined[name] = value
		}
		var lines []string
		for _, name := range names {
			lines = append(lines, name+": "+joined[name])
		}
		return method + " /auth" + path + " HTTP/1.1\r\nhost: api.example.com\r\ncontent-length: 0\r\n" + strings.Join(lines, "\r\n") +
			"\r\nx-forwarded-proto: https\r\nx-request-id: 3f1c2a9e-8d1b-4c55-9d0e-5b7a1f2e6c11\r\nx-envoy-expected-rq-timeout-ms: 500\r\nconnection: close\r\n\r\n"
	}
	type exchange struct {
		name, raw string
		want      int
	}
	for _, run := range []struct {
		args      []string
		exchanges []exchange
		logs      string // a line serve logs
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
			{"a comma in its own URI", traefik("GET", "/acme/config/a,/othercorp/b", acme), 200},
			{"access_token", traefik("DELETE", "/acme/webhooks/s1?access_token=x", acme), 403},
			{"client's X-Original-URL with a comma", traefik("GET", "/acme/config/clients", acme, "X-Original-Url: /acme/config/clients,/othercorp/config/clients"), 403},
			{"no token", traefik("GET", "/acme/config/clients"), 401},
			{"other path", strings.Replace(traefik("GET", "/acme/config/clients", acme), "GET /auth ", "GET /authz ", 1), 404},
			{"below the auth path", strings.Replace(traefik("GET", "/acme/config/clients", acme), "GET /auth ", "GET /auth/x ", 1), 404},
			{"health", "GET /healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n", 200},
		}, ""},
		{[]string{"--proxy", "envoy", "--auth-path", "/auth", "--tenant", "acme", "--tenant-claim", "tenant"}, []exchange{
			{"allowed", envoy("DELETE", "/acme/webhooks/s1?x=1", acme), 200},
			{"read", envoy("GET", "/acme/config/clients", acme), 200},
			{"fixed tenant, a token of another", envoy("GET", "/acme/config/clients", other), 403},
			{"fixed tenant, a token without one", envoy("GET", "/acme/config/clients", notenant), 403},
			{"read-only", envoy("PUT", "/acme/config/clients/c1", acme), 403},
			{"other tenant", envoy("GET", "/othercorp/config/clients", other), 403},
			{"dot dot, decided not redirected", envoy("DELETE", "/acme/webhooks/../config/clients/c1", acme), 403},
			{"empty segment", envoy("GET", "//acme/config/clients", acme), 403},
			{"first-segment trick", envoy("DELETE", "/acme;x/webhooks/s1", acme), 403},
			{"override", envoy("GET", "/acme/config/clients", acme, "x-http-method-override: DELETE"), 403},
			{"client's x-original-uri", envoy("DELETE", "/acme/webhooks/s1", acme, "x-original-uri: /acme/config/clients/c1"), 403},
			{"client's x-forwarded-uri", envoy("DELETE", "/acme/webhooks/s1", acme, "x-forwarded-uri: /acme/config/clients/c1"), 403},
			// Repeated lines reach scopecheck joined, and the upstream apart.
			{"two X-Original-URL", envoy("DELETE", "/acme/webhooks/x", acme, "X-Original-URL: /acme/webhooks/x", "X-Original-URL: /acme/config/clients/c1"), 403},
			{"two X-Rewrite-URL", envoy("DELETE", "/acme/webhooks/x", acme, "X-Rewrite-URL: /acme/webhooks/x", "X-Rewrite-URL: /acme/config/clients/c1"), 403},
			{"two X-Forwarded-Uri, another tenant", envoy("DELETE", "/acme/webhooks/x", acme, "X-Forwarded-Uri: /acme/webhooks/x", "X-Forwarded-Uri: /othercorp/config/clients/c1"), 403},
			{"two Destination", envoy("MOVE", "/acme/webhooks/a", acme, "Destination: /acme/webhooks/b", "Destination: /acme/config/clients/c1"), 403},
			{"two X-Original-URI on a read, another tenant", envoy("GET", "/acme/config/clients", acme, "X-Original-URI: /acme/config/x", "X-Original-URI: /othercorp/config/clients"), 403},
			{"two overrides", envoy("GET", "/acme/config/clients", acme, "X-HTTP-Method-Override: GET", "X-HTTP-Method-Override: DELETE"), 403},
			{"two lines that agree", envoy("GET", "/acme/config/clients", acme, "X-Original-URL: /acme/config/x", "X-Original-URL: /acme/config/y"), 200},
			{"a comma in its own path", envoy("GET", "/acme/config/a,b", acme), 200},
			{"access_token", envoy("DELETE", "/acme/webhooks/s1?x=1&access%5Ftoken=x", acme), 403},
			{"no token", envoy("GET", "/acme/config/clients"), 401},
			{"not under the prefix", strings.Replace(envoy("GET", "/acme/config/clients", acme), "/auth/acme", "/authacme", 1), 404},
			{"the prefix alone", strings.Replace(envoy("GET", "/acme/config/clients", acme), "/auth/acme/config/clients", "/auth", 1), 404},
			{"health", "GET /healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n", 200},
		}, ""},
		// A fixed tenant alone takes any tenant's token, and says so.
		{[]string{"--proxy", "envoy", "--auth-path", "/auth", "--tenant", "acme"}, []exchange{
			{"a token of another tenant", envoy("GET", "/acme/config/clients", other), 200},
			{"another tenant", envoy("GET", "/othercorp/config/clients", other), 403},
		}, `"msg":"--tenant without --tenant-claim: a token of any tenant the issuer serves for this audience gets its scope on this tenant's API","tenant":"acme"`},
	} {
		t.Run(strings.Join(run.args[1:], " "), func(t *testing.T) {
			srv := startServe(t, bin, nil, append(run.args, "--jwks", jwksFile, "--issuer", e2eIssuer, "--audience", e2eAudience)...)
			for _, x := range run.exchanges {
				if got := sendRaw(t, srv.addr, x.raw); got != x.want {
					t.Errorf("%s: status %d, want %d\n%s", x.name, got, x.want, x.raw)
				}
			}
			if !strings.Contains(srv.logs.String(), run.logs) {
				t.Errorf("serve's log lacks %s:\n%s", run.logs, srv.logs.String())
			}
		})
	}
}

// checkSuggestOnLog runs suggest on a decision log serve wrote, for each
// client with the scope of its token as the granted scope, and holds the
// suggestion to it with the covers command (equal or narrower) and to the
// log: every request logged as allowed for that client is allowed (the
// allow command), and so is every request its logged sources mean
// together, as serve decided them (each method on each target, every
// method where one may mean any; by the oracle).
func checkSuggestOnLog(t *testing.T, logFile string, decisions []map[string]any, granted map[string]string) {
	t.Helper()
	withSources := 0
	for client, scopeText := range granted {
		var allowed strings.Builder
		n := 0
		type req struct {
			method, path string
			every        bool
		}
		var implied []req
		unwritable := 0
		for _, d := range decisions {
			if d["client"] != client || d["allowed"] != true {
				continue
			}
			method, target, path := d["method"].(string), d["target"].(string), d["path"].(string)
			mount := strings.Count(strings.TrimSuffix(target, path), "/")
			methods := []string{method, strings.ToUpper(method)}
			paths := []string{path}
			every := false
			srcs, _ := d["sources"].([]any)
			if len(srcs) > 0 {
				withSources++
			}
			for _, x := range srcs {
				src := x.(map[string]any)
				if m := src["method"].(string); m == "(any)" {
					every = true
				} else {
					methods = append(methods, m, strings.ToUpper(m))
				}
				p, ok := oracle.Unmount(oracle.Mount{Segments: mount}, src["target"].(string))
				if !ok {
					t.Errorf("%s: serve allowed %v, whose source's target has no mount", client, d)
					continue
				}
				paths = append(paths, p)
			}
			// A path no item allows alone (one holding "*", the root) is
			// listed apart, never in the suggestion.
			if slices.ContainsFunc(paths, func(p string) bool { return p == "/" || strings.Contains(p, "*") }) {
				unwritable++
				continue
			}
			fmt.Fprintf(&allowed, "%s %s\n", method, path)
			n++
			for _, p := range paths {
				implied = append(implied, req{"", p, every})
				for _, m := range methods {
					implied = append(implied, req{m, p, false})
				}
			}
		}
		got := runCLI("", "suggest", "--format", "json", "--client", client, "--within", scopeText, logFile)
		var out struct {
			Clients []struct {
				Client      string
				Allowed     int
				ListedApart int
				Suggestion  *string
				Checks      []struct {
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
		if c.Suggestion == nil || c.Allowed != n || n == 0 || c.ListedApart < unwritable {
			t.Errorf("suggest for %s: %d allowed requests (the log has %d), %d listed apart (%d on a path no item allows alone), suggestion %v: %+v",
				client, c.Allowed, n, c.ListedApart, unwritable, c.Suggestion, c.Checks)
			continue
		}
		if cov := runCLI("", "covers", "--allowed", scopeText, "--requested", *c.Suggestion); cov.Code != exitYes {
			t.Errorf("%s: the suggestion %q is not within the token's scope %q: %s", client, *c.Suggestion, scopeText, cov.Stdout)
		}
		if al := runCLI(allowed.String(), "allow", "--exact-method", "--scope", *c.Suggestion, "-"); al.Code != exitYes {
			t.Errorf("%s: the suggestion %q does not allow every request the log allowed:\n%s", client, *c.Suggestion, al.Stdout)
		}
		sugg := scope.MustParse(*c.Suggestion)
		for _, r := range implied {
			if r.every && !oracle.AllowsEveryMethod(sugg, r.path) || !r.every && r.method != "" && !oracle.Decide(sugg, r.method, r.path).Allowed {
				t.Errorf("%s: the suggestion %q does not allow %+v, which serve allowed with a request's sources", client, *c.Suggestion, r)
			}
		}
		t.Logf("%s: %d allowed requests; least scope %q (granted %q)", client, n, *c.Suggestion, scopeText)
	}
	if withSources == 0 {
		t.Error("no allowed decision in the log has sources: the check of sources checks nothing")
	}
}

// accessLine is a line of nginx's combined access log: $remote_user,
// the request line's method and target, and the status.
var accessLine = regexp.MustCompile(`^\S+ - (\S+) \[[^\]]*\] "([^" ]*) ([^" ]*)(?: [^"]*)?" (\d{3}) `)

// checkSuggestOnAccessLog runs suggest on the combined access log nginx
// wrote in front of serve, whose requests name no verified client. The
// requests that passed the gateway are those nginx answered 2xx or 304,
// and only they count as allowed; the suggestion allows each. Grouped by
// $remote_user (--trust-remote-user), the Basic user basicUser, which no
// gateway verified and whose requests nginx refused by itself, has none
// allowed.
func checkSuggestOnAccessLog(t *testing.T, logFile, basicUser string) {
	t.Helper()
	data, err := os.ReadFile(logFile)
	if err != nil {
		t.Fatal(err)
	}
	var allowed strings.Builder
	n, lines, userLines, refused := 0, 0, 0, 0
	for _, line := range strings.Split(strings.TrimSpace(string(data)), "\n") {
		m := accessLine.FindStringSubmatch(line)
		if m == nil {
			continue // a request line nginx could not read: not one the gateway allowed
		}
		lines++
		if m[1] == basicUser {
			userLines++
		}
		status := m[4]
		if status[0] != '2' && status != "304" {
			refused++
			continue
		}
		path, ok := oracle.Unmount(oracle.Mount{Segments: 1}, oracle.TargetPath(m[3]))
		if !ok || !oracle.Canonical(path) || !oracle.Grantable(m[2]) || strings.Contains(m[3], `\x`) {
			t.Errorf("nginx answered %s to %q, which serve could not have allowed", status, line)
			continue
		}
		if path == "/" || strings.Contains(path, "*") {
			continue // no item allows it alone: listed apart
		}
		fmt.Fprintf(&allowed, "%s %s\n", m[2], path)
		n++
	}
	if refused == 0 {
		t.Errorf("%s holds no request nginx answered other than 2xx and 304: the check checks nothing", logFile)
	}
	type clientOut struct {
		Client     string
		Requests   int
		Allowed    int
		Suggestion *string
	}
	run := func(args ...string) []clientOut {
		got := runCLI("", append([]string{"suggest", "--format", "json", "--strip-segments", "1"}, append(args, logFile)...)...)
		var out struct{ Clients []clientOut }
		if err := json.Unmarshal([]byte(got.Stdout), &out); err != nil || got.Code != exitYes {
			t.Fatalf("suggest %v: exit %d, %v\n%s%s", args, got.Code, err, got.Stdout, got.Stderr)
		}
		return out.Clients
	}
	all := run()
	if len(all) != 1 || all[0].Client != "" || all[0].Allowed != n || all[0].Requests < lines {
		t.Fatalf("suggest on %d lines, %d of them 2xx or 304: %+v", lines, n, all)
	}
	if n > 0 {
		if al := runCLI(allowed.String(), "allow", "--exact-method", "--scope", *all[0].Suggestion, "-"); al.Code != exitYes {
			t.Errorf("the suggestion %q does not allow every request nginx passed:\n%s", *all[0].Suggestion, al.Stdout)
		}
	}
	if basicUser != "" {
		byUser := run("--trust-remote-user", "--client", basicUser)
		if userLines == 0 || len(byUser) != 1 || byUser[0].Requests != userLines || byUser[0].Allowed != 0 {
			t.Errorf("the Basic user %s of %d lines: %+v", basicUser, userLines, byUser)
		}
	}
	t.Logf("%s: %d lines, %d passed the gateway, %d refused or not decided", logFile, lines, n, refused)
}
