package scope

import (
	"slices"
	"strings"
)

// nfa is the union of the patterns of some access items, as positions: an
// item of n elements (literal bytes, "*", "**") owns n+1 consecutive
// positions, the last of which accepts. At a literal position the byte
// must equal lit and moves on; at a wildcard position a byte the wildcard
// takes stays, and the empty string moves on. It is the analysis model of
// patterns, on which containment and ReachesTemplate search.
//
// Positions from which the rest of the pattern text is the same accept
// the same continuations, so every position stands for the first one with
// its suffix (rep): subsets that differ only in such positions become one
// state. This keeps items with common tails ("/**", "*") from multiplying
// the states of containment, and makes an item that repeats another's
// pattern the same position.
//
// Invariants: a wildcard is followed by a literal, the accepting position
// or (in a path template) a posSegByte, never by a wildcard; along every
// move that is not a wildcard staying put, the rest of the pattern gets
// shorter. So the moves form a graph whose only cycles are self-loops.
type nfa struct {
	kind   []uint8 // posLit, posStar, posDoubleStar, posAccept, posSegByte
	lit    []byte  // the byte of a posLit position
	rep    []int32 // the first position with the same pattern suffix
	starts []int32 // each item's first position
	// literals holds each item's pattern if it has no wildcard, else "".
	literals []string
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

// maxPositions bounds an nfa's positions, so that a position fits the 24
// bits that search keys give it.
const maxPositions = 1 << 24

// posSet is a set of positions of one nfa: sorted, without repeats, and
// closed under the empty moves (a wildcard's successor is in the set with
// it). The sets containment meets hold a handful of positions out of
// hundreds, so a list beats a bitset.
type posSet []int32

func newNFA(items []Item) *nfa {
	a := &nfa{}
	size := 0
	for _, it := range items {
		size += len(it.Pattern) + 1
	}
	a.kind, a.lit, a.rep = make([]uint8, 0, size), make([]byte, 0, size), make([]int32, 0, size)
	// Two positions have the same suffix iff they have the same kind and
	// byte and their next positions have the same suffix: hash-consing
	// from each item's end finds the first position of each suffix in
	// constant time per position. The key packs kind, byte and the next
	// position's rep (plus one, so that "none" is 0).
	var first table
	first.init(size)
	for _, it := range items {
		base := len(a.kind)
		a.starts = append(a.starts, int32(base))
		lit := ""
		if it.Class != Plain && strings.IndexByte(it.Pattern, '*') < 0 {
			lit = it.Pattern
		}
		a.literals = append(a.literals, lit)
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
		a.rep = append(a.rep, make([]int32, len(a.kind)-base)...)
		next := int32(-1)
		for k := len(a.kind) - 1; k >= base; k-- {
			key := uint64(a.kind[k])<<40 | uint64(a.lit[k])<<32 | uint64(uint32(next+1))
			r, ok := first.get(key)
			if !ok {
				r = int32(k)
				first.put(key, r)
			}
			a.rep[k] = r
			next = r
		}
	}
	return a
}

// literal returns item i's path if its pattern has no wildcard.
func (a *nfa) literal(i int32) (string, bool) {
	return a.literals[i], a.literals[i] != ""
}

// succ is the position after k, which must not accept.
func (a *nfa) succ(k int32) int32 { return a.rep[k+1] }

// wild reports whether k is a wildcard, which may be skipped.
func (a *nfa) wild(k int32) bool { return a.kind[k] == posStar || a.kind[k] == posDoubleStar }

// start is the closed set of the first positions of the given items.
func (a *nfa) start(items []int32) posSet {
	var s posSet
	for _, i := range items {
		s = append(s, a.rep[a.starts[i]])
	}
	return a.close(s)
}

// close adds the positions the empty string reaches, then sorts and drops
// repeats. A wildcard is followed by no wildcard, so one pass suffices.
func (a *nfa) close(s posSet) posSet {
	for _, k := range s {
		if a.wild(k) {
			s = append(s, a.succ(k))
		}
	}
	if len(s) <= 32 {
		// Insertion sort: most sets are small.
		for i := 1; i < len(s); i++ {
			for j := i; j > 0 && s[j] < s[j-1]; j-- {
				s[j], s[j-1] = s[j-1], s[j]
			}
		}
	} else {
		slices.Sort(s)
	}
	return slices.Compact(s)
}

// stepInto returns the closed set reached from s by byte c, in t's storage.
func (a *nfa) stepInto(s posSet, c byte, t posSet) posSet {
	t = t[:0]
	for _, k := range s {
		switch a.kind[k] {
		case posLit:
			if a.lit[k] == c {
				t = append(t, a.succ(k))
			}
		case posStar:
			if c != '/' {
				t = append(t, k)
			}
		case posDoubleStar:
			t = append(t, k)
		case posSegByte:
			if c != '/' {
				t = append(t, a.succ(k))
			}
		}
	}
	return a.close(t)
}

// moves appends the positions that the single position p reaches by byte
// c, skipping p first if it is a wildcard: at most two. Unlike a posSet,
// a single position stands for its closure.
func (a *nfa) moves(p int32, c byte, out []int32) []int32 {
	switch a.kind[p] {
	case posLit:
		if a.lit[p] == c {
			out = append(out, a.succ(p))
		}
		return out
	case posSegByte:
		if c != '/' {
			out = append(out, a.succ(p))
		}
		return out
	case posAccept:
		return out
	case posStar:
		if c != '/' {
			out = append(out, p)
		}
	case posDoubleStar:
		out = append(out, p)
	}
	return a.moves(a.succ(p), c, out) // the successor is no wildcard
}

// accepts1 reports whether the single position p accepts the empty
// string.
func (a *nfa) accepts1(p int32) bool {
	return a.kind[p] == posAccept || a.wild(p) && a.kind[a.succ(p)] == posAccept
}

// universal reports whether every continuation from position k is
// accepted: k is a "**" that ends its pattern.
func (a *nfa) universal(k int32) bool {
	return a.kind[k] == posDoubleStar && a.kind[a.succ(k)] == posAccept
}

// takesAny reports whether the single position p moves on some byte that
// no literal names (it is a wildcard or a template parameter's byte).
func (a *nfa) takesAny(p int32) bool { return a.kind[p] != posLit && a.kind[p] != posAccept }

// mark adds to m the bytes that the single position p's literal moves
// expect: its own byte, or, for a wildcard, its successor's.
func (a *nfa) mark(p int32, m *byteMarks) {
	if a.wild(p) {
		p = a.succ(p)
	}
	if a.kind[p] == posLit {
		m.set(a.lit[p])
	}
}

// accepts reports whether the closed set s holds an accepting position.
func (a *nfa) accepts(s posSet) bool {
	for _, k := range s {
		if a.kind[k] == posAccept {
			return true
		}
	}
	return false
}

// add appends a position that shares no suffix with another; template
// positions are few and need no merging.
func (a *nfa) addPos(kind uint8, lit byte) {
	a.rep = append(a.rep, int32(len(a.kind)))
	a.kind, a.lit = append(a.kind, kind), append(a.lit, lit)
}

// contains reports whether the sorted set s holds k.
func (s posSet) contains(k int32) bool {
	_, ok := slices.BinarySearch(s, k)
	return ok
}

// subsetOf reports whether every position of s is in t; both are sorted.
// It costs at most len(s)+len(t) comparisons.
func (s posSet) subsetOf(t posSet) bool {
	if len(s) > len(t) {
		return false
	}
	j := 0
	for _, k := range s {
		for j < len(t) && t[j] < k {
			j++
		}
		if j == len(t) || t[j] != k {
			return false
		}
		j++
	}
	return true
}

// byteMarks is a set of bytes that is emptied in constant time: a byte is
// in it when its stamp is the current generation.
type byteMarks struct {
	stamp [256]uint32
	gen   uint32
}

func (m *byteMarks) reset() {
	m.gen++
	if m.gen == 0 { // wrapped: old stamps could look current
		m.stamp = [256]uint32{}
		m.gen = 1
	}
}
func (m *byteMarks) set(c byte)      { m.stamp[c] = m.gen }
func (m *byteMarks) has(c byte) bool { return m.stamp[c] == m.gen }
