package scope

import (
	"math/bits"
	"unicode/utf8"

	"github.com/scopecheck/scopecheck/internal/swar"
)

// PathRule names the rule of canonical request paths (the language
// reference, "Request paths") that a path breaks. The zero value,
// Canonical, means it breaks none.
type PathRule uint8

const (
	Canonical       PathRule = iota // the path is canonical
	NoLeadingSlash                  // it does not begin with "/"
	PathByte                        // a byte outside visible ASCII 0x21-0x7E
	PathChar                        // '\', ';', '?' or '#'
	PathEmptySeg                    // "//" (an empty segment other than one trailing "/")
	PathDotSeg                      // a "." or ".." segment
	PathBadEscape                   // '%' not followed by two hex digits
	PathEscapedByte                 // an escape of '/', '\', '.', '%', ';', '?', '#', a control byte or DEL
	PathBadUTF8                     // the escapes decode to invalid UTF-8 (overlong forms included)
	PathControlRune                 // the escapes decode to a C1 control, U+2028 or U+2029
)

var pathRuleNames = [...]string{
	Canonical:       "canonical",
	NoLeadingSlash:  "no-leading-slash",
	PathByte:        "bad-byte",
	PathChar:        "bad-char",
	PathEmptySeg:    "empty-segment",
	PathDotSeg:      "dot-segment",
	PathBadEscape:   "bad-escape",
	PathEscapedByte: "escaped-byte",
	PathBadUTF8:     "bad-utf8",
	PathControlRune: "control-char",
}

var pathRuleText = [...]string{
	Canonical:       "the path is canonical",
	NoLeadingSlash:  "the path does not begin with /",
	PathByte:        "the path has a byte outside visible ASCII",
	PathChar:        `the path has \, ;, ? or #`,
	PathEmptySeg:    "the path has an empty segment (//)",
	PathDotSeg:      "the path has a . or .. segment",
	PathBadEscape:   "the path has a % not followed by two hex digits",
	PathEscapedByte: `the path escapes /, \, ., %, ;, ?, #, a control byte or DEL`,
	PathBadUTF8:     "the path's escapes do not decode to valid UTF-8",
	PathControlRune: "the path's escapes decode to a C1 control, U+2028 or U+2029",
}

// String is the rule's stable name, such as "dot-segment".
func (r PathRule) String() string {
	if int(r) < len(pathRuleNames) {
		return pathRuleNames[r]
	}
	return "unknown"
}

// Describe says in words what breaks the rule.
func (r PathRule) Describe() string {
	if int(r) < len(pathRuleText) {
		return pathRuleText[r]
	}
	return "unknown rule"
}

// Byte classes for CheckPath. Zero is a byte that needs no further thought,
// so the common case costs one table load and one compare; the others are
// bits, so that eight bytes' classes can be tested in one OR.
const (
	pcPlain   = 0
	pcSlash   = 1
	pcPercent = 2
	pcBad     = 4 // outside 0x21-0x7E
	pcChar    = 8 // \ ; ? #
)

var pathClass = func() (t [256]uint8) {
	for i := range t {
		if i < 0x21 || i > 0x7E {
			t[i] = pcBad
		}
	}
	t['/'] = pcSlash
	t['%'] = pcPercent
	for _, c := range `\;?#` {
		t[c] = pcChar
	}
	return t
}()

// escapedForbidden holds the bytes below 0x80 that no escape in a canonical
// path may encode: the ones that would change how the path is routed once
// decoded, and control bytes.
var escapedForbidden = func() (t [128]bool) {
	for i := 0; i < 0x20; i++ {
		t[i] = true
	}
	t[0x7F] = true
	for _, c := range `/\.%;?#` {
		t[c] = true
	}
	return t
}()

// unhex returns the value of a hex digit and whether c is one.
func unhex(c byte) (byte, bool) {
	switch {
	case '0' <= c && c <= '9':
		return c - '0', true
	case 'a' <= c && c <= 'f':
		return c - 'a' + 10, true
	case 'A' <= c && c <= 'F':
		return c - 'A' + 10, true
	}
	return 0, false
}

// unescape decodes the escape at s[i:i+3] if there is a well-formed one.
func unescape(s string, i int) (byte, bool) {
	if i+2 >= len(s) || s[i] != '%' {
		return 0, false
	}
	hi, ok1 := unhex(s[i+1])
	lo, ok2 := unhex(s[i+2])
	return hi<<4 | lo, ok1 && ok2
}

// forbiddenRune reports a decoded character that canonical paths exclude.
func forbiddenRune(r rune) bool {
	return (r >= 0x80 && r <= 0x9F) || r == 0x2028 || r == 0x2029
}

// utf8Len is the length of the UTF-8 sequence a lead byte begins, or 0 if
// the byte cannot begin one (continuation bytes, C0, C1, F5-FF).
func utf8Len(b byte) int {
	switch {
	case b >= 0xC2 && b <= 0xDF:
		return 2
	case b >= 0xE0 && b <= 0xEF:
		return 3
	case b >= 0xF0 && b <= 0xF4:
		return 4
	}
	return 0
}

// CheckPath reports whether a request path is canonical and, if not, the
// first rule it breaks and the byte offset where it breaks it. It reads the
// path once, makes no allocation, and never decodes the path for matching:
// escapes are decoded only to check them.
func CheckPath(p string) (PathRule, int) {
	if len(p) == 0 || p[0] != '/' {
		return NoLeadingSlash, 0
	}
	return CheckPathFrom(p, 1, 1)
}

// CheckPathFrom is CheckPath for a path whose first from bytes are already
// known to begin a canonical path: they start with "/", leave no escape or
// escaped UTF-8 sequence open, and hold no empty or dot segment before the
// segment that starts at segStart (segStart <= from). A matcher that has
// compared those bytes with a pattern's literal prefix knows this, because
// a valid pattern's literals are canonical. It checks the rest, and the
// segment that spans from.
func CheckPathFrom(p string, from, segStart int) (PathRule, int) {
	// While a UTF-8 sequence spelled as escapes is open the next byte
	// must begin another escape, which the escape itself checks, so plain
	// bytes need no test of it, and the block loop below never runs while
	// one is open (it stops at the '%').
	var esc escapeRun
	i := from
	for i < len(p) {
		// Most bytes are plain, and most of the rest are "/": eight bytes
		// at a time, with independent loads, while a block holds nothing
		// else. A "/" ends a segment, which is wrong only if it is empty,
		// "." or "..": at most two bytes long.
		for i+8 <= len(p) {
			b := p[i : i+8]
			c := blockClass(&pathClass, b)
			if c&^pcSlash != 0 {
				break
			}
			if c != 0 {
				for m := swar.Equal(swar.Load64(b, 0), '/'); m != 0; m &= m - 1 {
					k := i + bits.TrailingZeros64(m)>>3
					if k-segStart <= 2 {
						if r := checkSegment(p[segStart:k]); r != Canonical {
							return r, segStart
						}
					}
					segStart = k + 1
				}
			}
			i += 8
		}
		// Fewer than eight bytes left of a path of eight or more: one
		// more block, the path's last eight bytes, of which those before
		// i were checked already (a "/" among them ended its segment
		// then, so only the later ones count). Most request paths end
		// so, and a byte loop through their last bytes would cost as
		// much as the blocks before it.
		if i+8 > len(p) && i < len(p) && len(p) >= 8 {
			last := len(p) - 8
			b := p[last:]
			c := blockClass(&pathClass, b)
			if c&^pcSlash == 0 {
				if c != 0 {
					done := uint(i - last) // bytes of the block before i: 1 to 7
					// The same walk of the "/" marks as the loop above:
					// as a function of its own, even inlined, it cost the
					// check 4.6% more instructions.
					m := swar.Equal(swar.Load64(b, 0), '/') &^ (1<<(8*done) - 1)
					for ; m != 0; m &= m - 1 {
						k := last + bits.TrailingZeros64(m)>>3
						if k-segStart <= 2 {
							if r := checkSegment(p[segStart:k]); r != Canonical {
								return r, segStart
							}
						}
						segStart = k + 1
					}
				}
				i = len(p)
				break
			}
		}
		// One byte at a time through the block that stopped the loop
		// above, or the last few bytes.
		for end := min(i+8, len(p)); i < end; {
			switch pathClass[p[i]] {
			case pcPlain:
				i++
				continue
			case pcBad:
				return PathByte, i
			case pcChar:
				return PathChar, i
			case pcSlash:
				if r := checkSegment(p[segStart:i]); r != Canonical {
					return r, segStart
				}
				segStart = i + 1
				i++
				continue
			}
			// An escape.
			if r, at := esc.step(p, i); r != Canonical {
				return r, at
			}
			i += 3
		}
	}
	// The last segment may be empty (one trailing "/"), not a dot segment.
	if seg := p[segStart:]; seg == "." || seg == ".." {
		return PathDotSeg, segStart
	}
	return Canonical, 0
}

// blockClass is the union of the classes in table t of the eight bytes
// of b, read with independent loads. A block whose union is 0 or a
// class of its own, such as "/", needs no byte loop.
func blockClass(t *[256]uint8, b string) uint8 {
	_ = b[7]
	return t[b[0]] | t[b[1]] | t[b[2]] | t[b[3]] | t[b[4]] | t[b[5]] | t[b[6]] | t[b[7]]
}

// checkSegment checks a segment that a "/" ends.
func checkSegment(seg string) PathRule {
	switch seg {
	case "":
		return PathEmptySeg
	case ".", "..":
		return PathDotSeg
	}
	return Canonical
}

// escapeRun follows the escapes of a path as CheckPathFrom meets them: a
// UTF-8 sequence spelled as escapes is gathered in seq until it is
// complete; at is where its first escape starts.
type escapeRun struct {
	seq        [4]byte
	have, need int
	at         int
}

// step checks the escape at p[i] (p[i] is '%') and what it adds to the
// sequence open, and returns the rule it breaks and where, or Canonical.
// A sequence still open must go on with an escape at p[i+3].
func (e *escapeRun) step(p string, i int) (PathRule, int) {
	b, ok := unescape(p, i)
	if !ok {
		return PathBadEscape, i
	}
	if b < 0x80 {
		if e.need > 0 {
			return PathBadUTF8, e.at
		}
		if escapedForbidden[b] {
			return PathEscapedByte, i
		}
		return Canonical, 0
	}
	if e.need == 0 {
		if e.need = utf8Len(b); e.need == 0 {
			return PathBadUTF8, i
		}
		e.have, e.at = 0, i
	}
	e.seq[e.have] = b
	e.have++
	if e.have == e.need {
		r, n := utf8.DecodeRune(e.seq[:e.have])
		if r == utf8.RuneError && n < e.have {
			return PathBadUTF8, e.at
		}
		if forbiddenRune(r) {
			return PathControlRune, e.at
		}
		e.need = 0
	}
	if next := i + 3; e.need > 0 && (next >= len(p) || p[next] != '%') {
		return PathBadUTF8, e.at
	}
	return Canonical, 0
}
