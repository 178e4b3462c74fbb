package match

import (
	"hash/maphash"

	"github.com/scopecheck/scopecheck/internal/swar"
)

// exactTable maps the patterns of the items without wildcards to what the
// scope grants on them, for Allow's fast path: most policies grant by
// object ID, and such a request, allowed or denied, is answered by one
// probe and one comparison. The scope grants the read methods on every
// key, since an item names it; whether it grants the others is the
// slot's write: yes, no, or unknown when settling it at Compile would
// have cost too much (then a write is decided by the trie).
//
// It is an open-addressing table with linear probing, at most half full,
// so every probe sequence ends at an empty slot. Keys are hashed by their
// length and two of their words (the middle and the last eight bytes),
// which tells object IDs apart at a fraction of the cost of hashing every
// byte. A lookup, of a key or of any path a client makes up, probes at
// most the longest run of occupied slots plus one, and the table is built
// with every run at most maxExactRun long. Keys that agree on those words
// cluster; when they would make a longer run, the table hashes whole keys
// instead, with a random seed as Go's maps do, so that runs are as short
// as chance makes them and no path can be built in advance to collide.
type exactTable struct {
	slots []exactSlot
	mask  uint64
	full  bool // hash whole keys
	seed  maphash.Seed
	// lens has bit len&63 set for the length of each key, so that most
	// paths no key can match skip hashing. It is only a filter: lengths
	// 64 apart share a bit, so a probe must still find the key itself.
	lens uint64
}

// exactSlot is one slot of the table. An empty key marks a free slot,
// since no pattern is empty; a free slot answers no lookup, not even one
// of the empty key (the path "/").
type exactSlot struct {
	key   string
	write uint8 // writeNo, writeYes, writeUnknown
}

const (
	writeNo = iota
	writeYes
	writeUnknown
)

// maxExactRun bounds the run of occupied slots that the two-word hash may
// leave; past it the table hashes whole keys.
const maxExactRun = 8

// init sizes an empty table for at most n keys.
func (t *exactTable) init(n int) {
	size := 8
	for size < 2*n {
		size <<= 1
	}
	t.slots = make([]exactSlot, size)
	t.mask = uint64(size - 1)
}

// add records that an item grants key, read-write when write. Adding
// more keys than init was told of, or an empty key, is a bug.
func (t *exactTable) add(key string, write bool) {
	if key == "" {
		panic("match: empty key in the exact table")
	}
	t.lens |= 1 << (len(key) & 63)
	i := t.hash(key) & t.mask
	for t.slots[i].key != "" && t.slots[i].key != key {
		i = (i + 1) & t.mask
	}
	s := &t.slots[i]
	s.key = key
	if write {
		s.write = writeYes
	}
}

// seal switches to hashing whole keys when the two-word hash left a run
// of occupied slots longer than maxExactRun.
func (t *exactTable) seal() {
	if t.longestRun() <= maxExactRun {
		return
	}
	old := t.slots
	t.slots = make([]exactSlot, len(old))
	t.full, t.seed = true, maphash.MakeSeed()
	for _, s := range old {
		if s.key != "" {
			t.add(s.key, s.write == writeYes)
		}
	}
}

// longestRun is the length of the longest run of occupied slots, counted
// around the end of the table. The table is at most half full, so there
// is an empty slot to start from.
func (t *exactTable) longestRun() int {
	start := 0
	for t.slots[start].key != "" {
		start++
	}
	run, longest := 0, 0
	for k := 1; k <= len(t.slots); k++ {
		if t.slots[(start+k)&int(t.mask)].key != "" {
			run++
			longest = max(longest, run)
		} else {
			run = 0
		}
	}
	return longest
}

// get reports whether key is in the table and, if so, whether the scope
// grants the methods outside the read class on it (writeYes, writeNo or
// writeUnknown). A path whose length no key has costs one test. A free
// slot ends the probe before any comparison, so the empty key, which no
// item has, is never found.
//
// The usual key, an object's path of tens of bytes, is hashed and
// compared inline, a word at a time: a call to a hash function and to
// the runtime's memequal cost as much again as the probe itself.
func (t *exactTable) get(key string) (write uint8, ok bool) {
	if t.lens&(1<<(len(key)&63)) == 0 {
		return writeNo, false
	}
	if len(key) < 8 || t.full {
		return t.probe(key)
	}
	for i := hashLong(key) & t.mask; ; i = (i + 1) & t.mask {
		s := &t.slots[i]
		if len(s.key) != len(key) {
			if s.key == "" {
				return writeNo, false
			}
			continue
		}
		// The last word overlaps the one before it.
		x := swar.Load64(s.key, len(key)-8) ^ swar.Load64(key, len(key)-8)
		for j := 0; j < len(key)-8; j += 8 {
			x |= swar.Load64(s.key, j) ^ swar.Load64(key, j)
		}
		if x == 0 {
			return s.write, true
		}
	}
}

// probe is get for short keys and tables that hash whole keys.
func (t *exactTable) probe(key string) (write uint8, ok bool) {
	for i := t.hash(key) & t.mask; ; i = (i + 1) & t.mask {
		s := &t.slots[i]
		if s.key == "" {
			return writeNo, false
		}
		if s.key == key {
			return s.write, true
		}
	}
}

// hash is the table's hash of a key: by its length and two of its
// words, the middle and the last eight bytes (a short key, by all its
// bytes), or, once the table hashes whole keys, maphash.
func (t *exactTable) hash(s string) uint64 {
	switch {
	case t.full:
		return maphash.String(t.seed, s)
	case len(s) >= 8:
		return hashLong(s)
	}
	h := uint64(len(s)) * 0x9e3779b97f4a7c15
	for i := 0; i < len(s); i++ {
		h = h<<8 | uint64(s[i])
	}
	return mix(h)
}

// hashLong is hash for a key of at least eight bytes, small enough to
// inline into get.
func hashLong(s string) uint64 {
	h := (uint64(len(s))*0x9e3779b97f4a7c15 ^ swar.Load64(s, len(s)-8)) * 0xbf58476d1ce4e5b9
	return mix(h ^ swar.Load64(s, len(s)/2-4))
}

func mix(h uint64) uint64 {
	h *= 0x94d049bb133111eb
	return h ^ h>>32
}
