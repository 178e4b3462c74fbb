package main

import (
	"hash/maphash"
	"log/slog"
	"net/http"
	"sync"
	"sync/atomic"

	"github.com/scopecheck/scopecheck/gateway"
)

// flights are the decisions under way on serve's fronts, so that a
// shutdown that cannot wait for them all says which it cut: each of
// those is then logged, rather than lost without a line.
type flights struct {
	mu     sync.Mutex
	fronts []*frontFlights
}

func newFlights() *flights { return &flights{} }

// flightSlots is the size of a front's table of decisions under way: twice
// the connections a listener takes by default (an HTTP connection has at
// most one request in flight), so that a request seldom probes more than
// one slot; flightProbes is how many it tries before the overflow map.
const (
	flightSlots  = 256
	flightProbes = 8
)

// frontFlights are the decisions under way on one front. Each is held in
// a slot of a fixed table, found from a hash of its request and taken by
// a compare-and-swap, so that a decision costs no lock, no map and no
// allocation, and two decisions on two cores seldom touch one cache line.
// When flightProbes slots in a row are taken (more decisions in flight
// than the table is sized for), the decision goes in a map under a lock
// instead; either way each is listed by cut.
type frontFlights struct {
	front string
	h     http.Handler
	seed  maphash.Seed
	slots [flightSlots]flightSlot

	mu   sync.Mutex
	more map[*http.Request]struct{}
}

// flightSlot holds a request under way, or nil; each on a cache line of
// its own.
type flightSlot struct {
	r atomic.Pointer[http.Request]
	_ [56]byte
}

// wrap has h's requests on front counted as under way while h decides
// them.
func (f *flights) wrap(front string, h http.Handler) http.Handler {
	ff := &frontFlights{front: front, h: h, seed: maphash.MakeSeed(), more: map[*http.Request]struct{}{}}
	f.mu.Lock()
	f.fronts = append(f.fronts, ff)
	f.mu.Unlock()
	return ff
}

func (f *frontFlights) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	i := f.hold(r)
	defer f.release(i, r) // also when h panics, which net/http recovers
	f.h.ServeHTTP(w, r)
}

// hold notes r as under way, and returns the slot that holds it, or -1
// when it is in the map.
func (f *frontFlights) hold(r *http.Request) int {
	i := int(maphash.Comparable(f.seed, r))
	for range flightProbes {
		i &= flightSlots - 1
		if f.slots[i].r.CompareAndSwap(nil, r) {
			return i
		}
		i++
	}
	f.mu.Lock()
	f.more[r] = struct{}{}
	f.mu.Unlock()
	return -1
}

// release notes r, held in slot i, as answered.
func (f *frontFlights) release(i int, r *http.Request) {
	if i >= 0 {
		f.slots[i].r.Store(nil)
		return
	}
	f.mu.Lock()
	delete(f.more, r)
	f.mu.Unlock()
}

// under calls fn with each request under way.
func (f *frontFlights) under(fn func(*http.Request)) {
	for i := range f.slots {
		if r := f.slots[i].r.Load(); r != nil {
			fn(r)
		}
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	for r := range f.more {
		fn(r)
	}
}

// cut logs, as an error, each decision still under way, and returns how
// many there were: the shutdown cuts them unanswered. Of the request it
// logs the front and the request line the front received (over gRPC, the
// original method and target; over HTTP, the check request's).
func (f *flights) cut(log *slog.Logger) int {
	f.mu.Lock()
	defer f.mu.Unlock()
	n := 0
	for _, ff := range f.fronts {
		ff.under(func(r *http.Request) {
			log.Error("decision cut by shutdown", "front", ff.front, "method", gateway.Clip(r.Method), "target", gateway.Clip(r.RequestURI))
			n++
		})
	}
	return n
}
