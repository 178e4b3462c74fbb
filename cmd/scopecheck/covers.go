package main

import (
	"encoding/json"
	"fmt"
	"io"

	"github.com/scopecheck/scopecheck/scope"
)

const coversSynopsis = `usage: scopecheck covers --allowed SCOPE --requested SCOPE [--format text|json]
       scopecheck covers --allowed-from INPUT --requested-from INPUT ...

--allowed-from and --requested-from read a scope from a file in any form
lint reads; a token policy's allowedScopes are united, since a policy
allows what any of them does.

Answers whether every request the requested scope allows, the allowed scope
allows too, and whether it holds every plain item of the requested scope:
the question a token endpoint asks of a requested scope and its token
policy, and a reviewer of a new policy against the old. The answer is
exact. When it is no, a witness is printed: a request (METHOD PATH, a
shortest canonical path) that requested allows and allowed denies, or the
plain item allowed lacks.

A question too large to decide within the work budget (see scope.Budget;
--max-steps and --max-bytes raise it) is answered "undecided", never by a
guess: --format json prints {"covered": null, "undecided": "..."}.

Exit status: 0 covered, 1 not covered, 2 on a usage error, a scope that
does not parse, or an undecided question.`

func runCovers(args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	fs := newFlags("covers", coversSynopsis, stderr)
	allowedText := fs.String("allowed", "", "the allowed scope, such as a token policy's")
	requestedText := fs.String("requested", "", "the requested scope")
	allowedFile := fs.String("allowed-from", "", "read the allowed scope from this input (a file, or - for stdin)")
	requestedFile := fs.String("requested-from", "", "read the requested scope from this input")
	format := fs.String("format", "text", "output format: text or json")
	maxSteps := fs.Int64("max-steps", scope.DefaultBudget.Steps, "the work budget of the question, in steps (scope.Budget)")
	maxBytes := fs.Int64("max-bytes", scope.DefaultBudget.Bytes, "the memory budget of the question, in bytes (scope.Budget)")
	pos, code, ok := parseFlags(fs, args)
	if !ok {
		return code
	}
	switch {
	case isSet(fs, "allowed") == isSet(fs, "allowed-from") || isSet(fs, "requested") == isSet(fs, "requested-from"):
		fmt.Fprintln(stderr, "scopecheck covers: give one of --allowed and --allowed-from, and one of --requested and --requested-from")
		return exitUsage
	case *allowedFile == "-" && *requestedFile == "-":
		fmt.Fprintln(stderr, "scopecheck covers: stdin cannot hold both scopes")
		return exitUsage
	case *format != "text" && *format != "json":
		fmt.Fprintf(stderr, "scopecheck covers: --format must be text or json, not %q\n", *format)
		return exitUsage
	case len(pos) != 0:
		fmt.Fprintf(stderr, "scopecheck covers: unexpected argument %q\n", pos[0])
		return exitUsage
	case *maxSteps <= 0 || *maxBytes <= 0:
		fmt.Fprintln(stderr, "scopecheck covers: --max-steps and --max-bytes must be positive")
		return exitUsage
	}
	for _, f := range []struct{ file, text *string }{{allowedFile, allowedText}, {requestedFile, requestedText}} {
		if *f.file != "" {
			text, ok := scopeFrom(*f.file, stdin, stderr)
			if !ok {
				return exitUsage
			}
			*f.text = text
		}
	}
	allowed, err1 := scope.Parse(*allowedText)
	requested, err2 := scope.Parse(*requestedText)
	if err1 != nil || err2 != nil {
		if err1 != nil {
			printParseErrorsFor(stderr, "--allowed", err1)
		}
		if err2 != nil {
			printParseErrorsFor(stderr, "--requested", err2)
		}
		return exitUsage
	}
	covered, w := scope.Budget{Steps: *maxSteps, Bytes: *maxBytes}.Covers(allowed, requested)
	if *format == "json" {
		type witness struct {
			Method string `json:"method,omitempty"`
			Path   string `json:"path,omitempty"`
			Plain  string `json:"plain,omitempty"`
		}
		out := struct {
			Covered   *bool    `json:"covered"`
			Undecided string   `json:"undecided,omitempty"`
			Witness   *witness `json:"witness,omitempty"`
		}{Covered: &covered}
		switch {
		case w.Err != nil:
			out.Covered, out.Undecided = nil, w.Err.Error()
		case !covered:
			out.Witness = &witness{Method: w.Method, Path: w.Path, Plain: w.Plain}
		}
		b, _ := json.Marshal(out) // strings and a bool: cannot fail
		fmt.Fprintf(stdout, "%s\n", b)
	} else if w.Err != nil {
		fmt.Fprintf(stdout, "undecided: %v; raise --max-steps or --max-bytes to try harder\n", w.Err)
	} else if covered {
		fmt.Fprintln(stdout, "covered")
	} else if w.Plain != "" {
		fmt.Fprintf(stdout, "not covered: plain item %s is not in the allowed scope\n", w.Plain)
	} else {
		fmt.Fprintf(stdout, "not covered: %s %s is allowed by the requested scope and denied by the allowed scope\n", w.Method, w.Path)
	}
	if w.Err != nil {
		return exitUsage
	}
	if !covered {
		return exitNo
	}
	return exitYes
}

// printParseErrorsFor writes parse errors, each prefixed by where the
// scope came from.
func printParseErrorsFor(w io.Writer, source string, err error) {
	if list, ok := err.(scope.ErrorList); ok {
		for _, e := range list {
			fmt.Fprintf(w, "%s: %v\n", source, e)
		}
		return
	}
	fmt.Fprintf(w, "%s: %v\n", source, err)
}
