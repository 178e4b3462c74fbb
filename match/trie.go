package match

import (
	"strings"

	"github.com/scopecheck/scopecheck/scope"
)

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
	// Where cands is not empty, full is the bytes from the root to here:
	// the candidates' literal prefix, which a valid pattern makes
	// canonical as far as it goes. resume says whether a path check may
	// start after them, and segTail is the length of their last,
	// unfinished segment. resume is false where the prefix ends inside an
	// escaped UTF-8 sequence ("%C3" before a wildcard) or in a segment
	// that is "." so far.
	full    string
	resume  bool
	segTail int
}

// cand is an item at the node where its literal prefix ends.
type cand struct {
	item  int32 // index in the scope's items
	write bool  // "*" class: grants every grantable method
	tail  tail
}

// insert adds a candidate whose literal prefix is key, splitting edges as
// needed. Candidates must be inserted in item order: lookup relies on each
// node's cands being in that order.
func (n *node) insert(key string, c cand) {
	full := key
	for {
		// n.prefix has been consumed; find the child that continues key.
		if key == "" {
			n.cands = append(n.cands, c)
			n.full = full
			return
		}
		i := indexByte(n.indices, key[0])
		if i < 0 {
			n.indices += key[:1]
			n.children = append(n.children, &node{prefix: key, cands: []cand{c}, full: full})
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

// finish sets resume and segTail on every node with candidates.
func (n *node) finish() {
	if len(n.cands) > 0 {
		n.segTail = len(n.full) - (strings.LastIndexByte(n.full, '/') + 1)
		r, _ := scope.CheckPathFrom(n.full, 0, 0)
		n.resume = r == scope.Canonical
	}
	for _, c := range n.children {
		c.finish()
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

// hasPrefix is strings.HasPrefix for a prefix whose first byte is known to
// match. Edges are often a few bytes long, where a loop beats the call to
// the runtime's memequal.
func hasPrefix(s, prefix string) bool {
	if len(s) < len(prefix) {
		return false
	}
	if len(prefix) > 16 {
		return s[1:len(prefix)] == prefix[1:]
	}
	for i := 1; i < len(prefix); i++ {
		if s[i] != prefix[i] {
			return false
		}
	}
	return true
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
// first, it returns at the first grant, with the node where the grant was
// found and how many bytes of rel its prefix took, and does not look for
// read items.
func (n *node) lookup(rel string, write, first bool) (grant, readOnly int32, at *node, took int) {
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
					return grant, readOnly, n, i
				}
				break
			}
		}
		if i == len(rel) {
			return grant, readOnly, nil, 0
		}
		k := indexByte(n.indices, rel[i])
		if k < 0 {
			return grant, readOnly, nil, 0
		}
		n = n.children[k]
		if !hasPrefix(rest, n.prefix) {
			return grant, readOnly, nil, 0
		}
		i += len(n.prefix)
	}
}
