// Package scopefile finds the scope strings in the forms they arrive in —
// token policies, token endpoint answers, introspection answers, JWTs and
// plain text — and maps every byte of each back to its line and column in
// the input, so that findings point into the file a reviewer has open.
//
// A scope string is read as written, never as what it probably meant: a
// string pasted in a form (shell quotes, a form field, URL-encoding, a
// command line) is recognised and named in a finding, but the scope read
// is the string itself, which is what a server given it would read.
//
// Reading is bounded: an input of at most MaxInputBytes, at most
// MaxScopes scopes and MaxFindings findings from it, and memory and time
// linear in its size; past a bound, a too-large finding says what was not
// read.
package scopefile

import (
	"bytes"
	"fmt"

	"github.com/scopecheck/scopecheck/scope"
)

// Form names the kind of input a scope was found in.
type Form string

const (
	Policy        Form = "token-policy"
	TokenAnswer   Form = "token-answer"
	Introspection Form = "introspection"
	JWT           Form = "jwt"
	Text          Form = "text"
)

// The bounds of reading one input.
const (
	// MaxInputBytes bounds an input; a larger one is not read.
	MaxInputBytes = 16 << 20
	// MaxScopes bounds the scopes read from one input; the rest of the
	// input is not read.
	MaxScopes = 10_000
	// MaxFindings bounds the findings about one input; the rest of the
	// input is not read.
	MaxFindings = 1_000
	// maxShown bounds the text of an input (a member name, a pointer, a
	// probable scope) that a message quotes; the middle of a longer one
	// is left out.
	maxShown = 120
)

// The codes of findings about an input itself, beside scope.Lint's codes
// for the scopes in it. An input that exceeds a bound gets scope.TooLarge.
const (
	// Unreadable: the input cannot be read (no such file, not a regular
	// file).
	Unreadable scope.Code = "unreadable"
	// Malformed: the input is not valid in its form: invalid JSON, more
	// than one JSON document, a JWT that does not decode.
	Malformed scope.Code = "malformed"
	// UnknownForm: valid JSON or a token, but of no form that holds a
	// scope: JSON without allowedScopes, access_token or active, a JWT
	// without a scope or scp claim.
	UnknownForm scope.Code = "unknown-form"
	// WrongType: a member that a form defines has another JSON type (a
	// scope that is not a string, expires_in that is not a number).
	WrongType scope.Code = "wrong-type"
	// DuplicateKey: an object names a member twice, exactly or in a
	// spelling some server takes for it (other case, Unicode folding,
	// dashes or underscores, a NUL and more after it). Servers disagree
	// on which one wins, so every copy is read and the input is an error.
	DuplicateKey scope.Code = "duplicate-key"
	// ScopeMismatch: two members that each say what a token grants (an
	// answer's scope and its JWT access token's claim, a JWT's scope and
	// scp claims) say different things.
	ScopeMismatch scope.Code = "scope-mismatch"
	// NoScope: a token or introspection answer without a scope member.
	NoScope scope.Code = "no-scope"
	// UnverifiedJWT: a scope read from a JWT whose signature is not checked.
	UnverifiedJWT scope.Code = "unverified-jwt"
	// PastedForm: text that looks pasted from somewhere (a form field,
	// shell quotes, URL-encoding, a Bearer header, a command line) and,
	// read as written, holds no access item; the finding shows the scope
	// it probably holds, which is not what is read.
	PastedForm scope.Code = "pasted-form"
	// ByteOrderMark: the input begins with a UTF-8 byte order mark, which
	// JSON forbids; it is skipped.
	ByteOrderMark scope.Code = "byte-order-mark"
)

// CodeInfo is a code's severity and a sentence on what it means and what
// to do.
type CodeInfo struct {
	Severity scope.Severity
	Help     string
}

// Codes describes every code of this package.
var Codes = map[scope.Code]CodeInfo{
	Unreadable:    {scope.SeverityError, "The input could not be read (it does not exist, or is not a regular file); nothing in it was linted."},
	Malformed:     {scope.SeverityError, "The input is not valid JSON, or not a decodable JWT; nothing in it (or in that token) was linted."},
	UnknownForm:   {scope.SeverityError, "The input is of no form that holds a scope: a token policy (allowedScopes), a token or introspection answer (access_token, active), a JWT with a scope or scp claim, or text."},
	WrongType:     {scope.SeverityError, "A member has the wrong JSON type, such as a scope that is not a string; servers reject it or read it differently."},
	DuplicateKey:  {scope.SeverityError, "An object names a member twice, or in a spelling that some servers take for it (case, Unicode folding, '-' or '_', a NUL); servers disagree on which copy wins, so each copy is linted and the object must be fixed."},
	ScopeMismatch: {scope.SeverityError, "Two members that each say what a token grants disagree: a token answer's scope and its JWT access token's claim, or a JWT's scope and scp claims; the client, the issuer and the gateway may each go by a different one."},
	NoScope:       {scope.SeverityInfo, "The answer has no scope: the server granted the scope the client asked for, or, when it asked for none, the client's default scope (RFC 6749 §5.1, §3.3)."},
	UnverifiedJWT: {scope.SeverityInfo, "The scope was read from a JWT whose signature is not verified here; verify the token before trusting what it grants."},
	PastedForm:    {scope.SeverityWarning, "The text looks pasted (a form field, shell quotes, URL-encoding, a Bearer header, a command line) and, read as written, holds no access item; the scope it probably holds is shown, but what is linted is the text as written, which is what a server given it reads."},
	ByteOrderMark: {scope.SeverityWarning, "The input begins with a UTF-8 byte order mark, which JSON forbids (RFC 8259 §8.1): some servers reject the document, others skip the mark. It was skipped here; remove it."},
}

// Incomplete reports whether a finding of code c means that some of an
// input could not be read or linted: the input could not be read, is
// malformed or of no known form, or exceeds a bound. Commands exit with
// status 2 on such a finding, and SARIF reports it as a tool execution
// notification too.
func Incomplete(c scope.Code) bool {
	return c == Unreadable || c == Malformed || c == UnknownForm || c == scope.TooLarge
}

// severity is the severity of any code this package reports.
func severity(c scope.Code) scope.Severity {
	if info, ok := Codes[c]; ok {
		return info.Severity
	}
	return scope.LintCodes[c]
}

// Scope is one scope string found in an input.
type Scope struct {
	Text string
	Form Form
	// Where is what holds it: an RFC 6901 JSON Pointer such as
	// "/allowedScopes/2", "line 4", "argument", or a JWT's claim such as
	// "line 2: JWT claim scope" or "/access_token: JWT claim scp".
	Where string
	// Group is the same for the scopes of one token policy (its
	// allowedScopes, every copy of them), and different for every other
	// scope: a token may be granted any part of a policy's union.
	Group int
	// Unverified is set for a JWT: its signature was not checked.
	Unverified bool
	at         posMap
	pos        *posIndex
}

// At is the input position of byte offset off of the scope string,
// clamped to the string.
func (s Scope) At(off int) Pos { return s.pos.pos(s.Offset(off)) }

// Offset is the input offset of the source of byte offset off of the
// scope string, clamped to the string.
func (s Scope) Offset(off int) int { return s.at.at(max(off, 0), len(s.Text)) }

// Linear reports whether bytes [i, j) of the scope string are the input's
// bytes [Offset(i), Offset(i)+j-i) as they stand, with no escape or
// decoding between: only then can an edit of the scope be made in place.
func (s Scope) Linear(i, j int) bool {
	if i < 0 || j > len(s.Text) || i >= j {
		return false
	}
	a := s.Offset(i)
	for k := i + 1; k <= j; k++ {
		if s.Offset(k) != a+k-i {
			return false
		}
	}
	return true
}

// Finding is something about an input itself, at its position. A
// *Finding is also the error Read returns for an input it cannot read
// at all.
type Finding struct {
	Code     scope.Code
	Severity scope.Severity
	Offset   int // byte offset in the input
	Pos      Pos
	Message  string
}

func (f *Finding) Error() string {
	return fmt.Sprintf("%d:%d: %s", f.Pos.Line, f.Pos.Column, f.Message)
}

// Input is what Read finds in one input: its scopes, in order, and the
// findings about the input itself, in order of position.
type Input struct {
	Scopes   []Scope
	Findings []Finding
	pos      *posIndex
}

// Pos is the position of an input offset.
func (in Input) Pos(off int) Pos {
	if in.pos == nil {
		return Pos{1, 1, 1}
	}
	return in.pos.pos(off)
}

// Err is the first finding of severity error, or nil. An input with one
// (a duplicate key, a scope that is not a string) is not read alike by
// every server, so commands that decide with its scopes refuse it.
func (in Input) Err() error {
	for i := range in.Findings {
		if in.Findings[i].Severity == scope.SeverityError {
			return &in.Findings[i]
		}
	}
	return nil
}

// reader collects one input's scopes and findings.
type reader struct {
	pos    *posIndex
	in     Input
	groups int
	// full is set when a bound is reached: nothing more is read.
	full bool
	// fixed, when not negative, is the input offset that every position
	// of what is being read maps to: the token whose payload it is.
	fixed int
	// claim names the JWT claim being read, for messages.
	within string
}

func newReader(data []byte, first int) *reader {
	p := newPosIndex(data, first)
	return &reader{pos: p, in: Input{pos: p}, fixed: -1}
}

// at maps an offset of what is being read to the input.
func (r *reader) at(off int) int {
	if r.fixed >= 0 {
		return r.fixed
	}
	return off
}

func (r *reader) finding(code scope.Code, off int, format string, args ...any) Finding {
	off = r.at(off)
	msg := fmt.Sprintf(format, args...)
	if r.within != "" {
		msg = r.within + ": " + msg
	}
	return Finding{Code: code, Severity: severity(code), Offset: off, Pos: r.pos.pos(off), Message: msg}
}

// note records a finding, up to MaxFindings; the one past the bound
// stops the reading.
func (r *reader) note(code scope.Code, off int, format string, args ...any) {
	if r.full {
		return
	}
	if len(r.in.Findings) == MaxFindings {
		r.stop(off, "more than %d findings about the input; the rest of it is not read", MaxFindings)
		return
	}
	r.in.Findings = append(r.in.Findings, r.finding(code, off, format, args...))
}

// stop records a too-large finding and stops the reading.
func (r *reader) stop(off int, format string, args ...any) {
	if !r.full {
		r.in.Findings = append(r.in.Findings, r.finding(scope.TooLarge, off, format, args...))
		r.full = true
	}
}

func (r *reader) fail(code scope.Code, off int, format string, args ...any) error {
	f := r.finding(code, off, format, args...)
	return &f
}

// addScope records a scope, up to MaxScopes; the one past the bound stops
// the reading.
func (r *reader) addScope(s Scope) {
	if r.full {
		return
	}
	if len(r.in.Scopes) == MaxScopes {
		r.stop(int(s.at.at(0, len(s.Text))), "more than %d scopes in the input; the rest of it is not read", MaxScopes)
		return
	}
	if s.Group == 0 {
		r.groups++
		s.Group = r.groups
	}
	s.pos = r.pos
	r.in.Scopes = append(r.in.Scopes, s)
}

// group starts a new group of scopes, for one token policy.
func (r *reader) group() int {
	r.groups++
	return r.groups
}

var bom = []byte("\xEF\xBB\xBF")

// Read finds the scopes in data. JSON is recognised by its first non-space
// byte ('{' or '['); anything else is text with one scope per line, where
// a line may also be a JWT, alone or in a Bearer header. An input that is
// not valid JSON, or JSON of no known form, or larger than MaxInputBytes,
// is a *Finding error, and nothing of it is returned; every other problem
// is a finding of the Input, and the rest of the input is still read, up
// to the bounds.
func Read(data []byte) (Input, error) {
	first := 0
	if bytes.HasPrefix(data, bom) {
		first = len(bom)
	}
	r := newReader(data, first)
	if len(data) > MaxInputBytes {
		return Input{}, r.fail(scope.TooLarge, 0, "the input is larger than %d MiB; nothing in it was read", MaxInputBytes>>20)
	}
	if first > 0 {
		r.note(ByteOrderMark, first, "the input begins with a UTF-8 byte order mark, which JSON forbids and some servers reject; it is skipped here")
	}
	body := data[first:]
	trimmed := bytes.TrimLeft(body, " \t\r\n")
	if len(trimmed) > 0 && (trimmed[0] == '{' || trimmed[0] == '[') {
		if err := r.readJSON(body, first); err != nil {
			return Input{}, err
		}
		return r.in, nil
	}
	r.readText(data, first)
	return r.in, nil
}

// FromString reads a scope given on its own, such as a command-line flag:
// its bytes are at columns from 1 of line 1 (and of the lines after any
// newline in it, a bad byte of the scope). The string is the scope, as
// written, whatever it looks like: a JWT or a Bearer header given here is
// a scope of plain items, and, like any string that looks pasted and holds
// no access item, gets a pasted-form finding that names what it probably
// meant.
func FromString(s string) Input {
	r := newReader([]byte(s), 0)
	r.line(s, 0, "argument", true)
	return r.in
}

// shorten quotes s for a message, leaving out the middle of a long one.
func shorten(s string) string {
	if len(s) > maxShown {
		s = s[:maxShown/2] + "…" + s[len(s)-maxShown/2:]
	}
	return fmt.Sprintf("%q", s)
}
