// Package scopefile finds the scope strings in the forms they arrive in —
// token policies, token endpoint answers, introspection answers, JWTs and
// plain text, pasted as they were — and maps every byte of each back to its
// line and column in the input, so that findings point into the file a
// reviewer has open.
package scopefile

import (
	"bytes"
	"fmt"
	"regexp"

	"github.com/golang-jwt/jwt/v5"

	"github.com/scopecheck/scopecheck/gateway"
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

// The codes of findings about an input itself, beside scope.Lint's codes
// for the scopes in it.
const (
	// Unreadable: the input cannot be read (no such file, too large).
	Unreadable scope.Code = "unreadable"
	// Malformed: the input is not valid in its form: invalid JSON, more
	// than one JSON document, a JWT that does not decode.
	Malformed scope.Code = "malformed"
	// UnknownForm: valid JSON or a token, but of no form that holds a
	// scope: JSON without allowedScopes, access_token or active, a JWT
	// without a scope or scp claim, a Bearer token that is not a JWT.
	UnknownForm scope.Code = "unknown-form"
	// WrongType: a member that a form defines has another JSON type (a
	// scope that is not a string, expires_in that is not a number).
	WrongType scope.Code = "wrong-type"
	// DuplicateKey: an object names a member twice. Servers disagree on
	// which one wins, so every copy is read and the input is an error.
	DuplicateKey scope.Code = "duplicate-key"
	// NoScope: a token or introspection answer without a scope member.
	NoScope scope.Code = "no-scope"
	// UnverifiedJWT: a scope read from a JWT whose signature is not checked.
	UnverifiedJWT scope.Code = "unverified-jwt"
	// PastedForm: text that is a scope wrapped as it was pasted (a form
	// field, shell quotes, URL-encoding); the scope inside is read.
	PastedForm scope.Code = "pasted-form"
)

// CodeInfo is a code's severity and a sentence on what it means and what
// to do.
type CodeInfo struct {
	Severity scope.Severity
	Help     string
}

// Codes describes every code of this package.
var Codes = map[scope.Code]CodeInfo{
	Unreadable:    {scope.SeverityError, "The input could not be read; nothing in it was linted."},
	Malformed:     {scope.SeverityError, "The input is not valid JSON, or not a decodable JWT; nothing in it (or in that token) was linted."},
	UnknownForm:   {scope.SeverityError, "The input is of no form that holds a scope: a token policy (allowedScopes), a token or introspection answer (access_token, active), a JWT with a scope or scp claim, or text."},
	WrongType:     {scope.SeverityError, "A member has the wrong JSON type, such as a scope that is not a string; servers reject it or read it differently."},
	DuplicateKey:  {scope.SeverityError, "An object names the same member twice; servers disagree on which copy wins, so each copy is linted and the object must be fixed."},
	NoScope:       {scope.SeverityInfo, "The answer has no scope: the server granted the scope the client asked for, or, when it asked for none, the client's default scope (RFC 6749 §5.1, §3.3)."},
	UnverifiedJWT: {scope.SeverityInfo, "The scope was read from a JWT whose signature is not verified here; verify the token before trusting what it grants."},
	PastedForm:    {scope.SeverityWarning, "The text is a scope wrapped as it was pasted (a form field, shell quotes, URL-encoding, a Bearer header); the scope inside is what was linted."},
}

// Pos is a position in an input: 1-based line and byte column.
type Pos struct{ Line, Column int }

// Scope is one scope string found in an input.
type Scope struct {
	Text string
	Form Form
	// Where is what holds it: an RFC 6901 JSON Pointer such as
	// "/allowedScopes/2", "line 4", "JWT payload" or "argument".
	Where string
	// at[i] is the input offset of the source of byte i of Text; at[len(Text)]
	// is just after it.
	at    []int32
	lines lineIndex
	// Unverified is set for a JWT: its signature was not checked.
	Unverified bool
}

// At is the input position of byte offset off of the scope string,
// clamped to the string.
func (s Scope) At(off int) Pos {
	off = min(max(off, 0), len(s.at)-1)
	return s.lines.pos(int(s.at[off]))
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
	lines lineIndex
	in    Input
}

func (r *reader) note(code scope.Code, off int, format string, args ...any) {
	r.in.Findings = append(r.in.Findings, Finding{Code: code, Severity: Codes[code].Severity, Offset: off,
		Pos: r.lines.pos(off), Message: fmt.Sprintf(format, args...)})
}

func (r *reader) fail(code scope.Code, off int, format string, args ...any) error {
	return &Finding{Code: code, Severity: Codes[code].Severity, Offset: off, Pos: r.lines.pos(off), Message: fmt.Sprintf(format, args...)}
}

// Read finds the scopes in data. JSON is recognised by its first non-space
// byte ('{' or '['); anything else is text with one scope per line, where
// a line may also be a JWT, a Bearer header, or a scope wrapped as it was
// pasted. An input that is not valid JSON, or JSON of no known form, is a
// *Finding error, and nothing of it is returned; every other problem is a
// finding of the Input, and the rest of the input is still read.
func Read(data []byte) (Input, error) {
	r := &reader{lines: newLineIndex(data)}
	trimmed := bytes.TrimLeft(data, " \t\r\n")
	if len(trimmed) > 0 && (trimmed[0] == '{' || trimmed[0] == '[') {
		if err := r.readJSON(data); err != nil {
			return Input{}, err
		}
		return r.in, nil
	}
	r.readText(data)
	return r.in, nil
}

// FromString reads a scope given on its own, such as a command-line flag:
// its bytes are on line 1, at columns from 1. It is read as a text line
// is, so that a pasted token or wrapped scope is recognised, except that
// '#' begins no comment and an empty string is the empty scope.
func FromString(s string) Input {
	r := &reader{lines: lineIndex{0}}
	r.line(s, 0, "argument", true)
	return r.in
}

// jwtShape is a JWT's compact form: three base64url parts, the first a
// JSON object header, whose encoding begins "eyJ" (`{"`), so that a
// dotted plain scope such as "eyewear.orders.read" is not taken for one.
var jwtShape = regexp.MustCompile(`^eyJ[A-Za-z0-9_-]*\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*$`)

// readJWT reads the scope of the token at offset off, unverified.
func (r *reader) readJWT(token string, off int) {
	var claims jwt.MapClaims
	if _, _, err := jwt.NewParser().ParseUnverified(token, &claims); err != nil {
		r.note(Malformed, off, "JWT does not decode: %v", err)
		return
	}
	text, err := gateway.ScopeClaim(claims)
	if err != nil {
		r.note(UnknownForm, off, "%v", err)
		return
	}
	r.note(UnverifiedJWT, off, "scopes read from a JWT payload; its signature is not verified here")
	// Positions inside a base64 payload mean nothing to a reader: every
	// byte points at the token.
	s := Scope{Text: text, Form: JWT, Where: "JWT payload", Unverified: true, lines: r.lines}
	s.at = make([]int32, len(text)+1)
	for i := range s.at {
		s.at[i] = int32(off)
	}
	r.in.Scopes = append(r.in.Scopes, s)
}

// lineIndex turns byte offsets into line and column.
type lineIndex []int // offsets where lines start

func newLineIndex(data []byte) lineIndex {
	idx := lineIndex{0}
	for i, b := range data {
		if b == '\n' {
			idx = append(idx, i+1)
		}
	}
	return idx
}

func (l lineIndex) pos(off int) Pos {
	lo, hi := 0, len(l)-1
	for lo < hi {
		mid := (lo + hi + 1) / 2
		if l[mid] <= off {
			lo = mid
		} else {
			hi = mid - 1
		}
	}
	return Pos{Line: lo + 1, Column: off - l[lo] + 1}
}
