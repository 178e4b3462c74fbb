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
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"

	"github.com/scopecheck/scopecheck/internal/testjwt"
)

// findNginx returns nginx's path, or "" when it is not installed.
func findNginx() string {
	if p, err := exec.LookPath("nginx"); err == nil {
		return p
	}
	if _, err := os.Stat("/usr/sbin/nginx"); err == nil {
		return "/usr/sbin/nginx"
	}
	return ""
}

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

// TestNginxAuthRequest puts "scopecheck serve" behind a real nginx with
// auth_request, in front of an upstream that records what reaches it, and
// sends requests raw over TCP, the path tricks of the language reference
// among them: nginx normalises some of them for its own routing, but
// auth_request passes $request_uri as sent, so the authoriser sees each
// trick and denies it, and nothing slips through to the upstream.
func TestNginxAuthRequest(t *testing.T) {
	nginx := findNginx()
	if nginx == "" {
		t.Skip("nginx is not installed; .ci/run installs it from Debian's packages")
	}
	if testing.Short() {
		t.Skip("end-to-end test")
	}
	dir := t.TempDir()
	bin := filepath.Join(dir, "scopecheck")
	if out, err := exec.Command("go", "build", "-o", bin, ".").CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	keys := testjwt.New(t)
	jwksFile := filepath.Join(dir, "jwks.json")
	if err := os.WriteFile(jwksFile, keys.JWKS, 0o600); err != nil {
		t.Fatal(err)
	}

	// The authoriser.
	serve := exec.Command(bin, "serve", "--listen", "127.0.0.1:0", "--jwks", jwksFile, "--strip-segments", "1",
		"--issuer", "https://idp.example", "--audience", "config-api")
	logs := &syncBuffer{} // exec copies into it until Wait returns
	serve.Stderr = logs
	if err := serve.Start(); err != nil {
		t.Fatal(err)
	}
	defer serve.Process.Kill()
	first := ""
	for i := 0; i < 100 && !strings.Contains(first, "\n"); i++ {
		time.Sleep(20 * time.Millisecond)
		first = logs.String()
	}
	first, _, _ = strings.Cut(first, "\n")
	var listening struct{ Addr string }
	if err := json.Unmarshal([]byte(first), &listening); err != nil || listening.Addr == "" {
		t.Fatalf("serve's first line %q names no address", first)
	}

	// The upstream records every request that reaches it.
	var mu sync.Mutex
	var reached []string
	upstream := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		reached = append(reached, r.Method+" "+r.RequestURI)
		mu.Unlock()
		fmt.Fprint(w, "upstream")
	}))
	defer upstream.Close()

	// nginx.
	l, _ := net.Listen("tcp", "127.0.0.1:0")
	front := l.Addr().String()
	l.Close()
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
    location / {
      auth_request /_scopecheck;
      proxy_pass http://%[3]s;
    }
    location = /_scopecheck {
      internal;
      proxy_pass http://%[4]s/auth;
      proxy_pass_request_body off;
      proxy_set_header Content-Length "";
      proxy_set_header X-Original-Method $request_method;
      proxy_set_header X-Original-URI $request_uri;
    }
  }
}
`, dir, front, upstream.Listener.Addr(), listening.Addr)
	confFile := filepath.Join(dir, "nginx.conf")
	if err := os.WriteFile(confFile, []byte(conf), 0o600); err != nil {
		t.Fatal(err)
	}
	ng := exec.Command(nginx, "-p", dir, "-c", confFile)
	ngOut := &syncBuffer{}
	ng.Stdout, ng.Stderr = ngOut, ngOut
	if err := ng.Start(); err != nil {
		t.Fatal(err)
	}
	defer ng.Process.Kill()
	ready := false
	for i := 0; i < 100 && !ready; i++ {
		if c, err := net.Dial("tcp", front); err == nil {
			c.Close()
			ready = true
		} else {
			time.Sleep(50 * time.Millisecond)
		}
	}
	if !ready {
		errLog, _ := os.ReadFile(filepath.Join(dir, "error.log"))
		t.Fatalf("nginx did not start: %s\n%s", ngOut.String(), errLog)
	}

	token := keys.Token(t, jwt.MapClaims{"iss": "https://idp.example", "aud": "config-api", "exp": time.Now().Add(time.Hour).Unix(),
		"scope": ".:config/** *:webhooks/** *:config/loginPolicies/**"})
	expired := keys.Token(t, jwt.MapClaims{"iss": "https://idp.example", "aud": "config-api", "exp": time.Now().Add(-time.Hour).Unix(), "scope": "*:**"})
	send := func(requestLine, auth string) int {
		c, err := net.Dial("tcp", front)
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close()
		hdr := ""
		if auth != "" {
			hdr = "Authorization: Bearer " + auth + "\r\n"
		}
		fmt.Fprintf(c, "%s HTTP/1.1\r\nHost: api\r\n%sConnection: close\r\n\r\n", requestLine, hdr)
		resp, err := http.ReadResponse(bufio.NewReader(c), nil)
		if err != nil {
			return 0 // nginx closed the connection: refused
		}
		resp.Body.Close()
		return resp.StatusCode
	}

	allowed := []struct{ line, upstream string }{
		{"GET /acme/config/clients", "GET /acme/config/clients"},
		{"GET /acme/config/clients?limit=5", "GET /acme/config/clients?limit=5"},
		{"POST /acme/webhooks/subscriptions", "POST /acme/webhooks/subscriptions"},
		{"DELETE /acme/webhooks/subscriptions/s1", "DELETE /acme/webhooks/subscriptions/s1"},
	}
	for _, a := range allowed {
		if got := send(a.line, token); got != 200 {
			t.Errorf("%s: status %d, want 200\n%s", a.line, got, logs.String())
		}
	}
	stopped := []struct {
		line  string
		auth  string
		codes []int // acceptable statuses: the authoriser's, or nginx's own refusal
	}{
		{"PUT /acme/config/clients/c1", token, []int{403}},
		{"GET /acme/users/u1", token, []int{403}},
		{"GET /acme/config/clients", "", []int{401}},
		{"GET /acme/config/clients", expired, []int{401}},
		{"GET /acme/config/clients", "not.a.jwt", []int{401}},
		{"DELETE /acme/webhooks/../config/clients/c1", token, []int{403, 400}},
		{"DELETE /acme/webhooks/%2e%2e/config/clients/c1", token, []int{403, 400}},
		{"DELETE /acme/webhooks/%2E%2E/config/clients/c1", token, []int{403, 400}},
		{"PUT /acme/config/loginPolicies/..;/clients/c1", token, []int{403, 400}},
		{"PUT /acme/config/loginPolicies/p1/..%3B/..%3B/clients/c1", token, []int{403, 400}},
		{"DELETE /acme/webhooks//x/../../config/clients/c1", token, []int{403, 400}},
		{"DELETE /acme/webhooks/a%2F..%2F..%2Fconfig/clients/c1", token, []int{403, 400}},
		{"DELETE /acme/webhooks/%C0%AE%C0%AE/config/clients/c1", token, []int{403, 400}},
		{`DELETE /acme/webhooks\..\config\clients\c1`, token, []int{403, 400}},
		{"DELETE /acme/webhooks/x%00", token, []int{403, 400}},
		{"DELETE http://api/acme/webhooks/../config/clients/c1", token, []int{403, 400}},
	}
	for _, s := range stopped {
		got := send(s.line, s.auth)
		ok := false
		for _, c := range s.codes {
			ok = ok || got == c
		}
		if !ok {
			t.Errorf("%s: status %d, want one of %v", s.line, got, s.codes)
		}
	}
	// Nothing but the allowed requests reached the upstream.
	mu.Lock()
	var want []string
	for _, a := range allowed {
		want = append(want, a.upstream)
	}
	if strings.Join(reached, "\n") != strings.Join(want, "\n") {
		t.Errorf("the upstream received:\n%s\nwant exactly:\n%s", strings.Join(reached, "\n"), strings.Join(want, "\n"))
	}
	mu.Unlock()

	// The authoriser logged what reached it, never a token; and it stops
	// gracefully.
	if err := serve.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	if err := serve.Wait(); err != nil {
		t.Errorf("serve did not stop cleanly: %v", err)
	}
	out := logs.String()
	if strings.Contains(out, token) || strings.Contains(out, expired) {
		t.Error("serve logged a token")
	}
	for _, s := range []string{`"path":"/webhooks/%2e%2e/config/clients/c1","allowed":false,"reason":"not-canonical"`, `"msg":"stopped"`} {
		if !strings.Contains(out, s) {
			t.Errorf("serve's log lacks %s:\n%s", s, out)
		}
	}
	t.Logf("what reached the authoriser:\n%s", out)
}
