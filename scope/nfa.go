package scope

import (
	"encoding/binary"
	"slices"
)

// nfa is the union of the patterns of some access items, as positions: an
// item of n elements (literal bytes, "*", "**") owns n+1 consecutive
// positions, the last of which accepts. At a literal position the byte
// must equal lit and moves on; at a wildcard position a byte the wildcard
// takes stays, and the empty string moves on. It is the analysis model of
// patterns; containment runs subset construction over it.
//
// Positions from which the rest of the pattern text is the same accept
// the same continuations, so every position stands for the first one with
// its suffix (rep): subsets that differ only in such positions become one
// state. This keeps items with common tails ("/**", "*") from multiplying
// the states of containment.
type nfa struct {
	kind   []uint8 // posLit, posStar, posDoubleStar, posAccept
	lit    []byte  // the byte of a posLit position
	rep    []int   // the first position with the same pattern suffix
	starts []int   // each item's first position
}

const (
	posLit = iota
	posStar
	posDoubleStar
	posAccept
	// posSegByte takes exactly one byte other than "/": with a posStar
	// after it, a path template's parameter (one non-empty segment).
	posSegByte
)

// posSet is a set of positions of one nfa: sorted, without repeats. The
// sets containment meets hold a handful of positions out of hundreds, so
// a list beats a bitset.
type posSet []int32

func newNFA(items []Item) *nfa {
	a := &nfa{}
	// Two positions have the same suffix iff they have the same kind and
	// byte and their next positions have the same suffix: hash-consing
	// from each item's end finds the first position of each suffix in
	// constant time per position.
	type suffix struct {
		kind uint8
		lit  byte
		next int32 // rep of the next position; -1 after the accepting one
	}
	size := 0
	for _, it := range items {
		size += len(it.Pattern) + 1
	}
	first := make(map[suffix]int32, size)
	for _, it := range items {
		base := len(a.kind)
		a.starts = append(a.starts, base)
		for _, e := range it.Elems() {
			switch e.Kind {
			case Literal:
				for i := 0; i < len(e.Lit); i++ {
					a.kind, a.lit = append(a.kind, posLit), append(a.lit, e.Lit[i])
				}
			case Star:
				a.kind, a.lit = append(a.kind, posStar), append(a.lit, 0)
			case DoubleStar:
				a.kind, a.lit = append(a.kind, posDoubleStar), append(a.lit, 0)
			}
		}
		a.kind, a.lit = append(a.kind, posAccept), append(a.lit, 0)
		a.rep = append(a.rep, make([]int, len(a.kind)-base)...)
		next := int32(-1)
		for k := len(a.kind) - 1; k >= base; k-- {
			key := suffix{a.kind[k], a.lit[k], next}
			r, ok := first[key]
			if !ok {
				r = int32(k)
				first[key] = r
			}
			a.rep[k] = int(r)
			next = r
		}
	}
	return a
}

// start is the closure of the first positions of the given items.
func (a *nfa) start(items []int) posSet {
	var s posSet
	for _, i := range items {
		s = append(s, int32(a.rep[a.starts[i]]))
	}
	return a.close(s)
}

// close adds the positions the empty string reaches, then sorts and drops
// repeats. A wildcard is followed by a literal or the accepting position,
// never by a wildcard, so one pass suffices.
func (a *nfa) close(s posSet) posSet {
	for _, k := range s {
		if a.kind[k] == posStar || a.kind[k] == posDoubleStar {
			s = append(s, int32(a.rep[k+1]))
		}
	}
	// Insertion sort: the sets are small.
	for i := 1; i < len(s); i++ {
		for j := i; j > 0 && s[j] < s[j-1]; j-- {
			s[j], s[j-1] = s[j-1], s[j]
		}
	}
	return slices.Compact(s)
}

// minus removes from s, in place, the positions that t holds; both are
// sorted.
func (s posSet) minus(t posSet) posSet {
	out, j := s[:0], 0
	for _, k := range s {
		for j < len(t) && t[j] < k {
			j++
		}
		if j == len(t) || t[j] != k {
			out = append(out, k)
		}
	}
	return out
}

// stepInto returns the positions reached from s by byte c, in t's storage.
func (a *nfa) stepInto(s posSet, c byte, t posSet) posSet {
	t = t[:0]
	for _, k := range s {
		switch a.kind[k] {
		case posLit:
			if a.lit[k] == c {
				t = append(t, int32(a.rep[k+1]))
			}
		case posStar:
			if c != '/' {
				t = append(t, k)
			}
		case posDoubleStar:
			t = append(t, k)
		case posSegByte:
			if c != '/' {
				t = append(t, int32(a.rep[k+1]))
			}
		}
	}
	return a.close(t)
}

// literals marks the bytes that s's literal positions expect, and reports
// whether s holds a wildcard.
func (a *nfa) literals(s posSet, want *[256]bool) (wild bool) {
	for _, k := range s {
		switch a.kind[k] {
		case posLit:
			want[a.lit[k]] = true
		case posStar, posDoubleStar, posSegByte:
			wild = true
		}
	}
	return wild
}

// accepts reports whether s holds an accepting position.
func (a *nfa) accepts(s posSet) bool {
	for _, k := range s {
		if a.kind[k] == posAccept {
			return true
		}
	}
	return false
}

// acceptsAll reports whether every continuation from s is accepted: s
// holds a "**" that ends its pattern.
func (a *nfa) acceptsAll(s posSet) bool {
	for _, k := range s {
		if a.kind[k] == posDoubleStar && a.kind[k+1] == posAccept {
			return true
		}
	}
	return false
}

// appendPositions appends each position in s as four bytes.
func (s posSet) appendPositions(b []byte) []byte {
	for _, k := range s {
		b = binary.LittleEndian.AppendUint32(b, uint32(k))
	}
	return b
}
