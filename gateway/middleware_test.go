package gateway

import (
	"bufio"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/scopecheck/scopecheck/match"
)

// scopeHeader is the ScopeFunc of the tests: the scope rides in a header,
// standing for what a JWT or introspection step would have found.
func scopeHeader(r *http.Request) (string, bool) {
	s, ok := r.Header["X-Scope"]
	if !ok || len(s) == 0 {
		return "", false
	}
	return s[0], true
}

type result struct {
	Status    int
	Challenge string
}

func newServer(t *testing.T, opts ...Option) *httptest.Server {
	t.Helper()
	cache, err := match.NewCache(1 << 20)
	if err != nil {
		t.Fatal(err)
	}
	api := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { fmt.Fprint(w, "ok") })
	srv := httptest.NewServer(Middleware(cache, scopeHeader, opts...)(api))
	t.Cleanup(srv.Close)
	return srv
}

// send writes a raw request line, so that paths reach the server exactly
// as written (no client cleans them).
func send(t *testing.T, srv *httptest.Server, method, target, scope string) result {
	t.Helper()
	conn, err := net.Dial("tcp", srv.Listener.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	hdr := ""
	if scope != "-" {
		hdr = "X-Scope: " + scope + "\r\n"
	}
	fmt.Fprintf(conn, "%s %s HTTP/1.1\r\nHost: api\r\n%sConnection: close\r\n\r\n", method, target, hdr)
	resp, err := http.ReadResponse(bufio.NewReader(conn), nil)
	if err != nil {
		t.Fatalf("%s %s: %v", method, target, err)
	}
	resp.Body.Close()
	return result{resp.StatusCode, resp.Header.Get("WWW-Authenticate")}
}

func TestMiddleware(t *testing.T) {
	srv := newServer(t, StripSegments(1))
	const forbidden = `Bearer error="insufficient_scope"`
	tests := []struct {
		name, method, target, scope string
		want                        result
	}{
		{"allowed", "GET", "/acme/config/tokenPolicies/a1", ".:config/tokenPolicies/**", result{200, ""}},
		{"query ignored", "GET", "/acme/config/clients?x=1", ".:config/**", result{200, ""}},
		{"read-only", "PUT", "/acme/config/clients/c1", ".:config/**", result{403, forbidden + `, scope="*:config/clients/c1"`}},
		{"no item", "GET", "/acme/webhooks/s1", ".:config/**", result{403, forbidden + `, scope=".:webhooks/s1"`}},
		{"no token", "GET", "/acme/config/x", "-", result{401, `Bearer error="invalid_token", error_description="no token scope"`}},
		{"damaged scope", "GET", "/acme/config/x", "*.**", result{403, forbidden + `, scope=".:config/x"`}},
		{"escaped slash", "GET", "/acme/config/a%2Fb", "*:**", result{403, forbidden}},
		{"dot dot", "GET", "/acme/webhooks/../config/x", "*:webhooks/**", result{403, forbidden}},
		{"escaped dots", "GET", "/acme/webhooks/%2e%2e/config/x", "*:webhooks/**", result{403, forbidden}},
		{"semicolon", "GET", "/acme/config/loginPolicies/..;/tokenPolicies", "*:config/loginPolicies/**", result{403, forbidden}},
		{"double slash", "GET", "/acme/webhooks//x", "*:webhooks/**", result{403, forbidden}},
		{"no customer segment", "GET", "/config", "*:**", result{403, forbidden}},
		{"empty customer segment", "GET", "//config/x", "*:**", result{403, forbidden}},
		{"star in path", "GET", "/acme/a*b", ".:a", result{403, forbidden}},
		{"connect", "TRACE", "/acme/x", "*:**", result{403, forbidden}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if diff := cmp.Diff(tc.want, send(t, srv, tc.method, tc.target, tc.scope)); diff != "" {
				t.Errorf("%s %s with %q (-want +got):\n%s", tc.method, tc.target, tc.scope, diff)
			}
		})
	}
}

func TestMiddlewareHook(t *testing.T) {
	var seen []string
	srv := newServer(t, WithHook(func(r *http.Request, d Decision) {
		seen = append(seen, fmt.Sprintf("%s %s %v %s %v", d.Method, d.Path, d.Allowed, d.Reason, d.NoToken))
	}))
	send(t, srv, "GET", "/config/x", ".:config/**")
	send(t, srv, "POST", "/config/x", ".:config/**")
	send(t, srv, "GET", "/config/%2e%2e", ".:config/**")
	send(t, srv, "GET", "/config/x", "-")
	want := []string{
		"GET /config/x true granted false",
		"POST /config/x false read-only false",
		"GET /config/%2e%2e false not-canonical false",
		"GET /config/x false no-match true",
	}
	if diff := cmp.Diff(want, seen); diff != "" {
		t.Errorf("hook saw (-want +got):\n%s", diff)
	}
}

func TestStripSegments(t *testing.T) {
	for _, tc := range []struct {
		in   string
		n    int
		want string
		ok   bool
	}{
		{"/acme/config/x", 1, "/config/x", true},
		{"/acme/eu/config/x", 2, "/config/x", true},
		{"/config", 0, "/config", true},
		{"/acme", 1, "/acme", false},
		{"//x", 1, "//x", false},
		{"", 1, "", false},
	} {
		got, ok := stripSegments(tc.in, tc.n)
		if got != tc.want || ok != tc.ok {
			t.Errorf("stripSegments(%q, %d) = %q, %v; want %q, %v", tc.in, tc.n, got, ok, tc.want, tc.ok)
		}
	}
}

// A challenge names a scope only when that scope parses and allows the
// request it answers.
func TestChallengeScope(t *testing.T) {
	tests := []struct {
		method, path string
		names        bool
	}{
		{"PUT", "/config/clients/c1", true},
		{"GET", "/config/clients/", true},
		{"GET", "/a%C3%A9", true},
		{"GET", `/a"b`, false},
		{"GET", `/a\b`, false},
		{"GET", "/a b", false},
		{"GET", "/a*", false},
		{"GET", "/", false},
		{"GET", "/webhooks/%2e%2e/config", false},
		{"GET", "/a/../b", false},
		{"GET", "/a//b", false},
		{"GET", "/a;b", false},
		{"GET", "/a%C0%AF", false},
		{"GET", "a", false},
		{"TRACE", "/x", false},
		{"", "/x", false},
	}
	for _, tc := range tests {
		c := challenge(tc.method, tc.path)
		_, item, named := strings.Cut(c, `scope="`)
		if named != tc.names {
			t.Errorf("challenge(%s, %q) = %s: names a scope %v, want %v", tc.method, tc.path, c, named, tc.names)
			continue
		}
		if !named {
			continue
		}
		m, err := match.CompileString(strings.TrimSuffix(item, `"`))
		if err != nil {
			t.Errorf("challenge(%s, %q) names %s, which does not parse: %v", tc.method, tc.path, item, err)
			continue
		}
		if !m.Allow(tc.method, tc.path) {
			t.Errorf("challenge(%s, %q) names %s, which does not allow the request", tc.method, tc.path, item)
		}
	}
}
