package match

import (
	"strings"
	"sync"

	"github.com/scopecheck/scopecheck/scope"
)

// tailKind is the shape of what follows an item's literal prefix. The
// common shapes are decided without running a program.
type tailKind uint8

const (
	tailEnd       tailKind = iota // nothing: the rest must be empty
	tailAny                       // "**": anything
	tailSeg                       // "*": no "/"
	tailAnySuffix                 // "**" lit: ends with lit
	tailSegSuffix                 // "*" lit: ends with lit, no "/" before it
	tailProg                      // anything else: run prog
)

// tail matches the rest of a path after an item's literal prefix.
type tail struct {
	kind tailKind
	// lit is the literal of a suffix tail; for tailProg, the literal the
	// pattern ends with, or "".
	lit  string
	prog *prog
	// text is the tail as written, from which a group's program is built.
	text string
}

// newTail classifies the rest of a valid pattern after its literal prefix:
// empty, or beginning with a wildcard.
func newTail(t string) tail {
	tl := classify(t)
	tl.text = t
	return tl
}

func classify(t string) tail {
	switch {
	case t == "":
		return tail{kind: tailEnd}
	case t == "**":
		return tail{kind: tailAny}
	case t == "*":
		return tail{kind: tailSeg}
	case strings.HasPrefix(t, "**") && !strings.Contains(t[2:], "*"):
		return tail{kind: tailAnySuffix, lit: t[2:]}
	case !strings.Contains(t[1:], "*"):
		// The literal must be the suffix, so what the star takes is fixed.
		return tail{kind: tailSegSuffix, lit: t[1:]}
	}
	elems := scope.Item{Class: scope.ReadWrite, Pattern: t}.Elems()
	tl := tail{kind: tailProg, prog: newProg(elems)}
	if last := elems[len(elems)-1]; last.Kind == scope.Literal {
		tl.lit = last.Lit // the suffix every match ends with
	}
	return tl
}

// match reports whether rest is in the tail's language.
func (t *tail) match(rest string) bool {
	switch t.kind {
	case tailEnd:
		return rest == ""
	case tailAny:
		return true
	case tailSeg:
		return strings.IndexByte(rest, '/') < 0
	case tailAnySuffix:
		return strings.HasSuffix(rest, t.lit)
	case tailSegSuffix:
		n := len(rest) - len(t.lit)
		return n >= 0 && rest[n:] == t.lit && strings.IndexByte(rest[:n], '/') < 0
	}
	// A tail that ends in a literal needs the path to end in it: a cheap
	// test that spares the program most paths it would reject.
	if len(rest) < t.prog.minLen || !strings.HasSuffix(rest, t.lit) {
		return false
	}
	return t.prog.match(rest)
}

// prog is a bit-parallel NFA for one or several patterns of literal
// bytes, "*" and "**" (Shift-And extended with self-loops). A pattern is a
// sequence of positions, one per literal byte and one per wildcard; a
// pattern of n positions owns n+1 consecutive states, state j meaning its
// first j positions are matched, and the last of them accepts. Several
// patterns lie one after another, so that one pass decides them all: a
// group of candidates at one trie node is run as one program (see group).
// On each byte every state advances at once, so matching costs
// O(len(path) * words) whatever the patterns: there is no backtracking to
// blow up.
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
	// share class 0 if they are not "/"; "/" has a class of its own.
	cls [256]uint8
	// lit[c*words+w] has bit j+1 set when position j is a literal byte of
	// class c; loop[c*words+w] has bit j+1 set when position j is a
	// wildcard that takes a byte of class c and stays.
	lit, loop []uint64
	// eps has bit j set when position j is a wildcard (state j reaches
	// state j+1 by the empty string).
	eps []uint64
	// start has each pattern's first state, closed under eps; accept has
	// each pattern's last state.
	start, accept []uint64
}

func newProg(elems []scope.Elem) *prog { return newProgs([][]scope.Elem{elems}) }

// newProgs builds one program of several patterns, laid out in order.
func newProgs(patterns [][]scope.Elem) *prog {
	p := &prog{minLen: -1}
	// Classes: 0 is "any other byte", 1 is "/", then each literal byte.
	nclass := 2
	p.cls['/'] = 1
	for _, elems := range patterns {
		lits := 0
		for _, e := range elems {
			p.n += max(len(e.Lit), 1)
			lits += len(e.Lit)
			for i := 0; i < len(e.Lit); i++ {
				if b := e.Lit[i]; b != '/' && p.cls[b] == 0 {
					p.cls[b] = uint8(nclass)
					nclass++
				}
			}
		}
		p.n++ // the accepting state
		if p.minLen < 0 || lits < p.minLen {
			p.minLen = lits
		}
	}
	p.words = p.n/64 + 1
	p.lit = make([]uint64, nclass*p.words)
	p.loop = make([]uint64, nclass*p.words)
	p.eps = make([]uint64, p.words)
	p.start = make([]uint64, p.words)
	p.accept = make([]uint64, p.words)
	set := func(bits []uint64, c, j int) { bits[c*p.words+j/64] |= 1 << (j % 64) }
	j := 0 // the first state of the pattern at hand
	for _, elems := range patterns {
		set(p.start, 0, j)
		for _, e := range elems {
			switch e.Kind {
			case scope.Literal:
				for i := 0; i < len(e.Lit); i++ {
					set(p.lit, int(p.cls[e.Lit[i]]), j+1)
					j++
				}
			case scope.Star, scope.DoubleStar:
				set(p.eps, 0, j)
				for c := 0; c < nclass; c++ {
					if c != 1 || e.Kind == scope.DoubleStar {
						set(p.loop, c, j+1)
					}
				}
				j++
			}
		}
		set(p.accept, 0, j)
		j++
	}
	p.closure(p.start)
	return p
}

// match runs the program over s and reports whether a pattern accepts.
func (p *prog) match(s string) bool {
	if p.words == 1 {
		return p.match1(s)&p.accept[0] != 0
	}
	if p.words <= stackWords {
		var buf [stackWords]uint64
		return intersects(p.matchWide(s, buf[:]), p.accept)
	}
	bufp := getWide(p.words)
	ok := intersects(p.matchWide(s, *bufp), p.accept)
	widePool.Put(bufp)
	return ok
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

// match1 runs a program of one word and returns its last state set.
func (p *prog) match1(s string) uint64 {
	eps := p.eps[0]
	d := p.start[0]
	for i := 0; i < len(s); i++ {
		c := int(p.cls[s[i]])
		d = (d<<1)&p.lit[c] | d&p.loop[c]
		d |= (d & eps) << 1
		if d == 0 {
			return 0
		}
	}
	return d
}

// matchWide is match1 over state sets of several words, kept in d, of
// p.words words, and updated in place: each word is read before it is
// written, and only carries from lower words move up. It returns d.
func (p *prog) matchWide(s string, d []uint64) []uint64 {
	w := p.words
	d = d[:w]
	copy(d, p.start)
	eps := p.eps[:w]
	for i := 0; i < len(s); i++ {
		c := int(p.cls[s[i]]) * w
		lit, loop := p.lit[c:c+w], p.loop[c:c+w]
		// One pass steps every word, closes it (a wildcard's bit moves
		// up by one, never onto another wildcard) and checks for life.
		var carry, ecarry, live uint64
		for k, x := range d {
			y := (x<<1|carry)&lit[k] | x&loop[k]
			carry = x >> 63
			e := y & eps[k]
			y |= e<<1 | ecarry
			ecarry = e >> 63
			d[k] = y
			live |= y
		}
		if live == 0 {
			break
		}
	}
	return d
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

// intersects reports whether a and b share a bit.
func intersects(a, b []uint64) bool {
	for k := range a {
		if a[k]&b[k] != 0 {
			return true
		}
	}
	return false
}
