package scope

import "slices"

// Containment is language inclusion of automata, intersected with the
// canonical-path automaton: every canonical path that some requested item
// matches, some allowed item matches too. It is decided by the antichain
// algorithm (De Wulf, Doyen, Henzinger, Raskin, "Antichains: a new
// algorithm for checking universality of finite automata", CAV 2006),
// with simulation subsumption (Abdulla, Chen, Holík, Mayr, Vojnar, "When
// simulation meets antichains", TACAS 2010):
//
//   - A search state is (c, p, k, S): the method class c (read requests,
//     which every access item grants, or the others, which only
//     read-write items grant), one position p of the requested items (the
//     requested side is not determinized), the canonical-path state k,
//     and the closed set S of allowed positions that the same path
//     reaches (the allowed side is). A state whose p accepts, whose k
//     accepts and whose S does not is a counterexample: the path to it is
//     a witness.
//   - A state with the same (c, p, k) and a smaller S reaches every
//     counterexample that one with a larger S does, and as soon: so a new
//     state whose S includes a found one's is dropped (the found states
//     form an antichain), and breadth-first order keeps the first
//     witness a shortest one.
//   - A state is dropped when S surely covers p: S holds p itself (equal
//     pattern suffixes share positions), S holds a "**" that ends its
//     pattern, or p is a wildcard and some wildcard of S simulates it (it
//     can follow every move of p, and accept wherever p does).
//
// Keys are packed integers and position sets are interned in one arena,
// so that a state costs a few dozen bytes. The work is metered in steps
// and bytes (Budget); past either bound the question is undecided.

// inclusion is the state of one containment search. Its storage is kept
// between questions on one nfa (Minimize asks one for each item).
type inclusion struct {
	a   *nfa
	sim *simulation
	m   *meter

	// The search states, by index in breadth-first order.
	pos    []int32
	canon  []canonState
	set    []int32 // interned set id
	cls    []uint8 // 0: read requests, 1: the other methods
	parent []int32
	by     []byte
	next   []int32 // the next state with the same key
	dead   []bool  // subsumed by a later state of the same depth
	// index maps a state's key (class, position, canonical state) to the
	// last state found with it; next chains the others.
	index table

	sets setArena

	marks   byteMarks
	syms    []byte
	stepBuf posSet
	moveSet posSet
	moveBuf []int32
}

// symbolSteps and stateSteps are what trying one byte from a state, and
// looking up (and storing) one state, are charged besides the positions
// they move and compare. Without them a search whose position sets stay
// empty or small, such as that for a pattern of hundreds of "*" that no
// other item overlaps, did tens of times more work per step than one
// with large sets; with them a step of either search takes about as long
// (BenchmarkCoversStars and BenchmarkCoversRefused).
const (
	symbolSteps = 8
	stateSteps  = 8
)

// stateBytes is what one search state holds, with its share of the index.
const stateBytes = 4 + 8 + 4 + 1 + 4 + 1 + 4 + 1 + slotBytes

func newInclusion(a *nfa, sim *simulation) *inclusion {
	return &inclusion{a: a, sim: sim, sets: newSetArena()}
}

// reset empties the search for a new question.
func (x *inclusion) reset(m *meter) {
	x.m = m
	x.pos, x.canon, x.set, x.cls = x.pos[:0], x.canon[:0], x.set[:0], x.cls[:0]
	x.parent, x.by, x.next, x.dead = x.parent[:0], x.by[:0], x.next[:0], x.dead[:0]
	x.index.reset()
	x.sets.reset()
}

// question is one containment question on the search's nfa: for each
// method class, the items (indexes in the nfa) that request and that
// allow it.
type question struct {
	requested, allowed [2][]int32
}

// run answers q. It returns the witness path (without its leading "/")
// and its class when containment fails, found false when it holds, and
// the meter's error when the budget ran out first.
//
// A requested item without wildcards has one path, which is followed
// through the allowed items directly, with no search state; it is a
// witness if it is canonical and they do not accept it. The search then
// runs for the other requested items only as deep as the shortest such
// witness, and the shorter of the two answers wins (the read class, then
// the search's, when they are as long).
func (x *inclusion) run(q question) (path string, class uint8, found bool, err error) {
	a := x.a
	best, bestClass, haveBest := "", uint8(0), false
	var starts [2]posSet
	for c := uint8(0); c < 2; c++ {
		if len(q.requested[c]) == 0 {
			continue
		}
		starts[c] = a.start(q.allowed[c])
		for _, it := range q.requested[c] {
			w, literal := a.literal(it)
			if !literal || haveBest && (len(w) > len(best) || len(w) == len(best) && c >= bestClass) {
				continue
			}
			if x.misses(w, a.rep[a.starts[it]], starts[c]) {
				best, bestClass, haveBest = w, c, true
			}
		}
	}
	if x.m.err != nil {
		return "", 0, false, x.m.err
	}
	maxDepth := -1 // no bound
	if haveBest {
		maxDepth = len(best)
	}
	// The search's depth 0: the other requested items' first positions,
	// each against the allowed items' first positions.
	for c := uint8(0); c < 2; c++ {
		if len(q.requested[c]) == 0 {
			continue
		}
		sid := int32(-1)
		for _, it := range q.requested[c] {
			if _, literal := a.literal(it); literal {
				continue
			}
			if sid < 0 {
				sid = x.sets.intern(a, starts[c], x.m)
			}
			if w := x.add(c, a.rep[a.starts[it]], canonStart, sid, -1, 0, 0); w >= 0 {
				return "", c, true, nil
			}
		}
	}
	depth, nextLayer := 0, len(x.pos)
	for i := 0; i < len(x.pos) && x.m.err == nil; i++ {
		if i == nextLayer {
			depth, nextLayer = depth+1, len(x.pos)
		}
		if depth == maxDepth {
			break // no witness of the search can be shorter now
		}
		if x.dead[i] {
			continue
		}
		if w := x.expand(i, nextLayer); w >= 0 {
			if haveBest && depth+1 == len(best) && bestClass < x.cls[w] {
				break
			}
			return pathTo(w, func(k int) (int, byte) { return int(x.parent[k]), x.by[k] }), x.cls[w], true, nil
		}
	}
	if x.m.err != nil {
		return "", 0, false, x.m.err
	}
	return best, bestClass, haveBest, nil
}

// misses reports whether the path w of a requested item without
// wildcards, whose first position is p, is canonical and not accepted
// from the allowed closed set s.
func (x *inclusion) misses(w string, p int32, s posSet) bool {
	if s.contains(p) {
		return false // an allowed item has the same pattern
	}
	if r, _ := CheckPathFrom(w, 0, 0); r != Canonical {
		return false // no request has this path
	}
	cur := append(x.stepBuf[:0], s...)
	next := x.moveSet
	for i := 0; i < len(w) && len(cur) > 0; i++ {
		if !x.m.spend(int64(len(cur)) + 1) {
			return false
		}
		next = x.a.stepInto(cur, w[i], next)
		cur, next = next, cur
		for _, k := range cur {
			if x.a.universal(k) {
				x.stepBuf, x.moveSet = cur, next
				return false
			}
		}
	}
	x.stepBuf, x.moveSet = cur, next
	return !x.a.accepts(cur)
}

// expand adds the successors of state i. layer is the index of the first
// state of the next depth. It returns the index of a counterexample, or -1.
func (x *inclusion) expand(i, layer int) int {
	a := x.a
	p, k, sid, c := x.pos[i], x.canon[i], x.set[i], x.cls[i]
	s := x.sets.get(sid)
	x.syms = x.symbols(p, s, k, x.syms[:0])
	for _, b := range x.syms {
		// Trying a byte costs its canonical step and its moves even when
		// it leads nowhere: a step of its own, so that a state's work is
		// never free.
		if !x.m.spend(symbolSteps) {
			return -1
		}
		nk := k.step(b)
		if nk.dead {
			continue
		}
		x.moveBuf = a.moves(p, b, x.moveBuf[:0])
		if len(x.moveBuf) == 0 {
			continue
		}
		x.m.spend(int64(len(s)) + 1)
		x.stepBuf = a.stepInto(s, b, x.stepBuf)
		nid := x.sets.intern(a, x.stepBuf, x.m)
		if x.sets.universal[nid] {
			continue // S takes every continuation
		}
		for _, np := range x.moveBuf {
			if w := x.add(c, np, nk, nid, int32(i), b, layer); w >= 0 {
				return w
			}
		}
		if x.m.err != nil {
			return -1
		}
	}
	return -1
}

// add records the state (c, p, k, set sid) reached from parent by byte b
// unless it is pruned or subsumed, and returns its index if it is a
// counterexample, else -1. States at index layer or later are of the
// new state's depth.
func (x *inclusion) add(c uint8, p int32, k canonState, sid int32, parent int32, b byte, layer int) int {
	a := x.a
	s := x.sets.get(sid)
	counter := a.accepts1(p) && k.accepts() && !x.sets.accepting[sid]
	if !counter {
		if s.contains(p) || x.sets.universal[sid] || a.wild(p) && x.simulatedIn(p, s) {
			return -1
		}
	}
	// Looking the state up, and storing it, costs whatever its sets hold.
	x.m.spend(stateSteps)
	key := uint64(p)<<(canonKeyBits+1) | uint64(c)<<canonKeyBits | k.key()
	head, ok := x.index.get(key)
	if !ok {
		head = -1
	}
	if !counter {
		for j := head; j >= 0; j = x.next[j] {
			if x.dead[j] {
				continue
			}
			t := x.sets.get(x.set[j])
			if !x.m.spend(int64(len(t)+len(s)) + 1) {
				return -1 // out of budget: run reports it
			}
			if x.set[j] == sid || t.subsetOf(s) {
				return -1 // an earlier state reaches all this one does
			}
			if int(j) >= layer && parent >= 0 && s.subsetOf(t) {
				x.dead[j] = true // this one reaches all that one does, as soon
			}
		}
	}
	n := int32(len(x.pos))
	x.pos, x.canon, x.set, x.cls = append(x.pos, p), append(x.canon, k), append(x.set, sid), append(x.cls, c)
	x.parent, x.by, x.next, x.dead = append(x.parent, parent), append(x.by, b), append(x.next, head), append(x.dead, false)
	x.index.put(key, n)
	x.m.hold(stateBytes)
	if counter {
		return int(n)
	}
	return -1
}

// simulatedIn reports whether some wildcard of the closed set s simulates
// the wildcard p.
func (x *inclusion) simulatedIn(p int32, s posSet) bool {
	x.m.spend(int64(len(s)))
	for _, q := range s {
		if x.a.wild(q) && x.sim.holds(p, q, x.m) {
			return true
		}
	}
	return false
}

// symbols appends to out the bytes worth trying from the state (p, s, k),
// in the order witnesses prefer. If p takes only literal bytes, those are
// all. Otherwise, outside an escape, every byte that no literal position
// of p or s expects and that is not "/", "." or "%" leads to the same
// next state (hex digits are plain bytes there), so one of them stands for
// all; there is always one, since '"' and '*' are canonical in paths and
// no pattern can spell them. Inside an escape only hex digits can follow,
// and each spells a different value; a letter digit that no literal
// expects in either case is tried in one.
func (x *inclusion) symbols(p int32, s posSet, k canonState, out []byte) []byte {
	a := x.a
	if !a.takesAny(p) {
		if a.kind[p] == posLit {
			out = append(out, a.lit[p])
		}
		return out
	}
	x.m.spend(int64(len(s)))
	x.marks.reset()
	a.mark(p, &x.marks)
	for _, q := range s {
		if a.kind[q] == posLit {
			x.marks.set(a.lit[q])
		}
	}
	return appendSymbols(&x.marks, k, out)
}

// appendSymbols appends the bytes worth trying in canonical state k when
// the bytes of marks are the only ones some literal expects: see
// inclusion.symbols.
func appendSymbols(marks *byteMarks, k canonState, out []byte) []byte {
	if k.need > 0 && k.esc == 0 {
		return append(out, '%') // a UTF-8 sequence spelled as escapes goes on
	}
	if k.esc != 0 {
		for _, c := range []byte(hexDigits) {
			if c >= 'A' && c <= 'F' && !marks.has(c) && !marks.has(c+'a'-'A') {
				continue // the lower-case letter stands for both
			}
			out = append(out, c)
		}
		return out
	}
	other := false
	for _, c := range []byte(witnessBytes) {
		switch {
		case marks.has(c) || c == '/' || c == '.' || c == '%':
			out = append(out, c)
		case !other:
			out = append(out, c)
			other = true
		}
	}
	return out
}

const hexDigits = "0123456789abcdefABCDEF"

// witnessBytes is every byte a canonical path may hold, in the order
// witnesses prefer: letters first, so that witnesses read naturally, and
// the bytes no pattern can spell last.
const witnessBytes = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_~/.%!$&'()+,:=@[]^`{|}<>\"*"

// pathTo spells the bytes on the way from a first state to state k.
func pathTo(k int, parent func(int) (int, byte)) string {
	var rev []byte
	for {
		p, c := parent(k)
		if p < 0 {
			break
		}
		rev = append(rev, c)
		k = p
	}
	slices.Reverse(rev)
	return string(rev)
}

// setArena interns closed position sets: each distinct set is stored once
// and named by an id, with whether it accepts and whether it takes every
// continuation.
type setArena struct {
	elems     []int32
	off       []int32 // set i is elems[off[i]:off[i+1]]
	accepting []bool
	universal []bool
	// byHash maps a set's hash to the last set with it; chain links the
	// others.
	byHash table
	chain  []int32
}

func newSetArena() setArena {
	return setArena{off: []int32{0}}
}

func (t *setArena) reset() {
	t.elems, t.off = t.elems[:0], t.off[:1]
	t.accepting, t.universal, t.chain = t.accepting[:0], t.universal[:0], t.chain[:0]
	t.byHash.reset()
}

func (t *setArena) get(id int32) posSet { return t.elems[t.off[id]:t.off[id+1]] }

// intern returns the id of s, storing a copy if it is new.
func (t *setArena) intern(a *nfa, s posSet, m *meter) int32 {
	h := uint64(len(s)) * 0x9e3779b97f4a7c15
	for _, k := range s {
		h = (h ^ uint64(k)) * 0xbf58476d1ce4e5b9
	}
	m.spend(int64(len(s)))
	head, ok := t.byHash.get(h)
	if !ok {
		head = -1
	}
	for id := head; id >= 0; id = t.chain[id] {
		if slices.Equal(t.get(id), s) {
			return id
		}
	}
	id := int32(len(t.off) - 1)
	t.elems = append(t.elems, s...)
	t.off = append(t.off, int32(len(t.elems)))
	acc, univ := false, false
	for _, k := range s {
		acc = acc || a.kind[k] == posAccept
		univ = univ || a.universal(k)
	}
	t.accepting, t.universal = append(t.accepting, acc), append(t.universal, univ)
	t.chain = append(t.chain, head)
	t.byHash.put(h, id)
	m.hold(int64(4*len(s)) + 4 + 2 + 4 + slotBytes)
	return id
}

// simulation decides, and remembers, whether one position of an nfa
// simulates another: q can answer every move of p with a move to a
// position that simulates p's, and accepts where p does. Then every path
// from p is a path from q, so q's item covers what remains of p's.
// Because the only cycles of the nfa's moves are self-loops, the greatest
// such relation is found by a recursion that takes a pair's own self-loop
// as holding; every other pair it meets has a shorter rest of pattern.
type simulation struct {
	a    *nfa
	memo table // 1: simulates, 0: does not
}

func newSimulation(a *nfa) *simulation { return &simulation{a: a} }

// maxSimDepth bounds the recursion; a pair deeper than that is taken as
// not simulated, which only costs pruning.
const maxSimDepth = 512

// holds reports whether q simulates p.
func (s *simulation) holds(p, q int32, m *meter) bool {
	return s.check(p, q, 0, m)
}

func (s *simulation) check(p, q int32, depth int, m *meter) bool {
	if p == q {
		return true
	}
	key := uint64(uint32(p))<<32 | uint64(uint32(q))
	if v, ok := s.memo.get(key); ok {
		return v == 1
	}
	if depth > maxSimDepth || !m.spend(1) {
		return false // not remembered: a larger budget may do better
	}
	v := s.compute(p, q, depth, m)
	if m.err == nil {
		b := int32(0)
		if v {
			b = 1
		}
		s.memo.put(key, b)
		m.hold(slotBytes)
	}
	return v
}

func (s *simulation) compute(p, q int32, depth int, m *meter) bool {
	a := s.a
	if a.accepts1(p) && !a.accepts1(q) {
		return false
	}
	// The bytes that tell p's and q's moves apart: their literals, "/",
	// and one byte that no pattern spells.
	var cand [5]byte
	n := 0
	addLit := func(k int32) {
		if a.wild(k) {
			k = a.succ(k)
		}
		if a.kind[k] == posLit {
			cand[n] = a.lit[k]
			n++
		}
	}
	addLit(p)
	if a.takesAny(p) {
		addLit(q)
		cand[n], cand[n+1] = '/', '"'
		n += 2
	}
	var pm, qm [2]int32
	for i := 0; i < n; i++ {
		c := cand[i]
		ps := a.moves(p, c, pm[:0])
		if len(ps) == 0 {
			continue
		}
		qs := a.moves(q, c, qm[:0])
		for _, np := range ps {
			ok := false
			for _, nq := range qs {
				if np == p && nq == q || s.check(np, nq, depth+1, m) {
					ok = true
					break
				}
			}
			if !ok {
				return false
			}
		}
	}
	return true
}
