package scope

import (
	"strings"
	"testing"
)

// BenchmarkCheckPath is the canonical check on a long plain run, on long
// paths of short segments and escapes, and on a realistic request path,
// by the block loop and by the bytewise loop it replaced (kept in the
// tests as the reference), in one run so that their ratio is fair.
func BenchmarkCheckPath(b *testing.B) {
	paths := []struct{ name, p string }{
		{"plain-4096", "/" + strings.Repeat("a", 4094) + "b"},
		{"segments-4096", "/" + strings.Repeat("tokenPolicies/", 293)[:4095]},
		{"escapes-4096", "/" + strings.Repeat("caf%C3%A9/x%41/", 273)[:4095]},
		{"request-64", "/config/loginPolicies/1ab23c45-6789-0123-d4ef-5g678h90ijk1/push"},
	}
	for _, tc := range paths {
		if r, _ := CheckPath(tc.p); r != Canonical {
			b.Fatalf("%s is not canonical: %v", tc.name, r)
		}
		b.Run(tc.name+"/blocks", func(b *testing.B) {
			b.SetBytes(int64(len(tc.p)))
			for b.Loop() {
				CheckPathFrom(tc.p, 1, 1)
			}
		})
		b.Run(tc.name+"/bytewise", func(b *testing.B) {
			b.SetBytes(int64(len(tc.p)))
			for b.Loop() {
				checkPathFromBytewise(tc.p, 1, 1)
			}
		})
	}
}
