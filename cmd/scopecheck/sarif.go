package main

import (
	"io"

	"github.com/owenrumney/go-sarif/v2/sarif"
)

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
		if f.incomplete {
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
