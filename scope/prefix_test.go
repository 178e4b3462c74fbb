package scope_test

import (
	"fmt"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"pgregory.net/rapid"

	"github.com/scopecheck/scopecheck/scope"
)

// overlapsBrute is what the prefix index must answer: the items whose
// literal prefix begins p or is begun by it.
func overlapsBrute(patterns []string, p string) []int {
	var out []int
	for i, pat := range patterns {
		q := pat
		if cut := strings.IndexByte(pat, '*'); cut >= 0 {
			q = pat[:cut]
		}
		if strings.HasPrefix(p, q) || strings.HasPrefix(q, p) {
			out = append(out, i)
		}
	}
	return out
}

// TestPrefixIndexWork holds a lookup in the prefix index to its bound: it
// visits exactly the overlapping items, and its work (bytes compared and
// nodes entered) is at most 2·min(len(p), longest prefix) + 2·visited + 2,
// however long p is. Hashing every prefix of p, as a map of prefixes
// would, costs len(p)²/2 bytes: half a terabyte for the megabyte below.
func TestPrefixIndexWork(t *testing.T) {
	mega := strings.Repeat("a", 1<<20)
	policy := []string{"config/**", "config/tokenPolicies**", "config/loginPolicies/**", "webhooks/**",
		"config/clients/a1", "config/clients/a2", "config/clients/a3", "config/clients/a4", "config/clients/a5",
		"config/clients/a6", "config/clients/a7", "config/clients/a8/**"}
	var runs []string
	for n := 1; n <= 64; n++ {
		runs = append(runs, strings.Repeat("a", n)+"/**")
	}
	tests := []struct {
		name     string
		patterns []string
		p        string
	}{
		{"megabyte literal against a policy", policy, "config/" + mega},
		{"megabyte literal that leaves the tree at once", policy, "x" + mega},
		{"megabyte literal along a long prefix", []string{strings.Repeat("a", 1000), "a*", "b"}, mega},
		{"a prefix at every length", runs, mega},
		{"prefix of a subtree", policy, "config/"},
		{"prefix ending inside a label", policy, "config/cli"},
		{"diverging inside a label", policy, "config/clientsX"},
		{"equal prefixes", []string{"a/b", "a/b*", "a/b/**", "a/b"}, "a/b"},
		{"empty prefix visits all", policy, ""},
		{"leading wildcards", []string{"**", "*:x", "a"}, "ab"},
		{"no items", nil, mega},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, work := scope.PrefixOverlaps(tc.patterns, tc.p)
			if diff := cmp.Diff(overlapsBrute(tc.patterns, tc.p), got); diff != "" {
				t.Errorf("visited (-want +got):\n%s", diff)
			}
			longest := 0
			for _, pat := range tc.patterns {
				if cut := strings.IndexByte(pat, '*'); cut >= 0 {
					pat = pat[:cut]
				}
				longest = max(longest, len(pat))
			}
			if bound := int64(2*min(len(tc.p), longest) + 2*len(got) + 2); work > bound {
				t.Errorf("work %d, more than the bound %d (len(p) %d, longest prefix %d, %d visited)", work, bound, len(tc.p), longest, len(got))
			}
		})
	}
}

// TestPrefixIndexProperty holds the index to the brute force on generated
// prefixes over a small alphabet, so that labels split at every place.
func TestPrefixIndexProperty(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		word := rapid.StringOfN(rapid.SampledFrom([]rune("ab/*")), 0, 8, -1)
		patterns := rapid.SliceOfN(word, 0, 12).Draw(t, "patterns")
		p := rapid.StringOfN(rapid.SampledFrom([]rune("ab/")), 0, 10, -1).Draw(t, "p")
		got, _ := scope.PrefixOverlaps(patterns, p)
		if diff := cmp.Diff(overlapsBrute(patterns, p), got); diff != "" {
			t.Fatalf("visited (-want +got):\n%s", diff)
		}
	})
}

// BenchmarkCoversLongLiteral is a requested scope with one long literal
// item against a policy of 13 items: the work before the budget applies
// grows linearly with the literal, and the question is refused.
func BenchmarkCoversLongLiteral(b *testing.B) {
	allowed := scope.MustParse(".:config/** *:config/tokenPolicies** *:config/loginPolicies/** *:webhooks/** openid " +
		".:config/clients/a1 .:config/clients/a2 .:config/clients/a3 .:config/clients/a4 .:config/clients/a5 " +
		".:config/clients/a6 .:config/clients/a7 *:config/clients/a8/**")
	for _, n := range []int{1 << 10, 1 << 16, 1 << 20} {
		var s strings.Builder
		for i := 0; i < 100; i++ {
			fmt.Fprintf(&s, "*:x%d ", i)
		}
		s.WriteString("*:config/" + strings.Repeat("a", n))
		requested := scope.MustParse(s.String())
		b.Run(fmt.Sprintf("literal=%d", n), func(b *testing.B) {
			for b.Loop() {
				scope.Covers(allowed, requested)
			}
		})
	}
}
