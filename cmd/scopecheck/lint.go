package main

import (
	"encoding/json"
	"fmt"
	"io"
	"os"
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
answer (active, scope), a JWT (its scope or scp claim; the signature is NOT
verified, and a finding says so), or plain text with one scope per line
('#' begins a comment line). Positions are the input's own lines and
columns.

With --api FILE, an OpenAPI 3 description, an access item that grants no
operation of the API is reported too (no-operation; see "scopecheck help
explain" for how path templates are matched).

Text output is "file:line:col: severity: message [code]", sorted by
position, with a suggested replacement of the whole scope on the next line
where one exists. --format json prints {"findings": [...]}; --format sarif
prints SARIF 2.1.0 for code scanning.

Exit status: 0 when no finding reaches --fail-on (default error), 1 when one
does, 2 on a usage error or an input that cannot be read or is malformed
(then nothing else is reported).`

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
	switch {
	case *format != "text" && *format != "json" && *format != "sarif":
		fmt.Fprintf(stderr, "scopecheck lint: --format must be text, json or sarif, not %q\n", *format)
		return exitUsage
	case !okSev:
		fmt.Fprintf(stderr, "scopecheck lint: --fail-on must be error, warning or info, not %q\n", *failOn)
		return exitUsage
	case !isSet(fs, "scope") && len(inputs) == 0:
		fmt.Fprintln(stderr, "scopecheck lint: give --scope or at least one INPUT")
		return exitUsage
	}
	type source struct {
		file string
		in   scopefile.Input
	}
	var sources []source
	if isSet(fs, "scope") {
		sources = append(sources, source{"--scope", scopefile.FromString(*scopeText)})
	}
	failed := false
	for _, in := range inputs {
		name, data, err := readInput(in, stdin)
		if err != nil {
			fmt.Fprintf(stderr, "scopecheck lint: %v\n", err)
			failed = true
			continue
		}
		found, err := scopefile.Read(data)
		if err != nil {
			fmt.Fprintf(stderr, "%s:%v\n", name, err)
			failed = true
			continue
		}
		sources = append(sources, source{name, found})
	}
	var ops []operation
	if *api != "" {
		var err error
		if ops, err = loadOperations(*api); err != nil {
			fmt.Fprintf(stderr, "scopecheck lint: %s: %v\n", *api, err)
			failed = true
		}
	}
	if failed {
		return exitUsage // nothing is half-reported
	}
	var all []lintFinding
	for fi, src := range sources {
		for _, f := range src.in.Findings {
			all = append(all, lintFinding{File: src.file, Line: f.Pos.Line, Column: f.Pos.Column, Offset: f.Offset,
				Code: string(f.Code), Severity: f.Severity.String(), Message: f.Message, rank: f.Severity, order: fi})
		}
		for _, sc := range src.in.Scopes {
			add := func(f scope.Finding) {
				p := sc.At(f.Offset)
				lf := lintFinding{File: src.file, Line: p.Line, Column: p.Column, Offset: f.Offset, Item: f.Item,
					Code: string(f.Code), Severity: f.Severity.String(), Message: f.Message, Suggestion: f.Suggestion,
					Relation: f.Relation.String(), Examples: f.Examples, rank: f.Severity, order: fi}
				all = append(all, lf)
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
		if err := writeSARIF(stdout, all); err != nil {
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
	for _, f := range all {
		if f.rank >= threshold {
			return exitNo
		}
	}
	return exitYes
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

// readInput reads a file, or stdin for "-".
func readInput(name string, stdin io.Reader) (string, []byte, error) {
	if name == "-" {
		data, err := io.ReadAll(stdin)
		return "<stdin>", data, err
	}
	data, err := os.ReadFile(name)
	return name, data, err
}

// sarifLevel maps a severity to a SARIF result level.
var sarifLevel = map[string]string{"error": "error", "warning": "warning", "info": "note"}

// writeSARIF writes the findings as one SARIF 2.1.0 run with a rule for
// every code scopecheck has, each with its help text.
func writeSARIF(w io.Writer, findings []lintFinding) error {
	report, err := sarif.New(sarif.Version210)
	if err != nil {
		return err
	}
	run := sarif.NewRunWithInformationURI("scopecheck", "https://github.com/scopecheck/scopecheck")
	codes := append([]scope.Code(nil), scope.Codes...)
	for c := range scope.LintCodes {
		codes = append(codes, c)
	}
	for c := range scopefile.Codes {
		codes = append(codes, c)
	}
	codes = append(codes, noOperation)
	sort.Slice(codes, func(i, j int) bool { return codes[i] < codes[j] })
	index := map[string]int{}
	for i, c := range codes {
		help := scope.Describe(c)
		if info, ok := scopefile.Codes[c]; ok {
			help = info.Help
		}
		if c == noOperation {
			help = "The access item grants no operation of the API description given with --api: it is dead, or its path is wrong."
		}
		run.AddRule(string(c)).WithDescription(help).WithTextHelp(help)
		index[string(c)] = i
	}
	for _, f := range findings {
		region := sarif.NewSimpleRegion(f.Line, f.Line).WithStartColumn(f.Column)
		loc := sarif.NewLocationWithPhysicalLocation(sarif.NewPhysicalLocation().
			WithArtifactLocation(sarif.NewSimpleArtifactLocation(f.File)).WithRegion(region))
		res := sarif.NewRuleResult(f.Code).WithRuleIndex(index[f.Code]).WithLevel(sarifLevel[f.Severity]).
			WithMessage(sarif.NewTextMessage(f.Message))
		res.AddLocation(loc)
		run.AddResult(res)
	}
	report.AddRun(run)
	return report.PrettyWrite(w)
}

// scopeFrom reads every scope in an input (a file, or - for stdin) and
// returns their union as one scope string: a token policy allows what any
// of its allowedScopes does. A parse error is reported at the file's own
// line and column, and the result is then "", false.
func scopeFrom(file string, stdin io.Reader, stderr io.Writer) (string, bool) {
	name, data, err := readInput(file, stdin)
	if err != nil {
		fmt.Fprintf(stderr, "scopecheck: %v\n", err)
		return "", false
	}
	found, err := scopefile.Read(data)
	if err != nil {
		fmt.Fprintf(stderr, "%s:%v\n", name, err)
		return "", false
	}
	if found.Err() != nil {
		// Servers read such an input differently (a duplicate key, a
		// scope that is no string): no answer is given from it.
		for _, f := range found.Findings {
			if f.Severity == scope.SeverityError {
				fmt.Fprintf(stderr, "%s:%v [%s]\n", name, &f, f.Code)
			}
		}
		return "", false
	}
	ok := true
	var texts []string
	for _, sc := range found.Scopes {
		if _, err := scope.Parse(sc.Text); err != nil {
			for _, e := range err.(scope.ErrorList) {
				p := sc.At(e.Offset)
				fmt.Fprintf(stderr, "%s:%d:%d: %s [%s]\n", name, p.Line, p.Column, e.Message, e.Code)
			}
			ok = false
			continue
		}
		texts = append(texts, sc.Text)
	}
	return strings.Join(texts, " "), ok
}
