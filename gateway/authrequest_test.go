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
	v := claimTokens{"good": {"scope": ".:config/** *:webhooks/**"}}
	cache, _ := match.NewCache(1 << 20)
	var seen []string
	h := AuthRequest(cache, v, Nginx(), TenantSegment(acme), WithHook(func(r *http.Request, d Decision) {
		seen = append(seen, fmt.Sprintf("%s %s %v %v", d.Method, d.Path, d.Allowed, d.NoToken))
	}))
	tok, expired := "good", "expired" // claimTokens knows no expired token
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
		{"unknown token", "Bearer " + expired, "GET", "/acme/config/x", result{401, `Bearer error="invalid_token"`}},
		{"no original URI", "Bearer " + tok, "GET", "", result{403, `Bearer error="insufficient_scope"`}},
		{"no original method", "Bearer " + tok, "", "/acme/config/x", result{403, `Bearer error="insufficient_scope"`}},
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
