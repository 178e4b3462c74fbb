// Package scopefile finds the scope strings in the forms they arrive in —
// token policies, token endpoint answers, introspection answers, JWTs and
// plain text — and maps every byte of each back to its line and column in
// the file, so that findings point into the file a reviewer has open.
package scopefile

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"unicode/utf16"
	"unicode/utf8"

	"github.com/golang-jwt/jwt/v5"

	"github.com/scopecheck/scopecheck/gateway"
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

// Pos is a position in a file: 1-based line and byte column.
type Pos struct{ Line, Column int }

// Scope is one scope string found in a file.
type Scope struct {
	Text string
	Form Form
	// Where is what holds it, such as `allowedScopes[2]` or `line 4`.
	Where string
	// at[i] is the file position of byte i of Text; at[len(Text)] is
	// just after it.
	at []Pos
	// Unverified is set for a JWT: its signature was not checked.
	Unverified bool
}

// At is the file position of byte offset off of the scope string.
func (s Scope) At(off int) Pos {
	if off < 0 {
		off = 0
	}
	if off >= len(s.at) {
		off = len(s.at) - 1
	}
	return s.at[off]
}

// Error is input that is not in any recognised form, with where it goes
// wrong.
type Error struct {
	Pos Pos
	Msg string
}

func (e *Error) Error() string { return fmt.Sprintf("%d:%d: %s", e.Pos.Line, e.Pos.Column, e.Msg) }

// Read finds the scopes in data. JSON is recognised by its first
// non-space byte ('{' or '['), a JWT by its shape (three base64url parts
// separated by '.'), and anything else is plain text with one scope per
// line. Malformed input is an *Error; no scope of it is returned.
func Read(data []byte) ([]Scope, error) {
	lines := newLineIndex(data)
	trimmed := bytes.TrimSpace(data)
	switch {
	case len(trimmed) > 0 && (trimmed[0] == '{' || trimmed[0] == '['):
		return readJSON(data, lines)
	case jwtShape.Match(trimmed):
		return readJWT(data, trimmed, lines)
	}
	return readText(data, lines), nil
}

var jwtShape = regexp.MustCompile(`^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*$`)

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

// readText takes every line as a scope. A '#' at the start of a line or
// after a space or tab begins a comment to the end of the line, and the
// blanks before it are not part of the scope; a line left blank is
// skipped. (A '#' inside an item, as in a plain item "x#y", is the item's.)
func readText(data []byte, lines lineIndex) []Scope {
	var out []Scope
	start := 0
	for n := 1; start <= len(data); n++ {
		end := bytes.IndexByte(data[start:], '\n')
		if end < 0 {
			end = len(data)
		} else {
			end += start
		}
		line := strings.TrimSuffix(string(data[start:end]), "\r")
		for i := 0; i < len(line); i++ {
			if line[i] == '#' && (i == 0 || line[i-1] == ' ' || line[i-1] == '\t') {
				line = strings.TrimRight(line[:i], " \t")
				break
			}
		}
		if strings.TrimLeft(line, " \t") != "" {
			s := Scope{Text: line, Form: Text, Where: fmt.Sprintf("line %d", n)}
			for i := 0; i <= len(line); i++ {
				s.at = append(s.at, Pos{n, i + 1})
			}
			out = append(out, s)
		}
		if end == len(data) {
			break
		}
		start = end + 1
	}
	return out
}

func readJWT(data, token []byte, lines lineIndex) ([]Scope, error) {
	at := lines.pos(bytes.Index(data, token))
	var claims jwt.MapClaims
	if _, _, err := jwt.NewParser().ParseUnverified(string(token), &claims); err != nil {
		return nil, &Error{at, "JWT does not decode: " + err.Error()}
	}
	text, err := gateway.ScopeClaim(claims)
	if err != nil {
		return nil, &Error{at, err.Error()}
	}
	// Positions inside a base64 payload mean nothing to a reader: every
	// byte points at the token.
	s := Scope{Text: text, Form: JWT, Where: "JWT payload", Unverified: true}
	for i := 0; i <= len(text); i++ {
		s.at = append(s.at, at)
	}
	return []Scope{s}, nil
}

// readJSON walks the document once with a streaming decoder, noting where
// each string value starts, then picks the scope strings by the shape of
// the document.
func readJSON(data []byte, lines lineIndex) ([]Scope, error) {
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	w := walker{data: data, dec: dec, lines: lines, strs: map[string]int{}}
	doc, err := w.value("")
	if err != nil {
		// The streaming decoder's offsets are not all absolute, and it
		// reports a truncated document as EOF; Unmarshal of the whole
		// document says what and where exactly.
		var v any
		uerr := json.Unmarshal(data, &v)
		var syn *json.SyntaxError
		if errors.As(uerr, &syn) {
			off := int(syn.Offset)
			if off > 0 && off <= len(data) && syn.Error() != "unexpected end of JSON input" {
				off-- // Offset is just past the offending byte
			}
			return nil, &Error{lines.pos(off), "invalid JSON: " + syn.Error()}
		}
		return nil, &Error{lines.pos(int(dec.InputOffset())), "invalid JSON: " + err.Error()}
	}
	if _, err := dec.Token(); err == nil {
		return nil, &Error{lines.pos(int(dec.InputOffset())), "invalid JSON: more than one value"}
	}
	var out []Scope
	scopeAt := func(path string, form Form) error {
		off, ok := w.strs[path]
		if !ok {
			return &Error{lines.pos(0), fmt.Sprintf("%s is not a string", path)}
		}
		s := w.decodeString(off)
		s.Form, s.Where = form, path
		out = append(out, s)
		return nil
	}
	policy := func(prefix string, v any) error {
		obj, ok := v.(map[string]any)
		if !ok {
			return &Error{lines.pos(0), prefix + " is not a token policy object"}
		}
		arr, ok := obj["allowedScopes"].([]any)
		if !ok {
			return &Error{lines.pos(0), prefix + "allowedScopes is missing or not an array"}
		}
		for i := range arr {
			if err := scopeAt(fmt.Sprintf("%sallowedScopes[%d]", prefix, i), Policy); err != nil {
				return err
			}
		}
		return nil
	}
	switch v := doc.(type) {
	case []any:
		for i, p := range v {
			if err := policy(fmt.Sprintf("[%d].", i), p); err != nil {
				return nil, err
			}
		}
	case map[string]any:
		switch {
		case v["allowedScopes"] != nil:
			err = policy("", v)
		case v["access_token"] != nil:
			err = checkExpiresIn(v, lines)
			if err == nil {
				err = scopeAt("scope", TokenAnswer)
			}
		case v["active"] != nil:
			if active, _ := v["active"].(bool); active && v["scope"] != nil {
				err = scopeAt("scope", Introspection)
			}
		default:
			err = &Error{lines.pos(0), "JSON is neither a token policy (allowedScopes), a token answer (access_token) nor an introspection answer (active)"}
		}
		if err != nil {
			return nil, err
		}
	default:
		return nil, &Error{lines.pos(0), "JSON document is not an object or an array"}
	}
	return out, nil
}

// checkExpiresIn accepts expires_in as a number or a numeric string, as
// servers send both.
func checkExpiresIn(v map[string]any, lines lineIndex) error {
	switch e := v["expires_in"].(type) {
	case nil, json.Number:
		return nil
	case string:
		if _, err := json.Number(e).Int64(); err == nil {
			return nil
		}
	}
	return &Error{lines.pos(0), "expires_in is neither a number nor a numeric string"}
}

// walker decodes a JSON document into plain values and records, for each
// string value, the offset of its opening quote under its path
// (`allowedScopes[0]`, `[1].allowedScopes[2]`, `scope`).
type walker struct {
	data  []byte
	dec   *json.Decoder
	lines lineIndex
	strs  map[string]int
}

func (w *walker) value(path string) (any, error) {
	before := int(w.dec.InputOffset())
	tok, err := w.dec.Token()
	if err != nil {
		return nil, err
	}
	switch t := tok.(type) {
	case json.Delim:
		if t == '[' {
			var arr []any
			for i := 0; w.dec.More(); i++ {
				v, err := w.value(fmt.Sprintf("%s[%d]", path, i))
				if err != nil {
					return nil, err
				}
				arr = append(arr, v)
			}
			_, err := w.dec.Token()
			return arr, err
		}
		obj := map[string]any{}
		for w.dec.More() {
			k, err := w.dec.Token()
			if err != nil {
				return nil, err
			}
			key, _ := k.(string)
			sub := key
			if path != "" {
				sub = path + "." + key
			}
			v, err := w.value(sub)
			if err != nil {
				return nil, err
			}
			obj[key] = v
		}
		_, err := w.dec.Token()
		return obj, err
	case string:
		// The literal starts at the first quote after the separators.
		off := before
		for off < len(w.data) && w.data[off] != '"' {
			off++
		}
		w.strs[path] = off
		return t, nil
	}
	return tok, nil
}

// decodeString decodes the JSON string literal at off, keeping for each
// decoded byte the file position of the source character it came from.
func (w *walker) decodeString(off int) Scope {
	var s Scope
	var b []byte
	i := off + 1
	for i < len(w.data) && w.data[i] != '"' {
		p := w.lines.pos(i)
		c := w.data[i]
		if c != '\\' {
			b = append(b, c)
			s.at = append(s.at, p)
			i++
			continue
		}
		if i+1 >= len(w.data) {
			break
		}
		switch e := w.data[i+1]; e {
		case 'u':
			r, n := w.unicodeEscape(i)
			var enc [4]byte
			k := utf8.EncodeRune(enc[:], r)
			for j := 0; j < k; j++ {
				b = append(b, enc[j])
				s.at = append(s.at, p)
			}
			i += n
			continue
		default:
			b = append(b, map[byte]byte{'"': '"', '\\': '\\', '/': '/', 'b': '\b', 'f': '\f', 'n': '\n', 'r': '\r', 't': '\t'}[e])
			s.at = append(s.at, p)
			i += 2
		}
	}
	s.at = append(s.at, w.lines.pos(i))
	s.Text = string(b)
	return s
}

// unicodeEscape decodes \uXXXX at i (with a following low surrogate when
// it is a high one) and returns the rune and the bytes it spans.
func (w *walker) unicodeEscape(i int) (rune, int) {
	hex4 := func(at int) (rune, bool) {
		if at+6 > len(w.data) || w.data[at] != '\\' || w.data[at+1] != 'u' {
			return 0, false
		}
		v, err := strconv.ParseUint(string(w.data[at+2:at+6]), 16, 32)
		return rune(v), err == nil
	}
	r, ok := hex4(i)
	if !ok {
		return utf8.RuneError, 2
	}
	if utf16.IsSurrogate(r) {
		if lo, ok := hex4(i + 6); ok {
			if d := utf16.DecodeRune(r, lo); d != utf8.RuneError {
				return d, 12
			}
		}
		return utf8.RuneError, 6
	}
	return r, 6
}

// FromString is a scope given on its own, such as a command-line flag: its
// bytes are on line 1, at columns from 1.
func FromString(s string) Scope {
	sc := Scope{Text: s, Form: Text, Where: "argument"}
	for i := 0; i <= len(s); i++ {
		sc.at = append(sc.at, Pos{1, i + 1})
	}
	return sc
}
