package scope

import (
	"fmt"
	"slices"
)

// Minimize returns s without every item that the others cover, keeping the
// earliest of equivalent items; the result allows the same requests.
// Items are tried from the last to the first, each against the items still
// kept, so an earlier item is never dropped in favour of a later
// equivalent one.
//
// Each item's question gets DefaultBudget, and all of them together 16
// times it. An item whose question is undecided, or is not asked
// once that is spent, is kept, so the result still allows exactly what s
// allows, and the error (matching ErrTooComplex) says how many items were
// kept so.
func Minimize(s Set) (Set, error) { return DefaultBudget.Minimize(s) }

// Minimize is scope.Minimize with budget b for each item's question (and
// 16 times b's steps for all of them).
func (b Budget) Minimize(s Set) (Set, error) {
	r, err := newRedundancy(s.items, newPass(b))
	if err != nil {
		return s, fmt.Errorf("scope: no item of %d could be tried: %w", len(s.items), err)
	}
	keep := make([]bool, len(s.items))
	for i := range keep {
		keep[i] = true
	}
	undecided, first := 0, error(nil)
	for i := len(s.items) - 1; i >= 0; i-- {
		if s.items[i].Class == Plain {
			continue // duplicates are gone, so no other item covers it
		}
		covered, err := r.covered(i, keep)
		if err != nil {
			if undecided++; first == nil {
				first = fmt.Errorf("scope: item %s kept undecided: %w", s.items[i], err)
			}
			continue
		}
		keep[i] = !covered
	}
	var out []Item
	for i, it := range s.items {
		if keep[i] {
			out = append(out, it)
		}
	}
	if undecided > 1 {
		first = fmt.Errorf("%w (and %d more items)", first, undecided-1)
	}
	return Set{items: out}, first
}

// redundancy asks of the items of one scope, one at a time, whether the
// others still kept cover it. The questions share one automaton of all
// the items, its simulation relation and the search's storage, and each
// is asked of the items whose literal prefix overlaps the item's only
// (see prefixIndex), which leaves its answer unchanged.
type redundancy struct {
	items []Item
	// work is the pass the questions are charged to, which may be shared
	// with other questions (Lint's).
	work     *pass
	x        *inclusion
	prefixes *prefixIndex
}

func newRedundancy(items []Item, work *pass) (*redundancy, error) {
	m, err := work.meter()
	if err != nil {
		return nil, err
	}
	a, ok := buildNFA(items, m)
	if err := work.charge(m, m.err); !ok {
		return nil, err
	}
	return &redundancy{items: items, work: work, x: newInclusion(a, newSimulation(a)), prefixes: newPrefixIndex(items)}, nil
}

// candidates lists, in item order, the access items other than i that
// keep holds and whose literal prefix overlaps i's.
func (r *redundancy) candidates(i int, keep []bool) []int32 {
	var out []int32
	r.prefixes.overlapping(r.prefixes.prefix[i], func(j int32) {
		if int(j) != i && keep[j] {
			out = append(out, j)
		}
	})
	slices.Sort(out)
	return out
}

// covered reports whether the items that keep holds, other than i, cover
// item i, within the budget.
func (r *redundancy) covered(i int, keep []bool) (bool, error) {
	m, err := r.work.meter()
	if err != nil {
		return false, err
	}
	covered, err := r.coveredBy(i, r.candidates(i, keep), m)
	return covered, r.work.charge(m, err)
}

// coveredBy reports whether the items by cover item i, metered by m.
func (r *redundancy) coveredBy(i int, by []int32, m *meter) (bool, error) {
	var q question
	q.requested[0] = []int32{int32(i)}
	if r.items[i].Class == ReadWrite {
		q.requested[1] = q.requested[0]
	}
	for _, j := range by {
		q.allowed[0] = append(q.allowed[0], j)
		if r.items[j].Class == ReadWrite {
			q.allowed[1] = append(q.allowed[1], j)
		}
	}
	r.x.reset(m)
	_, _, found, err := r.x.run(q)
	if err != nil {
		return false, err
	}
	return !found, nil
}

// cover names a minimal set of the items that keep holds, other than i,
// that covers item i, which they must. A single item is tried first, the
// latest first; otherwise the candidates are dropped in item order while
// the rest still cover. The search for a name has one budget in all; if
// it runs out, the cover found so far is named, which is a cover still.
func (r *redundancy) cover(i int, keep []bool) []int32 {
	cands := r.candidates(i, keep)
	m, err := r.work.meter()
	if err != nil {
		return cands
	}
	defer r.work.charge(m, nil)
	for k := len(cands) - 1; k >= 0 && m.err == nil; k-- {
		if ok, _ := r.coveredBy(i, cands[k:k+1], m); ok {
			return cands[k : k+1]
		}
	}
	cover := cands
	for c := 0; c < len(cover) && m.err == nil; {
		try := append(append([]int32(nil), cover[:c]...), cover[c+1:]...)
		if ok, _ := r.coveredBy(i, try, m); ok {
			cover = try
		} else {
			c++
		}
	}
	return cover
}
