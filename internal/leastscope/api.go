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
	// opTmpl is the template of each operation, -1 for one that is not a
	// path template.
	opTmpl []int
}

func newAPIIndex(ops []Operation) *apiIndex {
	a := &apiIndex{byCount: map[int][]int{}, opTmpl: make([]int, len(ops))}
	byText := map[string]int{}
	for i, op := range ops {
		a.opTmpl[i] = -1
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
		a.opTmpl[i] = k
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

// mayReach reports whether a pattern may match a path that t produces
// (or, with slash, that path with "/" added), by its segments: false only
// when a segment of the pattern cannot match the template's segment
// there, or the counts of segments differ (a pattern without "**"
// matches paths of its own count). It is a quick filter before
// scope.ReachesTemplate, which decides exactly.
func (t *template) mayReach(pattern string, slash bool) bool {
	ps := strings.Split(pattern, "/")
	n := len(t.segs)
	if slash {
		n++
	}
	seg := func(i int) tseg {
		if i == len(t.segs) {
			return tseg{pieces: []string{""}}
		}
		return t.segs[i]
	}
	for i, p := range ps {
		if strings.Contains(p, "**") {
			return i <= n
		}
		if i >= n {
			return false
		}
		ts := seg(i)
		switch {
		case !strings.Contains(p, "*"):
			if !ts.matches(p) {
				return false
			}
		case ts.literal():
			if !globMatch(p, ts.pieces[0]) {
				return false
			}
		}
	}
	return len(ps) == n
}

// globMatch reports whether s matches the pattern p, whose "*" stands for
// any bytes.
func globMatch(p, s string) bool {
	star, mark := -1, 0
	i, j := 0, 0
	for j < len(s) {
		switch {
		case i < len(p) && p[i] == '*':
			star, mark = i, j
			i++
		case i < len(p) && p[i] == s[j]:
			i++
			j++
		case star >= 0:
			i, mark = star+1, mark+1
			j = mark
		default:
			return false
		}
	}
	for i < len(p) && p[i] == '*' {
		i++
	}
	return i == len(p)
}
