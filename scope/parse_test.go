package scope

import (
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"pgregory.net/rapid"
)

// errSum is what a test pins down of an Error.
type errSum struct {
	Code       Code
	Offset     int
	Column     int
	Item       string
	Suggestion string
}

func summarize(err error) []errSum {
	if err == nil {
		return nil
	}
	var out []errSum
	for _, e := range err.(ErrorList) {
		out = append(out, errSum{e.Code, e.Offset, e.Column, e.Item, e.Suggestion})
	}
	return out
}

func TestParseErrors(t *testing.T) {
	tests := []struct {
		name  string
		scope string
		want  []errSum
	}{
		{"bad-byte TAB", "openid\temail", []errSum{{BadByte, 6, 7, "openid\temail", ""}}},
		{"bad-byte LF", "*:a\n", []errSum{{BadByte, 3, 4, "*:a\n", ""}}},
		{"bad-byte NUL", "*:a\x00b", []errSum{{BadByte, 3, 4, "*:a\x00b", ""}}},
		{"bad-byte DEL", "\x7f", []errSum{{BadByte, 0, 1, "\x7f", ""}}},
		{"bad-byte quote", `*:"a"`, []errSum{{BadByte, 2, 3, `*:"a"`, ""}, {BadByte, 4, 5, `*:"a"`, ""}}},
		{"bad-byte backslash", `*:a\b`, []errSum{{BadByte, 3, 4, `*:a\b`, ""}}},
		{"bad-byte non-ASCII", "*:é", []errSum{{BadByte, 2, 3, "*:é", ""}, {BadByte, 3, 4, "*:é", ""}}},
		{"bad-byte invalid UTF-8", "a\xffb", []errSum{{BadByte, 1, 2, "a\xffb", ""}}},
		{"missing-colon dot", "*.**", []errSum{{MissingColon, 0, 1, "*.**", "*:**"}}},
		{"missing-colon dropped", "*config/**", []errSum{{MissingColon, 0, 1, "*config/**", "*:config/**"}}},
		{"missing-colon read", "..config/**", []errSum{{MissingColon, 0, 1, "..config/**", ".:config/**"}}},
		{"missing-colon two stars", "**:config/**", []errSum{{MissingColon, 0, 1, "**:config/**", "*:config/**"}}},
		{"missing-colon two dots", "..:config/**", []errSum{{MissingColon, 0, 1, "..:config/**", ".:config/**"}}},
		{"missing-colon mixed classes", ".*:config/**", []errSum{{MissingColon, 0, 1, ".*:config/**", ""}}},
		{"missing-colon star run", "***", []errSum{{MissingColon, 0, 1, "***", "*:**"}}},
		{"missing-colon no hint", ".", []errSum{{MissingColon, 0, 1, ".", ""}}},
		{"missing-access", ":webhooks/**", []errSum{{MissingAccess, 0, 1, ":webhooks/**", ".:webhooks/**"}}},
		{"missing-access and pattern", ":a//b", []errSum{{MissingAccess, 0, 1, ":a//b", ""}, {EmptySegment, 3, 4, ":a//b", ""}}},
		{"empty-pattern", "openid *:", []errSum{{EmptyPattern, 9, 10, "*:", ""}}},
		{"leading-slash", "*:/config/**", []errSum{{LeadingSlash, 2, 3, "*:/config/**", "*:config/**"}}},
		{"leading-slash run", ".://x", []errSum{{LeadingSlash, 2, 3, ".://x", ".:x"}}},
		{"leading-slash alone", "*:/", []errSum{{LeadingSlash, 2, 3, "*:/", ""}}},
		{"empty-segment", "*:config//x", []errSum{{EmptySegment, 9, 10, "*:config//x", ""}}},
		{"empty-segment at end", "*:config//", []errSum{{EmptySegment, 9, 10, "*:config//", ""}}},
		{"dot-segment", "*:config/./x", []errSum{{DotSegment, 9, 10, "*:config/./x", ""}}},
		{"dot-dot-segment", "*:config/..", []errSum{{DotSegment, 9, 10, "*:config/..", ""}}},
		{"dot-segment first", ".:../x", []errSum{{DotSegment, 2, 3, ".:../x", ""}}},
		{"bad-char", "*:a;b *:a?b *:a#b", []errSum{{BadChar, 3, 4, "*:a;b", ""}, {BadChar, 9, 10, "*:a?b", ""}, {BadChar, 15, 16, "*:a#b", ""}}},
		{"bad-escape bare", "*:a%", []errSum{{BadEscape, 3, 4, "*:a%", ""}}},
		{"bad-escape short", "*:a%4", []errSum{{BadEscape, 3, 4, "*:a%4", ""}}},
		{"bad-escape not hex", "*:a%zz", []errSum{{BadEscape, 3, 4, "*:a%zz", ""}}},
		{"bad-escape slash", "*:a%2Fb", []errSum{{BadEscape, 3, 4, "*:a%2Fb", ""}}},
		{"bad-escape dot", "*:%2e%2e", []errSum{{BadEscape, 2, 3, "*:%2e%2e", ""}, {BadEscape, 5, 6, "*:%2e%2e", ""}}},
		{"bad-escape control", "*:a%0A", []errSum{{BadEscape, 3, 4, "*:a%0A", ""}}},
		{"bad-escape overlong", "*:a%C0%AF", []errSum{{BadEscape, 3, 4, "*:a%C0%AF", ""}}},
		{"bad-escape truncated", "*:a%C3/", []errSum{{BadEscape, 3, 4, "*:a%C3/", ""}}},
		{"bad-escape C1", "*:%C2%85", []errSum{{BadEscape, 2, 3, "*:%C2%85", ""}}},
		{"bad-escape U+2028", "*:x%E2%80%A8", []errSum{{BadEscape, 3, 4, "*:x%E2%80%A8", ""}}},
		{"bad-escape lone continuation", "*:a%A9", []errSum{{BadEscape, 3, 4, "*:a%A9", ""}}},
		{"bad-escape after valid", "*:%C3%A9%FF", []errSum{{BadEscape, 8, 9, "*:%C3%A9%FF", ""}}},
		{"star-run", "*:a/***", []errSum{{StarRun, 4, 5, "*:a/***", ""}}},
		{"many errors in order", "*.** :x *:/a//b/./c;d%zz***", []errSum{
			{MissingColon, 0, 1, "*.**", "*:**"},
			{MissingAccess, 5, 6, ":x", ".:x"},
			{LeadingSlash, 10, 11, "*:/a//b/./c;d%zz***", ""},
			{EmptySegment, 13, 14, "*:/a//b/./c;d%zz***", ""},
			{DotSegment, 16, 17, "*:/a//b/./c;d%zz***", ""},
			{BadChar, 19, 20, "*:/a//b/./c;d%zz***", ""},
			{BadEscape, 21, 22, "*:/a//b/./c;d%zz***", ""},
			{StarRun, 24, 25, "*:/a//b/./c;d%zz***", ""},
		}},
	}
	covered := map[Code]bool{}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			set, err := Parse(tc.scope)
			if diff := cmp.Diff(tc.want, summarize(err)); diff != "" {
				t.Errorf("Parse(%q) errors (-want +got):\n%s", tc.scope, diff)
			}
			if set.Len() != 0 {
				t.Errorf("Parse(%q) returned %d items with an error; a damaged scope must grant nothing", tc.scope, set.Len())
			}
			for _, e := range err.(ErrorList) {
				covered[e.Code] = true
				if !strings.HasSuffix(e.Error(), "["+string(e.Code)+"]") || e.Message == "" {
					t.Errorf("error %q does not end in its code or has no message", e.Error())
				}
			}
		})
	}
	for _, c := range Codes {
		if c != Internal && !covered[c] {
			t.Errorf("no test produces code %s", c)
		}
	}
}

// A wildcard next to a run of escapes may complete a UTF-8 sequence.
func TestEscapesNextToWildcards(t *testing.T) {
	for _, s := range []string{"*:a/%C3*", "*:a*%A9", "*:a/**%80%80", "*:%E2**", "*:%C2*"} {
		if _, err := Parse(s); err != nil {
			t.Errorf("Parse(%q): %v", s, err)
		}
	}
}

func TestParseValid(t *testing.T) {
	tests := []struct {
		scope string
		want  []Item
		canon string
	}{
		{"*:**", []Item{{Class: ReadWrite, Pattern: "**"}}, "*:**"},
		{".:config/tokenPolicies** .:config/loginPolicies**", []Item{{Class: Read, Pattern: "config/tokenPolicies**"},
			{Class: Read, Pattern: "config/loginPolicies**"}}, ".:config/tokenPolicies** .:config/loginPolicies**"},
		{"openid profile email", []Item{{Name: "openid"}, {Name: "profile"}, {Name: "email"}}, "openid profile email"},
		{"example.com", []Item{{Name: "example.com"}}, "example.com"},
		{"https://api.example.com/read?x=1", []Item{{Name: "https://api.example.com/read?x=1"}}, "https://api.example.com/read?x=1"},
		{"a:config/** x:y", []Item{{Name: "a:config/**"}, {Name: "x:y"}}, "a:config/** x:y"},
		{"  *:a   .:a *:a  ", []Item{{Class: ReadWrite, Pattern: "a"}, {Class: Read, Pattern: "a"}}, "*:a .:a"},
		{"", nil, ""},
		{"   ", nil, ""},
		{"*:*:x", []Item{{Class: ReadWrite, Pattern: "*:x"}}, "*:*:x"},
		{"*:.well-known/** *:a/... *:%41%C3%A9", []Item{{Class: ReadWrite, Pattern: ".well-known/**"},
			{Class: ReadWrite, Pattern: "a/..."}, {Class: ReadWrite, Pattern: "%41%C3%A9"}}, "*:.well-known/** *:a/... *:%41%C3%A9"},
		{"*:webhooks/", []Item{{Class: ReadWrite, Pattern: "webhooks/"}}, "*:webhooks/"},
	}
	for _, tc := range tests {
		set, err := Parse(tc.scope)
		if err != nil {
			t.Errorf("Parse(%q): %v", tc.scope, err)
			continue
		}
		if diff := cmp.Diff(tc.want, set.Items()); diff != "" {
			t.Errorf("Parse(%q) items (-want +got):\n%s", tc.scope, diff)
		}
		if got := set.String(); got != tc.canon {
			t.Errorf("Parse(%q).String() = %q, want %q", tc.scope, got, tc.canon)
		}
	}
}

func TestElems(t *testing.T) {
	got := MustParse("*:a*b**c/*").Item(0).Elems()
	want := []Elem{{Literal, "a"}, {Star, ""}, {Literal, "b"}, {DoubleStar, ""}, {Literal, "c/"}, {Star, ""}}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("Elems (-want +got):\n%s", diff)
	}
	if e := MustParse("openid").Item(0).Elems(); e != nil {
		t.Errorf("plain item has elems %v", e)
	}
}

// Canonical text reparses to the same set and formats to itself.
func TestCanonicalRoundTrip(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		parts := rapid.SliceOfN(rapid.SampledFrom([]string{"*:**", ".:a/*", "*:a/*", "openid", "x:y", " ", "  ", "*:a/**b", ".:config/tokenPolicies**"}), 0, 8).Draw(t, "parts")
		s := strings.Join(parts, " ")
		set, err := Parse(s)
		if err != nil {
			t.Fatalf("Parse(%q): %v", s, err)
		}
		again, err := Parse(set.String())
		if err != nil {
			t.Fatalf("Parse(canonical %q): %v", set.String(), err)
		}
		if diff := cmp.Diff(set.Items(), again.Items()); diff != "" {
			t.Fatalf("round trip of %q (-first +second):\n%s", s, diff)
		}
		if again.String() != set.String() {
			t.Fatalf("formatting is not idempotent: %q then %q", set.String(), again.String())
		}
	})
}

// Parse never panics, and either returns errors or a set, never both.
func TestParseAnyBytes(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		s := rapid.StringOfN(rapid.SampledFrom([]rune("*.:/%;?#aAZ09- \t\"\\é\x00")), 0, 30, -1).Draw(t, "s")
		set, err := Parse(s)
		if err != nil {
			if set.Len() != 0 {
				t.Fatalf("Parse(%q) returned items and an error", s)
			}
			for _, e := range err.(ErrorList) {
				if e.Offset < 0 || e.Offset > len(s) || e.Column != e.Offset+1 || !strings.Contains(s, e.Item) {
					t.Fatalf("Parse(%q): error %+v has a bad position or item", s, e)
				}
				if e.Suggestion != "" {
					if _, err := Parse(e.Suggestion); err != nil {
						t.Fatalf("Parse(%q): suggestion %q does not parse: %v", s, e.Suggestion, err)
					}
				}
			}
		}
	})
}

func TestErrorListMessage(t *testing.T) {
	_, err := Parse("*.** :x")
	want := `col 1: item "*.**" begins with "*" but has no ":" after it; did you mean "*:**"? [missing-colon] (and 1 more)`
	if err.Error() != want {
		t.Errorf("got %q\nwant %q", err.Error(), want)
	}
}
