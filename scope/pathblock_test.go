package scope_test

import (
	"strings"
	"testing"

	"github.com/scopecheck/scopecheck/internal/oracle"
	"github.com/scopecheck/scopecheck/scope"
)

// blockFragments are what CheckPath must notice wherever it falls in an
// eight-byte block: "/" and the segments it ends (empty, ".", ".."),
// escapes of one to four bytes (which straddle blocks), bad escapes,
// bytes of every class it rejects.
var blockFragments = []string{"/", "//", "/./", "/../", "/.", "/..", ".", "..", "...", "/.a", "%41", "%2F", "%2e",
	"%C3%A9", "%c3%a9", "%C3", "%C3/", "%E2%80%A8", "%E2%80%A7", "%F0%9F%98%80", "%C0%AF", "%C2%85", "%", "%4", "%zz",
	"\x00", " ", "\x7f", "\x80", "\xff", `\`, ";", "?", "#"}

// blockFillers are the bytes around a fragment: one long segment, short
// segments (a "/" in most blocks), and dots.
var blockFillers = []string{"a", "ab/", "abcdefg/", "a.", "x%41"}

// filler is n bytes of f repeated.
func filler(f string, n int) string {
	return strings.Repeat(f, n/len(f)+1)[:n]
}

// TestCheckPathBlocks holds CheckPathFrom to the bytewise check and
// CheckPath to the oracle, on paths of every length around the block
// size and its multiples (those from 8 bytes on go through the block
// loop), with each fragment at each position of the path, and started at
// every offset.
func TestCheckPathBlocks(t *testing.T) {
	lengths := []int{0, 1, 2, 7, 8, 9, 15, 16, 17, 23, 24, 25, 63, 64, 65, 128}
	n := 0
	for _, f := range blockFillers {
		for _, l := range lengths {
			for _, frag := range append(blockFragments, "") {
				for k := 0; k <= l; k++ {
					p := "/" + filler(f, l)
					p = p[:1+k] + frag + p[1+k:]
					n++
					r, off := scope.CheckPath(p)
					if wr, woff := scope.CheckPathFromBytewise(p, 1, 1); r != wr || off != woff {
						t.Fatalf("CheckPath(%q) = %v at %d, bytewise %v at %d", p, r, off, wr, woff)
					}
					if (r == scope.Canonical) != oracle.Canonical(p) {
						t.Fatalf("CheckPath(%q) = %v at %d, oracle canonical = %v", p, r, off, oracle.Canonical(p))
					}
					if k%7 != 0 {
						continue
					}
					for from := 1; from <= len(p); from++ {
						seg := strings.LastIndexByte(p[:from], '/') + 1
						r, off := scope.CheckPathFrom(p, from, seg)
						if wr, woff := scope.CheckPathFromBytewise(p, from, seg); r != wr || off != woff {
							t.Fatalf("CheckPathFrom(%q, %d, %d) = %v at %d, bytewise %v at %d", p, from, seg, r, off, wr, woff)
						}
					}
				}
			}
		}
	}
	t.Logf("%d paths", n)
}
