package scope

import "math/bits"

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
	words  int     // uint64 words in a position set
}

const (
	posLit = iota
	posStar
	posDoubleStar
	posAccept
)

// posSet is a set of positions of one nfa.
type posSet []uint64

func newNFA(items []Item) *nfa {
	a := &nfa{}
	first := map[string]int{} // pattern suffix -> its first position
	addPos := func(kind uint8, lit byte, suffix string) {
		k := len(a.kind)
		if r, ok := first[suffix]; ok {
			a.rep = append(a.rep, r)
		} else {
			first[suffix] = k
			a.rep = append(a.rep, k)
		}
		a.kind, a.lit = append(a.kind, kind), append(a.lit, lit)
	}
	for _, it := range items {
		a.starts = append(a.starts, len(a.kind))
		off := 0 // offset in it.Pattern of the current position
		for _, e := range it.Elems() {
			switch e.Kind {
			case Literal:
				for i := 0; i < len(e.Lit); i++ {
					addPos(posLit, e.Lit[i], it.Pattern[off:])
					off++
				}
			case Star:
				addPos(posStar, 0, it.Pattern[off:])
				off++
			case DoubleStar:
				addPos(posDoubleStar, 0, it.Pattern[off:])
				off += 2
			}
		}
		addPos(posAccept, 0, "")
	}
	a.words = len(a.kind)/64 + 1
	return a
}

func (a *nfa) newSet() posSet { return make(posSet, a.words) }

func (s posSet) add(k int)          { s[k/64] |= 1 << (k % 64) }
func (s posSet) has(k int) bool     { return s[k/64]&(1<<(k%64)) != 0 }
func (s posSet) forEach(f func(int)) {
	for w, x := range s {
		for x != 0 {
			f(w*64 + bits.TrailingZeros64(x))
			x &= x - 1
		}
	}
}

// start is the closure of every item's first position.
func (a *nfa) start() posSet {
	s := a.newSet()
	for _, k := range a.starts {
		s.add(a.rep[k])
	}
	a.close(s)
	return s
}

// close adds the positions the empty string reaches. A wildcard is
// followed by a literal or the accepting position, never by a wildcard, so
// one pass in increasing order suffices.
func (a *nfa) close(s posSet) {
	s.forEach(func(k int) {
		if a.kind[k] == posStar || a.kind[k] == posDoubleStar {
			s.add(a.rep[k+1])
		}
	})
}

// step is the set of positions reached from s by byte c.
func (a *nfa) step(s posSet, c byte) posSet {
	t := a.newSet()
	s.forEach(func(k int) {
		switch a.kind[k] {
		case posLit:
			if a.lit[k] == c {
				t.add(a.rep[k+1])
			}
		case posStar:
			if c != '/' {
				t.add(k)
			}
		case posDoubleStar:
			t.add(k)
		}
	})
	a.close(t)
	return t
}

// accepts reports whether s holds an accepting position.
func (a *nfa) accepts(s posSet) bool {
	found := false
	s.forEach(func(k int) { found = found || a.kind[k] == posAccept })
	return found
}

// acceptsAll reports whether every continuation from s is accepted: s
// holds a "**" that ends its pattern.
func (a *nfa) acceptsAll(s posSet) bool {
	found := false
	s.forEach(func(k int) { found = found || a.kind[k] == posDoubleStar && a.kind[k+1] == posAccept })
	return found
}

func (s posSet) empty() bool {
	for _, x := range s {
		if x != 0 {
			return false
		}
	}
	return true
}
