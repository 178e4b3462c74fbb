package match

import (
	"math/bits"
	"slices"
	"strings"

	"github.com/scopecheck/scopecheck/internal/swar"
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
	prefix  string
	indices string
	// head is a prefix of at most eight bytes as a little-endian word,
	// and headMask has the bits of its bytes set (0 for a longer
	// prefix), so that the walk compares such a prefix with one load
	// where the path has eight bytes left.
	head, headMask uint64
	children       []*node
	cands          []cand
	// Where cands is not empty, full is the bytes from the root to here:
	// the candidates' literal prefix, which a valid pattern makes
	// canonical as far as it goes. resume says whether a path check may
	// start after them, and segTail is the length of their last,
	// unfinished segment. resume is false where the prefix ends inside an
	// escaped UTF-8 sequence ("%C3" before a wildcard) or in a segment
	// that is "." so far.
	full    string
	segTail int32
	resume  bool
	// anyGrant says that a candidate here whose tail is "**" grants a
	// request whatever the rest of its path is: bit 0 (anyRead) a read,
	// bit 1 (anyWrite) any other method. Allow then needs no tail run.
	anyGrant uint8
	// group, when the node has more than groupMin candidates, runs all
	// their tails as one program, so that a path costs one pass here
	// however many items wait at the node (items that begin with a
	// wildcard all wait at the root).
	group *group
	// first and next are the children as insert links them: the first
	// child and the next sibling.
	first, next *node
	// ownCands says that cands outgrew the arena's slot and is an
	// allocation of its own.
	ownCands bool
}

// The bits of node.anyGrant.
const (
	anyRead  = 1
	anyWrite = 2
)

// groupMin is the most candidates a node tries one by one.
const groupMin = 8

// cand is an item at the node where its literal prefix ends.
type cand struct {
	item  int32 // index in the scope's items
	write bool  // "*" class: grants every grantable method
	tail  tail
}

// arena holds a trie's nodes, candidates and children in three slabs,
// so that Compile makes a few allocations however many items it has. A
// radix trie of n keys has at most 2n-1 nodes besides the root; every candidate has a slot
// of the candidate slab, which its node's cands begins at (a node whose
// candidates outgrow it gets its own slice: ownCands); and the children
// of every node are one slice of the children slab, which finish fills
// from the lists that insert builds (first, next).
type arena struct {
	nodes []node
	cands []cand
	kids  []*node
}

func (a *arena) init(items int) {
	a.nodes = make([]node, 0, max(2*items-1, 0))
	a.cands = make([]cand, 0, items)
}

func (a *arena) node() *node {
	if len(a.nodes) == cap(a.nodes) {
		// Each insert adds a leaf and splits at most one edge, and the
		// first splits none: n keys make at most 2n-1 nodes.
		panic("match: more trie nodes than the arena holds")
	}
	a.nodes = a.nodes[:len(a.nodes)+1]
	return &a.nodes[len(a.nodes)-1]
}

// addCand appends c to n's candidates.
func (n *node) addCand(c cand, a *arena) {
	if n.cands == nil && len(a.cands) < cap(a.cands) {
		a.cands = append(a.cands, c)
		n.cands = a.cands[len(a.cands)-1 : len(a.cands) : len(a.cands)]
		return
	}
	n.ownCands = n.ownCands || len(n.cands) == cap(n.cands)
	n.cands = append(n.cands, c)
}

// insert adds a candidate whose literal prefix is key, splitting edges as
// needed, and returns the node where it waits. Candidates must be
// inserted in item order: lookup relies on each node's cands being in
// that order. It links children in lists; finish makes the slices and
// indices that lookup uses.
func (n *node) insert(key string, c cand, a *arena) *node {
	full := key
	for {
		// n.prefix has been consumed; find the child that continues key.
		if key == "" {
			n.addCand(c, a)
			n.full = full
			return n
		}
		var prev *node
		child := n.first
		for child != nil && child.prefix[0] != key[0] {
			prev, child = child, child.next
		}
		if child == nil {
			leaf := a.node()
			leaf.prefix, leaf.full = key, full
			leaf.addCand(c, a)
			n.link(prev, leaf)
			return leaf
		}
		common := commonPrefix(key, child.prefix)
		if common < len(child.prefix) {
			// Split child at common: the new node keeps the shared part
			// and takes child's place in the list.
			split := a.node()
			split.prefix = child.prefix[:common]
			split.next, child.next = child.next, nil
			split.first = child
			child.prefix = child.prefix[common:]
			if prev == nil {
				n.first = split
			} else {
				prev.next = split
			}
			child = split
		}
		key = key[common:]
		n = child
	}
}

// link adds c to n's children after prev, the last of them (nil if none).
func (n *node) link(prev, c *node) {
	if prev == nil {
		n.first = c
	} else {
		prev.next = c
	}
}

// exactItem reports whether an item without wildcards waits at n.
func (n *node) exactItem() bool {
	for _, c := range n.cands {
		if c.tail.kind == tailEnd {
			return true
		}
	}
	return false
}

// writes reports whether an item without wildcards that waits at n is
// read-write.
func (n *node) writes() bool {
	for _, c := range n.cands {
		if c.tail.kind == tailEnd && c.write {
			return true
		}
	}
	return false
}

// progs returns the programs that n and the nodes under it run: the
// tails' and the groups'.
func (n *node) progs() []*prog {
	var out []*prog
	n.walk(func(x *node) {
		if x.group != nil {
			out = append(out, x.group.prog)
		}
		for k := range x.cands {
			if p := x.cands[k].tail.prog; p != nil {
				out = append(out, p)
			}
		}
	})
	return out
}

// finish makes every node's children slice (all of them one slab) and
// indices (all of them one string), sets resume and segTail on every node
// with candidates, and groups the candidates of nodes that have many.
func (n *node) finish(a *arena) {
	// Every node but the root is one node's child: one edge each.
	edges := len(a.nodes)
	a.kids = make([]*node, 0, edges)
	// The indices are views of idx's buffer, which holds every edge's
	// byte from the start (Grow), so that a view made before the last
	// byte is written stays valid.
	var idx strings.Builder
	idx.Grow(edges)
	n.walk(func(x *node) {
		start := len(a.kids)
		for c := x.first; c != nil; c = c.next {
			a.kids = append(a.kids, c)
			idx.WriteByte(c.prefix[0])
		}
		x.children = a.kids[start:len(a.kids):len(a.kids)]
		x.indices = idx.String()[start:]
		if len(x.prefix) <= 8 {
			for k := len(x.prefix) - 1; k >= 0; k-- {
				x.head = x.head<<8 | uint64(x.prefix[k])
				x.headMask = x.headMask<<8 | 0xff
			}
		}
		for _, c := range x.cands {
			if c.tail.kind == tailAny {
				x.anyGrant |= anyRead
				if c.write {
					x.anyGrant |= anyWrite
				}
			}
		}
		if len(x.cands) > 0 {
			// Patterns are valid, so a literal prefix is canonical up
			// to its last segment, which needs the check: it may be "."
			// or ".." so far, or end inside an escaped UTF-8 sequence.
			// A pattern holds no byte that a canonical path may not,
			// so a last segment of three bytes or more without "%" is
			// canonical so far, and needs no check.
			last := swar.LastIndexByte(x.full, '/') + 1
			seg := x.full[last:]
			x.segTail = int32(len(seg))
			x.resume = true
			if len(seg) <= 2 || strings.IndexByte(seg, '%') >= 0 {
				r, _ := scope.CheckPathFrom(x.full, last, last)
				x.resume = r == scope.Canonical
			}
		}
		if len(x.cands) > groupMin {
			// The group's program runs the candidates' tails; their
			// own programs would never run.
			x.group = newGroup(x.cands)
			for k := range x.cands {
				x.cands[k].tail.prog = nil
			}
		}
	})
}

// walk calls f on n and every node under it, parents first, in the order
// of the children lists.
func (n *node) walk(f func(*node)) {
	f(n)
	for c := n.first; c != nil; c = c.next {
		c.walk(f)
	}
}

// kidOf is the index of the child whose prefix begins with b, or -1.
//
// It is a loop of compares and branches, not one word compare
// (swar.Equal on the indices): on the walk, the next child's loads wait
// on the index, and a predicted branch gives it at once where a word
// compare's arithmetic delays every level (a 10,000-item trie of five
// levels took 47 ns a hit so, 28 ns with the loop). A node has at most
// 256 children.
func (n *node) kidOf(b byte) int {
	return indexByte(n.indices, b)
}

func indexByte(s string, b byte) int {
	for i := 0; i < len(s); i++ {
		if s[i] == b {
			return i
		}
	}
	return -1
}

// prefixOf reports whether s begins with n's prefix, whose first byte is
// known to match.
func (n *node) prefixOf(s string) bool {
	if n.headMask != 0 && len(s) >= 8 {
		return (swar.Load64(s, 0)^n.head)&n.headMask == 0
	}
	return hasPrefix(s, n.prefix)
}

// hasPrefix is strings.HasPrefix for a prefix whose first byte is known to
// match. Edges are often a few bytes long, where a call to the runtime's
// memequal costs more than the comparison: a prefix of eight bytes or more
// is compared a word at a time (the last word overlapping the one before
// it), a shorter one a byte at a time.
func hasPrefix(s, prefix string) bool {
	n := len(prefix)
	if len(s) < n {
		return false
	}
	if n >= 8 {
		for i := 0; i < n-8; i += 8 {
			if swar.Load64(s, i) != swar.Load64(prefix, i) {
				return false
			}
		}
		return swar.Load64(s, n-8) == swar.Load64(prefix, n-8)
	}
	for i := 1; i < n; i++ {
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
// denial, the earliest read item whose pattern matches; -1 for none.
func (n *node) lookup(rel string, write bool) (grant, readOnly int32) {
	grant, readOnly = -1, -1
	i := 0
	for {
		if len(n.cands) > 0 {
			grant, readOnly = n.try(rel[i:], write, false, grant, readOnly)
		}
		// n.child, by hand: Decide's walk is a hot path too.
		if i == len(rel) {
			return grant, readOnly
		}
		k := n.kidOf(rel[i])
		if k < 0 {
			return grant, readOnly
		}
		n = n.children[k]
		if !n.prefixOf(rel[i:]) {
			return grant, readOnly
		}
		i += len(n.prefix)
	}
}

// allowAt is lookup for Allow: it stops at the first node where an item
// grants the request, any item, and returns that node and how many bytes
// of rel the node's prefix took; nil if no item grants it.
func (n *node) allowAt(rel string, write bool) (at *node, took int) {
	need := uint8(anyRead)
	if write {
		need = anyWrite
	}
	i := 0
	for {
		if len(n.cands) > 0 {
			// "**", the usual tail, without trying the candidates.
			if n.anyGrant&need != 0 {
				return n, i
			}
			if g, _ := n.try(rel[i:], write, true, -1, -1); g >= 0 {
				return n, i
			}
		}
		// n.child, by hand: this loop is the hot path.
		if i == len(rel) {
			return nil, 0
		}
		k := n.kidOf(rel[i])
		if k < 0 {
			return nil, 0
		}
		// n.prefixOf, by hand: the compiler does not inline it.
		n = n.children[k]
		if rest := rel[i:]; n.headMask != 0 && len(rest) >= 8 {
			if (swar.Load64(rest, 0)^n.head)&n.headMask != 0 {
				return nil, 0
			}
		} else if !hasPrefix(rest, n.prefix) {
			return nil, 0
		}
		i += len(n.prefix)
	}
}

// child is the child of n that rel continues with after its first i
// bytes, or nil.
func (n *node) child(rel string, i int) *node {
	if i == len(rel) {
		return nil
	}
	k := n.kidOf(rel[i])
	if k < 0 {
		return nil
	}
	c := n.children[k]
	if !c.prefixOf(rel[i:]) {
		return nil
	}
	return c
}

// try tries the candidates of n on rest, the path after their literal
// prefix, and returns grant and readOnly (see lookup) updated with them.
func (n *node) try(rest string, write, first bool, grant, readOnly int32) (int32, int32) {
	if g := n.group; g != nil {
		if grant >= 0 && n.cands[0].item > grant {
			return grant, readOnly // none here can be an earlier grant
		}
		gi, ri := g.match(rest, write, write && !first)
		if gi >= 0 && (grant < 0 || n.cands[gi].item < grant) {
			grant = n.cands[gi].item
		}
		if ri >= 0 && (readOnly < 0 || n.cands[ri].item < readOnly) {
			readOnly = n.cands[ri].item
		}
		return grant, readOnly
	}
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
		// "**", the usual tail, without the call.
		if c.tail.kind == tailAny || c.tail.match(rest) {
			return c.item, readOnly
		}
	}
	return grant, readOnly
}

// cost is about how many word operations try spends on a rest of size
// bytes, for callers that bound their work (Compile).
func (n *node) cost(size int) int {
	if n.group != nil {
		return (size + 1) * n.group.prog.words
	}
	c := 0
	for k := range n.cands {
		c += size + 1
		if p := n.cands[k].tail.prog; p != nil {
			c += (size + 1) * p.words
		}
	}
	return c
}

// grantsWrite reports whether a read-write item matches rel, the path of
// an exact item, and whether it could tell within limit word operations
// (see cost); a node whose candidates cost more than the rest of the limit
// is not tried. Compile uses it to settle what the exact table answers for
// writes without paying items × keys.
func (n *node) grantsWrite(rel string, limit int) (grant, known bool) {
	i := 0
	for {
		if len(n.cands) > 0 {
			if limit -= n.cost(len(rel) - i); limit < 0 {
				return false, false
			}
			if g, _ := n.try(rel[i:], true, true, -1, -1); g >= 0 {
				return true, true
			}
		}
		if n = n.child(rel, i); n == nil {
			return false, true
		}
		i += len(n.prefix)
	}
}

// group is the candidates of one node as one program: their tails, in
// candidate order, each with its accepting state.
type group struct {
	prog *prog
	at   []int // the accepting state of each candidate's tail, increasing
	// The accepting states of every candidate, of the read-write ones
	// and of the read ones.
	all, write, read []uint64
}

func newGroup(cands []cand) *group {
	tails := make([][]scope.Elem, len(cands))
	for k := range cands {
		tails[k] = scope.Item{Class: scope.ReadWrite, Pattern: cands[k].tail.text}.Elems()
	}
	g := &group{prog: newProgs(tails)}
	w := g.prog.words
	g.all, g.write, g.read = make([]uint64, w), make([]uint64, w), make([]uint64, w)
	base := 0 // each tail's first state
	for k, t := range tails {
		n := 0
		for _, e := range t {
			n += max(len(e.Lit), 1)
		}
		acc := base + n
		g.at = append(g.at, acc)
		bit := uint64(1) << (acc % 64)
		g.all[acc/64] |= bit
		if cands[k].write {
			g.write[acc/64] |= bit
		} else {
			g.read[acc/64] |= bit
		}
		base = acc + 1
	}
	return g
}

// match runs the group on rest. It returns the earliest candidate that
// grants the request (read-write ones only when write), and with
// readOnly, the earliest read candidate that matches; indexes into the
// node's candidates, -1 for none.
func (g *group) match(rest string, write, readOnly bool) (grant, ro int) {
	grant, ro = -1, -1
	p := g.prog
	if len(rest) < p.minLen {
		return grant, ro
	}
	var stack [stackWords]uint64
	var bufp *[]uint64
	buf := stack[:min(p.words, stackWords)]
	if p.words > stackWords {
		bufp = getWide(p.words)
		buf = *bufp
	}
	if d := p.run(rest, buf); d != nil {
		mask := g.all
		if write {
			mask = g.write
		}
		grant = g.first(d, mask)
		if readOnly {
			ro = g.first(d, g.read)
		}
	}
	if bufp != nil {
		widePool.Put(bufp)
	}
	return grant, ro
}

// first is the candidate whose accepting state is the lowest in both d
// and mask, or -1.
func (g *group) first(d, mask []uint64) int {
	for k := range d {
		if x := d[k] & mask[k]; x != 0 {
			state := k*64 + bits.TrailingZeros64(x)
			i, _ := slices.BinarySearch(g.at, state)
			return i
		}
	}
	return -1
}
