package scope_test

import (
	"testing"

	"pgregory.net/rapid"

	"github.com/scopecheck/scopecheck/internal/oracle"
	"github.com/scopecheck/scopecheck/internal/scopegen"
	"github.com/scopecheck/scopecheck/scope"
)

// CheckPath and the oracle's rule-by-rule check agree on every path.
func TestCheckPathAgreesWithOracle(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		p := scopegen.Path(10).Draw(t, "path")
		r, off := scope.CheckPath(p)
		if (r == scope.Canonical) != oracle.Canonical(p) {
			t.Fatalf("CheckPath(%q) = %v at %d, oracle canonical = %v", p, r, off, oracle.Canonical(p))
		}
		if off < 0 || off > len(p) {
			t.Fatalf("CheckPath(%q) offset %d out of range", p, off)
		}
	})
}

// Every rule has a name and a description.
func TestPathRuleNames(t *testing.T) {
	seen := map[string]bool{}
	for r := scope.Canonical; r <= scope.PathControlRune; r++ {
		if r.String() == "unknown" || r.Describe() == "unknown rule" || seen[r.String()] {
			t.Errorf("rule %d has a missing or repeated name %q", r, r.String())
		}
		seen[r.String()] = true
	}
}
