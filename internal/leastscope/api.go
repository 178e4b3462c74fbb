package leastscope

import (
	"sort"
	"strings"
)

// template is a path template of an API description, compiled for
// matching request paths and for writing as a pattern.
type template struct {
	text string
	segs []tseg
	// pattern is the template as a path pattern: each parameter a "*"
	// (adjacent ones one "*"), the leading "/" removed.
	pattern string
	ops     map[string]int // method → index of the operation in Options.API
}

// tseg is one segment of a template: literal pieces, with a parameter
// between each two. A segment without parameters has one piece.
type tseg struct {
	pieces []string
}

func (s tseg) literal() bool { return len(s.pieces) == 1 }

// apiIndex holds an API description's templates, by segment count.
type apiIndex struct {
	tmpls   []*template
	byCount map[int][]int
}

func newAPIIndex(ops []Operation) *apiIndex {
	a := &apiIndex{byCount: map[int][]int{}}
	byText := map[string]int{}
	for i, op := range ops {
		k, ok := byText[op.Template]
		if !ok {
			t := compileTemplate(op.Template)
			if t == nil {
				continue // not a path template; it produces no request path
			}
			k = len(a.tmpls)
			byText[op.Template] = k
			a.tmpls = append(a.tmpls, t)
			a.byCount[len(t.segs)] = append(a.byCount[len(t.segs)], k)
		}
		if _, dup := a.tmpls[k].ops[op.Method]; !dup {
			a.tmpls[k].ops[op.Method] = i
		}
	}
	return a
}

// compileTemplate reads a template such as "/a/{id}/b{x}.json"; nil when
// it does not begin with "/" or its braces do not pair.
func compileTemplate(text string) *template {
	if !strings.HasPrefix(text, "/") {
		return nil
	}
	t := &template{text: text, ops: map[string]int{}}
	var pat strings.Builder
	for i, seg := range strings.Split(text[1:], "/") {
		if i > 0 {
			pat.WriteByte('/')
		}
		var s tseg
		rest := seg
		for {
			open := strings.IndexByte(rest, '{')
			if open < 0 {
				if strings.IndexByte(rest, '}') >= 0 {
					return nil
				}
				s.pieces = append(s.pieces, rest)
				pat.WriteString(rest)
				break
			}
			end := strings.IndexByte(rest[open:], '}')
			if end < 0 || strings.IndexByte(rest[:open], '}') >= 0 {
				return nil
			}
			s.pieces = append(s.pieces, rest[:open])
			pat.WriteString(rest[:open])
			if !strings.HasSuffix(pat.String(), "*") {
				pat.WriteByte('*')
			}
			rest = rest[open+end+1:]
		}
		t.segs = append(t.segs, s)
	}
	t.pattern = pat.String()
	return t
}

// match finds the template that produces path (without its leading
// "/", split into segments), and -1 when none does. Where several do,
// the one with a literal segment where the others have a parameter, at
// the first segment where they differ, is chosen, as OpenAPI prefers
// concrete paths to templated ones.
func (a *apiIndex) match(segs []string) int {
	best := -1
	for _, k := range a.byCount[len(segs)] {
		t := a.tmpls[k]
		if !t.matches(segs) {
			continue
		}
		if best < 0 || moreLiteral(t, a.tmpls[best]) {
			best = k
		}
	}
	return best
}

func (t *template) matches(segs []string) bool {
	for i, s := range t.segs {
		if !s.matches(segs[i]) {
			return false
		}
	}
	return true
}

// moreLiteral reports whether a has a literal segment where b has a
// parameter, at the first segment where that differs.
func moreLiteral(a, b *template) bool {
	for i := range a.segs {
		if al, bl := a.segs[i].literal(), b.segs[i].literal(); al != bl {
			return al
		}
	}
	return false
}

// matches reports whether the segment value v is produced by s: its
// pieces in order, each parameter standing for one or more bytes.
func (s tseg) matches(v string) bool {
	if s.literal() {
		return v == s.pieces[0]
	}
	first, last := s.pieces[0], s.pieces[len(s.pieces)-1]
	if !strings.HasPrefix(v, first) || !strings.HasSuffix(v, last) || len(v) < len(first)+len(last) {
		return false
	}
	v = v[len(first) : len(v)-len(last)]
	// Each middle piece is placed at its earliest position after at
	// least one byte of parameter: placing it earlier never leaves less
	// room for the rest.
	for _, p := range s.pieces[1 : len(s.pieces)-1] {
		if len(v) == 0 {
			return false
		}
		i := strings.Index(v[1:], p)
		if i < 0 {
			return false
		}
		v = v[1+i+len(p):]
	}
	return len(v) > 0
}

// literalPrefixes are the prefixes of literal segments that templates
// begin with, shortest first, as path patterns without a trailing "/".
func (a *apiIndex) literalPrefixes() []string {
	seen := map[string]bool{}
	var out []string
	for _, t := range a.tmpls {
		var b strings.Builder
		for i, s := range t.segs[:len(t.segs)-1] {
			if !s.literal() || s.pieces[0] == "" {
				break
			}
			if i > 0 {
				b.WriteByte('/')
			}
			b.WriteString(s.pieces[0])
			if p := b.String(); !seen[p] {
				seen[p] = true
				out = append(out, p)
			}
		}
	}
	sort.Slice(out, func(i, j int) bool {
		if ci, cj := strings.Count(out[i], "/"), strings.Count(out[j], "/"); ci != cj {
			return ci < cj
		}
		return out[i] < out[j]
	})
	return out
}

// under reports whether the template lies strictly below the prefix of
// literal segments p: it begins with p's segments and has more.
func (t *template) under(p string) bool {
	ps := strings.Split(p, "/")
	if len(t.segs) <= len(ps) {
		return false
	}
	for i, s := range ps {
		if !t.segs[i].literal() || t.segs[i].pieces[0] != s {
			return false
		}
	}
	return true
}
