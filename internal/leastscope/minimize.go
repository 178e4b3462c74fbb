package leastscope

import (
	"errors"
	"fmt"
	"sort"
	"strings"

	"github.com/scopecheck/scopecheck/match"
	"github.com/scopecheck/scopecheck/scope"
)

// minimal is minimal with the plain items of the granted scope after
// the access items: they allow no request, so no log can show whether
// they are used, and they are kept as granted.
func (o *Observer) minimal(items []Origin) (scope.Set, []Origin, error) {
	set, origins, err := minimal(items, &o.work)
	var nm *notMinimal
	if err != nil && !errors.As(err, &nm) || !o.opts.HasWithin {
		return set, origins, err
	}
	var plain []string
	for _, it := range o.opts.Within.Items() {
		if it.Class == scope.Plain {
			plain = append(plain, it.Name)
			origins = append(origins, Origin{Item: it.Name, Why: "a plain item of the granted scope, kept: it allows no request, so no log shows its use"})
		}
	}
	if plain == nil {
		return set, origins, err
	}
	return scope.MustParse(set.String() + " " + strings.Join(plain, " ")), origins, err
}

// minimal turns proposed items into a scope without an item the others
// cover, sorted by pattern, with the origin of each item kept.
//
// A literal item (no wildcard) allows one path, which is canonical, with
// the methods of its class; so the others cover it exactly when their
// matcher allows that path with those methods. Those are dropped first,
// by the matcher, which is quick. A literal item left is covered by no
// other literal item (they differ), so only the items with a wildcard go
// to scope.Minimize, within the run's budget of work: one that the other
// wildcard items cover is dropped. (One that only literal items together
// with them cover is kept; a wildcard matches infinitely many paths, and
// literals, finitely many.) Minimize's result allows exactly what its
// input does even when a question is undecided, so an undecided
// question costs minimality, never the suggestion: the error it returns
// says so, and is not one that stops the suggestion.
func minimal(items []Origin, w *work) (scope.Set, []Origin, error) {
	why := map[string]string{}
	var parsed []scope.Item
	for _, o := range items {
		set, err := scope.Parse(o.Item)
		if err != nil || set.Len() != 1 {
			return scope.Set{}, nil, fmt.Errorf("proposed item %q does not parse: %v", o.Item, err)
		}
		if _, dup := why[o.Item]; !dup {
			why[o.Item] = o.Why
			parsed = append(parsed, set.Item(0))
		}
	}
	sort.Slice(parsed, func(i, j int) bool {
		a, b := parsed[i], parsed[j]
		if a.Pattern != b.Pattern {
			return a.Pattern < b.Pattern
		}
		return a.Class > b.Class // read-write first: it covers the read one
	})
	wild, lits := splitLiteral(parsed)
	wildM := match.Compile(setOf(wild))
	var rw []scope.Item
	for _, it := range lits {
		if it.Class == scope.ReadWrite {
			rw = append(rw, it)
		}
	}
	allM := match.Compile(setOf(append(append([]scope.Item(nil), wild...), rw...)))
	var keptLits []scope.Item
	for _, it := range lits {
		p := "/" + it.Pattern
		if it.Class == scope.ReadWrite && wildM.AllowEveryMethod(p) || it.Class == scope.Read && allM.Allow("GET", p) {
			continue
		}
		keptLits = append(keptLits, it)
	}
	var err error
	minWild := setOf(wild)
	if len(wild) > 1 {
		minWild, err = w.minimize(minWild)
	}
	kept := append(minWild.Items(), keptLits...)
	sort.Slice(kept, func(i, j int) bool {
		a, b := kept[i], kept[j]
		if a.Pattern != b.Pattern {
			return a.Pattern < b.Pattern
		}
		return a.Class > b.Class
	})
	set := setOf(kept)
	origins := make([]Origin, set.Len())
	for i, it := range set.Items() {
		origins[i] = Origin{Item: it.String(), Why: why[it.String()]}
	}
	if err != nil {
		err = &notMinimal{err}
	}
	return set, origins, err
}

// notMinimal says that a suggestion may hold an item the others cover,
// because a question of Minimize was undecided; it allows what it should.
type notMinimal struct{ err error }

func (e *notMinimal) Error() string {
	return "not proved minimal: " + e.err.Error()
}

// setOf is the scope of valid items.
func setOf(items []scope.Item) scope.Set {
	texts := make([]string, len(items))
	for i, it := range items {
		texts[i] = it.String()
	}
	return scope.MustParse(strings.Join(texts, " "))
}

// literal reports whether an access item's pattern has no wildcard, so
// that it matches one path.
func literal(it scope.Item) bool { return strings.IndexByte(it.Pattern, '*') < 0 }

// splitLiteral parts items into those with a wildcard and the literal
// ones, each in its order.
func splitLiteral(items []scope.Item) (wild, lits []scope.Item) {
	for _, it := range items {
		if literal(it) {
			lits = append(lits, it)
		} else {
			wild = append(wild, it)
		}
	}
	return wild, lits
}
