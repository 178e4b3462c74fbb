package gateway_test

import (
	"context"
	"errors"
	"fmt"
	"log"
	"net/http"
	"strings"
	"time"

	"github.com/scopecheck/scopecheck/gateway"
	"github.com/scopecheck/scopecheck/match"
)

func ExampleMiddleware() {
	cache, err := match.NewCache(64 << 20) // 64 MiB of compiled scopes
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

// An API that verifies its tokens itself: JWTs from the identity
// provider's JWKS, the mount bound to the token's "tenant" claim, and an
// outage of the JWKS answered 503 rather than 401.
func ExampleTokenMiddleware() {
	ctx := context.Background() // the server's lifetime
	tokens, err := gateway.NewJWTFromURL(ctx, "https://idp.example.com/.well-known/jwks.json", gateway.JWTOptions{
		Issuer: "https://idp.example.com", Audience: "config-api",
	})
	if err != nil {
		log.Fatal(err)
	}
	cache, _ := match.NewCache(64 << 20)
	api := http.NewServeMux() // the configuration API, under /{customerId}
	protect := gateway.TokenMiddleware(cache, tokens, nil, gateway.TenantClaim("tenant"))
	_ = http.ListenAndServe // http.ListenAndServe("127.0.0.1:8080", protect(api))
	_ = protect(api)
}

func ExampleAuthRequest() {
	cache, err := match.NewCache(64 << 20)
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

// An authorization service: JWTs verified against an identity provider's
// JWKS, fetched in the background; readiness for the load balancer; and
// the decisions, whose outages answer 503.
func ExampleNewJWTFromURL() {
	ctx := context.Background() // the server's lifetime
	tokens, err := gateway.NewJWTFromURL(ctx, "https://idp.example.com/.well-known/jwks.json", gateway.JWTOptions{
		Issuer:          "https://idp.example.com",
		Audience:        "config-api",
		RefreshInterval: 5 * time.Minute, // a withdrawn key stops verifying within this
	})
	if err != nil {
		log.Fatal(err)
	}
	cache, _ := match.NewCache(64 << 20)
	mux := http.NewServeMux()
	mux.HandleFunc("GET /readyz", func(w http.ResponseWriter, r *http.Request) {
		if err := tokens.Ready(); err != nil { // no key set loaded yet
			http.Error(w, err.Error(), http.StatusServiceUnavailable)
		}
	})
	mux.Handle("/auth", gateway.AuthRequest(cache, tokens, gateway.Nginx(), nil, gateway.TenantClaim("tenant")))
	_ = http.ListenAndServe // http.ListenAndServe("127.0.0.1:8181", mux)
}

// A token verifier's errors say whether the token is bad or could not be
// checked at all.
func ExampleErrUnavailable() {
	in, _ := gateway.NewIntrospection("http://127.0.0.1:1/introspect", gateway.IntrospectionOptions{
		ClientID: "gateway", ClientSecret: "secret", Issuer: "https://idp.example.com", Audience: "config-api",
	})
	_, err := in.Scope(context.Background(), "a-token")
	switch {
	case errors.Is(err, gateway.ErrUnavailable):
		fmt.Println("503: the introspection endpoint cannot be reached")
	case err != nil:
		fmt.Println("401: a bad token")
	}
	// Output: 503: the introspection endpoint cannot be reached
}
