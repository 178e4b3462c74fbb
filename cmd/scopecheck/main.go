// Command scopecheck parses OAuth configuration-token scopes and decides
// requests against them.
//
// Usage:
//
//	scopecheck allow --scope SCOPE METHOD PATH   # decide one request
//	scopecheck allow --scope SCOPE -             # decide "METHOD PATH" lines from stdin
//	scopecheck covers --allowed SCOPE --requested SCOPE
//	scopecheck fmt [--minimize] [--scope SCOPE] [INPUT...]
//	scopecheck lint [--format text|json|sarif] [--fail-on LEVEL] [--scope SCOPE] [INPUT...]
//	scopecheck explain [--api FILE] [--format text|json] [--scope SCOPE] [INPUT...]
//	scopecheck serve --proxy NAME [--grpc ADDR] [--metrics ADDR] (--jwks FILE|URL | --introspect URL --client-id ID)
//	scopecheck serve --config FILE
//	scopecheck suggest [--within SCOPE] [--api FILE] [--format text|json|sarif] LOG...
//	scopecheck token --token-url URL --client-id ID [--scope SCOPE] [--check METHOD PATH]
//	scopecheck version
//
// Every command that reads scopes takes them by one rule: --scope SCOPE is
// the scope string itself, and every other input is a file, or - for
// stdin (allow and covers name theirs with --scope-from, --allowed-from
// and --requested-from). Positions are counted from 1 everywhere.
//
// Run "scopecheck help COMMAND" for a command's flags. Exit status: 0 when
// the answer is yes (every request allowed), 1 when it is no, 2 when the
// usage is wrong or an input cannot be read or does not parse.
package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"sort"
	"strings"
)

// Exit statuses.
const (
	exitYes   = 0
	exitNo    = 1
	exitUsage = 2
)

// command is one subcommand.
type command struct {
	summary string
	run     func(args []string, stdin io.Reader, stdout, stderr io.Writer) int
}

var commands = map[string]command{
	"allow":   {"decide requests against a scope", runAllow},
	"covers":  {"decide whether one scope allows all that another does", runCovers},
	"explain": {"say what a scope grants, or which API operations", runExplain},
	"fmt":     {"print a scope's canonical (or minimal) text", runFmt},
	"lint":    {"report errors and review findings in scopes, policies, tokens", runLint},
	"serve":   {"an authorization service for proxies: auth_request, forward_auth, Envoy's ext_authz over HTTP and gRPC", runServe},
	"suggest": {"propose the least scope each client needs, from access logs", runSuggest},
	"token":   {"obtain a token (client_credentials) and say what it grants", runToken},
	"version": {"print the module version and the revision it was built from", runVersion},
}

func main() {
	os.Exit(run(os.Args[1:], os.Stdin, os.Stdout, os.Stderr))
}

func run(args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	if len(args) == 0 {
		usage(stderr)
		return exitUsage
	}
	name := args[0]
	if name == "help" || name == "-h" || name == "--help" || name == "-help" {
		if len(args) > 1 {
			c, ok := commands[args[1]]
			if !ok {
				fmt.Fprintf(stderr, "scopecheck: unknown help topic %q\n", args[1])
				usage(stderr)
				return exitUsage
			}
			return c.run([]string{"--help"}, stdin, stdout, stderr)
		}
		usage(stdout)
		return exitYes
	}
	c, ok := commands[name]
	if !ok {
		fmt.Fprintf(stderr, "scopecheck: unknown command %q\n", name)
		usage(stderr)
		return exitUsage
	}
	return c.run(args[1:], stdin, stdout, stderr)
}

func usage(w io.Writer) {
	fmt.Fprintln(w, "usage: scopecheck COMMAND [flags] [args]\n\ncommands:")
	names := make([]string, 0, len(commands))
	for n := range commands {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		fmt.Fprintf(w, "  %-8s %s\n", n, commands[n].summary)
	}
	fmt.Fprintln(w, "\nRun 'scopecheck help COMMAND' for a command's flags.\nExit status: 0 yes, 1 no, 2 usage or parse error.")
}

// newFlags makes a FlagSet that reports to stderr and prints the given
// usage text before the flag defaults.
func newFlags(name, synopsis string, stderr io.Writer) *flag.FlagSet {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() {
		fmt.Fprintf(fs.Output(), "%s\n\nflags:\n", synopsis)
		fs.PrintDefaults()
	}
	return fs
}

// parseFlags parses flags that may come before, between or after the
// positional arguments, as people type them; "--" ends the flags. It
// returns the positional arguments, or the exit status to stop with
// (exitYes after -h, exitUsage on a bad flag).
func parseFlags(fs *flag.FlagSet, args []string) ([]string, int, bool) {
	var pos []string
	for {
		if err := fs.Parse(args); err != nil {
			if errors.Is(err, flag.ErrHelp) {
				return nil, exitYes, false
			}
			return nil, exitUsage, false
		}
		rest := fs.Args()
		if used := len(args) - len(rest); used > 0 && args[used-1] == "--" {
			return append(pos, rest...), 0, true
		}
		if len(rest) == 0 {
			return pos, 0, true
		}
		pos = append(pos, rest[0])
		args = rest[1:]
	}
}

// parseFormatFlags is parseFlags for a command with --format: when the
// arguments ask for a format other than text, a bad flag's error is not
// printed but returned as msg, for the command to report in that format
// (JSON on stdout, a SARIF log), so that a program reading the output
// always gets one it can read.
func parseFormatFlags(fs *flag.FlagSet, args []string) (pos []string, code int, msg string, ok bool) {
	if formatArg(args) == "text" {
		pos, code, ok = parseFlags(fs, args)
		return pos, code, "", ok
	}
	out := fs.Output()
	var buf strings.Builder
	fs.SetOutput(&buf)
	pos, code, ok = parseFlags(fs, args)
	fs.SetOutput(out)
	if !ok && code == exitUsage {
		msg, _, _ = strings.Cut(buf.String(), "\n")
		return nil, code, msg, false
	}
	io.WriteString(out, buf.String()) // -h: the usage text
	return pos, code, "", ok
}

// usageReport writes the usage errors of one command in the form its
// --format asks for: JSON on stdout; for a command that writes SARIF, a
// SARIF log on stdout (so that an upload step still finds a valid one)
// and the message on stderr; otherwise a line on stderr.
type usageReport struct {
	command        string
	format         *string
	sarif          bool // the command writes SARIF
	stdout, stderr io.Writer
}

// errorf reports a usage error and returns exitUsage.
func (u usageReport) errorf(msgFormat string, args ...any) int {
	msg := "scopecheck " + u.command + ": " + fmt.Sprintf(msgFormat, args...)
	switch {
	case *u.format == "json":
		report(u.stdout, u.stderr, true, diagnostic{Code: usageCode, Message: msg})
	case *u.format == "sarif" && u.sarif:
		writeSARIF(u.stdout, nil, []lintFinding{{Code: usageCode, Message: msg, incomplete: true}})
		fmt.Fprintln(u.stderr, msg)
	default:
		fmt.Fprintln(u.stderr, msg)
	}
	return exitUsage
}

// flagError is the exit status of a parse by parseFormatFlags that did
// not succeed: code for -h, else the usage error msg, in the form the
// last --format among args asks for (the flags were not all read).
func (u usageReport) flagError(args []string, code int, msg string) int {
	if msg == "" {
		return code
	}
	*u.format = formatArg(args)
	return u.errorf("%s", msg)
}

// formatArg is the value of the last --format among args, as the flag
// package reads it, or "text".
func formatArg(args []string) string {
	format := "text"
	for i, a := range args {
		if a == "--" {
			break
		}
		name, value, hasValue := strings.Cut(strings.TrimLeft(a, "-"), "=")
		if !strings.HasPrefix(a, "-") || name != "format" {
			continue
		}
		switch {
		case hasValue:
			format = value
		case i+1 < len(args):
			format = args[i+1]
		}
	}
	return format
}

// isSet reports whether a flag was given, so that an empty value (a valid
// empty scope) differs from a missing flag.
func isSet(fs *flag.FlagSet, name string) bool {
	found := false
	fs.Visit(func(f *flag.Flag) { found = found || f.Name == name })
	return found
}

// printable quotes s when it holds bytes a terminal should not see raw.
func printable(s string) string {
	for i := 0; i < len(s); i++ {
		if s[i] < 0x21 || s[i] > 0x7E {
			return fmt.Sprintf("%q", s)
		}
	}
	if s == "" {
		return `""`
	}
	return s
}

// upperASCII upper-cases ASCII letters only, so that a method a person
// types in lower case is the token servers send.
func upperASCII(s string) string {
	return strings.Map(func(r rune) rune {
		if 'a' <= r && r <= 'z' {
			return r - 'a' + 'A'
		}
		return r
	}, s)
}
