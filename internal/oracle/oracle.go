// Package oracle is a plain implementation of the meaning of a scope, as
// the language reference defines it, for tests to check the fast engines
// against. It is written for obviousness, not speed: each pattern is a
// regular expression, each item is tried in turn, and canonical paths are
// checked rule by rule on split and decoded text. It shares no matching
// code with the packages it checks.
package oracle

import (
	"regexp"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/scopecheck/scopecheck/scope"
)

// Regexp translates a path pattern: "**" is any bytes, "*" any bytes but
// "/", everything else itself.
func Regexp(pattern string) *regexp.Regexp {
	var b strings.Builder
	b.WriteString(`(?s)^`)
	for i := 0; i < len(pattern); {
		switch {
		case strings.HasPrefix(pattern[i:], "**"):
			b.WriteString(`.*`)
			i += 2
		case pattern[i] == '*':
			b.WriteString(`[^/]*`)
			i++
		default:
			b.WriteString(regexp.QuoteMeta(pattern[i : i+1]))
			i++
		}
	}
	b.WriteString(`$`)
	return regexp.MustCompile(b.String())
}

// Canonical reports whether a request path is canonical.
func Canonical(p string) bool {
	if !strings.HasPrefix(p, "/") {
		return false
	}
	for i := 0; i < len(p); i++ {
		if p[i] < 0x21 || p[i] > 0x7E || strings.IndexByte(`\;?#`, p[i]) >= 0 {
			return false
		}
	}
	segs := strings.Split(p[1:], "/")
	for i, s := range segs {
		if s == "" && i != len(segs)-1 {
			return false
		}
		if s == "." || s == ".." {
			return false
		}
	}
	var dec []byte
	for i := 0; i < len(p); i++ {
		if p[i] != '%' {
			dec = append(dec, p[i])
			continue
		}
		if i+2 >= len(p) {
			return false
		}
		v, err := strconv.ParseUint(p[i+1:i+3], 16, 8)
		if err != nil || strings.ContainsAny(p[i+1:i+3], "+-") {
			return false
		}
		if v < 0x20 || v == 0x7F || strings.IndexByte(`/\.%;?#`, byte(v)) >= 0 {
			return false
		}
		dec = append(dec, byte(v))
		i += 2
	}
	if !utf8.Valid(dec) {
		return false
	}
	for _, r := range string(dec) {
		if (r >= 0x80 && r <= 0x9F) || r == 0x2028 || r == 0x2029 {
			return false
		}
	}
	return true
}

// Grantable reports whether a method can be granted at all.
func Grantable(m string) bool {
	if m == "" || m == "CONNECT" || m == "TRACE" {
		return false
	}
	return regexp.MustCompile("^[!#$%&'*+.^_`|~0-9A-Za-z-]+$").MatchString(m)
}

// Methods reports whether an item of class c grants method m, with extra
// read methods.
func Methods(c scope.Class, m string, extraRead ...string) bool {
	if !Grantable(m) {
		return false
	}
	switch c {
	case scope.ReadWrite:
		return true
	case scope.Read:
		if m == "GET" || m == "HEAD" {
			return true
		}
		for _, x := range extraRead {
			if x == m {
				return true
			}
		}
	}
	return false
}

// Verdict is the oracle's answer for one request.
type Verdict struct {
	Allowed   bool
	Canonical bool
	Grantable bool
	// Grant is the index of the earliest item that allows the request, or -1.
	Grant int
	// ReadOnly is the index of the earliest read item whose pattern
	// matches when the method is not a read method, or -1.
	ReadOnly int
}

// Decide applies the definition: an access item (A, P) allows (m, p) iff p
// is canonical, m is in methods(A) and p without its leading "/" is in
// L(P); a scope allows a request iff some item does.
func Decide(set scope.Set, method, path string, extraRead ...string) Verdict {
	v := Verdict{Canonical: Canonical(path), Grantable: Grantable(method), Grant: -1, ReadOnly: -1}
	if !v.Canonical {
		return v
	}
	rel := path[1:]
	for i, it := range set.Items() {
		if it.Class == scope.Plain || !Regexp(it.Pattern).MatchString(rel) {
			continue
		}
		if Methods(it.Class, method, extraRead...) {
			if v.Grant < 0 {
				v.Grant = i
			}
		} else if v.Grantable && it.Class == scope.Read && v.ReadOnly < 0 {
			v.ReadOnly = i
		}
	}
	v.Allowed = v.Grant >= 0
	return v
}

// AllowsEveryMethod reports whether a scope allows every grantable method on
// path: path is canonical and some read-write item's pattern matches it
// (a read-write item grants every grantable method; a read item, only the
// read class, which never holds every method).
func AllowsEveryMethod(set scope.Set, path string) bool {
	if !Canonical(path) {
		return false
	}
	for _, it := range set.Items() {
		if it.Class == scope.ReadWrite && Regexp(it.Pattern).MatchString(path[1:]) {
			return true
		}
	}
	return false
}
