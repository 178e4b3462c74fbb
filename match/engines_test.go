package match

import (
	"fmt"
	"strings"
	"testing"

	"github.com/scopecheck/scopecheck/internal/scopegen"
	"github.com/scopecheck/scopecheck/scope"
)

// TestEnginesAtWordBoundaries holds each engine to the oracle on paths
// built to reach it: every wildcard of its pattern filled with a run of
// one byte, of each length around the eight bytes that the skips and the
// canonical check read at a time, with a byte that ends the run (a
// literal's, "/", an escape, which then straddles two words) at each
// place in it or none; and that path with one more byte. Each pattern
// must reach the engine it is there for.
func TestEnginesAtWordBoundaries(t *testing.T) {
	cases := []struct {
		pattern string
		want    hitKind
	}{
		{"x/**ab**c", hitAnyChain},
		{"x/*ab*c", hitSegChain},
		{"x/*b/*c", hitSegChain}, // a literal that takes the "/" that ends a "*"
		{"x/*/a/**", hitSkipAll},
		{"x/**b*c", hitSkipByte},
		{"x/*b**c", hitSkipBytes},
		{"x/**a*a**a*a**b", hitSkipRun},
		{"x/*b*c**d", hitSkipMask},
	}
	ends := []string{"/", "%41", "b", "c", "ab", "%C3%A9", "."}
	for _, tc := range cases {
		set := scope.MustParse("*:" + tc.pattern)
		m := Compile(set)
		counts := countHits(func() {
			for _, n := range scopegen.RunLengths {
				for at := -1; at < n; at++ {
					if n > 17 && at > 9 && at < n-9 && at != n/2 {
						continue // the middle of a long run is like its start
					}
					for _, end := range ends {
						run := strings.Repeat("a", n)
						if at >= 0 {
							run = run[:at] + end + run[at+1:]
						}
						p := "/" + fillWildcards(tc.pattern, run)
						for _, path := range []string{p, p + "a", p + "/"} {
							checkAgainstOracle(t, set, m, "GET", path)
						}
						if at < 0 {
							break // one run without an end is enough
						}
					}
				}
			}
		})
		if counts[tc.want] == 0 {
			t.Errorf("%s never reached %s: %s", tc.pattern, hitNames[tc.want], formatHits(counts))
		}
	}
}

// fillWildcards replaces every wildcard of pattern with fill, or, for
// "*", with fill up to its first "/".
func fillWildcards(pattern, fill string) string {
	var b strings.Builder
	for _, e := range (scope.Item{Class: scope.ReadWrite, Pattern: pattern}).Elems() {
		switch e.Kind {
		case scope.Literal:
			b.WriteString(e.Lit)
		case scope.Star:
			b.WriteString(strings.SplitN(fill, "/", 2)[0])
		case scope.DoubleStar:
			b.WriteString(fill)
		}
	}
	return b.String()
}

// Every engine decides on a warm matcher without allocating: the greedy
// chains, the DFA in each way of skipping, and the NFA, of one word and of
// several, going on where a DFA out of room stops.
func TestEnginesAllocs(t *testing.T) {
	run := strings.Repeat("a", 200)
	cases := []struct {
		pattern, path string
		small         bool // a DFA with room for a few states only
		want          hitKind
	}{
		{"x/**ab**c", "/x/" + run + "ab" + run + "c", false, hitAnyChain},
		{"x/*ab*c", "/x/" + run + "ab" + run + "c", false, hitSegChain},
		{"x/*/a/**", "/x/" + run + "/a/" + run, false, hitSkipAll},
		{"x/**b*c", "/x/" + run + "b" + run + "c", false, hitSkipByte},
		{"x/*b**c", "/x/" + run + "b" + run + "c", false, hitSkipBytes},
		{"x/**a*a**a*a**b", "/x/" + run + "b", false, hitSkipRun},
		{"x/*b*c**d", "/x/" + run + "b" + run + "c" + run + "d", false, hitSkipMask},
		{"x/**a*b*c*d*e*f*g*h*i*j*k", "/x/" + strings.Repeat("abcdefghijk/", 30) + "abcdefghijk", true, hitNFA1},
		{"x/**a*b*c*d*e*f*g*h*i*j*k/" + strings.Repeat("*z", 40), "/x/" + strings.Repeat("abcdefghijk/", 30) + "abcdefghijk/" + strings.Repeat("z", 40), true, hitNFAWide},
	}
	for _, tc := range cases {
		set := scope.MustParse("*:" + tc.pattern)
		m := Compile(set)
		if tc.small {
			m = compile(set, dfaMinStates*maxStateBytes(set))
		}
		checkAgainstOracle(t, set, m, "GET", tc.path)
		if !m.Allow("GET", tc.path) {
			t.Errorf("%s does not allow %.60q", tc.pattern, tc.path)
		}
		for name, f := range map[string]func(){
			"Allow":            func() { m.Allow("PUT", tc.path) },
			"AllowEveryMethod": func() { m.AllowEveryMethod(tc.path) },
			"Decide":           func() { m.Decide("GET", tc.path) },
		} {
			f() // warm: the DFA builds the states the path needs
			var n float64
			counts := countHits(func() { n = testing.AllocsPerRun(50, f) })
			if n != 0 {
				t.Errorf("%s: %s makes %v allocations, want 0", tc.pattern, name, n)
			}
			if counts[tc.want] == 0 {
				t.Errorf("%s: %s never reached %s: %s", tc.pattern, name, hitNames[tc.want], formatHits(counts))
			}
		}
	}
}

// A matcher compiled as Compile makes it, whose DFA cannot hold the states
// a path needs, goes on with the NFA from where the DFA stops, and agrees
// with the oracle; the fuzz targets start from this scope too.
func TestDFAFallbackMidPath(t *testing.T) {
	lit := strings.Repeat("abcdefgh", 190)
	set := scope.MustParse("*:x/**b*c" + lit + " .:x/*b**c")
	m := Compile(set)
	counts := countHits(func() {
		for _, p := range []string{"/x/abc" + lit, "/x/abc" + lit[:len(lit)-1], "/x/abbbbbbc" + lit + "c", "/x/bc" + lit + "/c"} {
			for _, method := range []string{"GET", "PUT"} {
				checkAgainstOracle(t, set, m, method, p)
			}
		}
	})
	requireHits(t, counts, hitDFA, hitDFAFull, hitNFAWide)
}

// A node finds its child by a loop through its indices: scopes whose
// nodes have 1 to 20 children, each child's path and paths that begin
// with no child's byte, against the oracle; and "**" items, which make
// Allow's answer the canonical check.
func TestChildrenAndEveryPath(t *testing.T) {
	const bytes = "abcdefghijklmnopqrst"
	for n := 1; n <= len(bytes); n++ {
		var items []string
		for k := 0; k < n; k++ {
			items = append(items, "*:x/"+bytes[k:k+1]+"y/**", ".:"+bytes[k:k+1]+"z")
		}
		for _, extra := range []string{"", " .:**", " *:**", " .:** *:a/**"} {
			set := scope.MustParse(strings.Join(items, " ") + extra)
			m := Compile(set)
			for k := 0; k <= len(bytes); k++ {
				b := "u"
				if k < len(bytes) {
					b = bytes[k : k+1]
				}
				for _, p := range []string{"/x/" + b + "y/q", "/x/" + b + "z", "/" + b + "z", "/" + b + "zz", "/x/" + b + "y/../q", "/x/" + b + "y//"} {
					for _, method := range []string{"GET", "PUT"} {
						checkAgainstOracle(t, set, m, method, p)
					}
				}
			}
		}
	}
}

// Allow takes a node's "**" candidate as a grant without trying the
// candidates (node.anyGrant), for reads if any such candidate waits
// there, for other methods only if a read-write one does. Every subset
// of the candidates a node can hold beside such items, at prefixes that
// end at a "/", inside a segment, and in a "." segment, with the paths
// that end there, go on, break the canonical rules after it, or miss.
func TestAnyTailFastPath(t *testing.T) {
	tails := []string{".:%s**", "*:%s**", ".:%s*", "*:%s*x", "*:%sq", ".:%s", "*:%s"}
	for _, prefix := range []string{"a/", "a", "a/b", "a/.", "%41/"} {
		var paths []string
		for _, rest := range []string{"", "q", "x", "y/x", "y/../z", "y//", "%2e", "./q"} {
			paths = append(paths, "/"+prefix+rest)
		}
		paths = append(paths, "/b/q", "/"+prefix[:len(prefix)-1])
		for subset := 1; subset < 1<<len(tails); subset++ {
			var items []string
			for k, tl := range tails {
				if subset&(1<<k) != 0 {
					items = append(items, fmt.Sprintf(tl, prefix))
				}
			}
			set, err := scope.Parse(strings.Join(items, " ") + " .:a/bz/**")
			if err != nil {
				continue // "a/." and the like are not valid prefixes of every item
			}
			m := Compile(set)
			for _, p := range paths {
				for _, method := range []string{"GET", "PUT"} {
					checkAgainstOracle(t, set, m, method, p)
				}
			}
		}
	}
}
