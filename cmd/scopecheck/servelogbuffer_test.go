package main

import (
	"bytes"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

// flakyDest is a log destination that fails while failing is set (a full
// disk, a log collector restarting) and takes whole writes otherwise, or
// at most part bytes of each when part > 0.
type flakyDest struct {
	failing bool
	part    int
	out     bytes.Buffer
}

func (f *flakyDest) Write(p []byte) (int, error) {
	if f.failing {
		return 0, errors.New("no space left on device")
	}
	if f.part > 0 && len(p) > f.part {
		f.out.Write(p[:f.part])
		return f.part, errors.New("short write")
	}
	return f.out.Write(p)
}

// A destination that fails does not silence the log: what it did not take
// is written once it works again, the lines that found the buffer full are
// counted and reported, and lines after Close are written at once.
func TestLogBufferSurvivesAFailingDestination(t *testing.T) {
	at := time.Date(2026, 11, 23, 20, 0, 0, 0, time.UTC)
	dropLine := func(n int) string {
		return fmt.Sprintf(`{"time":"2026-11-23T20:00:00Z","level":"ERROR","msg":"log lines dropped while the log could not be written","lines":%d}`, n)
	}
	line := func(i int) string { return fmt.Sprintf(`{"n":%d,"pad":"%s"}`, i, strings.Repeat("x", 1000)) }
	// Each step: whether the destination fails, then lines to write
	// (-1 flushes).
	type step struct {
		failing bool
		lines   []int
	}
	perBuffer := logBufferBytes / (len(line(0)) + 1) // lines the buffer holds
	many := make([]int, perBuffer+5)
	for i := range many {
		many[i] = 10 + i
	}
	tests := []struct {
		name  string
		part  int
		steps []step
		close []int // lines written after Close
		want  []string
	}{
		{
			name:  "one failed flush",
			steps: []step{{true, []int{1, -1}}, {false, []int{2, 3, -1}}},
			want:  []string{line(1), line(2), line(3)},
		},
		{
			name:  "an outage that fills the buffer",
			steps: []step{{true, append([]int{-1}, many...)}, {false, []int{-1, 99, -1}}},
			want:  append(append(linesOf(line, many[:perBuffer]), dropLine(5)), line(99)),
		},
		{
			name:  "short writes",
			part:  700,
			steps: []step{{false, []int{1, 2, -1, -1, -1, -1}}},
			want:  []string{line(1), line(2)},
		},
		{
			name:  "after Close",
			steps: []step{{false, []int{1}}},
			close: []int{2, 3},
			want:  []string{line(1), line(2), line(3)},
		},
	}
	for _, tc := range tests {
		dst := &flakyDest{part: tc.part}
		b := newLogBuffer(dst)
		b.now = func() time.Time { return at }
		for _, s := range tc.steps {
			dst.failing = s.failing
			for _, i := range s.lines {
				if i < 0 {
					b.Flush()
					continue
				}
				b.Write([]byte(line(i) + "\n"))
			}
		}
		b.Close()
		for _, i := range tc.close {
			b.Write([]byte(line(i) + "\n"))
		}
		got := strings.Split(strings.TrimSuffix(dst.out.String(), "\n"), "\n")
		if diff := cmp.Diff(tc.want, got); diff != "" {
			t.Errorf("%s: lines written (-want +got):\n%s", tc.name, diff)
		}
	}
	// A line longer than the buffer is written alone, whole.
	dst := &flakyDest{}
	b := newLogBuffer(dst)
	long := strings.Repeat("y", logBufferBytes+1) + "\n"
	b.Write([]byte("a\n"))
	b.Write([]byte(long))
	b.Close()
	if got := dst.out.String(); got != "a\n"+long {
		t.Errorf("a line longer than the buffer: wrote %d bytes, want %d", len(got), len(long)+2)
	}
}

// linesOf is the lines of numbers ns.
func linesOf(line func(int) string, ns []int) []string {
	var out []string
	for _, n := range ns {
		out = append(out, line(n))
	}
	return out
}
