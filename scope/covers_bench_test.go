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
		if _, err := scope.Minimize(s); err != nil {
			b.Fatal(err)
		}
	}
}

// adversarialCovers is a containment question of a few hundred bytes that
// a search over subsets of both sides cannot finish: allowed
// "*:**a*/*/…/*" beside n two-letter items "*:**xy", requested
// "*:**a/*/…/*", ten "/*" each.
func adversarialCovers(n int) (allowed, requested scope.Set) {
	items := []string{"*:**a*" + strings.Repeat("/*", 10)}
	for i := 0; len(items) <= n; i++ {
		x, y := "bcdefghijklmnopqrstuvwxyz"[i/25%25], "bcdefghijklmnopqrstuvwxyz"[i%25]
		items = append(items, "*:**"+string(x)+string(y))
	}
	return scope.MustParse(strings.Join(items, " ")), scope.MustParse("*:**a" + strings.Repeat("/*", 10))
}

// BenchmarkCoversAdversarial is the adversarial question with 60 and 240
// two-letter items (471 and 1,731 bytes of scope).
func BenchmarkCoversAdversarial(b *testing.B) {
	for _, n := range []int{60, 240} {
		allowed, requested := adversarialCovers(n)
		b.Run(fmt.Sprintf("%dB", len(allowed.String())+len(requested.String())+1), func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				scope.Covers(allowed, requested)
			}
		})
	}
}

// realisticCovers are a 36-byte policy and requests of 45 and 51 bytes, of
// a shape real reviews meet, whose answers need long paths: one covered
// (every path of the request is at least eleven segments deep) and one
// not, whose shortest witness is 47 bytes.
var realisticCovers = []struct {
	name, allowed, requested string
	covered                  bool
}{
	{"covered", "*:config/**/*/*/*/*/*/*/*/*/*/* .:**", "*:config/**/clients/*/*/*/*/*/*/*/*/secret/**", true},
	{"witness", "*:config/**/*/*/*/*/*/*/*/*/*/* .:**", "*:config/**/loginPolicies/*/*/*/*/*/*/pushClaims/**", false},
}

func BenchmarkCoversRealistic(b *testing.B) {
	for _, c := range realisticCovers {
		allowed, requested := scope.MustParse(c.allowed), scope.MustParse(c.requested)
		b.Run(c.name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				scope.Covers(allowed, requested)
			}
		})
	}
}

// realisticPolicy is a policy of n items as large tenants write them:
// object IDs of four kinds, two in three of them read-only, every tenth
// item a subtree of IDs with a common beginning, and every fiftieth a read
// grant on a whole kind, which makes the read-only IDs of that kind before
// it redundant.
func realisticPolicy(n int) string {
	kinds := []string{"clients", "loginPolicies", "tokenPolicies", "webhooks/subscriptions"}
	items := make([]string, 0, n)
	for i := 0; len(items) < n; i++ {
		id := fmt.Sprintf("%08x-%04x-4%03x-8%03x-%012x", 0x1ab23c45+i*7919, i*31%65536, i*17%4096, i*13%4096, 0x45ab6789012+i)
		class := []string{".", ".", "*"}[i%3]
		switch {
		case i%50 == 49:
			items = append(items, fmt.Sprintf(".:config/%s/**", kinds[i/50%4]))
		case i%10 == 9:
			items = append(items, fmt.Sprintf("%s:config/%s/%s/**", class, kinds[i%4], id[:8]+"*"))
		default:
			items = append(items, fmt.Sprintf("%s:config/%s/%s", class, kinds[i%4], id))
		}
	}
	return strings.Join(items, " ")
}

// BenchmarkLintPolicy is lint of realistic policies of 100 to 1,000
// items: the growth with the item count.
func BenchmarkLintPolicy(b *testing.B) {
	for _, n := range []int{100, 200, 400, 1000} {
		s := realisticPolicy(n)
		b.Run(fmt.Sprint(n), func(b *testing.B) {
			// The figures mean something only if lint does the work: the
			// policy's redundant items are found.
			redundant := 0
			for _, f := range scope.Lint(s) {
				if f.Code == scope.Redundant {
					redundant++
				}
			}
			if redundant < n/4 {
				b.Fatalf("lint of %d items made %d redundant findings; it did not do the work", n, redundant)
			}
			b.ReportAllocs()
			for b.Loop() {
				scope.Lint(s)
			}
		})
	}
}

// wideCovers is a question of 25 KB that the default budget refuses: 2,000
// allowed items "*:**/xN/*", whose "**" every state keeps, against
// "*:**/y/*/*". It shows what a refusal costs.
func wideCovers() (allowed, requested scope.Set) {
	items := make([]string, 2000)
	for i := range items {
		items[i] = fmt.Sprintf("*:**/x%d/*", i)
	}
	return scope.MustParse(strings.Join(items, " ")), scope.MustParse("*:**/y/*/*")
}

func BenchmarkCoversRefused(b *testing.B) {
	allowed, requested := wideCovers()
	b.ReportAllocs()
	for b.Loop() {
		if _, w := scope.Covers(allowed, requested); w.Err == nil {
			b.Fatal("decided within the default budget")
		}
	}
}
