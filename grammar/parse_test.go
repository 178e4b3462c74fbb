package grammar

import (
	"fmt"
	"testing"

	"github.com/google/go-cmp/cmp"
	"pgregory.net/rapid"
)

// describe renders a tree as item kinds with spans and element kinds.
func describe(tree *Scope) []string {
	var out []string
	for _, it := range tree.Items {
		var elems []Elem
		switch n := it.(type) {
		case *AccessItem:
			elems = n.Pattern
		case *MissingAccess:
			elems = n.Rest
		case *MissingColon:
			elems = n.Rest
		case *PlainItem:
			elems = n.Elems
		}
		s := fmt.Sprintf("%T %d-%d", it, it.Start().Offset, it.End().Offset)
		for _, e := range elems {
			s += fmt.Sprintf(" %s:%q@%d", e.Kind(), e.Text(), e.Offset())
		}
		out = append(out, s)
	}
	return out
}

func TestParse(t *testing.T) {
	tests := []struct {
		in   string
		want []string
	}{
		{"", nil},
		{"   ", nil},
		{"*:config/**", []string{`*grammar.AccessItem 0-11 Word:"config"@2 Slash:"/"@8 Stars:"**"@9`}},
		{".:a%2F%z;", []string{`*grammar.AccessItem 0-9 Word:"a"@2 Escape:"%2F"@3 Percent:"%"@6 Word:"z"@7 Reserved:";"@8`}},
		{"*:", []string{`*grammar.AccessItem 0-2`}},
		{"*.**", []string{`*grammar.MissingColon 0-4 Dot:"."@1 Stars:"**"@2`}},
		{"**:x", []string{`*grammar.MissingColon 0-4 Colon:":"@2 Word:"x"@3`}},
		{":webhooks", []string{`*grammar.MissingAccess 0-9 Word:"webhooks"@1`}},
		{" openid  x:y ", []string{`*grammar.PlainItem 1-7 Word:"openid"@1`, `*grammar.PlainItem 9-12 Word:"x"@9 Colon:":"@10 Word:"y"@11`}},
		{"a\tb\xffé", []string{`*grammar.PlainItem 0-6 Word:"a"@0 Invalid:"\t"@1 Word:"b"@2 Invalid:"\xff"@3 Invalid:"é"@4`}},
	}
	for _, tc := range tests {
		tree, err := Parse(tc.in)
		if err != nil {
			t.Errorf("Parse(%q): %v", tc.in, err)
			continue
		}
		if diff := cmp.Diff(tc.want, describe(tree)); diff != "" {
			t.Errorf("Parse(%q) (-want +got):\n%s", tc.in, diff)
		}
	}
}

// The grammar is total: every byte string parses, and the items and the
// separators between them account for every byte.
func TestTotal(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		s := rapid.String().Draw(t, "s")
		if rapid.Bool().Draw(t, "bytes") {
			s = string(rapid.SliceOf(rapid.Byte()).Draw(t, "b"))
		}
		tree, err := Parse(s)
		if err != nil {
			t.Fatalf("Parse(%q): %v", s, err)
		}
		at := 0
		for _, it := range tree.Items {
			for ; at < it.Start().Offset; at++ {
				if s[at] != ' ' {
					t.Fatalf("Parse(%q): byte %d is in no item", s, at)
				}
			}
			at = it.End().Offset
		}
		for ; at < len(s); at++ {
			if s[at] != ' ' {
				t.Fatalf("Parse(%q): trailing byte %d is in no item", s, at)
			}
		}
	})
}

// The grammar as participle sees it; docs/language.md quotes it, so a
// change here must be a deliberate change there too.
const wantEBNF = `Scope = (<space> | Item)* .
Item = AccessItem | MissingAccess | MissingColon | PlainItem .
AccessItem = ("." | "*") ":" Elem* .
Elem = (<stars> | <dot> | <colon> | <slash> | <escape> | <percent> | <reserved> | <word> | <invalid>) .
MissingAccess = ":" Elem* .
MissingColon = (<dot> | <stars>) Elem* .
PlainItem = Elem+ .`

func TestEBNF(t *testing.T) {
	if diff := cmp.Diff(wantEBNF, ebnf()); diff != "" {
		t.Errorf("grammar changed (-want +got):\n%s", diff)
	}
}
