package scope

import (
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
// overlaps a given one. It is a radix tree of the prefixes: a node stands
// for the bytes on the labels from the root to it, lists the items whose
// prefix that is, and has children whose labels are not empty and begin
// with distinct bytes. Labels are slices of the items' patterns, so the
// tree holds at most two nodes an item and no copy of a byte.
//
// A lookup walks its prefix down the tree and compares each byte at most
// once, and only as deep as the tree goes: it costs O(min(len(p), longest
// prefix in the index)) plus the nodes of the items it visits, however
// long p is. A requested item with a literal of a megabyte costs no more
// than the allowed side's longest prefix, before any Budget applies.
type prefixIndex struct {
	prefix []string // of each item; "" for a plain item
	nodes  []prefixNode
	// work counts the bytes compared and the nodes entered by lookups, so
	// that tests hold lookups to the bound above.
	work int64
}

type prefixNode struct {
	label string  // the bytes from the parent; "" only at the root
	items []int32 // whose literal prefix ends here
	kids  []int32 // sorted by the first byte of their label
}

func newPrefixIndex(items []Item) *prefixIndex {
	x := &prefixIndex{prefix: make([]string, len(items)), nodes: make([]prefixNode, 1, 1+len(items))}
	for i, it := range items {
		if it.Class == Plain {
			continue
		}
		x.prefix[i] = literalPrefix(it.Pattern)
		x.insert(x.prefix[i], int32(i))
	}
	return x
}

// child returns the index in n's kids of the child whose label begins with
// c, or where one would go, and whether it is there.
func (x *prefixIndex) child(n int32, c byte) (int, bool) {
	kids := x.nodes[n].kids
	lo, hi := 0, len(kids)
	for lo < hi {
		mid := int(uint(lo+hi) >> 1)
		if x.nodes[kids[mid]].label[0] < c {
			lo = mid + 1
		} else {
			hi = mid
		}
	}
	return lo, lo < len(kids) && x.nodes[kids[lo]].label[0] == c
}

// commonPrefix is the length of the longest common prefix of a and b.
func commonPrefix(a, b string) int {
	n := min(len(a), len(b))
	for i := 0; i < n; i++ {
		if a[i] != b[i] {
			return i
		}
	}
	return n
}

// insert files item i under prefix p, splitting the label that p leaves
// part way.
func (x *prefixIndex) insert(p string, i int32) {
	n := int32(0)
	for p != "" {
		k, ok := x.child(n, p[0])
		if !ok {
			x.nodes = append(x.nodes, prefixNode{label: p, items: []int32{i}})
			x.nodes[n].kids = append(x.nodes[n].kids, 0)
			kids := x.nodes[n].kids
			copy(kids[k+1:], kids[k:])
			kids[k] = int32(len(x.nodes) - 1)
			return
		}
		c := x.nodes[n].kids[k]
		label := x.nodes[c].label
		l := commonPrefix(label, p)
		if l < len(label) {
			// p leaves c's label at l: a new node takes its first l bytes.
			x.nodes = append(x.nodes, prefixNode{label: label[:l], kids: []int32{c}})
			mid := int32(len(x.nodes) - 1)
			x.nodes[c].label = label[l:]
			x.nodes[n].kids[k] = mid
			c = mid
		}
		n, p = c, p[l:]
	}
	x.nodes[n].items = append(x.nodes[n].items, i)
}

// overlapping calls visit with each access item whose literal prefix
// begins, or is begun by, p; each once, in no particular order.
func (x *prefixIndex) overlapping(p string, visit func(int32)) {
	n := int32(0)
	for {
		x.work++
		if p == "" {
			x.subtree(n, visit) // prefixes that p begins
			return
		}
		for _, j := range x.nodes[n].items {
			visit(j) // prefixes that begin p
		}
		k, ok := x.child(n, p[0])
		if !ok {
			return
		}
		c := x.nodes[n].kids[k]
		label := x.nodes[c].label
		l := commonPrefix(label, p)
		x.work += int64(l)
		switch {
		case l == len(p):
			x.subtree(c, visit) // p ends on c's label: all of c's prefixes extend p
			return
		case l < len(label):
			return // p leaves the tree
		}
		n, p = c, p[l:]
	}
}

// subtree visits the items of node n and of the nodes below it. Every
// node below n lists an item or has two children, so the nodes entered
// are fewer than twice the items visited, plus one.
func (x *prefixIndex) subtree(n int32, visit func(int32)) {
	stack := []int32{n}
	for len(stack) > 0 {
		n, stack = stack[len(stack)-1], stack[:len(stack)-1]
		x.work++
		for _, j := range x.nodes[n].items {
			visit(j)
		}
		stack = append(stack, x.nodes[n].kids...)
	}
}
