package main

import (
	"fmt"
	"io"

	"github.com/scopecheck/scopecheck/scope"
)

const fmtSynopsis = `usage: scopecheck fmt [--minimize] SCOPE

Prints the canonical text of a scope: its items in their original order,
exact duplicates dropped, separated by one space. With --minimize, every
item that the others cover is dropped too (the earliest of equivalent items
is kept), so the result allows exactly the same requests.

Exit status: 0, or 2 when the scope does not parse (its errors go to stderr).`

func runFmt(args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	fs := newFlags("fmt", fmtSynopsis, stderr)
	minimize := fs.Bool("minimize", false, "also drop items the others cover")
	pos, code, ok := parseFlags(fs, args)
	if !ok {
		return code
	}
	if len(pos) != 1 {
		fmt.Fprintf(stderr, "scopecheck fmt: want one SCOPE argument, got %d\n", len(pos))
		return exitUsage
	}
	set, err := scope.Parse(pos[0])
	if err != nil {
		printParseErrors(stderr, err)
		return exitUsage
	}
	if *minimize {
		min, err := scope.Minimize(set)
		if err != nil {
			// The items kept undecided keep the result equal to the
			// scope, but it may not be minimal: say so, and fail.
			fmt.Fprintf(stderr, "scopecheck fmt: %v\n", err)
			fmt.Fprintln(stdout, min.String())
			return exitUsage
		}
		set = min
	}
	fmt.Fprintln(stdout, set.String())
	return exitYes
}
