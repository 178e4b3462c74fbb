package leastscope

import (
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
	rep := &Report{Malformed: o.malformed, MalformedExamples: o.malformedExamples,
		Exceeded: o.exceeded, ClientsOverBound: o.overClients}
	if o.api != nil && o.opts.HasWithin {
		for i, op := range o.opts.API {
			// An undecided question is not reported as an unused grant.
			if _, ok, err := scope.ReachesTemplate(o.opts.Within, op.Method, op.Template); ok && err == nil {
				rep.Reachable = append(rep.Reachable, i)
			}
		}
	}
	clients := append([]*client(nil), o.order...)
	sort.Slice(clients, func(i, j int) bool { return clients[i].name < clients[j].name })
	for _, c := range clients {
		rep.Clients = append(rep.Clients, o.suggest(c, rep.Reachable))
	}
	return rep
}

func (o *Observer) suggest(c *client, reachable []int) Client {
	out := Client{Name: c.name, Requests: c.requests, Allowed: c.allowed, Apart: c.apart,
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
	set, origins, err := o.minimal(s.bound())
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
			if set, origins, err = o.minimal(s.bound()); err == nil {
				out.Checks, failed = o.prove(set, s.leaves)
			}
		}
		if err == nil && len(failed) > 0 {
			err = fmt.Errorf("%d distinct requests are not proved to be allowed", len(failed))
		}
	}
	if err != nil {
		out.Checks = append(out.Checks, Check{Name: "suggestion", Passed: false, Detail: "no suggestion is made: " + err.Error()})
		return out
	}
	for _, ch := range out.Checks {
		if !ch.Passed {
			return out
		}
	}
	out.Suggestion, out.HasSuggestion, out.Items = set, true, origins
	if o.opts.HasWithin {
		ok, w := scope.Covers(set, o.opts.Within)
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
			out.Checks = append(out.Checks, Check{Name: "compared with the granted scope", Passed: true,
				Detail: fmt.Sprintf("narrower: it no longer allows %s, for one (scope.Covers)", w)})
		}
	}
	return out
}

// prove checks a suggestion: that it allows every request seen (each
// distinct request decided by the matcher; those summarised past a bound
// proved with scope.Covers against the pattern they were kept as, or the
// granted items that allowed them), and that each of its items lies
// within the granted scope (scope.Covers). It returns the checks, and
// the leaves whose requests it does not allow.
func (o *Observer) prove(set scope.Set, leaves []leafRef) ([]Check, []leafRef) {
	m := match.Compile(set)
	var failed []leafRef
	decided, summarised, undecided := 0, 0, 0
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
		lit, err := scope.Parse(class([]leafRef{r}) + ":" + r.pattern())
		if err == nil {
			if ok, w := scope.Covers(set, lit); ok && w.Err == nil {
				continue
			}
		}
		if o.opts.HasWithin {
			var granted []string
			l.granted.each(func(i int) { granted = append(granted, o.opts.Within.Item(i).String()) })
			if g, err := scope.Parse(strings.Join(granted, " ")); err == nil {
				ok, w := scope.Covers(set, g)
				if ok && w.Err == nil {
					continue
				}
				if w.Err != nil {
					undecided++
				}
			}
		}
		failed = append(failed, r)
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
		undecided := false
		for _, it := range set.Items() {
			ok, w := scope.Covers(o.opts.Within, scope.MustParse(it.String()))
			if !ok {
				outside = append(outside, it.String())
				undecided = undecided || w.Err != nil
			}
		}
		ch := Check{Name: "within the granted scope", Passed: len(outside) == 0,
			Detail: fmt.Sprintf("each of its %d items proved with scope.Covers", set.Len())}
		if len(outside) > 0 {
			ch.Detail = "not proved for " + strings.Join(outside, " ")
			if undecided {
				ch.Detail += " (undecided)"
			}
		}
		checks = append(checks, ch)
	}
	return checks, failed
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
