package scope

import (
	"errors"
	"fmt"
)

// Budget bounds the work of one question about patterns as languages: a
// containment question (Covers; Equal asks two, Minimize and Lint one for
// each item, and all of those together may spend 16 times Steps) or a
// ReachesTemplate question. The questions are decidable
// but can need work exponential in the patterns' wildcards, so each is
// cut off, fail-closed and marked undecided (ErrTooComplex), once it has
// spent Steps steps or holds Bytes bytes.
//
// A step is one unit of the search's work: one position of an automaton
// moved by one byte, one position compared when a state is checked
// against those already found, one pair of positions compared for
// simulation; trying a byte from a state, and looking a state up, cost 8
// steps each besides, so that a search whose position sets stay small
// pays for its states too. Bytes is the memory the search holds (its states, position
// sets and indexes), counted as it grows; what the process allocates in
// all can be about twice that, as slices grow by doubling. On the
// project's machine DefaultBudget's steps take about 15 ms
// (BenchmarkCoversRefused).
//
// A zero or negative field means the default's value.
type Budget struct {
	Steps int64
	Bytes int64
}

// DefaultBudget is the budget of Covers, Equal, Minimize, Lint and
// ReachesTemplate. Questions about the scopes that real policies hold
// take a few thousand steps and kilobytes; only deliberately adversarial
// wildcard patterns come near it. A program may set it once, before it
// asks any question; to choose per question, use Budget's methods.
var DefaultBudget = Budget{Steps: defaultSteps, Bytes: defaultBytes}

const (
	defaultSteps = 4_000_000
	defaultBytes = 8 << 20
)

// ErrTooComplex is what a question that exceeds its Budget answers (as
// Witness.Err, or wrapped in the error Equal, Minimize and ReachesTemplate
// return): the question is undecided, and was answered by no guess.
var ErrTooComplex = errors.New("scope: the question exceeds its work budget; undecided")

// BudgetError says which bound of a Budget a question reached. It
// matches ErrTooComplex with errors.Is.
type BudgetError struct {
	Bound string // "steps" or "bytes"
	Limit int64
	// Pass is set when the limit reached is that of all the questions of
	// one Minimize or Lint, not that of one question.
	Pass bool
}

func (e *BudgetError) Error() string {
	if e.Pass {
		return fmt.Sprintf("scope: undecided: the questions of one Minimize or Lint need more than %d %s of work in all (scope.Budget)", e.Limit, e.Bound)
	}
	return fmt.Sprintf("scope: undecided: the question needs more than %d %s of work (scope.Budget)", e.Limit, e.Bound)
}

// Is makes errors.Is(err, ErrTooComplex) hold.
func (e *BudgetError) Is(target error) bool { return target == ErrTooComplex }

// orDefault fills the fields left zero or negative from DefaultBudget, or
// from the built-in defaults if DefaultBudget has them so too.
func (b Budget) orDefault() Budget {
	if b.Steps <= 0 {
		b.Steps = DefaultBudget.Steps
	}
	if b.Bytes <= 0 {
		b.Bytes = DefaultBudget.Bytes
	}
	if b.Steps <= 0 {
		b.Steps = defaultSteps
	}
	if b.Bytes <= 0 {
		b.Bytes = defaultBytes
	}
	return b
}

// meter counts one question's work against its budget.
type meter struct {
	steps, bytes int64
	limit        Budget
	err          error
}

func newMeter(b Budget) *meter { return &meter{limit: b.orDefault()} }

// spend adds steps and reports whether the question is still within its
// budget.
func (m *meter) spend(steps int64) bool {
	m.steps += steps
	if m.err == nil && m.steps > m.limit.Steps {
		m.err = &BudgetError{Bound: "steps", Limit: m.limit.Steps}
	}
	return m.err == nil
}

// hold adds bytes the question keeps and reports whether it is still
// within its budget.
func (m *meter) hold(bytes int64) bool {
	m.bytes += bytes
	if m.err == nil && m.bytes > m.limit.Bytes {
		m.err = &BudgetError{Bound: "bytes", Limit: m.limit.Bytes}
	}
	return m.err == nil
}
