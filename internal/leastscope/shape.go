package leastscope

import (
	"fmt"
	"sort"
	"strings"

	"github.com/scopecheck/scopecheck/scope"
)

// leafRef is one leaf of a client's tree: the requests ending at n, or,
// with deep, those below n past the bound of paths.
type leafRef struct {
	n    *node
	deep bool
}

func (r leafRef) leaf() *leaf {
	if r.deep {
		return r.n.deep
	}
	return r.n.end
}

// literal reports whether the leaf stands for one path, which path
// returns.
func (r leafRef) literal() bool { return !r.deep && r.n.literal }

// path is the request path of a literal leaf, with its leading "/".
func (r leafRef) path() string { return "/" + prefixOf(r.n) }

// pattern is the narrowest pattern written for the leaf's own paths: its
// segments (a "*" for values past the bound), each run of "*" in a
// segment one "*" (which matches the run, and more); "/**" below it for
// a deep leaf; and "*" for the root path "/", which no pattern matches
// alone. A literal leaf never holds "*" nor is the root (unwritable):
// those forms are for leaves that stand for many paths.
func (r leafRef) pattern() string {
	var segs []string
	for n := r.n; n != nil && n.parent != nil; n = n.parent {
		segs = append(segs, segPattern(n.seg))
	}
	for i, j := 0, len(segs)-1; i < j; i, j = i+1, j-1 {
		segs[i], segs[j] = segs[j], segs[i]
	}
	p := strings.Join(segs, "/")
	switch {
	case r.deep && p == "":
		return "**"
	case r.deep:
		return p + "/**"
	case p == "":
		return "*"
	}
	return p
}

// segPattern writes a segment value as a pattern: each run of "*", which
// a pattern cannot spell as bytes, becomes one "*".
func segPattern(v string) string {
	if !strings.Contains(v, "**") {
		return v
	}
	var b strings.Builder
	for i := 0; i < len(v); i++ {
		if v[i] == '*' && i > 0 && v[i-1] == '*' {
			continue
		}
		b.WriteByte(v[i])
	}
	return b.String()
}

// class is "*" when any of the leaves saw a method outside the read
// class, else ".".
func class(refs []leafRef) string {
	for _, r := range refs {
		if r.leaf().writes > 0 {
			return "*"
		}
	}
	return "."
}

// cand is an item proposed for a client, with the leaves it stands for.
type cand struct {
	item string
	why  string
	refs []leafRef
	// generalised: a "*" of the item stands for values the client did
	// not send (a template's parameter, a segment past GeneralizeAfter),
	// so that with an API description it is held to the operations the
	// client called.
	generalised bool
}

// shaper shapes one client's suggestion.
type shaper struct {
	o      *Observer
	c      *client
	leaves []leafRef
	live   map[*node]bool // nodes with a leaf to shape below them
	cands  []cand
	// exempts memoises exempt, by operation.
	exempts map[int]bool
}

// collect lists the client's leaves, depth first, children in the order
// of their values.
func (s *shaper) collect(n *node) {
	if n.end != nil {
		s.leaves = append(s.leaves, leafRef{n: n})
	}
	if n.deep != nil && n.deep.reads+n.deep.writes > 0 {
		// The root's deep leaf is there from the start, and may keep
		// nothing.
		s.leaves = append(s.leaves, leafRef{n: n, deep: true})
	}
	for _, k := range sortedKids(n) {
		s.collect(k)
	}
	if n.other != nil {
		s.collect(n.other)
	}
}

func sortedKids(n *node) []*node {
	out := make([]*node, 0, len(n.kids))
	for _, k := range n.kids {
		out = append(out, k)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].seg < out[j].seg })
	return out
}

// shape proposes the client's items: with an API description, one per
// template used and one per subtree whose every operation was called;
// for the paths that no template produces, the paths as seen, with "*"
// where a segment took more than GeneralizeAfter values.
func (s *shaper) shape() {
	var rest []leafRef
	byTmpl := map[int][]leafRef{}
	for _, r := range s.leaves {
		if t := r.leaf().tmpl; t >= 0 {
			byTmpl[t] = append(byTmpl[t], r)
		} else {
			rest = append(rest, r)
		}
	}
	if s.o.api != nil {
		tmpls := make([]int, 0, len(byTmpl))
		for t := range byTmpl {
			tmpls = append(tmpls, t)
		}
		sort.Ints(tmpls)
		for _, t := range tmpls {
			refs := byTmpl[t]
			tm := s.o.api.tmpls[t]
			s.cands = append(s.cands, cand{item: class(refs) + ":" + tm.pattern, refs: refs, generalised: true,
				why: fmt.Sprintf("the API's path %s (%s)", tm.text, s.methodsUsed(t))})
		}
		s.subtrees(byTmpl)
	}
	// The other leaves, as a tree again, generalised where a segment
	// took too many values.
	s.live = map[*node]bool{}
	for _, r := range rest {
		for n := r.n; n != nil && !s.live[n]; n = n.parent {
			s.live[n] = true
		}
	}
	if len(rest) > 0 {
		s.generalise([]*node{s.c.root}, nil, "as seen", false)
	}
	if s.o.api != nil {
		s.heldToCalls()
	}
}

// heldToCalls replaces each proposed item whose "*" stands for values the
// client did not send, and that grants an operation of the API the client
// never called, by narrower ones: for a read-write item whose read
// requests alone need no such operation, the read item for them; and the
// paths as seen for the rest.
func (s *shaper) heldToCalls() {
	var out []cand
	for _, c := range s.cands {
		if !c.generalised {
			out = append(out, c)
			continue
		}
		uncalled := s.uncalled(c.item, true)
		if uncalled == "" {
			out = append(out, c)
			continue
		}
		refs := c.refs
		if cls, pat, _ := strings.Cut(c.item, ":"); cls == "*" {
			var reads, writes []leafRef
			for _, r := range c.refs {
				if r.leaf().writes == 0 {
					reads = append(reads, r)
				} else {
					writes = append(writes, r)
				}
			}
			if read := ".:" + pat; len(reads) > 0 && s.uncalled(read, true) == "" {
				out = append(out, cand{item: read, refs: reads, generalised: true,
					why: fmt.Sprintf("read requests of %s, which would also grant %s, never called", c.item, uncalled)})
				refs = writes
			}
		}
		for _, r := range refs {
			out = append(out, cand{item: class([]leafRef{r}) + ":" + r.pattern(), refs: []leafRef{r},
				why: fmt.Sprintf("as seen: %s would also grant %s, never called", c.item, uncalled)})
		}
	}
	s.cands = out
}

// maxUncalledShown bounds the operations an item's origin names.
const maxUncalledShown = 3

// uncalled names the operations of the API that item grants and that the
// client did not call, nor, when seen is set, is granted by the form as
// seen (class and path) of a path it called; "" when there are none. An
// item grants an operation when it allows the operation's method on a
// path its template produces, or on that path with a "/" added, which an
// upstream that ignores a trailing slash routes to the operation alike
// ("*" matches the empty segment). An undecided question counts as
// granting.
func (s *shaper) uncalled(item string, seen bool) string {
	set, err := scope.Parse(item)
	if err != nil || set.Len() != 1 {
		return "operations no proof could rule out"
	}
	it := set.Item(0)
	var names []string
	n := 0
	for i, op := range s.o.opts.API {
		if s.c.opUsed[i] > 0 || it.Class == scope.Read && op.Method != "GET" && op.Method != "HEAD" || seen && s.exempt(i) {
			continue
		}
		if !s.o.reaches(set, i, false) && !s.o.reaches(set, i, true) {
			continue
		}
		if n++; len(names) < maxUncalledShown {
			names = append(names, op.Method+" "+op.Template)
		}
	}
	if n > len(names) {
		names = append(names, fmt.Sprintf("%d more", n-len(names)))
	}
	return strings.Join(names, ", ")
}

// exempt reports whether the operation i is granted by the form as seen
// (class and path) of a path the client called: the paths as seen are
// the least a suggestion can be, so generalising adds nothing there.
func (s *shaper) exempt(i int) bool {
	if v, ok := s.exempts[i]; ok {
		return v
	}
	op := s.o.opts.API[i]
	t := s.o.api.opTmpl[i]
	v := false
	if t >= 0 {
		tm := s.o.api.tmpls[t]
		read := op.Method == "GET" || op.Method == "HEAD"
		for _, r := range s.leaves {
			if r.literal() && (read || r.leaf().writes > 0) {
				if segs := splitPath(r.path(), nil); len(segs) == len(tm.segs) && tm.matches(segs) {
					v = true
					break
				}
			}
		}
	}
	if s.exempts == nil {
		s.exempts = map[int]bool{}
	}
	s.exempts[i] = v
	return v
}

// methodsUsed lists the methods the client called on a template's
// operations.
func (s *shaper) methodsUsed(t int) string {
	tm := s.o.api.tmpls[t]
	var ms []string
	for m, op := range tm.ops {
		if s.c.opUsed[op] > 0 {
			ms = append(ms, m)
		}
	}
	if len(ms) == 0 {
		return "no operation of it called"
	}
	sort.Slice(ms, func(i, j int) bool { return methodRank(ms[i]) < methodRank(ms[j]) })
	return strings.Join(ms, ", ")
}

func methodRank(m string) string {
	order := map[string]string{"GET": "0", "HEAD": "1", "POST": "2", "PUT": "3", "PATCH": "4", "DELETE": "5"}
	if r, ok := order[m]; ok {
		return r
	}
	return "9" + m
}

// generalise proposes items for the leaves at one position of the tree:
// srcs are the nodes there (several once a segment was generalised),
// segs the pattern's segments so far; gen says that a "*" among them
// stands for values the client did not send (GeneralizeAfter), not only
// for values past the bound of those kept.
func (s *shaper) generalise(srcs []*node, segs []string, why string, gen bool) {
	var ends, deeps []leafRef
	for _, n := range srcs {
		if n.end != nil && n.end.tmpl < 0 {
			ends = append(ends, leafRef{n: n})
		}
		if n.deep != nil && n.deep.tmpl < 0 && n.deep.reads+n.deep.writes > 0 {
			deeps = append(deeps, leafRef{n: n, deep: true})
		}
	}
	p := strings.Join(segs, "/")
	if len(ends) > 0 {
		pat := p
		if pat == "" {
			pat = "*" // the root path: no pattern matches it alone
		}
		s.cands = append(s.cands, cand{item: class(ends) + ":" + pat, refs: ends, why: why, generalised: gen})
	}
	if len(deeps) > 0 {
		pat := "**"
		if p != "" {
			pat = p + "/**"
		}
		s.cands = append(s.cands, cand{item: class(deeps) + ":" + pat, refs: deeps,
			why: fmt.Sprintf("paths below /%s, past the bound of %d paths", p, s.o.opts.MaxPaths)})
	}
	values := map[string][]*node{}
	var others []*node
	for _, n := range srcs {
		for v, k := range n.kids {
			if s.live[k] {
				values[v] = append(values[v], k)
			}
		}
		if n.other != nil && s.live[n.other] {
			others = append(others, n.other)
		}
	}
	keys := make([]string, 0, len(values))
	for v := range values {
		keys = append(keys, v)
	}
	sort.Strings(keys)
	n := s.o.opts.GeneralizeAfter
	if len(others) > 0 || n >= 0 && len(keys) > n {
		var all []*node
		for _, v := range keys {
			all = append(all, values[v]...)
		}
		all = append(all, others...)
		reason := fmt.Sprintf("/%s took %d distinct values, more than %d", strings.Join(append(segs, "*"), "/"), len(keys), n)
		if len(others) > 0 {
			reason = fmt.Sprintf("/%s took more than %d distinct values, the bound kept", strings.Join(append(segs, "*"), "/"), s.o.opts.MaxValues)
		}
		// Past the bound of values, "*" stands for what the bound did not
		// keep, which a bound-exceeded finding reports.
		s.generalise(all, append(segs, "*"), "generalised: "+reason, gen || len(others) == 0)
		return
	}
	for _, v := range keys {
		s.generalise(values[v], append(segs[:len(segs):len(segs)], segPattern(v)), why, gen)
	}
}

// subtrees proposes "P/**" for each prefix P of literal segments below
// which the client used two or more of the API's templates, when the API
// has no operation that "P/**" grants and the client did not call
// (scope.ReachesTemplate, for every operation), and it lies within the
// granted scope. A shorter prefix is tried first; below one that is
// taken, no other is.
func (s *shaper) subtrees(byTmpl map[int][]leafRef) {
	var taken []string
	for _, p := range s.o.api.literalPrefixes() {
		if hasPrefixIn(p, taken) {
			continue
		}
		var refs []leafRef
		used := 0
		for t, rs := range byTmpl {
			if s.o.api.tmpls[t].under(p) {
				used++
				refs = append(refs, rs...)
			}
		}
		if used < 2 {
			continue
		}
		item := class(refs) + ":" + p + "/**"
		set, err := scope.Parse(item)
		if err != nil || s.uncalled(item, false) != "" || !s.within(set) {
			continue
		}
		sort.Slice(refs, func(i, j int) bool { return refs[i].pattern() < refs[j].pattern() })
		taken = append(taken, p)
		s.cands = append(s.cands, cand{item: item, refs: refs,
			why: fmt.Sprintf("every operation of the API that it grants was called (%d paths of the API below /%s/)", used, p)})
	}
}

func hasPrefixIn(p string, prefixes []string) bool {
	for _, q := range prefixes {
		if strings.HasPrefix(p, q+"/") {
			return true
		}
	}
	return false
}

// within reports whether the granted scope (if any) covers set, of one
// item; an undecided question is a no.
func (s *shaper) within(set scope.Set) bool {
	ok, _ := s.o.inWithin(set.Item(0))
	return ok
}

// bound replaces each proposed item that is not within the granted scope
// by the literal forms of the paths it stands for, and a literal form
// that is not within it either by the granted items that allowed those
// requests. It returns the items, in the order proposed, each once.
func (s *shaper) bound() []Origin {
	var out []Origin
	seen := map[string]bool{}
	add := func(item, why string) {
		if !seen[item] {
			seen[item] = true
			out = append(out, Origin{Item: item, Why: why})
		}
	}
	notWithin := func(item string, undecided bool) string {
		if undecided {
			return item + " is not proved within the granted scope (undecided)"
		}
		return item + " is not within the granted scope"
	}
	for _, c := range s.cands {
		set, err := scope.Parse(c.item)
		if err != nil {
			continue // cannot be: proposed items are valid patterns
		}
		ok, undecided := s.o.inWithin(set.Item(0))
		if ok {
			add(c.item, c.why)
			continue
		}
		for _, r := range c.refs {
			lit := class([]leafRef{r}) + ":" + r.pattern()
			litUndecided := undecided
			if lit != c.item {
				if set, err := scope.Parse(lit); err == nil {
					var ok bool
					if ok, litUndecided = s.o.inWithin(set.Item(0)); ok {
						add(lit, "as seen: "+notWithin(c.item, undecided))
						continue
					}
				}
			}
			r.leaf().granted.each(func(i int) {
				add(s.o.opts.Within.Item(i).String(), "granted item: "+notWithin(lit, litUndecided))
			})
		}
	}
	return out
}
