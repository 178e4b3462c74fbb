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
