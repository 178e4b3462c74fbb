package main

import (
	"encoding/json"
	"fmt"
	"io"
	"sort"
	"strings"

	"github.com/owenrumney/go-sarif/v2/sarif"

	"github.com/scopecheck/scopecheck/internal/scopefile"
	"github.com/scopecheck/scopecheck/match"
	"github.com/scopecheck/scopecheck/scope"
)

const lintSynopsis = `usage: scopecheck lint [--format text|json|sarif] [--fail-on error|warning|info] [--api FILE] [--scope SCOPE] [INPUT...]

Reports every parse error and every review finding of the scopes given by
--scope and in each INPUT (a file, or - for stdin). An input is recognised
by its content: a token policy (JSON with allowedScopes) or an array of
them, a token endpoint answer (access_token, scope), an introspection
answer (active, scope), a JWT or a pasted "Bearer" header (its scope or
scp claim; the signature is NOT verified, and a finding says so), or plain
text with one scope per line ('#' begins a comment). A scope pasted in
shell quotes, as a form field (scope=...) or URL-encoded gets a
pasted-form warning, and the scope inside is linted. Positions are the
input's own lines and columns, counted from 1.

Each input is read and reported on its own: one that cannot be read or is
malformed is an error finding at the position where it goes wrong (in
SARIF also a tool execution notification), and the others are linted.

With --api FILE, an OpenAPI 3 description, an access item that grants no
operation of the API is reported too (no-operation; see "scopecheck help
explain" for how path templates are matched).

Text output is "file:line:col: severity: message [code]", sorted by
position, with a suggested replacement of the whole scope on the next line
where one exists, and how it compares with the scope (equal, narrower,
wider, repair). --format json prints {"findings": [...]}; --format sarif
prints SARIF 2.1.0 for code scanning, always a whole log.

Exit status, decided when every input has been reported: 2 when the usage
is wrong or an input (or the --api file) cannot be read or is malformed,
else 1 when a finding reaches --fail-on (default error), else 0.`

// noOperation is the finding of this command beside scope.Lint's and
// scopefile's: an access item that grants no operation of the API given
// with --api.
const noOperation scope.Code = "no-operation"

// lintFinding is one finding with its place in an input.
type lintFinding struct {
	File       string `json:"file"`
	Line       int    `json:"line"`
	Column     int    `json:"column"`
	Offset     int    `json:"offset"`
	Item       string `json:"item"`
	Code       string `json:"code"`
	Severity   string `json:"severity"`
	Message    string `json:"message"`
	Suggestion string `json:"suggestion"`
	// Relation says how what Suggestion allows compares with what the
	// scope allows: equal, narrower, wider or repair.
	Relation string          `json:"relation,omitempty"`
	Examples []scope.Example `json:"examples,omitempty"`
	rank     scope.Severity
	order    int
	// failed marks the finding of an input that could not be read or is
	// malformed as a whole: SARIF reports it as a tool execution
	// notification too, and it makes the exit status 2.
	failed bool
}

var severities = map[string]scope.Severity{"info": scope.SeverityInfo, "warning": scope.SeverityWarning, "error": scope.SeverityError}

func runLint(args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	fs := newFlags("lint", lintSynopsis, stderr)
	format := fs.String("format", "text", "output format: text, json or sarif")
	failOn := fs.String("fail-on", "error", "lowest severity that makes the exit status 1: error, warning or info")
	scopeText := fs.String("scope", "", "a scope string to lint")
	api := fs.String("api", "", "an OpenAPI 3 description: report items that grant none of its operations")
	inputs, code, ok := parseFlags(fs, args)
	if !ok {
		return code
	}
	threshold, okSev := severities[*failOn]
	usage := func(msgFormat string, args ...any) int {
		msg := "scopecheck lint: " + fmt.Sprintf(msgFormat, args...)
		switch *format {
		case "json":
			report(stdout, stderr, true, diagnostic{Code: usageCode, Message: msg})
		case "sarif":
			// A log even now, so that an upload step finds a valid one.
			writeSARIF(stdout, nil, []lintFinding{{Code: usageCode, Message: msg, failed: true}})
			fmt.Fprintln(stderr, msg)
		default:
			fmt.Fprintln(stderr, msg)
		}
		return exitUsage
	}
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
			all = append(all, lintFinding{File: *api, Line: 1, Column: 1, Code: string(scopefile.Unreadable), Severity: "error",
				Message: fmt.Sprintf("the API description cannot be used, so no-operation is not reported: %v", err), rank: scope.SeverityError, failed: true})
		}
	}
	for fi, src := range srcs {
		if f := src.failed; f != nil {
			all = append(all, lintFinding{File: src.name, Line: f.Pos.Line, Column: f.Pos.Column, Offset: f.Offset,
				Code: string(f.Code), Severity: f.Severity.String(), Message: f.Message, rank: f.Severity, order: fi, failed: true})
			continue
		}
		for _, f := range src.in.Findings {
			all = append(all, lintFinding{File: src.name, Line: f.Pos.Line, Column: f.Pos.Column, Offset: f.Offset,
				Code: string(f.Code), Severity: f.Severity.String(), Message: f.Message, rank: f.Severity, order: fi})
		}
		for _, sc := range src.in.Scopes {
			add := func(f scope.Finding) {
				p := sc.At(f.Offset)
				all = append(all, lintFinding{File: src.name, Line: p.Line, Column: p.Column, Offset: f.Offset, Item: f.Item,
					Code: string(f.Code), Severity: f.Severity.String(), Message: f.Message, Suggestion: f.Suggestion,
					Relation: f.Relation.String(), Examples: f.Examples, rank: f.Severity, order: fi})
			}
			for _, f := range scope.Lint(sc.Text) {
				add(checkExamples(f))
			}
			if ops != nil {
				for _, it := range idleItems(sc.Text, ops) {
					add(scope.Finding{Code: noOperation, Severity: scope.SeverityWarning, Offset: it.off, Item: it.text,
						Message: fmt.Sprintf("item %s grants none of the API's %d operations; remove it or fix its path", it.text, len(ops))})
				}
			}
		}
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
			if f.Suggestion != "" {
				fmt.Fprintf(stdout, "\tsuggestion (%s): %s\n", f.Relation, f.Suggestion)
			}
		}
	}
	status := exitYes
	for _, f := range all {
		switch {
		case f.failed:
			return exitUsage
		case f.rank >= threshold:
			status = exitNo
		}
	}
	return status
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

// sarifLevel maps a severity to a SARIF result level.
var sarifLevel = map[string]string{"error": "error", "warning": "warning", "info": "note"}

// writeSARIF writes one SARIF 2.1.0 run with a rule for every code
// scopecheck has, each with its help text, and a result for every
// finding. The run's invocation says whether every input could be read:
// each finding of an input that could not, and each problem given in
// problems (which has no result, such as a usage error), is also a tool
// execution notification.
func writeSARIF(w io.Writer, findings, problems []lintFinding) error {
	report, err := sarif.New(sarif.Version210)
	if err != nil {
		return err
	}
	run := sarif.NewRunWithInformationURI("scopecheck", "https://github.com/scopecheck/scopecheck")
	index := map[string]int{}
	for i, c := range allCodes() {
		help := describe(c)
		run.AddRule(string(c)).WithDescription(help).WithTextHelp(help)
		index[string(c)] = i
	}
	location := func(f lintFinding) *sarif.Location {
		region := sarif.NewSimpleRegion(f.Line, f.Line).WithStartColumn(f.Column)
		return sarif.NewLocationWithPhysicalLocation(sarif.NewPhysicalLocation().
			WithArtifactLocation(sarif.NewSimpleArtifactLocation(f.File)).WithRegion(region))
	}
	var notify []lintFinding
	for _, f := range findings {
		res := sarif.NewRuleResult(f.Code).WithRuleIndex(index[f.Code]).WithLevel(sarifLevel[f.Severity]).
			WithMessage(sarif.NewTextMessage(f.Message))
		res.AddLocation(location(f))
		run.AddResult(res)
		if f.failed {
			notify = append(notify, f)
		}
	}
	notify = append(notify, problems...)
	inv := run.AddInvocation(len(notify) == 0)
	for _, f := range notify {
		n := sarif.NewNotification().WithLevel("error").WithTextMessage(f.Message).
			WithDescriptor(sarif.NewReportingDescriptorReference().WithId(f.Code))
		if f.File != "" {
			n.AddLocation(location(f))
		}
		inv.AddTToolExecutionNotification(n)
	}
	report.AddRun(run)
	return report.PrettyWrite(w)
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

// scopeFrom reads every scope in an input (a file, or - for stdin) and
// returns their union as one scope string: a token policy allows what any
// of its allowedScopes does. When the input cannot be decided with (it
// cannot be read, has an error finding, is a pasted form, or a scope in
// it does not parse), it returns the problems, at the input's own lines
// and columns, instead.
func scopeFrom(file string, stdin io.Reader) (string, []diagnostic) {
	srcs, err := readSources("", false, []string{file}, stdin)
	if err != nil {
		return "", []diagnostic{{Code: usageCode, Message: err.Error()}}
	}
	src := srcs[0]
	if ds := src.problems(true); len(ds) > 0 {
		return "", ds
	}
	var texts []string
	for _, sc := range src.in.Scopes {
		texts = append(texts, sc.Text)
	}
	return strings.Join(texts, " "), nil
}

// parseScope parses a scope given as a flag's string, its errors as
// diagnostics of the flag, on line 1.
func parseScope(flagName, text string) (scope.Set, []diagnostic) {
	set, err := scope.Parse(text)
	if err == nil {
		return set, nil
	}
	var ds []diagnostic
	for _, e := range err.(scope.ErrorList) {
		ds = append(ds, diagnostic{File: flagName, Line: 1, Column: e.Column, Code: string(e.Code), Item: e.Item, Message: e.Message})
	}
	return scope.Set{}, ds
}
