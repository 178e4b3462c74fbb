package match

import (
	"fmt"
	"strings"
	"testing"
)

// mixedScope is n items, half of them read-only object IDs and half
// read-write items that begin with "**": the exact table's write bits and
// the trie's root both meet every item of the other half.
func mixedScope(n int) string {
	items := make([]string, 0, n)
	for i := 0; len(items) < n; i++ {
		items = append(items, fmt.Sprintf(".:config/clients/%08x-%04x-4abc-8def-%012x", i*7919, i%65536, i))
		items = append(items, fmt.Sprintf("*:**/pushClaims/%x", i))
	}
	return strings.Join(items, " ")
}

// BenchmarkCompileMixed is parse and compile of mixedScope: the cost should
// grow with the scope's size, not its square.
func BenchmarkCompileMixed(b *testing.B) {
	for _, n := range []int{1 << 12, 1 << 14, 1 << 16} {
		s := mixedScope(n)
		b.Run(fmt.Sprint(n), func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				if _, err := CompileString(s); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// leadingWildcards is n items "*:**iN**cN**" that all wait at the trie's
// root, and a path of 4 KB that holds every iN but no cN, so that no item
// matches and none can be ruled out early.
func leadingWildcards(n int) (string, string) {
	items := make([]string, n)
	var p strings.Builder
	p.WriteString("/")
	for i := range items {
		items[i] = fmt.Sprintf("*:**i%d**c%d**", i, i)
	}
	for i := 0; p.Len() < 4096; i++ {
		fmt.Fprintf(&p, "i%d/", i%n)
	}
	return strings.Join(items, " "), p.String()[:4096]
}

// BenchmarkAllowLeadingWildcards is Allow on many items that begin with a
// wildcard, on a 4 KB path no item matches.
func BenchmarkAllowLeadingWildcards(b *testing.B) {
	for _, n := range []int{10, 100, 1000, 10000} {
		s, path := leadingWildcards(n)
		m, err := CompileString(s)
		if err != nil {
			b.Fatal(err)
		}
		b.Run(fmt.Sprint(n), func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				if m.Allow("GET", path) {
					b.Fatal("allowed")
				}
			}
		})
	}
}
