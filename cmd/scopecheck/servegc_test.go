package main

import "testing"

// The GOGC that serve sets after a cycle: the largest (a goal of 16 MiB
// from Go's floor of 4 MiB × GOGC/100) while the live heap is small, then
// what makes the goal 16 MiB, and Go's default once twice the live heap
// is past 16 MiB, as under a flood.
func TestGCPercent(t *testing.T) {
	const mib = 1 << 20
	for _, tc := range []struct {
		live uint64
		want int
	}{
		{0, 400}, {1, 400}, {1 * mib, 400}, {3 * mib, 400}, {4 * mib, 300}, {6 * mib, 167},
		{8*mib - 1, 101}, {8 * mib, 100}, {100 * mib, 100}, {1 << 40, 100},
	} {
		if got := gcPercent(tc.live, serveMinHeap); got != tc.want {
			t.Errorf("live %d bytes: GOGC %d, want %d", tc.live, got, tc.want)
		}
		// The goal Go computes from it is at least the minimum, or twice
		// the live heap.
		p := uint64(gcPercent(tc.live, serveMinHeap))
		if goal := max(tc.live+tc.live*p/100, 4*mib*p/100); goal < min(serveMinHeap, 2*tc.live) && tc.live > 0 || goal < serveMinHeap && 2*tc.live < serveMinHeap {
			t.Errorf("live %d bytes: a goal of %d", tc.live, goal)
		}
	}
}
