package match

import (
	"fmt"
	"runtime"
	"strings"
	"testing"

	"github.com/scopecheck/scopecheck/scope"
)

// sizeScopes are scopes of every shape the compiler builds: exact
// tables, wide tries, every tail kind, and bit-parallel programs of one
// and of many words.
func sizeScopes() map[string]string {
	var exact, prefixes, mixed, long []string
	for i := 0; i < 200; i++ {
		exact = append(exact, fmt.Sprintf("*:config/clients/%08x-1234-5678-9abc-%012x", i*7919, i))
		prefixes = append(prefixes, fmt.Sprintf(".:svc%03d/resources/**", i))
		mixed = append(mixed, fmt.Sprintf("*:t%d/*/x%d*y/**/z", i, i), fmt.Sprintf(".:t%d/a*", i), fmt.Sprintf("*:t%d/**.json", i))
	}
	for i := 0; len(strings.Join(long, "")) < 4000; i++ {
		long = append(long, fmt.Sprintf("seg%d*x", i))
	}
	var programs []string
	for i := 0; i < 40; i++ {
		programs = append(programs, fmt.Sprintf("*:p%d/", i)+strings.Join(long[:60], "/")+"/**z")
	}
	return map[string]string{
		"one item":         "*:config/**",
		"three items":      ".:config/tokenPolicies** .:config/loginPolicies** *:webhooks/**",
		"200 exact IDs":    strings.Join(exact, " "),
		"200 prefixes":     strings.Join(prefixes, " "),
		"600 mixed tails":  strings.Join(mixed, " "),
		"one 4 KB program": "*:" + strings.Join(long, "/") + "/**z",
		"40 programs":      strings.Join(programs, " "),
	}
}

var keep []*Matcher

// Size is honest: it is what Compile really allocates and keeps, measured
// on many copies, within 2% below (what the measurement itself disturbs)
// and half as much again above.
func TestSizeMeasured(t *testing.T) {
	for name, s := range sizeScopes() {
		set := scope.MustParse(s)
		k := max(50, 20000000/len(s)/20)
		var before, after runtime.MemStats
		runtime.GC()
		runtime.ReadMemStats(&before)
		keep = make([]*Matcher, 0, k)
		for i := 0; i < k; i++ {
			keep = append(keep, Compile(set))
		}
		runtime.GC()
		runtime.ReadMemStats(&after)
		per := int(after.HeapAlloc-before.HeapAlloc-uint64(cap(keep)*8)) / k
		size := keep[0].Size()
		t.Logf("%s (%d bytes): %d measured, Size %d", name, len(s), per, size)
		low := per * 98 / 100
		if raceEnabled {
			low = per * 95 / 100 // the race detector's allocations
		}
		if size < low || size > per*3/2+64 {
			t.Errorf("%s: Compile keeps %d bytes, Size says %d", name, per, size)
		}
		keep = nil
	}
	if (*Matcher)(nil).Size() != 0 {
		t.Error("a nil matcher has a size")
	}
}

// The DFA's tables stay within their bound in bytes, however many
// programs a matcher has and however wide they are.
func TestDFABound(t *testing.T) {
	for name, s := range sizeScopes() {
		m := Compile(scope.MustParse(s))
		if n := m.dfa.sizeOf(); n > dfaMaxBytes {
			t.Errorf("%s: the DFA takes %d bytes, more than %d", name, n, dfaMaxBytes)
		}
	}
}
