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

// source is one input as a command names it, by the one input rule of
// every command that reads scopes: --scope S (or --allowed S, --requested
// S) is the string S, as written; every other argument is a file, and
// "-" is stdin.
type source struct {
	name string // "--scope", a file name, or "<stdin>"
	in   scopefile.Input
	// file is set when name is a file, for SARIF's artifact locations.
	file bool
	// failed is the finding of an input that could not be read, or that
	// is malformed as a whole; in is then empty.
	failed *scopefile.Finding
}

// argSource reads a scope string given with a flag, such as --scope.
func argSource(flag, text string) source {
	return source{name: flag, in: scopefile.FromString(text)}
}

// readSources reads the --scope string (when given) and each named input,
// each on its own: one that cannot be read is a failed source, and the
// others are still read. Naming stdin twice is a usage error.
func readSources(scopeText string, haveScope bool, names []string, stdin io.Reader) ([]source, error) {
	var out []source
	if haveScope {
		out = append(out, argSource("--scope", scopeText))
	}
	stdinUsed := false
	for _, n := range names {
		if n == "-" {
			if stdinUsed {
				return nil, errors.New("stdin (-) can be read only once")
			}
			stdinUsed = true
		}
		out = append(out, readSource(n, stdin))
	}
	return out, nil
}

// readSource reads one named input, a file or "-" for stdin.
func readSource(name string, stdin io.Reader) source {
	shown, data, err := readInput(name, stdin)
	src := source{name: shown, file: name != "-"}
	if err != nil {
		code := scopefile.Unreadable
		if errors.Is(err, errTooLarge) {
			code = scope.TooLarge
		}
		src.failed = &scopefile.Finding{Code: code, Severity: scope.SeverityError, Pos: scopefile.Pos{Line: 1, Column: 1, UTF16Column: 1}, Message: err.Error()}
		return src
	}
	in, err := scopefile.Read(data)
	if err != nil {
		if !errors.As(err, &src.failed) { // Read's errors are Findings
			src.failed = &scopefile.Finding{Code: scopefile.Malformed, Severity: scope.SeverityError, Pos: scopefile.Pos{Line: 1, Column: 1, UTF16Column: 1}, Message: err.Error()}
		}
		return src
	}
	src.in = in
	return src
}

var errTooLarge = fmt.Errorf("larger than %d MiB", scopefile.MaxInputBytes>>20)

// readInput reads a file, or stdin for "-", up to scopefile.MaxInputBytes.
// A file must be a regular file: a FIFO or a device could block the
// command, or never end, so it is refused without being read (it is
// opened without blocking, to look at it). A file that does not exist
// gets a hint, since a scope given where a file is expected is the likely
// mistake.
func readInput(name string, stdin io.Reader) (string, []byte, error) {
	r := stdin
	shown := "<stdin>"
	if name != "-" {
		shown = name
		f, err := openRegular(name)
		if errors.Is(err, fs.ErrNotExist) {
			return shown, nil, fmt.Errorf("%w; to give a scope string rather than a file, use --scope", err)
		}
		if err != nil {
			return shown, nil, err
		}
		defer f.Close()
		r = f
	}
	data, err := io.ReadAll(io.LimitReader(r, scopefile.MaxInputBytes+1))
	if err != nil {
		return shown, nil, err
	}
	if len(data) > scopefile.MaxInputBytes {
		return shown, nil, fmt.Errorf("%s is %w; nothing in it was read", shown, errTooLarge)
	}
	return shown, data, nil
}

// openRegular opens a file for reading without blocking on it, and
// refuses it unless it is a regular file.
func openRegular(name string) (*os.File, error) {
	f, err := os.OpenFile(name, os.O_RDONLY|nonBlock, 0)
	if err != nil {
		return nil, err
	}
	info, err := f.Stat()
	if err == nil && !info.Mode().IsRegular() {
		err = fmt.Errorf("%s is not a regular file (%s), so it is not read", name, fileKind(info.Mode()))
	}
	if err != nil {
		f.Close()
		return nil, err
	}
	return f, nil
}

// fileKind names the type of a file that is not a regular one.
func fileKind(m fs.FileMode) string {
	switch {
	case m.IsDir():
		return "a directory"
	case m&fs.ModeNamedPipe != 0:
		return "a FIFO"
	case m&fs.ModeSocket != 0:
		return "a socket"
	case m&fs.ModeCharDevice != 0:
		return "a character device"
	case m&fs.ModeDevice != 0:
		return "a device"
	}
	return "of type " + m.Type().String()
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
	// utf16 is the column in UTF-16 code units, for SARIF; 0 when not
	// known, and then Column stands for it.
	utf16 int
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
// the wrong type, a part not read), and, when the command decides requests
// or containment, the findings that leave what is meant uncertain (a
// pasted form, which holds no access item as written and probably means
// something else, or an answer without scope, which the server filled
// with a scope not named here); then every parse error of its scopes at
// its input position.
func (s source) problems(deciding bool) []diagnostic {
	if s.failed != nil {
		return []diagnostic{s.failure()}
	}
	var out []diagnostic
	for _, f := range s.in.Findings {
		if f.Severity == scope.SeverityError || deciding && (f.Code == scopefile.PastedForm || f.Code == scopefile.NoScope) {
			out = append(out, diagnostic{File: s.name, Line: f.Pos.Line, Column: f.Pos.Column, utf16: f.Pos.UTF16Column, Code: string(f.Code), Message: f.Message})
		}
	}
	for _, sc := range s.in.Scopes {
		var list scope.ErrorList
		if _, err := scope.Parse(sc.Text); errors.As(err, &list) {
			for _, e := range list {
				p := sc.At(e.Offset)
				out = append(out, diagnostic{File: s.name, Line: p.Line, Column: p.Column, utf16: p.UTF16Column, Code: string(e.Code), Item: e.Item, Message: e.Message})
			}
		}
	}
	return out
}

// union is the scope a command that decides requests or containment uses
// from a source: the union of its scopes (a token policy allows what any
// of its allowedScopes does), or, when the source cannot be decided with,
// its problems, at the input's own lines and columns.
func (s source) union() (scope.Set, []diagnostic) {
	if ds := s.problems(true); len(ds) > 0 {
		return scope.Set{}, ds
	}
	texts := make([]string, len(s.in.Scopes))
	for i, sc := range s.in.Scopes {
		texts[i] = sc.Text
	}
	set, err := scope.Parse(strings.Join(texts, " "))
	if err != nil { // each scope parses, so their union does
		return scope.Set{}, []diagnostic{{File: s.name, Code: string(scope.Internal), Message: err.Error()}}
	}
	return set, nil
}

// severalPolicies is the code of an input that bounds another scope
// (suggest's --within-from, token's --policy, covers' --allowed-from) and
// holds the scopes of more than one policy or token.
const severalPolicies = "several-policies"

// bound is union for an input that bounds another scope: a token is
// granted within one token policy, so the scopes of one (its
// allowedScopes) are united, and an input that holds several policies,
// or scopes of several tokens or lines, is refused, since their union
// could pass what no one of them allows.
func (s source) bound() (scope.Set, []diagnostic) {
	if d := s.several(); d != nil {
		return scope.Set{}, []diagnostic{*d}
	}
	return s.union()
}

// several says where a source holds the scopes of a second policy, token
// or line, or nil when all are of one.
func (s source) several() *diagnostic {
	for _, sc := range s.in.Scopes[min(1, len(s.in.Scopes)):] {
		if first := s.in.Scopes[0]; sc.Group != first.Group {
			p := sc.At(0)
			return &diagnostic{File: s.name, Line: p.Line, Column: p.Column, utf16: p.UTF16Column, Code: severalPolicies,
				Message: fmt.Sprintf("holds the scopes of more than one token policy or token (%s, and %s): a token is granted within one, and their union could pass what no one of them allows; give an input that holds one", first.Where, sc.Where)}
		}
	}
	return nil
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
