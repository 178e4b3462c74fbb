package memsize

import (
	"runtime"
	"testing"
)

func TestAlloc(t *testing.T) {
	for _, tc := range []struct{ n, want int }{
		{-1, 0}, {0, 0}, {1, 8}, {8, 8}, {9, 16}, {33, 48}, {1000, 1024}, {1025, 1152},
		{32768, 32768}, {32769, 40960}, {40960, 40960},
	} {
		if got := Alloc(tc.n); got != tc.want {
			t.Errorf("Alloc(%d) = %d, want %d", tc.n, got, tc.want)
		}
	}
	for _, tc := range []struct {
		s    string
		want int
	}{{"", 0}, {"a", 16}, {"fifteen bytes..", 16}, {"sixteen bytes...", 16}, {"seventeen bytes..", 24}} {
		if got := String(tc.s); got != tc.want {
			t.Errorf("String(%q) = %d, want %d", tc.s, got, tc.want)
		}
	}
}

var sink [][]byte

// Alloc agrees with what the allocator really spends, measured on many
// objects of each size. (Objects under 16 bytes without pointers share
// 16-byte blocks, so Alloc, which does not count on that, overstates them.)
func TestAllocMeasured(t *testing.T) {
	for _, n := range []int{16, 24, 100, 700, 3000, 20000, 50000} {
		k := max(2000, 8<<20/n)
		sink = make([][]byte, 0, k)
		var before, after runtime.MemStats
		runtime.GC()
		runtime.ReadMemStats(&before)
		for i := 0; i < k; i++ {
			sink = append(sink, make([]byte, n))
		}
		runtime.GC()
		runtime.ReadMemStats(&after)
		got := int(after.HeapAlloc-before.HeapAlloc) / k
		if want := Alloc(n); got < want*90/100 || got > want*105/100 {
			t.Errorf("%d-byte objects take %d bytes each; Alloc says %d", n, got, want)
		}
		sink = nil
	}
	for _, n := range []int{16, 500, 700, 3000, 12288, 20000, 50000} {
		k := max(2000, 8<<20/n)
		ptrs = make([][]*int, 0, k)
		var before, after runtime.MemStats
		runtime.GC()
		runtime.ReadMemStats(&before)
		for i := 0; i < k; i++ {
			ptrs = append(ptrs, make([]*int, n/8))
		}
		runtime.GC()
		runtime.ReadMemStats(&after)
		got := int(after.HeapAlloc-before.HeapAlloc) / k
		if want := AllocPointers(n / 8 * 8); got < want*95/100 || got > want*105/100 {
			t.Errorf("%d-byte objects with pointers take %d bytes each; AllocPointers says %d", n, got, want)
		}
		ptrs = nil
	}
}

var ptrs [][]*int

// The table of small sizes gives what the search over the classes gives.
func TestAllocSmall(t *testing.T) {
	for n := 1; n <= smallMax+64; n++ {
		want := 0
		for _, c := range classes {
			if c >= n {
				want = c
				break
			}
		}
		if got := Alloc(n); got != want {
			t.Fatalf("Alloc(%d) = %d, want %d", n, got, want)
		}
	}
}
