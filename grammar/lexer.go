package grammar

import "github.com/alecthomas/participle/v2/lexer"

// scopeLexer returns the lexer that splits a scope string into named tokens.
// It is total: every byte string lexes, because bytes that a scope may
// not contain become Invalid tokens rather than lexer errors. That lets
// the parser build a tree for a damaged scope and lets the scope package
// report every error in it, not just the first.
//
// The rules are tried in order. Runs of "*" are one token so that a run of
// three or more is visible as such; "." and ":" are tokens of their own
// because they decide what kind of item an item is; everything that is
// neither structure nor error is a Word.
//
// It is built on first use, with the parser: a valid scope is parsed by
// a hand-written scanner (package scope), so a program that only compiles
// valid scopes never pays for participle's regular expressions and
// reflection, at start-up or later.
func scopeLexer() *lexer.StatefulDefinition {
	lazy.once.Do(build)
	return lazy.lexer
}

var lexerRules = []lexer.SimpleRule{
	{Name: "Space", Pattern: ` +`},
	{Name: "Stars", Pattern: `\*+`},
	{Name: "Dot", Pattern: `\.`},
	{Name: "Colon", Pattern: `:`},
	{Name: "Slash", Pattern: `/`},
	{Name: "Escape", Pattern: `%[0-9A-Fa-f]{2}`},
	{Name: "Percent", Pattern: `%`},
	{Name: "Reserved", Pattern: `[;?#]`},
	// Visible ASCII except SP, '"', '\\' and the bytes above.
	{Name: "Word", Pattern: "[!$&'()+,\\-0-9<=>@A-Z\\[\\]^_`a-z{|}~]+"},
	// One character (or one byte of invalid UTF-8) that no item may hold.
	{Name: "Invalid", Pattern: `(?s:.)`},
}

// Kind names a token type of Lexer.
type Kind int

// The kinds of the lexer's tokens, in rule order. Every kind from Stars
// on can be an Elem's; SP runs separate items and are no Elem.
const (
	kindNone Kind = iota // not a token of scopeLexer
	space
	Stars
	Dot
	Colon
	Slash
	Escape
	Percent
	Reserved
	Word
	Invalid
)

var kindNames = [...]string{"?", "Space", "Stars", "Dot", "Colon", "Slash", "Escape", "Percent", "Reserved", "Word", "Invalid"}

func (k Kind) String() string {
	if k < 0 || int(k) >= len(kindNames) {
		return kindNames[0]
	}
	return kindNames[k]
}

// kindsOf maps the lexer's token types to Kind, from the lexer's own
// symbol table so that the two cannot drift apart.
func kindsOf(l *lexer.StatefulDefinition) map[lexer.TokenType]Kind {
	m := make(map[lexer.TokenType]Kind)
	syms := l.Symbols()
	for k := space; k <= Invalid; k++ {
		t, ok := syms[k.String()]
		if !ok {
			panic("grammar: lexer has no rule " + k.String())
		}
		m[t] = k
	}
	return m
}
