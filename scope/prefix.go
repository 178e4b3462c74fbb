package scope

import (
	"sort"
	"strings"
)

// Two access items can match a common path only if one's literal prefix
// (the bytes of its pattern before the first wildcard) begins the other's:
// every path an item matches begins with its prefix. So a containment
// question needs only the allowed items whose prefix overlaps a requested
// item's, and a scope of many object IDs asks each question of a handful.

// literalPrefix is the bytes of a pattern before its first wildcard.
func literalPrefix(pattern string) string {
	if cut := strings.IndexByte(pattern, '*'); cut >= 0 {
		return pattern[:cut]
	}
	return pattern
}

// prefixIndex finds the access items of a list whose literal prefix
// overlaps a given one.
type prefixIndex struct {
	prefix []string // of each item; "" for a plain item
	// byPrefix lists the access items by their literal prefix, and sorted
	// orders them by it, so that the items whose prefix extends a given
	// one are a run of it.
	byPrefix map[string][]int32
	sorted   []int32
}

func newPrefixIndex(items []Item) *prefixIndex {
	x := &prefixIndex{prefix: make([]string, len(items)), byPrefix: make(map[string][]int32)}
	for i, it := range items {
		if it.Class == Plain {
			continue
		}
		p := literalPrefix(it.Pattern)
		x.prefix[i] = p
		x.byPrefix[p] = append(x.byPrefix[p], int32(i))
		x.sorted = append(x.sorted, int32(i))
	}
	sort.SliceStable(x.sorted, func(a, b int) bool { return x.prefix[x.sorted[a]] < x.prefix[x.sorted[b]] })
	return x
}

// overlapping calls visit with each access item whose literal prefix
// begins, or is begun by, p; each once, in no particular order.
func (x *prefixIndex) overlapping(p string, visit func(int32)) {
	for k := 0; k < len(p); k++ {
		for _, j := range x.byPrefix[p[:k]] {
			visit(j)
		}
	}
	lo := sort.Search(len(x.sorted), func(t int) bool { return x.prefix[x.sorted[t]] >= p })
	for t := lo; t < len(x.sorted) && strings.HasPrefix(x.prefix[x.sorted[t]], p); t++ {
		visit(x.sorted[t])
	}
}
