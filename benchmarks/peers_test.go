package benchmarks

import (
	"testing"

	"github.com/scopecheck/scopecheck/match"
	"github.com/scopecheck/scopecheck/scope"
)

func allWorkloads() []Workload {
	ws := append([]Workload{}, Examples...)
	ws = append(ws, Policy20, Denied)
	for _, n := range []int{1, 10, 100, 1000} {
		ws = append(ws, Items(n, true), Items(n, false))
	}
	for _, a := range AdversarialScopes {
		ws = append(ws, Adversarial(a.Name, a.Scope, 64))
	}
	return ws
}

// The peers give scopecheck's answers on every canonical request of the
// workloads, so that the benchmarks compare equal work; where a peer
// cannot express a scope, it says so.
func TestPeersAgree(t *testing.T) {
	for _, w := range allWorkloads() {
		set := scope.MustParse(w.Scope)
		want := match.Compile(set)
		peers := map[string]Decider{"regexp": NewRegexp(set)}
		if g, err := NewGlob(set); err == nil {
			peers["glob"] = g
		} else {
			t.Logf("%s: %v", w.Name, err)
		}
		if n, err := NewNaive(set); err == nil {
			peers["naive"] = n
		} else {
			t.Logf("%s: %v", w.Name, err)
		}
		for name, p := range peers {
			for _, r := range w.Reqs {
				if got := p.Allow(r.Method, r.Path); got != want.Allow(r.Method, r.Path) {
					t.Errorf("%s on %s: %s %s = %v, scopecheck says %v", name, w.Name, r.Method, r.Path, got, !got)
				}
			}
		}
	}
}

func TestNonCanonicalDenied(t *testing.T) {
	m := match.Compile(scope.MustParse(NonCanonical.Scope))
	for _, r := range NonCanonical.Reqs {
		if m.Allow(r.Method, r.Path) {
			t.Errorf("scopecheck allowed %s %s", r.Method, r.Path)
		}
	}
}
