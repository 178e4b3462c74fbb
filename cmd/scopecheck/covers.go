package main

import (
	"encoding/json"
	"fmt"
	"io"

	"github.com/scopecheck/scopecheck/scope"
)

const coversSynopsis = `usage: scopecheck covers --allowed SCOPE --requested SCOPE [--format text|json]
       scopecheck covers --allowed-from INPUT --requested-from INPUT ...

--allowed and --requested give scope strings, as written;
--allowed-from and --requested-from read a scope from a file in any form
lint reads; a token policy's allowedScopes are united, since a policy
allows what any of them does, but an --allowed-from input that holds
several policies (or scopes of several tokens or lines) is refused: a
token is granted within one, and their union may cover what none does. As with allow, a scope or input that lint
would report with an error, that looks pasted and holds no access item
as written, or that is an answer without scope (whose scope only the
server knows) is refused.

Answers whether every request the requested scope allows, the allowed scope
allows too, and whether it holds every plain item of the requested scope:
the question a token endpoint asks of a requested scope and its token
policy, and a reviewer of a new policy against the old. The answer is
exact. When it is no, a witness is printed: a request (METHOD PATH, a
shortest canonical path) that requested allows and allowed denies, or the
plain item allowed lacks.

A question too large to decide within the work budget (see scope.Budget;
--max-steps and --max-bytes raise it) is answered "undecided", never by a
guess: --format json prints {"covered": null, "undecided": "..."}; other
errors are {"errors": [...]} on stdout.

Exit status: 0 covered, 1 not covered, 2 on a usage error, a scope that
cannot be read or does not parse, or an undecided question.`

func runCovers(args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	fs := newFlags("covers", coversSynopsis, stderr)
	allowedText := fs.String("allowed", "", "the allowed scope, such as a token policy's")
	requestedText := fs.String("requested", "", "the requested scope")
	allowedFile := fs.String("allowed-from", "", "read the allowed scope from this input (a file, or - for stdin)")
	requestedFile := fs.String("requested-from", "", "read the requested scope from this input")
	format := fs.String("format", "text", "output format: text or json")
	maxSteps := fs.Int64("max-steps", scope.DefaultBudget.Steps, "the work budget of the question, in steps (scope.Budget)")
	maxBytes := fs.Int64("max-bytes", scope.DefaultBudget.Bytes, "the memory budget of the question, in bytes (scope.Budget)")
	pos, code, flagErr, ok := parseFormatFlags(fs, args)
	u := usageReport{command: "covers", format: format, stdout: stdout, stderr: stderr}
	if !ok {
		return u.flagError(args, code, flagErr)
	}
	usage, asJSON := u.errorf, *format == "json"
	switch {
	case *format != "text" && *format != "json":
		return usage("--format must be text or json, not %q", *format)
	case isSet(fs, "allowed") == isSet(fs, "allowed-from") || isSet(fs, "requested") == isSet(fs, "requested-from"):
		return usage("give one of --allowed and --allowed-from, and one of --requested and --requested-from")
	case *allowedFile == "-" && *requestedFile == "-":
		return usage("stdin cannot hold both scopes")
	case len(pos) != 0:
		return usage("unexpected argument %q", pos[0])
	case *maxSteps <= 0 || *maxBytes <= 0:
		return usage("--max-steps and --max-bytes must be positive")
	}
	var sets [2]scope.Set
	var problems []diagnostic
	for i, f := range []struct {
		name       string
		file, text *string
	}{{"--allowed", allowedFile, allowedText}, {"--requested", requestedFile, requestedText}} {
		src := argSource(f.name, *f.text)
		if *f.file != "" {
			src = readSource(*f.file, stdin)
		}
		set, ds := src.union()
		if i == 0 {
			set, ds = src.bound() // the allowed side bounds the requested one
		}
		problems = append(problems, ds...)
		sets[i] = set
	}
	if problems != nil {
		report(stdout, stderr, asJSON, problems...)
		return exitUsage
	}
	allowed, requested := sets[0], sets[1]
	covered, w := scope.Budget{Steps: *maxSteps, Bytes: *maxBytes}.Covers(allowed, requested)
	if asJSON {
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
