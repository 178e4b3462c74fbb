package benchmarks

import (
	"crypto/rand"
	"crypto/rsa"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"math/big"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"sync/atomic"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"

	"github.com/scopecheck/scopecheck/gateway"
	"github.com/scopecheck/scopecheck/match"
)

// BenchmarkMiddleware is gateway.Middleware deciding requests from every
// core at once, half of them allowed and half denied (one of them a path
// trick), through a match.Cache. A wrong decision fails the benchmark.
func BenchmarkMiddleware(b *testing.B) {
	cache, err := match.NewCache(1 << 20)
	if err != nil {
		b.Fatal(err)
	}
	scopeOf := func(*http.Request) (string, bool) { return Policy20.Scope, true }
	api := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(http.StatusNoContent) })
	tenantOf := func(*http.Request) (string, bool) { return "acme", true }
	h := gateway.Middleware(cache, scopeOf, gateway.TenantSegment(tenantOf))(api)
	reqs := []struct {
		r    *http.Request
		want int
	}{
		{httptest.NewRequest("GET", "/acme/config/tokenPolicies/"+uuid(2), nil), http.StatusNoContent},
		{httptest.NewRequest("PUT", "/acme/config/loginPolicies/"+uuid(1), nil), http.StatusNoContent},
		{httptest.NewRequest("PUT", "/acme/config/tokenPolicies/"+uuid(2), nil), http.StatusForbidden},
		{httptest.NewRequest("GET", "/acme/webhooks/%2e%2e/config/clients", nil), http.StatusForbidden},
	}
	var wrong atomic.Int64
	b.ReportAllocs()
	b.RunParallel(func(pb *testing.PB) {
		i := 0
		for pb.Next() {
			rq := reqs[i%len(reqs)]
			w := httptest.NewRecorder()
			h.ServeHTTP(w, rq.r)
			if w.Code != rq.want {
				wrong.Add(1)
			}
			i++
		}
	})
	if n := wrong.Load(); n != 0 {
		b.Fatalf("%d wrong decisions", n)
	}
}

// TestServeLoad runs "scopecheck serve" (JWT tokens, verified on every
// request) under wrk from a second process on loopback for 10 s each with
// allowed and with denied requests, and reports requests/s and p99
// latency; every answer must be the right one. It is a measurement, not
// part of CI: it runs only with SCOPECHECK_LOAD=1 and wrk installed.
func TestServeLoad(t *testing.T) {
	if os.Getenv("SCOPECHECK_LOAD") != "1" {
		t.Skip("set SCOPECHECK_LOAD=1 to run the load test (needs wrk)")
	}
	wrk, err := exec.LookPath("wrk")
	if err != nil {
		t.Skip("wrk is not installed (apt-get install wrk)")
	}
	dir := t.TempDir()
	bin := filepath.Join(dir, "scopecheck")
	build := exec.Command("go", "build", "-o", bin, "./cmd/scopecheck")
	build.Dir = ".." // the library's module, whose go.sum covers the command
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	b64 := base64.RawURLEncoding.EncodeToString
	jwks, _ := json.Marshal(map[string]any{"keys": []map[string]string{{"kty": "RSA", "kid": "k1", "alg": "RS256",
		"n": b64(key.N.Bytes()), "e": b64(big.NewInt(int64(key.E)).Bytes())}}})
	jwksFile := filepath.Join(dir, "jwks.json")
	os.WriteFile(jwksFile, jwks, 0o600)
	tok := jwt.NewWithClaims(jwt.SigningMethodRS256, jwt.MapClaims{"exp": time.Now().Add(time.Hour).Unix(), "tenant": "acme", "scope": Policy20.Scope})
	tok.Header["kid"] = "k1"
	token, err := tok.SignedString(key)
	if err != nil {
		t.Fatal(err)
	}
	addr := freePort(t)
	serve := exec.Command(bin, "serve", "--listen", addr, "--jwks", jwksFile, "--proxy", "nginx", "--tenant-claim", "tenant", "--unsafe-skip-issuer-audience")
	serve.Stderr = nil // decisions are logged; not needed here
	if err := serve.Start(); err != nil {
		t.Fatal(err)
	}
	defer serve.Process.Kill()
	for i := 0; i < 100; i++ {
		if resp, err := http.Get("http://" + addr + "/healthz"); err == nil {
			resp.Body.Close()
			break
		}
		time.Sleep(50 * time.Millisecond)
	}
	for _, run := range []struct {
		name, method, uri string
		allowed           bool
	}{
		{"allowed", "PUT", "/acme/config/loginPolicies/" + uuid(1), true},
		{"denied", "PUT", "/acme/config/tokenPolicies/" + uuid(2), false},
	} {
		out, err := exec.Command(wrk, "-t2", "-c32", "-d10s", "--latency",
			"-H", "Authorization: Bearer "+token, "-H", "X-Original-Method: "+run.method, "-H", "X-Original-URI: "+run.uri,
			"http://"+addr+"/auth").CombinedOutput()
		if err != nil {
			t.Fatalf("wrk: %v\n%s", err, out)
		}
		text := string(out)
		total := atoi(regexp.MustCompile(`(\d+) requests in`).FindStringSubmatch(text))
		non2xx := atoi(regexp.MustCompile(`Non-2xx or 3xx responses: (\d+)`).FindStringSubmatch(text))
		errs := regexp.MustCompile(`Socket errors: .*`).FindString(text)
		rps := regexp.MustCompile(`Requests/sec:\s+([\d.]+)`).FindStringSubmatch(text)
		p99 := regexp.MustCompile(`99%\s+(\S+)`).FindStringSubmatch(text)
		if total == 0 || errs != "" || (run.allowed && non2xx != 0) || (!run.allowed && non2xx != total) {
			t.Errorf("%s: %d requests, %d not 2xx, %q: some answers were wrong or failed\n%s", run.name, total, non2xx, errs, text)
		}
		t.Logf("%s: %d requests in 10 s, %s requests/s, p99 %s, %d not 2xx", run.name, total, rps[1], p99[1], non2xx)
	}
}

func atoi(m []string) int {
	if len(m) < 2 {
		return 0
	}
	n := 0
	fmt.Sscan(m[1], &n)
	return n
}
