package scope

import (
	"fmt"
	"strings"
)

// Witness shows why containment fails: a request that the requested scope
// allows and the allowed scope denies (Method and Path), or a plain item of
// the requested scope that the allowed scope lacks (Plain). When the
// question could not be decided, Err says why (it matches ErrTooComplex
// with errors.Is) and nothing else is set.
type Witness struct {
	// Method is "GET" for a read request and "POST" for a request of the
	// other methods, which are all decided alike. The method class with
	// the shorter witness path is named; GET when both are as short.
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
// denies; a shortest one is chosen. When the question needs more work than
// DefaultBudget allows, Covers answers false, fail-closed, with
// Witness.Err set (errors.Is(w.Err, ErrTooComplex)); callers that must
// tell "no" from "undecided" check it.
//
// The read class is GET and HEAD, as Compile's default.
func Covers(allowed, requested Set) (bool, Witness) { return DefaultBudget.Covers(allowed, requested) }

// Covers is scope.Covers within budget b.
func (b Budget) Covers(allowed, requested Set) (bool, Witness) {
	plan := planCovers(allowed, requested)
	if plan.decided {
		return plan.covered, plan.witness
	}
	return plan.run(newMeter(b))
}

// coversPlan is a containment question made ready for its search: the
// items of its automaton, and which of them request and which allow; or
// its answer, when no search is needed.
type coversPlan struct {
	decided bool
	covered bool
	witness Witness
	items   []Item
	q       question
}

func planCovers(allowed, requested Set) coversPlan {
	have := make(map[string]bool)
	for _, it := range allowed.items {
		if it.Class == Plain {
			have[it.Name] = true
		}
	}
	for _, it := range requested.items {
		if it.Class == Plain && !have[it.Name] {
			return coversPlan{decided: true, witness: Witness{Plain: it.Name}}
		}
	}
	// A requested item that allowed holds verbatim, in a class that
	// grants as much, is covered; of the allowed items, only those whose
	// literal prefix overlaps a remaining requested item's can match its
	// paths (see prefixIndex). Leaving the others out changes neither the
	// answer nor the witness, and makes a question between two large,
	// nearly equal scopes small.
	req := uncovered(allowed.items, requested.items)
	if len(req) == 0 {
		return coversPlan{decided: true, covered: true}
	}
	use := overlapping(allowed.items, req)
	// One automaton holds both sides' items, so that positions with the
	// same pattern suffix are shared. Read requests: every access item
	// grants them; other methods: only read-write items do.
	var p coversPlan
	add := func(it Item, classes *[2][]int32) {
		k := int32(len(p.items))
		p.items = append(p.items, it)
		classes[0] = append(classes[0], k)
		if it.Class == ReadWrite {
			classes[1] = append(classes[1], k)
		}
	}
	for j, it := range allowed.items {
		if use[j] {
			add(it, &p.q.allowed)
		}
	}
	for _, it := range req {
		add(it, &p.q.requested)
	}
	return p
}

// run builds the plan's automaton and searches it, metered by m.
func (p *coversPlan) run(m *meter) (bool, Witness) {
	a, ok := buildNFA(p.items, m)
	if !ok {
		return false, Witness{Err: m.err}
	}
	x := newInclusion(a, newSimulation(a))
	x.reset(m)
	path, class, found, err := x.run(p.q)
	switch {
	case err != nil:
		return false, Witness{Err: err}
	case found:
		return false, Witness{Method: [2]string{"GET", "POST"}[class], Path: "/" + path}
	}
	return true, Witness{}
}

// uncovered returns the access items of requested that allowed does not
// hold verbatim in a class that grants as much.
func uncovered(allowed, requested []Item) []Item {
	var out []Item
	if len(allowed)*len(requested) <= 1024 {
	next:
		for _, it := range requested {
			if it.Class == Plain {
				continue
			}
			for _, a := range allowed {
				if a.Pattern == it.Pattern && a.Class >= it.Class {
					continue next
				}
			}
			out = append(out, it)
		}
		return out
	}
	best := make(map[string]Class, len(allowed))
	for _, a := range allowed {
		best[a.Pattern] = max(best[a.Pattern], a.Class) // plain items have no pattern
	}
	for _, it := range requested {
		if it.Class != Plain && best[it.Pattern] < it.Class {
			out = append(out, it)
		}
	}
	return out
}

// overlapping reports which access items of allowed have a literal prefix
// that overlaps that of some item of requested (see prefixIndex). Few
// pairs are compared directly; many go through an index.
func overlapping(allowed, requested []Item) []bool {
	use := make([]bool, len(allowed))
	prefixes := make([]string, len(requested))
	for i, it := range requested {
		if prefixes[i] = literalPrefix(it.Pattern); prefixes[i] == "" {
			// A leading wildcard overlaps every item.
			for j, a := range allowed {
				use[j] = a.Class != Plain
			}
			return use
		}
	}
	if len(allowed)*len(requested) <= 1024 {
		for j, a := range allowed {
			if a.Class == Plain {
				continue
			}
			p := literalPrefix(a.Pattern)
			for _, r := range prefixes {
				if strings.HasPrefix(p, r) || strings.HasPrefix(r, p) {
					use[j] = true
					break
				}
			}
		}
		return use
	}
	index := newPrefixIndex(allowed)
	for _, r := range prefixes {
		index.overlapping(r, func(j int32) { use[j] = true })
	}
	return use
}

// buildNFA builds the automaton of items if its positions fit the search's
// keys and the budget's bytes.
func buildNFA(items []Item, m *meter) (*nfa, bool) {
	size := nfaSize(items)
	if size >= maxPositions {
		m.err = &BudgetError{Bound: "bytes", Limit: m.limit.Bytes}
		return nil, false
	}
	// Each position costs its kind, byte and rep, and an entry of the
	// suffix index while it is built.
	if !m.hold(int64(size) * 24) {
		return nil, false
	}
	return newNFA(items), true
}

// nfaSize is the number of positions of the automaton of items: a byte
// of their patterns is one.
func nfaSize(items []Item) int {
	size := 0
	for _, it := range items {
		size += len(it.Pattern) + 1
	}
	return size
}

// Equal reports whether a and b allow the same requests and hold the same
// plain items. When the question cannot be decided within DefaultBudget,
// it returns false and an error that matches ErrTooComplex.
func Equal(a, b Set) (bool, error) { return DefaultBudget.Equal(a, b) }

// Equal is scope.Equal within budget bu, for each direction.
func (bu Budget) Equal(a, b Set) (bool, error) {
	ab, w1 := bu.Covers(a, b)
	if !ab && w1.Err == nil {
		return false, nil
	}
	ba, w2 := bu.Covers(b, a)
	switch {
	case !ba && w2.Err == nil:
		return false, nil
	case w1.Err != nil:
		return false, w1.Err
	case w2.Err != nil:
		return false, w2.Err
	}
	return true, nil
}
