package scope

import (
	"errors"
	"fmt"
	"sort"
	"strings"

	"github.com/scopecheck/scopecheck/grammar"
)

// Severity ranks a lint finding.
type Severity uint8

const (
	SeverityInfo Severity = iota
	SeverityWarning
	SeverityError
)

func (s Severity) String() string {
	switch s {
	case SeverityWarning:
		return "warning"
	case SeverityError:
		return "error"
	}
	return "info"
}

// The lint codes, beside the parse error codes (which lint reports with
// severity Error).
const (
	SuperAdmin    Code = "super-admin"
	ReadAll       Code = "read-all"
	PrefixBleed   Code = "prefix-bleed"
	TrailingSlash Code = "trailing-slash"
	Placeholder   Code = "placeholder"
	Duplicate     Code = "duplicate"
	Redundant     Code = "redundant"
	UnknownAccess Code = "unknown-access"
	Whitespace    Code = "whitespace"
	Empty         Code = "empty"
	Undecided     Code = "undecided"
)

// LintCodes lists the lint codes with their severities.
var LintCodes = map[Code]Severity{
	SuperAdmin: SeverityWarning, ReadAll: SeverityInfo, PrefixBleed: SeverityWarning, TrailingSlash: SeverityWarning,
	Placeholder: SeverityError, Duplicate: SeverityWarning, Redundant: SeverityWarning, UnknownAccess: SeverityWarning,
	Whitespace: SeverityInfo, Empty: SeverityWarning, Undecided: SeverityWarning,
}

// Finding is one thing a reviewer should look at in a scope string.
type Finding struct {
	Code     Code
	Severity Severity
	Offset   int // byte offset in the scope string
	Column   int // Offset+1
	Item     string
	Message  string
	// Suggestion, when not empty, is the whole scope string rewritten to
	// fix this finding alone. It always parses; for duplicate and
	// redundant it allows exactly what the scope allows, and for
	// prefix-bleed exactly what it allows less the bled paths.
	Suggestion string
}

// Lint reports every parse error in s (severity Error) and every finding
// of the lint codes, sorted by offset. It never panics; a scope that does
// not parse is linted as far as its valid items allow.
func Lint(s string) []Finding {
	tree, err := grammar.Parse(s)
	_, errs := parse(s, true)
	if err != nil {
		return []Finding{{Code: Internal, Severity: SeverityError, Column: 1, Item: s, Message: err.Error()}}
	}
	l := linter{src: s, damaged: len(errs) > 0}
	for _, node := range tree.Items {
		l.spans = append(l.spans, span{node.Start().Offset, node.End().Offset})
	}
	for _, e := range errs {
		// A parse error's fix is offered only if it fixes the whole scope.
		fix := ""
		if i := l.itemAt(e.Offset); e.Suggestion != "" && i >= 0 {
			if cand := l.replace(i, e.Suggestion); isValid(cand) {
				fix = cand
			}
		}
		l.out = append(l.out, Finding{Code: e.Code, Severity: SeverityError, Offset: e.Offset, Column: e.Column,
			Item: e.Item, Message: e.Message, Suggestion: fix})
	}
	l.whitespace()
	l.items(tree)
	sort.SliceStable(l.out, func(i, j int) bool { return l.out[i].Offset < l.out[j].Offset })
	return l.out
}

func isValid(s string) bool {
	_, errs := parse(s, false)
	return len(errs) == 0
}

// itemAt is the index of the item holding offset off, or -1.
func (l *linter) itemAt(off int) int {
	for i, sp := range l.spans {
		if sp.start <= off && off <= sp.end {
			return i
		}
	}
	return -1
}

type span struct{ start, end int }

type linter struct {
	src     string
	spans   []span
	damaged bool // the scope has parse errors: no suggestion can fix it alone
	out     []Finding
}

func (l *linter) add(code Code, off int, item, suggestion, format string, args ...any) {
	if l.damaged {
		suggestion = "" // no rewrite of one finding makes a damaged scope parse
	}
	l.out = append(l.out, Finding{Code: code, Severity: LintCodes[code], Offset: off, Column: off + 1,
		Item: item, Message: fmt.Sprintf(format, args...), Suggestion: suggestion})
}

// text is the item at index i as written.
func (l *linter) text(i int) string { return l.src[l.spans[i].start:l.spans[i].end] }

// replace is the scope's items, the one at i replaced by with (dropped
// when with is empty), joined by one space.
func (l *linter) replace(i int, with string) string {
	var parts []string
	for j := range l.spans {
		switch {
		case j != i:
			parts = append(parts, l.text(j))
		case with != "":
			parts = append(parts, with)
		}
	}
	return strings.Join(parts, " ")
}

func (l *linter) whitespace() {
	if len(l.spans) == 0 {
		l.add(Empty, 0, "", "", "the scope has no items and grants nothing; a token needs at least one item")
		if l.src != "" {
			l.add(Whitespace, 0, "", "", "the scope is only spaces")
		}
		return
	}
	fix := l.replace(-1, "")
	if first := l.spans[0].start; first > 0 {
		l.add(Whitespace, 0, "", fix, "the scope begins with %d space(s); items are separated by one space, with none before or after", first)
	}
	for i := 1; i < len(l.spans); i++ {
		if gap := l.spans[i].start - l.spans[i-1].end; gap > 1 {
			l.add(Whitespace, l.spans[i-1].end, "", fix, "%d spaces between items; write one", gap)
		}
	}
	if last := l.spans[len(l.spans)-1].end; last < len(l.src) {
		l.add(Whitespace, last, "", fix, "the scope ends with %d space(s); items are separated by one space, with none before or after", len(l.src)-last)
	}
}

func (l *linter) items(tree *grammar.Scope) {
	seen := map[string]int{}
	var valid []int // indexes of valid items, first copies only
	for i, node := range tree.Items {
		text, off := l.text(i), l.spans[i].start
		if j, dup := seen[text]; dup {
			l.add(Duplicate, off, text, l.replace(i, ""), "item %s repeats item %d (column %d) and adds nothing; remove it", text, j+1, l.spans[j].start+1)
			continue
		}
		seen[text] = i
		l.placeholder(i, text)
		switch n := node.(type) {
		case *grammar.AccessItem:
			if !isAccessItem(text) {
				continue // parse errors are reported already
			}
			valid = append(valid, i)
			l.access(i, text, n)
		case *grammar.PlainItem:
			if isPlain(text) {
				valid = append(valid, i)
			}
			if len(text) >= 3 && text[1] == ':' && text[0] != '.' && text[0] != '*' {
				l.add(UnknownAccess, off, text, "", "item %s has the shape of an access item, but %q is no access class: it is a plain item and grants no request; write \".:%s\" to read or \"*:%s\" to read and write", text, text[:1], text[2:], text[2:])
			}
		}
	}
	l.redundant(valid)
}

// globbed reports whether the last segment of elems has a wildcard: then a
// wildcard after it (*.*, **.**) is a deliberate glob, not one glued to a
// literal segment.
func globbed(elems []grammar.Elem) bool {
	for k := len(elems) - 1; k >= 0 && elems[k].Kind() != grammar.Slash; k-- {
		if elems[k].Kind() == grammar.Stars {
			return true
		}
	}
	return false
}

func isPlain(text string) bool {
	items, errs := parse(text, false)
	return len(errs) == 0 && len(items) == 1 && items[0].Class == Plain
}

// access reports the findings that concern one valid access item alone.
func (l *linter) access(i int, text string, n *grammar.AccessItem) {
	off, pattern := l.spans[i].start, text[2:]
	switch text {
	case "*:**":
		l.add(SuperAdmin, off, text, "", "*:** grants every method on every path (super admin); grant the paths and methods the client needs")
	case ".:**":
		l.add(ReadAll, off, text, "", ".:** reads everything; grant the paths the client reads")
	}
	if strings.HasSuffix(pattern, "/") {
		l.add(TrailingSlash, off, text, l.replace(i, text+"**"), "%s matches only the path with a trailing slash (%s), not what is under it; write %s for the subtree", text, "/"+pattern, text+"**")
	}
	// A wildcard glued to the literal before it, at the end of a segment,
	// also matches the literal followed by more bytes.
	for k, e := range n.Pattern {
		if e.Kind() != grammar.Stars || k == 0 {
			continue
		}
		if prev := n.Pattern[k-1]; prev.Kind() == grammar.Slash || prev.Kind() == grammar.Stars {
			continue
		}
		if k+1 < len(n.Pattern) && n.Pattern[k+1].Kind() != grammar.Slash {
			continue
		}
		if globbed(n.Pattern[:k-1]) {
			continue
		}
		lit := l.src[off+2 : e.Offset()]
		if !isAccessItem("*:" + lit) {
			// The literal alone is no canonical path (".", "..", or an
			// escape run the wildcard must complete, as in "%C3**"):
			// every path the item matches goes past it, so nothing bleeds.
			continue
		}
		bled := lit + "X"
		fix := ""
		if e.Text() == "**" && k+1 == len(n.Pattern) {
			fix = l.replace(i, fmt.Sprintf("%c:%s %c:%s/**", text[0], lit, text[0], lit))
		}
		l.add(PrefixBleed, e.Offset(), text, fix, "%s also matches %s (the wildcard is glued to %q); if only %s and what is under it was meant, write %c:%s %c:%s/**",
			text, "/"+bled, lit[strings.LastIndexByte(lit, '/')+1:], "/"+lit, text[0], lit, text[0], lit)
		break
	}
}

// placeholder reports template parts left unsubstituted: <id>, {id}, :id.
func (l *linter) placeholder(i int, text string) {
	body := text
	switch {
	case len(text) >= 2 && text[1] == ':':
		body = text[2:]
	case len(text) >= 1 && text[0] == ':':
		body = text[1:] // missing-access: the colon is the item's, not a template's
	}
	for _, seg := range strings.Split(body, "/") {
		bad := strings.ContainsAny(seg, "<>{}") || (len(seg) > 1 && seg[0] == ':' && isIdent(seg[1:]))
		if bad {
			at := l.spans[i].start + len(text) - len(body) + strings.Index(body, seg)
			l.add(Placeholder, at, text, "", "segment %q of %s is an unsubstituted template; put the real identifier there", seg, text)
			return
		}
	}
}

func isIdent(s string) bool {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c == '_' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || i > 0 && c >= '0' && c <= '9') {
			return false
		}
	}
	return s != ""
}

// redundant reports each valid access item that the other valid items
// cover, naming a minimal set of them that does, tried from the last item
// to the first as Minimize does; and each item whose question is too
// large to decide (undecided), which is then kept.
func (l *linter) redundant(valid []int) {
	items := make([]Item, len(valid))
	for k, i := range valid {
		items[k] = MustParse(l.text(i)).items[0]
	}
	r, err := newRedundancy(items, DefaultBudget)
	if err != nil {
		if len(valid) > 0 {
			l.add(Undecided, l.spans[valid[0]].start, "", "", "whether items are covered by the others is undecided: %s", undecidedWhy(err))
		}
		return
	}
	keep := make([]bool, len(items))
	for k := range keep {
		keep[k] = true
	}
	// Once the pass has spent its steps, the items left are reported
	// once, at the first of them (the last in the scope).
	unasked, unaskedAt, unaskedErr := 0, -1, error(nil)
	defer func() {
		if unasked > 0 {
			i := valid[unaskedAt]
			l.add(Undecided, l.spans[i].start, l.text(i), "", "whether item %s and %d more before it are covered by the others is undecided: %s; they are kept", l.text(i), unasked-1, undecidedWhy(unaskedErr))
		}
	}()
	for k := len(valid) - 1; k >= 0; k-- {
		if items[k].Class == Plain {
			continue
		}
		i := valid[k]
		covered, err := r.covered(k, keep)
		var be *BudgetError
		switch {
		case errors.As(err, &be) && be.Pass:
			if unasked++; unaskedAt < 0 {
				unaskedAt, unaskedErr = k, err
			}
			continue
		case err != nil:
			l.add(Undecided, l.spans[i].start, l.text(i), "", "whether item %s is covered by the others is undecided: %s; the item is kept", l.text(i), undecidedWhy(err))
			continue
		}
		if !covered {
			continue
		}
		cover := r.cover(k, keep)
		names := make([]string, len(cover))
		for c, j := range cover {
			names[c] = l.text(valid[j])
		}
		l.add(Redundant, l.spans[i].start, l.text(i), l.replace(i, ""), "item %s is covered by %s and adds nothing; remove it", l.text(i), strings.Join(names, " "))
		keep[k] = false
	}
}

// undecidedWhy says which bound of the budget a question reached.
func undecidedWhy(err error) string {
	var be *BudgetError
	switch {
	case errors.As(err, &be) && be.Pass:
		return fmt.Sprintf("lint's questions need more than %d %s of work in all (scope.Budget)", be.Limit, be.Bound)
	case be != nil:
		return fmt.Sprintf("the question needs more than %d %s of work (scope.Budget)", be.Limit, be.Bound)
	}
	return err.Error()
}

// codeHelp is a sentence on each code: what it means and what to do.
var codeHelp = map[Code]string{
	BadByte:       "A scope may hold only visible ASCII except '\"' and '\\'; remove or replace the byte.",
	MissingColon:  "An access item is \".:PATTERN\" (read) or \"*:PATTERN\" (read and write); the \":\" after the access class is missing.",
	MissingAccess: "An item that begins with \":\" lacks its access class: write \".\" (read) or \"*\" (read and write) before it.",
	EmptyPattern:  "An access item needs a path pattern after \":\".",
	LeadingSlash:  "Patterns are relative to the customer root and have no leading \"/\".",
	EmptySegment:  "No canonical request path has \"//\", so the pattern can never match.",
	DotSegment:    "No canonical request path has a \".\" or \"..\" segment, so the pattern can never match.",
	BadChar:       "No canonical request path has ';', '?' or '#', so the pattern can never match.",
	BadEscape:     "A '%' must begin an escape of two hex digits that canonical paths allow and that decodes to valid UTF-8.",
	StarRun:       "\"*\" matches within a segment and \"**\" across segments; three or more '*' mean nothing.",
	Internal:      "The parser failed; the scope grants nothing. Report it as a defect.",
	SuperAdmin:    "*:** grants every method on every path; grant only the paths and methods the client needs.",
	ReadAll:       ".:** reads every path; grant only the paths the client reads.",
	PrefixBleed:   "A wildcard glued to a literal also matches the literal followed by more bytes (tokenPolicies** matches tokenPoliciesX); write P P/** for P and what is under it.",
	TrailingSlash: "A pattern ending in \"/\" matches only the path with the trailing slash; write \"/**\" for the subtree.",
	Placeholder:   "A template segment such as <id>, {id} or :id was left in; put the real identifier there.",
	Duplicate:     "The item repeats an earlier one verbatim; remove it.",
	Redundant:     "Other items of the scope already allow everything this item allows; remove it.",
	UnknownAccess: "X:path with X other than '.' and '*' is a plain item that grants no request; write .:path or *:path if an access item was meant.",
	Whitespace:    "Items are separated by one space, with none before the first or after the last.",
	Empty:         "A scope with no items grants nothing.",
	Undecided:     "Whether the item is covered by the others needs more work than scope.DefaultBudget allows, so it was not decided, and no redundant finding is made for it; simplify its wildcards, or decide with a larger scope.Budget.",
}

// Describe is a sentence on what a code means and what to do about it, or
// "" for a code it does not know.
func Describe(c Code) string { return codeHelp[c] }
