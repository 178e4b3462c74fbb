package scope_test

import (
	"testing"

	"github.com/scopecheck/scopecheck/internal/oracle"
	"github.com/scopecheck/scopecheck/scope"
)

func TestGrantableMethod(t *testing.T) {
	tests := []struct {
		name, method string
		want         bool
	}{
		{"read", "GET", true},
		{"write", "DELETE", true},
		{"extension", "PROPFIND", true},
		{"lower case is another token", "get", true},
		{"every tchar symbol", "!#$%&'*+-.^_`|~", true},
		{"empty", "", false},
		{"CONNECT", "CONNECT", false},
		{"TRACE", "TRACE", false},
		{"lower-case connect is an extension", "connect", true},
		{"space", "GE T", false},
		{"separator", "GET/", false},
		{"non-ASCII", "GÉT", false},
		{"NUL", "GET\x00", false},
	}
	for _, tc := range tests {
		if got := scope.GrantableMethod(tc.method); got != tc.want {
			t.Errorf("%s: GrantableMethod(%q) = %v, want %v", tc.name, tc.method, got, tc.want)
		}
		if got := oracle.Grantable(tc.method); got != tc.want {
			t.Errorf("%s: oracle.Grantable(%q) = %v, want %v", tc.name, tc.method, got, tc.want)
		}
	}
}

// Every one- and two-byte method is judged as the oracle judges it.
func TestGrantableMethodAgreesWithOracle(t *testing.T) {
	for a := 0; a < 256; a++ {
		for b := -1; b < 256; b++ {
			m := string([]byte{byte(a)})
			if b >= 0 {
				m += string([]byte{byte(b)})
			}
			if got, want := scope.GrantableMethod(m), oracle.Grantable(m); got != want {
				t.Fatalf("GrantableMethod(%q) = %v, oracle says %v", m, got, want)
			}
		}
	}
}
