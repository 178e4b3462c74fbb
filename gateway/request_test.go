package gateway

import (
	"context"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"pgregory.net/rapid"

	"github.com/scopecheck/scopecheck/match"
)

func TestTargetPath(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{"/acme/config/x", "/acme/config/x"},
		{"/acme/config/x?a=b?c", "/acme/config/x"},
		{"/acme/x#frag?q", "/acme/x#frag"},
		{"/", "/"},
		{"", ""},
		{"?x", ""},
		{"http://api/acme/x?q", "/acme/x"},
		{"HTTPS://user@api:443/acme/x", "/acme/x"},
		{"http://api", ""},
		{"http://api?x/acme/x", ""},
		{"http://api#x/acme/x", ""},
		{"http:///acme/x", "/acme/x"},
		{`http://a\b/acme/x`, "/acme/x"},
		{"http:/acme/x", "http:/acme/x"},
		{"1http://api/x", "1http://api/x"},
		{"*", "*"},
		{"api:443", "api:443"},
		{"acme/x", "acme/x"},
	} {
		if got := targetPath(tc.in); got != tc.want {
			t.Errorf("targetPath(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
}

func TestQueryParam(t *testing.T) {
	for _, tc := range []struct {
		name string
		want paramKind
	}{
		{"_method", methodParam},
		{"_METHOD", methodParam},
		{"%5Fmethod", methodParam},
		{"%5fmethod", methodParam},
		{"_%6Dethod", methodParam},
		{".method", methodParam},
		{"[method", methodParam},
		{"+_method", methodParam},
		{"%20%20_method", methodParam},
		{"+method", otherParam}, // " method": the leading space goes, leaving "method"
		{"__METHOD_OVERRIDE__", methodParam},
		{"__method.override__", methodParam},
		{"%5F_method_override%5F%5F", methodParam},
		{"_method%00x", methodParam}, // PHP cuts a name at NUL
		{"x%00_method", otherParam},
		{"_method_override__", otherParam},
		{"method", otherParam},
		{"_method[]", otherParam},
		{"x_method", otherParam},
		{"_methods", otherParam},
		{"_method%zz", otherParam},     // no decoder reads "%zz" as nothing
		{"_method%00%zz", methodParam}, // PHP keeps "%zz", then cuts at the NUL
		{"_method%00%", methodParam},
		{"%5_method", otherParam},
		{"%u005Fmethod", methodParam}, // IIS and ASP.NET decode %uXXXX
		{"access%U005ftoken", tokenParam},
		{"access%u005token", otherParam},
		{"access_token", tokenParam},
		{"ACCESS_TOKEN", tokenParam},
		{"access.token", tokenParam},
		{"access[token", tokenParam},
		{"access%5Ftoken", tokenParam},
		{"%61ccess_token", tokenParam},
		{"access_token%00x", tokenParam},
		{"access_token[]", tokenParam}, // an array of tokens to PHP, Rails and qs
		{"access.token[0]", tokenParam},
		{"access_token_", otherParam},
		{"accesstoken", otherParam},
		{"token", otherParam},
		{"", otherParam},
	} {
		if got := queryParam(tc.name); got != tc.want {
			t.Errorf("queryParam(%q) = %v, want %v", tc.name, got, tc.want)
		}
	}
}

// formName is url.QueryUnescape on every name that decodes strictly, and
// keeps what does not.
// RequestLineMethods reads a request line as the gateway does: its
// method, the method overrides of its query in every spelling queryParam
// reads, each with its upper-case form; a POST or an override that does
// not decode may mean any method.
func TestRequestLineMethods(t *testing.T) {
	for _, tc := range []struct {
		name, method, target string
		want                 []string
		anyMethod, tooMany   bool
	}{
		{"no query", "GET", "/acme/config/a", []string{"GET"}, false, false},
		{"own method in lower case", "get", "/acme/config/a", []string{"get", "GET"}, false, false},
		{"_method", "GET", "/acme/config/j?_method=DELETE", []string{"GET", "DELETE"}, false, false},
		{"__METHOD_OVERRIDE__, lower-case value", "GET", "/a?x=1&__METHOD_OVERRIDE__=put", []string{"GET", "put", "PUT"}, false, false},
		{"a PHP spelling after ';'", "GET", "/a?x=1;_Method=PATCH", []string{"GET", "PATCH"}, false, false},
		{"an override that does not decode", "HEAD", "/a?_method=%ZZ", []string{"HEAD"}, true, false},
		{"an override to POST", "GET", "/a?_method=POST", []string{"GET", "POST"}, true, false},
		{"a POST", "POST", "/a", []string{"POST"}, true, false},
		{"more than MaxSources", "GET", "/a?_method=A&_method=B&_method=C&_method=D&_method=E&_method=F&_method=G&_method=H", []string{"GET", "A", "B", "C", "D", "E", "F", "G"}, false, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, anyMethod, tooMany := RequestLineMethods(tc.method, tc.target)
			if diff := cmp.Diff(tc.want, got); diff != "" || anyMethod != tc.anyMethod || tooMany != tc.tooMany {
				t.Errorf("any %v, too many %v, methods (-want +got):\n%s", anyMethod, tooMany, diff)
			}
		})
	}
}

func TestFormName(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{"a%zz", "a%zz"},
		{"%", "%"},
		{"%4", "%4"},
		{"%41%", "A%"},
		{"a+b%2B", "a b+"},
		{"%u0041%u00e9%uD83D", "Aé\uFFFD"},
		{"%u004", "%u004"},
		{"%%41", "%A"},
	} {
		if got := formName(tc.in); got != tc.want {
			t.Errorf("formName(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
	rapid.Check(t, func(t *rapid.T) {
		s := rapid.StringOf(rapid.SampledFrom([]rune("%+aZ09_.u\x00é"))).Draw(t, "name")
		if want, err := url.QueryUnescape(s); err == nil {
			if got := formName(s); got != want {
				t.Fatalf("formName(%q) = %q, url.QueryUnescape says %q", s, got, want)
			}
		}
	})
}

func TestSources(t *testing.T) {
	type got struct {
		Methods, Targets []string
		Every            string
		Overflow         bool
	}
	for _, tc := range []struct {
		name   string
		target string
		header http.Header
		want   got
	}{
		{"none", "/a", nil, got{[]string{"GET"}, []string{"/a"}, "", false}},
		{"override upper-cased", "/a", http.Header{"X-Http-Method-Override": {"delete"}},
			got{[]string{"GET", "delete", "DELETE"}, []string{"/a"}, "", false}},
		{"proxy method exact", "/a", http.Header{"X-Original-Method": {"get"}}, got{[]string{"GET", "get"}, []string{"/a"}, "", false}},
		{"spellings", "/a", http.Header{"X_http_method_override": {"PUT"}, "x-method-override": {"PATCH"}},
			got{[]string{"GET", "PATCH", "PUT"}, []string{"/a"}, "", false}},
		{"targets and their queries", "/a?_method=PUT", http.Header{"X-Original-Url": {"http://h/b?x=1&%5Fmethod=PATCH"}, "X-Rewrite-Url": {"/a?_method=PUT"}},
			got{[]string{"GET", "PATCH", "PUT"}, []string{"/a?_method=PUT", "http://h/b?x=1&%5Fmethod=PATCH"}, "", false}},
		{"post", "/a", http.Header{"X-Http-Method": {"POST"}}, got{[]string{"GET", "POST"}, []string{"/a"}, "POST body", false}},
		{"undecodable _method", "/a?_method=%zz", nil, got{[]string{"GET"}, []string{"/a?_method=%zz"}, "_method", false}},
		{"other headers", "/a", http.Header{"X-Forwarded-Host": {"h"}, "Accept": {"*/*"}, "X-Original-Urls": {"/b"}},
			got{[]string{"GET"}, []string{"/a"}, "", false}},
		{"WebDAV's Destination", "/a", http.Header{"Destination": {"http://h/b"}}, got{[]string{"GET"}, []string{"/a", "http://h/b"}, "", false}},
		{"the request's method upper-cased", "/a?__METHOD_OVERRIDE__=trace", nil, got{[]string{"GET", "trace", "TRACE"}, []string{"/a?__METHOD_OVERRIDE__=trace"}, "", false}},
		{"joined with commas", "/a", http.Header{"X-Original-Url": {"/b,/c , /d"}},
			got{[]string{"GET"}, []string{"/a", "/b,/c , /d", "/b", "/c", "/d"}, "", false}},
		{"joined methods", "/a", http.Header{"X-Http-Method-Override": {"get,\tdelete,"}},
			got{[]string{"GET", "get,\tdelete,", "GET,\tDELETE,", "get", "delete", "DELETE", ""}, []string{"/a"}, "", false}},
		{"the proxy's own, whole", "/a,/b", http.Header{"X-Original-Uri": {"/a,/b", "/c,/d"}, "X-Original-Method": {"GET,PUT"}},
			got{[]string{"GET", "GET,PUT"}, []string{"/a,/b", "/c,/d", "/c", "/d"}, "", false}},
		{"too many", "/a", http.Header{"X-Http-Method": {"A", "B", "C", "D", "E", "F", "G", "H"}},
			got{[]string{"GET", "A", "B", "C", "D", "E", "F", "G"}, []string{"/a"}, "", true}},
	} {
		var s sources
		s.addMethod("", "GET")
		s.addTarget("", tc.target)
		s.collect(tc.header, [2]string{"X-Original-Method", "X-Original-Uri"}, nil)
		var g got
		for _, m := range s.methods[:s.nm] {
			g.Methods = append(g.Methods, m.value)
		}
		for _, m := range s.targets[:s.nt] {
			g.Targets = append(g.Targets, m.value)
		}
		g.Every, g.Overflow = s.every, s.overflow
		// Header order is a map's: compare methods past the first as a set.
		sortTail := func(x []string) {
			if len(x) > 1 {
				tail := x[1:]
				for i := range tail {
					for j := i + 1; j < len(tail); j++ {
						if tail[j] < tail[i] {
							tail[i], tail[j] = tail[j], tail[i]
						}
					}
				}
			}
		}
		if len(tc.header) > 1 {
			sortTail(g.Methods)
			sortTail(tc.want.Methods)
		}
		if diff := cmp.Diff(tc.want, g); diff != "" {
			t.Errorf("%s (-want +got):\n%s", tc.name, diff)
		}
	}
}

// Deciding makes no allocation when no source needs decoding.
func TestDecideAllocs(t *testing.T) {
	m, err := match.CompileString(".:config/** *:webhooks/**")
	if err != nil {
		t.Fatal(err)
	}
	c := config{tenants: []func(*http.Request) (string, bool){acme}}
	h := http.Header{"Accept": {"*/*"}, "User-Agent": {"x"}, "X-Request-Id": {"1"}, "X-Forwarded-Uri": {"/acme/webhooks/s1?a=1"},
		"X-Http-Method-Override": {"PUT"}}
	rq := request{method: "DELETE", target: "/acme/webhooks/s1?a=1&_method=PATCH", tenant: "acme", hasTenant: true}
	for _, explain := range []bool{false, true} {
		var d Decision
		if c.decide(&d, m, h, rq, explain); !d.Allowed {
			t.Fatalf("denied: %+v", d)
		}
		if n := testing.AllocsPerRun(100, func() { d = Decision{}; c.decide(&d, m, h, rq, explain) }); n != 0 {
			t.Errorf("decide (explain %v) makes %v allocations, want 0", explain, n)
		}
	}
}

// AuthRequest reads each proxy's own source, and nothing else as that.
func TestAuthRequestProxies(t *testing.T) {
	v := claimTokens{"acme-token": {"tenant": "acme", "scope": ".:config/** *:webhooks/**"}, "tenant-7": {"tenant": 7.0, "scope": "*:**"}}
	cache, _ := match.NewCache(16)
	tok, noTenant := "Bearer acme-token", "Bearer tenant-7"
	var last Decision
	hook := WithHook(func(r *http.Request, d Decision) { last = d })
	type want struct {
		Status  int
		Why     string
		Target  string
		Path    string
		Other   Source
		Allowed bool
	}
	for _, tc := range []struct {
		name   string
		proxy  Proxy
		line   string // "METHOD target" of the subrequest
		header http.Header
		want   want
	}{
		{"nginx", Nginx(), "GET /auth", http.Header{"X-Original-Method": {"DELETE"}, "X-Original-Uri": {"/acme/webhooks/s1?x=1"}},
			want{200, "granted", "/acme/webhooks/s1", "/webhooks/s1", Source{}, true}},
		{"nginx ignores the request line", Nginx(), "DELETE /acme/config/x", http.Header{"X-Original-Method": {"GET"}, "X-Original-Uri": {"/acme/config/x"}},
			want{200, "granted", "/acme/config/x", "/config/x", Source{}, true}},
		{"nginx, two URIs", Nginx(), "GET /auth", http.Header{"X-Original-Method": {"DELETE"}, "X-Original-Uri": {"/acme/webhooks/s1", "/acme/config/x"}},
			want{403, "conflicting-source", "/acme/webhooks/s1", "/webhooks/s1", Source{"X-Original-Uri", "DELETE", "/acme/config/x"}, false}},
		{"nginx, its own URI with a comma", Nginx(), "GET /auth", http.Header{"X-Original-Method": {"GET"}, "X-Original-Uri": {"/acme/config/a,/othercorp/b"}},
			want{200, "granted", "/acme/config/a,/othercorp/b", "/config/a,/othercorp/b", Source{}, true}},
		{"nginx, two URIs joined with a comma", Nginx(), "GET /auth", http.Header{"X-Original-Method": {"DELETE"}, "X-Original-Uri": {"/acme/webhooks/s1", "/acme/webhooks/s1,/acme/config/x"}},
			want{403, "conflicting-source", "/acme/webhooks/s1", "/webhooks/s1", Source{"X-Original-Uri", "DELETE", "/acme/config/x"}, false}},
		{"nginx, Caddy's header from a client", Nginx(), "GET /auth", http.Header{"X-Original-Method": {"DELETE"}, "X-Original-Uri": {"/acme/webhooks/s1"}, "X-Forwarded-Uri": {"/acme/config/x"}},
			want{403, "conflicting-source", "/acme/webhooks/s1", "/webhooks/s1", Source{"X-Forwarded-Uri", "DELETE", "/acme/config/x"}, false}},
		{"nginx, no URI", Nginx(), "GET /auth", http.Header{"X-Original-Method": {"GET"}},
			want{403, "no-target", "", "", Source{}, false}},
		{"ingress-nginx", IngressNginx(), "GET /auth", http.Header{"X-Original-Method": {"GET"}, "X-Original-Url": {"https://api.example.com/acme/config/x?y"},
			"X-Auth-Request-Redirect": {"/acme/config/x?y"}, "X-Sent-From": {"nginx-ingress-controller"}},
			want{200, "granted", "/acme/config/x", "/config/x", Source{}, true}},
		{"ingress-nginx, Host with ?", IngressNginx(), "GET /auth", http.Header{"X-Original-Method": {"GET"}, "X-Original-Url": {"https://api?/acme/config/x"}},
			want{403, "not-canonical", "", "", Source{}, false}},
		{"ingress-nginx with auth-method", IngressNginx(), "POST /auth", http.Header{"X-Original-Method": {"GET"}, "X-Original-Url": {"https://api/acme/config/x"}, "X-Original-Uri": {"/acme/config/x"}},
			want{200, "granted", "/acme/config/x", "/config/x", Source{}, true}},
		{"traefik", Traefik(), "GET /auth", http.Header{"X-Forwarded-Method": {"PUT"}, "X-Forwarded-Uri": {"/acme/config/x"}, "X-Forwarded-Host": {"api"}, "X-Forwarded-Proto": {"https"}},
			want{403, "read-only", "/acme/config/x", "/config/x", Source{}, false}},
		{"traefik, X-Original-URI from the client", Traefik(), "GET /auth", http.Header{"X-Forwarded-Method": {"GET"}, "X-Forwarded-Uri": {"/acme/config/x"}, "X-Original-Uri": {"/othercorp/config/x"}},
			want{403, "conflicting-source", "/acme/config/x", "/config/x", Source{"X-Original-Uri", "GET", "/othercorp/config/x"}, false}},
		{"caddy", Caddy(), "GET /auth", http.Header{"X-Forwarded-Method": {"GET"}, "X-Forwarded-Uri": {"/acme/config/x"}},
			want{200, "granted", "/acme/config/x", "/config/x", Source{}, true}},
		{"caddy, POST", Caddy(), "GET /auth", http.Header{"X-Forwarded-Method": {"POST"}, "X-Forwarded-Uri": {"/acme/webhooks/x"}},
			want{200, "granted", "/acme/webhooks/x", "/webhooks/x", Source{}, true}},
		{"envoy", Envoy("/auth"), "PATCH /auth/acme/webhooks/x?y=1", http.Header{"Content-Length": {"0"}},
			want{200, "granted", "/acme/webhooks/x", "/webhooks/x", Source{}, true}},
		{"envoy, override", Envoy("/auth"), "GET /auth/acme/config/x", http.Header{"X-Http-Method-Override": {"PATCH"}},
			want{403, "conflicting-source", "/acme/config/x", "/config/x", Source{"X-Http-Method-Override", "PATCH", "/acme/config/x"}, false}},
		{"envoy, X-Original-URL lines joined as Envoy joins them", Envoy("/auth"), "DELETE /auth/acme/webhooks/x", http.Header{"X-Original-Url": {"/acme/webhooks/x,/acme/config/clients/c1"}},
			want{403, "conflicting-source", "/acme/webhooks/x", "/webhooks/x", Source{"X-Original-Url", "DELETE", "/acme/config/clients/c1"}, false}},
		{"envoy, another tenant after a comma", Envoy("/auth"), "GET /auth/acme/config/x", http.Header{"X-Forwarded-Uri": {"/acme/config/x,/othercorp/config/x"}},
			want{403, "conflicting-source", "/acme/config/x", "/config/x", Source{"X-Forwarded-Uri", "GET", "/othercorp/config/x"}, false}},
		{"envoy, overrides joined", Envoy("/auth"), "GET /auth/acme/config/x", http.Header{"X-Http-Method-Override": {"GET,DELETE"}},
			want{403, "conflicting-source", "/acme/config/x", "/config/x", Source{"X-Http-Method-Override", "GET,DELETE", "/acme/config/x"}, false}},
		{"envoy, its own target with a comma", Envoy("/auth"), "GET /auth/acme/config/a,b", nil,
			want{200, "granted", "/acme/config/a,b", "/config/a,b", Source{}, true}},
		{"envoy, not under the prefix", Envoy("/auth"), "GET /authacme/config/x", nil, want{403, "no-target", "", "", Source{}, false}},
		{"envoy, X-Original-URI is no source of its", Envoy("/auth"), "GET /auth/acme/config/x", http.Header{"X-Original-Method": {"GET"}, "X-Original-Uri": {"/acme/config/x"}},
			want{200, "granted", "/acme/config/x", "/config/x", Source{}, true}},
		{"zero proxy", Proxy{}, "GET /acme/config/x", http.Header{"X-Original-Method": {"GET"}, "X-Original-Uri": {"/acme/config/x"}},
			want{403, "no-target", "", "", Source{}, false}},
	} {
		method, target, _ := strings.Cut(tc.line, " ")
		r := httptest.NewRequest(method, target, nil)
		for k, v := range tc.header {
			r.Header[k] = v
		}
		r.Header.Set("Authorization", tok)
		w := httptest.NewRecorder()
		last = Decision{}
		AuthRequest(cache, v, tc.proxy, hook, TenantClaim("tenant")).ServeHTTP(w, r)
		got := want{w.Code, last.Why(), last.Target, last.Path, last.Other, last.Allowed}
		if diff := cmp.Diff(tc.want, got); diff != "" {
			t.Errorf("%s (-want +got):\n%s", tc.name, diff)
		}
	}

	// A token whose tenant claim is not a string has no tenant.
	r := httptest.NewRequest("GET", "/auth", nil)
	r.Header = http.Header{"Authorization": {noTenant}, "X-Original-Method": {"GET"}, "X-Original-Uri": {"/acme/config/x"}}
	w := httptest.NewRecorder()
	AuthRequest(cache, v, Nginx(), hook, TenantClaim("tenant")).ServeHTTP(w, r)
	if w.Code != 403 || last.Refusal != NoTenant {
		t.Errorf("a numeric tenant claim: %d, %v; want 403, no-tenant", w.Code, last.Why())
	}
}

// A tenant is plain: the segment can equal it only as it is spelled, so a
// tenant that holds an escape (which an upstream decodes) is none.
func TestTenant(t *testing.T) {
	for _, tc := range []struct {
		tenant string
		valid  bool
	}{
		{"acme", true}, {"ACME", true}, {"x~y.z_1-2", true}, {"a..b", true}, {"1", true},
		{"", false}, {".", false}, {"..", false}, {"%61cme", false}, {"acme%2e", false}, {"a/b", false},
		{"a b", false}, {"a;b", false}, {"a+b", false}, {"a:b", false}, {"é", false}, {"acme\x00", false},
	} {
		if got := ValidTenant(tc.tenant); got != tc.valid {
			t.Errorf("ValidTenant(%q) = %v, want %v", tc.tenant, got, tc.valid)
		}
	}
	for _, tc := range []struct {
		name, tenant, target string
		fixed                bool // the mount is bound to "acme" too
		want                 decided
	}{
		{"plain", "acme", "/acme/config/clients/c1", false, decided{200, "granted"}},
		{"an escaped tenant", "%61cme", "/%61cme/config/clients/c1", false, decided{403, "no-tenant"}},
		{"an escaped tenant, the plain segment", "%61cme", "/acme/config/clients/c1", false, decided{403, "no-tenant"}},
		{"case counts", "ACME", "/ACME/config/clients/c1", false, decided{200, "granted"}},
		{"case counts, another", "ACME", "/acme/config/clients/c1", false, decided{403, "wrong-tenant"}},
		{"a tenant with a space", "a b", "/a%20b/config/clients/c1", false, decided{403, "no-tenant"}},
		{"a tenant with a sub-delimiter", "a+b", "/a+b/config/clients/c1", false, decided{403, "no-tenant"}},
		// A fixed tenant and the token's bind the mount together: the
		// segment must be the fixed tenant, and so must the token's.
		{"fixed, the token of the tenant", "acme", "/acme/config/x", true, decided{200, "granted"}},
		{"fixed, a token of another tenant", "othercorp", "/acme/config/x", true, decided{403, "wrong-tenant"}},
		{"fixed, a token of another tenant, on its own segment", "othercorp", "/othercorp/config/x", true, decided{403, "wrong-tenant"}},
		{"fixed, a token without a tenant", "", "/acme/config/x", true, decided{403, "no-tenant"}},
		{"fixed, a token of an escaped tenant", "%61cme", "/acme/config/x", true, decided{403, "no-tenant"}},
		{"fixed, the token of the tenant, another segment", "acme", "/othercorp/config/x", true, decided{403, "wrong-tenant"}},
	} {
		var opts []Option
		if tc.fixed {
			opts = append(opts, TenantSegment(acme))
		}
		tenant := tc.tenant
		mw, ar := decideBoth("*:**", "DELETE", tc.target, nil, opts, &tenant)
		if diff := cmp.Diff([2]decided{tc.want, tc.want}, [2]decided{mw, ar}); diff != "" {
			t.Errorf("%s: [Middleware, AuthRequest] (-want +got):\n%s", tc.name, diff)
		}
	}
}

// decided is a request's answer, and the reason the hook saw.
type decided struct {
	Status int
	Why    string
}

// decideBoth decides a request with Middleware and with AuthRequest behind
// nginx, both with opts and the token's scope; with a tenant, Middleware
// binds the mount to it (TenantSegment) and AuthRequest to the token's
// claim "tenant", which is that tenant ("" for none).
func decideBoth(scope, method, target string, header http.Header, opts []Option, tenant *string) (mw, ar decided) {
	var seen Decision
	opts = append(opts[:len(opts):len(opts)], WithHook(func(_ *http.Request, d Decision) { seen = d }))
	cache, _ := match.NewCache(1 << 20)
	mwOpts, claim, aopts := opts, "", []Option(nil)
	if tenant != nil {
		t := *tenant
		mwOpts = append(opts[:len(opts):len(opts)], TenantSegment(func(*http.Request) (string, bool) { return t, t != "" }))
		claim, aopts = t, []Option{TenantClaim("tenant")}
	}
	w := httptest.NewRecorder()
	Middleware(cache, func(*http.Request) (string, bool) { return scope, true }, mwOpts...)(ok200).
		ServeHTTP(w, &http.Request{Method: method, RequestURI: target, Header: header.Clone()})
	mw = decided{w.Code, seen.Why()}

	h := header.Clone()
	if h == nil {
		h = http.Header{}
	}
	h.Set("Authorization", "Bearer t")
	h.Set("X-Original-Method", method)
	h.Set("X-Original-Uri", target)
	w = httptest.NewRecorder()
	AuthRequest(cache, fixedTokens{scope, claim}, Nginx(), append(opts, aopts...)...).ServeHTTP(w, &http.Request{Method: "GET", RequestURI: "/auth", Header: h})
	return mw, decided{w.Code, seen.Why()}
}

// Options that exclude each other are a programming error.
func TestOptionConflicts(t *testing.T) {
	cache, _ := match.NewCache(1)
	scopeOf := func(*http.Request) (string, bool) { return "", true }
	for _, tc := range []struct {
		name string
		f    func()
	}{
		{"tenant and unsafe strip", func() { Middleware(cache, scopeOf, TenantSegment(acme), UnsafeStripSegments(1)) }},
		{"negative strip", func() { Middleware(cache, scopeOf, UnsafeStripSegments(-1)) }},
		{"claim without claims", func() { AuthRequest(cache, scopeOnly{}, Nginx(), TenantClaim("t")) }},
		{"claim in Middleware", func() { Middleware(cache, scopeOf, TenantClaim("t")) }},
		{"upgrade to h2c", func() { Middleware(cache, scopeOf, AllowUpgrade("websocket", "H2C")) }},
		{"upgrade to no protocol", func() { AuthRequest(cache, fixedTokens{}, Nginx(), AllowUpgrade("")) }},
		{"upgrade to no token", func() { Middleware(cache, scopeOf, AllowUpgrade("web socket")) }},
	} {
		func() {
			defer func() {
				if recover() == nil {
					t.Errorf("%s: no panic", tc.name)
				}
			}()
			tc.f()
		}()
	}
}

// scopeOnly is a Tokens that gives no claims.
type scopeOnly struct{}

func (scopeOnly) Scope(context.Context, string) (string, error) { return "*:**", nil }
