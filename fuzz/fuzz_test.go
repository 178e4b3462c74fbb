package fuzz

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"

	authv3 "github.com/envoyproxy/go-control-plane/envoy/service/auth/v3"
	"github.com/go-json-experiment/json/jsontext"
	"github.com/google/go-cmp/cmp"

	"github.com/scopecheck/scopecheck/gateway"
	"github.com/scopecheck/scopecheck/gateway/extauthz"
	"github.com/scopecheck/scopecheck/internal/oracle"
	"github.com/scopecheck/scopecheck/internal/scopefile"
	"github.com/scopecheck/scopecheck/internal/scopegen"
	"github.com/scopecheck/scopecheck/match"
	"github.com/scopecheck/scopecheck/scope"
)

// FuzzParse: Parse never panics; a damaged scope yields no items and
// errors with sane positions; a valid one's canonical text reparses to the
// same items and formats to itself.
func FuzzParse(f *testing.F) {
	for _, s := range scopeSeeds {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		set, err := scope.Parse(s)
		if err != nil {
			var list scope.ErrorList
			ok := errors.As(err, &list)
			if !ok || len(list) == 0 {
				t.Fatalf("Parse(%q) error %T %v is not a non-empty ErrorList", s, err, err)
			}
			if set.Len() != 0 {
				t.Fatalf("Parse(%q) returned items with an error", s)
			}
			for _, e := range list {
				if e.Offset < 0 || e.Offset > len(s) || e.Column != e.Offset+1 || e.Code == "" || e.Message == "" {
					t.Fatalf("Parse(%q): malformed error %+v", s, e)
				}
				if e.Code == scope.Internal {
					t.Fatalf("Parse(%q): internal error %v", s, e)
				}
			}
			return
		}
		canon := set.String()
		again, err := scope.Parse(canon)
		if err != nil {
			t.Fatalf("canonical text %q of %q does not parse: %v", canon, s, err)
		}
		if diff := cmp.Diff(set.Items(), again.Items()); diff != "" {
			t.Fatalf("canonical text %q of %q parses to other items:\n%s", canon, s, diff)
		}
		if again.String() != canon {
			t.Fatalf("formatting %q is not idempotent: %q", canon, again.String())
		}
	})
}

// FuzzAllow: the matcher agrees with the oracle, and a non-canonical path
// is never allowed; a scope that does not parse allows nothing.
func FuzzAllow(f *testing.F) {
	for i, s := range scopeSeeds {
		for j, p := range pathSeeds {
			if (i+j)%3 == 0 {
				f.Add(s, methodSeeds[(i+j)%len(methodSeeds)], p)
			}
		}
	}
	for _, r := range requestSeeds {
		f.Add(r[0], r[1], r[2])
	}
	f.Fuzz(func(t *testing.T, s, method, path string) {
		m, err := match.CompileString(s)
		if err != nil {
			if m.Allow(method, path) || m.Decide(method, path).Allowed {
				t.Fatalf("scope %q does not parse but allowed %q %q", s, method, path)
			}
			return
		}
		checkAgreement(t, scope.MustParse(s), m, method, path)
	})
}

// FuzzExactItems: Allow, Decide and the oracle agree when the scope holds
// an exact item of any length from 1 to 300, which the fuzzer picks, and
// spelled from the fuzzed scope's bytes; every execution checks, beside
// the fuzzed path, the paths of length 0 and 1 and the item's own path and
// its neighbours. The exact-path table, keyed by length, and the trie
// both hold such an item.
func FuzzExactItems(f *testing.F) {
	f.Add(uint16(63), "*:**a", "GET", "/")
	f.Add(uint16(64+1<<15), ".:config/loginPolicies/1ab23c45-6789-0123-d4ef-5g678h90ijk1", "HEAD", "/config")
	f.Add(uint16(127), "*:a/**b .:a/%C3%A9", "PUT", "/a/%C3%A9")
	f.Fuzz(func(t *testing.T, n uint16, s, method, path string) {
		key := scopegen.LiteralFrom(s, int(n%300)+1)
		item := []string{".:", "*:"}[n>>15] + key
		set, err := scope.Parse(s + " " + item)
		if err != nil {
			set = scope.MustParse(item)
		}
		m := match.Compile(set)
		for _, p := range []string{path, "", "/", "a", "/" + key, "/" + key + "/", "/" + key[:len(key)-1], "/" + key[1:]} {
			checkAgreement(t, set, m, method, p)
			checkAgreement(t, set, m, "GET", p)
		}
	})
}

// checkAgreement holds Allow and Decide to the oracle on one request: the
// same answer, no non-canonical path allowed, and the earliest granting
// item named.
func checkAgreement(t interface{ Fatalf(string, ...any) }, set scope.Set, m *match.Matcher, method, path string) {
	v := oracle.Decide(set, method, path)
	got, d := m.Allow(method, path), m.Decide(method, path)
	if got != v.Allowed || d.Allowed != v.Allowed {
		t.Fatalf("scope %q, %q %q: Allow %v, Decide %v, oracle %+v", set, method, path, got, d, v)
	}
	if got && !oracle.Canonical(path) {
		t.Fatalf("scope %q allowed non-canonical path %q", set, path)
	}
	if d.Allowed && (d.Index != v.Grant || d.Item != set.Item(v.Grant)) {
		t.Fatalf("scope %q, %q %q: granted by item %d, oracle says %d", set, method, path, d.Index, v.Grant)
	}
}

// FuzzCovers: Covers never panics; when it says no, the witness is a
// canonical request that requested allows and allowed denies (checked by
// the matcher and the oracle) or a plain item allowed lacks; when it says
// yes, allowed allows every request of requested tried here.
func FuzzCovers(f *testing.F) {
	for i, a := range scopeSeeds {
		f.Add(a, scopeSeeds[(i*7+3)%len(scopeSeeds)], pathSeeds[i%len(pathSeeds)])
	}
	f.Fuzz(func(t *testing.T, a, b, path string) {
		allowed, err1 := scope.Parse(a)
		requested, err2 := scope.Parse(b)
		if err1 != nil || err2 != nil {
			return
		}
		ok, w := scope.Covers(allowed, requested)
		ma, mr := match.Compile(allowed), match.Compile(requested)
		switch {
		case ok:
			for _, m := range []string{"GET", "POST"} {
				if mr.Allow(m, path) && !ma.Allow(m, path) {
					t.Fatalf("Covers(%q, %q) = true, but %s %q is allowed by requested only", a, b, m, path)
				}
			}
		case w.Err != nil:
			if !errors.Is(w.Err, scope.ErrTooComplex) {
				t.Fatalf("Covers(%q, %q): unexpected error %v", a, b, w.Err)
			}
		case w.Plain != "":
			if !strings.Contains(" "+b+" ", " "+w.Plain+" ") || strings.Contains(" "+allowed.String()+" ", " "+w.Plain+" ") {
				t.Fatalf("Covers(%q, %q): bad plain witness %q", a, b, w.Plain)
			}
		default:
			if !oracle.Canonical(w.Path) || !mr.Allow(w.Method, w.Path) || ma.Allow(w.Method, w.Path) {
				t.Fatalf("Covers(%q, %q): witness %v is not a canonical request of requested only", a, b, w)
			}
			if !oracle.Decide(requested, w.Method, w.Path).Allowed || oracle.Decide(allowed, w.Method, w.Path).Allowed {
				t.Fatalf("Covers(%q, %q): the oracle disagrees with witness %v", a, b, w)
			}
		}
	})
}

// FuzzScanner is the differential target between Parse, which tries a
// hand-written scanner first, and ParseGrammar, which uses the participle
// grammar alone: on every input, valid or not, the same items or the same
// errors (codes, offsets, columns, items, messages).
func FuzzScanner(f *testing.F) {
	for _, s := range scopeSeeds {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		fast, err1 := scope.Parse(s)
		slow, err2 := scope.ParseGrammar(s)
		if diff := cmp.Diff(slow.Items(), fast.Items()); diff != "" {
			t.Fatalf("%q: items differ (-grammar +Parse):\n%s", s, diff)
		}
		if diff := cmp.Diff(err2, err1); diff != "" {
			t.Fatalf("%q: errors differ (-grammar +Parse):\n%s", s, diff)
		}
	})
}

// FuzzLint: Lint never panics and reports positions inside the string;
// every suggestion parses and has the relation to the scope that Covers
// proves (equal for duplicate and redundant), and every request a finding
// names is decided as it says by the matcher.
func FuzzLint(f *testing.F) {
	for _, s := range scopeSeeds {
		f.Add(s)
	}
	f.Add("*:a/* *:a/*/** *:a/** *:a/* .:config/{id} a:b  ")
	f.Add("*:config/client*/secret *:config/client* *:webhooks/ *:a**/b")
	f.Add("*:* *:*/** .:* .:*/** *:**/**")
	f.Fuzz(func(t *testing.T, s string) {
		orig, origErr := scope.Parse(s)
		findings := scope.Lint(s)
		if len(findings) > scope.MaxLintFindings+1 {
			t.Fatalf("Lint(%q): %d findings, more than the bound", s, len(findings))
		}
		checkBreadth(t, s, findings)
		for _, fd := range findings {
			if fd.Offset < 0 || fd.Offset > len(s) || fd.Column != fd.Offset+1 || fd.Message == "" {
				t.Fatalf("Lint(%q): malformed finding %+v", s, fd)
			}
			for _, ex := range fd.Examples {
				if match.Compile(scope.MustParse(ex.Scope)).Allow(ex.Method, ex.Path) != ex.Allowed {
					t.Fatalf("Lint(%q): %s example %+v is not what the matcher decides", s, fd.Code, ex)
				}
			}
			if fd.Fix == nil {
				if fd.Suggestion != "" || fd.Relation != scope.NoSuggestion {
					t.Fatalf("Lint(%q): %s has a suggestion without a fix", s, fd.Code)
				}
				continue
			}
			suggestion := fd.Fix.Apply(s)
			if fd.Suggestion != suggestion && (fd.Suggestion != "" || len(suggestion) <= scope.MaxSuggestionBytes) {
				t.Fatalf("Lint(%q): %s suggestion %q is not its fix %+v made", s, fd.Code, fd.Suggestion, fd.Fix)
			}
			sugg, err := scope.Parse(suggestion)
			if err != nil {
				t.Fatalf("Lint(%q): %s suggestion %q does not parse: %v", s, fd.Code, suggestion, err)
			}
			if origErr != nil {
				continue // a repair: the scope grants nothing to compare with
			}
			in, w1 := scope.Covers(orig, sugg)
			out, w2 := scope.Covers(sugg, orig)
			if w1.Err != nil || w2.Err != nil {
				t.Fatalf("Lint(%q): %s suggestion %q offered on an undecided question", s, fd.Code, suggestion)
			}
			want := map[[2]bool]scope.Relation{{true, true}: scope.Same, {true, false}: scope.Narrower, {false, true}: scope.Wider}[[2]bool{in, out}]
			if fd.Relation != want || want == scope.NoSuggestion {
				t.Fatalf("Lint(%q): %s suggestion %q is said to be %v; Covers says %v", s, fd.Code, suggestion, fd.Relation, want)
			}
			if (fd.Code == scope.Duplicate || fd.Code == scope.Redundant) && want != scope.Same {
				t.Fatalf("Lint(%q): %s suggestion %q changes what the scope allows", s, fd.Code, suggestion)
			}
		}
	})
}

// checkBreadth holds super-admin and read-all to containment: one
// super-admin finding iff the valid access items of s together cover
// "*:**", one read-all iff they cover ".:**" and not "*:**" (unless s is
// past Lint's bounds, or the question is undecided and said so).
func checkBreadth(t *testing.T, s string, findings []scope.Finding) {
	var valid []string
	for _, f := range strings.Split(s, " ") {
		if set, err := scope.Parse(f); err == nil && set.Len() == 1 && set.Item(0).Class != scope.Plain {
			valid = append(valid, f)
		}
	}
	got := map[scope.Code]int{}
	for _, f := range findings {
		got[f.Code]++
	}
	if got[scope.TooLarge] > 0 {
		return
	}
	breadth, err := scope.Breadth(scope.MustParse(strings.Join(valid, " ")))
	if err != nil {
		t.Fatalf("Lint(%q): undecided breadth (%v) without a too-large finding", s, err)
	}
	want := map[scope.Code]int{}
	if breadth != "" {
		want[breadth] = 1
	}
	if got[scope.SuperAdmin] != want[scope.SuperAdmin] || got[scope.ReadAll] != want[scope.ReadAll] {
		t.Fatalf("Lint(%q): %d super-admin and %d read-all findings; Breadth says %q", s, got[scope.SuperAdmin], got[scope.ReadAll], breadth)
	}
}

// FuzzRead: reading an input never panics; every finding and every byte of
// every scope points into the input; and a scope read from JSON is the
// string encoding/json finds at its pointer, when no key repeats (where
// the two decoders may rightly differ on which copy to take).
func FuzzRead(f *testing.F) {
	for _, s := range readSeeds {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		checkAsWritten(t, string(data))
		in, err := scopefile.Read(data)
		if len(in.Scopes) > scopefile.MaxScopes || len(in.Findings) > scopefile.MaxFindings+1 {
			t.Fatalf("Read(%q): %d scopes and %d findings, past the bounds", data, len(in.Scopes), len(in.Findings))
		}
		lines := bytes.Count(data, []byte("\n")) + 1
		if err != nil {
			var fd *scopefile.Finding
			ok := errors.As(err, &fd)
			if !ok || fd.Offset < 0 || fd.Offset > len(data) || fd.Pos.Line > lines || len(in.Scopes) != 0 {
				t.Fatalf("Read(%q): error %#v", data, err)
			}
			return
		}
		dup := false
		for _, fd := range in.Findings {
			if fd.Offset < 0 || fd.Offset > len(data) || fd.Pos.Line < 1 || fd.Pos.Line > lines || fd.Pos.Column < 1 || fd.Message == "" {
				t.Fatalf("Read(%q): finding %+v", data, fd)
			}
			dup = dup || fd.Code == scopefile.DuplicateKey
		}
		var doc any
		isJSON := json.Unmarshal(data, &doc) == nil
		for _, sc := range in.Scopes {
			for i := 0; i <= len(sc.Text); i++ {
				if p := sc.At(i); p.Line < 1 || p.Line > lines || p.Column < 1 {
					t.Fatalf("Read(%q): byte %d of %q is at %+v", data, i, sc.Text, p)
				}
			}
			if !isJSON || dup || !strings.HasPrefix(sc.Where, "/") || sc.Form == scopefile.JWT {
				continue
			}
			v := doc
			for tok := range jsontext.Pointer(sc.Where).Tokens() {
				switch c := v.(type) {
				case map[string]any:
					v = c[tok]
				case []any:
					i, _ := strconv.Atoi(tok)
					v = c[i]
				}
			}
			if v != sc.Text {
				t.Fatalf("Read(%q): %s is %q, encoding/json says %#v", data, sc.Where, sc.Text, v)
			}
		}
	})
}

// checkAsWritten holds the one input rule: a string given on its own is
// the scope, as written, whatever it looks like; so is a line of text,
// unless it is a JWT, alone or in a Bearer header, which as written holds
// no access item.
func checkAsWritten(t *testing.T, s string) {
	in := scopefile.FromString(s)
	if len(in.Scopes) != 1 || in.Scopes[0].Text != s {
		t.Fatalf("FromString(%q) read %+v", s, in.Scopes)
	}
	trimmed := strings.Trim(s, " \t")
	if strings.ContainsAny(s, "\r\n#") || trimmed == "" || trimmed[0] == '{' || trimmed[0] == '[' || strings.HasPrefix(s, "\xEF\xBB\xBF") {
		return
	}
	text, err := scopefile.Read([]byte(s))
	if err != nil {
		t.Fatalf("Read(%q): %v", s, err)
	}
	for _, sc := range text.Scopes {
		if sc.Text == s && sc.Form == scopefile.Text {
			continue
		}
		if sc.Form != scopefile.JWT || !strings.HasPrefix(strings.ToLower(trimmed), "eyj") && !strings.Contains(strings.ToLower(trimmed), "bearer") {
			t.Fatalf("Read(%q) read %q as a scope of form %s", s, sc.Text, sc.Form)
		}
		for _, f := range strings.Split(s, " ") {
			if set, err := scope.Parse(f); err == nil && set.Len() == 1 && set.Item(0).Class != scope.Plain {
				t.Fatalf("Read(%q) read a token where the line holds access item %q", s, f)
			}
		}
	}
}

// FuzzGateway: gateway.Middleware, gateway.TokenMiddleware,
// gateway.AuthRequest (behind nginx and behind Envoy) and the gRPC front
// (extauthz) allow exactly the
// requests the oracle's reading of the
// language reference's "At the gateway" allows: any method, raw target
// and headers ("Name: value" lines), under a tenant-bound, an unbound or
// no mount (its tenant plain or not), with WebSocket upgrades allowed or
// not.
func FuzzGateway(f *testing.F) {
	for i, t := range gatewayTargetSeeds {
		f.Add(scopeSeeds[i%len(scopeSeeds)], methodSeeds[i%len(methodSeeds)], t, gatewayHeaderSeeds[i%len(gatewayHeaderSeeds)], uint8(i)|uint8(i%2)<<7)
	}
	f.Fuzz(func(t *testing.T, s, method, target, headers string, mountKind uint8) {
		set, err := scope.Parse(s)
		if err != nil {
			return
		}
		var (
			opts     []gateway.Option
			mount    oracle.Mount
			upgrades []string
		)
		if mountKind&0x80 != 0 {
			upgrades = []string{"websocket"}
			opts = append(opts, gateway.AllowUpgrade(upgrades...))
		}
		// The tenant: plain, or spelled as no tenant may be.
		tenant := [...]string{"acme", "%61cme", "ACME", ".."}[mountKind>>4&3]
		switch mountKind % 3 {
		case 1:
			opts = append(opts, gateway.TenantSegment(func(*http.Request) (string, bool) { return tenant, true }))
			mount = oracle.Mount{Segments: 1, Bound: true, Tenants: []string{tenant}}
		case 2:
			opts = append(opts, gateway.UnsafeStripSegments(1))
			mount = oracle.Mount{Segments: 1}
		}
		client := http.Header{}
		for _, line := range strings.Split(headers, "\n") {
			if name, value, ok := strings.Cut(line, ":"); ok && name != "" {
				k := http.CanonicalHeaderKey(name)
				client[k] = append(client[k], strings.TrimSpace(value))
			}
		}
		cache, _ := match.NewCache(2)
		check := func(who string, h http.Handler, r *http.Request, orq oracle.Request) {
			orq.Upgrades = upgrades
			want := oracle.AllowRequest(set, mount, orq)
			w := httptest.NewRecorder()
			h.ServeHTTP(w, r)
			if got := w.Code == http.StatusOK; got != want {
				t.Fatalf("%s: scope %q, %q %q, headers %q: allowed %v, oracle says %v", who, s, orq.Method, orq.Target, orq.Header, got, want)
			}
		}
		ok200 := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {})
		check("Middleware", gateway.Middleware(cache, func(*http.Request) (string, bool) { return s, true }, opts...)(ok200),
			&http.Request{Method: method, RequestURI: target, Header: client.Clone()},
			oracle.Request{Method: method, Target: target, Header: client})

		tokens := fixedScope(s)
		withToken := client.Clone()
		withToken.Set("Authorization", "Bearer t")
		check("TokenMiddleware", gateway.TokenMiddleware(cache, tokens, opts...)(ok200),
			&http.Request{Method: method, RequestURI: target, Header: withToken.Clone()},
			oracle.Request{Method: method, Target: target, Header: withToken})
		nginx := client.Clone()
		nginx.Set("Authorization", "Bearer t")
		nginx.Set("X-Original-Method", method)
		nginx.Set("X-Original-Uri", target)
		check("AuthRequest behind nginx", gateway.AuthRequest(cache, tokens, gateway.Nginx(), opts...),
			&http.Request{Method: "GET", RequestURI: "/auth", Header: nginx.Clone()},
			oracle.Request{Method: method, Target: target, Header: nginx, Own: []string{"X-Original-Method", "X-Original-Uri"}})
		if strings.HasPrefix(target, "/") {
			envoy := client.Clone()
			envoy.Set("Authorization", "Bearer t")
			check("AuthRequest behind Envoy", gateway.AuthRequest(cache, tokens, gateway.Envoy("/auth"), opts...),
				&http.Request{Method: method, RequestURI: "/auth" + target, Header: envoy.Clone()},
				oracle.Request{Method: method, Target: target, Header: envoy})

			// Envoy's gRPC filter: the headers under lower-case names, the
			// lines of each joined with ",", as Envoy's CheckRequest has them.
			joined := map[string]string{}
			for k, vs := range envoy {
				joined[strings.ToLower(k)] = strings.Join(vs, ",")
			}
			resp, err := extauthz.New(gateway.AuthRequest(cache, tokens, gateway.Envoy(""), opts...)).Check(context.Background(),
				&authv3.CheckRequest{Attributes: &authv3.AttributeContext{Request: &authv3.AttributeContext_Request{
					Http: &authv3.AttributeContext_HttpRequest{Method: method, Path: target, Headers: joined}}}})
			header := http.Header{}
			for k, v := range joined {
				header[http.CanonicalHeaderKey(k)] = []string{v}
			}
			orq := oracle.Request{Method: method, Target: target, Header: header, Upgrades: upgrades}
			if got, want := err == nil && resp.GetStatus().GetCode() == 0, oracle.AllowRequest(set, mount, orq); got != want {
				t.Fatalf("the gRPC front: scope %q, %q %q, headers %q: allowed %v, oracle says %v", s, method, target, joined, got, want)
			}
		}
	})
}

// fixedScope is a token check that gives every token one scope.
type fixedScope string

func (f fixedScope) Scope(context.Context, string) (string, error) { return string(f), nil }
