package grammar

import (
	"unicode/utf8"

	"github.com/alecthomas/participle/v2/lexer"
)

// Scanner builds the tree that Parse builds, one item at a time, by hand:
// one pass over the string with no reflection and no backtracking, so
// that its time is linear in the string and its memory in the item being
// built (an Elem, 64 bytes, for each token). A damaged scope of a
// megabyte costs what its bytes do, where participle spends kilobytes
// and microseconds on each token and fails past a million. The tokens
// are scopeLexer's and the items are the grammar's: AccessItem when the
// item begins with "." or "*" and then ":", else MissingAccess when it
// begins with ":", MissingColon when it begins with "." or a run of "*",
// and PlainItem otherwise. TestScannerAgrees and FuzzScanner hold it to
// Parse, positions included.
type Scanner struct {
	s   string
	pos lexer.Position // of the next byte
}

// NewScanner returns a Scanner of s. Its tokens carry the lexer's token
// types, so the lexer is built first, once (a scanner is only needed for
// damaged scopes and for lint).
func NewScanner(s string) *Scanner {
	lazy.once.Do(build)
	return &Scanner{s: s, pos: lexer.Position{Line: 1, Column: 1}}
}

// Scan is the tree of s, as Parse builds it.
func Scan(s string) *Scope {
	var tree Scope
	sc := NewScanner(s)
	for {
		it, ok := sc.Next()
		if !ok {
			return &tree
		}
		tree.Items = append(tree.Items, it)
	}
}

// Next builds the next item; ok is false at the end of the string.
func (sc *Scanner) Next() (it Item, ok bool) {
	for sc.pos.Offset < len(sc.s) && sc.s[sc.pos.Offset] == ' ' {
		sc.pos.Offset++
		sc.pos.Column++
	}
	if sc.pos.Offset == len(sc.s) {
		return nil, false
	}
	start := sc.pos
	// The tokens are counted first, so that the item's are allocated
	// once: a long item's would otherwise be copied as the slice grows.
	n := 0
	for i := start.Offset; i < len(sc.s) && sc.s[i] != ' '; n++ {
		size, _ := tokenAt(sc.s, i)
		i += size
	}
	toks := make([]Elem, 0, n)
	for sc.pos.Offset < len(sc.s) && sc.s[sc.pos.Offset] != ' ' {
		toks = append(toks, Elem{Tok: sc.token()})
	}
	end := sc.pos
	first := toks[0].Tok
	switch k := toks[0].Kind(); {
	case (first.Value == "." || first.Value == "*") && len(toks) > 1 && toks[1].Kind() == Colon:
		return &AccessItem{Pos: start, Class: first, Colon: toks[1].Tok, Pattern: toks[2:], EndPos: end}, true
	case k == Colon:
		return &MissingAccess{Pos: start, Colon: first, Rest: toks[1:], EndPos: end}, true
	case k == Dot || k == Stars:
		return &MissingColon{Pos: start, Class: first, Rest: toks[1:], EndPos: end}, true
	}
	return &PlainItem{Pos: start, Elems: toks, EndPos: end}, true
}

// token reads the token at the scanner's position, which is not SP.
func (sc *Scanner) token() lexer.Token {
	i := sc.pos.Offset
	n, k := tokenAt(sc.s, i)
	t := lexer.Token{Type: lazy.types[k], Value: sc.s[i : i+n], Pos: sc.pos}
	sc.pos.Offset += n
	if t.Value == "\n" {
		sc.pos.Line++
		sc.pos.Column = 1 // as lexer.Position.Advance counts
	} else {
		sc.pos.Column++ // a token of more than one byte is one character, or ASCII
		if k != Invalid {
			sc.pos.Column += n - 1
		}
	}
	return t
}

// tokenAt returns the length and kind of the token at s[i], which is not
// SP.
func tokenAt(s string, i int) (n int, k Kind) {
	n, k = 1, Invalid
	switch c := s[i]; {
	case c == '*':
		for i+n < len(s) && s[i+n] == '*' {
			n++
		}
		k = Stars
	case c == '.':
		k = Dot
	case c == ':':
		k = Colon
	case c == '/':
		k = Slash
	case c == '%':
		k = Percent
		if i+2 < len(s) && isHex(s[i+1]) && isHex(s[i+2]) {
			n, k = 3, Escape
		}
	case c == ';' || c == '?' || c == '#':
		k = Reserved
	case wordByte[c]:
		for i+n < len(s) && wordByte[s[i+n]] {
			n++
		}
		k = Word
	default:
		// One character, or one byte that begins none.
		_, n = utf8.DecodeRuneInString(s[i:])
	}
	return n, k
}

func isHex(c byte) bool { return '0' <= c && c <= '9' || 'a' <= c && c <= 'f' || 'A' <= c && c <= 'F' }

// wordByte marks the bytes of a Word token: visible ASCII but SP, '"',
// '\' and the bytes of the other tokens.
var wordByte = func() (t [256]bool) {
	for c := 0x21; c <= 0x7E; c++ {
		t[c] = true
	}
	for _, c := range "\"\\*.:/%;?#" {
		t[c] = false
	}
	return t
}()
