package gateway

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"
	"github.com/google/go-cmp/cmp"

	"github.com/scopecheck/scopecheck/internal/testjwt"
	"github.com/scopecheck/scopecheck/match"
)

// An outage of the machinery (no key set loaded, introspection failing)
// is answered 503 without an invalid_token challenge, and the hook sees
// an error that wraps ErrUnavailable; a bad token stays 401.
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
		tokens Tokens
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
		var seen Decision
		cache, _ := match.NewCache(1 << 20)
		h := AuthRequest(cache, tc.tokens, Nginx(), []Option{WithHook(func(r *http.Request, d Decision) { seen = d })})
		r := httptest.NewRequest("GET", "/auth", nil)
		r.Header.Set("Authorization", "Bearer "+tc.token)
		r.Header.Set("X-Original-Method", "GET")
		r.Header.Set("X-Original-URI", "/config/x")
		w := httptest.NewRecorder()
		h.ServeHTTP(w, r)
		got := result{w.Code, w.Header().Get("WWW-Authenticate"), errors.Is(seen.TokenErr, ErrUnavailable)}
		if diff := cmp.Diff(tc.want, got); diff != "" {
			t.Errorf("%s (-want +got):\n%s", tc.name, diff)
		}
	}
}
