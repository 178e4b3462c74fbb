package scopefile

import (
	"bytes"
	"fmt"
	"net/url"
	"regexp"
	"strings"

	"github.com/scopecheck/scopecheck/scope"
)

// readText takes every line as a scope. A '#' at the start of a line or
// after a space or tab begins a comment to the end of the line, and the
// blanks before it are not part of the scope; a line left blank is
// skipped. (A '#' inside an item, as in a plain item "x#y", is the item's.)
func (r *reader) readText(data []byte) {
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
			r.line(line, start, fmt.Sprintf("line %d", n), false)
		}
		if end == len(data) {
			break
		}
		start = end + 1
	}
}

// span is text with the input offset of the source of each of its bytes,
// and at[len(text)] just after it.
type span struct {
	text string
	at   []int32
}

func newSpan(s string, off int) span {
	at := make([]int32, len(s)+1)
	for i := range at {
		at[i] = int32(off + i)
	}
	return span{s, at}
}

func (s span) slice(i, j int) span { return span{s.text[i:j], s.at[i : j+1]} }

// bearer is a pasted Authorization header or its credentials: the token
// is the last group. Scheme and header names are case-insensitive (RFC
// 9110 §11.1, §5.1).
var bearer = regexp.MustCompile(`^[ \t]*(?i:(?:authorization[ \t]*:[ \t]*)?bearer)[ \t]+(\S+)[ \t]*$`)

// line reads one line of text (or an argument, whole) at input offset off:
// a JWT or a Bearer header is read as its token; a scope wrapped as it was
// pasted is unwrapped, with a pasted-form finding that shows it; anything
// else is a scope as it stands.
func (r *reader) line(text string, off int, where string, whole bool) {
	s := newSpan(text, off)
	var wraps []string
	for range 4 { // each wrapping is undone once; nesting deeper is not pasting
		trimmed := strings.Trim(s.text, " \t")
		lead := strings.Index(s.text, trimmed)
		if jwtShape.MatchString(trimmed) {
			r.readJWT(trimmed, int(s.at[lead]))
			return
		}
		if m := bearer.FindStringSubmatchIndex(s.text); m != nil {
			tok := s.text[m[2]:m[3]]
			if !jwtShape.MatchString(tok) {
				r.note(UnknownForm, int(s.at[m[2]]), "a Bearer token that is not a JWT holds no scope that can be read here; ask its issuer (RFC 7662 introspection)")
				return
			}
			r.readJWT(tok, int(s.at[m[2]]))
			return
		}
		if u, ok := unwrapQuotes(s); ok {
			s, wraps = u, append(wraps, "in shell quotes")
			continue
		}
		if u, ok := formField(s); ok {
			s, wraps = u, append(wraps, "a form field (scope=…)")
			continue
		}
		if u, ok := urlDecoded(s); ok {
			s, wraps = u, append(wraps, "URL-encoded")
			continue
		}
		break
	}
	if len(wraps) > 0 {
		what := "the line"
		if whole {
			what = "the argument"
		}
		r.note(PastedForm, off, "%s is %s, not a scope as a server reads it; the scope it holds is probably %q, which is what is linted",
			what, strings.Join(wraps, ", "), s.text)
	}
	r.in.Scopes = append(r.in.Scopes, Scope{Text: s.text, Form: Text, Where: where, at: s.at, lines: r.lines})
}

// unwrapQuotes takes the text out of the shell quotes around it.
func unwrapQuotes(s span) (span, bool) {
	i, j := 0, len(s.text)
	for i < j && (s.text[i] == ' ' || s.text[i] == '\t') {
		i++
	}
	for j > i && (s.text[j-1] == ' ' || s.text[j-1] == '\t') {
		j--
	}
	if j-i < 2 || (s.text[i] != '\'' && s.text[i] != '"') || s.text[j-1] != s.text[i] {
		return s, false
	}
	return s.slice(i+1, j-1), true
}

// formField takes the value of the scope field out of a form body
// (application/x-www-form-urlencoded, as a token request sends it), "+"
// and escapes decoded.
func formField(s span) (span, bool) {
	start := 0
	for _, field := range strings.Split(s.text, "&") {
		if strings.HasPrefix(field, "scope=") {
			return decode(s.slice(start+len("scope="), start+len(field)), url.QueryUnescape)
		}
		start += len(field) + 1
	}
	return s, false
}

// urlDecoded decodes a scope that was URL-encoded whole: only when the
// text as it stands holds no valid access item and its decoding is a
// valid scope that does, since escapes are legitimate in patterns.
func urlDecoded(s span) (span, bool) {
	if !strings.Contains(s.text, "%") || accessItems(s.text) {
		return s, false
	}
	d, ok := decode(s, url.PathUnescape)
	if !ok || d.text == s.text || !accessItems(d.text) {
		return s, false
	}
	return d, true
}

// accessItems reports whether t is a valid scope with an access item.
func accessItems(t string) bool {
	set, err := scope.Parse(t)
	if err != nil {
		return false
	}
	for _, it := range set.Items() {
		if it.Class != scope.Plain {
			return true
		}
	}
	return false
}

// decode unescapes s one unit at a time with unescape (a "%XX" escape, or
// one byte, which for url.QueryUnescape includes "+"), so that each
// decoded byte keeps the position of its escape.
func decode(s span, unescape func(string) (string, error)) (span, bool) {
	var b strings.Builder
	var at []int32
	for i := 0; i < len(s.text); {
		n := 1
		if s.text[i] == '%' {
			n = 3
		}
		if i+n > len(s.text) {
			return s, false
		}
		d, err := unescape(s.text[i : i+n])
		if err != nil {
			return s, false
		}
		b.WriteString(d)
		for range d {
			at = append(at, s.at[i])
		}
		i += n
	}
	return span{b.String(), append(at, s.at[len(s.text)])}, true
}
