package gateway

import (
	"net/http"
	"strings"

	"github.com/scopecheck/scopecheck/match"
	"github.com/scopecheck/scopecheck/scope"
)

// This file is the request side of a decision: which method and which
// path the gateway decides on. The rule (the language reference, "At the
// gateway: the whole request") is that the upstream must not be able to
// read the request differently from the decision, so:
//
//   - the whole target is checked, mount segments included, before any
//     of it is removed; a removed segment is therefore an ordinary one
//     (no forbidden escape, not "." or "..", no ";"), and the tenant's
//     segment is compared with the token's tenant byte for byte;
//   - every source of the method or the target that some proxy or
//     framework honours is read, and the request is allowed only when the
//     scope allows every method and target they could mean together.

// Refusal says why the request side denied a request whatever the token's
// scope. The zero value, Decided, means it did not: the scope decided.
type Refusal uint8

const (
	// Decided: the request side refused nothing; the scope decided.
	Decided Refusal = iota
	// NoTarget: the source of the original method or target that the
	// proxy in front always sets is missing or empty.
	NoTarget
	// NoMount: the target has fewer segments than the mount, or nothing
	// after them ("/acme" under "/{tenant}").
	NoMount
	// NoTenant: the mount is bound to the token's tenant and the token has
	// none: the claim is missing, not a string, or not ValidTenant.
	NoTenant
	// WrongTenant: the target's tenant segment is not the token's tenant,
	// or the mount's bindings give different tenants (a fixed tenant and
	// another in the token's claim).
	WrongTenant
	// Conflict: a second source of the method or the target (Decision.Other)
	// means a request that the scope does not allow.
	Conflict
	// TooManySources: the request carries more distinct methods or targets
	// than MaxSources; it is not decided.
	TooManySources
	// Upgrade: the request asks to switch protocols (Upgrade, h2c's
	// HTTP2-Settings, Connection: upgrade) to one that AllowUpgrade does
	// not name; the connection would become a tunnel that no decision
	// sees into.
	Upgrade
	// QueryToken: a target's query carries a bearer token
	// ("access_token", Decision.Other.Name), a second one beside
	// Authorization's that the upstream might act under (RFC 6750 §2
	// allows a client one way to send its token).
	QueryToken
	// Undecodable: the proxy's description of the request could not be
	// read: a gRPC CheckRequest that is not protobuf, or that holds a
	// string field (a header value, the path, the body) that is not UTF-8,
	// which protobuf-go refuses. No part of it is believed.
	Undecodable
	// TooLarge: the proxy's description of the request is over the
	// receiver's size limit (a gRPC CheckRequest over the server's
	// receive limit); it is not read.
	TooLarge
)

var refusalNames = [...]string{"decided", "no-target", "no-mount", "no-tenant", "wrong-tenant", "conflicting-source", "too-many-sources", "upgrade", "query-token", "undecodable", "too-large"}

// String is the refusal's stable name, such as "wrong-tenant".
func (r Refusal) String() string {
	if int(r) < len(refusalNames) {
		return refusalNames[r]
	}
	return "unknown"
}

// MaxSources bounds the distinct methods, and the distinct targets, that one
// request may carry across all its sources; a request with more is refused
// (TooManySources), so that the work of deciding it is bounded.
const MaxSources = 8

// Source is a second source of a request's method or target, and the
// request it means.
type Source struct {
	// Name is the header or the query parameter as sent, or "POST body"
	// (a form or JSON field that frameworks read to change a POST's
	// method, which the gateway cannot see).
	Name string
	// Method is the method it means; "" means any method.
	Method string
	// Target is the path it means: escaped, the query removed.
	Target string
}

// A sourceKind is what a header that the request side reads carries.
type sourceKind uint8

const (
	notSource       sourceKind = iota
	methodSource               // a method
	targetSource               // a request target
	upgradeField               // Upgrade: protocols to switch to
	settingsField              // HTTP2-Settings: an h2c upgrade
	connectionField            // Connection: may ask for an upgrade
)

// sourceHeaders are the headers that carry a request's method or target in
// the convention of some proxy or framework. Each is read on every request,
// whichever proxy is in front, because the upstream (or a framework in it)
// may honour it: X-Original-* (nginx auth_request, ingress-nginx),
// X-Forwarded-Method and X-Forwarded-Uri (Traefik, Caddy), the method
// overrides of Rails, Laravel, Symfony, Express, ASP.NET, gorilla, Jersey
// and OData, X-Original-URL and X-Rewrite-URL (IIS URL Rewrite, honoured
// by Symfony and Zend as the request URI), and WebDAV's Destination (the
// target a COPY or MOVE writes).
var sourceHeaders = [...]struct {
	name string
	kind sourceKind
}{
	{"X-Original-Method", methodSource},
	{"X-Forwarded-Method", methodSource},
	{"X-Http-Method-Override", methodSource},
	{"X-Http-Method", methodSource},
	{"X-Method-Override", methodSource},
	{"X-Original-Uri", targetSource},
	{"X-Original-Url", targetSource},
	{"X-Forwarded-Uri", targetSource},
	{"X-Rewrite-Url", targetSource},
	{"Destination", targetSource},
	// Not sources, but read in the same pass: a protocol switch.
	{"Upgrade", upgradeField},
	{"Http2-Settings", settingsField},
	{"Connection", connectionField},
}

// sourceHeader says what a header carries. Names compare without regard to
// case and with '_' for '-', as CGI, PHP and WSGI servers see them
// (X_Original_URL reaches a PHP upstream as HTTP_X_ORIGINAL_URL).
func sourceHeader(name string) sourceKind {
	if len(name) < len("Upgrade") {
		return notSource
	}
	for _, h := range sourceHeaders {
		if sameHeader(name, h.name) {
			return h.kind
		}
	}
	return notSource
}

func sameHeader(a, b string) bool {
	if len(a) != len(b) {
		return false
	}
	for i := 0; i < len(a); i++ {
		x, y := a[i], b[i]
		if x == '_' {
			x = '-'
		}
		if 'A' <= x && x <= 'Z' {
			x += 'a' - 'A'
		}
		if 'A' <= y && y <= 'Z' {
			y += 'a' - 'A'
		}
		if x != y {
			return false
		}
	}
	return true
}

// meaning is one value of a source: a method, or a raw target.
type meaning struct{ source, value string }

// sources gathers every method and target a request carries. The first
// method and the first target are the proxy's own.
type sources struct {
	methods, targets [MaxSources]meaning
	nm, nt           int
	// every names a source that may mean any method ("" when none).
	every string
	// token names a query parameter that carries a bearer token.
	token    string
	overflow bool
	// proto is the request's ask to switch protocols.
	proto protocolSwitch
}

// addMethod adds a method and its upper-case form: frameworks upper-case
// an override (Rack, Symfony, Express), and Symfony even the request's own
// method, so "delete" means DELETE too.
func (s *sources) addMethod(source, v string) {
	s.addMethod1(source, v)
	if u := strings.ToUpper(v); u != v {
		s.addMethod1(source, u)
	}
}

func (s *sources) addMethod1(source, v string) {
	// A POST may carry a "_method" field in its body (Rails, Laravel,
	// Symfony, Spring, gorilla read one), which the gateway cannot see.
	if s.add(&s.methods, &s.nm, meaning{source, v}) && v == http.MethodPost && s.every == "" {
		s.every = "POST body"
	}
}

func (s *sources) addTarget(source, v string) {
	if !s.add(&s.targets, &s.nt, meaning{source, v}) {
		return
	}
	if i := strings.IndexByte(v, '?'); i >= 0 {
		s.addQuery(v[i+1:])
	}
}

// add appends m to the first *n entries of list unless a value equal to
// m's is there, and reports whether it did; a full list sets overflow.
func (s *sources) add(list *[MaxSources]meaning, n *int, m meaning) bool {
	for _, x := range list[:*n] {
		if x.value == m.value {
			return false
		}
	}
	if *n == len(list) {
		s.overflow = true
		return false
	}
	list[*n] = m
	*n++
	return true
}

// collect adds every value of every source header, and every element of
// it read as a comma-separated list: RFC 9110 §5.3 lets a proxy join the
// lines of a repeated header into one value with commas (Envoy's check
// request joins them with a bare ","), which the upstream still receives
// as separate lines. The first value of a header in own, the proxy's own
// source, is read whole: the proxy set it from the request line. It also
// gathers the request's asks to switch protocols, of which those in
// upgrades are allowed.
func (s *sources) collect(h http.Header, own [2]string, upgrades []string) {
	for name, values := range h {
		kind := sourceHeader(name)
		if kind == notSource {
			continue
		}
		for i, v := range values {
			if kind > targetSource {
				s.proto.add(kind, v, upgrades)
				continue
			}
			whole := i == 0 && (name == own[0] || name == own[1])
			for e, rest, more := v, v, !whole && strings.IndexByte(v, ',') >= 0; ; {
				if kind == methodSource {
					s.addMethod(name, e)
				} else {
					s.addTarget(name, e)
				}
				if !more {
					break
				}
				e, rest, more = strings.Cut(rest, ",")
				e = strings.Trim(e, " \t")
			}
		}
	}
}

// targetPath returns the path of a request target, the query removed. The
// origin form "/p?q" gives "/p"; the absolute form "scheme://authority/p?q"
// gives "/p", and "" when a '?' or '#' ends its authority (the path would
// then be read differently by different parsers); any other form (the
// asterisk form "*", the authority form "host:port", a relative path) is
// returned as it is, to be denied as not canonical.
func targetPath(t string) string {
	if i := strings.IndexByte(t, '?'); i >= 0 {
		t = t[:i]
	}
	if t == "" || t[0] == '/' {
		return t
	}
	rest, ok := afterScheme(t)
	if !ok {
		return t
	}
	i := strings.IndexAny(rest, "/#")
	if i < 0 || rest[i] == '#' {
		return ""
	}
	return rest[i:]
}

// afterScheme returns what follows "scheme://" (RFC 3986: ALPHA *( ALPHA /
// DIGIT / "+" / "-" / "." )).
func afterScheme(t string) (string, bool) {
	for i := 0; i < len(t); i++ {
		c := t[i]
		switch {
		case 'a' <= c && c <= 'z', 'A' <= c && c <= 'Z':
		case i > 0 && ('0' <= c && c <= '9' || c == '+' || c == '-' || c == '.'):
		case i > 0 && c == ':':
			return strings.CutPrefix(t[i+1:], "//")
		default:
			return "", false
		}
	}
	return "", false
}

// ValidTenant reports whether t can be a tenant: one or more of RFC 3986's
// unreserved characters (ASCII letters and digits, '-', '.', '_', '~'),
// and not "." or "..". A segment can then equal it only as spelled,
// escapes being no tenant's: a tenant "%61cme" would let a token reach
// "/%61cme/…", which an upstream that decodes reads as acme's. A token
// whose tenant is not valid has none (NoTenant).
func ValidTenant(t string) bool {
	if t == "" || t == "." || t == ".." {
		return false
	}
	for i := 0; i < len(t); i++ {
		c := t[i]
		if !('a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || c == '-' || c == '.' || c == '_' || c == '~') {
			return false
		}
	}
	return true
}

// request is what a decision needs besides the headers: the method and
// the raw target from the proxy's own source, the headers that carry them
// (none when they come from the request line), and the token's tenant.
type request struct {
	method, target string
	own            [2]string
	// tenant is the tenant every binding gave (hasTenant), or why there
	// is none: NoTenant when a binding gave none, WrongTenant when two
	// gave different ones.
	tenant    string
	hasTenant bool
	noTenant  Refusal
}

// bindTenant adds one binding's answer to the request's tenant: the first
// sets it, and every other must give the same.
func (rq *request) bindTenant(t string, ok bool) {
	switch {
	case rq.noTenant != Decided:
	case !ok || !ValidTenant(t):
		rq.noTenant = NoTenant
	case rq.hasTenant && t != rq.tenant:
		rq.noTenant = WrongTenant
	default:
		rq.tenant, rq.hasTenant = t, true
	}
}

// bindTenants gives a request the tenant of each of the mount's bindings:
// every TenantSegment, and the TenantClaim of claims, the token's.
func (c *config) bindTenants(r *http.Request, claims map[string]any, rq *request) {
	for _, tenantOf := range c.tenants {
		rq.bindTenant(tenantOf(r))
	}
	if c.claim != "" {
		t, ok := claims[c.claim].(string)
		rq.bindTenant(t, ok)
	}
}

// place checks that a target's path is canonical and removes the mount
// from it. It returns the path to match, or why there is none: a
// NotCanonical match.Decision, or a Refusal.
func (c *config) place(target string, rq *request) (string, match.Decision, Refusal) {
	if rule, off := scope.CheckPath(target); rule != scope.Canonical {
		return "", match.Decision{Reason: match.NotCanonical, Rule: rule, Offset: off}, Decided
	}
	p := target
	for i := 0; i < c.mountSegments(); i++ {
		// p is canonical: it begins with "/" and has no empty segment
		// before its last.
		j := strings.IndexByte(p[1:], '/')
		if j < 0 {
			return "", match.Decision{}, NoMount
		}
		if i == 0 && c.bound() {
			if rq.noTenant != Decided {
				return "", match.Decision{}, rq.noTenant
			}
			if !rq.hasTenant {
				return "", match.Decision{}, NoTenant
			}
			// Byte for byte, and the tenant holds no escape: the segment
			// "%61cme", which an upstream decodes to "acme", is no tenant's.
			// Case counts.
			if p[1:1+j] != rq.tenant {
				return "", match.Decision{}, WrongTenant
			}
		}
		p = p[1+j:]
	}
	return p, match.Decision{}, Decided
}

// keepSources records in d every source of s but the proxy's own request
// (and the upper-case form of its method), each with the request it means.
func (d *Decision) keepSources(s *sources) {
	add := func(x Source) {
		if int(d.nsources) < len(d.sources) {
			d.sources[d.nsources] = x
			d.nsources++
		}
	}
	for _, m := range s.methods[1:s.nm] {
		if m.source != "" {
			add(Source{m.source, m.value, d.Target})
		}
	}
	for _, t := range s.targets[1:s.nt] {
		add(Source{t.source, d.Method, targetPath(t.value)})
	}
	if s.every != "" {
		add(Source{s.every, "", d.Target})
	}
}

// decide decides a request into d, a zero Decision, with a scope's
// matcher m (nil denies all): the proxy's own method and target first,
// then every other meaning its sources give it. With explain, the decision carries match.Decide's
// reasons; without, only Allow runs on the allow path.
func (c *config) decide(d *Decision, m *match.Matcher, h http.Header, rq request, explain bool) {
	d.Method, d.Target = rq.method, targetPath(rq.target)
	if rq.method == "" || rq.target == "" {
		d.Refusal = NoTarget
		return
	}
	path, md, why := c.place(d.Target, &rq)
	if md.Reason == match.NotCanonical || why != Decided {
		d.Decision, d.Refusal = md, why
		return
	}
	d.Path = path
	var s sources
	s.addMethod("", rq.method)
	s.addTarget("", rq.target)
	s.collect(h, rq.own, c.upgrades)
	if explain {
		d.keepSources(&s)
	}
	if s.proto.refuse() {
		d.Refusal = Upgrade
		return
	}
	if s.token != "" {
		d.Refusal, d.Other = QueryToken, Source{Name: s.token}
		return
	}
	if s.overflow {
		d.Refusal = TooManySources
		return
	}
	if !m.Allow(rq.method, path) {
		if explain {
			d.Decision = m.Decide(rq.method, path)
		}
		return
	}
	for i := 0; i < s.nt; i++ {
		t := s.targets[i]
		other := targetPath(t.value)
		p, omd, owhy := path, match.Decision{}, Decided
		if i > 0 {
			p, omd, owhy = c.place(other, &rq)
			if omd.Reason == match.NotCanonical || owhy != Decided {
				d.Refusal, d.Other, d.Decision = Conflict, Source{t.source, rq.method, other}, omd
				return
			}
		}
		for j := 0; j < s.nm; j++ {
			if i == 0 && j == 0 {
				continue // the proxy's own request, allowed above
			}
			mj := s.methods[j]
			if m.Allow(mj.value, p) {
				continue
			}
			d.Refusal, d.Other = Conflict, Source{mj.source, mj.value, other}
			if i > 0 {
				d.Other.Name = t.source
			}
			if explain {
				d.Decision = m.Decide(mj.value, p)
			}
			return
		}
		if s.every != "" && !m.AllowEveryMethod(p) {
			// No one method's Decide explains this; the refusal does.
			d.Refusal, d.Other = Conflict, Source{s.every, "", other}
			return
		}
	}
	if explain {
		d.Decision = m.Decide(rq.method, path)
	} else {
		d.Allowed, d.Reason = true, match.Granted
	}
}
