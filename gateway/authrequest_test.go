package gateway

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"fmt"
	"net/http"
	"net/http/httptest"
	"sync/atomic"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"
	"github.com/google/go-cmp/cmp"

	"github.com/scopecheck/scopecheck/internal/testjwt"
	"github.com/scopecheck/scopecheck/match"
)

func TestJWT(t *testing.T) {
	s := testjwt.New(t)
	v, err := NewJWT(s.JWKS, JWTOptions{Issuer: "https://idp.example", Audience: "config-api"})
	if err != nil {
		t.Fatal(err)
	}
	now := time.Now()
	good := jwt.MapClaims{"iss": "https://idp.example", "aud": "config-api", "exp": now.Add(time.Hour).Unix(), "scope": "*:config/**"}
	with := func(k string, val any) jwt.MapClaims {
		c := jwt.MapClaims{}
		for kk, vv := range good {
			c[kk] = vv
		}
		if val == nil {
			delete(c, k)
		} else {
			c[k] = val
		}
		return c
	}
	other := testjwt.New(t)
	ec, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	ecTok, _ := jwt.NewWithClaims(jwt.SigningMethodES256, good).SignedString(ec)
	hsTok, _ := jwt.NewWithClaims(jwt.SigningMethodHS256, good).SignedString(s.JWKS)
	tests := []struct {
		name, token, scope string
		ok                 bool
	}{
		{"valid", s.Token(t, good), "*:config/**", true},
		{"no scope claim", s.Token(t, with("scope", nil)), "", false},
		{"scp", s.Token(t, jwt.MapClaims{"iss": "https://idp.example", "aud": "config-api", "exp": now.Add(time.Hour).Unix(), "scp": []string{"*:a", ".:b"}}), "*:a .:b", true},
		{"expired", s.Token(t, with("exp", now.Add(-time.Hour).Unix())), "", false},
		{"no exp", s.Token(t, with("exp", nil)), "", false},
		{"not yet valid", s.Token(t, with("nbf", now.Add(time.Hour).Unix())), "", false},
		{"wrong issuer", s.Token(t, with("iss", "https://evil.example")), "", false},
		{"wrong audience", s.Token(t, with("aud", "other")), "", false},
		{"other key", other.Token(t, good), "", false},
		{"unknown algorithm key", ecTok, "", false},
		{"HMAC with the public key", hsTok, "", false},
		{"garbage", "a.b.c", "", false},
	}
	for _, tc := range tests {
		got, err := v.Scope(context.Background(), tc.token)
		if (err == nil) != tc.ok || got != tc.scope {
			t.Errorf("%s: Scope = %q, %v; want %q, ok %v", tc.name, got, err, tc.scope, tc.ok)
		}
	}
}

func TestIntrospection(t *testing.T) {
	var calls atomic.Int32
	exp := time.Now().Add(time.Hour).Unix()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		calls.Add(1)
		id, secret, ok := r.BasicAuth()
		if !ok || id != "gw" || secret != "s3cret" || r.Method != http.MethodPost {
			http.Error(w, "unauthorized", http.StatusUnauthorized)
			return
		}
		switch r.PostFormValue("token") {
		case "good":
			fmt.Fprintf(w, `{"active": true, "scope": ".:config/**", "exp": %d}`, exp)
		case "inactive":
			fmt.Fprint(w, `{"active": false}`)
		case "stale":
			fmt.Fprint(w, `{"active": true, "scope": "*:**", "exp": 1}`)
		default:
			fmt.Fprint(w, `not json`)
		}
	}))
	defer srv.Close()
	in := NewIntrospection(srv.URL, "gw", "s3cret", 16)
	for i := 0; i < 3; i++ {
		if s, err := in.Scope(context.Background(), "good"); err != nil || s != ".:config/**" {
			t.Fatalf("good token: %q, %v", s, err)
		}
	}
	if calls.Load() != 1 {
		t.Errorf("the endpoint was asked %d times for one token; the answer should be cached", calls.Load())
	}
	for _, tok := range []string{"inactive", "stale", "garbage"} {
		if s, err := in.Scope(context.Background(), tok); err == nil {
			t.Errorf("%s token gave %q", tok, s)
		}
	}
	bad := NewIntrospection(srv.URL, "gw", "wrong", 16)
	if _, err := bad.Scope(context.Background(), "good"); err == nil {
		t.Error("a refused introspection gave a scope")
	}
	down := NewIntrospection("http://127.0.0.1:1/introspect", "gw", "s3cret", 16)
	if _, err := down.Scope(context.Background(), "good"); err == nil {
		t.Error("an unreachable endpoint gave a scope")
	}
}

func TestAuthRequest(t *testing.T) {
	s := testjwt.New(t)
	v, err := NewJWT(s.JWKS, JWTOptions{})
	if err != nil {
		t.Fatal(err)
	}
	cache, _ := match.NewCache(1 << 20)
	var seen []string
	h := AuthRequest(cache, v, []Option{StripSegments(1), WithHook(func(r *http.Request, d Decision) {
		seen = append(seen, fmt.Sprintf("%s %s %v %v", d.Method, d.Path, d.Allowed, d.NoToken))
	})})
	tok := s.Token(t, jwt.MapClaims{"exp": time.Now().Add(time.Hour).Unix(), "scope": ".:config/** *:webhooks/**"})
	expired := s.Token(t, jwt.MapClaims{"exp": time.Now().Add(-time.Hour).Unix(), "scope": "*:**"})
	type result struct {
		Status    int
		Challenge string
	}
	tests := []struct {
		name, auth, method, uri string
		want                    result
	}{
		{"allowed", "Bearer " + tok, "GET", "/acme/config/clients?limit=5", result{200, ""}},
		{"write", "Bearer " + tok, "POST", "/acme/webhooks/subscriptions", result{200, ""}},
		{"read-only", "Bearer " + tok, "PUT", "/acme/config/clients/c1", result{403, `Bearer error="insufficient_scope", scope="*:config/clients/c1"`}},
		{"escaped dots", "Bearer " + tok, "GET", "/acme/webhooks/%2e%2e/config", result{403, `Bearer error="insufficient_scope"`}},
		{"no token", "", "GET", "/acme/config/x", result{401, `Bearer error="invalid_token"`}},
		{"not bearer", "Basic Zm9vOmJhcg==", "GET", "/acme/config/x", result{401, `Bearer error="invalid_token"`}},
		{"expired token", "Bearer " + expired, "GET", "/acme/config/x", result{401, `Bearer error="invalid_token"`}},
		{"no original URI", "Bearer " + tok, "GET", "", result{403, ""}},
		{"no original method", "Bearer " + tok, "", "/acme/config/x", result{403, ""}},
	}
	for _, tc := range tests {
		r := httptest.NewRequest("GET", "/auth", nil)
		if tc.auth != "" {
			r.Header.Set("Authorization", tc.auth)
		}
		if tc.method != "" {
			r.Header.Set("X-Original-Method", tc.method)
		}
		if tc.uri != "" {
			r.Header.Set("X-Original-URI", tc.uri)
		}
		w := httptest.NewRecorder()
		h.ServeHTTP(w, r)
		if diff := cmp.Diff(tc.want, result{w.Code, w.Header().Get("WWW-Authenticate")}); diff != "" {
			t.Errorf("%s (-want +got):\n%s", tc.name, diff)
		}
	}
	if len(seen) != len(tests) {
		t.Errorf("the hook saw %d decisions for %d requests: %q", len(seen), len(tests), seen)
	}
}

// A verified token is kept until its exp, and not a moment longer.
func TestJWTVerifiedCache(t *testing.T) {
	s := testjwt.New(t)
	v, err := NewJWT(s.JWKS, JWTOptions{})
	if err != nil {
		t.Fatal(err)
	}
	now := time.Now()
	v.now = func() time.Time { return now }
	tok := s.Token(t, jwt.MapClaims{"exp": now.Add(time.Minute).Unix(), "scope": ".:a"})
	for i := 0; i < 2; i++ {
		if got, err := v.Scope(context.Background(), tok); err != nil || got != ".:a" {
			t.Fatalf("Scope = %q, %v", got, err)
		}
	}
	if v.verified.Len() != 1 {
		t.Errorf("%d verified tokens kept, want 1", v.verified.Len())
	}
	now = now.Add(2 * time.Minute) // past exp: the cache must not answer, and the parser refuses it
	v.now = func() time.Time { return now }
	v.parser = jwt.NewParser(jwt.WithValidMethods(asymmetric), jwt.WithExpirationRequired(), jwt.WithTimeFunc(func() time.Time { return now }))
	if got, err := v.Scope(context.Background(), tok); err == nil {
		t.Errorf("an expired token gave %q from the cache", got)
	}
}
