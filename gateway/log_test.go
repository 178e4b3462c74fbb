package gateway

import (
	"strings"
	"testing"
)

func TestClip(t *testing.T) {
	long := strings.Repeat("a", MaxLogField)
	for _, tc := range []struct{ name, in, want string }{
		{"short", "/config/x", "/config/x"},
		{"at the bound", long, long},
		{"over", long + "bcd", long + "…(+3 bytes)"},
		{"cut inside UTF-8", long[:MaxLogField-1] + "é", long[:MaxLogField-1] + "…(+2 bytes)"},
	} {
		if got := Clip(tc.in); got != tc.want {
			t.Errorf("%s: Clip = %q, want %q", tc.name, got, tc.want)
		}
	}
}
