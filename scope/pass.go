package scope

// pass is the containment work of one Minimize or Lint: one budget for
// all the questions it asks. Each question is within the budget of one
// question, and all of them together within passBudgets times it: the
// steps their searches spend, and the bytes they hold (the automaton a
// question builds, its simulation and its search's states), added up
// question by question. A question's limits are what the pass has left,
// so the pass never spends more than its total; once it cannot pay for a
// question, the question is undecided, with a BudgetError whose Pass is
// set. Bytes bound building: an automaton holds 24 bytes a byte of its
// patterns, so a pass builds at most 16 × Bytes / 24 positions in all,
// however many questions build one.
//
// What a question costs before its automaton is built, setting aside the
// items the other side holds verbatim and those whose literal prefix
// cannot overlap, is linear in the two scopes and is not counted.
type pass struct {
	budget      Budget // of one question, its defaults filled
	limit       Budget // of all of them
	steps, held int64  // spent so far
}

// passBudgets is how many questions' budgets one pass may spend in all.
const passBudgets = 16

func newPass(b Budget) *pass {
	b = b.orDefault()
	return &pass{budget: b, limit: Budget{Steps: passBudgets * b.Steps, Bytes: passBudgets * b.Bytes}}
}

// spentErr is the error of a question the pass cannot pay for.
func (p *pass) spentErr(bound string) error {
	limit := p.limit.Steps
	if bound == "bytes" {
		limit = p.limit.Bytes
	}
	return &BudgetError{Bound: bound, Limit: limit, Pass: true}
}

// meter returns the meter of a new question, limited to what the pass has
// left, or the pass's error if nothing is left.
func (p *pass) meter() (*meter, error) {
	b := Budget{Steps: min(p.budget.Steps, p.limit.Steps-p.steps), Bytes: min(p.budget.Bytes, p.limit.Bytes-p.held)}
	switch {
	case b.Steps <= 0:
		return nil, p.spentErr("steps")
	case b.Bytes <= 0:
		return nil, p.spentErr("bytes")
	}
	return newMeter(b), nil
}

// charge counts a question's work against the pass, at most its limits,
// and tells a question cut short by the pass's limit from one cut short
// by its own.
func (p *pass) charge(m *meter, err error) error {
	p.steps += min(m.steps, m.limit.Steps)
	p.held += min(m.bytes, m.limit.Bytes)
	if be, ok := err.(*BudgetError); ok {
		switch {
		case be.Bound == "steps" && m.limit.Steps < p.budget.Steps:
			return p.spentErr("steps")
		case be.Bound == "bytes" && m.limit.Bytes < p.budget.Bytes:
			return p.spentErr("bytes")
		}
	}
	return err
}

// covers is Covers, one question of the pass.
func (p *pass) covers(allowed, requested Set) (bool, Witness) {
	plan := planCovers(allowed, requested)
	if plan.decided {
		return plan.covered, plan.witness
	}
	m, err := p.meter()
	if err != nil {
		return false, Witness{Err: err}
	}
	ok, w := plan.run(m)
	if err := p.charge(m, w.Err); err != nil {
		return false, Witness{Err: err}
	}
	return ok, w
}
