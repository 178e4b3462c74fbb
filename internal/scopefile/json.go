package scopefile

import (
	"bytes"
	"errors"
	"strconv"

	"github.com/go-json-experiment/json/jsontext"
)

// value is one JSON value as a server reads it, with where it is: its
// RFC 6901 pointer, as the decoder names it, and the input offset of its
// first byte. Objects keep every member in order, duplicates included.
type value struct {
	kind    jsontext.Kind
	ptr     jsontext.Pointer
	off     int
	text    string  // a string decoded, or a number or literal as written
	at      []int32 // a string's source offset of each decoded byte, then of the closing quote
	members []member
	elems   []*value
}

type member struct {
	name string
	off  int // the name's opening quote
	val  *value
}

// get returns every value named name, in order: a server may take any one.
func (v *value) get(name string) []*value {
	var out []*value
	for _, m := range v.members {
		if m.name == name {
			out = append(out, m.val)
		}
	}
	return out
}

// readJSON reads one JSON document with jsontext's streaming decoder and
// then picks the scope strings by the document's form.
func (r *reader) readJSON(data []byte) error {
	// Duplicate names are allowed here so that every copy is read and
	// reported; the decoder is otherwise strict (UTF-8, surrogates).
	dec := jsontext.NewDecoder(bytes.NewReader(data), jsontext.AllowDuplicateNames(true))
	doc, err := r.value(dec)
	if err != nil {
		var syn *jsontext.SyntacticError
		if errors.As(err, &syn) {
			msg := "invalid JSON: " + syn.Err.Error()
			if syn.JSONPointer != "" {
				msg = "invalid JSON at " + string(syn.JSONPointer) + ": " + syn.Err.Error()
			}
			return r.fail(Malformed, int(syn.ByteOffset), "%s", msg)
		}
		return r.fail(Malformed, int(dec.InputOffset()), "invalid JSON: %v", err)
	}
	if rest := int(dec.InputOffset()); len(bytes.TrimLeft(data[rest:], " \t\r\n")) > 0 {
		next := len(data) - len(bytes.TrimLeft(data[rest:], " \t\r\n"))
		return r.fail(Malformed, next, "invalid JSON: more than one value (a second begins here)")
	}
	switch doc.kind {
	case '[':
		for _, el := range doc.elems {
			if el.kind != '{' {
				r.note(WrongType, el.off, "%s is not a token policy object", el.ptr)
				continue
			}
			if len(el.get("allowedScopes")) == 0 {
				r.note(UnknownForm, el.off, "%s is not a token policy: it has no allowedScopes", el.ptr)
				continue
			}
			r.policy(el)
		}
	case '{':
		switch {
		case len(doc.get("allowedScopes")) > 0:
			r.policy(doc)
		case len(doc.get("access_token")) > 0:
			r.tokenAnswer(doc)
		case len(doc.get("active")) > 0:
			r.introspection(doc)
		default:
			return r.fail(UnknownForm, doc.off, "JSON is neither a token policy (allowedScopes), a token answer (access_token) nor an introspection answer (active)")
		}
	default:
		return r.fail(UnknownForm, doc.off, "JSON document is not an object or an array")
	}
	return nil
}

// value reads the next value, noting each duplicate member name.
func (r *reader) value(dec *jsontext.Decoder) (*value, error) {
	switch kind := dec.PeekKind(); kind {
	case 0:
		_, err := dec.ReadToken() // the error PeekKind met
		return nil, err
	case '{', '[':
		if _, err := dec.ReadToken(); err != nil {
			return nil, err
		}
		v := &value{kind: kind, ptr: dec.StackPointer(), off: int(dec.InputOffset()) - 1}
		seen := map[string]int{}
		for k := dec.PeekKind(); k != '}' && k != ']'; k = dec.PeekKind() {
			if kind == '[' {
				el, err := r.value(dec)
				if err != nil {
					return nil, err
				}
				v.elems = append(v.elems, el)
				continue
			}
			name, err := r.value(dec)
			if err != nil {
				return nil, err
			}
			if first, dup := seen[name.text]; dup {
				r.note(DuplicateKey, name.off, "duplicate key %q (first at %d:%d): servers disagree on which one wins, so each is linted",
					name.text, r.lines.pos(first).Line, r.lines.pos(first).Column)
			} else {
				seen[name.text] = name.off
			}
			val, err := r.value(dec)
			if err != nil {
				return nil, err
			}
			v.members = append(v.members, member{name: name.text, off: name.off, val: val})
		}
		if _, err := dec.ReadToken(); err != nil {
			return nil, err
		}
		return v, nil
	default:
		raw, err := dec.ReadValue()
		if err != nil {
			return nil, err
		}
		v := &value{kind: kind, ptr: dec.StackPointer(), off: int(dec.InputOffset()) - len(raw), text: string(raw)}
		if kind == '"' {
			v.text, v.at = unquote(raw, v.off)
		}
		return v, nil
	}
}

// unquote decodes a string literal that the decoder has accepted, at
// input offset off, and maps each decoded byte to the offset of the source
// it came from. Escapes are decoded by jsontext itself, one at a time:
// an escape is the shortest run from its '\' (2, 6 or 12 bytes, the last
// a surrogate pair) that jsontext decodes alone. Every other byte of a
// valid literal stands for itself.
func unquote(raw []byte, off int) (string, []int32) {
	whole, _ := jsontext.AppendUnquote(nil, raw) // valid: the decoder read it
	text := make([]byte, 0, len(whole))
	at := make([]int32, 0, len(whole)+1)
	body := raw[1 : len(raw)-1]
	for i := 0; i < len(body); {
		n, dec := 1, body[i:i+1]
		if body[i] == '\\' {
			for _, try := range []int{2, 6, 12} {
				if i+try > len(body) {
					break
				}
				quoted := append(append([]byte{'"'}, body[i:i+try]...), '"')
				if d, err := jsontext.AppendUnquote(nil, quoted); err == nil {
					n, dec = try, d
					break
				}
			}
		}
		text = append(text, dec...)
		for range dec {
			at = append(at, int32(off+1+i))
		}
		i += n
	}
	if !bytes.Equal(text, whole) {
		// Not reachable for a literal the decoder accepted; if it were,
		// positions fall back to the literal's start, never to wrong text.
		at = at[:0]
		for range whole {
			at = append(at, int32(off))
		}
	}
	at = append(at, int32(off+len(raw)-1))
	return string(whole), at
}

// scope takes a string value as a scope, or notes that it is no string.
func (r *reader) scope(v *value, form Form, what string) {
	if v.kind != '"' {
		r.note(WrongType, v.off, "%s (%s) is not a string", v.ptr, what)
		return
	}
	r.in.Scopes = append(r.in.Scopes, Scope{Text: v.text, Form: form, Where: string(v.ptr), at: v.at, lines: r.lines})
}

// policy reads a token policy's allowedScopes, every copy of them.
func (r *reader) policy(v *value) {
	for _, arr := range v.get("allowedScopes") {
		if arr.kind != '[' {
			r.note(WrongType, arr.off, "%s is not an array of scope strings", arr.ptr)
			continue
		}
		for _, el := range arr.elems {
			r.scope(el, Policy, "a scope")
		}
	}
}

// tokenAnswer reads a token endpoint answer (RFC 6749 §5.1). expires_in
// may be a number or a numeric string, as servers send both. Without a
// scope member, the server granted the requested scope, or the client's
// default one.
func (r *reader) tokenAnswer(v *value) {
	for _, e := range v.get("expires_in") {
		if _, err := strconv.ParseInt(e.text, 10, 64); e.kind != '0' && (e.kind != '"' || err != nil) {
			r.note(WrongType, e.off, "%s is neither a number nor a numeric string", e.ptr)
		}
	}
	scopes := v.get("scope")
	if len(scopes) == 0 {
		r.note(NoScope, v.off, "the token answer has no scope: the server granted the scope the client asked for, or, when it asked for none, the client's default scope (RFC 6749 §5.1); nothing here says what that is")
	}
	for _, s := range scopes {
		r.scope(s, TokenAnswer, "the granted scope")
	}
}

// introspection reads an RFC 7662 answer: an active token's scope. When
// any copy of active is true, the scope is read.
func (r *reader) introspection(v *value) {
	active := false
	for _, a := range v.get("active") {
		switch a.kind {
		case 't':
			active = true
		case 'f':
		default:
			r.note(WrongType, a.off, "%s is not true or false", a.ptr)
		}
	}
	if !active {
		return // an inactive token grants nothing
	}
	scopes := v.get("scope")
	if len(scopes) == 0 {
		r.note(NoScope, v.off, "the introspection answer has no scope: what the token grants is not said here")
	}
	for _, s := range scopes {
		r.scope(s, Introspection, "the token's scope")
	}
}
