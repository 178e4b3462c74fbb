package gateway

import (
	"net/url"
	"strings"
	"unicode/utf8"
)

// A paramKind is what a query parameter carries, by its name.
type paramKind uint8

const (
	otherParam  paramKind = iota
	methodParam           // a method override
	tokenParam            // a bearer token
)

// queryParams are the query parameters the request side reads, as
// queryParam compares their names: the method overrides "_method" (Rails,
// Laravel, Symfony, Spring, Jersey, gorilla) and "__METHOD_OVERRIDE__"
// (Flask's method rewrite), and RFC 6750's "access_token", which servers
// that take a token from the query read, some (express-bearer-token)
// before the Authorization header.
var queryParams = [...]struct {
	name string
	kind paramKind
}{
	{"_method", methodParam},
	{"__method_override__", methodParam},
	{"access_token", tokenParam},
}

// addQuery adds what a query carries: the value of every method override,
// and the name of the first token parameter. Parameters are split at '&'
// and at ';' (Rack splits at both). A method override's value that does
// not decode means any method.
func (s *sources) addQuery(q string) {
	for q != "" {
		kv := q
		if i := strings.IndexAny(q, "&;"); i >= 0 {
			kv, q = q[:i], q[i+1:]
		} else {
			q = ""
		}
		name, value, _ := strings.Cut(kv, "=")
		switch queryParam(name) {
		case methodParam:
			if v, err := url.QueryUnescape(value); err == nil {
				s.addMethod(name, v)
			} else if s.every == "" {
				s.every = name
			}
		case tokenParam:
			if s.token == "" {
				s.token = name
			}
		}
	}
}

// queryParam says what a query parameter carries by its raw name, decoded
// as leniently as any framework decodes it (formName) and read as PHP reads
// it, which only ever adds names: leading spaces dropped, cut at a NUL, and
// '.', ' ' and '[' standing for '_'; case is ignored. A token parameter
// also carries a token as an array ("access_token[]").
func queryParam(raw string) paramKind {
	if !strings.ContainsAny(raw, "mMkK%") { // a letter of each name, or an escape
		return otherParam
	}
	name := formName(raw)
	name = strings.TrimLeft(name, " ")
	if i := strings.IndexByte(name, 0); i >= 0 {
		name = name[:i]
	}
	for _, p := range queryParams {
		n := len(p.name)
		if len(name) < n || !phpName(name[:n], p.name) {
			continue
		}
		// A token parameter read as an array ("access_token[]",
		// "access_token[0]") still carries a token to PHP, Rails and qs.
		if len(name) == n || p.kind == tokenParam && name[n] == '[' {
			return p.kind
		}
	}
	return otherParam
}

// phpName reports whether name, of p's length, reads as p: bytes equal
// without regard to case, and '.', ' ' or '[' where p has '_'.
func phpName(name, p string) bool {
	for i := 0; i < len(p); i++ {
		c := name[i]
		if 'A' <= c && c <= 'Z' {
			c += 'a' - 'A'
		}
		if c != p[i] && (p[i] != '_' || strings.IndexByte(". [", c) < 0) {
			return false
		}
	}
	return true
}

// formName decodes a query parameter's name as the most lenient decoders
// do, so that it reads as every framework may read it: '+' is a space,
// %XX a byte, %uXXXX a UTF-16 code unit as IIS and ASP.NET decode it (in
// UTF-8), and a '%' that begins neither is kept as written, as PHP, Node's
// querystring, Python's parse_qs and URLSearchParams keep it (Go and Rack
// refuse such a name, and read nothing). For a name that decodes strictly
// it is url.QueryUnescape. It allocates only when there is something to
// decode.
func formName(raw string) string {
	if !strings.ContainsAny(raw, "%+") {
		return raw
	}
	b := make([]byte, 0, len(raw))
	for i := 0; i < len(raw); i++ {
		c := raw[i]
		if c == '+' {
			b = append(b, ' ')
			continue
		}
		if c == '%' {
			if v, ok := hexAt(raw, i+1, 2); ok {
				b = append(b, byte(v))
				i += 2
				continue
			}
			if v, ok := hexAt(raw, i+2, 4); ok && (raw[i+1] == 'u' || raw[i+1] == 'U') {
				b = utf8.AppendRune(b, v)
				i += 5
				continue
			}
		}
		b = append(b, c)
	}
	return string(b)
}

// hexAt returns the value of the n hex digits at s[i:], and whether there
// are n of them.
func hexAt(s string, i, n int) (rune, bool) {
	if i+n > len(s) {
		return 0, false
	}
	var v rune
	for _, c := range []byte(s[i : i+n]) {
		switch {
		case '0' <= c && c <= '9':
			c -= '0'
		case 'a' <= c && c <= 'f':
			c -= 'a' - 10
		case 'A' <= c && c <= 'F':
			c -= 'A' - 10
		default:
			return 0, false
		}
		v = v<<4 | rune(c)
	}
	return v, true
}

// RequestLineMethods returns the methods the gateway reads from a
// request's line alone as it decides it: method and its upper-case form,
// then each method override of target's query ("_method" and the names
// queryParam reads as one) and its upper-case form; anyMethod when one
// may mean any method (a POST, whose body may carry "_method"; an
// override whose value does not decode); and tooMany when they are more
// than MaxSources, a request the gateway refuses (TooManySources). The
// request's headers, which may give more methods and targets
// (X-HTTP-Method-Override, X-Original-URL …), are not read: it is for
// logs that hold only the request line.
func RequestLineMethods(method, target string) (methods []string, anyMethod, tooMany bool) {
	var s sources
	s.addMethod("", method)
	s.addTarget("", target)
	for _, m := range s.methods[:s.nm] {
		methods = append(methods, m.value)
	}
	return methods, s.every != "", s.overflow
}
