package benchmarks

import (
	"bufio"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"
)

// TestServeMemory floods a running "scopecheck serve" with distinct
// tokens (each valid, each with its own 3.9 KB scope of wildcard items, so
// that every one is a miss of both caches and compiles to about 120 KB),
// and, in introspection mode, with distinct bogus tokens and some active
// ones, while it samples the server's resident memory (VmRSS, and VmHWM
// at the end, from /proc/PID/status). The peak must stay under the two
// cache budgets plus 64 MiB: serve sets Go's soft memory limit to the
// budgets plus 40 MiB, and the binary's pages and the limit's overshoot
// take the rest. It is a measurement, not part of CI: it runs only with
// SCOPECHECK_LOAD=1, on Linux.
func TestServeMemory(t *testing.T) {
	if os.Getenv("SCOPECHECK_LOAD") != "1" {
		t.Skip("set SCOPECHECK_LOAD=1 to run the memory load test")
	}
	const cacheBytes, tokenBytes, allowance = 32 << 20, 16 << 20, 64 << 20
	dir := t.TempDir()
	bin := filepath.Join(dir, "scopecheck")
	build := exec.Command("go", "build", "-o", bin, "./cmd/scopecheck")
	build.Dir = ".."
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	b64 := base64.RawURLEncoding.EncodeToString
	jwks, _ := json.Marshal(map[string]any{"keys": []map[string]string{{"kty": "EC", "crv": "P-256", "kid": "k1", "alg": "ES256",
		"x": b64(key.X.FillBytes(make([]byte, 32))), "y": b64(key.Y.FillBytes(make([]byte, 32)))}}})
	jwksFile := filepath.Join(dir, "jwks.json")
	os.WriteFile(jwksFile, jwks, 0o600)
	budget := []string{"--cache-bytes", strconv.Itoa(cacheBytes), "--token-cache-bytes", strconv.Itoa(tokenBytes),
		"--issuer", "https://idp.example", "--audience", "config-api", "--proxy", "nginx"}

	t.Run("jwt", func(t *testing.T) {
		sign := func(i int) string {
			var scope strings.Builder
			for j := 0; scope.Len() < 3900; j++ {
				fmt.Fprintf(&scope, "*:t%d/s%d/*/x*y%d/** ", i, j, j)
			}
			tok := jwt.NewWithClaims(jwt.SigningMethodES256, jwt.MapClaims{"iss": "https://idp.example", "aud": "config-api",
				"exp": time.Now().Add(time.Hour).Unix(), "sub": fmt.Sprint(i), "scope": scope.String()})
			tok.Header["kid"] = "k1"
			s, err := tok.SignedString(key)
			if err != nil {
				t.Fatal(err)
			}
			return s
		}
		flood(t, bin, append([]string{"--jwks", jwksFile}, budget...), nil, 8000, sign, cacheBytes+tokenBytes+allowance)
	})

	t.Run("introspection", func(t *testing.T) {
		idp := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			tok := r.PostFormValue("token")
			if !strings.HasPrefix(tok, "active-") {
				fmt.Fprint(w, `{"active": false}`)
				return
			}
			var scope strings.Builder
			for j := 0; scope.Len() < 3900; j++ {
				fmt.Fprintf(&scope, "*:%s/s%d/*/x*y%d/** ", tok[:16], j, j)
			}
			fmt.Fprintf(w, `{"active": true, "iss": "https://idp.example", "aud": "config-api", "scope": %q}`, scope.String())
		}))
		defer idp.Close()
		token := func(i int) string {
			if i%20 == 0 {
				return fmt.Sprintf("active-%09d", i)
			}
			return fmt.Sprintf("bogus-%09d-%s", i, strings.Repeat("x", 1000))
		}
		flood(t, bin, append([]string{"--introspect", idp.URL, "--client-id", "gw"}, budget...),
			[]string{"SCOPECHECK_CLIENT_SECRET=s"}, 60000, token, cacheBytes+tokenBytes+allowance)
	})
}

// flood runs serve with args, sends n requests with the distinct tokens
// token(0…n-1) from eight connections, and reports and bounds its
// resident memory.
func flood(t *testing.T, bin string, args, env []string, n int, token func(int) string, limit int64) {
	serve := exec.Command(bin, append([]string{"serve", "--listen", "127.0.0.1:0"}, args...)...)
	serve.Env = append(os.Environ(), env...)
	stderr, _ := serve.StderrPipe()
	if err := serve.Start(); err != nil {
		t.Fatal(err)
	}
	defer func() { serve.Process.Kill(); serve.Wait() }()
	lines := bufio.NewScanner(stderr)
	lines.Buffer(nil, 1<<20)
	lines.Scan()
	var listening struct{ Addr string }
	if err := json.Unmarshal(lines.Bytes(), &listening); err != nil || listening.Addr == "" {
		t.Fatalf("first line %q", lines.Text())
	}
	go func() { // drain the decision log
		for lines.Scan() {
		}
	}()
	base := "http://" + listening.Addr
	for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(50 * time.Millisecond) {
		if resp, err := http.Get(base + "/readyz"); err == nil {
			resp.Body.Close()
			if resp.StatusCode == 200 {
				break
			}
		}
		if time.Now().After(deadline) {
			t.Fatal("serve never became ready")
		}
	}
	pid := serve.Process.Pid
	start := procKB(t, pid, "VmRSS")
	var peak atomic.Int64
	stop := make(chan struct{})
	sampled := make(chan struct{})
	go func() {
		defer close(sampled)
		for {
			if kb := procKB(t, pid, "VmRSS"); kb > peak.Load() {
				peak.Store(kb)
			}
			select {
			case <-stop:
				return
			case <-time.After(100 * time.Millisecond):
			}
		}
	}()
	var codes [600]atomic.Int64
	var i atomic.Int64
	began := time.Now()
	var wg sync.WaitGroup
	for w := 0; w < 8; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				k := int(i.Add(1)) - 1
				if k >= n {
					return
				}
				req, _ := http.NewRequest("GET", base+"/auth", nil)
				req.Header.Set("Authorization", "Bearer "+token(k))
				req.Header.Set("X-Original-Method", "GET")
				req.Header.Set("X-Original-URI", fmt.Sprintf("/t%d/s0/a/xzy0/b", k))
				resp, err := http.DefaultClient.Do(req)
				if err != nil {
					t.Error(err)
					return
				}
				resp.Body.Close()
				codes[resp.StatusCode].Add(1)
			}
		}()
	}
	wg.Wait()
	elapsed := time.Since(began)
	close(stop)
	<-sampled
	hwm := procKB(t, pid, "VmHWM")
	end := procKB(t, pid, "VmRSS")
	var answered []string
	for c := range codes {
		if v := codes[c].Load(); v > 0 {
			answered = append(answered, fmt.Sprintf("%d×%d", v, c))
		}
	}
	t.Logf("%d distinct tokens in %.1f s (%s): RSS %.1f MiB at start, %.1f MiB peak sampled, %.1f MiB high-water mark, %.1f MiB at the end; bound %.0f MiB",
		n, elapsed.Seconds(), strings.Join(answered, ", "), mib(start), mib(peak.Load()), mib(hwm), mib(end), float64(limit)/(1<<20))
	if hwm*1024 > limit {
		t.Errorf("resident memory reached %.1f MiB, over the %.0f MiB serve is given", mib(hwm), float64(limit)/(1<<20))
	}
}

func mib(kb int64) float64 { return float64(kb) / 1024 }

// procKB reads a field in kB of /proc/PID/status.
func procKB(t *testing.T, pid int, field string) int64 {
	data, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		t.Fatal(err)
	}
	for _, line := range strings.Split(string(data), "\n") {
		if v, ok := strings.CutPrefix(line, field+":"); ok {
			n, _ := strconv.ParseInt(strings.TrimSuffix(strings.TrimSpace(v), " kB"), 10, 64)
			return n
		}
	}
	t.Fatalf("no %s in /proc/%d/status", field, pid)
	return 0
}
