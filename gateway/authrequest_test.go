package gateway

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/scopecheck/scopecheck/match"
)

func TestAuthRequest(t *testing.T) {
	v := claimTokens{"good": {"scope": ".:config/** *:webhooks/**", "client_id": "reporter"}}
	cache, _ := match.NewCache(1 << 20)
	var seen []string
	var client any // the client the hook read from the last decision's claims
	h := AuthRequest(cache, v, Nginx(), TenantSegment(acme), WithHook(func(r *http.Request, d Decision) {
		seen = append(seen, fmt.Sprintf("%s %s %v %v", d.Method, d.Path, d.Allowed, d.NoToken))
		client = d.Claims["client_id"]
	}))
	tok, expired := "good", "expired" // claimTokens knows no expired token
	// Client is the verified token's client_id, from Decision.Claims; nil
	// before a token has verified.
	type result struct {
		Status    int
		Challenge string
		Client    any
	}
	tests := []struct {
		name, auth, method, uri string
		want                    result
	}{
		{"allowed", "Bearer " + tok, "GET", "/acme/config/clients?limit=5", result{200, "", "reporter"}},
		{"write", "Bearer " + tok, "POST", "/acme/webhooks/subscriptions", result{200, "", "reporter"}},
		{"read-only", "Bearer " + tok, "PUT", "/acme/config/clients/c1", result{403, `Bearer error="insufficient_scope", scope="*:config/clients/c1"`, "reporter"}},
		{"escaped dots", "Bearer " + tok, "GET", "/acme/webhooks/%2e%2e/config", result{403, `Bearer error="insufficient_scope"`, "reporter"}},
		{"no token", "", "GET", "/acme/config/x", result{401, `Bearer error="invalid_token"`, nil}},
		{"not bearer", "Basic Zm9vOmJhcg==", "GET", "/acme/config/x", result{401, `Bearer error="invalid_token"`, nil}},
		{"unknown token", "Bearer " + expired, "GET", "/acme/config/x", result{401, `Bearer error="invalid_token"`, nil}},
		{"no original URI", "Bearer " + tok, "GET", "", result{403, `Bearer error="insufficient_scope"`, "reporter"}},
		{"no original method", "Bearer " + tok, "", "/acme/config/x", result{403, `Bearer error="insufficient_scope"`, "reporter"}},
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
		client = "not called"
		h.ServeHTTP(w, r)
		if diff := cmp.Diff(tc.want, result{w.Code, w.Header().Get("WWW-Authenticate"), client}); diff != "" {
			t.Errorf("%s (-want +got):\n%s", tc.name, diff)
		}
	}
	if len(seen) != len(tests) {
		t.Errorf("the hook saw %d decisions for %d requests: %q", len(seen), len(tests), seen)
	}
}
