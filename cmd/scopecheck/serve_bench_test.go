package main

import (
	"context"
	"io"
	"log/slog"
	"net/http"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"

	"github.com/scopecheck/scopecheck/gateway"
	"github.com/scopecheck/scopecheck/gateway/token"
	"github.com/scopecheck/scopecheck/internal/testjwt"
	"github.com/scopecheck/scopecheck/match"
)

// benchScope is a policy of the size serve's throughput is measured with
// (benchmarks' Policy20): objects read and written, and wildcards.
const benchScope = ".:config/clients/0a1b2c3d-0000-4000-8000-000000000000 *:config/loginPolicies/0a1b2c3d-0001-4000-8000-000000000001 " +
	".:config/tokenPolicies/0a1b2c3d-0002-4000-8000-000000000002 *:config/webhooks/subscriptions/0a1b2c3d-0003-4000-8000-000000000003 " +
	".:config/clients/0a1b2c3d-0004-4000-8000-000000000004 *:config/loginPolicies/0a1b2c3d-0005-4000-8000-000000000005 " +
	".:config/tokenPolicies/0a1b2c3d-0006-4000-8000-000000000006 *:config/webhooks/subscriptions/0a1b2c3d-0007-4000-8000-000000000007 " +
	".:config/tokenPolicies** .:config/loginPolicies/*/pushClaims *:webhooks/** .:config/clients"

// decisionFront is serve's HTTP front as runServe builds it: nginx in
// front, JWTs verified against a key file, the mount bound to the
// "tenant" claim, and every decision counted (m, when not nil) and logged
// (one allowed decision in sample) to log. It returns the handler and a subrequest
// that the token's scope allows, as nginx sends it.
func decisionFront(tb testing.TB, log io.Writer, sample int, m *serveMetrics) (http.Handler, *http.Request) {
	tb.Helper()
	keys := testjwt.New(tb)
	jwks := filepath.Join(tb.TempDir(), "jwks.json")
	if err := os.WriteFile(jwks, keys.JWKS, 0o600); err != nil {
		tb.Fatal(err)
	}
	var level slog.LevelVar
	logger := slog.New(slog.NewJSONHandler(log, &slog.HandlerOptions{Level: &level}))
	v, err := token.NewJWTFromFile(context.Background(), jwks, token.JWTOptions{Logger: logger})
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { v.Close() })
	cache, err := match.NewCache(64 << 20)
	if err != nil {
		tb.Fatal(err)
	}
	tok := keys.Token(tb, jwt.MapClaims{"exp": time.Now().Add(time.Hour).Unix(), "tenant": "acme", "client_id": "reporter", "scope": benchScope})
	decisions := &decisionLog{out: log, level: &level, sample: decisionSample(sample), m: m, tenantClaim: "tenant"}
	fr := &httpFront{other: healthMux(func() error { return nil }), path: "/auth",
		auth: authHandler("http", newFlights(), m, gateway.AuthRequest(cache, v, gateway.Nginx(), gateway.TenantClaim("tenant"), gateway.WithHook(decisions.hook)))}
	r, err := http.NewRequest("GET", "http://127.0.0.1/auth", nil)
	if err != nil {
		tb.Fatal(err)
	}
	r.RequestURI = "/auth"
	r.Header.Set("Authorization", "Bearer "+tok)
	r.Header.Set("X-Original-Method", "PUT")
	r.Header.Set("X-Original-URI", "/acme/config/loginPolicies/0a1b2c3d-0001-4000-8000-000000000001")
	return fr, r
}

// statusWriter is a ResponseWriter that keeps the status alone.
type statusWriter struct {
	h      http.Header
	status int
}

func (w *statusWriter) Header() http.Header         { return w.h }
func (w *statusWriter) Write(b []byte) (int, error) { return len(b), nil }
func (w *statusWriter) WriteHeader(status int)      { w.status = status }

// BenchmarkServeDecision is one allowed decision of serve's HTTP front,
// from the request net/http has read to the status written (the work a
// do-nothing server does not do), with every decision logged (the
// default), one in a hundred, and none; and with --metrics.
func BenchmarkServeDecision(b *testing.B) {
	for _, bc := range []struct {
		name    string
		sample  int
		metrics bool
	}{{"log-all", 1, false}, {"log-1-in-100", 100, false}, {"log-none", 0, false}, {"log-all-metrics", 1, true}} {
		b.Run(bc.name, func(b *testing.B) {
			logs := newLogBuffer(io.Discard)
			defer logs.Close()
			var m *serveMetrics
			if bc.metrics {
				m = newServeMetrics()
			}
			h, r := decisionFront(b, logs, bc.sample, m)
			w := &statusWriter{h: http.Header{}}
			b.ReportAllocs()
			for b.Loop() {
				w.status = 0
				h.ServeHTTP(w, r)
				if w.status != http.StatusOK {
					b.Fatalf("status %d", w.status)
				}
			}
		})
	}
}

// An allowed decision of serve's HTTP front allocates nothing beyond what
// net/http does for every request: not the token's verification (a cache
// hit), the decision, its line in the log, nor its metrics.
func TestServeDecisionAllocs(t *testing.T) {
	for _, metrics := range []bool{false, true} {
		logs := newLogBuffer(io.Discard)
		var m *serveMetrics
		if metrics {
			m = newServeMetrics()
		}
		h, r := decisionFront(t, logs, 1, m)
		w := &statusWriter{h: http.Header{}}
		if n := testing.AllocsPerRun(100, func() { h.ServeHTTP(w, r) }); n != 0 || w.status != http.StatusOK {
			t.Errorf("metrics %v: status %d, %v allocations a decision, want 200 and 0", metrics, w.status, n)
		}
		logs.Close()
	}
}
