package scope

// table maps packed uint64 keys to int32 values: the index of the
// searches' states, position sets and simulation answers. It is an
// open-addressing table with linear probing, at most half full, over two
// flat arrays that hold no pointers, so that the garbage collector never
// scans them and an insertion costs no write barrier. A value slot of 0
// marks a free slot; values are stored plus one.
type table struct {
	keys []uint64
	vals []int32
	n    int
}

// init sizes an empty table for n keys.
func (t *table) init(n int) {
	size := 16
	for size < 2*n {
		size <<= 1
	}
	t.keys, t.vals, t.n = make([]uint64, size), make([]int32, size), 0
}

// get returns the value of key, if it is there.
func (t *table) get(key uint64) (int32, bool) {
	if t.n == 0 {
		return 0, false
	}
	mask := uint64(len(t.keys) - 1)
	for i := mix(key) & mask; ; i = (i + 1) & mask {
		switch {
		case t.vals[i] == 0:
			return 0, false
		case t.keys[i] == key:
			return t.vals[i] - 1, true
		}
	}
}

// put sets the value of key.
func (t *table) put(key uint64, val int32) {
	if 2*(t.n+1) > len(t.keys) {
		t.grow()
	}
	mask := uint64(len(t.keys) - 1)
	i := mix(key) & mask
	for t.vals[i] != 0 && t.keys[i] != key {
		i = (i + 1) & mask
	}
	if t.vals[i] == 0 {
		t.n++
	}
	t.keys[i], t.vals[i] = key, val+1
}

func (t *table) grow() {
	keys, vals := t.keys, t.vals
	size := max(16, 2*len(keys))
	t.keys, t.vals, t.n = make([]uint64, size), make([]int32, size), 0
	for i, v := range vals {
		if v != 0 {
			t.put(keys[i], v-1)
		}
	}
}

// reset empties the table and keeps its storage.
func (t *table) reset() {
	if t.n > 0 {
		clear(t.vals)
		t.n = 0
	}
}

// slotBytes is what a table holds per entry, at half load.
const slotBytes = 2 * (8 + 4)

// mix is a 64-bit finalizer (splitmix64's), so that keys that differ in
// a few bits spread over the table.
func mix(x uint64) uint64 {
	x ^= x >> 30
	x *= 0xbf58476d1ce4e5b9
	x ^= x >> 27
	x *= 0x94d049bb133111eb
	return x ^ x>>31
}
