package leastscope

import (
	"errors"
	"fmt"
	"sort"
	"strings"

	"github.com/scopecheck/scopecheck/match"
	"github.com/scopecheck/scopecheck/scope"
)

// Suggest shapes, bounds, minimises and proves a suggestion for each
// client, and says what of the granted scope each used. Clients are in
// the order of their names. It may take a while for a client with many
// distinct paths: every one is decided again.
func (o *Observer) Suggest() *Report {
	rep := &Report{Malformed: o.malformed, MalformedExamples: o.malformedExamples, ClientsOverBound: o.overClients}
	if o.api != nil && o.opts.HasWithin {
		rep.OpItem = map[int]int{}
		for i, op := range o.opts.API {
			// An undecided question is not reported as an unused grant.
			if ok, err := o.work.reaches(o.opts.Within, op.Method, op.Template); !ok || err != nil {
				continue
			}
			rep.Reachable = append(rep.Reachable, i)
			// The first granted item that grants it, where findings about
			// it are placed.
			for k, it := range o.opts.Within.Items() {
				t := o.api.opTmpl[i]
				if it.Class == scope.Plain || t >= 0 && !o.api.tmpls[t].mayReach(it.Pattern, false) {
					continue
				}
				if ok, err := o.work.reaches(scope.MustParse(it.String()), op.Method, op.Template); ok && err == nil {
					rep.OpItem[i] = k
					break
				}
			}
		}
	}
	clients := append([]*client(nil), o.order...)
	sort.Slice(clients, func(i, j int) bool {
		if clients[i].tenant != clients[j].tenant {
			return clients[i].tenant < clients[j].tenant
		}
		return clients[i].name < clients[j].name
	})
	for _, c := range clients {
		rep.Clients = append(rep.Clients, o.suggest(c, rep.Reachable))
	}
	rep.Exceeded, rep.Elsewhere, rep.Held = o.exceeded, o.elsewhere, o.held
	rep.Work = Work{Limit: o.work.limit, Charged: o.work.spent, Questions: o.work.questions}
	if o.work.exhausted != nil {
		rep.Work.Exhausted = o.work.exhausted.Error()
	}
	return rep
}

func (o *Observer) suggest(c *client, reachable []int) Client {
	out := Client{Name: c.name, Tenant: c.tenant, Requests: c.requests, Allowed: c.allowed, Apart: c.apart,
		First: c.first, Last: c.last, ApartList: c.apartList}
	s := &shaper{o: o, c: c}
	s.collect(c.root)
	for _, r := range s.leaves {
		if r.literal() {
			out.Distinct += uint64(r.leaf().nmeth)
		} else {
			out.Summarised += r.leaf().reads + r.leaf().writes
		}
	}
	if o.opts.HasWithin {
		out.Use = o.use(s.leaves)
		for _, op := range reachable {
			if c.opUsed[op] == 0 {
				out.Unused = append(out.Unused, op)
			}
		}
	}
	s.shape()
	// An undecided question of Minimize leaves an item the others may
	// cover, and the suggestion still allows what it should: it is said,
	// and the suggestion made.
	notMin := ""
	minimal := func() (scope.Set, []Origin, error) {
		set, origins, err := o.minimal(s.bound())
		var nm *notMinimal
		if errors.As(err, &nm) {
			notMin, err = nm.Error(), nil
		}
		return set, origins, err
	}
	set, origins, err := minimal()
	if err == nil {
		var failed []leafRef
		out.Checks, failed = o.prove(set, s.leaves)
		if len(failed) > 0 {
			// A defect if it ever happens: add what those requests need
			// and prove everything again, rather than print an unproven
			// scope.
			for _, r := range failed {
				s.cands = append(s.cands, cand{item: class([]leafRef{r}) + ":" + r.pattern(), refs: []leafRef{r}, why: "as seen"})
			}
			if set, origins, err = minimal(); err == nil {
				out.Checks, failed = o.prove(set, s.leaves)
			}
		}
		if err == nil && len(failed) > 0 {
			err = fmt.Errorf("%d distinct requests are not proved to be allowed", len(failed))
		}
	}
	if c.apart > 0 && len(out.Checks) > 0 {
		out.Checks[0].Detail += fmt.Sprintf("; not the requests listed apart (%d)", c.apart)
	}
	if c.lineOnly > 0 && len(out.Checks) > 0 {
		out.Checks[0].Detail += fmt.Sprintf("; of %d requests only the request line was seen (its method overrides in the query read as serve reads them): a method or target a header gave (X-HTTP-Method-Override, X-Original-URL …) is not in such a log, and a request that carried one needs more", c.lineOnly)
	}
	if err != nil {
		out.Checks = append(out.Checks, Check{Name: "suggestion", Passed: false, Detail: "no suggestion is made: " + err.Error()})
		return out
	}
	if notMin != "" {
		out.Checks = append(out.Checks, Check{Name: "minimised", Passed: true,
			Detail: notMin + "; it allows exactly what its items do, and an item may be one the others cover"})
	}
	for _, ch := range out.Checks {
		if !ch.Passed {
			return out
		}
	}
	out.Suggestion, out.HasSuggestion, out.Items = set, true, origins
	if o.opts.HasWithin {
		// Most suggestions no longer allow the shortest path of a granted
		// item: the matcher finds that witness, and Covers is asked only
		// when it does not.
		w, found := o.witnessOf(match.Compile(set))
		ok := false
		if !found {
			ok, w = o.work.covers(set, o.opts.Within)
		}
		switch {
		case w.Err != nil:
			out.Checks = append(out.Checks, Check{Name: "compared with the granted scope", Passed: true,
				Detail: "undecided (" + w.Err.Error() + "); the suggestion is within it, which is proved"})
		case ok:
			out.Relation = Equal
			out.Checks = append(out.Checks, Check{Name: "compared with the granted scope", Passed: true,
				Detail: "equal: the requests seen need everything it allows (scope.Covers both ways)"})
		default:
			out.Relation, out.Witness = Narrower, w
			how := "scope.Covers"
			if found {
				how = "the matcher, on the shortest path of a granted item"
			}
			out.Checks = append(out.Checks, Check{Name: "compared with the granted scope", Passed: true,
				Detail: fmt.Sprintf("narrower: it no longer allows %s, for one (%s)", w, how)})
		}
	}
	return out
}

// prove checks a suggestion: that it allows every request seen (each
// distinct request decided by the matcher; those summarised past a bound
// proved with scope.Covers against the patterns they were kept as, all in
// one question, or else the granted items that allowed them), and that
// each of its items lies within the granted scope (a literal item by the
// granted scope's matcher, the others with scope.Covers). It returns the
// checks, and the leaves whose requests it does not allow. Its questions
// are asked within the run's budget of work, and an undecided one fails.
func (o *Observer) prove(set scope.Set, leaves []leafRef) ([]Check, []leafRef) {
	m := match.Compile(set)
	// The suggestion's items by pattern, the widest class of each: a group
	// kept as a pattern the suggestion holds as it is needs no question.
	have := map[string]scope.Class{}
	for _, it := range set.Items() {
		if it.Class != scope.Plain && it.Class > have[it.Pattern] {
			have[it.Pattern] = it.Class
		}
	}
	var failed, pending []leafRef
	decided, summarised := 0, 0
	for _, r := range leaves {
		l := r.leaf()
		if r.literal() {
			p := r.path()
			ok := true
			for _, meth := range l.methods[:l.nmeth] {
				decided++
				ok = ok && m.Decide(meth, p).Allowed
			}
			// The methods past those kept: the matcher decides every
			// method outside the read class alike.
			if l.more {
				ok = ok && (l.reads == 0 || m.Decide("GET", p).Allowed) && (l.writes == 0 || m.AllowEveryMethod(p))
			}
			if !ok {
				failed = append(failed, r)
			}
			continue
		}
		summarised++
		want := scope.Read
		if l.writes > 0 {
			want = scope.ReadWrite
		}
		if pat := r.pattern(); have[pat] < want && !underSubtree(have, pat, want) {
			pending = append(pending, r)
		}
	}
	undecided := 0
	if len(pending) > 0 {
		var lits, granted []string
		for _, r := range pending {
			lits = append(lits, class([]leafRef{r})+":"+r.pattern())
			r.leaf().granted.each(func(i int) { granted = append(granted, o.opts.Within.Item(i).String()) })
		}
		covered := func(texts []string) (bool, bool) {
			g, err := scope.Parse(strings.Join(texts, " "))
			if err != nil {
				return false, false
			}
			ok, w := o.work.covers(set, g)
			return ok, w.Err != nil
		}
		ok, undec := covered(lits)
		if !ok && len(granted) > 0 {
			ok, undec = covered(granted)
		}
		if !ok {
			// One group at a time, to name those not allowed.
			for _, r := range pending {
				okLit, u1 := covered([]string{class([]leafRef{r}) + ":" + r.pattern()})
				if okLit {
					continue
				}
				var g []string
				r.leaf().granted.each(func(i int) { g = append(g, o.opts.Within.Item(i).String()) })
				okG, u2 := false, false
				if len(g) > 0 {
					okG, u2 = covered(g)
				}
				if !okG {
					failed = append(failed, r)
					if u1 || u2 || undec {
						undecided++
					}
				}
			}
		}
	}
	detail := fmt.Sprintf("%d distinct requests (method and path) decided by the matcher", decided)
	if summarised > 0 {
		detail += fmt.Sprintf("; %d groups of requests kept past a bound proved with scope.Covers", summarised)
	}
	if len(failed) > 0 {
		detail = fmt.Sprintf("%d of the requests seen are not allowed (%d undecided): ", len(failed), undecided) + detail
	}
	checks := []Check{{Name: "allows every request seen", Passed: len(failed) == 0, Detail: detail}}
	if o.opts.HasWithin {
		var outside []string
		undecided, literal, n := false, 0, 0
		for _, it := range set.Items() {
			if it.Class == scope.Plain {
				continue // the granted scope's own
			}
			n++
			if !strings.Contains(it.Pattern, "*") {
				literal++
			}
			ok, undec := o.inWithin(it)
			if !ok {
				outside = append(outside, it.String())
				undecided = undecided || undec
			}
		}
		ch := Check{Name: "within the granted scope", Passed: len(outside) == 0,
			Detail: fmt.Sprintf("each of its %d items proved within it: %d by scope.Covers, %d that allow one path each by its matcher", n, n-literal, literal)}
		if len(outside) > 0 {
			shown := outside
			if len(shown) > maxUncalledShown {
				shown = append(shown[:maxUncalledShown:maxUncalledShown], fmt.Sprintf("and %d more", len(outside)-maxUncalledShown))
			}
			ch.Detail = "not proved for " + strings.Join(shown, " ")
			if undecided {
				ch.Detail += " (undecided)"
			}
		}
		checks = append(checks, ch)
	}
	return checks, failed
}

// underSubtree reports whether have, a suggestion's items by pattern,
// holds an item "Q**" of class want or wider whose Q, without wildcards and
// ending at a "/" (or empty), begins pattern before its first wildcard:
// every path pattern matches then begins with Q, and "Q**" allows it. It
// answers for a group kept past a bound, below a subtree the suggestion
// grants whole, without a question.
func underSubtree(have map[string]scope.Class, pattern string, want scope.Class) bool {
	lit := pattern
	if i := strings.IndexByte(pattern, '*'); i >= 0 {
		lit = pattern[:i]
	}
	for i := 0; i <= len(lit); i++ {
		if (i == 0 || lit[i-1] == '/') && have[lit[:i]+"**"] >= want {
			return true
		}
	}
	return false
}

// witnessOf looks for a request that the granted scope allows and set does
// not, without a question: the shortest path each granted item matches
// (its wildcards empty), read and, for a read-write item, written. The
// second result is false when each is allowed, and scope.Covers must say.
func (o *Observer) witnessOf(m *match.Matcher) (scope.Witness, bool) {
	for _, it := range o.opts.Within.Items() {
		if it.Class == scope.Plain {
			continue
		}
		p := "/" + strings.ReplaceAll(it.Pattern, "*", "")
		if r, _ := scope.CheckPath(p); r != scope.Canonical {
			continue
		}
		if !m.Allow("GET", p) {
			return scope.Witness{Method: "GET", Path: p}, true
		}
		if it.Class == scope.ReadWrite && !m.AllowEveryMethod(p) {
			return scope.Witness{Method: "POST", Path: p}, true
		}
	}
	return scope.Witness{}, false
}

// use says what each item of the granted scope allowed of the requests
// seen: a literal leaf's requests are decided against each item alone;
// a summarised leaf's, by the items noted as it was kept.
func (o *Observer) use(leaves []leafRef) []ItemUse {
	out := make([]ItemUse, o.opts.Within.Len())
	for i := range out {
		out[i].Item = o.opts.Within.Item(i).String()
	}
	for _, r := range leaves {
		l := r.leaf()
		if !r.literal() {
			l.readBy.each(func(i int) { out[i].Reads += l.reads })
			l.writeBy.each(func(i int) { out[i].Writes += l.writes })
			continue
		}
		p := r.path()
		for i, m := range o.items {
			if l.reads > 0 && m.Allow("GET", p) {
				out[i].Reads += l.reads
			}
			if l.writes > 0 && m.AllowEveryMethod(p) {
				out[i].Writes += l.writes
			}
		}
	}
	return out
}
