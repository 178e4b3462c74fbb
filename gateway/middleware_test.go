package gateway

import (
	"bufio"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"slices"
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
func send(t *testing.T, srv *httptest.Server, method, target, scope string, headers ...string) result {
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
	for _, h := range headers {
		hdr += h + "\r\n"
	}
	fmt.Fprintf(conn, "%s %s HTTP/1.1\r\nHost: api\r\n%sConnection: close\r\n\r\n", method, target, hdr)
	resp, err := http.ReadResponse(bufio.NewReader(conn), nil)
	if err != nil {
		t.Fatalf("%s %s: %v", method, target, err)
	}
	resp.Body.Close()
	return result{resp.StatusCode, resp.Header.Get("WWW-Authenticate")}
}

// acme is the tenant of every test token.
func acme(*http.Request) (string, bool) { return "acme", true }

func TestMiddleware(t *testing.T) {
	srv := newServer(t, TenantSegment(acme))
	const forbidden = `Bearer error="insufficient_scope"`
	tests := []struct {
		name, method, target, scope string
		want                        result
		headers                     []string
	}{
		{"allowed", "GET", "/acme/config/tokenPolicies/a1", ".:config/tokenPolicies/**", result{200, ""}, nil},
		{"query ignored", "GET", "/acme/config/clients?x=1", ".:config/**", result{200, ""}, nil},
		{"read-only", "PUT", "/acme/config/clients/c1", ".:config/**", result{403, forbidden + `, scope="*:config/clients/c1"`}, nil},
		{"no item", "GET", "/acme/webhooks/s1", ".:config/**", result{403, forbidden + `, scope=".:webhooks/s1"`}, nil},
		{"no token", "GET", "/acme/config/x", "-", result{401, `Bearer error="invalid_token", error_description="no token scope"`}, nil},
		{"damaged scope", "GET", "/acme/config/x", "*.**", result{403, forbidden + `, scope=".:config/x"`}, nil},
		{"escaped slash", "GET", "/acme/config/a%2Fb", "*:**", result{403, forbidden}, nil},
		{"dot dot", "GET", "/acme/webhooks/../config/x", "*:webhooks/**", result{403, forbidden}, nil},
		{"escaped dots", "GET", "/acme/webhooks/%2e%2e/config/x", "*:webhooks/**", result{403, forbidden}, nil},
		{"semicolon", "GET", "/acme/config/loginPolicies/..;/tokenPolicies", "*:config/loginPolicies/**", result{403, forbidden}, nil},
		{"double slash", "GET", "/acme/webhooks//x", "*:webhooks/**", result{403, forbidden}, nil},
		{"no customer segment", "GET", "/config", "*:**", result{403, forbidden}, nil},
		{"empty customer segment", "GET", "//config/x", "*:**", result{403, forbidden}, nil},
		{"star in path", "GET", "/acme/a*b", ".:a", result{403, forbidden}, nil},
		{"connect", "TRACE", "/acme/x", "*:**", result{403, forbidden}, nil},
		// The request target as sent, never URL.EscapedPath, which
		// re-encodes "/config/a%2Fb|" as "/config/a/b%7C".
		{"re-encoded by net/url", "DELETE", "/acme/config/a%2Fb|", "*:**", result{403, forbidden}, nil},
		{"pipe", "DELETE", "/acme/config/a|b", "*:config/**", result{200, ""}, nil},
		{"absolute form", "GET", "http://api/acme/config/x", ".:config/**", result{200, ""}, nil},
		{"absolute form, other tenant", "GET", "http://api/othercorp/config/x", ".:config/**", result{403, forbidden}, nil},
		{"asterisk form", "GET", "*", "*:**", result{403, forbidden}, nil},
		// The first segment is checked with the rest, and is the tenant.
		{"backslashes and fragment", "DELETE", `/acme\config\clients\c1#/webhooks/x`, "*:webhooks/**", result{403, forbidden}, nil},
		{"segment %2e", "DELETE", "/%2e/webhooks/x", "*:webhooks/**", result{403, forbidden}, nil},
		{"segment ..;", "DELETE", "/..;/webhooks/x", "*:webhooks/**", result{403, forbidden}, nil},
		{"segment a;b=c", "DELETE", "/acme;b=c/webhooks/x", "*:webhooks/**", result{403, forbidden}, nil},
		{"segment %2F", "DELETE", "/acme%2Fwebhooks/x", "*:**", result{403, forbidden}, nil},
		{"segment overlong", "DELETE", "/%C0%AE/webhooks/x", "*:webhooks/**", result{403, forbidden}, nil},
		{"segment %3F", "DELETE", "/acme%3F/webhooks/x", "*:webhooks/**", result{403, forbidden}, nil},
		{"segment U+2028", "DELETE", "/acme%E2%80%A8/webhooks/x", "*:webhooks/**", result{403, forbidden}, nil},
		{"segment %25", "DELETE", "/acme%25/webhooks/x", "*:webhooks/**", result{403, forbidden}, nil},
		{"other tenant", "GET", "/othercorp/config/x", ".:config/**", result{403, forbidden}, nil},
		{"tenant escaped", "GET", "/%61cme/config/x", ".:config/**", result{403, forbidden}, nil},
		{"tenant in capitals", "GET", "/Acme/config/x", ".:config/**", result{403, forbidden}, nil},
		// Every other source of the method or target.
		{"override", "GET", "/acme/config/x", ".:config/**", result{403, forbidden}, []string{"X-HTTP-Method-Override: DELETE"}},
		{"override allowed", "POST", "/acme/config/x", "*:config/**", result{200, ""}, []string{"X-HTTP-Method-Override: DELETE"}},
		{"_method", "GET", "/acme/config/x?_method=PUT", ".:config/**", result{403, forbidden}, nil},
		{"X-Original-URL", "GET", "/acme/config/x", ".:config/**", result{403, forbidden}, []string{"X-Original-URL: /acme/admin"}},
		{"X-Original-URL the same", "GET", "/acme/config/x", ".:config/**", result{200, ""}, []string{"X-Original-URL: /acme/config/x?a=b"}},
		// A second token, in the query, which some servers read first.
		{"access_token", "DELETE", "/acme/config/x?access_token=other", "*:config/**", result{403, forbidden}, nil},
		{"access_token spelled as PHP reads it", "GET", "/acme/config/x?a=1;Access.Token=other", "*:**", result{403, forbidden}, nil},
		{"access_token in a second target", "GET", "/acme/config/x", "*:**", result{403, forbidden}, []string{"X-Original-URL: /acme/config/x?access_token=other"}},
		{"access_tokens is another parameter", "GET", "/acme/config/x?access_tokens=1", ".:config/**", result{200, ""}, nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if diff := cmp.Diff(tc.want, send(t, srv, tc.method, tc.target, tc.scope, tc.headers...)); diff != "" {
				t.Errorf("%s %s with %q (-want +got):\n%s", tc.method, tc.target, tc.scope, diff)
			}
		})
	}
}

// The hook sees the whole target as received and the path decided on.
func TestMiddlewareHook(t *testing.T) {
	var seen []string
	srv := newServer(t, TenantSegment(acme), WithHook(func(r *http.Request, d Decision) {
		seen = append(seen, fmt.Sprintf("%s %s %s %v %s %v", d.Method, d.Target, d.Path, d.Allowed, d.Why(), d.NoToken))
	}))
	send(t, srv, "GET", "/acme/config/x?a=b", ".:config/**")
	send(t, srv, "POST", "/acme/config/x", ".:config/**")
	send(t, srv, "GET", "/acme/config/%2e%2e", ".:config/**")
	send(t, srv, "GET", `/acme\config\clients#/config/x`, ".:config/**")
	send(t, srv, "GET", "/othercorp/config/x", ".:config/**")
	send(t, srv, "GET", "/acme/config/x", "-")
	send(t, srv, "GET", "/acme/config/x?access%5Ftoken=t", ".:config/**")
	want := []string{
		"GET /acme/config/x /config/x true granted false",
		"POST /acme/config/x /config/x false read-only false",
		"GET /acme/config/%2e%2e  false not-canonical false",
		`GET /acme\config\clients#/config/x  false not-canonical false`,
		"GET /othercorp/config/x  false wrong-tenant false",
		"GET /acme/config/x  false no-token true",
		"GET /acme/config/x /config/x false query-token false",
	}
	if diff := cmp.Diff(want, seen); diff != "" {
		t.Errorf("hook saw (-want +got):\n%s", diff)
	}
}

// The hook sees every source that took part, allowed or denied, each with
// the request it means; never the proxy's own.
func TestDecisionSources(t *testing.T) {
	var seen []Source
	srv := newServer(t, TenantSegment(acme), WithHook(func(r *http.Request, d Decision) {
		seen = append([]Source(nil), d.Sources()...)
		slices.SortFunc(seen, func(a, b Source) int { return strings.Compare(a.Name+a.Method+a.Target, b.Name+b.Method+b.Target) })
	}))
	for _, tc := range []struct {
		name, method, target string
		headers              []string
		want                 []Source
	}{
		{"none", "GET", "/acme/config/x", nil, nil},
		{"the request's own method upper-cased is not another source", "get", "/acme/config/x", nil, nil},
		{"allowed", "GET", "/acme/config/x?_method=head", []string{"X-Original-URL: /acme/config/y"}, []Source{
			{"X-Original-Url", "GET", "/acme/config/y"},
			{"_method", "HEAD", "/acme/config/x"},
			{"_method", "head", "/acme/config/x"},
		}},
		// Each method and target once, with the first source that gave it.
		{"the same method twice", "GET", "/acme/config/x?_method=HEAD", []string{"X-HTTP-Method-Override: HEAD"}, []Source{
			{"_method", "HEAD", "/acme/config/x"},
		}},
		{"denied", "POST", "/acme/config/x", []string{"X-Original-URL: /acme/config/y,/acme/z"}, []Source{
			{"POST body", "", "/acme/config/x"},
			{"X-Original-Url", "POST", "/acme/config/y"},
			{"X-Original-Url", "POST", "/acme/config/y,/acme/z"},
			{"X-Original-Url", "POST", "/acme/z"},
		}},
	} {
		seen = nil
		send(t, srv, tc.method, tc.target, ".:config/**", tc.headers...)
		if diff := cmp.Diff(tc.want, seen); diff != "" {
			t.Errorf("%s (-want +got):\n%s", tc.name, diff)
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
