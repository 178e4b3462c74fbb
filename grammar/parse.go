package grammar

import (
	"fmt"

	"github.com/alecthomas/participle/v2"
)

// parser is built once; participle parsers are safe for concurrent use.
var parser = participle.MustBuild[Scope](
	participle.Lexer(scopeLexer),
	participle.Union[Item](&AccessItem{}, &MissingAccess{}, &MissingColon{}, &PlainItem{}),
	// An AccessItem that fails at its second token (as in "*.**") must
	// give way to MissingColon, one token back.
	participle.UseLookahead(2),
)

// Parse builds the syntax tree of a scope string. The grammar accepts every
// byte string, so Parse fails only if the grammar itself is broken; the
// error then says so, and callers must treat the scope as granting nothing.
// Whether the tree is a valid scope is decided by the scope package.
func Parse(s string) (*Scope, error) {
	tree, err := parser.ParseString("", s)
	if err != nil {
		return nil, fmt.Errorf("grammar: internal error: %w", err)
	}
	return tree, nil
}

// ebnf returns the grammar in EBNF, as participle derives it from the
// structs of this package.
func ebnf() string { return parser.String() }
