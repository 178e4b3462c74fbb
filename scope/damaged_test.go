package scope_test

import (
	"runtime"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/scopecheck/scopecheck/scope"
)

type errAt struct {
	Code   scope.Code
	Offset int
	Column int
}

// TestParseDamagedBounded: a damaged scope costs time and memory linear in
// its length with a small constant, and its errors are the language's (a
// bad-byte error for each byte, with its offset and column; never
// internal), at most MaxErrors listed, the last counting the rest. Parse
// used participle here: kilobytes and microseconds a byte, and an
// internal error past a million bytes.
func TestParseDamagedBounded(t *testing.T) {
	seq := func(code scope.Code, first, step, n int) []errAt {
		out := make([]errAt, n)
		for k := range out {
			out[k] = errAt{code, first + k*step, first + k*step + 1}
		}
		return out
	}
	tests := []struct {
		name  string
		scope string
		first []errAt // the first errors listed
		rest  int     // how many more the last error says are not listed; 0: all are
		// bytesPerByte bounds what a Parse allocates, over 2 MiB (for the
		// errors listed), for each byte of the scope, and allocsPerByte
		// its allocations over 8 for each error listed. Only a long item
		// with errors costs more than its errors: a token of it is 64
		// bytes while it is checked, and each error past MaxErrors is
		// counted with one allocation.
		bytesPerByte, allocsPerByte int
	}{
		{"control bytes", strings.Repeat("\x01", 1<<20), seq(scope.BadByte, 0, 1, 5), 1<<20 - 1000, 1, 0},
		{"control bytes between items", strings.Repeat("\x01 ", 1<<19), seq(scope.BadByte, 0, 2, 5), 1<<19 - 1000, 1, 0},
		{"non-ASCII characters", strings.Repeat("é", 1<<19), seq(scope.BadByte, 0, 1, 5), 1<<20 - 1000, 1, 0},
		{"empty segments in many items", strings.Repeat("*:a//b ", 1<<17), seq(scope.EmptySegment, 4, 7, 5), 1<<17 - 1000, 1, 0},
		{"empty segments in one item", "*:" + strings.Repeat("a//", 1<<16), seq(scope.EmptySegment, 4, 3, 5), 1<<16 - 1000, 80, 1},
		{"missing access and bad bytes", ":" + strings.Repeat("\x7f", 4000),
			append([]errAt{{scope.MissingAccess, 0, 1}}, seq(scope.BadByte, 1, 1, 4)...), 3001, 1, 0},
		{"a few errors", "*:a//b .:x \"q\" *:", []errAt{{scope.EmptySegment, 4, 5}, {scope.BadByte, 11, 12}, {scope.BadByte, 13, 14}, {scope.EmptyPattern, 17, 18}}, 0, 1, 0},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var before, after runtime.MemStats
			runtime.GC()
			runtime.ReadMemStats(&before)
			_, err := scope.Parse(tc.scope)
			runtime.ReadMemStats(&after)
			errs, _ := err.(scope.ErrorList)
			var got []errAt
			for _, e := range errs {
				if e.Code == scope.Internal {
					t.Fatalf("internal error: %v", e)
				}
				if len(got) < len(tc.first) {
					got = append(got, errAt{e.Code, e.Offset, e.Column})
				}
			}
			if diff := cmp.Diff(tc.first, got); diff != "" {
				t.Errorf("first errors (-want +got):\n%s", diff)
			}
			wantLen, suffix := len(tc.first), ""
			if tc.rest > 0 {
				wantLen, suffix = scope.MaxErrors, "; at least "+itoa(tc.rest)+" more errors in this scope are not listed (at most 1000 are)"
			}
			if len(errs) != wantLen || !strings.HasSuffix(errs[len(errs)-1].Message, suffix) {
				t.Errorf("%d errors, the last %q; want %d, the last ending %q", len(errs), errs[len(errs)-1].Message, wantLen, suffix)
			}
			if bytes := after.TotalAlloc - before.TotalAlloc; bytes > uint64(2<<20+tc.bytesPerByte*len(tc.scope)) {
				t.Errorf("Parse allocated %d bytes for %d, more than 2 MiB + %d a byte", bytes, len(tc.scope), tc.bytesPerByte)
			}
			allocs := testing.AllocsPerRun(2, func() { scope.Parse(tc.scope) })
			if max := float64(8*scope.MaxErrors + 64 + tc.allocsPerByte*len(tc.scope)); allocs > max {
				t.Errorf("Parse made %.0f allocations; want at most %.0f", allocs, max)
			}
			if len(tc.scope) <= 4096 {
				// Short enough for participle: the grammar's path agrees.
				_, slow := scope.ParseGrammar(tc.scope)
				if diff := cmp.Diff(slow, err); diff != "" {
					t.Errorf("Parse and ParseGrammar differ (-grammar +Parse):\n%s", diff)
				}
			}
		})
	}
}

func itoa(n int) string {
	var b []byte
	for ; n > 0 || len(b) == 0; n /= 10 {
		b = append([]byte{byte('0' + n%10)}, b...)
	}
	return string(b)
}

// BenchmarkParseDamaged parses damaged scopes of the kinds a client can
// send: control bytes, non-ASCII characters, many damaged items.
func BenchmarkParseDamaged(b *testing.B) {
	for _, bc := range []struct{ name, scope string }{
		{"ctl=8KiB", strings.Repeat("\x01", 8<<10)},
		{"ctl=128KiB", strings.Repeat("\x01", 128<<10)},
		{"ctl=1MiB", strings.Repeat("\x01", 1<<20)},
		{"e-acute=1MiB", strings.Repeat("é", 1<<19)},
		{"empty-segments=896KiB", strings.Repeat("*:a//b ", 1<<17)},
	} {
		b.Run(bc.name, func(b *testing.B) {
			for b.Loop() {
				scope.Parse(bc.scope)
			}
		})
	}
}
