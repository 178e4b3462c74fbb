package scope

import (
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"pgregory.net/rapid"
)

// scannerDiff says what differs between the fast scanner's answer for s
// and the grammar path's; it is empty when they agree.
func scannerDiff(s string) string {
	fast, ok := scanValid(s)
	slow, errs := parse(s, false)
	switch {
	case ok && len(errs) > 0:
		return "scanner accepts, grammar reports " + errs.Error()
	case !ok && len(errs) == 0:
		return "scanner declines a scope the grammar accepts"
	case ok:
		return cmp.Diff(slow, fast)
	}
	return ""
}

// TestScannerAgrees: on valid and damaged scopes alike, the scanner
// accepts exactly what the grammar accepts, with the same items.
func TestScannerAgrees(t *testing.T) {
	pieces := []string{"*:", ".:", ":", "*", "**", "***", ".", "..", "/", "//", "a", "config", "%41", "%2F", "%2e", "%C3", "%A9",
		"%C3%A9", "%E2%80%A8", "%", "%z", ";", "?", "#", " ", "  ", "\t", "\"", "\\", "é", "x:", "openid"}
	rapid.Check(t, func(t *rapid.T) {
		parts := rapid.SliceOfN(rapid.SampledFrom(pieces), 0, 12).Draw(t, "parts")
		s := ""
		for _, p := range parts {
			s += p
		}
		if d := scannerDiff(s); d != "" {
			t.Fatalf("%q: %s", s, d)
		}
	})
}

func TestScannerExamples(t *testing.T) {
	for _, s := range []string{"*:**", "*:config/**", ".:config/tokenPolicies** .:config/loginPolicies**", "openid profile email",
		"example.com", "", "   ", "*:a/%C3*", "*:a*%A9", "*:webhooks/", "*:a/...", "*:.well-known/x",
		"*.**", ":webhooks/**", "*config/**", "*:", "*:/x", "*:a//b", "*:a/./b", "*:a/..", "*:a;b", "*:a%zz", "*:a%2F", "*:a***",
		"*:a/%C3", "*:a/%C3/b", "**:x", "*:a\tb", "*:é"} {
		if d := scannerDiff(s); d != "" {
			t.Errorf("%q: %s", s, d)
		}
	}
}

// TestScannerBlocks: the scanner reads eight bytes at a time; with each
// fragment at each position of items and patterns around the block size,
// it agrees with the grammar.
func TestScannerBlocks(t *testing.T) {
	frags := []string{"", " ", "  ", "/", "//", "/./", "/../", "/.", "*", "**", "***", "%41", "%2F", "%C3%A9", "%C3", "*%A9",
		"%", "%4", ";", "?", "#", "\t", "\"", "\\", "\x7f", "\xc3\xa9", ":", ".", "*:", ".:", ":x"}
	for _, head := range []string{"*:", ".:", "", ":", "*", "x:"} {
		for _, n := range []int{0, 1, 6, 7, 8, 9, 15, 16, 17} {
			body := strings.Repeat("abcdefg/", 4)[:n]
			for _, f := range frags {
				for k := 0; k <= n; k++ {
					s := head + body[:k] + f + body[k:]
					if d := scannerDiff(s); d != "" {
						t.Fatalf("%q: %s", s, d)
					}
					if k%3 != 0 {
						continue
					}
					if d := scannerDiff("openid " + s + " x"); d != "" {
						t.Fatalf("%q: %s", "openid "+s+" x", d)
					}
				}
			}
		}
	}
}
