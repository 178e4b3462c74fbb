package main

import (
	"io"
	"net/url"
	"os"
	"path/filepath"
	"strings"

	"github.com/owenrumney/go-sarif/v3/pkg/report/v210/sarif"
)

// sarifLevel maps a severity to a SARIF result level.
var sarifLevel = map[string]string{"error": "error", "warning": "warning", "info": "note"}

// srcRoot is the uriBaseId of artifact locations: the root of the
// repository the files are in, which code scanning resolves them against.
const srcRoot = "%SRCROOT%"

// writeSARIF writes one SARIF 2.1.0 run with a rule for every code
// scopecheck has, each with its help text, and a result for every
// finding, with its fix (as a SARIF fix where the input can be edited in
// place, and always in the result's properties with its relation). Files
// are named relative to the repository root (the nearest directory above
// the working directory that holds .git, else the working directory),
// percent-encoded, and columns are counted in UTF-16 code units, as SARIF
// counts by default. The run's invocation says whether every input could
// be read and linted: each finding that some of an input could not, and
// each problem given in problems (which has no result, such as a usage
// error), is also a tool execution notification.
func writeSARIF(w io.Writer, findings, problems []lintFinding) error {
	report := sarif.NewReport()
	run := sarif.NewRunWithInformationURI("scopecheck", "https://github.com/scopecheck/scopecheck")
	run.WithColumnKind("utf16CodeUnits")
	root := repoRoot()
	run.WithOriginalUriBaseIds(map[string]sarif.ArtifactLocation{srcRoot: *sarif.NewSimpleArtifactLocation(fileURI(root) + "/")})
	index := map[string]int{}
	for i, c := range allCodes() {
		help := describe(c)
		run.AddRule(string(c)).WithDescription(help).WithHelp(sarif.NewMultiformatMessageString().WithText(help))
		index[string(c)] = i
	}
	artifact := func(f lintFinding) *sarif.ArtifactLocation {
		return artifactLocation(root, f.File)
	}
	location := func(f lintFinding) *sarif.Location {
		if !f.isFile() {
			// --scope or stdin: no file to point into.
			return sarif.NewLocation().WithLogicalLocations([]*sarif.LogicalLocation{sarif.NewLogicalLocation().WithName(f.File).WithKind("resource")})
		}
		region := sarif.NewSimpleRegion(f.Line, f.Line).WithStartColumn(f.utf16)
		return sarif.NewLocationWithPhysicalLocation(sarif.NewPhysicalLocation().WithArtifactLocation(artifact(f)).WithRegion(region))
	}
	var notify []lintFinding
	for _, f := range findings {
		msg := f.Message
		if fix := f.fixText(); fix != "" {
			msg += " (" + fix + ")"
		}
		res := sarif.NewRuleResult(f.Code).WithRuleIndex(index[f.Code]).WithLevel(sarifLevel[f.Severity]).
			WithMessage(sarif.NewTextMessage(msg))
		res.AddLocation(location(f))
		if f.Fix != nil {
			props := sarif.NewPropertyBag()
			props.Add("relation", f.Relation)
			props.Add("fix", f.Fix)
			if f.Suggestion != "" {
				props.Add("suggestion", f.Suggestion)
			}
			res.WithProperties(props)
		}
		if f.change != nil && f.isFile() {
			region := sarif.NewRegion().WithStartLine(f.change.start.Line).WithStartColumn(f.change.start.UTF16Column).
				WithEndLine(f.change.end.Line).WithEndColumn(f.change.end.UTF16Column)
			change := sarif.NewArtifactChange().WithArtifactLocation(artifact(f)).AddReplacement(
				sarif.NewReplacement().WithDeletedRegion(region).WithInsertedContent(sarif.NewArtifactContent().WithText(f.change.text)))
			res.AddFixe(sarif.NewFix().WithDescription(sarif.NewTextMessage(f.fixText())).AddArtifactChange(change))
		}
		run.AddResult(res)
		if f.incomplete {
			notify = append(notify, f)
		}
	}
	notify = append(notify, problems...)
	inv := sarif.NewInvocation().WithExecutionSuccessful(len(notify) == 0)
	for _, f := range notify {
		n := sarif.NewNotification().WithLevel("error").WithMessage(sarif.NewTextMessage(f.Message)).
			WithDescriptor(sarif.NewReportingDescriptorReference().WithID(f.Code))
		if f.File != "" {
			n.AddLocation(location(f))
		}
		inv.AddToolExecutionNotification(n)
	}
	run.AddInvocation(inv)
	report.AddRun(run)
	// One line: go-sarif v3 writes every optional array and default, which
	// indented would double the output of a large lint.
	if err := report.Write(w); err != nil {
		return err
	}
	_, err := io.WriteString(w, "\n")
	return err
}

// isFile reports whether a finding's File names a file (not --scope, a
// flag, or stdin).
func (f lintFinding) isFile() bool {
	return f.File != "" && f.File != "<stdin>" && !strings.HasPrefix(f.File, "--")
}

// repoRoot is the nearest directory at or above the working directory
// that holds .git, or the working directory.
func repoRoot() string {
	wd, err := os.Getwd()
	if err != nil {
		return "."
	}
	for dir := wd; ; {
		if _, err := os.Stat(filepath.Join(dir, ".git")); err == nil {
			return dir
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return wd
		}
		dir = parent
	}
}

// artifactLocation names a file for SARIF: relative to root, under
// %SRCROOT%, when it is inside root; else by its absolute file URI.
func artifactLocation(root, file string) *sarif.ArtifactLocation {
	abs, err := filepath.Abs(file)
	if err != nil {
		abs = file
	}
	rel, err := filepath.Rel(root, abs)
	if err != nil || rel == ".." || strings.HasPrefix(rel, ".."+string(filepath.Separator)) {
		return sarif.NewSimpleArtifactLocation(fileURI(abs))
	}
	return sarif.NewSimpleArtifactLocation(escapePath(filepath.ToSlash(rel))).WithURIBaseID(srcRoot)
}

// escapePath percent-encodes each segment of a slash-separated path for a
// URI reference, ":" included, so that no segment reads as a scheme.
func escapePath(p string) string {
	segs := strings.Split(p, "/")
	for i, s := range segs {
		segs[i] = strings.ReplaceAll(url.PathEscape(s), ":", "%3A")
	}
	return strings.Join(segs, "/")
}

// fileURI is the file URI of an absolute path.
func fileURI(abs string) string {
	p := filepath.ToSlash(abs)
	if !strings.HasPrefix(p, "/") {
		p = "/" + p // a Windows drive letter
	}
	return "file://" + escapePath(p)
}
