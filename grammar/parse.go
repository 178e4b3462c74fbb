package grammar

import (
	"fmt"
	"sync"
	"sync/atomic"

	"github.com/alecthomas/participle/v2"
	"github.com/alecthomas/participle/v2/lexer"
)

// lazy holds the lexer, its kinds and the parser, built together on first
// use: only scopes that the scanner of package scope declines (damaged
// ones) and tools that want the tree need them, and building them costs
// about 0.2 ms and 900 allocations, which a program that imports the
// matcher should not pay at start-up. A sync.Once, unlike sync.OnceValue,
// costs no allocation at init. Participle parsers are safe for concurrent
// use.
var lazy struct {
	once   sync.Once
	lexer  *lexer.StatefulDefinition
	kinds  map[lexer.TokenType]Kind
	types  [Invalid + 1]lexer.TokenType // of each Kind, for Scanner
	parser *participle.Parser[Scope]
}

// built records that the parser has been built, for the test that valid
// scopes never build it.
var built atomic.Bool

func build() {
	built.Store(true)
	lazy.lexer = lexer.MustSimple(lexerRules)
	lazy.kinds = kindsOf(lazy.lexer)
	for tt, k := range lazy.kinds {
		lazy.types[k] = tt
	}
	lazy.parser = participle.MustBuild[Scope](
		participle.Lexer(lazy.lexer),
		participle.Union[Item](&AccessItem{}, &MissingAccess{}, &MissingColon{}, &PlainItem{}),
		// An AccessItem that fails at its second token (as in "*.**") must
		// give way to MissingColon, one token back.
		participle.UseLookahead(2),
	)
}

func parser() *participle.Parser[Scope] {
	lazy.once.Do(build)
	return lazy.parser
}

// Parse builds the syntax tree of a scope string. The grammar accepts every
// byte string, so Parse fails only if the grammar itself is broken; the
// error then says so, and callers must treat the scope as granting nothing.
// Whether the tree is a valid scope is decided by the scope package.
func Parse(s string) (*Scope, error) {
	tree, err := parser().ParseString("", s)
	if err != nil {
		return nil, fmt.Errorf("grammar: internal error: %w", err)
	}
	return tree, nil
}

// ebnf returns the grammar in EBNF, as participle derives it from the
// structs of this package.
func ebnf() string { return parser().String() }
