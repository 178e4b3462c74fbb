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
// Each item's question gets DefaultBudget, and all of them together
// passBudgets times its steps. An item whose question is undecided, or is
// not asked once that is spent, is kept, so the result still allows
// exactly what s allows, and the error (matching ErrTooComplex) says how
// many items were kept so.
func Minimize(s Set) (Set, error) { return DefaultBudget.Minimize(s) }

// Minimize is scope.Minimize with budget b for each item's question (and
// passBudgets times b's steps for all of them).
func (b Budget) Minimize(s Set) (Set, error) {
	r, err := newRedundancy(s.items, b)
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
	items  []Item
	budget Budget
	// spent is the steps of all the questions asked so far, which may not
	// pass passBudgets times the budget's.
	spent    int64
	x        *inclusion
	prefixes *prefixIndex
}

func newRedundancy(items []Item, b Budget) (*redundancy, error) {
	m := newMeter(b)
	a, ok := buildNFA(items, m)
	if !ok {
		return nil, m.err
	}
	return &redundancy{items: items, budget: b.orDefault(), x: newInclusion(a, newSimulation(a)), prefixes: newPrefixIndex(items)}, nil
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

// passBudgets is how many questions' steps one Minimize or Lint may spend
// in all, so that a scope of many costly items costs a bounded time too.
const passBudgets = 16

// meter returns the meter of a new question of the pass, or the error
// that the pass has spent its steps.
func (r *redundancy) meter() (*meter, error) {
	left := passBudgets*r.budget.Steps - r.spent
	if left <= 0 {
		return nil, &BudgetError{Bound: "steps", Limit: passBudgets * r.budget.Steps, Pass: true}
	}
	b := r.budget
	b.Steps = min(b.Steps, left)
	return newMeter(b), nil
}

// charge counts a question's steps against the pass, and tells a question
// cut short by the pass's limit from one cut short by its own.
func (r *redundancy) charge(m *meter, err error) error {
	r.spent += m.steps
	if be, ok := err.(*BudgetError); ok && be.Bound == "steps" && m.limit.Steps < r.budget.Steps {
		return &BudgetError{Bound: "steps", Limit: passBudgets * r.budget.Steps, Pass: true}
	}
	return err
}

// covered reports whether the items that keep holds, other than i, cover
// item i, within the budget.
func (r *redundancy) covered(i int, keep []bool) (bool, error) {
	m, err := r.meter()
	if err != nil {
		return false, err
	}
	covered, err := r.coveredBy(i, r.candidates(i, keep), m)
	return covered, r.charge(m, err)
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
	m, err := r.meter()
	if err != nil {
		return cands
	}
	defer r.charge(m, nil)
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
