package scope

import (
	"fmt"
	"strconv"
	"strings"
)

// Code is the stable name of a kind of parse error. Codes never change
// meaning; tools may match on them.
type Code string

// The parse error codes. Each is a reason why an item can never grant
// anything as written.
const (
	// BadByte: a byte outside visible ASCII, or '"' or '\', anywhere.
	BadByte Code = "bad-byte"
	// MissingColon: an item begins with "." or "*" not followed by ":".
	MissingColon Code = "missing-colon"
	// MissingAccess: an item begins with ":"; the access class is missing.
	MissingAccess Code = "missing-access"
	// EmptyPattern: an access item with nothing after ":".
	EmptyPattern Code = "empty-pattern"
	// LeadingSlash: a pattern that begins with "/".
	LeadingSlash Code = "leading-slash"
	// EmptySegment: a pattern with "//".
	EmptySegment Code = "empty-segment"
	// DotSegment: a pattern with a "." or ".." segment.
	DotSegment Code = "dot-segment"
	// BadChar: a pattern with ';', '?' or '#'.
	BadChar Code = "bad-char"
	// BadEscape: a '%' not followed by two hex digits, or an escape that
	// no canonical request path contains.
	BadEscape Code = "bad-escape"
	// StarRun: a run of three or more '*'.
	StarRun Code = "star-run"
	// Internal: the grammar failed; a defect, reported rather than hidden.
	Internal Code = "internal"
)

// Codes lists every parse error code, in the order of the declarations.
var Codes = []Code{BadByte, MissingColon, MissingAccess, EmptyPattern, LeadingSlash,
	EmptySegment, DotSegment, BadChar, BadEscape, StarRun, Internal}

// Error is one problem in a scope string.
type Error struct {
	Code   Code
	Offset int // byte offset in the scope string where the problem starts
	// Column is Offset+1: the 1-based byte column, as go/token counts
	// columns. A scope string is one line, so no line is given.
	Column int
	// Item is the item the problem is in, as written (it may hold the
	// offending bytes; print it quoted).
	Item string
	// Message says what is wrong and what to write instead. It names
	// neither the position nor the code; Error adds both.
	Message string
	// Suggestion, when not empty, is a corrected item that parses.
	Suggestion string
}

// Error formats e as "col N: message [code]".
func (e *Error) Error() string {
	return fmt.Sprintf("col %d: %s [%s]", e.Column, e.Message, e.Code)
}

// ErrorList is every problem in a scope string, in order of Offset. Parse
// returns a non-empty ErrorList as its error.
type ErrorList []*Error

// Error formats the first problem and how many more there are.
func (l ErrorList) Error() string {
	switch len(l) {
	case 0:
		return "no errors"
	case 1:
		return l[0].Error()
	}
	var b strings.Builder
	b.WriteString(l[0].Error())
	fmt.Fprintf(&b, " (and %d more)", len(l)-1)
	return b.String()
}

// maxQuoted bounds the text of an item, a pattern or a path that a
// message quotes: the middle of a longer one is left out, so that a
// message stays short whatever the scope, and the errors of a long
// damaged item do not each hold a copy of it. The whole item is in the
// Error's or Finding's Item.
const maxQuoted = 64

// brief is s for a message, its middle left out when it is long.
func brief(s string) string {
	if len(s) <= maxQuoted {
		return s
	}
	return s[:maxQuoted/2] + "…" + s[len(s)-maxQuoted/4:]
}

// briefq is brief(s) quoted, as %q quotes.
func briefq(s string) string { return strconv.Quote(brief(s)) }
