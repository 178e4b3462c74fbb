package token_test

import (
	"context"
	"errors"
	"fmt"
	"log"
	"net/http"
	"net/http/httptest"

	"github.com/scopecheck/scopecheck/gateway"
	"github.com/scopecheck/scopecheck/gateway/token"
	"github.com/scopecheck/scopecheck/match"
)

// A verifier of the identity provider's JWTs, its key set fetched in the
// background: not ready (and every token an outage, 503) until the set
// has loaded; Close ends the refresh.
func ExampleNewJWTFromURL() {
	idp := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprint(w, `{"keys": []}`) // the identity provider's JWK Set
	}))
	defer idp.Close()
	tokens, err := token.NewJWTFromURL(context.Background(), idp.URL, token.JWTOptions{
		Issuer: "https://idp.example.com", Audience: "config-api",
	})
	if err != nil {
		log.Fatal(err)
	}
	defer tokens.Close()
	for tokens.Ready() != nil { // what a /readyz answers
	}
	cache, _ := match.NewCache(64 << 20)
	api := http.HandlerFunc(func(http.ResponseWriter, *http.Request) {})
	h := gateway.TokenMiddleware(cache, tokens, gateway.TenantClaim("tenant"))(api)
	r := httptest.NewRequest("GET", "/acme/config/clients", nil)
	r.Header.Set("Authorization", "Bearer not-a-jwt")
	w := httptest.NewRecorder()
	h.ServeHTTP(w, r)
	fmt.Println(w.Code, tokens.KeySetStats().Keys)
	// Output: 401 0
}

// Why a token was refused, for a log line or a metric's label.
func ExampleCause() {
	in, err := token.NewIntrospection("http://127.0.0.1:1/introspect", token.IntrospectionOptions{ClientID: "gateway"})
	if err != nil {
		log.Fatal(err)
	}
	defer in.Close()
	_, err = in.Scope(context.Background(), "a-token")
	fmt.Println(token.Cause(err), errors.Is(err, gateway.ErrUnavailable))
	// Output: unavailable true
}
