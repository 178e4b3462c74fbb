package scope

import "slices"

// Relation says how a lint suggestion's grants compare with the scope's, as
// Covers proves it both ways.
type Relation uint8

const (
	// NoSuggestion: the finding has no suggestion.
	NoSuggestion Relation = iota
	// Same: the suggestion allows exactly the requests the scope allows.
	Same
	// Narrower: the suggestion allows some of them and nothing else.
	Narrower
	// Wider: the suggestion allows every one of them and more. Only
	// trailing-slash suggests this, since its point is to add the subtree.
	Wider
	// Repair: the scope does not parse, so it grants nothing; the
	// suggestion is the scope with the damaged item as it was probably
	// meant. It always parses; read what it grants before using it.
	Repair
)

var relationNames = [...]string{"", "equal", "narrower", "wider", "repair"}

// String is the relation's stable name: "equal", "narrower", "wider",
// "repair", or "" for NoSuggestion.
func (r Relation) String() string {
	if int(r) < len(relationNames) {
		return relationNames[r]
	}
	return "unknown"
}

// Example is a request that a finding's message names, with whether Scope
// (the item or items it is decided against, as written) allows it. Every
// example is a containment witness, so it is a canonical path; tests hold
// each to the matcher.
type Example struct {
	Scope   string
	Method  string
	Path    string
	Allowed bool
}

// claims lists, for each code that suggests, the relations its suggestion
// may have to the scope. A suggestion whose proven relation is not listed
// is not offered.
var claims = map[Code][]Relation{
	Whitespace:    {Same},
	Duplicate:     {Same},
	Redundant:     {Same},
	PrefixBleed:   {Narrower, Same},
	TrailingSlash: {Wider, Same},
}

// relate compares what b allows with what a allows, two questions of the
// lint's pass. ok is false when neither containment holds (the two
// scopes differ both ways), or when either question is undecided, and
// then err says why.
func (l *linter) relate(a, b Set) (rel Relation, ok bool, err error) {
	aCoversB, w1 := l.work.covers(a, b)
	if w1.Err != nil {
		return NoSuggestion, false, w1.Err
	}
	bCoversA, w2 := l.work.covers(b, a)
	if w2.Err != nil {
		return NoSuggestion, false, w2.Err
	}
	switch {
	case aCoversB && bCoversA:
		return Same, true, nil
	case aCoversB:
		return Narrower, true, nil
	case bCoversA:
		return Wider, true, nil
	}
	return NoSuggestion, false, nil
}

// prove checks a fix for a finding of code against the scope: the scope
// it makes must parse and stand in a relation to the scope that code may
// claim. It returns the fix, the scope it makes when that is short enough
// to show, and their relation; or nil, "" and NoSuggestion when there is
// no fix, when it fails, when the question is undecided (then err says
// why), or when the scope is damaged (no fix of one lint finding makes a
// damaged scope parse). A fix that leaves the canonical text as it is (a
// duplicate or blanks dropped) allows the same requests without asking
// Covers.
func (l *linter) prove(code Code, fix Edit) (*Edit, string, Relation, error) {
	if fix == (Edit{}) || l.damaged {
		return nil, "", NoSuggestion, nil
	}
	sugg := fix.Apply(l.src)
	set, err := Parse(sugg)
	if err != nil {
		return nil, "", NoSuggestion, nil
	}
	rel, ok := Same, true
	if set.String() != l.canon {
		if rel, ok, err = l.relate(l.set, set); err != nil {
			return nil, "", NoSuggestion, err
		}
	}
	if !ok || !slices.Contains(claims[code], rel) {
		return nil, "", NoSuggestion, nil
	}
	return &fix, shown(sugg), rel, nil
}

// differ returns a request that a allows and b denies, as a witness of
// Covers(b, a), a question of the lint's pass; ok is false when there is
// none or the question is undecided (then err says why).
func (l *linter) differ(a, b Set) (w Witness, ok bool, err error) {
	covered, w := l.work.covers(b, a)
	if w.Err != nil {
		return Witness{}, false, w.Err
	}
	if covered || w.Method == "" {
		return Witness{}, false, nil
	}
	return w, true, nil
}
