package scope

import (
	"fmt"
	"strings"
	"unicode/utf8"

	"github.com/scopecheck/scopecheck/grammar"
)

// Parse parses and validates a scope string.
//
// On success it returns the Set of the string's items, exact duplicates
// dropped. On failure it returns the empty Set and an ErrorList holding
// every problem in the string, in order (at most MaxErrors of them); no
// item of a damaged scope grants anything, so that a caller who ignores
// the error still fails closed. Parse never panics, and its time and
// memory are linear in len(s), damaged or not.
func Parse(s string) (Set, error) {
	if items, ok := scanValid(s); ok {
		return newSet(items), nil
	}
	items, errs := parse(s, true)
	if len(errs) > 0 {
		return Set{}, errs
	}
	return newSet(items), nil
}

// ParseGrammar is Parse by the participle grammar alone, without the
// scanner that Parse tries first for speed. It gives the same result as
// Parse on every input (a differential fuzz target holds them to it); it
// is there for that proof and for tools that want the grammar's path.
// Participle's cost is large (kilobytes a token) and it fails, with an
// Internal error, past a million tokens: Parse does not use it.
func ParseGrammar(s string) (Set, error) {
	tree, err := grammar.Parse(s)
	if err != nil {
		return Set{}, ErrorList{{Code: Internal, Offset: 0, Column: 1, Item: s,
			Message: err.Error() + "; the scope grants nothing"}}
	}
	items, errs := checkItems(s, true, func(i int) (grammar.Item, bool) {
		if i < len(tree.Items) {
			return tree.Items[i], true
		}
		return nil, false
	})
	if len(errs) > 0 {
		return Set{}, errs
	}
	return newSet(items), nil
}

// MustParse is Parse for scopes known to be valid, such as constants in
// tests and examples; it panics on an invalid scope.
func MustParse(s string) Set {
	set, err := Parse(s)
	if err != nil {
		panic(fmt.Sprintf("scope.MustParse(%q): %v", s, err))
	}
	return set
}

// newSet builds a Set from valid items, dropping exact duplicates, in
// place: items is not used again, and the Set keeps its array.
func newSet(items []Item) Set {
	out := items[:0]
	if len(items) <= 16 {
		// Few items: a quadratic scan beats building a map.
	next:
		for _, it := range items {
			for _, have := range out {
				if have == it {
					continue next
				}
			}
			out = append(out, it)
		}
		return Set{items: out}
	}
	// An item is its class and one string (the pattern of an access item,
	// the name of a plain one), so a map from that string to a bit per
	// class finds duplicates without hashing whole Item structs.
	seen := make(map[string]uint8, len(items))
	for _, it := range items {
		text, bit := it.Pattern, uint8(1)<<it.Class
		if it.Class == Plain {
			text = it.Name
		}
		if seen[text]&bit != 0 {
			continue
		}
		seen[text] |= bit
		out = append(out, it)
	}
	return Set{items: out}
}

// parse returns the valid items of s, in order, with duplicates, and every
// error in s (at most MaxErrors). With hints, errors carry suggested
// replacements, each checked by parsing it without hints. The tree is
// grammar.Scanner's, built one item at a time.
func parse(s string, hints bool) ([]Item, ErrorList) {
	sc := grammar.NewScanner(s)
	return checkItems(s, hints, func(int) (grammar.Item, bool) { return sc.Next() })
}

// checker collects the errors of one scope string.
type checker struct {
	src   string
	errs  ErrorList
	text  string // the item being checked, as written
	hints bool   // whether to suggest replacements
	more  int    // errors found past MaxErrors, not listed
}

func (c *checker) add(code Code, off int, suggestion, format string, args ...any) {
	if len(c.errs) >= MaxErrors {
		c.more++
		return
	}
	if !c.hints || !isAccessItem(suggestion) {
		suggestion = ""
	}
	c.errs = append(c.errs, &Error{
		Code: code, Offset: off, Column: off + 1, Item: c.text,
		Message: fmt.Sprintf(format, args...), Suggestion: suggestion,
	})
}

// item checks one item of the tree and returns it if it is valid.
func (c *checker) item(node grammar.Item) (Item, bool) {
	start, end := node.Start().Offset, node.End().Offset
	c.text = c.src[start:end]
	before := len(c.errs)
	var it Item
	switch n := node.(type) {
	case *grammar.AccessItem:
		cls := Read
		if n.Class.Value == "*" {
			cls = ReadWrite
		}
		c.pattern(n.Pattern, n.Colon.Pos.Offset+1)
		it = Item{Class: cls, Pattern: c.src[n.Colon.Pos.Offset+1 : end]}
	case *grammar.MissingAccess:
		c.missingAccess(start, end)
		c.pattern(n.Rest, start+1)
	case *grammar.MissingColon:
		c.bytes(n.Rest)
		if hint := c.colonHint(); hint != "" {
			c.add(MissingColon, start, hint,
				"item %q begins with %q but has no \":\" after it; did you mean %q?", brief(c.text), c.text[:1], brief(hint))
		} else {
			c.add(MissingColon, start, "",
				"item %q begins with %q but has no \":\" after it: an access item is \".:PATTERN\" or \"*:PATTERN\"", brief(c.text), c.text[:1])
		}
	case *grammar.PlainItem:
		c.bytes(n.Elems)
		it = Item{Class: Plain, Name: c.text}
	default:
		c.add(Internal, start, "", "grammar produced an unknown item %T", node)
	}
	c.sort(before)
	return it, len(c.errs) == before
}

// missingAccess reports the item c.text, from start to end, that begins
// with ":".
func (c *checker) missingAccess(start, end int) {
	c.add(MissingAccess, start, ".:"+c.src[start+1:end],
		"item %q has no access class before \":\": write %q to read (GET, HEAD) or %q to read and write",
		brief(c.text), brief("."+c.text), brief("*"+c.text))
}

// sort orders the errors of the current item by offset. Each item's
// checks run in a fixed order of concerns, not of position.
func (c *checker) sort(from int) {
	e := c.errs[from:]
	for i := 1; i < len(e); i++ {
		for j := i; j > 0 && e[j].Offset < e[j-1].Offset; j-- {
			e[j], e[j-1] = e[j-1], e[j]
		}
	}
}

// bytes reports the Invalid tokens among elems: one error for each byte,
// as the language has it, each naming the character the byte is part of.
func (c *checker) bytes(elems []grammar.Elem) {
	for _, e := range elems {
		if e.Kind() != grammar.Invalid {
			continue
		}
		t := e.Text()
		for i := 0; i < len(t); i++ {
			c.badByte(e.Offset()+i, t, i)
		}
	}
}

// badByte reports byte i of the Invalid token t, at offset off.
func (c *checker) badByte(off int, t string, i int) {
	if len(c.errs) >= MaxErrors {
		c.more++ // without describing it
		return
	}
	c.add(BadByte, off, "", "%s is not allowed in a scope: items are visible ASCII except '\"' and '\\'", describeByte(t, i))
}

// describeByte names byte i of an Invalid token for a person.
func describeByte(t string, i int) string {
	names := map[byte]string{0: "NUL", '\t': "TAB", '\n': "LF", '\r': "CR", 0x7F: "DEL", '"': "'\"'", '\\': "'\\'"}
	if len(t) == 1 {
		if n, ok := names[t[0]]; ok {
			return fmt.Sprintf("byte 0x%02X (%s)", t[0], n)
		}
		return fmt.Sprintf("byte 0x%02X", t[0])
	}
	r, _ := utf8.DecodeRuneInString(t)
	return fmt.Sprintf("byte 0x%02X (of non-ASCII character %U %q)", t[i], r, t)
}

// pattern checks the elements of a path pattern that begins at offset at.
func (c *checker) pattern(elems []grammar.Elem, at int) {
	c.bytes(elems)
	if len(elems) == 0 {
		c.add(EmptyPattern, at, "", "access item %q has an empty path pattern; %q grants everything, a path such as %q one subtree",
			brief(c.text), brief(c.text+"**"), brief(c.text+"config/**"))
		return
	}
	text := c.src[at : elems[len(elems)-1].Offset()+len(elems[len(elems)-1].Text())]
	bt := brief(text) // once: a long pattern may have an error at every byte
	if elems[0].Kind() == grammar.Slash {
		fix := c.text[:len(c.text)-len(text)] + strings.TrimLeft(text, "/")
		if strings.TrimLeft(text, "/") == "" {
			fix = ""
		}
		c.add(LeadingSlash, at, fix, "path pattern %q begins with \"/\", but patterns are relative to the customer root and match paths without their leading \"/\"", bt)
	}
	lead := leadingSlashes(elems)
	segStart := 0 // index in elems of the current segment's first element
	for i, e := range elems {
		switch e.Kind() {
		case grammar.Slash:
			if i >= lead && elems[i-1].Kind() == grammar.Slash {
				c.add(EmptySegment, e.Offset(), "", "path pattern %q has an empty segment \"//\", which no canonical request path has", bt)
			}
			c.dotSegment(elems[segStart:i], bt)
			segStart = i + 1
		case grammar.Stars:
			if n := len(e.Text()); n > 2 {
				c.add(StarRun, e.Offset(), "", "path pattern %q has a run of %d '*': \"*\" matches within one segment, \"**\" across segments", bt, n)
			}
		case grammar.Reserved:
			c.add(BadChar, e.Offset(), "", "path pattern %q has %q, which no canonical request path has (a path ends before '?' and '#', and ';' is refused)", bt, e.Text())
		case grammar.Percent:
			c.add(BadEscape, e.Offset(), "", "'%%' in path pattern %q is not followed by two hex digits; a literal '%%' is written %%25 in paths, and canonical paths never escape it", bt)
		case grammar.Escape:
			b, _ := unescape(e.Text(), 0)
			if b < 0x80 && escapedForbidden[b] {
				c.add(BadEscape, e.Offset(), "", "escape %s in path pattern %q encodes a byte that canonical request paths never escape (/, \\, ., %%, ;, ?, #, control bytes)", e.Text(), bt)
			}
		}
	}
	c.dotSegment(elems[segStart:], bt)
	c.escapeRuns(elems, bt)
}

// leadingSlashes counts the "/" elements at the start of a pattern; they
// are one leading-slash error, not also empty segments.
func leadingSlashes(elems []grammar.Elem) int {
	n := 0
	for n < len(elems) && elems[n].Kind() == grammar.Slash {
		n++
	}
	return n
}

// dotSegment reports a segment that is exactly "." or "..", in the
// pattern whose brief text is bt.
func (c *checker) dotSegment(seg []grammar.Elem, bt string) {
	for _, e := range seg {
		if e.Kind() != grammar.Dot {
			return
		}
	}
	if len(seg) == 1 || len(seg) == 2 {
		c.add(DotSegment, seg[0].Offset(), "", "path pattern %q has a %q segment, which no canonical request path has", bt, strings.Repeat(".", len(seg)))
	}
}

// escapeRuns reports runs of escapes that decode to something no canonical
// path holds: invalid UTF-8 (overlong forms included), C1 controls,
// U+2028, U+2029. A run next to a wildcard may be the end or the start of a
// sequence that the wildcard completes, so only the part it cannot complete
// is judged.
func (c *checker) escapeRuns(elems []grammar.Elem, bt string) {
	for i := 0; i < len(elems); {
		if elems[i].Kind() != grammar.Escape {
			i++
			continue
		}
		j := i
		var dec []byte
		for j < len(elems) && elems[j].Kind() == grammar.Escape {
			b, _ := unescape(elems[j].Text(), 0)
			dec = append(dec, b)
			j++
		}
		openStart := i > 0 && elems[i-1].Kind() == grammar.Stars
		openEnd := j < len(elems) && elems[j].Kind() == grammar.Stars
		if bad := badEscape(dec, openStart, openEnd); bad >= 0 {
			at := elems[i+bad].Offset()
			c.add(BadEscape, at, "", "escapes from %s in path pattern %q do not decode to valid UTF-8 free of C1 controls, U+2028 and U+2029, so no canonical request path has them",
				brief(c.src[at:elems[j-1].Offset()+3]), bt)
		}
		i = j
	}
}

// badEscape returns the index of the first decoded byte of a run of escapes
// that cannot occur in the decoding of a canonical path, or -1 if every one
// can. openStart and openEnd say whether a wildcard before or after the run
// can supply the bytes of a sequence that the run begins or ends in the
// middle of. Escapes of forbidden ASCII bytes are reported elsewhere.
func badEscape(b []byte, openStart, openEnd bool) int {
	i := 0
	if openStart {
		for i < len(b) && i < 3 && b[i]&0xC0 == 0x80 {
			i++
		}
	}
	for i < len(b) {
		if b[i] < 0x80 {
			i++
			continue
		}
		r, n := utf8.DecodeRune(b[i:])
		if r == utf8.RuneError && n <= 1 {
			if openEnd && !utf8.FullRune(b[i:]) {
				return -1
			}
			return i
		}
		if forbiddenRune(r) {
			return i
		}
		i += n
	}
	return -1
}

// isAccessItem reports whether s is exactly one valid access item.
func isAccessItem(s string) bool {
	items, ok := scanValid(s)
	return ok && len(items) == 1 && items[0].Class != Plain
}

// colonHint suggests the access item that the item with a missing colon
// most likely meant, or "" when none is obvious.
func (c *checker) colonHint() string {
	if !c.hints {
		return ""
	}
	item := c.text
	if j := strings.IndexByte(item, ':'); j >= 2 && strings.Trim(item[:j], ".*") == "" {
		// "**:x", "..:x": the class doubled. A mixed run such as ".*:x"
		// could mean either class, so it gets no guess.
		if strings.Trim(item[:j], item[:1]) != "" {
			return ""
		}
		if cand := item[:1] + item[j:]; isAccessItem(cand) {
			return cand
		}
		return ""
	}
	var cands []string
	if len(item) >= 2 && strings.ContainsRune(".;,", rune(item[1])) {
		cands = append(cands, item[:1]+":"+item[2:]) // "*.**": colon turned into a dot
	}
	cands = append(cands, item[:1]+":"+item[1:]) // "*config/**": colon dropped
	for _, cand := range cands {
		if isAccessItem(cand) {
			return cand
		}
	}
	return ""
}
