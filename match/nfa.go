package match

import (
	"sync"

	"github.com/scopecheck/scopecheck/scope"
)

// prog is a bit-parallel NFA for one or several patterns of literal
// bytes, "*" and "**" (Shift-And extended with self-loops). A pattern is a
// sequence of positions, one per literal byte and one per wildcard; a
// pattern of n positions owns n+1 consecutive states, state j meaning its
// first j positions are matched, and the last of them accepts. Several
// patterns lie one after another, so that one pass decides them all: a
// group of candidates at one trie node is run as one program (see group).
// On each byte every state advances at once, so matching costs
// O(len(path) * words) whatever the patterns: there is no backtracking to
// blow up. Most paths are run by the program's DFA (dfa.go), which
// falls back to this NFA where its budget of states runs out.
//
// Invariants: no two wildcards are adjacent (scope rejects "***"), so one
// step of epsilon closure, from before a wildcard to after it, suffices;
// no literal bit is set at a pattern's first state, so a pattern's
// accepting state never shifts into the next pattern.
type prog struct {
	n      int // states in all
	minLen int // literal bytes of the shortest pattern: no shorter string matches
	words  int // uint64 words per state set: n/64 + 1
	// cls maps a byte to its class: bytes that no literal position holds
	// share class 0 if they are not "/"; "/" has a class of its own, 1;
	// each literal byte has its own, from 2 on; nclass classes in all.
	cls    [256]uint8
	nclass int
	// step holds, for each class c and word w, the pair of its literal
	// and loop bits (step[c*words+w]): lit has bit j+1 set when position
	// j is a literal byte of class c; loop has bit j+1 set when position
	// j is a wildcard that takes a byte of class c and stays. Pairs, so
	// that a step finds both at one index, checked once.
	step [][2]uint64
	// eps has bit j set when position j is a wildcard (state j reaches
	// state j+1 by the empty string).
	eps []uint64
	// start has each pattern's first state, closed under eps; accept has
	// each pattern's last state.
	start, accept []uint64
	// eps, start and accept are slices of one allocation.
	// dfa runs the program a byte a step, from its state dfaStart, and
	// builds its states as paths need them; nil if the matcher's DFA has
	// no room for the program's states (see newDFA).
	dfa      *dfa
	dfaStart int32
}

func newProg(elems []scope.Elem) *prog { return newProgs([][]scope.Elem{elems}) }

// newProgs builds one program of several patterns, laid out in order.
func newProgs(patterns [][]scope.Elem) *prog {
	p := &prog{minLen: -1}
	// Classes: 0 is "any other byte", 1 is "/", then each literal byte.
	p.nclass = 2
	p.cls['/'] = 1
	for _, elems := range patterns {
		lits := 0
		for _, e := range elems {
			p.n += max(len(e.Lit), 1)
			lits += len(e.Lit)
			for i := 0; i < len(e.Lit); i++ {
				if b := e.Lit[i]; b != '/' && p.cls[b] == 0 {
					p.cls[b] = uint8(p.nclass)
					p.nclass++
				}
			}
		}
		p.n++ // the accepting state
		if p.minLen < 0 || lits < p.minLen {
			p.minLen = lits
		}
	}
	p.words = p.n/64 + 1
	w := p.words
	p.step = make([][2]uint64, p.nclass*w)
	sets := make([]uint64, 3*w)
	p.eps, p.start, p.accept = sets[:w:w], sets[w:2*w:2*w], sets[2*w:3*w:3*w]
	set := func(bits []uint64, j int) { bits[j/64] |= 1 << (j % 64) }
	lit := func(c, j int) { p.step[c*w+j/64][0] |= 1 << (j % 64) }
	loop := func(c, j int) { p.step[c*w+j/64][1] |= 1 << (j % 64) }
	j := 0 // the first state of the pattern at hand
	for _, elems := range patterns {
		set(p.start, j)
		for _, e := range elems {
			switch e.Kind {
			case scope.Literal:
				for i := 0; i < len(e.Lit); i++ {
					lit(int(p.cls[e.Lit[i]]), j+1)
					j++
				}
			case scope.Star, scope.DoubleStar:
				set(p.eps, j)
				for c := 0; c < p.nclass; c++ {
					if c != 1 || e.Kind == scope.DoubleStar {
						loop(c, j+1)
					}
				}
				j++
			}
		}
		set(p.accept, j)
		j++
	}
	p.closure(p.start)
	return p
}

// matches reports whether a pattern of the program matches all of s.
func (p *prog) matches(s string) bool {
	if len(s) < p.minLen {
		return false
	}
	if p.words <= stackWords {
		var buf [stackWords]uint64
		return intersects(p.run(s, buf[:p.words]), p.accept)
	}
	bufp := getWide(p.words)
	ok := intersects(p.run(s, *bufp), p.accept)
	widePool.Put(bufp)
	return ok
}

// run runs the program over s and returns its last state set, or nil if
// every state died on the way, which no pattern then matches. buf, of
// p.words words, is scratch for the NFA; the set returned may be buf or
// one of the DFA's, which the caller must not change.
func (p *prog) run(s string, buf []uint64) []uint64 {
	if d := p.dfa; d != nil {
		at, i := d.run(p, s)
		if at < 0 {
			return nil
		}
		if i == len(s) {
			return d.set(p, at)
		}
		// The DFA has no room for the state it needs: the NFA goes on
		// from the last state it has.
		hit(hitDFAFull)
		copy(buf, d.set(p, at))
		return p.runNFA(s[i:], buf)
	}
	copy(buf, p.start)
	return p.runNFA(s, buf)
}

// runNFA runs the NFA over s from the state set in d, which it updates in
// place, and returns d, or nil if every state died.
func (p *prog) runNFA(s string, d []uint64) []uint64 {
	if p.words == 1 {
		hit(hitNFA1)
		if d[0] = p.run1(d[0], s); d[0] == 0 {
			return nil
		}
		return d
	}
	hit(hitNFAWide)
	return p.runWide(s, d)
}

// run1 runs a program of one word from the state set d.
func (p *prog) run1(d uint64, s string) uint64 {
	// Locals, so that the loop reloads nothing through p.
	step, eps, cls := p.step, p.eps[0], &p.cls
	for i := 0; i < len(s); i++ {
		t := &step[cls[s[i]]]
		d = (d<<1)&t[0] | d&t[1]
		d |= (d & eps) << 1
		if d == 0 {
			return 0
		}
	}
	return d
}

// runWide is run1 over state sets of several words, kept in d, of
// p.words words, and updated in place: each word is read before it is
// written, and only carries from lower words move up. It returns d, or
// nil if every state died.
func (p *prog) runWide(s string, d []uint64) []uint64 {
	w := p.words
	d = d[:w]
	eps := p.eps[:len(d)]
	for i := 0; i < len(s); i++ {
		c := int(p.cls[s[i]]) * w
		t := p.step[c : c+w]
		t = t[:len(d)]
		// One pass steps every word, closes it (a wildcard's bit moves
		// up by one, never onto another wildcard) and checks for life.
		var carry, ecarry, live uint64
		for k, x := range d {
			y := (x<<1|carry)&t[k][0] | x&t[k][1]
			carry = x >> 63
			e := y & eps[k]
			y |= e<<1 | ecarry
			ecarry = e >> 63
			d[k] = y
			live |= y
		}
		if live == 0 {
			return nil
		}
	}
	return d
}

// stepSet sets out to the successors of the state set in on a byte of
// class c. The DFA builds its states with it.
func (p *prog) stepSet(in, out []uint64, c int) {
	w := p.words
	t := p.step[c*w : c*w+w]
	var carry, ecarry uint64
	for k, x := range in {
		y := (x<<1|carry)&t[k][0] | x&t[k][1]
		carry = x >> 63
		e := y & p.eps[k]
		y |= e<<1 | ecarry
		ecarry = e >> 63
		out[k] = y
	}
}

// stackWords is the widest state set matched without the pool: programs
// of up to 64*stackWords states.
const stackWords = 16

var widePool = sync.Pool{New: func() any { b := make([]uint64, 0, 64); return &b }}

// getWide returns pooled scratch of at least n words; put it back with
// widePool.Put.
func getWide(n int) *[]uint64 {
	bufp := widePool.Get().(*[]uint64)
	if cap(*bufp) < n {
		*bufp = make([]uint64, n)
	}
	*bufp = (*bufp)[:n]
	return bufp
}

// closure adds the states reached by the empty string. A wildcard's
// following position is a literal, so the added states add no more.
func (p *prog) closure(d []uint64) {
	var carry uint64
	for k := range d {
		e := d[k] & p.eps[k]
		d[k] |= e<<1 | carry
		carry = e >> 63
	}
}

// intersects reports whether a and b share a bit; a nil a shares none.
func intersects(a, b []uint64) bool {
	for k := range a {
		if a[k]&b[k] != 0 {
			return true
		}
	}
	return false
}
