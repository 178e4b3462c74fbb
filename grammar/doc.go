// Package grammar is the syntax of scope strings: a participle lexer of
// named token types and grammar structs whose nodes keep their positions.
//
// The grammar is total. Every byte string lexes (a byte no item may hold is
// an Invalid token) and every token sequence parses into a Scope whose
// items are AccessItem, MissingAccess, MissingColon or PlainItem. Deciding
// which trees are valid scopes, and reporting why the others are not, is
// the scope package's job; it can report every error because the parser
// never stops at the first.
//
// The language is described in docs/language.md.
package grammar
