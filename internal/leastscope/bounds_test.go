package leastscope

import (
	"fmt"
	"runtime"
	"strings"
	"testing"

	"github.com/scopecheck/scopecheck/internal/accesslog"
	"github.com/scopecheck/scopecheck/scope"
)

// The logs of a security review, made smaller, that made suggest hold
// memory and do work far past its bounds: they are generated here.

// chain is n path segments of size bytes each, joined: a long prefix
// that many paths share.
func chain(n, size int) string {
	segs := make([]string, n)
	for i := range segs {
		segs[i] = fmt.Sprintf("s%02d", i) + strings.Repeat("x", size-3)
	}
	return strings.Join(segs, "/")
}

// get is an allowed GET of path by client c, as serve logs it.
func get(path string) accesslog.Record {
	return accesslog.Record{Client: "c", Method: "GET", Path: path, HasPath: true, Outcome: accesslog.Allowed}
}

// deepLog: many paths below a 3.8 KB prefix, then one request below each,
// each past the bound at a place of its own ("deep.log.gz").
func deepLog(nk, ng int) []accesslog.Record {
	prefix := "/" + chain(20, 190)
	var out []accesslog.Record
	for _, below := range []string{"", "/z"} {
		for k := range nk {
			for g := range ng {
				out = append(out, get(fmt.Sprintf("%s/k%d/g%d%s", prefix, k, g, below)))
			}
		}
	}
	return out
}

// wideLog: every path of depth segments of five values each below a long
// prefix, each segment under the bound of values ("f6.gz").
func wideLog(depth int) []accesslog.Record {
	prefix := "/" + chain(5, 200)
	var out []accesslog.Record
	var walk func(p string, d int)
	walk = func(p string, d int) {
		if d == 0 {
			out = append(out, get(p))
			return
		}
		for _, v := range "abcde" {
			walk(p+"/"+string(v), d-1)
		}
	}
	walk(prefix, depth)
	return out
}

// starLog: paths of 500 bytes of "a*b*…", whose patterns are wildcards
// that containment finds hard ("tp4x.log").
func starLog(n int) []accesslog.Record {
	var out []accesslog.Record
	for _, op := range starAPI(n) {
		out = append(out, get(strings.NewReplacer("{", "", "}", "").Replace(op.Template)))
	}
	return out
}

// starAPI: n templates, each a segment of about 100 parameters, which a
// suggestion writes as a pattern of as many "*" (a path holding "*" is
// never written as a pattern, so an API's templates are what make such
// items).
func starAPI(n int) []Operation {
	var out []Operation
	for i := range n {
		var b strings.Builder
		for j := 0; b.Len() < 400; j++ {
			fmt.Fprintf(&b, "{%s}%s", []string{"a", "b"}[(i+j*j)%2], []string{"a", "b"}[(i+j)%2])
		}
		out = append(out, Operation{Method: "GET", Template: "/config/tokenPolicies" + b.String()})
	}
	return out
}

// placesLog: many clients, each past the bound of values at places of
// its own.
func placesLog(clients, places int) []accesslog.Record {
	var out []accesslog.Record
	for c := range clients {
		for p := range places {
			for v := range 3 {
				r := get(fmt.Sprintf("/p%d/%s/v%d", p, strings.Repeat("y", 300), v))
				r.Client = fmt.Sprintf("client-%d-%s", c, strings.Repeat("n", 100))
				out = append(out, r)
			}
		}
	}
	return out
}

func liveHeap() uint64 {
	runtime.GC()
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	return ms.HeapAlloc
}

func totalAlloc() uint64 {
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	return ms.TotalAlloc
}

// On each adversarial log, with small bounds: what the observer keeps
// stays under MaxBytes, and so does the live heap with the report held,
// within a constant factor; the bytes allocated in all are bounded by a
// multiple of MaxBytes and of the log; the containment work charged
// stays under MaxSteps, and when it runs out the report says so and no
// suggestion is made on an undecided proof; the places where a bound was
// reached that are kept are few; and the suggestions' text is bounded by
// MaxBytes. It asserts sizes and counts, never times.
func TestAdversarialBounds(t *testing.T) {
	const maxBytes = 4 << 20
	tests := []struct {
		name     string
		log      []accesslog.Record
		opts     Options
		spent    bool // the work budget runs out
		exceeded bool // a bound of memory is reached
	}{
		{"deep prefixes, each past the bound", deepLog(40, 50), Options{}, false, true},
		{"deep prefixes, never generalised", deepLog(40, 50), Options{GeneralizeAfter: -1}, false, true},
		{"a wide tree below a long prefix", wideLog(5), Options{}, false, true},
		{"a wide tree, never generalised", wideLog(5), Options{GeneralizeAfter: -1, MaxValues: 1 << 20, MaxPaths: 1 << 20}, false, true},
		{"stars in templates, within a granted scope", starLog(8),
			Options{Within: scope.MustParse(".:config/** *:config/tokenPolicies** *:webhooks/subscriptions/*"), HasWithin: true, API: starAPI(8)}, false, false},
		{"stars in templates, a small work budget", starLog(8),
			Options{Within: scope.MustParse(".:config/** *:config/tokenPolicies** *:webhooks/subscriptions/*"), HasWithin: true, API: starAPI(8), MaxSteps: 200_000}, true, false},
		{"many places past the bound of values", placesLog(30, 40), Options{MaxValues: 1}, false, true},
		{"many clients", placesLog(3000, 1), Options{}, false, true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			opts := tc.opts
			opts.MaxBytes = maxBytes
			logBytes := 0
			for _, r := range tc.log {
				logBytes += len(r.Path) + len(r.Client) + 64
			}
			before, allocBefore := liveHeap(), totalAlloc()
			o := NewObserver(opts)
			for i, r := range tc.log {
				r.Line = int64(i + 1)
				o.Add("log", r)
			}
			rep := o.Suggest()
			allocated := totalAlloc() - allocBefore
			live := liveHeap()
			if rep.Held > maxBytes {
				t.Errorf("%d bytes kept, past the bound of %d", rep.Held, maxBytes)
			}
			if grown := int64(live) - int64(before); grown > 2*maxBytes {
				t.Errorf("the live heap grew by %d bytes with the report held, more than twice the bound of %d", grown, maxBytes)
			}
			if limit := uint64(32*maxBytes + 8*logBytes); allocated > limit {
				t.Errorf("%d bytes allocated in all, more than %d (32 times the bound, 8 times the log)", allocated, limit)
			}
			if rep.Work.Charged > rep.Work.Limit {
				t.Errorf("%d steps charged, past the bound of %d", rep.Work.Charged, rep.Work.Limit)
			}
			if (rep.Work.Exhausted != "") != tc.spent {
				t.Errorf("the work budget spent: %q, want %v (%+v)", rep.Work.Exhausted, tc.spent, rep.Work)
			}
			if len(rep.Exceeded) > maxExceeded {
				t.Errorf("%d places where a bound was reached kept, more than %d", len(rep.Exceeded), maxExceeded)
			}
			if (len(rep.Exceeded) > 0 || rep.ClientsOverBound > 0) != tc.exceeded {
				t.Errorf("bounds reached: %+v, %d clients over; want some: %v", rep.Exceeded, rep.ClientsOverBound, tc.exceeded)
			}
			text := 0
			for _, c := range rep.Clients {
				text += len(c.Suggestion.String())
				for _, ch := range c.Checks {
					if !ch.Passed && c.HasSuggestion {
						t.Errorf("client %q: a suggestion with a failed check %+v", c.Name, ch)
					}
				}
				if !c.HasSuggestion && !tc.spent {
					t.Errorf("client %q: no suggestion: %+v", c.Name, c.Checks)
				}
			}
			if text > maxBytes {
				t.Errorf("the suggestions' text is %d bytes, past the bound of %d", text, maxBytes)
			}
			runtime.KeepAlive(rep)
			t.Logf("%d records (%d bytes): %d bytes kept, heap grew %d, %d allocated, %d steps for %d questions, %d bytes of suggestion, %d places past a bound",
				len(tc.log), logBytes, rep.Held, int64(live)-int64(before), allocated, rep.Work.Charged, rep.Work.Questions, text, len(rep.Exceeded))
		})
	}
}
