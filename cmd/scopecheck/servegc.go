package main

import (
	"runtime"
	"runtime/debug"
	"runtime/metrics"
)

// serveMinHeap is the least heap goal serve runs its collector with,
// unless GOGC is set. Every request costs net/http some 3 KB of garbage
// whatever serve does with it, and Go's default goal (twice the live heap,
// at least 4 MiB) collects it every few hundred requests: a quarter of the
// CPU that serve spent beyond a server that does nothing. With a goal of
// at least 16 MiB a cycle comes some seven times as rarely, and a busy
// serve holds some 13 MB more (40 MB resident under wrk, not 27). Once
// the live heap passes half of it, as under a flood that fills the caches,
// the goal is Go's default again, so the soft memory limit bounds the
// resident memory as it did (benchmarks' TestServeMemory): a fixed GOGC
// of 400 would keep the heap at the limit through a flood and take it
// 2–3 MiB over the bound.
const serveMinHeap = 16 << 20

// gcPercent is the GOGC that gives a heap goal of at least minHeap for a
// live heap of live bytes, and Go's default (100) once twice the live
// heap is past it: Go's goal is the larger of live×(1+GOGC/100) and
// 4 MiB×GOGC/100, so the percent is at most minHeap/4 MiB×100, which a
// live heap of 0 (none measured yet) gets.
func gcPercent(live, minHeap uint64) int {
	const goMinHeap = 4 << 20
	most := 100 * minHeap / goMinHeap
	switch {
	case live == 0:
		return int(most)
	case 2*live >= minHeap:
		return 100
	}
	return int(min((100*(minHeap-live)+live-1)/live, most)) // rounded up
}

// keepMinHeap sets GOGC by gcPercent after each collection, for the live
// heap it left.
func keepMinHeap(minHeap uint64) {
	sample := []metrics.Sample{{Name: "/gc/heap/live:bytes"}}
	var arm func()
	arm = func() {
		// A cleanup of an object nothing holds runs after the next cycle.
		runtime.AddCleanup(new([32]byte), func(struct{}) {
			metrics.Read(sample)
			if sample[0].Value.Kind() == metrics.KindUint64 {
				debug.SetGCPercent(gcPercent(sample[0].Value.Uint64(), minHeap))
			}
			arm()
		}, struct{}{})
	}
	debug.SetGCPercent(gcPercent(0, minHeap))
	arm()
}
