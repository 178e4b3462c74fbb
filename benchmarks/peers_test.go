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
// cannot express a scope, it says so. The fair peers give them on every
// request: path tricks and methods that are no grantable token too.
func TestPeersAgree(t *testing.T) {
	for _, w := range allWorkloads() {
		set := scope.MustParse(w.Scope)
		want := match.Compile(set)
		reqs := append([]Request{}, w.Reqs...)
		for _, r := range append(NonCanonical.Reqs, w.Reqs...) {
			reqs = append(reqs, Request{r.Method, r.Path}, Request{"CONNECT", r.Path}, Request{"G T", r.Path}, Request{"", r.Path})
			reqs = append(reqs, Request{r.Method, r.Path + "/..;/x"}, Request{r.Method, r.Path + "/%2e%2e"}, Request{r.Method, r.Path + "//"})
		}
		for _, c := range contenders {
			p := c.build(set)
			if p == nil {
				t.Logf("%s cannot express %s", c.name, w.Name)
				continue
			}
			_, fair := p.(Checked)
			for _, r := range reqs {
				if !fair {
					if v, _ := scope.CheckPath(r.Path); v != scope.Canonical || !scope.GrantableMethod(r.Method) {
						continue
					}
				}
				if got := p.Allow(r.Method, r.Path); got != want.Allow(r.Method, r.Path) {
					t.Errorf("%s on %s: %q %q = %v, scopecheck says %v", c.name, w.Name, r.Method, r.Path, got, !got)
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
