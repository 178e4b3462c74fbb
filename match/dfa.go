package match

import (
	"math"
	"math/bits"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"unsafe"

	"github.com/scopecheck/scopecheck/internal/memsize"
	"github.com/scopecheck/scopecheck/internal/swar"
)

// dfa holds the DFA states of a matcher's programs. Each state is a set
// of one program's NFA states (subset construction), built the first time
// a path needs it and kept: after the first few paths, a step is one
// table load where the NFA spends a dozen word operations for every word
// of its state set. Where a state stays itself on most bytes (the "**"
// before a literal waits for that literal's first byte), the DFA skips
// those bytes without stepping: with strings.IndexByte when one byte alone
// leaves the state, or eight bytes at a time with independent loads
// otherwise.
//
// Memory is bounded: the matcher's programs share tables of a fixed size,
// allocated at Compile and counted in Matcher.Size: eight times the
// memory of the programs' NFAs, at least 2 KiB and at most 32 KiB
// (dfaMaxBytes) per matcher, whatever paths it sees. When a
// path needs one more state than they hold, it goes on with the NFA from
// the state it is in (prog.run), which is as exact and as linear, only
// slower.
//
// Paths read the tables without a lock while other paths add states: a
// transition is published by an atomic store after everything it leads
// to is written, and read by an atomic load (on amd64 and arm64 a plain
// load). Adding a state takes mu.
type dfa struct {
	// next holds a row for each state, from cell 1 on (cell 0 is never
	// used, so that a cell's 0 can mean "not built yet"). A state of
	// program p has p.nclass+1 cells: the first is the state's index in
	// states; cell 1+c is its transition on class c: 0 not built yet,
	// dead when no NFA state survives, or else the target's row, negated
	// when the target skips (see skip).
	next   []int32
	sets   []uint64 // the NFA state sets, each at its state's set
	states []dstate
	full   atomic.Bool

	mu sync.Mutex // held while adding a state; guards the rest
	// Cells of next, words of sets and states taken so far.
	nextUsed, setsUsed, statesUsed int
	index                          []int32  // states by their program and set: index+1, 0 for none
	scratch                        []uint64 // two sets of the widest program
}

// dstate is one DFA state.
type dstate struct {
	prog *prog
	row  int32 // its row in next
	set  int32 // where its NFA state set is in sets
	skip skip
}

// dead is the transition to no state: every NFA state died. It is no
// row, negated or not.
const dead = math.MinInt32

// skip says which bytes leave a state and how to skip the others: the
// classes whose bytes keep the state are in stay, and b holds the bytes
// that leave it (skipByte, skipBytes) or the one that keeps it (skipRun).
type skip struct {
	kind uint8
	b    [3]byte
	stay uint64 // bit c for each class c whose bytes keep the state
}

const (
	skipNone  = iota
	skipAll   // every byte keeps it: the path's end
	skipByte  // one byte leaves: strings.IndexByte
	skipBytes // two or three bytes leave: eight at a time, in one word
	skipRun   // one byte keeps it: eight at a time, in one word
	skipMask  // any other: eight classes at a time, by stay
)

// The DFA of a matcher takes dfaPerNFA times the memory of its programs'
// NFAs, at least dfaMinBytes and at most dfaMaxBytes, all its tables
// counted as Size counts them (dfa.sizeOf); a program gets a DFA only if
// dfaMinStates of its states fit.
const (
	dfaPerNFA    = 8
	dfaMinBytes  = 2 << 10
	dfaMaxBytes  = 32 << 10
	dfaMinStates = 8
)

// stateBytes is the memory one DFA state of p takes: its row of
// transitions, its NFA state set, its dstate and its share of the index
// (which has at most four cells a state).
func (p *prog) stateBytes() int {
	return (p.nclass+1)*4 + p.words*8 + int(unsafe.Sizeof(dstate{})) + 4*4
}

// newDFA makes the DFA of a matcher's programs, of at most maxBytes
// (dfaMaxBytes but in tests), and gives it to those whose states are
// small enough; nil if there are none.
func newDFA(progs []*prog, maxBytes int) *dfa {
	nfa, stride, words := 0, 0, 0
	for _, p := range progs {
		nfa += p.sizeOf()
	}
	budget := min(max(dfaPerNFA*nfa, dfaMinBytes), maxBytes)
	for _, p := range progs {
		if p.stateBytes()*dfaMinStates <= budget {
			stride, words = max(stride, p.nclass+1), max(words, p.words)
		}
	}
	if stride == 0 {
		return nil
	}
	// Room for k states of the widest row and the widest set, the most
	// whose tables fit the budget. Narrower states take less, so that
	// more of them may fit.
	k := sort.Search(budget/(stride*4+words*8)+1, func(k int) bool {
		return tablesSize(k+1, stride, words) > budget
	})
	if k == 0 {
		return nil
	}
	d := &dfa{
		next:     make([]int32, 1+k*stride),
		sets:     make([]uint64, k*words),
		states:   make([]dstate, k),
		index:    make([]int32, indexSize(k)),
		scratch:  make([]uint64, 2*words),
		nextUsed: 1,
	}
	for _, p := range progs {
		if p.stateBytes()*dfaMinStates <= budget {
			if p.dfaStart = d.state(p, p.start); p.dfaStart != 0 {
				p.dfa = d
			}
		}
	}
	return d
}

// indexSize is the number of cells of the index of a DFA of k states: a
// power of two, at least twice k, so that a probe meets an empty cell
// soon.
func indexSize(k int) int {
	n := 1
	for n < 2*k {
		n <<= 1
	}
	return n
}

// tablesSize is the memory of the tables of a DFA of k states, of rows
// of stride cells and sets of words words (see sizeOf).
func tablesSize(k, stride, words int) int {
	return memsize.AllocPointers(int(unsafe.Sizeof(dfa{}))) + memsize.Alloc((1+k*stride)*4) +
		memsize.Alloc(k*words*8) + memsize.AllocPointers(k*int(unsafe.Sizeof(dstate{}))) +
		memsize.Alloc(indexSize(k)*4) + memsize.Alloc(2*words*8)
}

// set is the NFA state set of the state of p whose row is at.
func (d *dfa) set(p *prog, at int32) []uint64 {
	i := int(d.states[d.next[at]].set)
	return d.sets[i : i+p.words : i+p.words]
}

// run runs p's DFA over s from its start state. It returns the row of
// the state it ends in, and len(s); or, when it needs a state it has no
// room for, the state it is in and where, for the NFA to go on from; or
// dead when every NFA state died, which no pattern then matches.
func (d *dfa) run(p *prog, s string) (at int32, i int) {
	hit(hitDFA)
	next, cls := d.next, &p.cls
	at = max(p.dfaStart, -p.dfaStart)
	for i < len(s) {
		c := cls[s[i]]
		v := atomic.LoadInt32(&next[int(at)+1+int(c)])
		if v <= 0 {
			if v == 0 {
				if v = d.add(p, at, c); v == 0 {
					return at, i
				}
			}
			if v == dead {
				return dead, i
			}
			if v < 0 {
				// A state that skips. Once it has kept itself on one
				// byte, a run has begun: skip the rest of it. (Skipping
				// on entry would cost more than it saves on paths
				// whose runs are a byte or two long.)
				if v == -at {
					i = d.skip(at, s, i+1, cls)
					continue
				}
				v = -v
			}
		}
		at = v
		i++
	}
	return at, i
}

// skip returns the index of the first byte of s from i on that leaves
// the state whose row is at, or len(s).
func (d *dfa) skip(at int32, s string, i int, cls *[256]uint8) int {
	sk := &d.states[d.next[at]].skip
	switch sk.kind {
	case skipAll:
		hit(hitSkipAll)
		return len(s)
	case skipByte:
		hit(hitSkipByte)
		if k := strings.IndexByte(s[i:], sk.b[0]); k >= 0 {
			return i + k
		}
		return len(s)
	case skipBytes:
		hit(hitSkipBytes)
		for ; i+8 <= len(s); i += 8 {
			x := swar.Load64(s, i)
			if m := swar.Equal(x, sk.b[0]) | swar.Equal(x, sk.b[1]) | swar.Equal(x, sk.b[2]); m != 0 {
				return i + bits.TrailingZeros64(m)>>3
			}
		}
		for ; i < len(s); i++ {
			if c := s[i]; c == sk.b[0] || c == sk.b[1] || c == sk.b[2] {
				return i
			}
		}
		return i
	case skipRun:
		hit(hitSkipRun)
		run := 0x0101010101010101 * uint64(sk.b[0])
		// Sixteen bytes a step, in two independent loads, while the
		// run lasts; then eight. The loads are of rest at 0 and 8, which
		// the loop's condition proves in bounds, so that they need no
		// checks of their own.
		for rest := s[i:]; len(rest) >= 16; rest = rest[16:] {
			x, y := swar.Load64(rest, 0)^run, swar.Load64(rest, 8)^run
			if x|y != 0 {
				if x != 0 {
					return i + bits.TrailingZeros64(x)>>3
				}
				return i + 8 + bits.TrailingZeros64(y)>>3
			}
			i += 16
		}
		for ; i+8 <= len(s); i += 8 {
			if x := swar.Load64(s, i) ^ run; x != 0 {
				return i + bits.TrailingZeros64(x)>>3
			}
		}
		for i < len(s) && s[i] == sk.b[0] {
			i++
		}
		return i
	}
	hit(hitSkipMask)
	// The program has at most 64 classes (see skipOf), so a class
	// masked by 63 is itself, and the shift needs no test of its size.
	stay := sk.stay
	for i+8 <= len(s) {
		b := s[i : i+8]
		if stay>>(cls[b[0]]&63)&(stay>>(cls[b[1]]&63))&(stay>>(cls[b[2]]&63))&(stay>>(cls[b[3]]&63))&
			(stay>>(cls[b[4]]&63))&(stay>>(cls[b[5]]&63))&(stay>>(cls[b[6]]&63))&(stay>>(cls[b[7]]&63))&1 == 0 {
			break
		}
		i += 8
	}
	for i < len(s) && stay>>(cls[s[i]]&63)&1 != 0 {
		i++
	}
	return i
}

// add builds the transition of p's state whose row is at on class c,
// and the state it leads to if that is new, and returns the transition
// (see next); 0 if the state is new and there is no room for it.
func (d *dfa) add(p *prog, at int32, c uint8) int32 {
	if d.full.Load() {
		return 0
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	cell := &d.next[int(at)+1+int(c)]
	if v := atomic.LoadInt32(cell); v != 0 {
		return v // another path built it meanwhile
	}
	to := d.scratch[:p.words]
	p.stepSet(d.set(p, at), to, int(c))
	v := d.state(p, to)
	if v == 0 {
		d.full.Store(true)
		return 0
	}
	atomic.StoreInt32(cell, v)
	return v
}

// state returns p's state whose NFA state set is set, as a transition
// cell holds it, building it if it is new; dead for the empty set, 0 if
// it is new and there is no room for it. The caller holds mu, or has the
// DFA to itself.
func (d *dfa) state(p *prog, set []uint64) int32 {
	live := uint64(0)
	h := uint64(uintptr(unsafe.Pointer(p)))
	for _, x := range set {
		live |= x
		h = (h ^ x) * 0x9e3779b97f4a7c15
	}
	if live == 0 {
		return dead
	}
	mask := uint64(len(d.index) - 1)
	i := (h ^ h>>29) & mask
	for ; d.index[i] != 0; i = (i + 1) & mask {
		k := int(d.index[i] - 1)
		if st := &d.states[k]; st.prog == p && equalSets(d.sets[st.set:int(st.set)+p.words], set) {
			return d.cell(k)
		}
	}
	stride := p.nclass + 1
	if d.statesUsed == len(d.states) || d.nextUsed+stride > len(d.next) || d.setsUsed+p.words > len(d.sets) {
		return 0
	}
	k, row := d.statesUsed, d.nextUsed
	copy(d.sets[d.setsUsed:], set)
	d.states[k] = dstate{prog: p, row: int32(row), set: int32(d.setsUsed), skip: d.skipOf(p, set)}
	d.next[row] = int32(k)
	d.index[i] = int32(k + 1)
	d.statesUsed++
	d.nextUsed += stride
	d.setsUsed += p.words
	hit(hitDFAState)
	return d.cell(k)
}

// cell is state k as a transition cell holds it.
func (d *dfa) cell(k int) int32 {
	if st := &d.states[k]; st.skip.kind != skipNone {
		return -st.row
	}
	return d.states[k].row
}

// skipOf works out which classes keep the state whose set is set, by
// stepping it on each, and how to skip their bytes.
func (d *dfa) skipOf(p *prog, set []uint64) skip {
	var sk skip
	if p.nclass > 64 {
		return sk // more classes than stay has bits: no skipping
	}
	to := d.scratch[p.words : 2*p.words]
	for c := 0; c < p.nclass; c++ {
		if p.stepSet(set, to, c); equalSets(to, set) {
			sk.stay |= 1 << c
		}
	}
	// Classes 1 on are one byte each ("/" and the literals' bytes); class
	// 0 is every other byte.
	leave := ^sk.stay & (1<<p.nclass - 1)
	switch n := bits.OnesCount64(leave); {
	case sk.stay == 0:
	case leave == 0:
		sk.kind = skipAll
	case leave&1 == 0 && n <= 3:
		sk.kind = skipByte
		if n > 1 {
			sk.kind = skipBytes
		}
		for k := range sk.b {
			sk.b[k] = p.byteOf(bits.TrailingZeros64(leave))
			if leave&(leave-1) != 0 {
				leave &= leave - 1 // the last byte fills the rest
			}
		}
	case sk.stay&1 == 0 && bits.OnesCount64(sk.stay) == 1:
		sk.kind, sk.b[0] = skipRun, p.byteOf(bits.TrailingZeros64(sk.stay))
	default:
		sk.kind = skipMask
	}
	return sk
}

// byteOf is the byte of a class from 1 on.
func (p *prog) byteOf(c int) byte {
	for b := range p.cls {
		if p.cls[b] == uint8(c) {
			return byte(b)
		}
	}
	panic("match: a class without a byte")
}

func equalSets(a, b []uint64) bool {
	for k := range a {
		if a[k] != b[k] {
			return false
		}
	}
	return true
}

// sizeOf is the memory of the DFA's tables, all allocated with it; 0 for
// none.
func (d *dfa) sizeOf() int {
	if d == nil {
		return 0
	}
	return memsize.AllocPointers(int(unsafe.Sizeof(*d))) + memsize.Alloc(cap(d.next)*4) +
		memsize.Alloc(cap(d.sets)*8) + memsize.AllocPointers(cap(d.states)*int(unsafe.Sizeof(dstate{}))) +
		memsize.Alloc(cap(d.index)*4) + memsize.Alloc(cap(d.scratch)*8)
}
