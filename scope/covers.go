package scope

import (
	"errors"
	"fmt"
)

// MaxStates bounds the product states one containment question may
// explore. Past it Covers gives up and says so (ErrTooComplex); it never
// guesses. Scopes that real policies hold need a few hundred states; the
// bound is reached only by deliberately adversarial wildcard patterns.
const MaxStates = 200_000

// ErrTooComplex is the Witness.Err of a containment question that needs
// more than MaxStates states to decide.
var ErrTooComplex = errors.New("scope: containment needs more than MaxStates automaton states; undecided")

// Witness shows why containment fails: a request that the requested scope
// allows and the allowed scope denies (Method and Path), or a plain item of
// the requested scope that the allowed scope lacks (Plain). When the
// question could not be decided, Err says why and nothing else is set.
type Witness struct {
	// Method is "GET" when a read request differs, "POST" when only
	// requests of the other methods do (every grantable method outside the
	// read class is decided alike).
	Method string
	// Path is a canonical request path, with its leading "/". Among the
	// witnesses of Method it is one of the shortest.
	Path  string
	Plain string
	Err   error
}

// String is "METHOD PATH", the plain item, or the error.
func (w Witness) String() string {
	switch {
	case w.Err != nil:
		return w.Err.Error()
	case w.Plain != "":
		return fmt.Sprintf("plain item %s", w.Plain)
	case w.Method != "":
		return w.Method + " " + w.Path
	}
	return ""
}

// Covers reports whether allowed allows every request that requested
// allows, over every method and every canonical path, and holds every
// plain item of requested. The answer is exact: patterns are regular
// languages, and Covers decides inclusion on automata, intersected with the
// automaton of canonical paths, not by sampling. Unions count: "*:a/*
// *:a/*/**" covers "*:a/**" though neither item alone does.
//
// When it does not cover, the Witness names the missing plain item or a
// request (method and canonical path) that requested allows and allowed
// denies; a shortest one is chosen. When the question needs more than
// MaxStates states, Covers answers false, fail-closed, with Witness.Err set
// to ErrTooComplex; callers that must tell "no" from "undecided" check it.
//
// The read class is GET and HEAD, as Compile's default.
func Covers(allowed, requested Set) (bool, Witness) {
	have := make(map[string]bool)
	for _, it := range allowed.items {
		if it.Class == Plain {
			have[it.Name] = true
		}
	}
	for _, it := range requested.items {
		if it.Class == Plain && !have[it.Name] {
			return false, Witness{Plain: it.Name}
		}
	}
	// Read requests: every access item grants them. Other methods: only
	// read-write items do.
	read, err := difference(allowed.access(Read), requested.access(Read))
	if err != nil {
		return false, Witness{Err: err}
	}
	write, err := difference(allowed.access(ReadWrite), requested.access(ReadWrite))
	if err != nil {
		return false, Witness{Err: err}
	}
	switch {
	case read != nil && (write == nil || len(*read) <= len(*write)):
		return false, Witness{Method: "GET", Path: "/" + *read}
	case write != nil:
		return false, Witness{Method: "POST", Path: "/" + *write}
	}
	return true, Witness{}
}

// Equal reports whether a and b allow the same requests and hold the same
// plain items. When the question cannot be decided (ErrTooComplex), Equal
// is false.
func Equal(a, b Set) bool {
	ab, _ := Covers(a, b)
	if !ab {
		return false
	}
	ba, _ := Covers(b, a)
	return ba
}

// Minimize returns s without every item that the others cover, keeping the
// earliest of equivalent items; the result allows the same requests.
// Items are tried from the last to the first, each against the items still
// kept, so an earlier item is never dropped in favour of a later
// equivalent one. An item whose containment is undecided is kept.
func Minimize(s Set) Set {
	keep := make([]bool, len(s.items))
	for i := range keep {
		keep[i] = true
	}
	for i := len(s.items) - 1; i >= 0; i-- {
		it := s.items[i]
		if it.Class == Plain {
			continue // duplicates are gone, so no other item covers it
		}
		keep[i] = false
		var rest []Item
		for j, other := range s.items {
			if keep[j] {
				rest = append(rest, other)
			}
		}
		covered, _ := Covers(Set{items: rest}, Set{items: []Item{it}})
		keep[i] = !covered
	}
	var out []Item
	for i, it := range s.items {
		if keep[i] {
			out = append(out, it)
		}
	}
	return Set{items: out}
}

// access returns the access items that grant a method of class c: every
// access item for Read, the read-write ones for ReadWrite.
func (s Set) access(c Class) []Item {
	var out []Item
	for _, it := range s.items {
		if it.Class == ReadWrite || it.Class == c {
			out = append(out, it)
		}
	}
	return out
}

// difference returns a shortest relative path (without its leading "/")
// that is canonical, in some pattern of req and in no pattern of allowed;
// nil when there is none.
func difference(allowed, req []Item) (*string, error) {
	if len(req) == 0 {
		return nil, nil
	}
	r, a := newNFA(req), newNFA(allowed)
	alphabet := alphabetOf(allowed, req)

	type state struct {
		r, a   posSet
		c      canonState
		parent int
		by     byte
	}
	key := func(s *state) string {
		b := make([]byte, 0, 8*(len(s.r)+len(s.a))+8)
		for _, x := range s.r {
			b = appendWord(b, x)
		}
		for _, x := range s.a {
			b = appendWord(b, x)
		}
		c := s.c
		return string(append(b, c.seg, c.esc, c.hi, c.need, c.lo, c.hiB, c.forbid))
	}
	states := []state{{r: r.start(), a: a.start(), c: canonStart, parent: -1}}
	seen := map[string]bool{key(&states[0]): true}
	for i := 0; i < len(states); i++ {
		s := &states[i]
		if r.accepts(s.r) && !a.accepts(s.a) && s.c.accepts() {
			path := pathTo(i, func(k int) (int, byte) { return states[k].parent, states[k].by })
			return &path, nil
		}
		for _, c := range alphabet {
			next := state{r: r.step(s.r, c), c: s.c.step(c), parent: i, by: c}
			if next.r.empty() || next.c.dead {
				continue
			}
			next.a = a.step(s.a, c)
			if a.acceptsAll(next.a) {
				continue // allowed takes every continuation
			}
			k := key(&next)
			if seen[k] {
				continue
			}
			if len(states) >= MaxStates {
				return nil, ErrTooComplex
			}
			seen[k] = true
			states = append(states, next)
			s = &states[i] // append may have moved the slice
		}
	}
	return nil, nil
}

func appendWord(b []byte, x uint64) []byte {
	for i := 0; i < 8; i++ {
		b = append(b, byte(x>>(8*i)))
	}
	return b
}

// pathTo spells the bytes on the way from the first state to state k.
func pathTo(k int, parent func(int) (int, byte)) string {
	var rev []byte
	for k > 0 {
		p, c := parent(k)
		rev = append(rev, c)
		k = p
	}
	for i, j := 0, len(rev)-1; i < j; i, j = i+1, j-1 {
		rev[i], rev[j] = rev[j], rev[i]
	}
	return string(rev)
}

// alphabetOf is one byte from each class of bytes that the patterns and the
// canonical-path automaton treat alike: every byte a pattern spells, "/",
// ".", "%", every hex digit (an escape's value matters), and one other
// visible byte that none of those is, when one is left. Bytes that are
// never canonical are left out: no witness can hold them. Letters come
// first so that witnesses read naturally.
func alphabetOf(sets ...[]Item) []byte {
	var in [256]bool
	for _, items := range sets {
		for _, it := range items {
			for i := 0; i < len(it.Pattern); i++ {
				in[it.Pattern[i]] = true
			}
		}
	}
	in['*'] = false // a wildcard, not a byte
	for _, c := range "/.%0123456789abcdefABCDEF" {
		in[c] = true
	}
	var out []byte
	other := false
	for _, c := range []byte("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_~/.%!$&'()*+,:=@[]^`{|}<>") {
		switch {
		case in[c]:
			out = append(out, c)
			in[c] = false
		case !other && c != '*':
			out = append(out, c)
			other = true
		}
	}
	return out
}
