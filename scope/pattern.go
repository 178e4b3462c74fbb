package scope

import "strings"

// ElemKind is the kind of one element of a path pattern.
type ElemKind uint8

const (
	Literal    ElemKind = iota // bytes that match themselves
	Star                       // "*": zero or more bytes, no "/"
	DoubleStar                 // "**": zero or more bytes, "/" included
)

// Elem is one element of a path pattern.
type Elem struct {
	Kind ElemKind
	Lit  string // the bytes of a Literal; empty for the wildcards
}

// Elems splits an access item's pattern into literals and wildcards. No two
// wildcards are adjacent and no literal is empty, because a valid pattern
// has no run of three or more "*". A plain item has no elements.
func (it Item) Elems() []Elem {
	if it.Class == Plain {
		return nil
	}
	var out []Elem
	p := it.Pattern
	for len(p) > 0 {
		i := strings.IndexByte(p, '*')
		if i < 0 {
			out = append(out, Elem{Kind: Literal, Lit: p})
			break
		}
		if i > 0 {
			out = append(out, Elem{Kind: Literal, Lit: p[:i]})
		}
		if strings.HasPrefix(p[i:], "**") {
			out = append(out, Elem{Kind: DoubleStar})
			p = p[i+2:]
		} else {
			out = append(out, Elem{Kind: Star})
			p = p[i+1:]
		}
	}
	return out
}
