package scopefile

import (
	"bytes"
	"errors"
	"strconv"
	"strings"

	"github.com/go-json-experiment/json/jsontext"
)

// The members each form is read for. Every other member is skipped as
// the decoder meets it, so that memory grows with what is read, not with
// the input.
var (
	topMembers    = []string{"allowedScopes", "access_token", "active", "scope", "expires_in"}
	policyMembers = []string{"allowedScopes"}
	claimMembers  = []string{"scope", "scp"}
)

// value is one JSON value the reader keeps, with where it is: its RFC
// 6901 pointer, as the decoder names it, and the offset of its first
// byte. A string keeps its decoded text and the source of each byte; an
// array at the top of a member keeps its elements; a deeper array or an
// object keeps only its kind and place.
type value struct {
	kind  jsontext.Kind
	ptr   string
	off   int
	text  string // a string decoded, or a number or literal as written
	at    posMap // a string's sources
	elems []*value
}

// object holds the members of one JSON object that the reader uses,
// under the name the reader knows each by, every copy in order.
type object struct {
	off     int
	ptr     string
	members map[string][]*value
}

func (o *object) get(name string) []*value { return o.members[name] }

// memberName is the name among known that a server could take name for,
// or "": servers that match names loosely ignore case (Go's encoding/json
// by Unicode folding, so "ſ" is "s" and "K" is "k"), dashes and
// underscores (encoding/json/v2's case-insensitive names), and everything
// from a NUL on (C strings).
func memberName(name string, known []string) string {
	loose := loosen(name)
	for _, k := range known {
		if strings.EqualFold(loose, loosen(k)) {
			return k
		}
	}
	return ""
}

func loosen(name string) string {
	if i := strings.IndexByte(name, 0); i >= 0 {
		name = name[:i]
	}
	return strings.NewReplacer("-", "", "_", "").Replace(name)
}

// readJSON reads one JSON document, body, which begins at input offset
// base, with jsontext's streaming decoder, and then picks the scope
// strings by the document's form.
func (r *reader) readJSON(body []byte, base int) error {
	// Duplicate names are allowed here so that every copy is read and
	// reported; the decoder is otherwise strict (UTF-8, surrogates).
	dec := jsontext.NewDecoder(bytes.NewBuffer(body), jsontext.AllowDuplicateNames(true))
	fail := func(err error) error { return r.jsonError(err, base, int(dec.InputOffset())) }
	switch kind := dec.PeekKind(); kind {
	case '{':
		o, err := r.object(dec, topMembers, base)
		if err != nil {
			return fail(err)
		}
		if err := r.trailing(dec, body, base); err != nil {
			return err
		}
		switch {
		case len(o.get("allowedScopes")) > 0:
			r.policy(o)
		case len(o.get("access_token")) > 0:
			r.tokenAnswer(o)
		case len(o.get("active")) > 0:
			r.introspection(o)
		default:
			return r.fail(UnknownForm, o.off, "JSON is neither a token policy (allowedScopes), a token answer (access_token) nor an introspection answer (active)")
		}
	case '[':
		if err := r.policies(dec, base); err != nil {
			return fail(err)
		}
		if r.full {
			return nil
		}
		return r.trailing(dec, body, base)
	default:
		raw, err := dec.ReadValue()
		if err != nil {
			return fail(err)
		}
		return r.fail(UnknownForm, base+int(dec.InputOffset())-len(raw), "JSON document is not an object or an array")
	}
	return nil
}

// trailing fails when anything but blanks follows the document.
func (r *reader) trailing(dec *jsontext.Decoder, body []byte, base int) error {
	rest := int(dec.InputOffset())
	if more := bytes.TrimLeft(body[rest:], " \t\r\n"); len(more) > 0 {
		return r.fail(Malformed, base+len(body)-len(more), "invalid JSON: more than one value (a second begins here)")
	}
	return nil
}

// jsonError is the finding of a decoding error.
func (r *reader) jsonError(err error, base, at int) error {
	var syn *jsontext.SyntacticError
	if errors.As(err, &syn) {
		msg := "invalid JSON: " + syn.Err.Error()
		if syn.JSONPointer != "" {
			msg = "invalid JSON at " + shortPointer(string(syn.JSONPointer)) + ": " + syn.Err.Error()
		}
		return r.fail(Malformed, base+int(syn.ByteOffset), "%s", msg)
	}
	return r.fail(Malformed, base+at, "invalid JSON: %v", err)
}

// shortPointer is a pointer for a message, with the middle of a deep one
// left out.
func shortPointer(p string) string {
	if len(p) > maxShown {
		return p[:maxShown/2] + "…" + p[len(p)-maxShown/2:]
	}
	return p
}

// policies reads an array of token policies.
func (r *reader) policies(dec *jsontext.Decoder, base int) error {
	if _, err := dec.ReadToken(); err != nil {
		return err
	}
	for dec.PeekKind() != ']' && !r.full {
		if dec.PeekKind() != '{' {
			raw, err := dec.ReadValue()
			if err != nil {
				return err
			}
			r.note(WrongType, base+int(dec.InputOffset())-len(raw), "%s is not a token policy object", shortPointer(string(dec.StackPointer())))
			continue
		}
		o, err := r.object(dec, policyMembers, base)
		if err != nil {
			return err
		}
		if len(o.get("allowedScopes")) == 0 {
			r.note(UnknownForm, o.off, "%s is not a token policy: it has no allowedScopes", shortPointer(o.ptr))
			continue
		}
		r.policy(o)
	}
	if r.full {
		return nil
	}
	_, err := dec.ReadToken()
	return err
}

// object reads an object, keeping the members named in known (in any
// spelling a server could take for them) and skipping the rest. A member
// named twice, or in a loose spelling, is a duplicate-key finding.
func (r *reader) object(dec *jsontext.Decoder, known []string, base int) (*object, error) {
	if _, err := dec.ReadToken(); err != nil {
		return nil, err
	}
	o := &object{off: base + int(dec.InputOffset()) - 1, ptr: string(dec.StackPointer()), members: map[string][]*value{}}
	first := map[string]int{}
	for dec.PeekKind() != '}' {
		raw, err := dec.ReadValue() // the member's name
		if err != nil {
			return nil, err
		}
		at := base + int(dec.InputOffset()) - len(raw)
		decoded, err := jsontext.AppendUnquote(nil, raw)
		if err != nil {
			return nil, err
		}
		name := string(decoded)
		key := memberName(name, known)
		if key == "" {
			if err := dec.SkipValue(); err != nil {
				return nil, err
			}
			continue
		}
		v, err := r.keep(dec, base, 0)
		if err != nil {
			return nil, err
		}
		r.checkName(name, key, at, first)
		o.members[key] = append(o.members[key], v)
	}
	if _, err := dec.ReadToken(); err != nil {
		return nil, err
	}
	return o, nil
}

// checkName reports a member named name, which a server may take for the
// member key, at offset at, when an earlier one was (first holds the
// offset of each key's first copy) or when name is not key exactly.
func (r *reader) checkName(name, key string, at int, first map[string]int) {
	where := ""
	if prev, dup := first[key]; dup && r.fixed < 0 {
		p := r.pos.pos(prev)
		where = " (first at " + strconv.Itoa(p.Line) + ":" + strconv.Itoa(p.Column) + ")"
	}
	_, dup := first[key]
	if !dup {
		first[key] = at
	}
	switch {
	case name == key && dup:
		r.note(DuplicateKey, at, "duplicate key %s%s: servers disagree on which one wins, so each is linted", shorten(name), where)
	case name != key && dup:
		r.note(DuplicateKey, at, "key %s is %q to servers that match names loosely (case, Unicode folding, '-' and '_', a NUL)%s: servers disagree on which one wins, so each is linted",
			shorten(name), key, where)
	case name != key:
		r.note(DuplicateKey, at, "key %s is %q to servers that match names loosely (case, Unicode folding, '-' and '_', a NUL), and another member to the rest: servers disagree, so it is linted as %q",
			shorten(name), key, key)
	}
}

// keep reads the next value: a scalar whole, an array at depth 0 with
// its elements (up to one more than MaxScopes; the rest are skipped), and
// of a deeper array or an object only its kind and place.
func (r *reader) keep(dec *jsontext.Decoder, base, depth int) (*value, error) {
	kind := dec.PeekKind()
	if kind == '[' && depth == 0 {
		if _, err := dec.ReadToken(); err != nil {
			return nil, err
		}
		v := &value{kind: kind, ptr: string(dec.StackPointer()), off: base + int(dec.InputOffset()) - 1}
		for dec.PeekKind() != ']' {
			if len(v.elems) > MaxScopes {
				if err := dec.SkipValue(); err != nil {
					return nil, err
				}
				continue
			}
			el, err := r.keep(dec, base, depth+1)
			if err != nil {
				return nil, err
			}
			v.elems = append(v.elems, el)
		}
		if _, err := dec.ReadToken(); err != nil {
			return nil, err
		}
		return v, nil
	}
	raw, err := dec.ReadValue()
	if err != nil {
		return nil, err
	}
	v := &value{kind: kind, ptr: string(dec.StackPointer()), off: base + int(dec.InputOffset()) - len(raw)}
	switch kind {
	case '"':
		v.text, v.at = unquote(raw, v.off)
	case '{', '[':
	default:
		v.text = string(raw)
	}
	return v, nil
}

// unquote decodes a string literal that the decoder has accepted, at
// input offset off, and maps each decoded byte to the offset of the source
// it came from. Escapes are decoded by jsontext itself, one at a time:
// an escape is the shortest run from its '\' (2, 6 or 12 bytes, the last
// a surrogate pair) that jsontext decodes alone. Every other byte of a
// valid literal stands for itself.
func unquote(raw []byte, off int) (string, posMap) {
	whole, _ := jsontext.AppendUnquote(nil, raw) // valid: the decoder read it
	m := posMap{end: int32(off + len(raw) - 1)}
	body := raw[1 : len(raw)-1]
	t := 0
	for i := 0; i < len(body); {
		if body[i] != '\\' {
			j := i + 1
			for j < len(body) && body[j] != '\\' {
				j++
			}
			m.add(t, off+1+i, j-i, true)
			t, i = t+j-i, j
			continue
		}
		n, d := 1, 1
		for _, try := range []int{2, 6, 12} {
			if i+try > len(body) {
				break
			}
			quoted := append(append([]byte{'"'}, body[i:i+try]...), '"')
			if dec, err := jsontext.AppendUnquote(nil, quoted); err == nil {
				n, d = try, len(dec)
				break
			}
		}
		m.add(t, off+1+i, d, false)
		t, i = t+d, i+n
	}
	if t != len(whole) {
		// Not reachable for a literal the decoder accepted; if it were,
		// positions fall back to the literal's start, never to wrong text.
		m = fixedMap(off, len(whole))
		m.end = int32(off + len(raw) - 1)
	}
	return string(whole), m
}

// scope takes a string value as a scope of group (0 for a group of its
// own), or notes that it is no string. It returns whether it took one.
func (r *reader) scope(v *value, form Form, what string, group int) bool {
	if v.kind != '"' {
		r.note(WrongType, v.off, "%s (%s) is not a string", shortPointer(v.ptr), what)
		return false
	}
	s := Scope{Text: v.text, Form: form, Where: v.ptr, Group: group, at: v.at}
	if r.fixed >= 0 {
		s.at = fixedMap(r.fixed, len(v.text))
	}
	r.addScope(s)
	return true
}

// policy reads a token policy's allowedScopes, every copy of them, as
// one group: a token may get any part of their union.
func (r *reader) policy(o *object) {
	g := r.group()
	for _, arr := range o.get("allowedScopes") {
		switch arr.kind {
		case '[':
			for _, el := range arr.elems {
				r.scope(el, Policy, "a scope", g)
			}
		case '"':
			r.note(WrongType, arr.off, "%s is a string, not an array of scope strings: servers reject it, or read it as one scope, which is linted", shortPointer(arr.ptr))
			r.scope(arr, Policy, "a scope", g)
		default:
			r.note(WrongType, arr.off, "%s is not an array of scope strings", shortPointer(arr.ptr))
		}
	}
}

// tokenAnswer reads a token endpoint answer (RFC 6749 §5.1): its scope,
// and, when the access token is a JWT, the token's own scope claims,
// which is what a gateway decides with; the two must agree. expires_in
// may be a number or a numeric string, as servers send both. Without
// either scope, the server granted the requested scope, or the client's
// default one.
func (r *reader) tokenAnswer(o *object) {
	for _, e := range o.get("expires_in") {
		if _, err := strconv.ParseInt(e.text, 10, 64); e.kind != '0' && (e.kind != '"' || err != nil) {
			r.note(WrongType, e.off, "%s is neither a number nor a numeric string", shortPointer(e.ptr))
		}
	}
	var granted []claim
	for _, s := range o.get("scope") {
		if r.scope(s, TokenAnswer, "the granted scope", 0) {
			granted = append(granted, claim{"scope", s.ptr, s.text, s.off})
		}
	}
	var tokens []claim
	for _, t := range o.get("access_token") {
		switch {
		case t.kind != '"':
			r.note(WrongType, t.off, "%s is not a string", shortPointer(t.ptr))
		case jwtShape.MatchString(t.text):
			tokens = append(tokens, r.readJWT(t.text, t.at.at(0, len(t.text)), t.ptr, false)...)
		}
	}
	if len(o.get("scope")) == 0 && len(tokens) == 0 {
		r.note(NoScope, o.off, "the token answer has no scope: the server granted the scope the client asked for, or, when it asked for none, the client's default scope (RFC 6749 §5.1); nothing here says what that is")
	}
	for _, g := range granted {
		for _, t := range tokens {
			if !sameScope(g.text, t.text) {
				r.note(ScopeMismatch, t.off, "the answer's scope is %s, but its access token, a JWT, has the %s claim %s: the client is told one, and a gateway decides with the other",
					shorten(g.text), t.name, shorten(t.text))
			}
		}
	}
}

// introspection reads an RFC 7662 answer: an active token's scope. When
// any copy of active is true, the scope is read.
func (r *reader) introspection(o *object) {
	active := false
	for _, a := range o.get("active") {
		switch a.kind {
		case 't':
			active = true
		case 'f':
		default:
			r.note(WrongType, a.off, "%s is not true or false", shortPointer(a.ptr))
		}
	}
	if !active {
		return // an inactive token grants nothing
	}
	scopes := o.get("scope")
	if len(scopes) == 0 {
		r.note(NoScope, o.off, "the introspection answer has no scope: what the token grants is not said here")
	}
	for _, s := range scopes {
		r.scope(s, Introspection, "the token's scope", 0)
	}
}
