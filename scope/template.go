package scope

import (
	"fmt"
	"strings"
)

// ReachesTemplate reports whether set allows method on some canonical path
// that an OpenAPI path template produces, and returns a shortest such
// path. A parameter ("{oidcClientId}") stands for one non-empty path
// segment of canonical bytes, any of them: the template
// "/config/clients/{id}" produces "/config/clients/x", never
// "/config/clients/" or "/config/clients/a/b". The rest of the template
// matches itself byte for byte. The answer is exact: the template, the
// items and the automaton of canonical paths are intersected. Past
// DefaultBudget the error matches ErrTooComplex, never a guess.
func ReachesTemplate(set Set, method, template string) (string, bool, error) {
	return DefaultBudget.ReachesTemplate(set, method, template)
}

// ReachesTemplate is scope.ReachesTemplate within budget b.
func (b Budget) ReachesTemplate(set Set, method, template string) (string, bool, error) {
	if !strings.HasPrefix(template, "/") {
		return "", false, fmt.Errorf("scope: path template %q does not begin with /", template)
	}
	var items []Item
	for _, it := range set.items {
		if it.Class == ReadWrite || (it.Class == Read && (method == "GET" || method == "HEAD")) {
			items = append(items, it)
		}
	}
	if !GrantableMethod(method) || len(items) == 0 {
		return "", false, nil
	}
	m := newMeter(b)
	n, ok := buildNFA(items, m)
	if !ok {
		return "", false, m.err
	}
	// The template's positions follow the items'.
	tmplStart := int32(len(n.kind))
	rest := template[1:]
	for len(rest) > 0 {
		open := strings.IndexByte(rest, '{')
		if open < 0 {
			open = len(rest)
		}
		for i := 0; i < open; i++ {
			if rest[i] == '}' {
				return "", false, fmt.Errorf("scope: path template %q has an unmatched }", template)
			}
			n.addPos(posLit, rest[i])
		}
		if open == len(rest) {
			break
		}
		end := strings.IndexByte(rest[open:], '}')
		if end < 0 {
			return "", false, fmt.Errorf("scope: path template %q has an unclosed {", template)
		}
		n.addPos(posSegByte, 0)
		n.addPos(posStar, 0)
		rest = rest[open+end+1:]
	}
	n.addPos(posAccept, 0)
	if len(n.kind) >= maxPositions || !m.hold(int64(len(n.kind)-int(tmplStart))*24) {
		if m.err == nil {
			m.err = &BudgetError{Bound: "bytes", Limit: m.limit.Bytes}
		}
		return "", false, m.err
	}
	path, found, err := n.intersect(tmplStart, n.starts, m)
	if err != nil || !found {
		return "", false, err
	}
	return "/" + path, true, nil
}

// intersect returns a shortest canonical path (without its leading "/")
// that the single position t and one of the positions of items' starts
// both accept, found false when there is none. Unlike containment, this
// needs no sets: a state is a pair of positions and a canonical-path
// state, so the search is polynomial; it is metered all the same.
func (a *nfa) intersect(t int32, items []int32, m *meter) (string, bool, error) {
	type state struct {
		t, q   int32
		k      canonState
		parent int32
		by     byte
	}
	var states []state
	var seen table
	visit := func(t, q int32, k canonState, parent int32, by byte) bool {
		key := uint64(t)<<(24+canonKeyBits) | uint64(q)<<canonKeyBits | k.key()
		if _, ok := seen.get(key); ok {
			return false
		}
		seen.put(key, 0)
		states = append(states, state{t, q, k, parent, by})
		m.hold(24 + slotBytes)
		return a.accepts1(t) && a.accepts1(q) && k.accepts()
	}
	for _, q := range items {
		if visit(t, a.rep[q], canonStart, -1, 0) {
			return "", true, nil
		}
	}
	var marks byteMarks
	var syms []byte
	var tm, qm [2]int32
	for i := 0; i < len(states) && m.err == nil; i++ {
		st := states[i]
		syms = syms[:0]
		switch {
		case !a.takesAny(st.t):
			if a.kind[st.t] == posLit {
				syms = append(syms, a.lit[st.t])
			}
		case !a.takesAny(st.q):
			if a.kind[st.q] == posLit {
				syms = append(syms, a.lit[st.q])
			}
		default:
			marks.reset()
			a.mark(st.t, &marks)
			a.mark(st.q, &marks)
			syms = appendSymbols(&marks, st.k, syms)
		}
		for _, c := range syms {
			m.spend(1)
			nk := st.k.step(c)
			if nk.dead {
				continue
			}
			for _, nt := range a.moves(st.t, c, tm[:0]) {
				for _, nq := range a.moves(st.q, c, qm[:0]) {
					if visit(nt, nq, nk, int32(i), c) {
						return pathTo(len(states)-1, func(k int) (int, byte) { return int(states[k].parent), states[k].by }), true, nil
					}
				}
			}
		}
	}
	return "", false, m.err
}
