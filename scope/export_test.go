package scope

import "slices"

// CanonDFAAccepts runs the canonical-path automaton over a whole path, for
// tests that hold it to CheckPath.
func CanonDFAAccepts(p string) bool {
	if len(p) == 0 || p[0] != '/' {
		return false
	}
	s := canonStart
	for i := 1; i < len(p); i++ {
		s = s.step(p[i])
	}
	return s.accepts()
}

// MinimizeWork asks Minimize's questions of s, each within b, and returns
// how many search states they stored and how many steps they spent.
func MinimizeWork(s Set, b Budget) (states int, steps int64) {
	r, err := newRedundancy(s.items, newPass(b))
	if err != nil {
		return 0, 0
	}
	keep := make([]bool, len(s.items))
	for i := range keep {
		keep[i] = true
	}
	for i := len(s.items) - 1; i >= 0; i-- {
		if s.items[i].Class == Plain {
			continue
		}
		before := r.work.steps
		r.covered(i, keep)
		if r.work.steps > before {
			states += len(r.x.pos)
		}
	}
	return states, r.work.steps
}

// PrefixOverlaps builds the prefix index of access items with the given
// patterns and looks up the literal prefix p in it. It returns the items
// visited, sorted, and the work the lookup counted: bytes compared and
// nodes entered.
func PrefixOverlaps(patterns []string, p string) (visited []int, work int64) {
	items := make([]Item, len(patterns))
	for i, pat := range patterns {
		items[i] = Item{Class: ReadWrite, Pattern: pat}
	}
	x := newPrefixIndex(items)
	x.overlapping(p, func(j int32) { visited = append(visited, int(j)) })
	slices.Sort(visited)
	return visited, x.work
}

// LintWork lints s and returns what its containment questions spent
// together, and the limit of that.
func LintWork(s string) (findings []Finding, spent, limit Budget) {
	findings, p := lint(s)
	return findings, Budget{Steps: p.steps, Bytes: p.held}, p.limit
}
