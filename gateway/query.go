package gateway

import (
	"net/url"
	"strings"
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
// as a form is ('+', %XX) and read as PHP reads it, which only ever adds
// names: leading spaces dropped, cut at a NUL, and '.', ' ' and '[' standing
// for '_'; case is ignored.
func queryParam(raw string) paramKind {
	if !strings.ContainsAny(raw, "mMkK%") { // a letter of each name, or an escape
		return otherParam
	}
	name, err := url.QueryUnescape(raw) // allocates only when there is something to decode
	if err != nil {
		return otherParam // no framework decodes such a name to one of them
	}
	name = strings.TrimLeft(name, " ")
	if i := strings.IndexByte(name, 0); i >= 0 {
		name = name[:i]
	}
	for _, p := range queryParams {
		if len(name) == len(p.name) && phpName(name, p.name) {
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
