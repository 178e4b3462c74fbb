package main

import (
	"fmt"
	"io"

	"github.com/scopecheck/scopecheck/scope"
)

const fmtSynopsis = `usage: scopecheck fmt [--minimize] [--scope SCOPE] [INPUT...]

Prints the canonical text of each scope, one per line: its items in their
original order, exact duplicates dropped, separated by one space. With
--minimize, every item that the others cover is dropped too (the earliest
of equivalent items is kept), so the result allows exactly the same
requests.

--scope gives a scope string; each INPUT, a file or - for stdin, holds
scopes in any form that lint reads (a token policy gives one line per
allowedScopes entry). Findings about an input that do not stop it (a
pasted form, an unverified JWT) go to stderr.

Exit status: 0, or 2 on a usage error or when an input cannot be read or a
scope does not parse (every error goes to stderr, at its input's line and
column, and nothing is printed).`

func runFmt(args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	fs := newFlags("fmt", fmtSynopsis, stderr)
	minimize := fs.Bool("minimize", false, "also drop items the others cover")
	scopeText := fs.String("scope", "", "a scope string")
	inputs, code, ok := parseFlags(fs, args)
	if !ok {
		return code
	}
	if !isSet(fs, "scope") && len(inputs) == 0 {
		fmt.Fprintln(stderr, "scopecheck fmt: give --scope or at least one INPUT")
		return exitUsage
	}
	srcs, err := readSources(*scopeText, isSet(fs, "scope"), inputs, stdin)
	if err != nil {
		fmt.Fprintf(stderr, "scopecheck fmt: %v\n", err)
		return exitUsage
	}
	var problems, undecided []diagnostic
	var lines []string
	for _, src := range srcs {
		if ds := src.problems(false); ds != nil {
			problems = append(problems, ds...)
			continue
		}
		report(stdout, stderr, false, src.notes()...)
		for _, sc := range src.in.Scopes {
			set := scope.MustParse(sc.Text) // problems has checked it parses
			if *minimize {
				min, err := scope.Minimize(set)
				if err != nil {
					// The items kept undecided keep the result equal to
					// the scope, but it may not be minimal: say so, and
					// fail.
					undecided = append(undecided, diagnostic{File: src.name, Code: string(scope.Undecided), Message: err.Error()})
				}
				set = min
			}
			lines = append(lines, set.String())
		}
	}
	if problems != nil {
		report(stdout, stderr, false, problems...)
		return exitUsage
	}
	for _, l := range lines {
		fmt.Fprintln(stdout, l)
	}
	if undecided != nil {
		report(stdout, stderr, false, undecided...)
		return exitUsage
	}
	return exitYes
}
