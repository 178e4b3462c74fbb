package grammar

import (
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
	"pgregory.net/rapid"
)

// scanPieces are the pieces generated scopes are made of: every token
// kind, every kind of item start, and bytes of every class the lexer
// tells apart, LF (which moves the line) and invalid UTF-8 included.
var scanPieces = []string{" ", "  ", "*", "**", "***", ".", "..", ":", "/", "%", "%4", "%41", "%zz", ";", "?", "#",
	"a", "config", "Z9-_~", "\"", "\\", "\x00", "\t", "\n", "\x7f", "é", "\u2028", "\xff", "\xc3", "\xef\xbf\xbd", "<id>", "{x}"}

func checkScan(t rapid.TB, s string) {
	want, err := Parse(s)
	if err != nil {
		t.Fatalf("Parse(%q): %v", s, err)
	}
	if diff := cmp.Diff(want, Scan(s), cmpopts.EquateEmpty()); diff != "" {
		t.Fatalf("Scan(%q) differs from Parse (-Parse +Scan):\n%s", s, diff)
	}
}

// TestScannerAgrees holds the hand-built tree to participle's, positions
// (offset, line, column) included, on named cases and generated ones.
func TestScannerAgrees(t *testing.T) {
	for _, s := range []string{"", " ", "*:config/** .:a", "*.**", "**:x", ":x", ".", "*", "*:", ".:", "openid",
		"*:a/%41%4", "*:a\nb", "é:x", "\xff\xfe *:\x00", "*:a//b/./c;d?#", "  *:x  ", strings.Repeat("\x01", 100)} {
		t.Run(s, func(t *testing.T) { checkScan(t, s) })
	}
	rapid.Check(t, func(t *rapid.T) {
		s := strings.Join(rapid.SliceOfN(rapid.SampledFrom(scanPieces), 0, 24).Draw(t, "pieces"), "")
		checkScan(t, s)
	})
}

// FuzzScanner holds Scan to Parse on arbitrary strings.
func FuzzScanner(f *testing.F) {
	for _, s := range scanPieces {
		f.Add("*:" + s + "x " + s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		if len(s) > 4096 {
			return // participle is slow on long input, which is the point of Scan
		}
		checkScan(t, s)
	})
}
