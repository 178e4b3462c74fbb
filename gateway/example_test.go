package gateway_test

import (
	"context"
	"crypto/ed25519"
	"encoding/base64"
	"errors"
	"fmt"
	"log"
	"net/http"
	"net/http/httptest"
	"strings"
	"time"

	"github.com/golang-jwt/jwt/v5"

	"github.com/scopecheck/scopecheck/gateway"
	"github.com/scopecheck/scopecheck/gateway/token"
	"github.com/scopecheck/scopecheck/match"
)

// An API whose authentication step of its own has found the token's scope
// and tenant (here in headers that a verifying proxy sets): Middleware
// decides every request before the API sees it.
func ExampleMiddleware() {
	cache, err := match.NewCache(64 << 20) // 64 MiB of compiled scopes
	if err != nil {
		log.Fatal(err)
	}
	scopeOf := func(r *http.Request) (string, bool) {
		s := r.Header.Get("X-Token-Scope")
		return s, strings.TrimSpace(s) != ""
	}
	tenantOf := func(r *http.Request) (string, bool) {
		t := r.Header.Get("X-Token-Tenant")
		return t, t != ""
	}
	api := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { fmt.Fprintln(w, "configuration") })
	protect := gateway.Middleware(cache, scopeOf,
		gateway.TenantSegment(tenantOf), // mounted under /{customerId}, bound to the token's tenant
		gateway.WithHook(func(r *http.Request, d gateway.Decision) {
			fmt.Printf("%s %s (decided as %s): %s\n", d.Method, d.Target, d.Path, d.Why())
		}))
	h := protect(api)
	for _, target := range []string{"/acme/config/clients", "/acme/webhooks/s1", "/othercorp/config/clients", "/acme/config/%2e%2e/webhooks"} {
		r := httptest.NewRequest("GET", target, nil)
		r.Header.Set("X-Token-Scope", ".:config/**")
		r.Header.Set("X-Token-Tenant", "acme")
		w := httptest.NewRecorder()
		h.ServeHTTP(w, r)
		fmt.Println(w.Code)
	}
	// Output:
	// GET /acme/config/clients (decided as /config/clients): granted
	// 200
	// GET /acme/webhooks/s1 (decided as /webhooks/s1): no-match
	// 403
	// GET /othercorp/config/clients (decided as ): wrong-tenant
	// 403
	// GET /acme/config/%2e%2e/webhooks (decided as ): not-canonical
	// 403
}

// signer is an identity provider's Ed25519 key and its JWK Set.
func signer() (ed25519.PrivateKey, []byte) {
	key := ed25519.NewKeyFromSeed(make([]byte, ed25519.SeedSize))
	x := base64.RawURLEncoding.EncodeToString(key.Public().(ed25519.PublicKey))
	return key, []byte(`{"keys": [{"kty": "OKP", "crv": "Ed25519", "alg": "EdDSA", "kid": "k1", "x": "` + x + `"}]}`)
}

// An API that verifies its tokens itself: JWTs signed by the identity
// provider's keys, the mount bound to the token's "tenant" claim.
func ExampleTokenMiddleware() {
	key, jwks := signer() // a deployment fetches the JWKS: token.NewJWTFromURL
	tokens, err := token.NewJWT(jwks, token.JWTOptions{Issuer: "https://idp.example.com", Audience: "config-api"})
	if err != nil {
		log.Fatal(err)
	}
	defer tokens.Close()
	cache, _ := match.NewCache(64 << 20)
	api := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { fmt.Fprintln(w, "configuration") })
	h := gateway.TokenMiddleware(cache, tokens, gateway.TenantClaim("tenant"))(api)

	tok := jwt.NewWithClaims(jwt.SigningMethodEdDSA, jwt.MapClaims{"iss": "https://idp.example.com", "aud": "config-api",
		"exp": time.Now().Add(time.Hour).Unix(), "tenant": "acme", "scope": ".:config/** *:webhooks/**"})
	tok.Header["kid"] = "k1"
	bearer, _ := tok.SignedString(key)
	for _, req := range []struct{ method, target, auth string }{
		{"DELETE", "/acme/webhooks/s1", "Bearer " + bearer},
		{"PUT", "/acme/config/clients/c1", "Bearer " + bearer},
		{"GET", "/othercorp/config/clients", "Bearer " + bearer},
		{"GET", "/acme/config/clients", "Bearer not-a-jwt"},
	} {
		r := httptest.NewRequest(req.method, req.target, nil)
		r.Header.Set("Authorization", req.auth)
		w := httptest.NewRecorder()
		h.ServeHTTP(w, r)
		fmt.Println(strings.TrimSpace(fmt.Sprint(req.method, " ", req.target, " ", w.Code, " ", w.Header().Get("WWW-Authenticate"))))
	}
	// Output:
	// DELETE /acme/webhooks/s1 200
	// PUT /acme/config/clients/c1 403 Bearer error="insufficient_scope", scope="*:config/clients/c1"
	// GET /othercorp/config/clients 403 Bearer error="insufficient_scope"
	// GET /acme/config/clients 401 Bearer error="invalid_token"
}

// An authorization service behind Caddy's forward_auth, for an API under
// /{customerId} whose tokens carry the customer in a "tenant" claim.
func ExampleAuthRequest() {
	key, jwks := signer()
	tokens, err := token.NewJWT(jwks, token.JWTOptions{Issuer: "https://idp.example.com", Audience: "config-api"})
	if err != nil {
		log.Fatal(err)
	}
	cache, _ := match.NewCache(64 << 20)
	mux := http.NewServeMux()
	mux.Handle("/auth", gateway.AuthRequest(cache, tokens, gateway.Caddy(), gateway.TenantClaim("tenant")))

	tok := jwt.NewWithClaims(jwt.SigningMethodEdDSA, jwt.MapClaims{"iss": "https://idp.example.com", "aud": "config-api",
		"exp": time.Now().Add(time.Hour).Unix(), "tenant": "acme", "scope": "*:webhooks/**"})
	tok.Header["kid"] = "k1"
	bearer, _ := tok.SignedString(key)
	// Caddy's subrequests for POSTs: one the scope allows, the same with a
	// method override it allows too, and one under another path.
	for _, target := range []string{"/acme/webhooks/subscriptions", "/acme/webhooks/subscriptions?_method=PUT", "/acme/config/clients"} {
		r := httptest.NewRequest("GET", "/auth", nil)
		r.Header.Set("Authorization", "Bearer "+bearer)
		r.Header.Set("X-Forwarded-Method", "POST")
		r.Header.Set("X-Forwarded-Uri", target)
		w := httptest.NewRecorder()
		mux.ServeHTTP(w, r)
		fmt.Println(w.Code)
	}
	// Output:
	// 200
	// 200
	// 403
}

// A token verifier's errors say whether the token is bad or could not be
// checked at all.
func ExampleErrUnavailable() {
	in, _ := token.NewIntrospection("http://127.0.0.1:1/introspect", token.IntrospectionOptions{
		ClientID: "gateway", ClientSecret: "secret", Issuer: "https://idp.example.com", Audience: "config-api",
	})
	defer in.Close()
	var tokens gateway.Tokens = in
	_, err := tokens.Scope(context.Background(), "a-token")
	switch {
	case errors.Is(err, gateway.ErrUnavailable):
		fmt.Println("503: the introspection endpoint cannot be reached")
	case err != nil:
		fmt.Println("401: a bad token")
	}
	// Output: 503: the introspection endpoint cannot be reached
}
