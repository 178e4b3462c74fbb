package benchmarks

import (
	"fmt"
	"testing"

	"github.com/scopecheck/scopecheck/match"
	"github.com/scopecheck/scopecheck/scope"
)

// contenders builds each contender for a scope; a nil Decider means the
// contender cannot express the scope. "glob+check" and "regexp+check" are
// the fair peers; "regexp", "glob" and "naive" do not check paths or
// methods (see Checked).
var contenders = []struct {
	name  string
	build func(scope.Set) Decider
}{
	{"scopecheck", Scopecheck},
	{"regexp", func(s scope.Set) Decider { return NewRegexp(s) }},
	{"glob", func(s scope.Set) Decider {
		if g, err := NewGlob(s); err == nil {
			return g
		}
		return nil
	}},
	{"glob+check", func(s scope.Set) Decider {
		if g, err := NewGlob(s); err == nil {
			return Checked{g}
		}
		return nil
	}},
	{"regexp+check", func(s scope.Set) Decider { return Checked{NewRegexp(s)} }},
	{"naive", func(s scope.Set) Decider {
		if n, err := NewNaive(s); err == nil {
			return n
		}
		return nil
	}},
}

// benchWorkload decides the workload's requests in turn, one per op.
func benchWorkload(b *testing.B, w Workload) {
	set := scope.MustParse(w.Scope)
	for _, c := range contenders {
		d := c.build(set)
		if d == nil {
			continue // cannot express the scope: no figure rather than a bent one
		}
		b.Run(c.name, func(b *testing.B) {
			b.ReportAllocs()
			reqs := w.Reqs
			i := 0
			for b.Loop() {
				r := reqs[i]
				d.Allow(r.Method, r.Path)
				if i++; i == len(reqs) {
					i = 0
				}
			}
		})
	}
}

func BenchmarkExamples(b *testing.B) {
	for _, w := range Examples {
		b.Run(w.Name, func(b *testing.B) { benchWorkload(b, w) })
	}
}

func BenchmarkPolicy20(b *testing.B)     { benchWorkload(b, Policy20) }
func BenchmarkDenied(b *testing.B)       { benchWorkload(b, Denied) }
func BenchmarkNonCanonical(b *testing.B) { benchWorkload(b, NonCanonical) }

func BenchmarkItems(b *testing.B) {
	for _, n := range []int{1, 10, 100, 1000, 10000} {
		w := Items(n, true)
		b.Run(fmt.Sprint(n), func(b *testing.B) { benchWorkload(b, w) })
	}
}

func BenchmarkItemsMiss(b *testing.B) {
	for _, n := range []int{1, 10, 100, 1000, 10000} {
		w := Items(n, false)
		b.Run(fmt.Sprint(n), func(b *testing.B) { benchWorkload(b, w) })
	}
}

func BenchmarkAdversarial(b *testing.B) {
	for _, a := range AdversarialScopes {
		for _, n := range []int{16, 64, 256, 1024, 4096} {
			w := Adversarial(a.Name, a.Scope, n)
			b.Run(fmt.Sprintf("%s/%d", a.Name, n), func(b *testing.B) {
				benchWorkload(b, w)
			})
		}
	}
}

// BenchmarkCompile is the cold path: from scope string to a decider. The
// peers start from a parsed set, so they are spared the parse.
func BenchmarkCompile(b *testing.B) {
	for _, w := range []Workload{ThreeObjects, Policy20} {
		name := map[string]string{ThreeObjects.Name: "3", Policy20.Name: "20"}[w.Name]
		b.Run(name+"/scopecheck", func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				if _, err := match.CompileString(w.Scope); err != nil {
					b.Fatal(err)
				}
			}
		})
		set := scope.MustParse(w.Scope)
		b.Run(name+"/regexp", func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				NewRegexp(set)
			}
		})
		b.Run(name+"/glob", func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				NewGlob(set)
			}
		})
	}
}

// BenchmarkCacheHit is a gateway's per-request cost of finding a token's
// compiled matcher, from every core at once.
func BenchmarkCacheHit(b *testing.B) {
	c, err := match.NewCache(1 << 20)
	if err != nil {
		b.Fatal(err)
	}
	c.Get(Policy20.Scope)
	b.ReportAllocs()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			c.Get(Policy20.Scope)
		}
	})
}
