package match

import "sort"

// node is a node of a radix trie over the literal prefixes of a scope's
// access items: the bytes of an item's pattern before its first wildcard.
// An item whose prefix ends at a node is a candidate there, and its tail
// decides whether the rest of the path matches.
//
// Invariants: children[i].prefix starts with indices[i], and no two
// children start with the same byte, so a lookup chooses at most one child
// per node and the walk is a single path; prefix is empty only at the
// root; cands are in item order.
type node struct {
	prefix   string
	indices  string
	children []*node
	cands    []cand
}

// cand is an item at the node where its literal prefix ends.
type cand struct {
	item  int32 // index in the scope's items
	write bool  // "*" class: grants every grantable method
	tail  tail
}

// insert adds a candidate whose literal prefix is key, splitting edges as
// needed.
func (n *node) insert(key string, c cand) {
	for {
		// n.prefix has been consumed; find the child that continues key.
		if key == "" {
			n.cands = append(n.cands, c)
			return
		}
		i := indexByte(n.indices, key[0])
		if i < 0 {
			n.indices += key[:1]
			n.children = append(n.children, &node{prefix: key, cands: []cand{c}})
			return
		}
		child := n.children[i]
		common := commonPrefix(key, child.prefix)
		if common < len(child.prefix) {
			// Split child at common: the new node keeps the shared part.
			split := &node{
				prefix:   child.prefix[:common],
				indices:  child.prefix[common : common+1],
				children: []*node{child},
			}
			child.prefix = child.prefix[common:]
			n.children[i] = split
			child = split
		}
		key = key[common:]
		n = child
	}
}

// sortCands puts every node's candidates in item order; insertion is in
// item order already, but sorting states the invariant where it is relied on.
func (n *node) sortCands() {
	sort.Slice(n.cands, func(i, j int) bool { return n.cands[i].item < n.cands[j].item })
	for _, c := range n.children {
		c.sortCands()
	}
}

func indexByte(s string, b byte) int {
	for i := 0; i < len(s); i++ {
		if s[i] == b {
			return i
		}
	}
	return -1
}

func commonPrefix(a, b string) int {
	n := min(len(a), len(b))
	for i := 0; i < n; i++ {
		if a[i] != b[i] {
			return i
		}
	}
	return n
}

// lookup walks rel down the trie and tries the tails of the candidates it
// passes. It returns the earliest item that grants the request (write says
// whether the method is outside the read class) and, for explaining a
// denial, the earliest read item whose pattern matches; -1 for none. With
// first, it returns at the first grant and does not look for read items.
func (n *node) lookup(rel string, write, first bool) (grant, readOnly int32) {
	grant, readOnly = -1, -1
	i := 0
	for {
		rest := rel[i:]
		for k := range n.cands {
			c := &n.cands[k]
			if grant >= 0 && c.item > grant {
				break // later candidates here cannot be earlier grants
			}
			if write && !c.write {
				if first || (readOnly >= 0 && c.item > readOnly) || !c.tail.match(rest) {
					continue
				}
				readOnly = c.item
				continue
			}
			if c.tail.match(rest) {
				grant = c.item
				if first {
					return grant, readOnly
				}
				break
			}
		}
		if i == len(rel) {
			return grant, readOnly
		}
		k := indexByte(n.indices, rel[i])
		if k < 0 {
			return grant, readOnly
		}
		n = n.children[k]
		if len(rest) < len(n.prefix) || rest[:len(n.prefix)] != n.prefix {
			return grant, readOnly
		}
		i += len(n.prefix)
	}
}
