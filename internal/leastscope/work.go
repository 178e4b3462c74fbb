package leastscope

import (
	"errors"
	"fmt"

	"github.com/scopecheck/scopecheck/scope"
)

// work is the containment work of one run: every question about patterns
// as languages that Suggest asks (scope.Covers, scope.ReachesTemplate,
// scope.Minimize) is asked through it, within one budget of steps (a
// step as scope.Budget counts them).
//
// scope does not say how many steps a question took, only whether it was
// decided within a budget. So a question is first asked with firstSteps,
// and again with eight times as many while it is undecided, up to
// scope.DefaultBudget's steps; each time it is charged all the steps it
// was allowed, and besides, byteSteps for each byte of the patterns it
// is about: building a question's automata costs in proportion to them
// and is no step (a 4 KB pattern against "**" takes two steps and half a
// millisecond). The charge is never less than the search's work, and at
// most about nine times it plus what building costs. Once the budget
// cannot pay for the next time, the question, and every later one, is
// undecided, and the report says so.
type work struct {
	limit, spent int64
	// exhausted is the error every question answers once the budget is
	// spent.
	exhausted error
	questions int64
}

// firstSteps is what a question is first allowed: the questions of real
// scopes need hundreds to a few thousand steps (8 for each state), and the fixed cost of a
// question (building its automaton) is about that of a thousand steps.
const firstSteps = 1024

// byteSteps is what a byte of a question's patterns is charged: on the
// project's machine building the automata of a question takes about as
// long for each byte as 32 steps of its search.
const byteSteps = 32

// patternBytes is the length of a scope's text, for the charge of a
// question about it.
func patternBytes(sets ...scope.Set) int64 {
	n := int64(0)
	for _, s := range sets {
		for _, it := range s.Items() {
			n += int64(len(it.Pattern) + len(it.Name) + 3)
		}
	}
	return n
}

// errSpent is what a question answers once the run's budget is spent; it
// matches scope.ErrTooComplex, so that callers treat it as undecided.
type errSpent struct{ limit int64 }

func (e *errSpent) Error() string {
	return fmt.Sprintf("undecided: the run's containment work of %d steps (--max-steps) is spent", e.limit)
}

func (e *errSpent) Is(target error) bool { return target == scope.ErrTooComplex }

// ask asks a question about patterns of size bytes, as ask(budget) with
// budgets that grow while it is undecided; times is how many questions'
// steps one budget may spend (a Minimize of n items asks up to 16
// questions' worth). It returns ask's error, or the run's once the budget
// is spent.
func (w *work) ask(times, size int64, ask func(scope.Budget) error) error {
	w.questions++
	steps := int64(firstSteps)
	max := scope.DefaultBudget.Steps
	if max <= 0 {
		max = 4_000_000
	}
	for {
		if w.exhausted != nil {
			return w.exhausted
		}
		charge := steps*times + byteSteps*size
		if w.spent+charge > w.limit {
			w.exhausted = &errSpent{w.limit}
			return w.exhausted
		}
		w.spent += charge
		err := ask(scope.Budget{Steps: steps, Bytes: scope.DefaultBudget.Bytes})
		if err == nil || !errors.Is(err, scope.ErrTooComplex) || steps >= max {
			return err
		}
		steps = min(8*steps, max)
	}
}

// covers is scope.Covers within the run's budget.
func (w *work) covers(allowed, requested scope.Set) (bool, scope.Witness) {
	var ok bool
	var wit scope.Witness
	err := w.ask(1, patternBytes(allowed, requested), func(b scope.Budget) error {
		ok, wit = b.Covers(allowed, requested)
		return wit.Err
	})
	if err != nil {
		return false, scope.Witness{Err: err}
	}
	return ok, wit
}

// reaches is scope.ReachesTemplate within the run's budget; an undecided
// question is an error.
func (w *work) reaches(set scope.Set, method, template string) (bool, error) {
	var ok bool
	err := w.ask(1, patternBytes(set)+int64(len(template)), func(b scope.Budget) error {
		var err error
		_, ok, err = b.ReachesTemplate(set, method, template)
		return err
	})
	return ok && err == nil, err
}

// minimize is scope.Minimize within the run's budget: the result allows
// exactly what set does, and the error says how many items were kept
// undecided, not that it is wrong.
func (w *work) minimize(set scope.Set) (scope.Set, error) {
	out := set
	err := w.ask(int64(min(set.Len(), 16)), patternBytes(set), func(b scope.Budget) error {
		var err error
		out, err = b.Minimize(set)
		return err
	})
	return out, err
}
