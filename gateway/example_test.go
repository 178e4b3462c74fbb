package gateway_test

import (
	"log"
	"net/http"
	"strings"

	"github.com/scopecheck/scopecheck/gateway"
	"github.com/scopecheck/scopecheck/match"
)

func ExampleMiddleware() {
	cache, err := match.NewCache(64 << 20) // 64 MiB of compiled scopes
	if err != nil {
		log.Fatal(err)
	}
	// The token's scope, as an authentication step before this one left it
	// (here a header that a verifying proxy sets).
	scopeOf := func(r *http.Request) (string, bool) {
		s := r.Header.Get("X-Token-Scope")
		return s, strings.TrimSpace(s) != ""
	}
	api := http.NewServeMux() // the configuration API
	protect := gateway.Middleware(cache, scopeOf,
		gateway.StripSegments(1), // mounted under /{customerId}
		gateway.WithHook(func(r *http.Request, d gateway.Decision) {
			if !d.Allowed {
				log.Printf("deny %s %s: %v", d.Method, d.Path, d.Decision)
			}
		}))
	_ = http.ListenAndServe // http.ListenAndServe("127.0.0.1:8080", protect(api))
	_ = protect(api)
}
