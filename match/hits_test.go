package match

import (
	"fmt"
	"strings"
	"testing"
)

// countHits runs f with the engines counting, and returns their counts.
// Tests that count must not run in parallel with each other.
func countHits(f func()) (counts [numHits]int64) {
	var h hitCounts
	hits.Store(&h)
	defer hits.Store(nil)
	f()
	for k := range counts {
		counts[k] = h[k].Load()
	}
	return counts
}

// requireHits fails t unless f reached every engine in want.
func requireHits(t testing.TB, counts [numHits]int64, want ...hitKind) {
	t.Helper()
	var missing []string
	for _, k := range want {
		if counts[k] == 0 {
			missing = append(missing, hitNames[k])
		}
	}
	if len(missing) > 0 {
		t.Errorf("never reached: %s (counts %s)", strings.Join(missing, ", "), formatHits(counts))
	}
}

func formatHits(counts [numHits]int64) string {
	var parts []string
	for k, n := range counts {
		parts = append(parts, fmt.Sprintf("%s=%d", hitNames[k], n))
	}
	return strings.Join(parts, " ")
}
