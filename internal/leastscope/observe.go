package leastscope

import (
	"fmt"
	"math/bits"
	"slices"
	"strings"
	"unsafe"

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
	clients map[clientKey]*client
	order   []*client
	nodes   int // path prefixes kept, over all clients
	// held is the bytes of everything kept (clients, path prefixes,
	// leaves, requests listed apart, answers remembered) and of what
	// Suggest will make of the leaves (a suggestion's items, which can be
	// longer than the prefixes they share); it never passes MaxBytes.
	held int64
	work work

	malformed         int64
	malformedExamples []Line
	exceeded          []Exceeded
	exceededAt        map[exceedKey]int // where each was reported
	// elsewhere counts the requests summarised past a bound at places
	// not reported, past maxExceeded of them.
	elsewhere   uint64
	overClients uint64
	aparts      int      // distinct requests listed apart, over all clients
	segs        []string // scratch
	// reached holds, with an API description, what scope.ReachesTemplate
	// answered for an item and an operation, asked once per run.
	reached map[reachKey]bool
	// inside holds whether an item is within the granted scope, asked once
	// per run: 1 yes, 0 no, -1 undecided.
	inside map[string]int8
}

// inWithin reports whether the granted scope covers it, an access item,
// and whether that is undecided (then it is not proved). An item without
// a wildcard allows one path, so the granted scope's matcher decides it
// exactly; the rest ask scope.Covers within the run's budget. Answers are
// remembered for the run, within the bound of memory.
func (o *Observer) inWithin(it scope.Item) (ok, undecided bool) {
	if !o.opts.HasWithin {
		return true, false
	}
	if !strings.Contains(it.Pattern, "*") {
		p := "/" + it.Pattern
		if it.Class == scope.Read {
			return o.within.Allow("GET", p), false
		}
		return o.within.AllowEveryMethod(p), false
	}
	text := it.String()
	if v, seen := o.inside[text]; seen {
		return v == 1, v < 0
	}
	for _, g := range o.opts.Within.Items() {
		if g.Pattern == it.Pattern && g.Class >= it.Class {
			return true, false // a granted item as it is
		}
	}
	ok, w := o.work.covers(o.opts.Within, scope.MustParse(text))
	v := int8(0)
	switch {
	case ok:
		v = 1
	case w.Err != nil:
		v = -1
	}
	if o.inside == nil {
		o.inside = map[string]int8{}
	}
	if o.reserve(answerBytes + len(text)) {
		o.inside[text] = v
	}
	return ok, v < 0
}

// clientKey names a client: in a tenant, when the log binds one.
type clientKey struct{ tenant, name string }

type exceedKey struct {
	bound  string
	client *client
	at     *node
}

// maxExceeded bounds the places where a bound was reached that are
// reported one by one; past it, their requests are counted together.
const maxExceeded = 20

// The bytes counted for what is kept, beside the strings' own bytes: a
// struct and its place in a map or slice, rounded up. They are
// estimates, a little above what the runtime allocates, so that held
// stays above the memory used.
const (
	clientBytes  = 512
	nodeBytes    = 160
	leafBytes    = int(unsafe.Sizeof(leaf{})) + 64
	apartBytes   = 256
	answerBytes  = 96
	itemBytes    = 160 // an item of a suggestion, with its origin
	outputCopies = 6   // the copies of an item's text a suggestion and its output hold
)

// reserve counts n more bytes as held, and reports false, counting
// nothing, when that would pass MaxBytes less its last eighth, which is
// kept for reserveDeep.
func (o *Observer) reserve(n int) bool {
	return o.reserveBelow(n, o.opts.MaxBytes-o.opts.MaxBytes/8)
}

// reserveDeep is reserve for a leaf that keeps the requests below a node
// past a bound, which may use all of MaxBytes: once nothing else can be
// kept, a request is still kept as the pattern of the nearest prefix.
func (o *Observer) reserveDeep(n int) bool { return o.reserveBelow(n, o.opts.MaxBytes) }

func (o *Observer) reserveBelow(n int, limit int64) bool {
	if o.held+int64(n) > limit {
		return false
	}
	o.held += int64(n)
	return true
}

// leafCost is what a leaf whose pattern is patternLen bytes long holds,
// and what a suggestion may make of it.
func (o *Observer) leafCost(patternLen int) int {
	return leafBytes + 3*8*o.words + itemBytes + outputCopies*(patternLen+3)
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
	ok, err := o.work.reaches(set, o.opts.API[op].Method, tmpl)
	v := ok || err != nil
	if o.reached == nil {
		o.reached = map[reachKey]bool{}
	}
	if o.reserve(answerBytes + len(k.item)) {
		o.reached[k] = v
	}
	return v
}

// client is what is kept of one client's requests.
type client struct {
	name, tenant             string
	root                     *node
	requests, allowed, apart uint64
	// lineOnly counts the allowed requests of logs that hold only the
	// request line, whose header sources cannot be seen.
	lineOnly    uint64
	first, last int64
	aparts      map[apartKey]int // index in apartList
	apartList   []Apart
	opUsed      []uint64 // by index into Options.API
	nodes       int      // path prefixes kept
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
	// plen is the length of the prefix's path, "/" and segments.
	plen int
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
	if opts.MaxBytes <= 0 {
		opts.MaxBytes = DefaultMaxBytes
	}
	if opts.MaxSteps <= 0 {
		opts.MaxSteps = DefaultMaxSteps
	}
	o := &Observer{opts: opts, clients: map[clientKey]*client{}, exceededAt: map[exceedKey]int{}, work: work{limit: opts.MaxSteps}}
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
	key := clientKey{name: gateway.Clip(rec.Client), tenant: gateway.Clip(rec.Tenant)}
	c := o.clients[key]
	if c == nil {
		// A client holds its root, a leaf below it for what no other
		// leaf can take, what it used of the API and of each granted item.
		cost := clientBytes + len(key.name) + len(key.tenant) + 8*len(o.opts.API) +
			o.opts.Within.Len()*int(unsafe.Sizeof(ItemUse{})) + nodeBytes + o.leafCost(2)
		switch {
		case len(o.clients) >= o.opts.MaxClients:
			o.overClients++
			o.exceed("clients", o.opts.MaxClients, nil, nil, 1)
			return
		case !o.reserve(cost):
			o.overClients++
			o.exceed("memory", int(o.opts.MaxBytes), nil, nil, 1)
			return
		}
		key = clientKey{name: strings.Clone(key.name), tenant: strings.Clone(key.tenant)}
		c = &client{name: key.name, tenant: key.tenant, root: &node{literal: true}, aparts: map[apartKey]int{}}
		c.root.deep = o.newLeaf(-1, false)
		if o.api != nil {
			c.opUsed = make([]uint64, len(o.opts.API))
		}
		o.clients[key] = c
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
	if why == "" {
		for _, r := range reqs {
			if why = unwritable(r.path); why != "" {
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
	if !rec.HasPath {
		c.lineOnly++
	}
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
// whose own path is path: its own, the upper-case form of its method, and
// every method any of its sources gives on every target any gives (every
// method, when one may mean any), for serve allows a request only when
// the scope allows all of them together. serve's log names the sources;
// from a log that holds only the request line they are read as serve
// reads that line (gateway.RequestLineMethods: the method overrides of
// the query, a POST's body), and the sources a header gave are not seen.
// It says why when they cannot be read back from the log.
func (o *Observer) requestsOf(rec accesslog.Record, path string) ([]request, string) {
	var reqs []request
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
	if !rec.HasPath {
		ms, anyMethod, tooMany := gateway.RequestLineMethods(rec.Method, rec.Target)
		if tooMany {
			return nil, fmt.Sprintf("its method and the method overrides of its query give more than %d methods, a request serve refuses (too-many-sources)", gateway.MaxSources)
		}
		for _, m := range ms {
			addMethod(m)
		}
		every = anyMethod
	}
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

// unwritable says why no item allows path without allowing other paths
// too, "" when its form as a pattern allows it alone: a path holding
// "*", which a pattern reads as a wildcard, or the root "/", which only
// patterns that match more ("*", "**") match. The gateway may have
// allowed such a request (the path is canonical), but the least scope is
// never made wider for it: written as a pattern, one junk request such as
// "DELETE /*/*/*" would keep write access to every path of that shape,
// and with an API description it would excuse the operations that shape
// grants. It is listed apart, for a person to judge.
func unwritable(path string) string {
	const tail = ": no item allows it alone, so the least scope is not made for it (an upstream seldom has such a path; grant it by hand if the client needs it)"
	switch {
	case path == "/":
		return `allowed, but it is the root "/", which a pattern matches only with others ("*" matches every one-segment path)` + tail
	case strings.Contains(path, "*"):
		return `allowed, but its path holds "*", which a pattern reads as a wildcard` + tail
	}
	return ""
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
	if len(c.apartList) >= MaxApart || o.aparts >= MaxApartTotal || !o.reserve(apartBytes+len(method)+len(target)+len(why)) {
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
			n, l = o.deepLeaf(c, n)
			break
		}
		n = next
		if i == len(o.segs)-1 {
			if n.end == nil {
				if !o.reserve(o.leafCost(n.plen)) {
					n, l = o.deepLeaf(c, n.parent)
					break
				}
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
		o.addMethod(l, method)
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

// deepLeaf returns the leaf that keeps a request below n that no node or
// leaf can be made for, with its node: n's deep leaf, made when there is
// room, or else the deep leaf of the nearest node above that has one (the
// client's root has one). The bound reached is reported at n.
func (o *Observer) deepLeaf(c *client, n *node) (*node, *leaf) {
	bound, limit := "memory", int(o.opts.MaxBytes)
	if o.nodes >= o.opts.MaxPaths {
		bound, limit = "paths", o.opts.MaxPaths
	}
	o.exceed(bound, limit, c, n, 1)
	for a := n; ; a = a.parent {
		if a.deep == nil && o.reserveDeep(o.leafCost(a.plen+3)) {
			a.deep = o.newLeaf(-1, false)
		}
		if a.deep != nil {
			return a, a.deep
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

// addMethod notes that l saw method m: up to maxMethods of them, each up
// to MaxMethodLen bytes, counted in held; past that, more.
func (o *Observer) addMethod(l *leaf, m string) {
	for _, have := range l.methods[:l.nmeth] {
		if have == m {
			return
		}
	}
	if l.nmeth == maxMethods || len(m) > MaxMethodLen || !o.reserveDeep(len(m)) {
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
		o.exceed("values", o.opts.MaxValues, c, n, 1)
		return n.other
	}
	if o.nodes >= o.opts.MaxPaths {
		return nil
	}
	if len(n.kids) >= o.opts.MaxValues {
		if !o.reserve(nodeBytes + 1) {
			return nil
		}
		o.nodes++
		c.nodes++
		n.other = &node{seg: "*", parent: n, plen: n.plen + 2}
		o.exceed("values", o.opts.MaxValues, c, n, 1)
		return n.other
	}
	if !o.reserve(nodeBytes + len(seg)) {
		return nil
	}
	o.nodes++
	c.nodes++
	if n.kids == nil {
		n.kids = map[string]*node{}
	}
	k := &node{seg: strings.Clone(seg), parent: n, literal: n.literal, plen: n.plen + 1 + len(seg)}
	n.kids[k.seg] = k
	return k
}

// exceed notes that a bound was reached (for a client, below a node),
// reporting each place once with the number of requests summarised
// there; past maxExceeded places, their requests are only counted, so
// that what is kept of them stays bounded.
func (o *Observer) exceed(bound string, limit int, c *client, at *node, requests uint64) {
	key := exceedKey{bound, c, at}
	if i, ok := o.exceededAt[key]; ok {
		o.exceeded[i].Requests += requests
		return
	}
	if len(o.exceeded) >= maxExceeded {
		o.elsewhere += requests
		return
	}
	e := Exceeded{Bound: bound, Limit: limit, Requests: requests}
	if c != nil {
		e.Client, e.Tenant = c.name, c.tenant
		if bound == "paths" || bound == "memory" {
			e.ClientPaths, e.Paths = c.nodes, o.nodes
		}
	}
	if at != nil {
		e.Where = prefixOf(at)
	}
	o.exceededAt[key] = len(o.exceeded)
	o.exceeded = append(o.exceeded, e)
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
