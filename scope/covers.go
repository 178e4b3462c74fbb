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
	// One automaton holds both scopes' access items, so that positions
	// with the same pattern suffix are shared (see difference). Read
	// requests: every access item grants them; other methods: only
	// read-write items do.
	var items []Item
	var readA, readR, writeA, writeR []int
	for side, s := range []Set{allowed, requested} {
		for _, it := range s.items {
			if it.Class == Plain {
				continue
			}
			k := len(items)
			items = append(items, it)
			if side == 0 {
				readA = append(readA, k)
				if it.Class == ReadWrite {
					writeA = append(writeA, k)
				}
			} else {
				readR = append(readR, k)
				if it.Class == ReadWrite {
					writeR = append(writeR, k)
				}
			}
		}
	}
	n := newNFA(items)
	alphabet := alphabetOf(items)
	read, err := difference(n, alphabet, readA, readR)
	if err != nil {
		return false, Witness{Err: err}
	}
	write, err := difference(n, alphabet, writeA, writeR)
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

// difference returns a shortest relative path (without its leading "/")
// that is canonical, in some pattern of the items req and in no pattern of
// the items allowed (indexes of n's items); nil when there is none.
//
// A state is a witness when req accepts, allowed does not and the path is
// canonical. Branches are cut where req is dead, the path can no longer be
// canonical, or allowed takes every continuation; req's positions that
// allowed also holds are dropped, since they accept nothing allowed
// denies.
func difference(n *nfa, alphabet []byte, allowed, req []int) (*string, error) {
	if len(req) == 0 {
		return nil, nil
	}
	a := n.start(allowed)
	r := n.start(req).minus(a)
	if len(r) == 0 {
		return nil, nil
	}
	return n.search(alphabet, r, a,
		func(r, a posSet) (posSet, bool) {
			r = r.minus(a)
			return r, len(r) > 0 && !n.acceptsAll(a)
		},
		func(r, a posSet) bool { return n.accepts(r) && !n.accepts(a) })
}

// search is the breadth-first search over product states (the positions
// of a first and a second group of n's items, and the canonical-path
// state) that difference and ReachesTemplate share. It starts at (first,
// second), steps both sets by each byte that can matter (where the first
// set holds no wildcard, only the bytes its literal positions expect),
// and drops a successor whose first set is dead, whose path can no longer
// be canonical, or that keep rejects; keep may also narrow the first set.
// It returns a shortest path to a canonical state that found accepts, nil
// when there is none, and ErrTooComplex past MaxStates states.
func (n *nfa) search(alphabet []byte, first, second posSet,
	keep func(first, second posSet) (posSet, bool), found func(first, second posSet) bool) (*string, error) {
	type state struct {
		f, s   posSet
		c      canonState
		parent int
		by     byte
	}
	// A state's key lists its positions, which are few.
	var keyBuf []byte
	key := func(f, s posSet, c canonState) []byte {
		keyBuf = append(keyBuf[:0], c.seg, c.esc, c.hi, c.need, c.lo, c.hiB, c.forbid)
		keyBuf = f.appendPositions(keyBuf)
		keyBuf = append(keyBuf, 0xFF, 0xFF, 0xFF, 0xFF)
		return s.appendPositions(keyBuf)
	}
	states := []state{{f: first, s: second, c: canonStart, parent: -1}}
	seen := map[string]bool{string(key(first, second, canonStart)): true}
	var nextF, nextS posSet
	var syms []byte
	for i := 0; i < len(states); i++ {
		st := states[i]
		if st.c.accepts() && found(st.f, st.s) {
			path := pathTo(i, func(k int) (int, byte) { return states[k].parent, states[k].by })
			return &path, nil
		}
		syms = symbols(n, st.f, st.s, st.c, alphabet, syms[:0])
		for _, c := range syms {
			nc := st.c.step(c)
			if nc.dead {
				continue
			}
			if nextF = n.stepInto(st.f, c, nextF); len(nextF) == 0 {
				continue
			}
			nextS = n.stepInto(st.s, c, nextS)
			f, ok := keep(nextF, nextS)
			if !ok {
				continue
			}
			k := key(f, nextS, nc)
			if seen[string(k)] {
				continue
			}
			if len(states) >= MaxStates {
				return nil, ErrTooComplex
			}
			seen[string(k)] = true
			states = append(states, state{f: append(posSet(nil), f...), s: append(posSet(nil), nextS...), c: nc, parent: i, by: c})
		}
	}
	return nil, nil
}

// symbols appends to out the bytes of alphabet worth trying from one
// product state, in alphabet order. If req holds no wildcard, only the
// bytes its literal positions expect can keep it alive. Otherwise, outside
// an escape, every byte that no literal position of either side expects
// and that is not "/", "." or "%" leads to the same next state (hex digits
// are plain bytes there), so one of them stands for all. Inside an escape
// only hex digits can follow, and each spells a different value.
func symbols(n *nfa, rs, as posSet, c canonState, alphabet, out []byte) []byte {
	var want [256]bool
	if !n.literals(rs, &want) {
		for _, b := range alphabet {
			if want[b] {
				out = append(out, b)
			}
		}
		return out
	}
	n.literals(as, &want)
	if c.esc != 0 {
		for _, b := range alphabet {
			if _, hex := unhex(b); hex {
				out = append(out, b)
			}
		}
		return out
	}
	want['/'], want['.'], want['%'] = true, true, true
	other := false
	for _, b := range alphabet {
		if want[b] {
			out = append(out, b)
		} else if !other {
			out = append(out, b)
			other = true
		}
	}
	return out
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
// byte that none of those is. There is always one: '"' and '*' are
// canonical in paths and no pattern can spell them. Bytes that are never
// canonical are left out: no witness can hold them. Letters come first so
// that witnesses read naturally.
func alphabetOf(items []Item) []byte {
	var in [256]bool
	for _, it := range items {
		for i := 0; i < len(it.Pattern); i++ {
			in[it.Pattern[i]] = true
		}
	}
	in['*'] = false // a wildcard, not a byte
	for _, c := range "/.%0123456789abcdefABCDEF" {
		in[c] = true
	}
	var out []byte
	other := false
	for _, c := range []byte("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_~/.%!$&'()+,:=@[]^`{|}<>\"*") {
		switch {
		case in[c]:
			out = append(out, c)
			in[c] = false
		case !other:
			out = append(out, c)
			other = true
		}
	}
	return out
}
