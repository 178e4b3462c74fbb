package token

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"
	"github.com/google/go-cmp/cmp"

	"github.com/scopecheck/scopecheck/gateway"
	"github.com/scopecheck/scopecheck/internal/testjwt"
	"github.com/scopecheck/scopecheck/match"
)

// An outage of the machinery (no key set loaded, introspection failing)
// is answered 503 without an invalid_token challenge, and the hook sees
// an error that wraps gateway.ErrUnavailable; a bad token stays 401.
func TestAuthRequestOutage(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	k1 := testjwt.New(t)
	down := httptest.NewServer(http.NotFoundHandler())
	down.Close()
	neverLoaded, err := NewJWTFromURL(ctx, down.URL, JWTOptions{Logger: discard()})
	if err != nil {
		t.Fatal(err)
	}
	loaded, _ := NewJWT(k1.JWKS, JWTOptions{})
	failing, _ := introspectionServer(t, func(token string) (int, string) {
		switch token {
		case "inactive":
			return 200, `{"active": false}`
		case "garbage":
			return 200, `{"active": true}trailing`
		}
		return 500, "internal error"
	})
	in := newTestIntrospection(t, failing.URL, IntrospectionOptions{})
	token := k1.Token(t, jwt.MapClaims{"exp": time.Now().Add(time.Hour).Unix(), "scope": "*:**"})
	type result struct {
		Status      int
		Challenge   string
		Unavailable bool
	}
	for _, tc := range []struct {
		name   string
		tokens gateway.Tokens
		token  string
		want   result
	}{
		{"no key set ever loaded", neverLoaded, token, result{503, "", true}},
		{"introspection 500", in, "tok", result{503, "", true}},
		{"introspection garbage", in, "garbage", result{503, "", true}},
		{"a bad JWT", loaded, "a.b.c", result{401, `Bearer error="invalid_token"`, false}},
		{"an inactive token", in, "inactive", result{401, `Bearer error="invalid_token"`, false}},
		{"a good JWT", loaded, token, result{200, "", false}},
	} {
		var seen gateway.Decision
		cache, _ := match.NewCache(1 << 20)
		opts := []gateway.Option{gateway.WithHook(func(r *http.Request, d gateway.Decision) { seen = d })}
		r := httptest.NewRequest("GET", "/auth", nil)
		r.Header.Set("Authorization", "Bearer "+tc.token)
		r.Header.Set("X-Original-Method", "GET")
		r.Header.Set("X-Original-URI", "/config/x")
		w := httptest.NewRecorder()
		gateway.AuthRequest(cache, tc.tokens, gateway.Nginx(), opts...).ServeHTTP(w, r)
		got := result{w.Code, w.Header().Get("WWW-Authenticate"), errors.Is(seen.TokenErr, gateway.ErrUnavailable)}
		if diff := cmp.Diff(tc.want, got); diff != "" {
			t.Errorf("%s: gateway.AuthRequest (-want +got):\n%s", tc.name, diff)
		}
		if want := map[bool]string{true: "unavailable"}[got.Unavailable]; want != "" && seen.Why() != want {
			t.Errorf("%s: the hook's reason is %q, want %q", tc.name, seen.Why(), want)
		}

		// The same token in the request itself, through gateway.TokenMiddleware.
		seen = gateway.Decision{}
		r = httptest.NewRequest("GET", "/config/x", nil)
		r.Header.Set("Authorization", "Bearer "+tc.token)
		w = httptest.NewRecorder()
		gateway.TokenMiddleware(cache, tc.tokens, opts...)(ok200).ServeHTTP(w, r)
		got = result{w.Code, w.Header().Get("WWW-Authenticate"), errors.Is(seen.TokenErr, gateway.ErrUnavailable)}
		if diff := cmp.Diff(tc.want, got); diff != "" {
			t.Errorf("%s: gateway.TokenMiddleware (-want +got):\n%s", tc.name, diff)
		}
	}
}

// gateway.TokenMiddleware decides as Middleware does, with the tenant of the
// token's claim, and passes only allowed requests on.
func TestTokenMiddleware(t *testing.T) {
	keys := testjwt.New(t)
	v, err := NewJWT(keys.JWKS, JWTOptions{})
	if err != nil {
		t.Fatal(err)
	}
	exp := time.Now().Add(time.Hour).Unix()
	acmeTok := keys.Token(t, jwt.MapClaims{"exp": exp, "tenant": "acme", "scope": ".:config/** *:webhooks/**"})
	otherTok := keys.Token(t, jwt.MapClaims{"exp": exp, "tenant": "othercorp", "scope": "*:**"})
	cache, _ := match.NewCache(1 << 20)
	var reached []string
	api := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { reached = append(reached, r.Method+" "+r.RequestURI) })
	h := gateway.TokenMiddleware(cache, v, gateway.TenantClaim("tenant"))(api)
	type result struct {
		Status    int
		Challenge string
	}
	for _, tc := range []struct {
		name, method, target string
		auth                 []string
		want                 result
	}{
		{"allowed", "DELETE", "/acme/webhooks/s1", []string{"Bearer " + acmeTok}, result{200, ""}},
		{"read-only", "PUT", "/acme/config/x", []string{"Bearer " + acmeTok}, result{403, `Bearer error="insufficient_scope", scope="*:config/x"`}},
		{"another tenant's token", "GET", "/acme/config/x", []string{"Bearer " + otherTok}, result{403, `Bearer error="insufficient_scope"`}},
		{"not canonical", "GET", "/acme/config/%2e%2e/x", []string{"Bearer " + acmeTok}, result{403, `Bearer error="insufficient_scope"`}},
		{"no token", "GET", "/acme/config/x", nil, result{401, `Bearer error="invalid_token"`}},
		{"two tokens", "GET", "/acme/config/x", []string{"Bearer " + acmeTok, "Bearer " + otherTok}, result{401, `Bearer error="invalid_token"`}},
		{"a bad token", "GET", "/acme/config/x", []string{"Bearer a.b.c"}, result{401, `Bearer error="invalid_token"`}},
	} {
		reached = nil
		r := httptest.NewRequest(tc.method, tc.target, nil)
		r.Header["Authorization"] = tc.auth
		w := httptest.NewRecorder()
		h.ServeHTTP(w, r)
		if diff := cmp.Diff(tc.want, result{w.Code, w.Header().Get("WWW-Authenticate")}); diff != "" {
			t.Errorf("%s (-want +got):\n%s", tc.name, diff)
		}
		if wantReached := tc.want.Status == 200; (len(reached) == 1) != wantReached {
			t.Errorf("%s: the API saw %v", tc.name, reached)
		}
	}
}

var ok200 = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(http.StatusOK) })

// While the JWKS URL fails, a token whose kid the set does not hold could
// be signed by a key the IdP has just published: every such token is an
// outage (503), the first that fetches and every other one the unknown-kid
// rate keeps from fetching, until a fetch succeeds; then an unknown kid
// is the token's fault again.
func TestUnknownKIDDuringOutage(t *testing.T) {
	k1, k2, k3 := testjwt.NewKID(t, "k1"), testjwt.NewKID(t, "k2"), testjwt.NewKID(t, "k3")
	idp := testjwt.NewEndpoint(t, http.StatusOK, k1.JWKS)
	serve := idp.Set
	ctx := context.Background()
	j, err := NewJWTFromURL(ctx, idp.URL, JWTOptions{Logger: discard(), RefreshInterval: time.Hour, UnknownKIDInterval: time.Hour})
	if err != nil {
		t.Fatal(err)
	}
	defer j.Close()
	for deadline := time.Now().Add(5 * time.Second); j.Ready() != nil; time.Sleep(10 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatal("the key set never loaded")
		}
	}
	claims := jwt.MapClaims{"exp": time.Now().Add(time.Hour).Unix(), "scope": "*:**"}
	tok1, tok2, tok3 := k1.Token(t, claims), k2.Token(t, claims), k3.Token(t, claims)
	type result struct {
		Unavailable bool
		Cause       string
	}
	for _, tc := range []struct {
		name  string
		setup func()
		token string
		want  result
	}{
		{"a known kid", nil, tok1, result{false, ""}},
		{"the IdP fails", func() { serve(http.StatusInternalServerError, []byte("down")); j.Reload(ctx) }, tok1, result{false, ""}},
		{"an unknown kid: the rate lets it fetch", nil, tok2, result{true, CauseUnavailable}},
		{"an unknown kid the rate keeps from fetching", nil, tok2, result{true, CauseUnavailable}},
		{"another unknown kid", nil, tok3, result{true, CauseUnavailable}},
		{"a fetch succeeds", func() { serve(http.StatusOK, testjwt.Set(t, k1, k2)); j.Reload(ctx) }, tok2, result{false, ""}},
		{"an unknown kid after it", nil, tok3, result{false, CauseUnknownKey}},
	} {
		if tc.setup != nil {
			tc.setup()
		}
		_, err := j.Scope(ctx, tc.token)
		got := result{errors.Is(err, gateway.ErrUnavailable), ""}
		if err != nil {
			got.Cause = Cause(err)
		}
		if diff := cmp.Diff(tc.want, got); diff != "" {
			t.Errorf("%s (-want +got):\n%s", tc.name, diff)
		}
	}
}
