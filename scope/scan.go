package scope

import (
	"math/bits"
	"strings"

	"github.com/scopecheck/scopecheck/internal/swar"
)

// scanValid is the fast path of Parse. It accepts exactly the scope strings
// that the grammar and the checks of parse.go accept, and returns the same
// items; anything else it declines, and Parse then runs the grammar, which
// alone says what is wrong and where. So the grammar stays the one
// definition of errors, and a scope that is valid (the only kind a gateway
// compiles on its cold path) is parsed without participle's reflection.
// FuzzScanner and TestScannerAgrees hold the two paths to the same answers
// on valid and invalid input alike.
//
// It reads each byte once, eight at a time where a block holds nothing
// that needs a decision, and allocates once for scopes of up to
// maxItemsUpFront items: the items, no more of them than SP-separated
// fields.
func scanValid(s string) ([]Item, bool) {
	var items []Item
	for i := 0; i < len(s); {
		if s[i] == ' ' {
			i++
			continue
		}
		if items == nil {
			// Room for the SP-separated fields, but no more than a small
			// scope's up front: a damaged scope is declined at its first
			// bad byte, and must not cost what its length could hold.
			items = make([]Item, 0, min(strings.Count(s, " ")+1, maxItemsUpFront))
		}
		it, j, ok := scanItem(s, i)
		if !ok {
			return nil, false
		}
		items = append(items, it)
		i = j
	}
	return items, true
}

// scanItem reads the item that begins at s[i] (not SP) and returns it
// and where it ends, at the next SP or the end of s; ok is false when the
// item is not valid, and then j is meaningless.
func scanItem(s string, i int) (it Item, j int, ok bool) {
	switch s[i] {
	case ':':
		return it, 0, false // missing-access
	case '.', '*':
		if i+1 == len(s) || s[i+1] != ':' {
			return it, 0, false // missing-colon
		}
		if j, ok = scanPattern(s, i+2); !ok {
			return it, 0, false
		}
		it = Item{Class: Read, Pattern: s[i+2 : j]}
		if s[i] == '*' {
			it.Class = ReadWrite
		}
		return it, j, true
	}
	if j = plainEnd(s, i); j < len(s) && s[j] != ' ' {
		return it, 0, false // a byte no item may hold
	}
	return Item{Class: Plain, Name: s[i:j]}, j, true
}

// maxItemsUpFront is how many items scanValid makes room for before it
// has read them: every scope of that many items or fewer is parsed with one
// allocation, and larger ones grow as they are read.
const maxItemsUpFront = 256

// Byte classes of the scanner. Zero is a byte that needs no decision:
// an item byte that is neither SP nor special in a pattern.
const (
	scSpace    = 1 << iota // SP: the item ends
	scBad                  // a byte no item may hold
	scSlash                // "/"
	scStar                 // "*"
	scEscape               // "%"
	scReserved             // ';', '?', '#': no canonical path holds them
)

// itemClass classifies bytes for plain items, patternClass for patterns.
var itemClass, patternClass = func() (item, pattern [256]uint8) {
	for c := range item {
		if c < 0x21 || c > 0x7E || c == '"' || c == '\\' {
			item[c] = scBad
		}
	}
	item[' '] = scSpace
	pattern = item
	pattern['/'] = scSlash
	pattern['*'] = scStar
	pattern['%'] = scEscape
	for _, c := range ";?#" {
		pattern[c] = scReserved
	}
	return item, pattern
}()

// plainEnd returns the index of the first byte from i on that a plain
// item cannot hold: SP, a bad byte, or len(s).
func plainEnd(s string, i int) int {
	for i+8 <= len(s) {
		b := s[i : i+8]
		if itemClass[b[0]]|itemClass[b[1]]|itemClass[b[2]]|itemClass[b[3]]|
			itemClass[b[4]]|itemClass[b[5]]|itemClass[b[6]]|itemClass[b[7]] != 0 {
			break
		}
		i += 8
	}
	for i < len(s) && itemClass[s[i]] == 0 {
		i++
	}
	return i
}

// scanPattern checks the pattern that begins at s[start] and ends at the
// next SP or at the end of s, and returns where it ends. It reports
// whether the pattern is of item bytes and has none of the pattern
// errors: empty-pattern, leading-slash, empty-segment, dot-segment,
// bad-char, bad-escape, star-run.
func scanPattern(s string, start int) (int, bool) {
	if start == len(s) || s[start] == ' ' || s[start] == '/' {
		return 0, false
	}
	segStart, i := start, start
scan:
	for i < len(s) {
		for i+8 <= len(s) {
			b := s[i : i+8]
			c := blockClass(&patternClass, b)
			if c&^scSlash != 0 {
				break
			}
			if c != 0 {
				// Only "/": each ends a segment, which is wrong only if
				// it is empty, "." or "..".
				for m := swar.Equal(swar.Load64(b, 0), '/'); m != 0; m &= m - 1 {
					k := i + bits.TrailingZeros64(m)>>3
					if k-segStart <= 2 && !scanSegment(s[segStart:k]) {
						return 0, false
					}
					segStart = k + 1
				}
			}
			i += 8
		}
		for end := min(i+8, len(s)); i < end; i++ {
			switch patternClass[s[i]] {
			case 0:
			case scSpace:
				break scan
			case scBad, scReserved:
				return 0, false
			case scSlash:
				if !scanSegment(s[segStart:i]) {
					return 0, false
				}
				segStart = i + 1
			case scStar:
				if i+2 < len(s) && s[i+1] == '*' && s[i+2] == '*' {
					return 0, false
				}
			case scEscape:
				b, ok := unescape(s, i)
				if !ok || (b < 0x80 && escapedForbidden[b]) {
					return 0, false
				}
				// A run of escapes, judged as parse.go judges it. The
				// byte after the item, SP, is no hex digit and no "*".
				j, dec := i, make([]byte, 0, 8)
				for {
					v, ok := unescape(s, j)
					if !ok {
						break
					}
					if v < 0x80 && escapedForbidden[v] {
						return 0, false
					}
					dec = append(dec, v)
					j += 3
				}
				openStart := s[i-1] == '*' // s[start-1] is ':'
				openEnd := j < len(s) && s[j] == '*'
				if badEscape(dec, openStart, openEnd) >= 0 {
					return 0, false
				}
				i = j - 1
			}
		}
	}
	// A trailing "/" leaves an empty last segment, which is allowed.
	return i, segStart == i || scanSegment(s[segStart:i])
}

// scanSegment reports whether a segment that ends at "/" or at the end of
// the pattern is neither empty, ".", nor "..". An empty one is "//", since
// a pattern cannot begin with "/".
func scanSegment(seg string) bool {
	return seg != "" && seg != "." && seg != ".."
}
