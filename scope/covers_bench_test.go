package scope_test

import (
	"fmt"
	"strings"
	"testing"

	"github.com/scopecheck/scopecheck/scope"
)

// policy20 is a realistic 20-item policy over the configuration API.
func policy20(variant int) scope.Set {
	var items []string
	kinds := []string{"clients", "loginPolicies", "tokenPolicies", "webhooks/subscriptions"}
	for i := 0; i < 16; i++ {
		id := fmt.Sprintf("%08x-%04x-4%03x-8%03x-%012x", 0x1ab23c45+i*7919, i*31, i*17%4096, (i+variant)*13%4096, 0x45ab6789012+i)
		class := []string{".", "*"}[(i+variant)%2]
		items = append(items, fmt.Sprintf("%s:config/%s/%s", class, kinds[i%len(kinds)], id))
	}
	items = append(items, ".:config/tokenPolicies**", ".:config/loginPolicies/*/pushClaims", "*:webhooks/**", "openid")
	return scope.MustParse(strings.Join(items, " "))
}

// BenchmarkCovers20 is containment of two 20-item scopes: a policy against
// itself minus one item (covered), and against a variant (not covered).
func BenchmarkCovers20(b *testing.B) {
	allowed := policy20(0)
	covered := scope.MustParse(strings.Join(strings.Fields(allowed.String())[1:], " "))
	notCovered := policy20(1)
	for _, bc := range []struct {
		name string
		req  scope.Set
		want bool
	}{{"covered", covered, true}, {"not-covered", notCovered, false}} {
		b.Run(bc.name, func(b *testing.B) {
			for b.Loop() {
				if ok, _ := scope.Covers(allowed, bc.req); ok != bc.want {
					b.Fatalf("Covers = %v", ok)
				}
			}
		})
	}
}

func BenchmarkMinimize20(b *testing.B) {
	s := policy20(0)
	for b.Loop() {
		scope.Minimize(s)
	}
}
