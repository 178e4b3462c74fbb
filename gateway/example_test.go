package gateway_test

import (
	"log"
	"net/http"
	"strings"

	"github.com/scopecheck/scopecheck/gateway"
	"github.com/scopecheck/scopecheck/match"
)

func ExampleMiddleware() {
	cache, err := match.NewCache(10_000)
	if err != nil {
		log.Fatal(err)
	}
	// The token's scope and tenant, as an authentication step before this
	// one left them (here headers that a verifying proxy sets).
	scopeOf := func(r *http.Request) (string, bool) {
		s := r.Header.Get("X-Token-Scope")
		return s, strings.TrimSpace(s) != ""
	}
	tenantOf := func(r *http.Request) (string, bool) {
		t := r.Header.Get("X-Token-Tenant")
		return t, t != ""
	}
	api := http.NewServeMux() // the configuration API
	protect := gateway.Middleware(cache, scopeOf,
		gateway.TenantSegment(tenantOf), // mounted under /{customerId}, bound to the token's tenant
		gateway.WithHook(func(r *http.Request, d gateway.Decision) {
			if !d.Allowed {
				log.Printf("deny %s %s (decided as %s): %s %v", d.Method, d.Target, d.Path, d.Why(), d.Decision)
			}
		}))
	_ = http.ListenAndServe // http.ListenAndServe("127.0.0.1:8080", protect(api))
	_ = protect(api)
}

func ExampleAuthRequest() {
	cache, err := match.NewCache(10_000)
	if err != nil {
		log.Fatal(err)
	}
	jwks := []byte(`{"keys": []}`) // the identity provider's JSON Web Key Set
	tokens, err := gateway.NewJWT(jwks, gateway.JWTOptions{Issuer: "https://idp.example", Audience: "config-api"})
	if err != nil {
		log.Fatal(err)
	}
	// Behind Caddy's forward_auth, for an API under /{customerId} whose
	// tokens carry the customer in a "tenant" claim.
	auth := gateway.AuthRequest(cache, tokens, gateway.Caddy(), nil, gateway.TenantClaim("tenant"))
	mux := http.NewServeMux()
	mux.Handle("/auth", auth) // only the auth path answers decisions
	_ = mux
}
