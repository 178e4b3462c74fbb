package gateway

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"pgregory.net/rapid"

	"github.com/scopecheck/scopecheck/internal/oracle"
	"github.com/scopecheck/scopecheck/internal/scopegen"
	"github.com/scopecheck/scopecheck/match"
	"github.com/scopecheck/scopecheck/scope"
)

// fixedTokens accepts the token "t" and gives it a scope and a tenant
// claim.
type fixedTokens struct{ scope, tenant string }

func (f fixedTokens) Scope(_ context.Context, token string) (string, error) {
	if token != "t" {
		return "", errors.New("unknown token")
	}
	return f.scope, nil
}

func (f fixedTokens) Claims(ctx context.Context, token string) (string, map[string]any, error) {
	s, err := f.Scope(ctx, token)
	return s, map[string]any{"tenant": f.tenant, "n": 1.0}, err
}

// claimTokens accepts the tokens it holds, each with its claims, the
// scope among them.
type claimTokens map[string]map[string]any

func (c claimTokens) Scope(ctx context.Context, token string) (string, error) {
	s, _, err := c.Claims(ctx, token)
	return s, err
}

func (c claimTokens) Claims(_ context.Context, token string) (string, map[string]any, error) {
	claims, ok := c[token]
	if !ok {
		return "", nil, errors.New("unknown token")
	}
	s, _ := claims["scope"].(string)
	return s, claims, nil
}

// The proxies and how each hands the original request to AuthRequest.
var proxies = []struct {
	proxy Proxy
	// subrequest builds the subrequest of an original request, on top of
	// the client's headers, as the proxy would; it returns false when the
	// proxy cannot send such a request.
	subrequest func(method, target string, client http.Header) (*http.Request, oracle.Request, bool)
}{
	{Nginx(), viaHeaders("X-Original-Method", "X-Original-URI", "")},
	{IngressNginx(), viaHeaders("X-Original-Method", "X-Original-URL", "https://api.example.com")},
	{Traefik(), viaHeaders("X-Forwarded-Method", "X-Forwarded-Uri", "")},
	{Caddy(), viaHeaders("X-Forwarded-Method", "X-Forwarded-Uri", "")},
	{Envoy("/auth"), func(method, target string, client http.Header) (*http.Request, oracle.Request, bool) {
		if !strings.HasPrefix(target, "/") {
			return nil, oracle.Request{}, false // Envoy's :path is in origin form
		}
		h := client.Clone()
		h.Set("Authorization", "Bearer t")
		h.Set("Content-Length", "0")
		return &http.Request{Method: method, RequestURI: "/auth" + target, Header: h}, oracle.Request{Method: method, Target: target, Header: h}, true
	}},
}

// viaHeaders is a proxy that sets (replacing the client's) a method and a
// URI header, the URI after base.
func viaHeaders(methodHeader, uriHeader, base string) func(string, string, http.Header) (*http.Request, oracle.Request, bool) {
	return func(method, target string, client http.Header) (*http.Request, oracle.Request, bool) {
		if base != "" && strings.HasPrefix(target, "/") {
			target = base + target
		}
		h := client.Clone()
		h.Set("Authorization", "Bearer t")
		h.Set(methodHeader, method)
		h.Set(uriHeader, target)
		own := []string{http.CanonicalHeaderKey(methodHeader), http.CanonicalHeaderKey(uriHeader)}
		return &http.Request{Method: "GET", RequestURI: "/auth", Header: h}, oracle.Request{Method: method, Target: target, Header: h, Own: own}, true
	}
}

// TestAgreesWithOracle: on generated scopes, mounts and requests (targets
// with tricky mount segments, queries with "_method", absolute forms;
// headers of every source in several spellings), Middleware,
// TokenMiddleware and AuthRequest behind every proxy allow exactly what
// the oracle's reading of the language reference's "At the gateway"
// allows.
func TestAgreesWithOracle(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		// Wide items now and then, so that the sources, not the
		// patterns, decide.
		text := scopegen.String(4, 5).Draw(t, "scope") + rapid.SampledFrom([]string{"", "", " *:**", " .:**", " *:a/** .:**"}).Draw(t, "wide")
		set := scope.MustParse(text)
		var (
			opts  []Option
			aopts []Option
			mount oracle.Mount
		)
		// The tenant, usually plain, now and then a spelling that no
		// tenant may have (escaped, empty, a dot segment, a '/').
		tenant := "acme"
		if rapid.IntRange(0, 2).Draw(t, "other tenant") == 0 {
			tenant = rapid.SampledFrom([]string{"%61cme", "ac%20me", "ACME", "x~y.z_1-2", "", ".", "a/b", "a;b"}).Draw(t, "tenant")
		}
		tenantOf := TenantSegment(func(*http.Request) (string, bool) { return tenant, true })
		switch rapid.IntRange(0, 5).Draw(t, "mount") {
		case 1:
			opts = []Option{tenantOf}
			mount = oracle.Mount{Segments: 1, Bound: true, Tenants: []string{tenant}}
		case 2:
			aopts, mount = []Option{TenantClaim("tenant")}, oracle.Mount{Segments: 1, Bound: true, Tenants: []string{tenant}}
		case 4: // a fixed tenant and the token's claim
			opts, aopts = []Option{TenantSegment(acme)}, []Option{TenantClaim("tenant")}
			mount = oracle.Mount{Segments: 1, Bound: true, Tenants: []string{"acme", tenant}}
		case 5: // the same in Middleware: two TenantSegments
			opts = []Option{TenantSegment(acme), tenantOf}
			mount = oracle.Mount{Segments: 1, Bound: true, Tenants: []string{"acme", tenant}}
		case 3:
			opts, mount = []Option{UnsafeStripSegments(1)}, oracle.Mount{Segments: 1}
		}
		var read []string
		if rapid.Bool().Draw(t, "POST is read") {
			read = []string{"POST"}
		}
		if rapid.Bool().Draw(t, "hook") {
			opts = append(opts, WithHook(func(*http.Request, Decision) {}))
		}
		var upgrades []string
		if rapid.Bool().Draw(t, "websocket") {
			upgrades = []string{"websocket"}
			opts = append(opts, AllowUpgrade(upgrades...))
		}
		cache, err := match.NewCache(4, match.WithReadMethods(read...))
		if err != nil {
			t.Fatal(err)
		}
		method := scopegen.Method().Draw(t, "method")
		target := scopegen.Target(6).Draw(t, "target")
		if rest, ok := strings.CutPrefix(target, "/acme/"); ok {
			target = "/" + tenant + "/" + rest // the segment as the token's tenant is spelled
		}
		client := http.Header{}
		for k, vs := range scopegen.Headers(rapid.SampledFrom([]int{0, 0, 1, 3}).Draw(t, "max headers")).Draw(t, "headers") {
			client[http.CanonicalHeaderKey(k)] = vs
		}

		if len(aopts) == 0 {
			want := oracle.AllowRequest(set, mount, oracle.Request{Method: method, Target: target, Header: client, Upgrades: upgrades}, read...)
			h := Middleware(cache, func(*http.Request) (string, bool) { return text, true }, opts...)(ok200)
			w := httptest.NewRecorder()
			h.ServeHTTP(w, &http.Request{Method: method, RequestURI: target, Header: client.Clone()})
			if got := w.Code == http.StatusOK; got != want {
				t.Fatalf("Middleware: scope %q, %q %q, headers %q: allowed %v, oracle says %v", text, method, target, client, got, want)
			}
		}
		// TokenMiddleware: the same request, its token in Authorization.
		withToken := client.Clone()
		withToken.Set("Authorization", "Bearer t")
		want := oracle.AllowRequest(set, mount, oracle.Request{Method: method, Target: target, Header: withToken, Upgrades: upgrades}, read...)
		w := httptest.NewRecorder()
		TokenMiddleware(cache, fixedTokens{text, tenant}, append(opts, aopts...)...)(ok200).ServeHTTP(w, &http.Request{Method: method, RequestURI: target, Header: withToken.Clone()})
		if got := w.Code == http.StatusOK; got != want {
			t.Fatalf("TokenMiddleware: scope %q, %q %q, headers %q: allowed %v, oracle says %v", text, method, target, withToken, got, want)
		}
		for _, p := range proxies {
			r, orq, ok := p.subrequest(method, target, client)
			if !ok {
				continue
			}
			orq.Upgrades = upgrades
			want := oracle.AllowRequest(set, mount, orq, read...)
			w := httptest.NewRecorder()
			AuthRequest(cache, fixedTokens{text, tenant}, p.proxy, append(opts, aopts...)...).ServeHTTP(w, r)
			if got := w.Code == http.StatusOK; got != want {
				t.Fatalf("AuthRequest behind %s: scope %q, %q %q, headers %q: allowed %v, oracle says %v", p.proxy, text, orq.Method, orq.Target, r.Header, got, want)
			}
		}
	})
}

var ok200 = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(http.StatusOK) })
