package main

import (
	"encoding/json"
	"fmt"
	"io"
	"sort"
	"strings"

	"github.com/scopecheck/scopecheck/internal/scopefile"
	"github.com/scopecheck/scopecheck/match"
	"github.com/scopecheck/scopecheck/scope"
)

const lintSynopsis = `usage: scopecheck lint [--format text|json|sarif] [--fail-on error|warning|info] [--api FILE] [--scope SCOPE] [INPUT...]

Reports every parse error and every review finding of the scopes given by
--scope and in each INPUT (a file, or - for stdin). --scope is the scope
string as written. An input is recognised by its content: a token policy
(JSON with allowedScopes) or an array of them, a token endpoint answer
(access_token, scope; an access token that is a JWT is read too), an
introspection answer (active, scope), or plain text with one scope per
line ('#' begins a comment), where a line that is a JWT, alone or in a
"Bearer" header, is read as the token (its scope and scp claims; the
signature is NOT verified, and a finding says so). A scope is always
linted as written: one that looks pasted (shell quotes, a form field
scope=..., URL-encoding, a Bearer header, a command line) and holds no
access item gets a pasted-form warning that shows what it probably
meant. Positions are the input's own lines and columns, counted from 1
(in bytes; SARIF counts UTF-16 code units).

Each input is read and reported on its own: one that cannot be read or is
malformed is an error finding at the position where it goes wrong (in
SARIF also a tool execution notification), and the others are linted.
An input is read up to 16 MiB, 10000 scopes and 1000 findings, a scope
up to 128 KiB, 2048 items of up to 4 KiB and 1000 findings; past a bound, a
too-large finding says what was not linted.

With --api FILE, an OpenAPI 3 description, an access item that grants no
operation of the API is reported too (no-operation; see "scopecheck help
explain" for how path templates are matched).

Text output is "file:line:col: severity: message [code]", sorted by
position, with the fix on the next line where one exists: the whole
scope rewritten (or, for a long scope, the edit), and how it compares
with the scope (equal, narrower, wider, repair). --format json prints
{"findings": [...]}; --format sarif prints SARIF 2.1.0 for code
scanning, always a whole log, with each fix as a SARIF fix.

Exit status, decided when every input has been reported: 2 when the usage
is wrong or some of an input (or the --api file) could not be read or
linted (unreadable, malformed, unknown-form, too-large), else 1 when a
finding reaches --fail-on (default error), else 0.`

// noOperation is the finding of this command beside scope.Lint's and
// scopefile's: an access item that grants no operation of the API given
// with --api.
const noOperation scope.Code = "no-operation"

// lintFinding is one finding with its place in an input.
type lintFinding struct {
	File   string `json:"file"`
	Line   int    `json:"line"`
	Column int    `json:"column"`
	// Offset is the byte offset in the input, as Line and Column are.
	Offset int `json:"offset"`
	// Where names the scope a finding is about (a JSON Pointer, "line
	// 3"), and ScopeOffset is the byte offset in that scope string.
	Where       string `json:"where,omitempty"`
	ScopeOffset *int   `json:"scopeOffset,omitempty"`
	Item        string `json:"item"`
	Code        string `json:"code"`
	Severity    string `json:"severity"`
	Message     string `json:"message"`
	// Suggestion is the whole scope with Fix made, when it is short
	// enough to print (scope.MaxSuggestionBytes).
	Suggestion string `json:"suggestion"`
	// Fix is the edit of the scope string, in its byte offsets.
	Fix *scope.Edit `json:"fix,omitempty"`
	// Relation says how what the fixed scope allows compares with what
	// the scope allows: equal, narrower, wider or repair.
	Relation string          `json:"relation,omitempty"`
	Examples []scope.Example `json:"examples,omitempty"`
	rank     scope.Severity
	order    int
	utf16    int // the column in UTF-16 code units, for SARIF
	// change is the fix as an edit of the input, when the scope's bytes
	// it replaces stand in the input as they are.
	change *inputEdit
	// incomplete marks a finding that some of an input could not be read
	// or linted: SARIF reports it as a tool execution notification too,
	// and it makes the exit status 2.
	incomplete bool
}

// inputEdit is a fix as an edit of the input file: the text from start to
// end (positions, the end exclusive) replaced by text.
type inputEdit struct {
	start, end scopefile.Pos
	text       string
}

var severities = map[string]scope.Severity{"info": scope.SeverityInfo, "warning": scope.SeverityWarning, "error": scope.SeverityError}

func runLint(args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	fs := newFlags("lint", lintSynopsis, stderr)
	format := fs.String("format", "text", "output format: text, json or sarif")
	failOn := fs.String("fail-on", "error", "lowest severity that makes the exit status 1: error, warning or info")
	scopeText := fs.String("scope", "", "a scope string to lint")
	api := fs.String("api", "", "an OpenAPI 3 description: report items that grant none of its operations")
	inputs, code, flagErr, ok := parseFormatFlags(fs, args)
	u := usageReport{command: "lint", format: format, sarif: true, stdout: stdout, stderr: stderr}
	if !ok {
		return u.flagError(args, code, flagErr)
	}
	usage := u.errorf
	threshold, okSev := severities[*failOn]
	switch {
	case *format != "text" && *format != "json" && *format != "sarif":
		bad := *format
		*format = "text"
		return usage("--format must be text, json or sarif, not %q", bad)
	case !okSev:
		return usage("--fail-on must be error, warning or info, not %q", *failOn)
	case !isSet(fs, "scope") && len(inputs) == 0:
		return usage("give --scope or at least one INPUT")
	}
	srcs, err := readSources(*scopeText, isSet(fs, "scope"), inputs, stdin)
	if err != nil {
		return usage("%v", err)
	}
	var all []lintFinding
	var ops []operation
	if *api != "" {
		if ops, err = loadOperations(*api); err != nil {
			all = append(all, lintFinding{File: *api, Line: 1, Column: 1, utf16: 1, Code: string(scopefile.Unreadable), Severity: "error",
				Message: fmt.Sprintf("the API description cannot be used, so no-operation is not reported: %v", err), rank: scope.SeverityError, incomplete: true})
		}
	}
	for fi, src := range srcs {
		all = append(all, lintSource(src, fi, ops)...)
	}
	sort.SliceStable(all, func(i, j int) bool {
		a, b := all[i], all[j]
		if a.order != b.order {
			return a.order < b.order
		}
		if a.Line != b.Line {
			return a.Line < b.Line
		}
		return a.Column < b.Column
	})
	switch *format {
	case "json":
		if all == nil {
			all = []lintFinding{}
		}
		b, _ := json.MarshalIndent(struct {
			Findings []lintFinding `json:"findings"`
		}{all}, "", "  ")
		fmt.Fprintf(stdout, "%s\n", b)
	case "sarif":
		if err := writeSARIF(stdout, all, nil); err != nil {
			fmt.Fprintf(stderr, "scopecheck lint: %v\n", err)
			return exitUsage
		}
	default:
		for _, f := range all {
			fmt.Fprintf(stdout, "%s:%d:%d: %s: %s [%s]\n", f.File, f.Line, f.Column, f.Severity, f.Message, f.Code)
			if fix := f.fixText(); fix != "" {
				fmt.Fprintf(stdout, "\t%s\n", fix)
			}
		}
	}
	status := exitYes
	for _, f := range all {
		switch {
		case f.incomplete:
			return exitUsage
		case f.rank >= threshold:
			status = exitNo
		}
	}
	return status
}

// fixText is the fix of a finding as text output prints it: the whole
// scope rewritten, or, for a long scope, the edit.
func (f lintFinding) fixText() string {
	switch {
	case f.Suggestion != "":
		return fmt.Sprintf("suggestion (%s): %s", f.Relation, spaced(f.Suggestion))
	case f.Fix == nil:
		return ""
	case f.Fix.Text == "":
		return fmt.Sprintf("fix (%s): remove bytes %d to %d of the scope", f.Relation, f.Fix.Offset, f.Fix.End)
	}
	return fmt.Sprintf("fix (%s): replace bytes %d to %d of the scope by %q", f.Relation, f.Fix.Offset, f.Fix.End, f.Fix.Text)
}

// spaced is a suggested scope for text output: quoted when its blanks
// would not show (before or after it, or more than one between items).
func spaced(s string) string {
	if strings.Join(strings.Fields(s), " ") != s {
		return fmt.Sprintf("%q", s)
	}
	return s
}

// collector gathers the findings of one source, up to
// scopefile.MaxFindings; past it, one too-large finding says that the
// rest of the input is not linted.
type collector struct {
	src   source
	order int
	out   []lintFinding
	full  bool
}

func (c *collector) add(f lintFinding) {
	if c.full {
		return
	}
	f.File, f.order = c.src.name, c.order
	if len(c.out) == scopefile.MaxFindings {
		f = lintFinding{File: f.File, order: f.order, Line: f.Line, Column: f.Column, utf16: f.utf16, Offset: f.Offset,
			Code: string(scope.TooLarge), Severity: "error", rank: scope.SeverityError,
			Message: fmt.Sprintf("more than %d findings in this input; the rest of it is not linted", scopefile.MaxFindings)}
		c.full = true
	}
	f.incomplete = f.incomplete || scopefile.Incomplete(scope.Code(f.Code))
	c.out = append(c.out, f)
}

// lintSource reads one source's findings: those about the input, then
// those of each scope in it (scope.Lint's, and no-operation with ops), and
// those of each token policy's scopes taken together.
func lintSource(src source, order int, ops []operation) []lintFinding {
	c := &collector{src: src, order: order}
	if f := src.failed; f != nil {
		c.add(lintFinding{Line: f.Pos.Line, Column: f.Pos.Column, utf16: f.Pos.UTF16Column, Offset: f.Offset,
			Code: string(f.Code), Severity: f.Severity.String(), Message: f.Message, rank: f.Severity, incomplete: true})
		return c.out
	}
	for _, f := range src.in.Findings {
		c.add(lintFinding{Line: f.Pos.Line, Column: f.Pos.Column, utf16: f.Pos.UTF16Column, Offset: f.Offset,
			Code: string(f.Code), Severity: f.Severity.String(), Message: f.Message, rank: f.Severity})
	}
	breadth := map[int]scope.Code{} // per group, the widest any of its scopes is reported
	for _, sc := range src.in.Scopes {
		if c.full {
			break
		}
		for _, f := range scope.Lint(sc.Text) {
			f = checkExamples(f)
			c.add(scopeFinding(sc, f))
			if f.Code == scope.SuperAdmin || f.Code == scope.ReadAll && breadth[sc.Group] == "" {
				breadth[sc.Group] = f.Code
			}
		}
		if ops != nil {
			for _, it := range idleItems(sc.Text, ops) {
				c.add(scopeFinding(sc, scope.Finding{Code: noOperation, Severity: scope.SeverityWarning, Offset: it.off, Item: it.text,
					Message: fmt.Sprintf("item %s grants none of the API's %d operations; remove it or fix its path", it.text, len(ops))}))
			}
		}
	}
	if !c.full {
		groupBreadth(c, src.in.Scopes, breadth)
	}
	return c.out
}

// scopeFinding places a finding of scope.Lint in the input.
func scopeFinding(sc scopefile.Scope, f scope.Finding) lintFinding {
	p := sc.At(f.Offset)
	off := f.Offset
	lf := lintFinding{Line: p.Line, Column: p.Column, utf16: p.UTF16Column, Offset: sc.Offset(f.Offset), Where: sc.Where, ScopeOffset: &off,
		Item: f.Item, Code: string(f.Code), Severity: f.Severity.String(), Message: f.Message, Suggestion: f.Suggestion, Fix: f.Fix,
		Relation: f.Relation.String(), Examples: f.Examples, rank: f.Severity}
	if f.Fix != nil && sc.Linear(f.Fix.Offset, f.Fix.End) {
		lf.change = &inputEdit{start: sc.At(f.Fix.Offset), end: sc.At(f.Fix.End), text: f.Fix.Text}
	}
	return lf
}

// maxUnionItems bounds the distinct access items of a token policy's
// scopes taken together that groupBreadth judges; a larger union is a too-large
// finding, not a clean one.
const maxUnionItems = 4 * scope.MaxLintItems

// groupBreadth reports a token policy whose scopes together grant every
// request (super-admin) or every read (read-all) when none of them alone
// was reported so: a token may be granted the union of a policy's
// allowedScopes. The finding is at the policy's first scope.
func groupBreadth(c *collector, scopes []scopefile.Scope, reported map[int]scope.Code) {
	groups := map[int][]int{}
	var order []int
	for i, sc := range scopes {
		if len(groups[sc.Group]) == 0 {
			order = append(order, sc.Group)
		}
		groups[sc.Group] = append(groups[sc.Group], i)
	}
	for _, g := range order {
		members := groups[g]
		if len(members) < 2 || reported[g] == scope.SuperAdmin {
			continue
		}
		// The distinct valid access items of the policy: plain items and
		// damaged ones grant nothing.
		var items []string
		seen := map[string]bool{}
		for _, i := range members {
			for _, f := range strings.Split(scopes[i].Text, " ") {
				if set, err := scope.Parse(f); err == nil && set.Len() == 1 && set.Item(0).Class != scope.Plain && !seen[f] {
					seen[f] = true
					items = append(items, f)
				}
			}
		}
		first := scopes[members[0]]
		at := func(f lintFinding) lintFinding {
			p := first.At(0)
			f.Line, f.Column, f.utf16, f.Offset, f.Where = p.Line, p.Column, p.UTF16Column, first.Offset(0), first.Where
			return f
		}
		if len(items) > maxUnionItems {
			c.add(at(lintFinding{Code: string(scope.TooLarge), Severity: "error", rank: scope.SeverityError,
				Message: fmt.Sprintf("the policy's scopes together have %d access items, more than the %d whose union lint judges; it is not reported clean", len(items), maxUnionItems)}))
			continue
		}
		union, _ := scope.Parse(strings.Join(items, " ")) // each item parses
		code, err := scope.Breadth(union)
		if err != nil {
			c.add(at(lintFinding{Code: string(scope.TooLarge), Severity: "error", rank: scope.SeverityError,
				Message: fmt.Sprintf("whether the policy's scopes together grant every request is undecided (%v); it is not reported clean", err)}))
			continue
		}
		if code == "" || code == reported[g] {
			continue
		}
		var names []string
		for n, i := range members {
			if n == 3 {
				names = append(names, fmt.Sprintf("and %d more", len(members)-3))
				break
			}
			names = append(names, scopes[i].Where)
		}
		msg := "the policy's scopes %s together grant every method on every path, as *:** does (super admin), and a token may be granted their union; grant the paths and methods the client needs"
		if code == scope.ReadAll {
			msg = "the policy's scopes %s together read every path, as .:** does, and a token may be granted their union; grant the paths the client reads"
		}
		c.add(at(lintFinding{Code: string(code), Severity: scope.LintCodes[code].String(), rank: scope.LintCodes[code],
			Message: fmt.Sprintf(msg, strings.Join(names, ", "))}))
	}
}

// checkExamples holds the requests a finding names to the matcher, which
// is what a gateway runs, before the finding is printed. Lint's examples
// are containment witnesses; should the matcher ever decide one otherwise,
// the finding is withheld and reported as a defect rather than shown as
// advice.
func checkExamples(f scope.Finding) scope.Finding {
	for _, ex := range f.Examples {
		set, err := scope.Parse(ex.Scope)
		if err == nil && match.Compile(set).Decide(ex.Method, ex.Path).Allowed == ex.Allowed {
			continue
		}
		verb := "allows"
		if !ex.Allowed {
			verb = "denies"
		}
		return scope.Finding{Code: scope.Internal, Severity: scope.SeverityError, Offset: f.Offset, Column: f.Column, Item: f.Item,
			Message: fmt.Sprintf("a %s finding says %s %s %s %s, which the matcher does not; the finding is withheld: report this as a defect", f.Code, ex.Scope, verb, ex.Method, ex.Path)}
	}
	return f
}

type itemAt struct {
	off  int
	text string
}

// idleItems returns the valid access items of a scope that grant no
// operation of ops, with their offsets.
func idleItems(s string, ops []operation) []itemAt {
	var out []itemAt
	for off := 0; off < len(s); {
		if s[off] == ' ' {
			off++
			continue
		}
		end := off + strings.IndexByte(s[off:]+" ", ' ')
		text := s[off:end]
		if set, err := scope.Parse(text); err == nil && set.Len() == 1 && set.Item(0).Class != scope.Plain {
			granted := false
			for _, op := range ops {
				if _, ok, err := scope.ReachesTemplate(set, op.method, op.template); ok || err != nil {
					granted = true // an undecided question is not reported
					break
				}
			}
			if !granted {
				out = append(out, itemAt{off, text})
			}
		}
		off = end
	}
	return out
}

// allCodes lists every code scopecheck lint and suggest can report,
// sorted: the parse error codes, scope.Lint's, scopefile's about inputs,
// no-operation, and suggest's.
func allCodes() []scope.Code {
	codes := append([]scope.Code(nil), scope.Codes...)
	for c := range scope.LintCodes {
		codes = append(codes, c)
	}
	for c := range scopefile.Codes {
		codes = append(codes, c)
	}
	codes = append(codes, noOperation)
	for c := range suggestCodes {
		codes = append(codes, c)
	}
	sort.Slice(codes, func(i, j int) bool { return codes[i] < codes[j] })
	return codes
}

// describe is a sentence on what a code means and what to do.
func describe(c scope.Code) string {
	if info, ok := scopefile.Codes[c]; ok {
		return info.Help
	}
	if info, ok := suggestCodes[c]; ok {
		return info.Help
	}
	if c == noOperation {
		return "The access item grants no operation of the API description given with --api: it is dead, or its path is wrong."
	}
	return scope.Describe(c)
}
