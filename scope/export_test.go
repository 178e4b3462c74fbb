package scope

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
	r, err := newRedundancy(s.items, b)
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
		before := r.spent
		r.covered(i, keep)
		if r.spent > before {
			states += len(r.x.pos)
		}
	}
	return states, r.spent
}
