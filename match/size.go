package match

import (
	"unsafe"

	"github.com/scopecheck/scopecheck/internal/memsize"
)

// Size is the memory, in bytes, that Compile allocated for the matcher:
// its trie nodes, tails and their bit tables, the tables its DFA fills
// as paths need them (at most 32 KiB, allocated at Compile, so that the
// matcher never grows), exact table and options, each allocation rounded
// up to the allocator's size class. It does not
// count the scope.Set the matcher was compiled from (the items and their
// text, which the trie and tables share), since the caller made that; a
// Cache adds it. It is computed once, at Compile, for caches that budget
// bytes; TestSizeMeasured holds it to the heap growth Compile really
// causes.
func (m *Matcher) Size() int {
	if m == nil {
		return 0
	}
	return m.size
}

// sizeOf walks a compiled matcher for Size; a holds the slabs Compile
// built its trie in.
func (m *Matcher) sizeOf(a *arena) int {
	n := memsize.AllocPointers(int(unsafe.Sizeof(*m)))
	n += memsize.AllocPointers(cap(m.readExtra) * int(unsafe.Sizeof("")))
	n += memsize.AllocPointers(len(m.exact.slots) * int(unsafe.Sizeof(exactSlot{})))
	n += memsize.AllocPointers(cap(a.nodes) * int(unsafe.Sizeof(node{})))
	n += memsize.AllocPointers(cap(a.cands) * int(unsafe.Sizeof(cand{})))
	// Every node's indices are slices of one string, of one byte per
	// node of the slab.
	n += memsize.Alloc(a.idx.Cap())
	return n + m.root.sizeOf() + m.dfa.sizeOf()
}

// sizeOf is the memory that a trie node and the nodes under it hold
// beyond the arena's slabs (which hold the nodes themselves) and their
// indices; prefix and full are slices of the patterns.
func (n *node) sizeOf() int {
	total := 0
	for i := range n.cands {
		total += n.cands[i].tail.prog.sizeOf()
	}
	if g := n.group; g != nil {
		total += memsize.AllocPointers(int(unsafe.Sizeof(*g)))
		total += g.prog.sizeOf()
		total += memsize.Alloc(cap(g.at) * int(unsafe.Sizeof(0)))
		total += memsize.Alloc(cap(g.all)*8) + memsize.Alloc(cap(g.write)*8) + memsize.Alloc(cap(g.read)*8)
	}
	for k := range n.children {
		total += n.children[k].sizeOf()
	}
	return total
}

// sizeOf is the memory of a program and its bit tables; 0 for none.
func (p *prog) sizeOf() int {
	if p == nil {
		return 0
	}
	// eps, start and accept are one allocation.
	return memsize.AllocPointers(int(unsafe.Sizeof(*p))) + memsize.Alloc(cap(p.step)*16) + memsize.Alloc(3*p.words*8)
}
