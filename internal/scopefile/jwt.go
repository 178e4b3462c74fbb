package scopefile

import (
	"bytes"
	"encoding/base64"
	"errors"
	"regexp"
	"strings"

	"github.com/go-json-experiment/json/jsontext"

	"github.com/scopecheck/scopecheck/scope"
)

// jwtShape is a JWT's compact form: three base64url parts, the first a
// JSON object header, whose encoding begins "eyJ" (`{"`), so that a
// dotted plain scope such as "eyewear.orders.read" is not taken for one.
var jwtShape = regexp.MustCompile(`^eyJ[A-Za-z0-9_-]*\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*$`)

// jwtInside finds a JWT inside longer text, such as a pasted command line.
var jwtInside = regexp.MustCompile(`(?:^|[^A-Za-z0-9_.-])(eyJ[A-Za-z0-9_-]*\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*)(?:$|[^A-Za-z0-9_.-])`)

// claim is a scope read from one place that says what a token grants:
// name is the member or claim ("scope", "scp"), where the scope's Where.
type claim struct {
	name, where, text string
	off               int
}

// readJWT reads the scope claims of a token at input offset off,
// unverified: the scope claim (a string) and the scp claim (an array of
// strings, joined by spaces), each as a scope of its own, named after
// where the token is. The payload is read by the same reader as JSON
// inputs, so a claim named twice, or in a spelling some server takes for
// it, is a duplicate-key finding, and when both claims are there and
// disagree, that is a scope-mismatch. Every finding points at the token,
// since positions inside base64 mean nothing to a reader. When alone is
// set, the token is all the input holds there, and one without a scope
// claim is an unknown-form finding. It returns the claims read.
func (r *reader) readJWT(token string, off int, where string, alone bool) []claim {
	parts := strings.SplitN(token, ".", 3)
	header, err := base64.RawURLEncoding.DecodeString(parts[0])
	if err != nil {
		r.note(Malformed, off, "JWT header is not base64url: %v", err)
		return nil
	}
	if h := bytes.TrimLeft(header, " \t\r\n"); len(h) == 0 || h[0] != '{' || !jsontext.Value(header).IsValid() {
		r.note(Malformed, off, "JWT header is not a JSON object")
		return nil
	}
	payload, err := base64.RawURLEncoding.DecodeString(parts[1])
	if err != nil {
		r.note(Malformed, off, "JWT payload is not base64url: %v", err)
		return nil
	}
	fixed, within := r.fixed, r.within
	r.fixed, r.within = off, "in the JWT payload"
	defer func() { r.fixed, r.within = fixed, within }()
	dec := jsontext.NewDecoder(bytes.NewBuffer(payload), jsontext.AllowDuplicateNames(true))
	if dec.PeekKind() != '{' {
		r.within = ""
		r.note(Malformed, off, "JWT payload is not a JSON object")
		return nil
	}
	o, err := r.object(dec, claimMembers, 0)
	if err == nil {
		if rest := bytes.TrimLeft(payload[dec.InputOffset():], " \t\r\n"); len(rest) > 0 {
			err = errTrailing
		}
	}
	if err != nil {
		var syn *jsontext.SyntacticError
		if errors.As(err, &syn) {
			err = syn.Err
		}
		r.within = ""
		r.note(Malformed, off, "JWT payload is not valid JSON: %v", err)
		return nil
	}
	var out []claim
	for _, v := range o.get("scope") {
		if v.kind != '"' {
			r.note(WrongType, off, "claim scope is not a string")
			continue
		}
		out = append(out, claim{"scope", where + ": JWT claim scope", v.text, off})
	}
	for _, v := range o.get("scp") {
		if v.kind != '[' {
			r.note(WrongType, off, "claim scp is not an array of strings")
			continue
		}
		var items []string
		for _, el := range v.elems {
			if el.kind != '"' {
				r.note(WrongType, off, "claim scp holds a %s, not only strings", kindName(el.kind))
				continue
			}
			items = append(items, el.text)
		}
		out = append(out, claim{"scp", where + ": JWT claim scp", strings.Join(items, " "), off})
	}
	r.within = ""
	if len(out) > 0 {
		r.note(UnverifiedJWT, off, "scopes read from a JWT payload; its signature is not verified here")
	}
	for _, c := range out {
		r.addScope(Scope{Text: c.text, Form: JWT, Where: c.where, Unverified: true, at: fixedMap(off, len(c.text))})
	}
	if alone && len(o.get("scope")) == 0 && len(o.get("scp")) == 0 {
		r.note(UnknownForm, off, "JWT has neither a scope nor an scp claim")
	}
	for _, c := range out[min(1, len(out)):] {
		if !sameScope(out[0].text, c.text) {
			other := ""
			if c.name == out[0].name {
				other = "other "
			}
			r.note(ScopeMismatch, off, "the JWT's %s claim is %s, but its %s%s claim is %s: gateways read one or the other",
				out[0].name, shorten(out[0].text), other, c.name, shorten(c.text))
		}
	}
	return out
}

var errTrailing = errors.New("more than one value")

func kindName(k jsontext.Kind) string {
	switch k {
	case '{':
		return "object"
	case '[':
		return "array"
	case '0':
		return "number"
	case 't', 'f':
		return "boolean"
	case 'n':
		return "null"
	}
	return "string"
}

// claimsOf puts a token's scope claims in words for a message, read by
// the same reader but kept out of the input.
func claimsOf(token string) string {
	r := newReader(nil, 0)
	cs := r.readJWT(token, 0, "token", false)
	switch {
	case len(cs) == 0:
		return "a JWT with no scope claim that can be read"
	case len(cs) == 1 || sameScope(cs[0].text, cs[1].text):
		return "a JWT whose scope claim is " + shorten(cs[0].text) + " (its signature not verified)"
	}
	return "a JWT whose claims scope " + shorten(cs[0].text) + " and scp " + shorten(cs[1].text) + " disagree"
}

// sameScope reports whether two scope strings grant the same requests and
// hold the same plain items, as Covers decides both ways; when either
// does not parse, or the question is undecided, whether they hold the
// same items as written.
func sameScope(a, b string) bool {
	sa, errA := scope.Parse(a)
	sb, errB := scope.Parse(b)
	if errA == nil && errB == nil {
		ab, w1 := scope.Covers(sa, sb)
		ba, w2 := scope.Covers(sb, sa)
		if w1.Err == nil && w2.Err == nil {
			return ab && ba
		}
	}
	set := func(s string) map[string]bool {
		m := map[string]bool{}
		for _, f := range strings.Fields(s) {
			m[f] = true
		}
		return m
	}
	ma, mb := set(a), set(b)
	if len(ma) != len(mb) {
		return false
	}
	for k := range ma {
		if !mb[k] {
			return false
		}
	}
	return true
}
