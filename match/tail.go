package match

import (
	"strings"

	"github.com/scopecheck/scopecheck/scope"
)

// tailKind is the shape of what follows an item's literal prefix. The
// common shapes are decided without running a program.
type tailKind uint8

const (
	tailEnd      tailKind = iota // nothing: the rest must be empty
	tailAny                      // "**": anything
	tailSeg                      // "*": no "/"
	tailAnyChain                 // "**" L1 "**" … Ln, or ending in "**": wildcards all "**"
	tailSegChain                 // "*" L1 "*" … Ln, or ending in "*": wildcards all "*"
	tailProg                     // anything else: run prog
)

// greedyMaxLit is the longest literal a chain looks for with
// strings.Index inside the path (its last literal, compared with the
// path's end, may be longer). For such needles the standard library's
// search costs a bounded number of operations per byte of the path on
// every platform (a vector compare, or at worst a byte compare per
// needle byte), so a chain's match stays linear in the path; a chain
// with a longer literal in its middle is run as a program.
const greedyMaxLit = 32

// tail matches the rest of a path after an item's literal prefix.
type tail struct {
	kind tailKind
	// mids are the literals of a chain between its first and last
	// wildcards, in order; lit is its last literal, which the path must
	// end with, or "" if it ends in a wildcard. For tailProg, lit is the
	// literal the pattern ends with, or "", a cheap test that spares the
	// program most paths it would reject.
	mids []string
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
	switch t {
	case "":
		return tail{kind: tailEnd}
	case "**":
		return tail{kind: tailAny}
	case "*":
		return tail{kind: tailSeg}
	}
	elems := scope.Item{Class: scope.ReadWrite, Pattern: t}.Elems()
	tl := tail{kind: tailProg}
	if last := elems[len(elems)-1]; last.Kind == scope.Literal {
		tl.lit = last.Lit
		elems = elems[:len(elems)-1]
	}
	// elems is now W L1 W L2 … W, wildcards and literals alternating: a
	// chain if its wildcards are all alike and its middle literals short.
	star := elems[0].Kind
	mids := make([]string, 0, len(elems)/2)
	for _, e := range elems {
		switch {
		case e.Kind == scope.Literal && len(e.Lit) <= greedyMaxLit:
			mids = append(mids, e.Lit)
		case e.Kind != star:
			tl.prog = newProg(scope.Item{Class: scope.ReadWrite, Pattern: t}.Elems())
			return tl
		}
	}
	tl.kind, tl.mids = tailAnyChain, mids
	if star == scope.Star {
		tl.kind = tailSegChain
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
	}
	// Every tail that ends in a literal needs the path to end in it.
	end := len(rest) - len(t.lit)
	if end < 0 || rest[end:] != t.lit {
		return false
	}
	switch t.kind {
	case tailAnyChain:
		return t.anyChain(rest[:end])
	case tailSegChain:
		return t.segChain(rest[:end])
	}
	return t.prog.matches(rest)
}

// anyChain reports whether s, the path before a chain's last literal, is
// in the language of "**" mids[0] "**" … mids[k-1] "**". Leftmost
// matches suffice: "**" takes any bytes, so the earlier a literal ends,
// the more of s is left for the rest. Each search starts where the last
// ended, so s is read about once.
func (t *tail) anyChain(s string) bool {
	hit(hitAnyChain)
	at := 0
	for _, l := range t.mids {
		k := strings.Index(s[at:], l)
		if k < 0 {
			return false
		}
		at += k + len(l)
	}
	return true
}

// segChain is anyChain for "*", which takes no "/". The leftmost match of
// each literal that begins before the next "/" is the one to take: every
// match that a "*" can reach starts within the same run of bytes free of
// "/" (a literal with a "/" in it has at most one such match), so the
// earliest leaves each later "*" the most room and the same "/" to stop
// at. next is the first "/" at or after at (len(s) for none); it is
// found again only once a literal has taken it, so s is read about once.
func (t *tail) segChain(s string) bool {
	hit(hitSegChain)
	at, next := 0, slashFrom(s, 0)
	for _, l := range t.mids {
		// A match must start at or before next: search up to there.
		k := strings.Index(s[at:min(len(s), next+len(l))], l)
		if k < 0 {
			return false
		}
		if at += k + len(l); at > next {
			next = slashFrom(s, at)
		}
	}
	return next == len(s) // the last "*" takes the rest
}

// slashFrom is the index of the first "/" in s at or after at, or len(s).
func slashFrom(s string, at int) int {
	if k := strings.IndexByte(s[at:], '/'); k >= 0 {
		return at + k
	}
	return len(s)
}
