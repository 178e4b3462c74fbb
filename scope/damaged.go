package scope

import (
	"fmt"
	"strings"
	"unicode/utf8"

	"github.com/scopecheck/scopecheck/grammar"
)

// MaxErrors bounds the errors a parse lists, so that a damaged scope costs
// time and memory linear in its length with a small constant, whatever it
// holds: a megabyte of control bytes is a megabyte of bad-byte errors.
// Past the bound the items are still scanned, and the last error listed
// says how many more there are (at least: an item past the bound is
// counted as one error, however many it holds).
const MaxErrors = 1000

// checkItems checks the items that next returns (the i'th item, or false
// at the end) and returns the valid ones and the errors. Once MaxErrors
// errors are listed, the rest of s is only scanned, to count the damaged
// items in it.
func checkItems(s string, hints bool, next func(i int) (grammar.Item, bool)) ([]Item, ErrorList) {
	c := checker{src: s, hints: hints}
	var items []Item
	for i, off := 0, 0; ; i++ {
		// An item whose bad bytes alone fill the list is reported from
		// its bytes, without its tree: the errors listed are the same (an
		// item's bad bytes come first, but for the missing-access error
		// of one that begins with ":"), and the item's other errors would
		// only be counted.
		if start, end, bad := nextItem(s, off); bad > 0 && bad >= MaxErrors-len(c.errs) {
			c.text = s[start:end]
			if s[start] == ':' {
				c.missingAccess(start, end)
			}
			c.badBytes(start, c.text)
			c.more += damagedItems(s[end:])
			break
		}
		node, ok := next(i)
		if !ok {
			break
		}
		if it, ok := c.item(node); ok {
			items = append(items, it)
		}
		if off = node.End().Offset; len(c.errs) >= MaxErrors {
			c.more += damagedItems(s[off:])
			break
		}
	}
	if c.more > 0 {
		// The error is the checker's own, not yet shared with a caller.
		last := c.errs[len(c.errs)-1]
		last.Message += fmt.Sprintf("; at least %d more errors in this scope are not listed (at most %d are)", c.more, MaxErrors)
	}
	return items, c.errs
}

// nextItem finds the item of s that begins at or after off, and counts
// its bad bytes.
func nextItem(s string, off int) (start, end, bad int) {
	for off < len(s) && s[off] == ' ' {
		off++
	}
	for end = off; end < len(s) && s[end] != ' '; end++ {
		if itemClass[s[end]]&scBad != 0 {
			bad++
		}
	}
	return off, end, bad
}

// badBytes reports the bad bytes of the item t at offset start, each
// with the character it is part of, as the grammar's Invalid tokens
// hold them.
func (c *checker) badBytes(start int, t string) {
	for i := 0; i < len(t); {
		if itemClass[t[i]]&scBad == 0 {
			i++
			continue
		}
		_, n := utf8.DecodeRuneInString(t[i:])
		for k := 0; k < n; k++ {
			c.badByte(start+i+k, t[i:i+n], k)
		}
		i += n
	}
}

// damagedItems counts the items of s that are not valid.
func damagedItems(s string) int {
	n := 0
	for i := 0; i < len(s); {
		if s[i] == ' ' {
			i++
			continue
		}
		_, j, ok := scanItem(s, i)
		if !ok {
			n++
			// The item ends at the next SP; scanItem said nothing of where.
			if j = strings.IndexByte(s[i:], ' '); j < 0 {
				j = len(s)
			} else {
				j += i
			}
		}
		i = j
	}
	return n
}
