package main

import (
	"bufio"
	"encoding/json"
	"fmt"
	"io"
	"strings"
	"unicode/utf8"

	"github.com/scopecheck/scopecheck/match"
	"github.com/scopecheck/scopecheck/scope"
)

const allowSynopsis = `usage: scopecheck allow --scope SCOPE [--format text|json] METHOD PATH
       scopecheck allow --scope SCOPE [--format text|json] -
       scopecheck allow --scope-from INPUT ...

--scope-from reads the scope from a file in any form lint reads (a token
policy, a token or introspection answer, a JWT, text); when it holds
several scopes, the request is decided against their union.

Decides requests against a scope. PATH is the request path as sent, still
escaped, relative to the customer root (/config/tokenPolicies/abc); a path
that is not canonical is denied. With "-", requests are read from stdin,
one "METHOD PATH" per line; blank lines are skipped, and a line of another
shape is reported with its number and counts as denied.

Methods are upper-cased before deciding (get becomes GET), since people
type them so; the library itself is case-sensitive, as HTTP is. Use
--exact-method to decide the method exactly as given.

Prints one line per request: "allow" or "deny", the method and path, and
the granting item or the reason for the denial. Exit status: 0 when every
request is allowed, 1 when any is denied, 2 when the usage is wrong or the
scope does not parse (then its errors go to stderr and nothing is decided).`

// maxLine bounds one stdin line, so that input without newlines cannot
// grow memory without limit.
const maxLine = 1 << 20

func runAllow(args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	fs := newFlags("allow", allowSynopsis, stderr)
	scopeText := fs.String("scope", "", "the scope string ('' is the empty scope)")
	scopeFile := fs.String("scope-from", "", "read the scope from this input instead (a file, or - for stdin)")
	format := fs.String("format", "text", "output format: text or json")
	exact := fs.Bool("exact-method", false, "decide methods exactly as given, without upper-casing")
	readMethods := fs.String("read-methods", "", "comma-separated methods to add to the read class (.), such as OPTIONS")
	pos, code, ok := parseFlags(fs, args)
	if !ok {
		return code
	}
	switch {
	case isSet(fs, "scope") == isSet(fs, "scope-from"):
		fmt.Fprintln(stderr, "scopecheck allow: give one of --scope and --scope-from")
		return exitUsage
	case *scopeFile == "-" && len(pos) == 1 && pos[0] == "-":
		fmt.Fprintln(stderr, "scopecheck allow: stdin cannot hold both the scope and the requests")
		return exitUsage
	case *format != "text" && *format != "json":
		fmt.Fprintf(stderr, "scopecheck allow: --format must be text or json, not %q\n", *format)
		return exitUsage
	case len(pos) != 2 && !(len(pos) == 1 && pos[0] == "-"):
		fmt.Fprintf(stderr, "scopecheck allow: want METHOD PATH or -, got %d argument(s)\n", len(pos))
		return exitUsage
	}
	if *scopeFile != "" {
		text, ok := scopeFrom(*scopeFile, stdin, stderr)
		if !ok {
			return exitUsage
		}
		*scopeText = text
	}
	set, err := scope.Parse(*scopeText)
	if err != nil {
		printParseErrors(stderr, err)
		return exitUsage
	}
	var opts []match.Option
	if *readMethods != "" {
		opts = append(opts, match.WithReadMethods(strings.Split(*readMethods, ",")...))
	}
	d := decider{m: match.Compile(set, opts...), exact: *exact, json: *format == "json", out: stdout}
	if len(pos) == 2 {
		d.decide(0, pos[0], pos[1])
		return d.status()
	}
	sc := bufio.NewScanner(stdin)
	sc.Buffer(make([]byte, 0, 64*1024), maxLine)
	line := 0
	for sc.Scan() {
		line++
		fields := strings.Fields(sc.Text())
		switch len(fields) {
		case 0:
			continue
		case 2:
			d.decide(line, fields[0], fields[1])
		default:
			d.malformed(line, sc.Text())
		}
	}
	if err := sc.Err(); err != nil {
		fmt.Fprintf(stderr, "scopecheck allow: stdin line %d: %v\n", line+1, err)
		return exitUsage
	}
	return d.status()
}

// printParseErrors writes every parse error as "col N: message [code]".
func printParseErrors(w io.Writer, err error) {
	if list, ok := err.(scope.ErrorList); ok {
		for _, e := range list {
			fmt.Fprintln(w, e.Error())
		}
		return
	}
	fmt.Fprintln(w, err)
}

// decider decides requests and writes the answers.
type decider struct {
	m      *match.Matcher
	exact  bool
	json   bool
	out    io.Writer
	denied bool
}

// allowRecord is one answer in --format json.
type allowRecord struct {
	Line    int    `json:"line,omitempty"`
	Method  string `json:"method"`
	Path    string `json:"path"`
	Allowed bool   `json:"allowed"`
	Item    string `json:"item,omitempty"`
	Reason  string `json:"reason"`
	Message string `json:"message"`
	Rule    string `json:"rule,omitempty"`
	Offset  *int   `json:"offset,omitempty"`
	// PathQuoted is set when Path is not valid UTF-8 and so cannot be a
	// JSON string as it is: Path then holds the Go-quoted form.
	PathQuoted bool `json:"path_quoted,omitempty"`
}

func (d *decider) decide(line int, method, path string) {
	if !d.exact {
		method = upperASCII(method)
	}
	dec := d.m.Decide(method, path)
	d.denied = d.denied || !dec.Allowed
	if d.json {
		r := allowRecord{Line: line, Method: method, Path: path, Allowed: dec.Allowed, Reason: dec.Reason.String(), Message: dec.String()}
		if dec.Reason == match.Granted || dec.Reason == match.ReadOnly {
			r.Item = dec.Item.String()
		}
		if dec.Reason == match.NotCanonical {
			r.Rule, r.Offset = dec.Rule.String(), &dec.Offset
		}
		if !utf8.ValidString(path) {
			r.Path, r.PathQuoted = fmt.Sprintf("%q", path), true
		}
		d.writeJSON(r)
		return
	}
	verdict := "deny"
	if dec.Allowed {
		verdict = "allow"
	}
	fmt.Fprintf(d.out, "%s %s %s: %s\n", verdict, printable(method), printable(path), dec)
}

func (d *decider) malformed(line int, text string) {
	d.denied = true
	msg := fmt.Sprintf("line %d is not \"METHOD PATH\": %q", line, text)
	if d.json {
		d.writeJSON(allowRecord{Line: line, Reason: "malformed-line", Message: msg})
		return
	}
	fmt.Fprintf(d.out, "deny %s\n", msg)
}

func (d *decider) writeJSON(v any) {
	b, _ := json.Marshal(v) // only strings, bools and ints: cannot fail
	fmt.Fprintf(d.out, "%s\n", b)
}

func (d *decider) status() int {
	if d.denied {
		return exitNo
	}
	return exitYes
}
