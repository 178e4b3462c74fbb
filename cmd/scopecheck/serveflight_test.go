package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// cutLines are the decisions a cut logs, as "front method target", sorted.
func cutLines(t *testing.T, fl *flights) (int, []string) {
	t.Helper()
	var out bytes.Buffer
	n := fl.cut(slog.New(slog.NewJSONHandler(&out, nil)))
	var got []string
	for _, line := range strings.Split(strings.TrimSpace(out.String()), "\n") {
		if line == "" {
			continue
		}
		var l struct{ Msg, Front, Method, Target string }
		if err := json.Unmarshal([]byte(line), &l); err != nil || l.Msg != "decision cut by shutdown" {
			t.Fatalf("line %q: %v", line, err)
		}
		got = append(got, l.Front+" "+l.Method+" "+l.Target)
	}
	slices.Sort(got)
	return n, got
}

// A cut lists every decision under way on every front, once, and none
// that was answered or whose handler panicked: with a few in flight, with
// more than the slots of a front's table (so that some wait in its
// overflow map), and after they are all answered.
func TestFlightsCut(t *testing.T) {
	for _, inflight := range []int{0, 1, 2, 65, flightSlots - 1, flightSlots, flightSlots + 1, 2*flightSlots + 3} {
		t.Run(fmt.Sprint(inflight), func(t *testing.T) {
			fl := newFlights()
			release := make(chan struct{})
			var started sync.WaitGroup
			block := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				started.Done()
				<-release
			})
			fronts := map[string]http.Handler{"http": fl.wrap("http", block), "grpc": fl.wrap("grpc", block)}
			panics := fl.wrap("http", http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { panic(http.ErrAbortHandler) }))
			var want []string
			var done sync.WaitGroup
			for i := range inflight {
				front := []string{"http", "grpc"}[i%2]
				if i%3 == 0 {
					front = "http" // fronts of unequal load
				}
				target := fmt.Sprintf("/t/%d", i)
				want = append(want, front+" GET "+target)
				started.Add(1)
				done.Add(1)
				go func() {
					defer done.Done()
					fronts[front].ServeHTTP(httptest.NewRecorder(), httptest.NewRequest("GET", target, nil))
				}()
				func() {
					defer func() { recover() }()
					panics.ServeHTTP(httptest.NewRecorder(), httptest.NewRequest("GET", "/panicked", nil))
				}()
			}
			started.Wait()
			slices.Sort(want)
			n, got := cutLines(t, fl)
			if diff := cmp.Diff(want, got); diff != "" || n != inflight {
				t.Errorf("cut %d, want %d; lines (-want +got):\n%s", n, inflight, diff)
			}
			close(release)
			done.Wait()
			if n, got := cutLines(t, fl); n != 0 || len(got) != 0 {
				t.Errorf("after every answer: cut %d: %q", n, got)
			}
		})
	}
}
