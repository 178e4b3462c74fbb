package scopefile

import (
	"bytes"
	"net/url"
	"regexp"
	"strconv"
	"strings"

	"github.com/scopecheck/scopecheck/scope"
)

// readText takes every line, from input offset first on, as a scope. A
// '#' at the start of a line or after a space or tab begins a comment to
// the end of the line, and the blanks before it are not part of the
// scope; a line left blank is skipped. (A '#' inside an item, as in a
// plain item "x#y", is the item's.)
func (r *reader) readText(data []byte, first int) {
	start := first
	for n := 1; start <= len(data) && !r.full; n++ {
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
			r.line(line, start, "line "+strconv.Itoa(n), false)
		}
		if end == len(data) {
			break
		}
		start = end + 1
	}
}

// bearer is a pasted Authorization header or its credentials: the token
// is the group. Scheme and header names are case-insensitive (RFC 9110
// §11.1, §5.1).
var bearer = regexp.MustCompile(`^(?i:(?:authorization[ \t]*:[ \t]*)?bearer)[ \t]+(\S+)$`)

// line reads one line of text, or an argument whole, at input offset off.
//
// The line is the scope, as written. Only a line of a file that is a JWT,
// alone or as the token of a Bearer header, is read as that token: no
// scope is written so, and as a scope it would be plain items that grant
// nothing. A line, or an argument, that looks pasted and, as written,
// holds no access item gets a pasted-form finding that names what it
// probably meant; that is never what is read.
func (r *reader) line(text string, off int, where string, arg bool) {
	trimmed := strings.Trim(text, " \t")
	lead := strings.Index(text, trimmed)
	if !arg && strings.Contains(trimmed, "eyJ") {
		if jwtShape.MatchString(trimmed) {
			r.readJWT(trimmed, off+lead, where, true)
			return
		}
		if m := bearer.FindStringSubmatchIndex(trimmed); m != nil && jwtShape.MatchString(trimmed[m[2]:m[3]]) {
			r.readJWT(trimmed[m[2]:m[3]], off+lead+m[2], where, true)
			return
		}
	}
	r.addScope(Scope{Text: text, Form: Text, Where: where, at: linearMap(off, len(text))})
	if holdsAccessItem(text) {
		return
	}
	if how, meant := pasted(trimmed, arg); how != "" {
		what := "the line"
		if arg {
			what = "the argument"
		}
		r.note(PastedForm, off+lead, "%s looks pasted (%s): read as written, which is how a server given it reads it, it holds no access item and grants no request; %s",
			what, how, meant)
	}
}

// holdsAccessItem reports whether some item of text, as written, is a
// valid access item.
func holdsAccessItem(text string) bool {
	for _, f := range strings.Split(text, " ") {
		if set, err := scope.Parse(f); err == nil && set.Len() == 1 && set.Item(0).Class != scope.Plain {
			return true
		}
	}
	return false
}

// pasted says how text (without blanks around it) looks pasted, and what
// it probably means, or "" when it does not. Each wrapping is undone at
// most once, as it was done once: shell quotes; then a Bearer header, a
// JWT inside a command line, a form field or URL query whose value is
// decoded once (as a token endpoint does), or URL-encoding of the whole.
func pasted(text string, arg bool) (how, meant string) {
	if !strings.ContainsAny(text, "'\"%=") && !strings.Contains(text, "eyJ") && !strings.Contains(strings.ToLower(text), "bearer") {
		return "", "" // none of the marks of a wrapping: no pattern need run
	}
	var hows []string
	if len(text) >= 2 && (text[0] == '\'' || text[0] == '"') && text[len(text)-1] == text[0] {
		text = strings.Trim(text[1:len(text)-1], " \t")
		hows = append(hows, "in shell quotes")
	}
	tell := func(h, m string) (string, string) {
		if h != "" {
			hows = append(hows, h)
		}
		return strings.Join(hows, ", "), m
	}
	switch m := bearer.FindStringSubmatch(text); {
	case m != nil && jwtShape.MatchString(m[1]):
		return tell("a Bearer header", "it holds "+claimsOf(m[1])+readHint(arg))
	case m != nil:
		return tell("a Bearer header", "its token is opaque: what it grants only its issuer can say (RFC 7662 introspection)")
	case jwtShape.MatchString(text):
		return tell("a JWT", "it is "+claimsOf(text)+readHint(arg))
	}
	if m := jwtInside.FindStringSubmatch(text); m != nil {
		return tell("a command or header holding a JWT", "the token is "+claimsOf(m[1]))
	}
	if v, ok := formField(text); ok {
		return tell("a form field or URL query (scope=…)", "the scope it probably holds is "+shorten(v))
	}
	if d, err := url.PathUnescape(text); err == nil && d != text && holdsAccessItem(d) {
		return tell("URL-encoded", "the scope it probably holds is "+shorten(d))
	}
	if len(hows) > 0 {
		return tell("", "the scope it probably holds is "+shorten(text))
	}
	return "", ""
}

func readHint(arg bool) string {
	if arg {
		return "; give the token in a file or on stdin to read it"
	}
	return ""
}

// formField takes the value of the scope field out of a form body
// (application/x-www-form-urlencoded, as a token request sends it) or a
// URL's query, "+" and escapes decoded once, as the server does.
func formField(s string) (string, bool) {
	for _, q := range []string{s, s[strings.IndexByte(s, '?')+1:]} {
		for _, field := range strings.Split(q, "&") {
			if v, ok := strings.CutPrefix(field, "scope="); ok {
				if d, err := url.QueryUnescape(v); err == nil {
					return d, true
				}
				return v, true
			}
		}
	}
	return "", false
}
