package extauthz

import (
	"context"
	"errors"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	corev3 "github.com/envoyproxy/go-control-plane/envoy/config/core/v3"
	authv3 "github.com/envoyproxy/go-control-plane/envoy/service/auth/v3"
	"github.com/golang-jwt/jwt/v5"
	"github.com/google/go-cmp/cmp"
	"google.golang.org/genproto/googleapis/rpc/code"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/credentials/insecure"
	grpcstatus "google.golang.org/grpc/status"
	"google.golang.org/grpc/test/bufconn"
	"pgregory.net/rapid"

	"github.com/scopecheck/scopecheck/gateway"
	"github.com/scopecheck/scopecheck/gateway/token"
	"github.com/scopecheck/scopecheck/internal/envoytest"
	"github.com/scopecheck/scopecheck/internal/oracle"
	"github.com/scopecheck/scopecheck/internal/scopegen"
	"github.com/scopecheck/scopecheck/internal/testjwt"
	"github.com/scopecheck/scopecheck/match"
	"github.com/scopecheck/scopecheck/scope"
)

// dial serves s over an in-memory listener and returns a client of it:
// the calls go through gRPC's whole stack, encoding included.
func dial(t testing.TB, s *Server) authv3.AuthorizationClient {
	t.Helper()
	return authv3.NewAuthorizationClient(dialConn(t, s))
}

// dialConn is dial's connection, to a server with opts.
func dialConn(t testing.TB, s *Server, opts ...grpc.ServerOption) *grpc.ClientConn {
	t.Helper()
	ln := bufconn.Listen(1 << 20)
	g := grpc.NewServer(opts...)
	s.Register(g)
	go g.Serve(ln)
	t.Cleanup(g.Stop)
	conn, err := grpc.NewClient("passthrough:///bufnet",
		grpc.WithContextDialer(func(ctx context.Context, _ string) (net.Conn, error) { return ln.DialContext(ctx) }),
		grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close() })
	return conn
}

// outcomeOf reads a CheckResponse as Envoy does, failing on an error.
func outcomeOf(t interface {
	Helper()
	Fatalf(string, ...any)
}, resp *authv3.CheckResponse, err error) outcome {
	t.Helper()
	o, err := envoytest.OutcomeOf(resp, err)
	if err != nil {
		t.Fatalf("Check: %v", err)
	}
	return outcome(o)
}

// outcome is envoytest.Outcome, written short in the tables below.
type outcome struct {
	Code      code.Code
	Status    int
	Challenge string
}

var envoyCheck = envoytest.Check

// The gRPC front decides as the HTTP fronts do, through a real client,
// on the requests Envoy sends: tenant bound to the claim and to a fixed
// tenant, canonical paths, every other source, comma-joined headers, a
// token in the query; 401 and 503 as denials with their codes.
func TestCheck(t *testing.T) {
	keys := testjwt.New(t)
	tokens, err := token.NewJWT(keys.JWKS, token.JWTOptions{Issuer: "https://idp.example", Audience: "config-api"})
	if err != nil {
		t.Fatal(err)
	}
	claims := func(tenant string) jwt.MapClaims {
		c := jwt.MapClaims{"iss": "https://idp.example", "aud": "config-api", "exp": time.Now().Add(time.Hour).Unix(),
			"scope": ".:config/** *:webhooks/** *:config/loginPolicies/**"}
		if tenant != "" {
			c["tenant"] = tenant
		}
		return c
	}
	acme := "authorization: Bearer " + keys.Token(t, claims("acme"))
	other := "authorization: Bearer " + keys.Token(t, claims("othercorp"))
	notenant := "authorization: Bearer " + keys.Token(t, claims(""))
	cache, _ := match.NewCache(1 << 20)
	var decisions []string
	hook := gateway.WithHook(func(r *http.Request, d gateway.Decision) {
		decisions = append(decisions, d.Method+" "+d.Target+" "+d.Why())
	})
	client := dial(t, New(gateway.AuthRequest(cache, tokens, gateway.Envoy(""), hook, gateway.TenantSegment(func(*http.Request) (string, bool) { return "acme", true }), gateway.TenantClaim("tenant"))))
	insufficient := `Bearer error="insufficient_scope"`
	for _, tc := range []struct {
		name string
		req  *authv3.CheckRequest
		want outcome
	}{
		{"allowed", envoyCheck("DELETE", "/acme/webhooks/s1?x=1", acme), outcome{code.Code_OK, 0, ""}},
		{"read", envoyCheck("GET", "/acme/config/clients", acme), outcome{code.Code_OK, 0, ""}},
		{"read-only", envoyCheck("PUT", "/acme/config/clients/c1", acme), outcome{code.Code_PERMISSION_DENIED, 403, insufficient + `, scope="*:config/clients/c1"`}},
		{"a token of another tenant", envoyCheck("GET", "/acme/config/clients", other), outcome{code.Code_PERMISSION_DENIED, 403, insufficient}},
		{"a token without one", envoyCheck("GET", "/acme/config/clients", notenant), outcome{code.Code_PERMISSION_DENIED, 403, insufficient}},
		{"another tenant", envoyCheck("GET", "/othercorp/config/clients", other), outcome{code.Code_PERMISSION_DENIED, 403, insufficient}},
		{"dot dot", envoyCheck("DELETE", "/acme/webhooks/../config/clients/c1", acme), outcome{code.Code_PERMISSION_DENIED, 403, insufficient}},
		{"escaped dots", envoyCheck("DELETE", "/acme/webhooks/%2e%2e/config/clients/c1", acme), outcome{code.Code_PERMISSION_DENIED, 403, insufficient}},
		{"first-segment trick", envoyCheck("DELETE", "/acme;x/webhooks/s1", acme), outcome{code.Code_PERMISSION_DENIED, 403, insufficient}},
		{"override", envoyCheck("GET", "/acme/config/clients", acme, "x-http-method-override: DELETE"), outcome{code.Code_PERMISSION_DENIED, 403, insufficient}},
		{"client's x-original-uri", envoyCheck("DELETE", "/acme/webhooks/s1", acme, "x-original-uri: /acme/config/clients/c1"), outcome{code.Code_PERMISSION_DENIED, 403, insufficient}},
		{"two X-Rewrite-URL joined", envoyCheck("DELETE", "/acme/webhooks/x", acme, "X-Rewrite-URL: /acme/webhooks/x", "X-Rewrite-URL: /acme/config/clients/c1"), outcome{code.Code_PERMISSION_DENIED, 403, insufficient}},
		{"two lines that agree", envoyCheck("GET", "/acme/config/clients", acme, "X-Original-URL: /acme/config/x", "X-Original-URL: /acme/config/y"), outcome{code.Code_OK, 0, ""}},
		{"_method", envoyCheck("GET", "/acme/config/clients?_method=DELETE", acme), outcome{code.Code_PERMISSION_DENIED, 403, insufficient}},
		{"access_token", envoyCheck("DELETE", "/acme/webhooks/s1?x=1&access%5Ftoken=x", acme), outcome{code.Code_PERMISSION_DENIED, 403, insufficient}},
		{"h2c upgrade", envoyCheck("GET", "/acme/config/clients", acme, "upgrade: h2c", "connection: Upgrade, HTTP2-Settings"), outcome{code.Code_PERMISSION_DENIED, 403, insufficient}},
		{"two Authorization headers", envoyCheck("GET", "/acme/config/clients", acme, other), outcome{code.Code_UNAUTHENTICATED, 401, `Bearer error="invalid_token"`}},
		{"no token", envoyCheck("GET", "/acme/config/clients"), outcome{code.Code_UNAUTHENTICATED, 401, `Bearer error="invalid_token"`}},
		{"a bad token", envoyCheck("GET", "/acme/config/clients", "authorization: Bearer a.b.c"), outcome{code.Code_UNAUTHENTICATED, 401, `Bearer error="invalid_token"`}},
		{"no HTTP attributes", &authv3.CheckRequest{}, outcome{code.Code_UNAUTHENTICATED, 401, `Bearer error="invalid_token"`}},
		{"no path", envoyCheck("GET", "", acme), outcome{code.Code_PERMISSION_DENIED, 403, insufficient}},
		{"asterisk form", envoyCheck("OPTIONS", "*", acme), outcome{code.Code_PERMISSION_DENIED, 403, insufficient}},
	} {
		resp, err := client.Check(context.Background(), tc.req)
		if diff := cmp.Diff(tc.want, outcomeOf(t, resp, err)); diff != "" {
			t.Errorf("%s (-want +got):\n%s", tc.name, diff)
		}
	}
	if want := "GET /acme/config/clients wrong-tenant"; !strings.Contains(strings.Join(decisions, "\n"), want) {
		t.Errorf("the hook did not see %q:\n%s", want, strings.Join(decisions, "\n"))
	}

	// Raw headers (encode_raw_headers): repeated lines come apart, and
	// each counts.
	raw := envoyCheck("DELETE", "/acme/webhooks/x", acme)
	raw.Attributes.Request.Http.HeaderMap = headerMap(raw.Attributes.Request.Http.Headers, "x-rewrite-url", "/acme/webhooks/x", "x-rewrite-url", "/acme/config/clients/c1")
	raw.Attributes.Request.Http.Headers = nil
	resp, err := client.Check(context.Background(), raw)
	if got := outcomeOf(t, resp, err); got.Code != code.Code_PERMISSION_DENIED {
		t.Errorf("raw headers with a second target the scope denies: %+v", got)
	}
	raw.Attributes.Request.Http.HeaderMap = headerMap(envoyCheck("DELETE", "/acme/webhooks/x", acme).Attributes.Request.Http.Headers)
	resp, err = client.Check(context.Background(), raw)
	if got := outcomeOf(t, resp, err); got.Code != code.Code_OK {
		t.Errorf("raw headers of an allowed request: %+v", got)
	}
}

// An outage (no key set loaded) is a denial with UNAVAILABLE and 503, no
// challenge, never a gRPC error that failure_mode_allow could let through.
func TestCheckOutage(t *testing.T) {
	down := httptest.NewServer(http.NotFoundHandler())
	down.Close()
	tokens, err := token.NewJWTFromURL(context.Background(), down.URL, token.JWTOptions{Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		t.Fatal(err)
	}
	defer tokens.Close()
	cache, _ := match.NewCache(1 << 20)
	client := dial(t, New(gateway.AuthRequest(cache, tokens, gateway.Envoy(""))))
	tok := testjwt.New(t).Token(t, jwt.MapClaims{"exp": time.Now().Add(time.Hour).Unix(), "scope": "*:**"})
	resp, err := client.Check(context.Background(), envoyCheck("GET", "/config/x", "authorization: Bearer "+tok))
	if diff := cmp.Diff(outcome{code.Code_UNAVAILABLE, 503, ""}, outcomeOf(t, resp, err)); diff != "" {
		t.Errorf("outage (-want +got):\n%s", diff)
	}
	// A handler that writes nothing denies.
	client = dial(t, New(http.HandlerFunc(func(http.ResponseWriter, *http.Request) {})))
	resp, err = client.Check(context.Background(), envoyCheck("GET", "/config/x"))
	if got := outcomeOf(t, resp, err); got.Code != code.Code_PERMISSION_DENIED || got.Status != 403 {
		t.Errorf("a handler that answers nothing: %+v, want a denial", got)
	}
}

// claimTokens accepts the token "t" with a scope and a tenant claim.
type claimTokens struct{ scope, tenant string }

func (c claimTokens) Scope(ctx context.Context, tok string) (string, error) {
	s, _, err := c.Claims(ctx, tok)
	return s, err
}

func (c claimTokens) Claims(_ context.Context, tok string) (string, map[string]any, error) {
	if tok != "t" {
		return "", nil, errors.New("unknown token")
	}
	return c.scope, map[string]any{"tenant": c.tenant}, nil
}

// On generated scopes, mounts, methods, targets and headers, the gRPC
// front (through a real client) allows exactly what the HTTP front behind
// Envoy allows for the same request, and what the oracle allows.
func TestCheckAgreesWithHTTPAndOracle(t *testing.T) {
	var current http.Handler // the gRPC front's handler in this case
	client := dial(t, New(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { current.ServeHTTP(w, r) })))
	rapid.Check(t, func(t *rapid.T) {
		text := scopegen.String(4, 5).Draw(t, "scope") + rapid.SampledFrom([]string{"", "", " *:**", " .:**"}).Draw(t, "wide")
		set := scope.MustParse(text)
		tenant := rapid.SampledFrom([]string{"acme", "acme", "%61cme", "ACME", ""}).Draw(t, "tenant")
		var opts []gateway.Option
		var mount oracle.Mount
		switch rapid.IntRange(0, 3).Draw(t, "mount") {
		case 1:
			opts, mount = []gateway.Option{gateway.TenantClaim("tenant")}, oracle.Mount{Segments: 1, Bound: true, Tenants: []string{tenant}}
		case 2:
			opts, mount = []gateway.Option{gateway.UnsafeStripSegments(1)}, oracle.Mount{Segments: 1}
		case 3:
			opts = []gateway.Option{gateway.TenantClaim("tenant"), gateway.TenantSegment(func(*http.Request) (string, bool) { return "acme", true })}
			mount = oracle.Mount{Segments: 1, Bound: true, Tenants: []string{"acme", tenant}}
		}
		cache, _ := match.NewCache(1 << 16)
		tokens := claimTokens{text, tenant}
		method := scopegen.Method().Draw(t, "method")
		target := scopegen.Target(6).Draw(t, "target")
		if !strings.HasPrefix(target, "/") {
			target = "/" + target // Envoy's :path is in origin form
		}
		// Envoy's headers: lower-case names, repeated lines joined.
		joined := map[string]string{"authorization": "Bearer t"}
		for k, vs := range scopegen.Headers(rapid.SampledFrom([]int{0, 1, 3}).Draw(t, "max headers")).Draw(t, "headers") {
			k = strings.ToLower(k)
			if k == "authorization" || k == "" || strings.HasPrefix(k, ":") {
				continue
			}
			v := strings.Join(vs, ",")
			if old, ok := joined[k]; ok {
				v = old + "," + v
			}
			joined[k] = v
		}
		req := &authv3.CheckRequest{Attributes: &authv3.AttributeContext{Request: &authv3.AttributeContext_Request{
			Http: &authv3.AttributeContext_HttpRequest{Method: method, Path: target, Headers: joined}}}}
		header := http.Header{}
		for k, v := range joined {
			header[http.CanonicalHeaderKey(k)] = []string{v}
		}
		want := oracle.AllowRequest(set, mount, oracle.Request{Method: method, Target: target, Header: header})

		current = gateway.AuthRequest(cache, tokens, gateway.Envoy(""), opts...)
		resp, err := client.Check(context.Background(), req)
		got := outcomeOf(t, resp, err).Code == code.Code_OK
		w := httptest.NewRecorder()
		gateway.AuthRequest(cache, tokens, gateway.Envoy("/auth"), opts...).ServeHTTP(w, &http.Request{Method: method, RequestURI: "/auth" + target, Header: header.Clone()})
		if viaHTTP := w.Code == http.StatusOK; got != want || viaHTTP != want {
			t.Fatalf("scope %q, %q %q, headers %q: gRPC allows %v, HTTP %v, the oracle %v", text, method, target, joined, got, viaHTTP, want)
		}
	})
}

// headerMap is Envoy's header_map of raw headers: each of headers, and
// each name and value of more, as a line of its own.
func headerMap(headers map[string]string, more ...string) *corev3.HeaderMap {
	m := &corev3.HeaderMap{}
	for k, v := range headers {
		m.Headers = append(m.Headers, &corev3.HeaderValue{Key: k, RawValue: []byte(v)})
	}
	for i := 0; i+1 < len(more); i += 2 {
		m.Headers = append(m.Headers, &corev3.HeaderValue{Key: more[i], RawValue: []byte(more[i+1])})
	}
	return m
}

// Every CheckRequest that reaches Check gets a CheckResponse: one that
// protobuf-go cannot decode (a string field that is not UTF-8: a header
// value, the path, the body; not protobuf at all) is a 403 denial, never a
// gRPC error that Envoy would answer with status_on_error or, failing
// open, let through. One over the receive limit, which gRPC refuses with
// RESOURCE_EXHAUSTED before Check runs, is seen by the hook all the same.
// Each has its own reason.
func TestCheckUndecodable(t *testing.T) {
	keys := testjwt.New(t)
	tokens, err := token.NewJWT(keys.JWKS, token.JWTOptions{})
	if err != nil {
		t.Fatal(err)
	}
	acme := "authorization: Bearer " + keys.Token(t, jwt.MapClaims{"exp": time.Now().Add(time.Hour).Unix(), "scope": ".:config/**"})
	cache, _ := match.NewCache(1 << 20)
	// The hook of a message gRPC refused runs after gRPC has answered.
	seen := make(chan string, 16)
	hook := func(r *http.Request, d gateway.Decision) { seen <- d.Why() }
	s := New(gateway.AuthRequest(cache, tokens, gateway.Envoy(""), gateway.WithHook(hook)), WithHook(hook))
	conn := dialConn(t, s, ServerCodec(), grpc.MaxRecvMsgSize(4<<10))
	withBody := envoyCheck("GET", "/config/x", acme)
	withBody.Attributes.Request.Http.Body = "binXXXX"
	rawHeader := envoyCheck("GET", "/config/x", acme)
	rawHeader.Attributes.Request.Http.HeaderMap = headerMap(rawHeader.Attributes.Request.Http.Headers, "x-filename", "cafXXXX")
	rawHeader.Attributes.Request.Http.Headers = nil
	denied := outcome{code.Code_PERMISSION_DENIED, 403, ""}
	type result struct {
		Err     codes.Code
		Outcome outcome
		Reasons []string
	}
	for _, tc := range []struct {
		name string
		req  envoytest.Raw
		want result
	}{
		{"a header value", envoytest.Mangle(envoyCheck("GET", "/config/x", acme, "x-filename: cafXXXX"), "cafXXXX", "caf\xff\xfe\xfd\xfc"),
			result{codes.OK, denied, []string{"undecodable"}}},
		{"a header value of a denied request", envoytest.Mangle(envoyCheck("DELETE", "/config/x", acme, "x-filename: cafXXXX"), "cafXXXX", "caf\xff\xfe\xfd\xfc"),
			result{codes.OK, denied, []string{"undecodable"}}},
		{"the path", envoytest.Mangle(envoyCheck("GET", "/config/XXXX", acme), "XXXX", "\xff\xfe\xfd\xfc"), result{codes.OK, denied, []string{"undecodable"}}},
		{"the body", envoytest.Mangle(withBody, "binXXXX", "bin\xff\xfe\xfd\xfc"), result{codes.OK, denied, []string{"undecodable"}}},
		{"not protobuf", envoytest.Raw("\xff\xff\xff"), result{codes.OK, denied, []string{"undecodable"}}},
		{"a raw header value (bytes)", envoytest.Mangle(rawHeader, "cafXXXX", "caf\xff\xfe\xfd\xfc"), result{codes.OK, outcome{code.Code_OK, 0, ""}, []string{"granted"}}},
		{"over the receive limit", envoytest.Mangle(envoyCheck("GET", "/config/x", acme, "x-big: "+strings.Repeat("b", 8<<10))),
			result{codes.ResourceExhausted, outcome{}, []string{"too-large"}}},
	} {
		resp := new(authv3.CheckResponse)
		err := conn.Invoke(context.Background(), authv3.Authorization_Check_FullMethodName, tc.req, resp, grpc.ForceCodec(envoytest.Codec{}))
		got := result{Err: grpcstatus.Code(err)}
		for range tc.want.Reasons {
			select {
			case r := <-seen:
				got.Reasons = append(got.Reasons, r)
			case <-time.After(5 * time.Second):
			}
		}
		if err == nil {
			got.Outcome = outcomeOf(t, resp, err)
		}
		select {
		case r := <-seen:
			got.Reasons = append(got.Reasons, r)
		default:
		}
		if diff := cmp.Diff(tc.want, got); diff != "" {
			t.Errorf("%s (-want +got):\n%s", tc.name, diff)
		}
	}
}
