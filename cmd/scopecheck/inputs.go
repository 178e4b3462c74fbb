package main

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"strings"

	"github.com/scopecheck/scopecheck/internal/scopefile"
	"github.com/scopecheck/scopecheck/scope"
)

// maxInput bounds one input in bytes, so that no input can grow memory
// without limit; a larger input is unreadable.
const maxInput = 16 << 20

// source is one input as a command names it, by the one input rule of
// every command that reads scopes: --scope S is the string S; every other
// argument is a file, and "-" is stdin.
type source struct {
	name string // "--scope", a file name, or "<stdin>"
	in   scopefile.Input
	// failed is the finding of an input that could not be read, or that
	// is malformed as a whole; in is then empty.
	failed *scopefile.Finding
}

// readSources reads the --scope string (when given) and each named input,
// each on its own: one that cannot be read is a failed source, and the
// others are still read. Naming stdin twice is a usage error.
func readSources(scopeText string, haveScope bool, names []string, stdin io.Reader) ([]source, error) {
	var out []source
	if haveScope {
		out = append(out, source{name: "--scope", in: scopefile.FromString(scopeText)})
	}
	stdinUsed := false
	for _, n := range names {
		if n == "-" {
			if stdinUsed {
				return nil, errors.New("stdin (-) can be read only once")
			}
			stdinUsed = true
		}
		name, data, err := readInput(n, stdin)
		if err != nil {
			out = append(out, source{name: name, failed: &scopefile.Finding{Code: scopefile.Unreadable,
				Severity: scope.SeverityError, Pos: scopefile.Pos{Line: 1, Column: 1}, Message: err.Error()}})
			continue
		}
		in, err := scopefile.Read(data)
		if err != nil {
			out = append(out, source{name: name, failed: err.(*scopefile.Finding)})
			continue
		}
		out = append(out, source{name: name, in: in})
	}
	return out, nil
}

// readInput reads a file, or stdin for "-", up to maxInput bytes. A file
// that does not exist gets a hint, since a scope given where a file is
// expected is the likely mistake.
func readInput(name string, stdin io.Reader) (string, []byte, error) {
	r := stdin
	shown := "<stdin>"
	if name != "-" {
		shown = name
		f, err := os.Open(name)
		if errors.Is(err, fs.ErrNotExist) {
			return shown, nil, fmt.Errorf("%w; to give a scope string rather than a file, use --scope", err)
		}
		if err != nil {
			return shown, nil, err
		}
		defer f.Close()
		r = f
	}
	data, err := io.ReadAll(io.LimitReader(r, maxInput+1))
	if err != nil {
		return shown, nil, err
	}
	if len(data) > maxInput {
		return shown, nil, fmt.Errorf("%s is larger than %d MiB", shown, maxInput>>20)
	}
	return shown, data, nil
}

// diagnostic is one error or finding at an input position, as text
// output prints it ("file:line:col: message [code]") and JSON output
// lists it.
type diagnostic struct {
	File    string `json:"file,omitempty"`
	Line    int    `json:"line,omitempty"`
	Column  int    `json:"column,omitempty"`
	Code    string `json:"code"`
	Item    string `json:"item,omitempty"`
	Message string `json:"message"`
}

func (d diagnostic) String() string {
	var b strings.Builder
	switch {
	case d.File != "" && d.Line > 0:
		fmt.Fprintf(&b, "%s:%d:%d: ", d.File, d.Line, d.Column)
	case d.File != "":
		fmt.Fprintf(&b, "%s: ", d.File)
	}
	b.WriteString(d.Message)
	if d.Code != usageCode {
		fmt.Fprintf(&b, " [%s]", d.Code)
	}
	return b.String()
}

// usageCode is the code of a usage error in JSON output.
const usageCode = "usage"

// report writes diagnostics: as {"errors": [...]} on stdout in JSON
// mode, so that a program reading stdout sees them, else as lines on
// stderr.
func report(stdout, stderr io.Writer, asJSON bool, ds ...diagnostic) {
	if asJSON {
		b, _ := json.Marshal(struct { // strings and ints: cannot fail
			Errors []diagnostic `json:"errors"`
		}{ds})
		fmt.Fprintf(stdout, "%s\n", b)
		return
	}
	for _, d := range ds {
		fmt.Fprintln(stderr, d)
	}
}

// failure is the diagnostic of a source that could not be read.
func (s source) failure() diagnostic {
	f := s.failed
	return diagnostic{File: s.name, Line: f.Pos.Line, Column: f.Pos.Column, Code: string(f.Code), Message: f.Message}
}

// problems returns the diagnostics that stop a command from using a
// source: its failure, its error findings (a duplicate key, a value of
// the wrong type), and, when the command decides requests or containment,
// the findings that leave the scope a guess (a pasted form) or unknown (an
// answer without scope, which the server filled with a scope not named
// here); then every parse error of its scopes at its input position.
func (s source) problems(deciding bool) []diagnostic {
	if s.failed != nil {
		return []diagnostic{s.failure()}
	}
	var out []diagnostic
	for _, f := range s.in.Findings {
		if f.Severity == scope.SeverityError || deciding && (f.Code == scopefile.PastedForm || f.Code == scopefile.NoScope) {
			out = append(out, diagnostic{File: s.name, Line: f.Pos.Line, Column: f.Pos.Column, Code: string(f.Code), Message: f.Message})
		}
	}
	for _, sc := range s.in.Scopes {
		if _, err := scope.Parse(sc.Text); err != nil {
			for _, e := range err.(scope.ErrorList) {
				p := sc.At(e.Offset)
				out = append(out, diagnostic{File: s.name, Line: p.Line, Column: p.Column, Code: string(e.Code), Item: e.Item, Message: e.Message})
			}
		}
	}
	return out
}

// notes are a source's findings that do not stop a command (an unverified
// JWT, a pasted form, an answer without scope), for commands that print
// them beside their answer.
func (s source) notes() []diagnostic {
	var out []diagnostic
	for _, f := range s.in.Findings {
		if f.Severity != scope.SeverityError {
			out = append(out, diagnostic{File: s.name, Line: f.Pos.Line, Column: f.Pos.Column, Code: string(f.Code), Message: f.Message})
		}
	}
	return out
}
