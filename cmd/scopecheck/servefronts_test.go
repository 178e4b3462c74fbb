package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	authv3 "github.com/envoyproxy/go-control-plane/envoy/service/auth/v3"
	"github.com/golang-jwt/jwt/v5"
	"github.com/google/go-cmp/cmp"
	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"
	"golang.org/x/net/http2"
	"golang.org/x/net/http2/hpack"
	"google.golang.org/genproto/googleapis/rpc/code"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/credentials/insecure"
	healthpb "google.golang.org/grpc/health/grpc_health_v1"
	"google.golang.org/grpc/status"

	"github.com/scopecheck/scopecheck/internal/envoytest"
	"github.com/scopecheck/scopecheck/internal/testjwt"
)

// scrape reads serve's metrics with Prometheus' own parser.
func (s *server) scrape(t *testing.T) map[string]*dto.MetricFamily {
	t.Helper()
	resp, err := http.Get("http://" + s.metrics + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != 200 {
		b, _ := io.ReadAll(resp.Body)
		t.Fatalf("/metrics: %s\n%s", resp.Status, b)
	}
	p := expfmt.NewTextParser(model.UTF8Validation)
	families, err := p.TextToMetricFamilies(resp.Body)
	if err != nil {
		t.Fatalf("the metrics do not parse: %v", err)
	}
	return families
}

// value is the value of the metric of family name whose labels include
// labels (name, value pairs); 0 when there is none.
func value(families map[string]*dto.MetricFamily, name string, labels ...string) float64 {
	f := families[name]
	if f == nil {
		return 0
	}
next:
	for _, m := range f.GetMetric() {
		for i := 0; i+1 < len(labels); i += 2 {
			found := false
			for _, l := range m.GetLabel() {
				found = found || l.GetName() == labels[i] && l.GetValue() == labels[i+1]
			}
			if !found {
				continue next
			}
		}
		switch {
		case m.GetCounter() != nil:
			return m.GetCounter().GetValue()
		case m.GetGauge() != nil:
			return m.GetGauge().GetValue()
		case m.GetHistogram() != nil:
			return float64(m.GetHistogram().GetSampleCount())
		}
	}
	return 0
}

// serve runs its collector at GOGC=400 under a soft memory limit of its
// cache budgets plus 40 MiB, and GOGC and GOMEMLIMIT, when set, override
// each: Go's own metrics show what the runtime runs with.
func TestServeGCSettings(t *testing.T) {
	bin, _, jwksFile := setupServe(t)
	for _, tc := range []struct {
		name          string
		env, args     []string
		gogc, limitMB float64
	}{
		{"defaults", []string{"GOGC=", "GOMEMLIMIT="}, nil, 400, 64 + 16 + 40},
		{"budgets", []string{"GOGC=", "GOMEMLIMIT="}, []string{"--cache-bytes", "32MiB", "--token-cache-bytes", "8MiB"}, 400, 32 + 8 + 40},
		{"environment", []string{"GOGC=150", "GOMEMLIMIT=300MiB"}, nil, 150, 300},
	} {
		s := startServe(t, bin, tc.env, append([]string{"--proxy", "nginx", "--jwks", jwksFile, "--unsafe-skip-issuer-audience", "--metrics", "127.0.0.1:0"}, tc.args...)...)
		m := s.scrape(t)
		if gogc, limit := value(m, "go_gc_gogc_percent"), value(m, "go_gc_gomemlimit_bytes")/(1<<20); gogc != tc.gogc || limit != tc.limitMB {
			t.Errorf("%s: GOGC %v and a limit of %v MiB, want %v and %v", tc.name, gogc, limit, tc.gogc, tc.limitMB)
		}
		s.stop(t)
	}
}

// TestServeMetrics scrapes --metrics before and after requests and checks
// that each figure moves as the requests say: decisions by outcome and
// reason, token failures by cause, the caches' hits and misses, the key
// set, and the introspection endpoint's latency and errors.
func TestServeMetrics(t *testing.T) {
	bin, keys, jwksFile := setupServe(t)
	s := startServe(t, bin, nil, "--proxy", "nginx", "--jwks", jwksFile, "--issuer", e2eIssuer, "--audience", e2eAudience, "--metrics", "127.0.0.1:0")
	if s.metrics == "" {
		t.Fatal("serve did not name its metrics listener")
	}
	before := s.scrape(t)
	claims := func(exp time.Duration) jwt.MapClaims {
		return jwt.MapClaims{"iss": e2eIssuer, "aud": e2eAudience, "exp": time.Now().Add(exp).Unix(), "scope": ".:config/**"}
	}
	good, expired := keys.Token(t, claims(time.Hour)), keys.Token(t, claims(-time.Hour))
	for _, r := range []struct {
		token, method string
		want          int
	}{
		{good, "GET", 200}, {good, "GET", 200}, {good, "GET", 200},
		{good, "PUT", 403},
		{expired, "GET", 401},
		{"", "GET", 401},
	} {
		if got, _ := s.auth(t, r.token, r.method, "/config/x"); got != r.want {
			t.Errorf("%s: %d, want %d", r.method, got, r.want)
		}
	}
	after := s.scrape(t)
	for _, tc := range []struct {
		name   string
		labels []string
		delta  float64
	}{
		{"scopecheck_decisions_total", []string{"outcome", "allow", "reason", "granted"}, 3},
		{"scopecheck_decisions_total", []string{"outcome", "deny", "reason", "read-only"}, 1},
		{"scopecheck_decisions_total", []string{"outcome", "deny", "reason", "invalid-token"}, 1},
		{"scopecheck_decisions_total", []string{"outcome", "deny", "reason", "no-token"}, 1},
		{"scopecheck_token_failures_total", []string{"cause", "expired"}, 1},
		{"scopecheck_cache_misses_total", []string{"cache", "scopes"}, 1},
		{"scopecheck_cache_hits_total", []string{"cache", "scopes"}, 3},
		{"scopecheck_cache_misses_total", []string{"cache", "jwt"}, 2},
		{"scopecheck_cache_hits_total", []string{"cache", "jwt"}, 3},
		{"scopecheck_cache_entries", []string{"cache", "jwt"}, 1},
	} {
		if got := value(after, tc.name, tc.labels...) - value(before, tc.name, tc.labels...); got != tc.delta {
			t.Errorf("%s%v moved by %v, want %v", tc.name, tc.labels, got, tc.delta)
		}
	}
	for _, tc := range []struct {
		name   string
		labels []string
		want   float64
	}{
		{"scopecheck_jwks_keys", nil, 1},
		{"scopecheck_jwks_refreshes_total", []string{"result", "success"}, 1},
		{"scopecheck_cache_budget_bytes", []string{"cache", "scopes"}, 64 << 20},
		{"scopecheck_requests_in_flight", []string{"front", "http"}, 0},
	} {
		if got := value(after, tc.name, tc.labels...); got != tc.want {
			t.Errorf("%s%v = %v, want %v", tc.name, tc.labels, got, tc.want)
		}
	}
	if after["scopecheck_requests_in_flight"] == nil || value(after, "scopecheck_cache_bytes", "cache", "scopes") <= 0 {
		t.Errorf("in-flight or cache bytes missing:\n%v", after)
	}
	s.stop(t, good)

	// Introspection: its latency and its errors.
	var fail sync.Mutex
	failing := false
	idp := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		fail.Lock()
		defer fail.Unlock()
		if failing {
			http.Error(w, "down", 500)
			return
		}
		w.Write([]byte(`{"active": true, "scope": "*:**"}`))
	}))
	defer idp.Close()
	s = startServe(t, bin, []string{"SCOPECHECK_CLIENT_SECRET=x"}, "--proxy", "nginx", "--introspect", idp.URL, "--client-id", "gw",
		"--unsafe-skip-issuer-audience", "--metrics", "127.0.0.1:0")
	s.waitStatus(t, "/readyz", 200)
	before = s.scrape(t)
	s.auth(t, "tok-1", "GET", "/x")
	fail.Lock()
	failing = true
	fail.Unlock()
	if got, _ := s.auth(t, "tok-2", "GET", "/x"); got != 503 {
		t.Errorf("introspection failing: %d, want 503", got)
	}
	after = s.scrape(t)
	for _, tc := range []struct {
		name   string
		labels []string
		delta  float64
	}{
		{"scopecheck_introspection_duration_seconds", nil, 2},
		{"scopecheck_introspection_errors_total", nil, 1},
		{"scopecheck_token_failures_total", []string{"cause", "unavailable"}, 1},
		{"scopecheck_decisions_total", []string{"outcome", "deny", "reason", "unavailable"}, 1},
		{"scopecheck_cache_misses_total", []string{"cache", "introspection"}, 2},
	} {
		if got := value(after, tc.name, tc.labels...) - value(before, tc.name, tc.labels...); got != tc.delta {
			t.Errorf("%s%v moved by %v, want %v", tc.name, tc.labels, got, tc.delta)
		}
	}
	s.stop(t)
}

// TestServeGRPC: the gRPC front through a real client, as Envoy calls it;
// readiness on both fronts (the HTTP /readyz and grpc.health.v1) is 503
// and NOT_SERVING until the key set loads, and again from SIGTERM on,
// while the listeners stay open for --shutdown-delay.
func TestServeGRPC(t *testing.T) {
	bin := serveBinary(t)
	keys := testjwt.New(t)
	var mu sync.Mutex
	jwks := []byte(nil)
	idp := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		defer mu.Unlock()
		if jwks == nil {
			http.Error(w, "starting", 503)
			return
		}
		w.Write(jwks)
	}))
	defer idp.Close()
	// No --proxy: the HTTP listener answers health only.
	s := startServe(t, bin, nil, "--grpc", "127.0.0.1:0", "--jwks", idp.URL, "--issuer", e2eIssuer, "--audience", e2eAudience,
		"--tenant-claim", "tenant", "--shutdown-delay", "2s")
	conn, err := grpc.NewClient(s.grpc, grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	auth, health := authv3.NewAuthorizationClient(conn), healthpb.NewHealthClient(conn)
	status := func(service string) healthpb.HealthCheckResponse_ServingStatus {
		resp, err := health.Check(context.Background(), &healthpb.HealthCheckRequest{Service: service})
		if err != nil {
			t.Fatalf("health: %v", err)
		}
		return resp.GetStatus()
	}
	waitServing := func(want healthpb.HealthCheckResponse_ServingStatus) {
		t.Helper()
		for deadline := time.Now().Add(10 * time.Second); status("") != want || status("envoy.service.auth.v3.Authorization") != want; time.Sleep(20 * time.Millisecond) {
			if time.Now().After(deadline) {
				t.Fatalf("the gRPC health status never became %v\n%s", want, s.logs.String())
			}
		}
	}
	tok := keys.Token(t, jwt.MapClaims{"iss": e2eIssuer, "aud": e2eAudience, "exp": time.Now().Add(time.Hour).Unix(), "tenant": "acme", "scope": ".:config/**"})
	check := func(method, path string) outcome {
		resp, err := auth.Check(context.Background(), envoytest.Check(method, path, "authorization: Bearer "+tok))
		return outcomeOf(t, resp, err)
	}

	if got := s.get(t, "/readyz"); got != 503 {
		t.Errorf("/readyz before the key set loads = %d, want 503", got)
	}
	if got := status(""); got != healthpb.HealthCheckResponse_NOT_SERVING {
		t.Errorf("gRPC health before the key set loads = %v", got)
	}
	if got := check("GET", "/acme/config/x"); got.Code != code.Code_UNAVAILABLE || got.Status != 503 {
		t.Errorf("a check before the key set loads: %+v, want UNAVAILABLE 503", got)
	}
	if got := s.get(t, "/auth"); got != 404 {
		t.Errorf("/auth without --proxy = %d, want 404", got)
	}
	mu.Lock()
	jwks = keys.JWKS
	mu.Unlock()
	s.waitStatus(t, "/readyz", 200)
	waitServing(healthpb.HealthCheckResponse_SERVING)
	for _, tc := range []struct {
		method, path string
		want         outcome
	}{
		{"GET", "/acme/config/x?limit=5", outcome{code.Code_OK, 0, ""}},
		{"PUT", "/acme/config/x", outcome{code.Code_PERMISSION_DENIED, 403, `Bearer error="insufficient_scope", scope="*:config/x"`}},
		{"GET", "/othercorp/config/x", outcome{code.Code_PERMISSION_DENIED, 403, `Bearer error="insufficient_scope"`}},
		{"GET", "/acme/config/%2e%2e/x", outcome{code.Code_PERMISSION_DENIED, 403, `Bearer error="insufficient_scope"`}},
	} {
		if got := check(tc.method, tc.path); got != tc.want {
			t.Errorf("%s %s: %+v, want %+v", tc.method, tc.path, got, tc.want)
		}
	}

	// Shutting down: both fronts say not ready, and still answer.
	s.cmd.Process.Signal(syscall.SIGTERM)
	s.waitStatus(t, "/readyz", 503)
	waitServing(healthpb.HealthCheckResponse_NOT_SERVING)
	if got := check("GET", "/acme/config/x"); got.Code != code.Code_OK {
		t.Errorf("a check while shutting down: %+v, want OK", got)
	}
	out := s.stop(t, tok)
	for _, want := range []string{`"msg":"decision"`, `"reason":"wrong-tenant"`, `"reason":"unavailable"`} {
		if !strings.Contains(out, want) {
			t.Errorf("the log lacks %s", want)
		}
	}
}

// A configuration file sets what the flags set, and serve starts with it.
func TestServeConfigFile(t *testing.T) {
	bin, keys, jwksFile := setupServe(t)
	cfg := filepath.Join(t.TempDir(), "serve.json")
	os.WriteFile(cfg, []byte(`{"proxy": "nginx", "jwks": "`+jwksFile+`", "issuer": "`+e2eIssuer+`", "audience": "`+e2eAudience+`", "log-level": "warn"}`), 0o600)
	s := startServe(t, bin, nil, "--config", cfg)
	tok := keys.Token(t, jwt.MapClaims{"iss": e2eIssuer, "aud": e2eAudience, "exp": time.Now().Add(time.Hour).Unix(), "scope": ".:config/**"})
	if got, _ := s.auth(t, tok, "GET", "/config/x"); got != 200 {
		t.Errorf("allowed: %d", got)
	}
	if got, _ := s.auth(t, tok, "PUT", "/config/x"); got != 403 {
		t.Errorf("denied: %d", got)
	}
	s.awaitDecision(t, 403, 0)
	d := s.decisions(t)
	if len(d) != 1 || d[0]["allowed"] != false || d[0]["level"] != "WARN" {
		t.Errorf("with log-level warn, the log holds the denial alone, at WARN: %v", d)
	}
	s.stop(t, tok)
}

// With --log-allowed-sample N, one allowed decision in N is logged, and
// every denial.
func TestServeLogSample(t *testing.T) {
	bin, keys, jwksFile := setupServe(t)
	s := startServe(t, bin, nil, "--proxy", "nginx", "--jwks", jwksFile, "--unsafe-skip-issuer-audience", "--log-allowed-sample", "4")
	tok := keys.Token(t, jwt.MapClaims{"exp": time.Now().Add(time.Hour).Unix(), "scope": ".:config/**"})
	for i := 0; i < 8; i++ {
		s.auth(t, tok, "GET", "/config/x")
		s.auth(t, tok, "DELETE", "/config/x")
	}
	s.awaitDecision(t, 403, 9)
	time.Sleep(100 * time.Millisecond)
	allowed, denied := 0, 0
	for _, d := range s.decisions(t) {
		if d["allowed"] == true {
			allowed++
		} else {
			denied++
		}
	}
	if allowed != 2 || denied != 8 {
		t.Errorf("logged %d allowed and %d denied decisions, want 2 and 8", allowed, denied)
	}
	s.stop(t, tok)
}

// outcomeOf reads a CheckResponse as Envoy does, failing on an error.
func outcomeOf(t *testing.T, resp *authv3.CheckResponse, err error) outcome {
	t.Helper()
	o, err := envoytest.OutcomeOf(resp, err)
	if err != nil {
		t.Fatalf("Check: %v", err)
	}
	return outcome(o)
}

// outcome is envoytest.Outcome, written short in the tables.
type outcome struct {
	Code      code.Code
	Status    int
	Challenge string
}

// Every CheckRequest serve receives is a logged, counted decision: one
// that protobuf-go refuses (a header value, the path or the body not
// UTF-8) is denied 403 with reason undecodable, never a gRPC error, and
// one over the receive limit is logged and counted as too-large.
func TestServeGRPCUndecodable(t *testing.T) {
	bin, keys, jwksFile := setupServe(t)
	s := startServe(t, bin, nil, "--grpc", "127.0.0.1:0", "--jwks", jwksFile, "--issuer", e2eIssuer, "--audience", e2eAudience,
		"--tenant-claim", "tenant", "--metrics", "127.0.0.1:0")
	conn, err := grpc.NewClient(s.grpc, grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	tok := keys.Token(t, jwt.MapClaims{"iss": e2eIssuer, "aud": e2eAudience, "exp": time.Now().Add(time.Hour).Unix(), "tenant": "acme", "scope": ".:config/**"})
	bearer := "authorization: Bearer " + tok
	withBody := envoytest.Check("GET", "/acme/config/x", bearer)
	withBody.Attributes.Request.Http.Body = "binXXXX"
	denied := outcome{code.Code_PERMISSION_DENIED, 403, ""}
	for _, tc := range []struct {
		name    string
		req     envoytest.Raw
		want    outcome
		wantErr codes.Code
	}{
		{"a header value", envoytest.Mangle(envoytest.Check("GET", "/acme/config/x", bearer, "x-filename: cafXXXX"), "cafXXXX", "caf\xff\xfe\xfd\xfc"), denied, codes.OK},
		{"the path", envoytest.Mangle(envoytest.Check("GET", "/acme/config/XXXX", bearer), "XXXX", "\xff\xfe\xfd\xfc"), denied, codes.OK},
		{"the body", envoytest.Mangle(withBody, "binXXXX", "bin\xff\xfe\xfd\xfc"), denied, codes.OK},
		{"over the receive limit", envoytest.Mangle(envoytest.Check("GET", "/acme/config/x", bearer, "x-big: "+strings.Repeat("b", 2<<20))), outcome{}, codes.ResourceExhausted},
	} {
		resp := new(authv3.CheckResponse)
		err := conn.Invoke(context.Background(), authv3.Authorization_Check_FullMethodName, tc.req, resp, grpc.ForceCodec(envoytest.Codec{}))
		var got outcome
		if err == nil {
			got = outcomeOf(t, resp, err)
		}
		if diff := cmp.Diff(tc.want, got); diff != "" || status.Code(err) != tc.wantErr {
			t.Errorf("%s: error %v, want %v; outcome (-want +got):\n%s", tc.name, err, tc.wantErr, diff)
		}
	}
	s.awaitDecision(t, 403, 3)
	for deadline := time.Now().Add(5 * time.Second); len(s.decisions(t)) < 4 && time.Now().Before(deadline); time.Sleep(20 * time.Millisecond) {
	}
	var reasons []any
	for _, d := range s.decisions(t) {
		reasons = append(reasons, d["reason"])
	}
	if diff := cmp.Diff([]any{"undecodable", "undecodable", "undecodable", "too-large"}, reasons); diff != "" {
		t.Errorf("decisions logged (-want +got):\n%s", diff)
	}
	m := s.scrape(t)
	for reason, want := range map[string]float64{"undecodable": 3, "too-large": 1} {
		if got := value(m, "scopecheck_decisions_total", "outcome", "deny", "reason", reason); got != want {
			t.Errorf("scopecheck_decisions_total{deny,%s} = %v, want %v", reason, got, want)
		}
	}
	s.stop(t, tok)
}

// The listeners are bounded: a CheckRequest over --grpc-max-message-bytes
// is refused unread, a call over --grpc-max-calls in flight is refused,
// calls that never finish their message are cut at --write-timeout and
// free their places, and a connection over --max-connections waits to be
// accepted until another closes.
func TestServeLimits(t *testing.T) {
	bin, keys, jwksFile := setupServe(t)
	s := startServe(t, bin, nil, "--proxy", "nginx", "--grpc", "127.0.0.1:0", "--jwks", jwksFile, "--issuer", e2eIssuer, "--audience", e2eAudience,
		"--grpc-max-message-bytes", "4KiB", "--grpc-max-calls", "2", "--max-connections", "3", "--write-timeout", "1s")
	conn, err := grpc.NewClient(s.grpc, grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	tok := keys.Token(t, jwt.MapClaims{"iss": e2eIssuer, "aud": e2eAudience, "exp": time.Now().Add(time.Hour).Unix(), "scope": ".:config/**"})
	check := func(lines ...string) codes.Code {
		resp, err := authv3.NewAuthorizationClient(conn).Check(context.Background(), envoytest.Check("GET", "/config/x", append(lines, "authorization: Bearer "+tok)...))
		if err == nil && resp.GetStatus().GetCode() != int32(code.Code_OK) {
			return codes.Code(resp.GetStatus().GetCode())
		}
		return status.Code(err)
	}
	var raw []net.Conn // closed before serve stops
	// hold opens a Check call on a connection of its own that declares a
	// message of 1000 bytes and sends 10 of them, as a client that holds
	// the server's memory would.
	hold := func() {
		c, err := net.Dial("tcp", s.grpc)
		if err != nil {
			t.Fatal(err)
		}
		raw = append(raw, c)
		c.Write([]byte(http2.ClientPreface))
		fr := http2.NewFramer(c, c)
		fr.WriteSettings()
		var hb bytes.Buffer
		enc := hpack.NewEncoder(&hb)
		for _, kv := range [][2]string{{":method", "POST"}, {":scheme", "http"}, {":path", authv3.Authorization_Check_FullMethodName},
			{":authority", s.grpc}, {"content-type", "application/grpc"}, {"te", "trailers"}} {
			enc.WriteField(hpack.HeaderField{Name: kv[0], Value: kv[1]})
		}
		fr.WriteHeaders(http2.HeadersFrameParam{StreamID: 1, BlockFragment: hb.Bytes(), EndHeaders: true})
		fr.WriteData(1, false, append([]byte{0, 0, 0, 0x03, 0xe8}, make([]byte, 10)...))
	}
	// dial opens a connection to the HTTP listener and sends nothing.
	var idle []net.Conn
	dial := func() {
		c, err := net.Dial("tcp", s.addr)
		if err != nil {
			t.Fatal(err)
		}
		idle = append(idle, c)
	}
	httpGet := func() string {
		c := &http.Client{Timeout: 500 * time.Millisecond, Transport: &http.Transport{DisableKeepAlives: true}}
		resp, err := c.Get("http://" + s.addr + "/healthz")
		if err != nil {
			return "no answer"
		}
		resp.Body.Close()
		return resp.Status
	}
	for _, tc := range []struct {
		name  string
		setup func()
		got   func() string
		want  string
	}{
		{"a call under the limits", nil, func() string { return check().String() }, "OK"},
		{"a message over --grpc-max-message-bytes", nil, func() string { return check("x-big: " + strings.Repeat("b", 8<<10)).String() }, "ResourceExhausted"},
		{"a call over --grpc-max-calls", func() { hold(); hold(); time.Sleep(100 * time.Millisecond) }, func() string { return check().String() }, "ResourceExhausted"},
		{"held calls are cut at --write-timeout, and free their places", func() { time.Sleep(1500 * time.Millisecond) }, func() string { return check().String() }, "OK"},
		{"a connection over --max-connections", func() { dial(); dial(); dial(); time.Sleep(100 * time.Millisecond) }, httpGet, "no answer"},
		{"accepted once another closes", func() { idle[0].Close() }, httpGet, "200 OK"},
	} {
		if tc.setup != nil {
			tc.setup()
		}
		if diff := cmp.Diff(tc.want, tc.got()); diff != "" {
			t.Errorf("%s (-want +got):\n%s", tc.name, diff)
		}
	}
	for _, c := range append(raw, idle...) {
		c.Close()
	}
	s.stop(t, tok)
}

// A decision still under way when --shutdown-timeout ends is cut: serve
// logs it as cut, and exits with 2, on either front alike.
func TestServeShutdownCuts(t *testing.T) {
	bin := serveBinary(t)
	release := make(chan struct{})
	var slow atomic.Bool // the introspection endpoint stops answering
	idp := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if slow.Load() {
			select {
			case <-release:
			case <-r.Context().Done():
			}
			return
		}
		w.Write([]byte(`{"active": false}`))
	}))
	defer idp.Close()
	defer close(release) // before idp.Close, which waits for its handlers
	type result struct {
		Exit int
		Cut  []string // front, method and target of each decision logged as cut
	}
	for _, tc := range []struct {
		name string
		args []string
		call func(s *server)
		want result
	}{
		{"grpc", []string{"--grpc", "127.0.0.1:0"}, func(s *server) {
			conn, err := grpc.NewClient(s.grpc, grpc.WithTransportCredentials(insecure.NewCredentials()))
			if err != nil {
				t.Error(err)
				return
			}
			defer conn.Close()
			authv3.NewAuthorizationClient(conn).Check(context.Background(), envoytest.Check("GET", "/config/x", "authorization: Bearer slow-token"))
		}, result{2, []string{"grpc GET /config/x"}}},
		{"http", []string{"--proxy", "nginx"}, func(s *server) {
			req, _ := http.NewRequest("GET", "http://"+s.addr+"/auth", nil)
			req.Header.Set("Authorization", "Bearer slow-token")
			req.Header.Set("X-Original-Method", "GET")
			req.Header.Set("X-Original-URI", "/config/x")
			if resp, err := http.DefaultClient.Do(req); err == nil {
				resp.Body.Close()
			}
		}, result{2, []string{"http GET /auth"}}},
	} {
		slow.Store(false)
		s := startServe(t, bin, []string{"SCOPECHECK_CLIENT_SECRET=x"}, append([]string{"--introspect", idp.URL, "--client-id", "gw",
			"--unsafe-skip-issuer-audience", "--introspect-timeout", "20s", "--shutdown-timeout", "1s"}, tc.args...)...)
		s.waitStatus(t, "/readyz", 200)
		slow.Store(true)
		go tc.call(s)
		time.Sleep(300 * time.Millisecond) // the decision waits on introspection
		s.cmd.Process.Signal(syscall.SIGTERM)
		exited := make(chan struct{})
		go func() { s.cmd.Wait(); close(exited) }()
		select {
		case <-exited:
		case <-time.After(10 * time.Second):
			s.cmd.Process.Kill()
			<-exited
			t.Errorf("%s: serve did not exit within 10 s of SIGTERM with --shutdown-timeout 1s:\n%s", tc.name, s.logs.String())
		}
		got := result{Exit: s.cmd.ProcessState.ExitCode()}
		for _, line := range strings.Split(s.logs.String(), "\n") {
			var m map[string]any
			if json.Unmarshal([]byte(line), &m) == nil && m["msg"] == "decision cut by shutdown" {
				got.Cut = append(got.Cut, fmt.Sprint(m["front"], " ", m["method"], " ", m["target"]))
			}
		}
		if diff := cmp.Diff(tc.want, got); diff != "" {
			t.Errorf("%s (-want +got):\n%s\n%s", tc.name, diff, s.logs.String())
		}
	}
}

// TestServeConnectionCap holds each listener at --max-connections with
// connections that send a request (HTTP) or only the preface (gRPC) and
// then nothing, as a client that would deny service does: a new
// connection is still answered, because an idle one is closed in its
// favour, and the metrics and the log say that the cap was reached.
func TestServeConnectionCap(t *testing.T) {
	bin, _, jwksFile := setupServe(t)
	s := startServe(t, bin, nil, "--proxy", "nginx", "--grpc", "127.0.0.1:0", "--jwks", jwksFile, "--issuer", e2eIssuer, "--audience", e2eAudience,
		"--max-connections", "2", "--metrics", "127.0.0.1:0")
	var held []net.Conn
	defer func() {
		for _, c := range held {
			c.Close()
		}
	}()
	// keepAlive sends one GET /healthz on a connection of its own and
	// keeps the connection open, idle.
	keepAlive := func() {
		c, err := net.Dial("tcp", s.addr)
		if err != nil {
			t.Fatal(err)
		}
		held = append(held, c)
		fmt.Fprintf(c, "GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n")
		resp, err := http.ReadResponse(bufio.NewReader(c), nil)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
	}
	// preface opens a gRPC connection that sends the preface and its
	// SETTINGS, and no call.
	preface := func() {
		c, err := net.Dial("tcp", s.grpc)
		if err != nil {
			t.Fatal(err)
		}
		held = append(held, c)
		c.Write([]byte(http2.ClientPreface))
		http2.NewFramer(c, c).WriteSettings()
	}
	keepAlive()
	keepAlive()
	preface()
	preface()
	time.Sleep(200 * time.Millisecond)
	atCap := s.scrape(t)
	httpGet := func() string {
		c := &http.Client{Timeout: 2 * time.Second, Transport: &http.Transport{DisableKeepAlives: true}}
		resp, err := c.Get("http://" + s.addr + "/healthz")
		if err != nil {
			return "no answer"
		}
		resp.Body.Close()
		return resp.Status
	}
	grpcHealth := func() string {
		conn, err := grpc.NewClient(s.grpc, grpc.WithTransportCredentials(insecure.NewCredentials()))
		if err != nil {
			t.Fatal(err)
		}
		defer conn.Close()
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		defer cancel()
		resp, err := healthpb.NewHealthClient(conn).Check(ctx, &healthpb.HealthCheckRequest{})
		if err != nil {
			return status.Code(err).String()
		}
		return resp.GetStatus().String()
	}
	type result struct {
		HTTP, GRPC             string
		OpenHTTP, OpenGRPC     float64
		WaitedHTTP, WaitedGRPC bool
		Warned                 bool
	}
	got := result{HTTP: httpGet(), GRPC: grpcHealth(),
		OpenHTTP: value(atCap, "scopecheck_connections_open", "listener", "http"),
		OpenGRPC: value(atCap, "scopecheck_connections_open", "listener", "grpc")}
	after := s.scrape(t)
	got.WaitedHTTP = value(after, "scopecheck_connections_waited_total", "listener", "http") >= 1
	got.WaitedGRPC = value(after, "scopecheck_connections_waited_total", "listener", "grpc") >= 1
	time.Sleep(200 * time.Millisecond) // the log's flush
	got.Warned = strings.Contains(s.logs.String(), `"listener":"http"`) && strings.Contains(s.logs.String(), `"listener":"grpc"`)
	want := result{HTTP: "200 OK", GRPC: "SERVING", OpenHTTP: 2, OpenGRPC: 2, WaitedHTTP: true, WaitedGRPC: true, Warned: true}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("at the cap (-want +got):\n%s", diff)
	}
	for _, c := range held {
		c.Close()
	}
	held = nil
	s.stop(t)
}
