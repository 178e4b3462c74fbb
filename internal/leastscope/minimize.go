package leastscope

import (
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
	set, origins, err := minimal(items)
	if err != nil || !o.opts.HasWithin {
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
		return set, origins, nil
	}
	return scope.MustParse(set.String() + " " + strings.Join(plain, " ")), origins, nil
}

// minimal turns proposed items into a scope without an item the others
// cover, sorted by pattern, with the origin of each item kept.
//
// A literal item (no wildcard) allows one path, which is canonical, with
// the methods of its class; so the others cover it exactly when their
// matcher allows that path with those methods. Those are dropped first,
// by the matcher, which is quick; what is left goes to scope.Minimize.
func minimal(items []Origin) (scope.Set, []Origin, error) {
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
	var kept []scope.Item
	for _, it := range parsed {
		if literal(it) {
			p := "/" + it.Pattern
			if it.Class == scope.ReadWrite && wildM.AllowEveryMethod(p) || it.Class == scope.Read && allM.Allow("GET", p) {
				continue
			}
		}
		kept = append(kept, it)
	}
	// An undecided question is an error: no suggestion is made on it.
	set, err := scope.Minimize(setOf(kept))
	if err != nil {
		return scope.Set{}, nil, err
	}
	origins := make([]Origin, set.Len())
	for i, it := range set.Items() {
		origins[i] = Origin{Item: it.String(), Why: why[it.String()]}
	}
	return set, origins, nil
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
