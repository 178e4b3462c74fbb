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
	// TooLarge: the scope exceeds a bound of Lint, or a containment
	// question about it is too large to decide; it is not reported clean.
	TooLarge Code = "too-large"
	// Undecided: whether an item is covered by the others needs more
	// work than the budget allows; it is kept and not reported redundant.
	// Or the proofs of findings' fixes or examples were undecided, and
	// they are not given.
	Undecided Code = "undecided"
)

// LintCodes lists the lint codes with their severities.
var LintCodes = map[Code]Severity{
	SuperAdmin: SeverityWarning, ReadAll: SeverityInfo, PrefixBleed: SeverityWarning, TrailingSlash: SeverityWarning,
	Placeholder: SeverityError, Duplicate: SeverityWarning, Redundant: SeverityWarning, UnknownAccess: SeverityWarning,
	Whitespace: SeverityInfo, Empty: SeverityWarning, TooLarge: SeverityError,
	Undecided: SeverityWarning,
}

// The bounds of Lint, so that its time, memory and output grow linearly
// with the scope string it is given. A scope past one of the first three
// gets a single TooLarge finding and nothing else.
const (
	// MaxLintBytes bounds the length of a scope string.
	MaxLintBytes = 128 << 10
	// MaxLintItems bounds its items.
	MaxLintItems = 2048
	// MaxLintItemBytes bounds the length of one item.
	MaxLintItemBytes = 4 << 10
	// MaxLintFindings bounds the findings listed; one TooLarge finding
	// counts the rest.
	MaxLintFindings = 1000
	// MaxSuggestionBytes bounds a Finding's Suggestion: a rewritten scope
	// longer than this is given only as its Fix.
	MaxSuggestionBytes = 1 << 10
)

// Edit is a change to a scope string: the bytes from Offset to End
// replaced by Text.
type Edit struct {
	Offset int    `json:"offset"`
	End    int    `json:"end"`
	Text   string `json:"text"`
}

// Apply returns s with the edit made. It panics if the edit's range is
// not within s, as slicing does.
func (e Edit) Apply(s string) string { return s[:e.Offset] + e.Text + s[e.End:] }

// Finding is one thing a reviewer should look at in a scope string.
type Finding struct {
	Code     Code
	Severity Severity
	Offset   int // byte offset in the scope string
	Column   int // Offset+1
	Item     string
	Message  string
	// Fix, when not nil, is the edit of the scope string that fixes this
	// finding alone. The scope it makes always parses, and Relation says
	// how what it allows compares with what the scope allows, as Covers
	// proved before the finding was made: equal for duplicate, redundant
	// and whitespace; narrower (or equal, when other items allow the same)
	// for prefix-bleed; wider (or equal) for trailing-slash; a repair for a
	// parse error. A fix that fails its proof, or whose proof is
	// undecided, is not offered.
	Fix *Edit
	// Suggestion is the whole scope string with Fix made, when Fix is set
	// and that string is at most MaxSuggestionBytes long; a longer one is
	// Fix.Apply(scope), left to the caller, so that findings on a long
	// scope do not each hold a copy of it.
	Suggestion string
	Relation   Relation
	// Examples are the requests the message names, each with whether the
	// item (or its rewrite) allows it.
	Examples []Example
}

// Lint reports every parse error in s (severity Error) and every finding
// of the lint codes, sorted by offset. It never panics; a scope that does
// not parse is linted as far as its valid items allow. A scope longer than
// MaxLintBytes, with more than MaxLintItems items or an item longer than
// MaxLintItemBytes gets one TooLarge finding instead, and at most
// MaxLintFindings findings are listed, with a TooLarge finding that
// counts the rest.
//
// Every containment question Lint asks — whether the scope grants
// everything, whether an item is redundant, and the proof of each fix
// and example — is charged to one budget: together they spend at most 16
// times DefaultBudget, in steps and in bytes held, added up question by
// question (64,000,000 steps and 128 MiB by default, under a second on
// the project's machine), and each at most DefaultBudget. A question the
// budget cannot pay for is undecided: a finding whose fix or example is
// undecided is still reported, without it, and says so, and one
// Undecided finding counts them.
func Lint(s string) []Finding {
	out, _ := lint(s)
	return out
}

// lint is Lint, and the pass its questions were charged to.
func lint(s string) ([]Finding, *pass) {
	work := newPass(DefaultBudget)
	if f, ok := oversized(s); ok {
		return []Finding{f}, work
	}
	tree := grammar.Scan(s)
	_, errs := parse(s, true)
	l := linter{src: s, damaged: len(errs) > 0, work: work}
	if !l.damaged {
		l.set = MustParse(s)
		l.canon = l.set.String()
	}
	for _, node := range tree.Items {
		l.spans = append(l.spans, span{node.Start().Offset, node.End().Offset})
	}
	for _, e := range errs {
		// A parse error's fix is offered only if it fixes the whole scope.
		f := Finding{Code: e.Code, Severity: SeverityError, Offset: e.Offset, Column: e.Column, Item: e.Item, Message: e.Message}
		if i := l.itemAt(e.Offset); e.Suggestion != "" && i >= 0 {
			if fix := l.replace(i, e.Suggestion); isValid(fix.Apply(s)) {
				f.Fix, f.Suggestion, f.Relation = &fix, shown(fix.Apply(s)), Repair
			}
		}
		l.out = append(l.out, f)
	}
	l.whitespace()
	l.items(tree)
	l.undecidedProofs()
	sort.SliceStable(l.out, func(i, j int) bool { return l.out[i].Offset < l.out[j].Offset })
	if len(l.out) > MaxLintFindings {
		rest := l.out[MaxLintFindings:]
		l.out = append(l.out[:MaxLintFindings:MaxLintFindings], Finding{Code: TooLarge, Severity: SeverityError,
			Offset: rest[0].Offset, Column: rest[0].Offset + 1,
			Message: fmt.Sprintf("%d more findings in this scope are not listed (at most %d are); fix these and lint it again", len(rest), MaxLintFindings)})
	}
	return l.out, work
}

// oversized is the TooLarge finding of a scope past Lint's bounds.
func oversized(s string) (Finding, bool) {
	tooLarge := func(off int, format string, args ...any) (Finding, bool) {
		return Finding{Code: TooLarge, Severity: SeverityError, Offset: off, Column: off + 1,
			Message: fmt.Sprintf(format, args...) + "; it is not linted"}, true
	}
	if len(s) > MaxLintBytes {
		return tooLarge(0, "the scope is %d bytes long, more than the %d that lint reads", len(s), MaxLintBytes)
	}
	n := 0
	for off := 0; off < len(s); {
		if s[off] == ' ' {
			off++
			continue
		}
		end := off + 1
		for end < len(s) && s[end] != ' ' {
			end++
		}
		if n++; n > MaxLintItems {
			return tooLarge(off, "the scope has more than %d items", MaxLintItems)
		}
		if end-off > MaxLintItemBytes {
			return tooLarge(off, "an item is %d bytes long, more than the %d that lint reads", end-off, MaxLintItemBytes)
		}
		off = end
	}
	return Finding{}, false
}

// shown is a suggested scope, or "" when it is longer than
// MaxSuggestionBytes.
func shown(sugg string) string {
	if len(sugg) > MaxSuggestionBytes {
		return ""
	}
	return sugg
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
	damaged bool   // the scope has parse errors: no suggestion can fix it alone
	set     Set    // the scope, when it is not damaged
	canon   string // its canonical text
	out     []Finding
	// work is the one budget of all the containment questions.
	work *pass
	// unproven counts the findings whose fix or example was not given
	// because its question was undecided; the first is at unprovenAt.
	unproven    int
	unprovenAt  Finding
	unprovenWhy error
}

// add reports a finding, offering its fix only when prove holds. A zero
// fix is none.
func (l *linter) add(code Code, off int, item string, fix Edit, format string, args ...any) {
	f := Finding{Code: code, Severity: LintCodes[code], Offset: off, Column: off + 1, Item: item, Message: fmt.Sprintf(format, args...)}
	var err error
	f.Fix, f.Suggestion, f.Relation, err = l.prove(code, fix)
	l.unprovenFix(&f, err)
	l.out = append(l.out, f)
}

// unprovenFix notes in f that its fix is not offered because its proof is
// undecided (err), and counts it.
func (l *linter) unprovenFix(f *Finding, err error) {
	if err == nil {
		return
	}
	f.Message += fmt.Sprintf("; no fix is offered: proving it is undecided (%s)", undecidedWhy(err))
	l.noteUnproven(*f, err)
}

func (l *linter) noteUnproven(f Finding, err error) {
	if l.unproven++; l.unproven == 1 {
		l.unprovenAt, l.unprovenWhy = f, err
	}
}

// undecidedProofs reports, in one Undecided finding, the findings whose
// fix or example was not given because its question was undecided.
func (l *linter) undecidedProofs() {
	if l.unproven == 0 {
		return
	}
	f := l.unprovenAt
	which := fmt.Sprintf("%d findings, the first %s at column %d, are", l.unproven, f.Code, f.Offset+1)
	if l.unproven == 1 {
		which = fmt.Sprintf("1 finding, %s at column %d, is", f.Code, f.Offset+1)
	}
	l.addProven(Finding{Code: Undecided, Offset: f.Offset, Item: f.Item,
		Message: fmt.Sprintf("%s reported without the fix or example it would have: proving it was undecided (%s)",
			which, undecidedWhy(l.unprovenWhy))})
}

// addProven reports a finding whose suggestion, if any, is proven already.
func (l *linter) addProven(f Finding) {
	f.Severity, f.Column = LintCodes[f.Code], f.Offset+1
	l.out = append(l.out, f)
}

// text is the item at index i as written.
func (l *linter) text(i int) string { return l.src[l.spans[i].start:l.spans[i].end] }

// replace is the edit that replaces the item at index i by with, or,
// when with is empty, drops it with the blanks before it (after it, for
// the first item).
func (l *linter) replace(i int, with string) Edit {
	sp := l.spans[i]
	switch {
	case with != "":
		return Edit{sp.start, sp.end, with}
	case i > 0:
		return Edit{l.spans[i-1].end, sp.end, ""}
	case len(l.spans) > 1:
		return Edit{sp.start, l.spans[1].start, ""}
	}
	return Edit{sp.start, sp.end, ""}
}

func (l *linter) whitespace() {
	if len(l.spans) == 0 {
		l.add(Empty, 0, "", Edit{}, "the scope has no items and grants nothing; a token needs at least one item")
		if l.src != "" {
			l.add(Whitespace, 0, "", Edit{}, "the scope is only spaces")
		}
		return
	}
	if first := l.spans[0].start; first > 0 {
		l.add(Whitespace, 0, "", Edit{0, first, ""}, "the scope begins with %d space(s); items are separated by one space, with none before or after", first)
	}
	for i := 1; i < len(l.spans); i++ {
		if gap := l.spans[i].start - l.spans[i-1].end; gap > 1 {
			l.add(Whitespace, l.spans[i-1].end, "", Edit{l.spans[i-1].end, l.spans[i].start, " "}, "%d spaces between items; write one", gap)
		}
	}
	if last := l.spans[len(l.spans)-1].end; last < len(l.src) {
		l.add(Whitespace, last, "", Edit{last, len(l.src), ""}, "the scope ends with %d space(s); items are separated by one space, with none before or after", len(l.src)-last)
	}
}

func (l *linter) items(tree *grammar.Scope) {
	seen := map[string]int{}
	var valid []int // indexes of valid items, first copies only
	// The findings of valid access items alone are made after breadth's,
	// whose questions decide whether the scope is reported clean and so
	// come first in the budget that the proofs of fixes share.
	var access []int
	for i, node := range tree.Items {
		text, off := l.text(i), l.spans[i].start
		if j, dup := seen[text]; dup {
			l.add(Duplicate, off, text, l.replace(i, ""), "item %s repeats item %d (column %d) and adds nothing; remove it", brief(text), j+1, l.spans[j].start+1)
			continue
		}
		seen[text] = i
		l.placeholder(i, text)
		switch node.(type) {
		case *grammar.AccessItem:
			if !isAccessItem(text) {
				continue // parse errors are reported already
			}
			valid = append(valid, i)
			access = append(access, i)
		case *grammar.PlainItem:
			if isPlain(text) {
				valid = append(valid, i)
			}
			if len(text) >= 3 && text[1] == ':' && text[0] != '.' && text[0] != '*' {
				// No rewrite is offered: any access item grants more than
				// this plain item, which grants nothing.
				l.add(UnknownAccess, off, text, Edit{}, "item %s has the shape of an access item, but %q is no access class: it is a plain item and grants no request; an access item's class is \".\" (read) or \"*\" (read and write)",
					brief(text), text[:1])
			}
		}
	}
	l.breadth(valid)
	for _, i := range access {
		l.access(i, l.text(i), tree.Items[i].(*grammar.AccessItem))
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
	if strings.HasSuffix(text, "/") {
		l.trailingSlash(i, text)
	}
	l.prefixBleed(i, text, n)
}

// trailingSlash reports an item whose pattern ends in "/": it matches only
// paths that end there. The suggestion adds the subtree, so it is wider;
// the message names a path the item matches and one under it that only
// the suggestion does, both witnesses of Covers.
func (l *linter) trailingSlash(i int, text string) {
	off, wide := l.spans[i].start, text+"**"
	item := MustParse(text)
	subtree, err := Parse(wide)
	in, okIn, why := l.differ(item, Set{})
	var under Witness
	okUnder := false
	if why == nil && err == nil {
		under, okUnder, why = l.differ(subtree, item)
	}
	if err != nil || !okIn || !okUnder {
		// No claim about paths is made, and no fix is offered.
		l.add(TrailingSlash, off, text, Edit{}, "%s matches only paths that end in \"/\", not what is under them", brief(text))
		if why != nil {
			f := &l.out[len(l.out)-1]
			f.Message += fmt.Sprintf("; no example or fix is given: proving them is undecided (%s)", undecidedWhy(why))
			l.noteUnproven(*f, why)
		}
		return
	}
	f := Finding{Code: TrailingSlash, Offset: off, Item: text, Examples: []Example{
		{Scope: text, Method: in.Method, Path: in.Path, Allowed: true},
		{Scope: text, Method: under.Method, Path: under.Path, Allowed: false},
		{Scope: wide, Method: under.Method, Path: under.Path, Allowed: true},
	}}
	if strings.IndexByte(text[2:], '*') < 0 {
		f.Message = fmt.Sprintf("%s matches only %s, not what is under it (such as %s)", brief(text), brief(in.Path), brief(under.Path))
	} else {
		f.Message = fmt.Sprintf("%s matches only paths that end in \"/\" (such as %s), not what is under them (such as %s)", brief(text), brief(in.Path), brief(under.Path))
	}
	if f.Fix, f.Suggestion, f.Relation, err = l.prove(TrailingSlash, l.replace(i, wide)); f.Fix != nil {
		f.Message += fmt.Sprintf("; write %s for the subtree, which grants more", brief(wide))
	}
	l.unprovenFix(&f, err)
	l.addProven(f)
}

// prefixBleed reports a wildcard glued to the literal that starts its
// segment, at the end of the segment (client*, tokenPolicies**,
// client*/secret): it also matches the literal followed by more bytes.
// The rewrite that keeps the literal a whole segment is the item with
// the wildcard's bleeding part cut off: for "*", L·rest; for "**",
// L·rest and L/**·rest (the "**" either empty or crossing a "/" right
// after L). The example of a bled path is a witness that the item allows
// and the rewrite denies, and the rewrite is offered only when Covers
// proves it narrower than the item and the whole rewritten scope
// narrower than (or equal to) the scope.
func (l *linter) prefixBleed(i int, text string, n *grammar.AccessItem) {
	off, end := l.spans[i].start, l.spans[i].end
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
		rest, class := l.src[e.Offset()+len(e.Text()):end], text[:2]
		whole := class + lit + rest
		if e.Text() == "**" {
			whole += " " + class + lit + "/**" + rest
		}
		item := MustParse(text)
		cut, err := Parse(whole)
		if err != nil {
			continue
		}
		seg := lit[strings.LastIndexByte(lit, '/')+1:]
		bled, ok, why := l.differ(item, cut)
		if why != nil {
			// The wildcard is glued all the same; only the example path
			// and the fix, which need the question, are not given.
			f := Finding{Code: PrefixBleed, Offset: e.Offset(), Item: text,
				Message: fmt.Sprintf("the wildcard of %s is glued to %s and extends that segment; no example or fix is given: proving them is undecided (%s)", brief(text), briefq(seg), undecidedWhy(why))}
			l.noteUnproven(f, why)
			l.addProven(f)
			return
		}
		if !ok {
			continue // nothing bleeds: no claim
		}
		f := Finding{Code: PrefixBleed, Offset: e.Offset(), Item: text, Examples: []Example{
			{Scope: text, Method: bled.Method, Path: bled.Path, Allowed: true},
			{Scope: whole, Method: bled.Method, Path: bled.Path, Allowed: false},
		}}
		f.Message = fmt.Sprintf("%s also matches %s: the wildcard is glued to %s and extends that segment", brief(text), brief(bled.Path), briefq(seg))
		narrower, w := l.work.covers(item, cut)
		err = w.Err
		if narrower {
			if f.Fix, f.Suggestion, f.Relation, err = l.prove(PrefixBleed, l.replace(i, whole)); f.Fix != nil {
				f.Message += fmt.Sprintf("; to match %s only as a whole segment, write %s", briefq(seg), brief(whole))
			}
		}
		l.unprovenFix(&f, err)
		l.addProven(f)
		return
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
			l.add(Placeholder, at, text, Edit{}, "segment %s of %s is an unsubstituted template; put the real identifier there", briefq(seg), brief(text))
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
	r, err := newRedundancy(items, l.work)
	if err != nil {
		if len(valid) > 0 {
			l.add(Undecided, l.spans[valid[0]].start, "", Edit{}, "whether items are covered by the others is undecided: %s", undecidedWhy(err))
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
			l.add(Undecided, l.spans[i].start, l.text(i), Edit{}, "whether item %s and %d more before it are covered by the others is undecided: %s; they are kept", l.text(i), unasked-1, undecidedWhy(unaskedErr))
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
			l.add(Undecided, l.spans[i].start, l.text(i), Edit{}, "whether item %s is covered by the others is undecided: %s; the item is kept", l.text(i), undecidedWhy(err))
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
	SuperAdmin:    "The scope grants every method on every path, as *:** does (its items may do so only together, as *:* *:*/** do); grant only the paths and methods the client needs.",
	ReadAll:       "The scope reads every path, as .:** does (its items may do so only together); grant only the paths the client reads.",
	PrefixBleed:   "A wildcard glued to a literal also matches the literal followed by more bytes (tokenPolicies** matches tokenPoliciesX); to keep the literal a whole segment, write P for P*, or P P/** for P and what is under it.",
	TrailingSlash: "A pattern ending in \"/\" matches only the path with the trailing slash; write \"/**\" for the subtree.",
	Placeholder:   "A template segment such as <id>, {id} or :id was left in; put the real identifier there.",
	Duplicate:     "The item repeats an earlier one verbatim; remove it.",
	Redundant:     "Other items of the scope already allow everything this item allows; remove it.",
	UnknownAccess: "X:path with X other than '.' and '*' is a plain item that grants no request; write .:path or *:path if an access item was meant.",
	Whitespace:    "Items are separated by one space, with none before the first or after the last.",
	Empty:         "A scope with no items grants nothing.",
	TooLarge:      "The scope (or input) exceeds a bound of lint (bytes, items, findings), or a containment question about it is too large to decide; what was not linted is not reported clean. Split or simplify it.",
	Undecided:     "Whether the item is covered by the others, or a finding's fix or example holds, needs more work than lint's budget allows (scope.DefaultBudget a question, 16 times it in all), so it was not decided: no redundant finding is made for the item, and the fix or example is not given; simplify the wildcards, or decide with a larger scope.Budget.",
}

// Describe is a sentence on what a code means and what to do about it, or
// "" for a code it does not know.
func Describe(c Code) string { return codeHelp[c] }
