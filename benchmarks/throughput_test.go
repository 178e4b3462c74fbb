package benchmarks

import (
	"crypto/ed25519"
	"crypto/rand"
	"encoding/base64"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"
)

// TestMain lets the test binary be the do-nothing server that serve's
// throughput is measured against: with SCOPECHECK_NOTHING=ADDR it answers
// every request 200 with no body, with net/http's defaults, and nothing
// else.
func TestMain(m *testing.M) {
	if addr := os.Getenv("SCOPECHECK_NOTHING"); addr != "" {
		ln, err := net.Listen("tcp", addr)
		if err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(2)
		}
		fmt.Println("listening")
		http.Serve(ln, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(http.StatusOK) }))
	}
	os.Exit(m.Run())
}

// TestServeThroughput measures "scopecheck serve" (nginx's subrequest,
// an EdDSA JWT verified once and then cached, the 20-item policy, a
// tenant claim, the decision logged) against a do-nothing net/http server
// under the same load: wrk from another process on loopback, one thread
// and 32 connections, in rounds that alternate the two servers, so that
// the noise of a shared machine falls on both. The figure is the ratio of
// their requests per second in each round, and its median. Every answer
// must be 200. It is a measurement, not part of CI: it runs only with
// SCOPECHECK_LOAD=1 and wrk installed. SCOPECHECK_SERVE_ARGS adds flags to
// serve (such as "--log-allowed-sample 100").
func TestServeThroughput(t *testing.T) {
	if os.Getenv("SCOPECHECK_LOAD") != "1" {
		t.Skip("set SCOPECHECK_LOAD=1 to run the throughput measurement (needs wrk)")
	}
	wrk, err := exec.LookPath("wrk")
	if err != nil {
		t.Skip("wrk is not installed (apt-get install wrk)")
	}
	rounds, _ := strconv.Atoi(os.Getenv("SCOPECHECK_ROUNDS"))
	if rounds == 0 {
		rounds = 6
	}
	dir := t.TempDir()
	bin := filepath.Join(dir, "scopecheck")
	build := exec.Command("go", "build", "-o", bin, "./cmd/scopecheck")
	build.Dir = ".."
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	pub, key, _ := ed25519.GenerateKey(rand.Reader)
	jwks := filepath.Join(dir, "jwks.json")
	os.WriteFile(jwks, []byte(`{"keys": [{"kty": "OKP", "crv": "Ed25519", "alg": "EdDSA", "kid": "k1", "x": "`+
		base64.RawURLEncoding.EncodeToString(pub)+`"}]}`), 0o600)
	tok := jwt.NewWithClaims(jwt.SigningMethodEdDSA, jwt.MapClaims{"exp": time.Now().Add(time.Hour).Unix(), "tenant": "acme", "scope": Policy20.Scope})
	tok.Header["kid"] = "k1"
	token, err := tok.SignedString(key)
	if err != nil {
		t.Fatal(err)
	}

	serveAddr, nothingAddr := freePort(t), freePort(t)
	args := append([]string{"serve", "--listen", serveAddr, "--jwks", jwks, "--proxy", "nginx", "--tenant-claim", "tenant", "--unsafe-skip-issuer-audience"},
		strings.Fields(os.Getenv("SCOPECHECK_SERVE_ARGS"))...)
	serve := exec.Command(bin, args...)
	logs, _ := os.Create(filepath.Join(dir, "serve.log")) // a file, as a service's log would be
	serve.Stderr = logs
	nothing := exec.Command(os.Args[0], "-test.run", "^$")
	nothing.Env = append(os.Environ(), "SCOPECHECK_NOTHING="+nothingAddr)
	for _, c := range []*exec.Cmd{serve, nothing} {
		if err := c.Start(); err != nil {
			t.Fatal(err)
		}
		defer c.Process.Kill()
	}
	for _, addr := range []string{serveAddr, nothingAddr} {
		for i := 0; ; i++ {
			if c, err := net.Dial("tcp", addr); err == nil {
				c.Close()
				break
			}
			if i == 200 {
				t.Fatalf("nothing listens on %s", addr)
			}
			time.Sleep(25 * time.Millisecond)
		}
	}
	run := func(addr string) float64 {
		out, err := exec.Command(wrk, "-t1", "-c32", "-d5s", "-H", "Authorization: Bearer "+token,
			"-H", "X-Original-Method: PUT", "-H", "X-Original-URI: /acme/config/loginPolicies/"+uuid(1),
			"http://"+addr+"/auth").CombinedOutput()
		if err != nil {
			t.Fatalf("wrk: %v\n%s", err, out)
		}
		text := string(out)
		if strings.Contains(text, "Non-2xx") || strings.Contains(text, "Socket errors") {
			t.Fatalf("some answers were not 200:\n%s", text)
		}
		rps, _ := strconv.ParseFloat(regexp.MustCompile(`Requests/sec:\s+([\d.]+)`).FindStringSubmatch(text)[1], 64)
		return rps
	}
	run(serveAddr) // warm both: the token's verification, the scope's compile
	run(nothingAddr)
	var ratios []float64
	for i := 0; i < rounds; i++ {
		// Alternate which goes first, so that neither always follows the other.
		var s, n float64
		if i%2 == 0 {
			s, n = run(serveAddr), run(nothingAddr)
		} else {
			n, s = run(nothingAddr), run(serveAddr)
		}
		ratios = append(ratios, s/n)
		t.Logf("round %d: serve %.0f requests/s, do-nothing %.0f, ratio %.3f", i+1, s, n, s/n)
	}
	slices.Sort(ratios)
	t.Logf("median ratio %.3f (min %.3f, max %.3f) over %d rounds", ratios[len(ratios)/2], ratios[0], ratios[len(ratios)-1], rounds)
}

func freePort(t *testing.T) string {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().String()
}
