package grammar

import "github.com/alecthomas/participle/v2/lexer"

// Scope is a whole scope string: items separated by runs of SP. Leading,
// trailing and repeated SP leave no node; their extent is the gap between
// one item's End and the next item's Pos.
type Scope struct {
	Items []Item `parser:"( Space | @@ )*"`
}

// Item is one of AccessItem, MissingAccess, MissingColon or PlainItem. The
// grammar tries them in that order, so the first that fits an item's tokens
// is the item's kind.
type Item interface {
	// Start is the position of the item's first byte.
	Start() lexer.Position
	// End is the position just past the item's last byte.
	End() lexer.Position
}

// AccessItem is ACCESS ":" PATTERN, where ACCESS is exactly "." or "*".
// Pattern may be empty; that is an error the scope package reports.
type AccessItem struct {
	Pos     lexer.Position
	Class   lexer.Token `parser:"@( \".\" | \"*\" )"`
	Colon   lexer.Token `parser:"@\":\""`
	Pattern []Elem      `parser:"@@*"`
	EndPos  lexer.Position
}

// MissingAccess is an item that begins with ":": its access class is missing.
type MissingAccess struct {
	Pos    lexer.Position
	Colon  lexer.Token `parser:"@\":\""`
	Rest   []Elem      `parser:"@@*"`
	EndPos lexer.Position
}

// MissingColon is an item that begins with "." or a run of "*" that is not
// an access class followed by ":".
type MissingColon struct {
	Pos    lexer.Position
	Class  lexer.Token `parser:"@( Dot | Stars )"`
	Rest   []Elem      `parser:"@@*"`
	EndPos lexer.Position
}

// PlainItem is any other item: an opaque OAuth scope name.
type PlainItem struct {
	Pos    lexer.Position
	Elems  []Elem `parser:"@@+"`
	EndPos lexer.Position
}

// Elem is one token inside an item, with its position.
type Elem struct {
	Tok lexer.Token `parser:"@( Stars | Dot | Colon | Slash | Escape | Percent | Reserved | Word | Invalid )"`
}

// Kind is the token kind of e.
func (e Elem) Kind() Kind {
	lazy.once.Do(build) // an Elem made by hand may come before any parse
	return lazy.kinds[e.Tok.Type]
}

// Text is the bytes of e as written.
func (e Elem) Text() string { return e.Tok.Value }

// Offset is the byte offset of e in the scope string.
func (e Elem) Offset() int { return e.Tok.Pos.Offset }

func (i *AccessItem) Start() lexer.Position    { return i.Pos }
func (i *AccessItem) End() lexer.Position      { return i.EndPos }
func (i *MissingAccess) Start() lexer.Position { return i.Pos }
func (i *MissingAccess) End() lexer.Position   { return i.EndPos }
func (i *MissingColon) Start() lexer.Position  { return i.Pos }
func (i *MissingColon) End() lexer.Position    { return i.EndPos }
func (i *PlainItem) Start() lexer.Position     { return i.Pos }
func (i *PlainItem) End() lexer.Position       { return i.EndPos }
