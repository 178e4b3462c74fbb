package scope_test

import (
	"fmt"
	"strings"
	"testing"

	"github.com/scopecheck/scopecheck/scope"
)

// BenchmarkLint measures a review of scopes with findings whose
// suggestions Lint proves with Covers before offering them.
func BenchmarkLint(b *testing.B) {
	var policy []string
	for i := 0; i < 16; i++ {
		policy = append(policy, fmt.Sprintf("%s:config/%s/%08x-6789-0123-d4ef-5g678h90ijk1", []string{".", "*"}[i%2],
			[]string{"clients", "loginPolicies", "tokenPolicies", "webhooks/subscriptions"}[i%4], i))
	}
	policy = append(policy, ".:config/tokenPolicies**", ".:config/loginPolicies/*/pushClaims", "*:webhooks/**", ".:config/clients")
	for _, bc := range []struct{ name, scope string }{
		{"prefix-bleed", "*:config/tokenPolicies** openid"},
		{"findings", "  *:config/client*/secret *:webhooks/ .:a/b *:a/** *:a/** "},
		{"policy20", strings.Join(policy, " ")},
	} {
		b.Run(bc.name, func(b *testing.B) {
			for b.Loop() {
				scope.Lint(bc.scope)
			}
		})
	}
}
