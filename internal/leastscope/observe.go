package leastscope

import (
	"fmt"
	"math/bits"
	"slices"
	"strings"

	"github.com/scopecheck/scopecheck/gateway"
	"github.com/scopecheck/scopecheck/internal/accesslog"
	"github.com/scopecheck/scopecheck/match"
	"github.com/scopecheck/scopecheck/scope"
)

// Observer collects the requests of access logs, per client, in bounded
// memory. It is not safe for concurrent use: accesslog.Read hands
// records to one goroutine, in order, which is also what makes its
// summaries past a bound the same on every run.
type Observer struct {
	opts    Options
	within  *match.Matcher   // nil without a granted scope
	items   []*match.Matcher // each item of the granted scope alone
	words   int              // words of an item bitset
	api     *apiIndex        // nil without an API description
	clients map[string]*client
	order   []*client
	nodes   int // path prefixes kept, over all clients
	bytes   int // bytes of their segments

	malformed         int64
	malformedExamples []Line
	exceeded          []Exceeded
	exceededAt        map[string]int // where each was reported, by bound, client and place
	overClients       uint64
	aparts            int      // distinct requests listed apart, over all clients
	segs              []string // scratch
	// reached holds, with an API description, what scope.ReachesTemplate
	// answered for an item and an operation, asked once per run.
	reached map[reachKey]bool
}

type reachKey struct {
	item  string
	op    int
	slash bool
}

// reaches reports whether set, of one item, allows operation op's method
// on a path its template produces (with slash, that path with "/"
// added); an undecided question is a yes.
func (o *Observer) reaches(set scope.Set, op int, slash bool) bool {
	t := o.api.opTmpl[op]
	if t < 0 || !o.api.tmpls[t].mayReach(set.Item(0).Pattern, slash) {
		return false
	}
	k := reachKey{set.String(), op, slash}
	if v, ok := o.reached[k]; ok {
		return v
	}
	tmpl := o.opts.API[op].Template
	if slash {
		tmpl += "/"
	}
	_, ok, err := scope.ReachesTemplate(set, o.opts.API[op].Method, tmpl)
	v := ok || err != nil
	if o.reached == nil {
		o.reached = map[reachKey]bool{}
	}
	o.reached[k] = v
	return v
}

// client is what is kept of one client's requests.
type client struct {
	name                     string
	root                     *node
	requests, allowed, apart uint64
	first, last              int64
	aparts                   map[apartKey]int // index in apartList
	apartList                []Apart
	opUsed                   []uint64 // by index into Options.API
}

type apartKey struct{ method, target, why string }

// node is one path prefix of a client: the segments from the root to it.
// Its children are the next segment's values, at most MaxValues of them;
// the values past that share one node, other, whose paths are then no
// longer literal. When no prefix can be added (MaxPaths), a request
// below a node is kept in its deep leaf, as the pattern "prefix/**".
type node struct {
	seg    string
	parent *node
	kids   map[string]*node
	other  *node
	end    *leaf // the requests whose path ends here
	deep   *leaf // the requests below, past the bound of paths
	// literal is false below an other node: the path is then a pattern.
	literal bool
}

// leaf is what was seen of the requests of one path (or, when not
// literal, of the paths one pattern stands for).
type leaf struct {
	reads, writes uint64
	// methods are the distinct methods seen, up to maxMethods; more
	// says there were others, or one longer than MaxMethodLen.
	methods [maxMethods]string
	nmeth   int
	more    bool
	// granted holds, with a granted scope, the first item of it that
	// allowed each request (match.Decision.Index).
	granted bitset
	// readBy and writeBy hold, for a leaf that is not literal, every item
	// of the granted scope that allowed one of its read or write
	// requests; a literal leaf's are found from its path at the end.
	readBy, writeBy bitset
	// tmpl is the template that produces its paths, -1 when none does,
	// -2 when its paths differ in that.
	tmpl int
}

const maxMethods = 8

type bitset []uint64

func (b bitset) set(i int)      { b[i/64] |= 1 << (i % 64) }
func (b bitset) has(i int) bool { return b[i/64]&(1<<(i%64)) != 0 }
func (b bitset) or(c bitset) {
	for i := range c {
		b[i] |= c[i]
	}
}
func (b bitset) each(f func(int)) {
	for w, x := range b {
		for x != 0 {
			i := bits.TrailingZeros64(x)
			f(w*64 + i)
			x &^= 1 << i
		}
	}
}

// NewObserver makes an Observer.
func NewObserver(opts Options) *Observer {
	if opts.GeneralizeAfter == 0 {
		opts.GeneralizeAfter = DefaultGeneralizeAfter
	}
	if opts.MaxClients <= 0 {
		opts.MaxClients = DefaultMaxClients
	}
	if opts.MaxPaths <= 0 {
		opts.MaxPaths = DefaultMaxPaths
	}
	if opts.MaxValues <= 0 {
		opts.MaxValues = DefaultMaxValues
	}
	if opts.MaxPathBytes <= 0 {
		opts.MaxPathBytes = DefaultMaxPathBytes
	}
	o := &Observer{opts: opts, clients: map[string]*client{}, exceededAt: map[string]int{}}
	if opts.HasWithin {
		o.within = match.Compile(opts.Within)
		o.words = (opts.Within.Len() + 63) / 64
		for _, it := range opts.Within.Items() {
			o.items = append(o.items, match.Compile(scope.MustParse(it.String())))
		}
	}
	if len(opts.API) > 0 {
		o.api = newAPIIndex(opts.API)
	}
	return o
}

// Add takes one record of a log read from file. It keeps copies of what
// it keeps, never the record's strings.
func (o *Observer) Add(file string, rec accesslog.Record) {
	if rec.Outcome == accesslog.Malformed {
		o.malformed++
		if len(o.malformedExamples) < MaxMalformed {
			o.malformedExamples = append(o.malformedExamples, Line{File: file, Line: rec.Line, Reason: strings.Clone(gateway.Clip(rec.Reason))})
		}
		return
	}
	// Names are the client's, so they are clipped as serve clips what a
	// client sends, and a client's memory is bounded.
	name := gateway.Clip(rec.Client)
	c := o.clients[name]
	if c == nil {
		if len(o.clients) >= o.opts.MaxClients {
			o.overClients++
			o.exceed("clients", o.opts.MaxClients, "", "", 1)
			return
		}
		c = &client{name: strings.Clone(name), root: &node{literal: true}, aparts: map[apartKey]int{}}
		if o.api != nil {
			c.opUsed = make([]uint64, len(o.opts.API))
		}
		o.clients[c.name] = c
		o.order = append(o.order, c)
	}
	c.requests++
	if rec.Time != 0 {
		if c.first == 0 || rec.Time < c.first {
			c.first = rec.Time
		}
		if rec.Time > c.last {
			c.last = rec.Time
		}
	}
	path, why := o.pathOf(rec)
	switch {
	case why != "":
	case len(path) > MaxPathLen:
		why = fmt.Sprintf("the path is longer than %d bytes, and is not analysed", MaxPathLen)
	case !scope.GrantableMethod(rec.Method):
		why = "not a method any scope grants"
	case rec.Outcome == accesslog.Denied:
		why = "denied by the gateway"
		if rec.Reason != "" {
			why += " (" + gateway.Clip(rec.Reason) + ")"
		}
		// A refusal for the scope (serve's reasons, or 403) that the
		// granted scope would not make; refusals for the token or the
		// request's form say nothing about the scope.
		if scopeRefusal[rec.Reason] && o.within != nil && o.within.Allow(rec.Method, path) {
			why += ", though the granted scope allows it"
		}
	case rec.Outcome == accesslog.Unknown:
		// A proxy answers some statuses by itself, before it asks the
		// gateway (413) or when it cannot (503): such a request may never
		// have been decided, and counting it would widen the suggestion.
		why = "the log does not say that the gateway allowed it (status " + gateway.Clip(rec.Reason) + ")"
	}
	var reqs []request
	if why == "" {
		reqs, why = o.requestsOf(rec, path)
	}
	if why == "" && o.within != nil {
		for i, r := range reqs {
			if reqs[i].grant = o.granting(r); reqs[i].grant < 0 {
				why = "allowed by the gateway, but the granted scope denies it (" + o.within.Decide(r.method, r.path).Reason.String() + "): the log and the scope disagree"
				if i > 0 {
					what := r.method + " " + r.path
					if r.every {
						what = "every method on " + r.path
					}
					why = "allowed by the gateway, but the granted scope denies " + what + ", which a source of it means: the log and the scope disagree"
				}
				break
			}
		}
	}
	if why != "" {
		target := path
		if target == "" {
			target = rec.Target
		}
		o.setApart(c, gateway.Clip(rec.Method), gateway.Clip(target), why, Line{File: file, Line: rec.Line})
		return
	}
	c.allowed++
	for _, r := range reqs {
		o.observe(c, r)
	}
}

// request is one request that a logged decision stands for.
type request struct {
	method string
	path   string
	// every: the request may have any method (a POST's body may carry
	// "_method"), so the gateway allowed every method on the path.
	every bool
	// grant is, with a granted scope, the index of an item of it that
	// allows the request.
	grant int
}

// requestsOf returns the requests a gateway allowed when it allowed rec,
// whose own path is path: its own; and, in serve's log, the upper-case
// form of its method and every method any of its sources gives on every
// target any gives (every method, when one may mean any), for serve
// allows a request only when the scope allows all of them together. It
// says why when they cannot be read back from the log.
func (o *Observer) requestsOf(rec accesslog.Record, path string) ([]request, string) {
	reqs := []request{{method: rec.Method, path: path}}
	if !rec.HasPath {
		return reqs, ""
	}
	methods := []string{rec.Method}
	paths := []string{path}
	every := false
	addMethod := func(m string) {
		for _, v := range []string{m, strings.ToUpper(m)} {
			if !slices.Contains(methods, v) {
				methods = append(methods, v)
			}
		}
	}
	addMethod(rec.Method)
	for _, src := range rec.Sources {
		if src.AnyMethod {
			every = true
		} else {
			addMethod(src.Method)
		}
		if src.Target == rec.Target {
			continue
		}
		p, why := o.sourcePath(rec, src.Target)
		if why != "" {
			return nil, why
		}
		if !slices.Contains(paths, p) {
			paths = append(paths, p)
		}
	}
	reqs = reqs[:0]
	for _, p := range paths {
		if every {
			reqs = append(reqs, request{path: p, every: true})
		}
		for _, m := range methods {
			if !scope.GrantableMethod(m) {
				return nil, fmt.Sprintf("not a method any scope grants (%s, which serve decides on too)", gateway.Clip(m))
			}
			if !every || m == "GET" || m == "HEAD" {
				reqs = append(reqs, request{method: m, path: p})
			}
		}
	}
	// The request's own first: it is what the findings name.
	for i, r := range reqs {
		if !r.every && r.method == rec.Method && r.path == path {
			reqs[0], reqs[i] = reqs[i], reqs[0]
			break
		}
	}
	return reqs, ""
}

// sourcePath is the path a source's target means once serve removed the
// mount: as many segments as the record's own target lost.
func (o *Observer) sourcePath(rec accesslog.Record, target string) (string, string) {
	switch {
	case isClipped(target):
		return "", fmt.Sprintf("the log holds a source's target cut to %d bytes (gateway.Clip), and the rest cannot be read back", gateway.MaxLogField)
	case !strings.HasSuffix(rec.Target, rec.Path):
		return "", "the log's target does not end with its path, so the mount of its sources' targets cannot be told"
	}
	if r, _ := scope.CheckPath(target); r != scope.Canonical {
		return "", "a source's target is not canonical (" + r.String() + "), though the gateway allowed the request"
	}
	p := target
	for range strings.Count(rec.Target[:len(rec.Target)-len(rec.Path)], "/") {
		i := strings.IndexByte(p[1:], '/')
		if i < 0 {
			return "", "a source's target has no path below the mount, though the gateway allowed the request"
		}
		p = p[1+i:]
	}
	if len(p) > MaxPathLen {
		return "", fmt.Sprintf("a source's path is longer than %d bytes, and is not analysed", MaxPathLen)
	}
	return p, ""
}

// isClipped reports whether s is a string gateway.Clip cut short.
func isClipped(s string) bool {
	return strings.HasSuffix(s, " bytes)") && strings.Contains(s, "…(+")
}

// granting returns the index of an item of the granted scope that allows
// r, -1 when none does.
func (o *Observer) granting(r request) int {
	if !r.every {
		if d := o.within.Decide(r.method, r.path); d.Allowed {
			return d.Index
		}
		return -1
	}
	for i, m := range o.items {
		if m.AllowEveryMethod(r.path) {
			return i
		}
	}
	return -1
}

// scopeRefusal are the reasons of a refusal for the scope: serve's, and
// the status that says so.
var scopeRefusal = map[string]bool{"no-match": true, "read-only": true, "403": true}

// pathOf is the path a record's request was decided on, relative to the
// customer root, or why there is none: serve logs it; for other logs it
// is the target's path, which must be canonical as a whole, without its
// first StripSegments segments.
func (o *Observer) pathOf(rec accesslog.Record) (string, string) {
	if rec.HasPath {
		if rec.Path == "" {
			return "", "refused before its path was read"
		}
		if isClipped(rec.Path) {
			return "", fmt.Sprintf("the log holds the path cut to %d bytes (gateway.Clip), and the rest cannot be read back", gateway.MaxLogField)
		}
		if r, _ := scope.CheckPath(rec.Path); r != scope.Canonical {
			return "", "the path is not canonical (" + r.String() + ")"
		}
		return rec.Path, ""
	}
	p := targetPath(rec.Target)
	if r, _ := scope.CheckPath(p); r != scope.Canonical {
		return "", "the path is not canonical (" + r.String() + ")"
	}
	for range o.opts.StripSegments {
		i := strings.IndexByte(p[1:], '/')
		if i < 0 {
			return "", fmt.Sprintf("no path below the %d mount segment(s)", o.opts.StripSegments)
		}
		p = p[1+i:]
	}
	return p, ""
}

// targetPath is the path of a request target: the query removed, and an
// absolute URI's path taken ("" when it has none).
func targetPath(t string) string {
	t, _, _ = strings.Cut(t, "?")
	if strings.HasPrefix(t, "/") {
		return t
	}
	scheme, rest, ok := strings.Cut(t, "://")
	if !ok || scheme == "" || strings.ContainsAny(scheme, "/#") {
		return t
	}
	i := strings.IndexAny(rest, "/#")
	if i < 0 || rest[i] == '#' {
		return ""
	}
	return rest[i:]
}

// setApart lists a request apart: each is counted, and the first
// MaxApart distinct ones of a client (MaxApartTotal over all) are kept,
// their strings clipped (gateway.Clip).
func (o *Observer) setApart(c *client, method, target, why string, at Line) {
	c.apart++
	k := apartKey{method, target, why}
	if i, ok := c.aparts[k]; ok {
		c.apartList[i].Count++
		return
	}
	if len(c.apartList) >= MaxApart || o.aparts >= MaxApartTotal {
		return
	}
	o.aparts++
	k = apartKey{strings.Clone(method), strings.Clone(target), strings.Clone(why)}
	c.aparts[k] = len(c.apartList)
	c.apartList = append(c.apartList, Apart{Method: k.method, Target: k.target, Why: k.why, Count: 1, First: at})
}

// observe keeps an allowed request.
func (o *Observer) observe(c *client, r request) {
	method, path := r.method, r.path
	o.segs = splitPath(path, o.segs[:0])
	n := c.root
	var l *leaf
	for i, seg := range o.segs {
		next := o.child(c, n, seg)
		if next == nil {
			if n.deep == nil {
				n.deep = o.newLeaf(-1, false)
			}
			l = n.deep
			if o.nodes >= o.opts.MaxPaths {
				o.exceed("paths", o.opts.MaxPaths, c.name, prefixOf(n), 1)
			} else {
				o.exceed("path bytes", o.opts.MaxPathBytes, c.name, prefixOf(n), 1)
			}
			break
		}
		n = next
		if i == len(o.segs)-1 {
			if n.end == nil {
				t := -1
				if o.api != nil {
					t = o.api.match(o.segs)
				}
				n.end = o.newLeaf(t, n.literal)
			}
			l = n.end
		}
	}
	// The template of this request: a literal leaf's, found once; for a
	// leaf that stands for many paths, this path's, and the leaf's is
	// kept only while its paths agree.
	tmpl := l.tmpl
	if o.api != nil && (l == n.deep || !n.literal) {
		tmpl = o.api.match(o.segs)
		if l.writes+l.reads == 0 {
			l.tmpl = tmpl
		} else if l.tmpl != tmpl {
			l.tmpl = -2
		}
	}
	read := !r.every && (method == "GET" || method == "HEAD")
	if read {
		l.reads++
	} else {
		l.writes++
	}
	if r.every {
		// Every method: the methods kept cannot say it, so the proof
		// asks for every method on the path (leaf.more).
		l.more = true
	} else {
		l.addMethod(method)
	}
	if o.within != nil {
		l.granted.set(r.grant)
		if l.readBy != nil {
			// A leaf that stands for many paths: which items allowed this
			// one is known only now.
			by := l.writeBy
			if read {
				by = l.readBy
			}
			for i := 0; i < o.opts.Within.Len(); i++ {
				if by.has(i) {
					continue
				}
				if r.every && o.items[i].AllowEveryMethod(path) || !r.every && o.items[i].Allow(method, path) {
					by.set(i)
				}
			}
		}
	}
	if c.opUsed != nil && tmpl >= 0 {
		ops := o.api.tmpls[tmpl].ops
		switch op, ok := ops[method]; {
		case r.every:
			// Any method may have reached the API: none of its
			// operations there is said to be unused.
			for _, op := range ops {
				c.opUsed[op]++
			}
		case ok:
			c.opUsed[op]++
		case method == "HEAD":
			// A HEAD is served by the GET operation where there is no HEAD.
			if op, ok := ops["GET"]; ok {
				c.opUsed[op]++
			}
		}
	}
}

func (o *Observer) newLeaf(tmpl int, literal bool) *leaf {
	l := &leaf{tmpl: tmpl}
	if o.within != nil {
		l.granted = make(bitset, o.words)
		if !literal {
			l.readBy, l.writeBy = make(bitset, o.words), make(bitset, o.words)
		}
	}
	return l
}

func (l *leaf) addMethod(m string) {
	for _, have := range l.methods[:l.nmeth] {
		if have == m {
			return
		}
	}
	if l.nmeth == maxMethods || len(m) > MaxMethodLen {
		l.more = true
		return
	}
	l.methods[l.nmeth] = strings.Clone(m)
	l.nmeth++
}

// child returns n's child for seg, making it within the bounds; nil when
// the bound of paths leaves no room.
func (o *Observer) child(c *client, n *node, seg string) *node {
	if k, ok := n.kids[seg]; ok {
		return k
	}
	if n.other != nil {
		o.exceed("values", o.opts.MaxValues, c.name, prefixOf(n), 1)
		return n.other
	}
	if o.nodes >= o.opts.MaxPaths || o.bytes+len(seg) > o.opts.MaxPathBytes {
		return nil
	}
	o.nodes++
	o.bytes += len(seg)
	if len(n.kids) >= o.opts.MaxValues {
		n.other = &node{seg: "*", parent: n}
		o.exceed("values", o.opts.MaxValues, c.name, prefixOf(n), 1)
		return n.other
	}
	if n.kids == nil {
		n.kids = map[string]*node{}
	}
	k := &node{seg: strings.Clone(seg), parent: n, literal: n.literal}
	n.kids[k.seg] = k
	return k
}

// exceed notes that a bound was reached below where, reporting each
// place once with the number of requests summarised there.
func (o *Observer) exceed(bound string, limit int, client, where string, requests uint64) {
	key := bound + "\x00" + client + "\x00" + where
	if i, ok := o.exceededAt[key]; ok {
		if i >= 0 {
			o.exceeded[i].Requests += requests
		}
		return
	}
	if len(o.exceeded) >= 20 {
		o.exceededAt[key] = -1
		return
	}
	o.exceededAt[key] = len(o.exceeded)
	o.exceeded = append(o.exceeded, Exceeded{Bound: bound, Limit: limit, Client: client, Where: where, Requests: requests})
}

// splitPath appends the segments of a canonical path, after its leading
// "/", to out: "/a/b/" is "a", "b", "".
func splitPath(p string, out []string) []string {
	rest := p[1:]
	for {
		i := strings.IndexByte(rest, '/')
		if i < 0 {
			return append(out, rest)
		}
		out = append(out, rest[:i])
		rest = rest[i+1:]
	}
}

// prefixOf is the path pattern of the prefix a node stands for, without
// the leading "/": its segments joined, "*" for an other node.
func prefixOf(n *node) string {
	var segs []string
	for ; n != nil && n.parent != nil; n = n.parent {
		segs = append(segs, n.seg)
	}
	for i, j := 0, len(segs)-1; i < j; i, j = i+1, j-1 {
		segs[i], segs[j] = segs[j], segs[i]
	}
	return strings.Join(segs, "/")
}
