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
//
// A node's children lie side by side in the trie's node slab (children is
// a slice of it, not of pointers), so that the walk finds a child with one
// load, its parent's children, where a slice of pointers took two: a walk
// of a deep trie waits on each level's loads in turn. Compile builds the
// trie from its sorted prefixes (see builder), which gives this layout
// without moving a node once written.
type node struct {
	// The fields the walk reads come first.

	// head is a prefix of two to eight bytes as a little-endian word,
	// and headMask has the bits of its bytes but the first set (the
	// parent's index has matched that one), so that the walk compares
	// such a prefix with one load where the path has eight bytes left.
	// headMask is 0 for a prefix of one byte, which the index has
	// matched whole, and for a longer prefix.
	head, headMask uint64
	children       []node
	indices        string
	prefix         string
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

// arena holds a trie's nodes and candidates in two slabs, and every
// node's indices in one string, so that Compile makes a few allocations
// however many items it has. A radix trie of n keys has at most 2n-1
// nodes besides the root (each key ends at one node, and a node where no
// key ends has two children or more); every node but the root is one
// node's child, with one byte of the indices. The candidates are in the
// order of their prefixes, so that each node's are a run of the slab.
type arena struct {
	nodes []node
	cands []cand
	idx   strings.Builder
	// As the nodes are made, exact gets the items without wildcards
	// whose patterns are canonical paths (nil if there are none), and
	// progs the programs the trie runs: the tails' and the groups'.
	exact *exactTable
	progs []*prog
}

// keyed is an access item's literal prefix, for ordering.
type keyed struct {
	prefix string
	item   int32
}

// keysOnStack is the most access items whose prefixes Compile orders
// without an allocation.
const keysOnStack = 32

// buildTrie makes root the trie of set's access items.
func (a *arena) buildTrie(root *node, set scope.Set, access int) {
	var stack [keysOnStack]keyed
	keys := stack[:0]
	if access > len(stack) {
		keys = make([]keyed, 0, access)
	}
	for i := 0; i < set.Len(); i++ {
		it := set.Item(i)
		if it.Class == scope.Plain {
			continue
		}
		// The literal prefix is the pattern up to its first wildcard.
		p := it.Pattern
		cut := strings.IndexByte(p, '*')
		if cut < 0 {
			cut = len(p)
		}
		keys = append(keys, keyed{p[:cut], int32(i)})
	}
	if len(keys) == 0 {
		return
	}
	a.nodes = make([]node, 0, 2*len(keys)-1)
	a.cands = make([]cand, len(keys))
	// Each index byte is written when its node is made, so the builder's
	// bytes are the slab's nodes in order, and a node's indices are the
	// bytes of its children's places. Grow makes room for all of them at
	// once, so that a view made before the last byte stays valid.
	a.idx.Grow(cap(a.nodes))
	a.grow(root, set, keys, 0, len(keys), 0)
}

// grow fills in x, a node whose keys are keys[lo:hi] (hi > lo), all
// beginning with the depth bytes from the root to x, and builds the nodes
// under it. It orders its keys (arrange), makes x's children side by side
// in the slab before any node under them, and fills the candidate slab's
// places lo to hi as the keys end: the keys are in the slab's order once
// they are all placed.
func (a *arena) grow(x *node, set scope.Set, keys []keyed, lo, hi, depth int) {
	arrange(keys[lo:hi], depth)
	// The keys that end here come first, in item order.
	e := lo
	for ; e < hi && len(keys[e].prefix) == depth; e++ {
		it := set.Item(int(keys[e].item))
		c := &a.cands[e]
		c.item, c.write = keys[e].item, it.Class == scope.ReadWrite
		c.tail = newTail(it.Pattern[depth:])
	}
	if e > lo {
		x.cands = a.cands[lo:e:e]
		x.full = keys[lo].prefix
	}
	// The rest, grouped by their next byte, are the children.
	start := len(a.nodes)
	for j := e; j < hi; {
		end := groupEnd(keys, j, hi, depth)
		if len(a.nodes) == cap(a.nodes) {
			panic("match: more trie nodes than the arena holds")
		}
		a.nodes = a.nodes[:len(a.nodes)+1]
		c := &a.nodes[len(a.nodes)-1]
		// A key alone makes a leaf of all its rest; a group's edge is
		// what all its keys share.
		c.prefix = keys[j].prefix[depth:]
		for _, k := range keys[j+1 : end] {
			c.prefix = c.prefix[:1+commonPrefix(c.prefix[1:], k.prefix[depth+1:])]
		}
		a.idx.WriteByte(keys[j].prefix[depth])
		j = end
	}
	if end := len(a.nodes); end > start {
		x.children = a.nodes[start:end:end]
		x.indices = a.idx.String()[start:end]
		if end-start > 8 {
			hit(hitWideNode)
		}
		for k, j := 0, e; j < hi; k++ {
			end := groupEnd(keys, j, hi, depth)
			c := &x.children[k]
			a.grow(c, set, keys, j, end, depth+len(c.prefix))
			j = end
		}
	}
	x.settle()
	if x.group != nil {
		a.progs = append(a.progs, x.group.prog)
	}
	for k := range x.cands {
		if p := x.cands[k].tail.prog; p != nil {
			a.progs = append(a.progs, p)
		}
	}
	// A literal that is a canonical path needs no path check; settle has
	// checked it (resume), since the node's bytes from the root are the
	// whole pattern.
	if a.exact != nil && x.resume && x.exactItem() {
		a.exact.add(x.full, x.writes())
	}
}

// sortMin is the most keys arrange orders by insertion; more are sorted.
const sortMin = 32

// arrange orders keys, which share their first depth bytes, as grow
// needs them: those that end at depth first, then the others grouped by
// their byte at depth, keys that tie keeping their order (the items'),
// so that each node's candidates are in item order. Keys in order already
// (as sorted keys are at every depth) cost one pass; a few are ordered by
// insertion on one byte; many are sorted whole, by the rest of their
// prefix and then by item, which orders them for every depth below too,
// so that building the trie costs O(n log n) compares at most.
func arrange(keys []keyed, depth int) {
	at := func(k keyed) int {
		if len(k.prefix) == depth {
			return -1
		}
		return int(k.prefix[depth])
	}
	i := 1
	for i < len(keys) && at(keys[i-1]) <= at(keys[i]) {
		i++
	}
	switch {
	case i == len(keys):
		return
	case len(keys) > sortMin:
		hit(hitKeysSort)
		slices.SortFunc(keys, func(x, y keyed) int {
			if c := strings.Compare(x.prefix[depth:], y.prefix[depth:]); c != 0 {
				return c
			}
			return int(x.item - y.item)
		})
		return
	}
	hit(hitKeysInsert)
	for ; i < len(keys); i++ {
		k, b := keys[i], at(keys[i])
		j := i
		for ; j > 0 && at(keys[j-1]) > b; j-- {
			keys[j] = keys[j-1]
		}
		keys[j] = k
	}
}

// groupEnd is the end of the run of keys[j:hi] whose byte at depth is
// keys[j]'s.
func groupEnd(keys []keyed, j, hi, depth int) int {
	b := keys[j].prefix[depth]
	for j++; j < hi && keys[j].prefix[depth] == b; j++ {
	}
	return j
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

// settle sets what the walk reads of a node whose prefix, children and
// candidates are made: head, anyGrant, resume and segTail where it has
// candidates, and the group of a node that has many.
func (x *node) settle() {
	if len(x.prefix) <= 8 {
		for k := len(x.prefix) - 1; k >= 0; k-- {
			x.head = x.head<<8 | uint64(x.prefix[k])
			x.headMask = x.headMask<<8 | 0xff
		}
		x.headMask &^= 0xff
	}
	if len(x.cands) == 0 {
		return
	}
	for _, c := range x.cands {
		if c.tail.kind == tailAny {
			x.anyGrant |= anyRead
			if c.write {
				x.anyGrant |= anyWrite
			}
		}
	}
	// Patterns are valid, so a literal prefix is canonical up to its last
	// segment, which needs the check: it may be "." or ".." so far, or
	// end inside an escaped UTF-8 sequence. A pattern holds no byte that a
	// canonical path may not, so a last segment of three bytes or more
	// without "%" is canonical so far, and needs no check.
	last := swar.LastIndexByte(x.full, '/') + 1
	seg := x.full[last:]
	x.segTail = int32(len(seg))
	x.resume = true
	if len(seg) <= 2 || strings.IndexByte(seg, '%') >= 0 {
		r, _ := scope.CheckPathFrom(x.full, last, last)
		x.resume = r == scope.Canonical
	}
	if len(x.cands) > groupMin {
		// The group's program runs the candidates' tails; their own
		// programs would never run.
		x.group = newGroup(x.cands)
		for k := range x.cands {
			x.cands[k].tail.prog = nil
		}
	}
}

// walk calls f on n and every node under it, parents first, children in
// the order of their indices.
func (n *node) walk(f func(*node)) {
	f(n)
	for k := range n.children {
		n.children[k].walk(f)
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

// commonPrefix is the length of the longest common prefix of a and b,
// compared a word at a time.
func commonPrefix(a, b string) int {
	n := min(len(a), len(b))
	i := 0
	for ; i+8 <= n; i += 8 {
		if x := swar.Load64(a, i) ^ swar.Load64(b, i); x != 0 {
			return i + bits.TrailingZeros64(x)>>3
		}
	}
	for i < n && a[i] == b[i] {
		i++
	}
	return i
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
		n = &n.children[k]
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
		// n.child, by hand: this loop is the hot path, and every
		// instruction of a level counts on a deep trie.
		if uint(i) >= uint(len(rel)) {
			return nil, 0
		}
		b, kids := rel[i], n.children
		idx := n.indices[:len(kids)]
		var next *node
		for k := range kids {
			if idx[k] == b {
				next = &kids[k]
				break
			}
		}
		if next == nil {
			return nil, 0
		}
		n = next
		// n.prefixOf, by hand: the compiler does not inline it. An edge
		// of one byte needs no compare.
		if n.headMask != 0 && len(rel)-i >= 8 {
			if (swar.Load64(rel, i)^n.head)&n.headMask != 0 {
				return nil, 0
			}
		} else if p := n.prefix; len(p) > 8 && len(rel)-i >= len(p) {
			// hasPrefix, by hand: a word at a time, the last word
			// overlapping the one before it.
			r := rel[i:]
			for j := 0; j < len(p)-8; j += 8 {
				if swar.Load64(r, j) != swar.Load64(p, j) {
					return nil, 0
				}
			}
			if swar.Load64(r, len(p)-8) != swar.Load64(p, len(p)-8) {
				return nil, 0
			}
		} else if len(p) > 1 && !hasPrefix(rel[i:], p) {
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
	c := &n.children[k]
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
