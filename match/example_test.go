package match_test

import (
	"fmt"

	"github.com/scopecheck/scopecheck/match"
)

func ExampleCompileString() {
	m, err := match.CompileString(".:config/tokenPolicies** *:webhooks/**")
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(m.Allow("GET", "/config/tokenPolicies/abc"))
	fmt.Println(m.Allow("PUT", "/config/tokenPolicies/abc"))
	fmt.Println(m.Allow("DELETE", "/webhooks/subscriptions/1"))
	fmt.Println(m.Allow("GET", "/webhooks/%2e%2e/config"))
	// Output:
	// true
	// false
	// true
	// false
}

func ExampleCompileString_damaged() {
	m, err := match.CompileString("*.**")
	fmt.Println(err)
	fmt.Println(m.Allow("GET", "/config"))
	// Output:
	// col 1: item "*.**" begins with "*" but has no ":" after it; did you mean "*:**"? [missing-colon]
	// false
}

func ExampleMatcher_Decide() {
	m, _ := match.CompileString(".:config/**")
	for _, req := range [][2]string{
		{"GET", "/config/clients"},
		{"POST", "/config/clients"},
		{"GET", "/config/loginPolicies/..;/x"},
		{"GET", "/webhooks"},
	} {
		d := m.Decide(req[0], req[1])
		fmt.Printf("%s %s: %v, %s\n", req[0], req[1], d.Allowed, d)
	}
	// Output:
	// GET /config/clients: true, granted by .:config/**
	// POST /config/clients: false, method not granted: .:config/** matches the path but grants only the read methods
	// GET /config/loginPolicies/..;/x: false, path is not canonical: the path has \, ;, ? or # (offset 24) [bad-char]
	// GET /webhooks: false, no access item matches the path
}

func ExampleWithReadMethods() {
	set, _ := match.CompileString(".:config/**", match.WithReadMethods("OPTIONS"))
	fmt.Println(set.Allow("OPTIONS", "/config/clients"))
	// Output: true
}

func ExampleNewCache() {
	cache, err := match.NewCache(64 << 20) // at most 64 MiB of compiled scopes
	if err != nil {
		fmt.Println(err)
		return
	}
	for i := 0; i < 3; i++ {
		m, _ := cache.Get(".:config/** *:webhooks/**") // compiled once, then a hit
		fmt.Println(m.Allow("POST", "/webhooks/subscriptions"))
	}
	s := cache.Stats()
	fmt.Printf("%d hits, %d miss, %d entry, within budget: %v\n", s.Hits, s.Misses, s.Len, s.Bytes <= s.Budget)
	// Output:
	// true
	// true
	// true
	// 2 hits, 1 miss, 1 entry, within budget: true
}
