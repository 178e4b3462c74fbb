package main

import (
	"log/slog"
	"net/http"
	"sync"

	"github.com/scopecheck/scopecheck/gateway"
)

// flights are the decisions under way on serve's fronts, so that a
// shutdown that cannot wait for them all says which it cut: each of
// those is then logged, rather than lost without a line.
type flights struct {
	mu  sync.Mutex
	now map[*http.Request]string // each request under way, and its front
}

func newFlights() *flights { return &flights{now: map[*http.Request]string{}} }

// wrap has h's requests on front counted as under way while h decides
// them.
func (f *flights) wrap(front string, h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		f.mu.Lock()
		f.now[r] = front
		f.mu.Unlock()
		defer func() {
			f.mu.Lock()
			delete(f.now, r)
			f.mu.Unlock()
		}()
		h.ServeHTTP(w, r)
	})
}

// cut logs, as an error, each decision still under way, and returns how
// many there were: the shutdown cuts them unanswered. Of the request it
// logs the front and the request line the front received (over gRPC, the
// original method and target; over HTTP, the check request's).
func (f *flights) cut(log *slog.Logger) int {
	f.mu.Lock()
	defer f.mu.Unlock()
	for r, front := range f.now {
		log.Error("decision cut by shutdown", "front", front, "method", gateway.Clip(r.Method), "target", gateway.Clip(r.RequestURI))
	}
	return len(f.now)
}
