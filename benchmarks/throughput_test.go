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
// every request 200 with no body, with net/http's defaults (or, with
// SCOPECHECK_NOTHING_TIMEOUTS=1, the timeouts serve's listener has), and
// nothing else.
func TestMain(m *testing.M) {
	if addr := os.Getenv("SCOPECHECK_NOTHING"); addr != "" {
		ln, err := net.Listen("tcp", addr)
		if err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(2)
		}
		srv := &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(http.StatusOK) })}
		if os.Getenv("SCOPECHECK_NOTHING_TIMEOUTS") == "1" {
			// serve's listener's defaults: each request then sets its
			// connection's deadlines, as serve's do.
			srv.ReadHeaderTimeout, srv.ReadTimeout, srv.WriteTimeout, srv.IdleTimeout = 5*time.Second, 5*time.Second, 15*time.Second, 60*time.Second
		}
		srv.Serve(ln)
	}
	os.Exit(m.Run())
}

// TestServeThroughput measures "scopecheck serve" (nginx's subrequest,
// an EdDSA JWT verified once and then cached, the 20-item policy, a
// tenant claim, the decision logged) against a do-nothing net/http server
// under the same load: wrk from another process on loopback, one thread
// and 32 connections, in rounds that alternate the two servers, so that
// the noise of a shared machine falls on both. The figures are the ratio
// of their requests per second in each round, and the inverse ratio of
// the CPU time each spent per request (the throughput ratio when the CPU
// is the limit), and their medians. Every answer
// must be 200. It is a measurement, not part of CI: it runs only with
// SCOPECHECK_LOAD=1 and wrk installed. SCOPECHECK_SERVE_ARGS adds flags to
// serve (such as "--log-allowed-sample 100"), SCOPECHECK_ROUNDS sets the
// rounds (6), and SCOPECHECK_NOTHING_TIMEOUTS=1 gives the do-nothing
// server serve's timeouts.
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
	// run loads one server for 5 s and returns its requests per second
	// and the CPU time it spent per request (user and system, from
	// /proc/PID/stat), which the noise of a shared machine moves far less
	// than the rate.
	run := func(addr string, pid int) (rps, cpu float64) {
		before := cpuTime(t, pid)
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
		rps, _ = strconv.ParseFloat(regexp.MustCompile(`Requests/sec:\s+([\d.]+)`).FindStringSubmatch(text)[1], 64)
		total, _ := strconv.ParseFloat(regexp.MustCompile(`(\d+) requests in`).FindStringSubmatch(text)[1], 64)
		return rps, (cpuTime(t, pid) - before) / total
	}
	sp, np := serve.Process.Pid, nothing.Process.Pid
	run(serveAddr, sp) // warm both: the token's verification, the scope's compile
	run(nothingAddr, np)
	var ratios, cpuRatios []float64
	for i := 0; i < rounds; i++ {
		// Alternate which goes first, so that neither always follows the other.
		var s, n, sc, nc float64
		if i%2 == 0 {
			s, sc = run(serveAddr, sp)
			n, nc = run(nothingAddr, np)
		} else {
			n, nc = run(nothingAddr, np)
			s, sc = run(serveAddr, sp)
		}
		ratios, cpuRatios = append(ratios, s/n), append(cpuRatios, nc/sc)
		t.Logf("round %d: serve %.0f requests/s, %.1f µs of CPU each; do-nothing %.0f, %.1f µs; ratio %.3f, by CPU %.3f", i+1, s, sc*1e6, n, nc*1e6, s/n, nc/sc)
	}
	slices.Sort(ratios)
	slices.Sort(cpuRatios)
	t.Logf("median ratio %.3f (min %.3f, max %.3f); by CPU per request %.3f (min %.3f, max %.3f); %d rounds",
		ratios[len(ratios)/2], ratios[0], ratios[len(ratios)-1], cpuRatios[len(cpuRatios)/2], cpuRatios[0], cpuRatios[len(cpuRatios)-1], rounds)
}

// cpuTime is the CPU time, in seconds, that process pid has spent, user
// and system.
func cpuTime(t *testing.T, pid int) float64 {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		t.Fatal(err)
	}
	// The fields after the command's closing parenthesis; utime and stime
	// are the 14th and 15th of the line, in clock ticks (100 a second).
	f := strings.Fields(string(b[strings.LastIndexByte(string(b), ')')+2:]))
	utime, _ := strconv.ParseFloat(f[11], 64)
	stime, _ := strconv.ParseFloat(f[12], 64)
	return (utime + stime) / 100
}

func freePort(t *testing.T) string {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().String()
}
