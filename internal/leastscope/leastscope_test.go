package leastscope

import (
	"fmt"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/scopecheck/scopecheck/gateway"
	"github.com/scopecheck/scopecheck/internal/accesslog"
	"github.com/scopecheck/scopecheck/match"
	"github.com/scopecheck/scopecheck/scope"
)

// observe runs an Observer over requests written "CLIENT METHOD PATH",
// or "CLIENT METHOD PATH denied".
func observe(opts Options, reqs ...string) *Report {
	o := NewObserver(opts)
	for i, r := range reqs {
		f := strings.Fields(r)
		rec := accesslog.Record{Line: int64(i + 1), Client: f[0], Method: f[1], Path: f[2], HasPath: true, Outcome: accesslog.Allowed}
		if len(f) > 3 {
			rec.Outcome, rec.Reason = accesslog.Denied, "no-match"
		}
		if rec.Client == "-" {
			rec.Client = ""
		}
		o.Add("log", rec)
	}
	return o.Suggest()
}

func within(s string) Options { return Options{Within: scope.MustParse(s), HasWithin: true} }

// times makes n requests of one client and method on paths from format,
// numbered from 1.
func times(n int, client, method, format string) []string {
	var out []string
	for i := 1; i <= n; i++ {
		out = append(out, client+" "+method+" "+fmt.Sprintf(format, i))
	}
	return out
}

// tokenAPI is a small API: token policies, their rules, and clients.
var tokenAPI = []Operation{
	{"GET", "/config/tokenPolicies", "listTokenPolicies"},
	{"GET", "/config/tokenPolicies/{id}", "getTokenPolicy"},
	{"PUT", "/config/tokenPolicies/{id}", "updateTokenPolicy"},
	{"GET", "/config/tokenPolicies/{id}/rules", "getRules"},
	{"GET", "/config/clients", "listClients"},
	{"GET", "/files/{name}.json", "getFile"},
}

func TestSuggest(t *testing.T) {
	tests := []struct {
		name string
		opts Options
		reqs []string
		want string // the suggestion of the first client
		why  []string
	}{
		{"paths as seen", Options{}, []string{"a GET /config/clients", "a HEAD /config/clients/c1", "a GET /config/clients/c1"},
			".:config/clients .:config/clients/c1", []string{"as seen", "as seen"}},
		{"a write makes the item read-write", Options{}, []string{"a GET /config/clients/c1", "a PATCH /config/clients/c1", "a GET /config/clients"},
			".:config/clients *:config/clients/c1", nil},
		{"generalised past --generalize-after", Options{}, times(6, "a", "GET", "/config/clients/c%d"),
			".:config/clients/*", []string{"generalised: /config/clients/* took 6 distinct values, more than 5"}},
		{"not past it", Options{}, times(5, "a", "GET", "/config/clients/c%d"),
			".:config/clients/c1 .:config/clients/c2 .:config/clients/c3 .:config/clients/c4 .:config/clients/c5", nil},
		{"a generalised position is generalised below too", Options{GeneralizeAfter: 1},
			[]string{"a GET /p/x/1", "a GET /p/y/2", "a DELETE /p/y/3"}, "*:p/*/*", nil},
		{"never generalised", Options{GeneralizeAfter: -1}, times(3, "a", "GET", "/c/%d"), ".:c/1 .:c/2 .:c/3", nil},
		{"the generalisation leaves the granted scope: the paths as seen",
			Options{Within: scope.MustParse(".:config/clients/c1 .:config/clients/c2 *:webhooks/**"), HasWithin: true, GeneralizeAfter: 1},
			[]string{"a GET /config/clients/c1", "a GET /config/clients/c2"}, ".:config/clients/c1 .:config/clients/c2",
			[]string{"as seen: .:config/clients/* is not within the granted scope", "as seen: .:config/clients/* is not within the granted scope"}},
		{"past the bound of paths: the granted items that allowed them",
			Options{Within: scope.MustParse(".:a/b/c .:a/b/d .:x"), HasWithin: true, MaxPaths: 2},
			[]string{"a GET /a/b/c", "a GET /a/b/d"}, ".:a/b/c .:a/b/d",
			[]string{"granted item: .:a/b/** is not within the granted scope", "granted item: .:a/b/** is not within the granted scope"}},
		{"past the bound of paths, within the granted scope",
			Options{Within: scope.MustParse("*:a/**"), HasWithin: true, MaxPaths: 1},
			[]string{"a GET /a/b/c", "a GET /a/b/d", "a GET /a/x"}, ".:a/**",
			[]string{"paths below /a, past the bound of 1 paths"}},
		{"past the bound of values", Options{MaxValues: 2}, times(4, "a", "GET", "/c/%d/x"), ".:c/*/x", nil},
		{"plain items of the granted scope are kept", within("openid *:config/** email"), []string{"a GET /config/x"},
			".:config/x openid email", []string{"as seen", "a plain item of the granted scope, kept: it allows no request, so no log shows its use", "a plain item of the granted scope, kept: it allows no request, so no log shows its use"}},
		{"no request allowed: the empty scope", within("*:config/**"), []string{"a GET /other denied"}, "", nil},
		{"templates", Options{API: tokenAPI}, []string{"a GET /config/tokenPolicies/p1", "a GET /config/tokenPolicies", "a GET /config/clients", "a GET /files/x.json"},
			".:config/clients .:config/tokenPolicies .:config/tokenPolicies/* .:files/*.json",
			[]string{"the API's path /config/clients (GET)", "the API's path /config/tokenPolicies (GET)",
				"the API's path /config/tokenPolicies/{id} (GET)", "the API's path /files/{name}.json (GET)"}},
		{"a subtree whose every operation was called", Options{API: tokenAPI},
			[]string{"a GET /config/tokenPolicies/p1", "a PUT /config/tokenPolicies/p1", "a GET /config/tokenPolicies/p2/rules", "a GET /config/tokenPolicies"},
			".:config/tokenPolicies *:config/tokenPolicies/**", []string{"the API's path /config/tokenPolicies (GET)", "every operation of the API that it grants was called (2 paths of the API below /config/tokenPolicies/)"}},
		{"a read subtree needs only the reads called", Options{API: tokenAPI},
			[]string{"a GET /config/tokenPolicies/p1", "a GET /config/tokenPolicies/p2/rules", "a GET /config/tokenPolicies"},
			".:config/tokenPolicies .:config/tokenPolicies/**", nil},
		{"no subtree where an operation was not called", Options{API: append(tokenAPI, Operation{"GET", "/config/tokenPolicies/{id}/audit", ""})},
			[]string{"a GET /config/tokenPolicies/p1", "a PUT /config/tokenPolicies/p1", "a GET /config/tokenPolicies/p2/rules", "a GET /config/tokenPolicies"},
			".:config/tokenPolicies *:config/tokenPolicies/* .:config/tokenPolicies/*/rules", nil},
		{"no subtree outside the granted scope", Options{API: tokenAPI, Within: scope.MustParse(".:config/tokenPolicies *:config/tokenPolicies/* .:config/tokenPolicies/*/rules"), HasWithin: true},
			[]string{"a GET /config/tokenPolicies/p1", "a PUT /config/tokenPolicies/p1", "a GET /config/tokenPolicies/p2/rules", "a GET /config/tokenPolicies"},
			".:config/tokenPolicies *:config/tokenPolicies/* .:config/tokenPolicies/*/rules", nil},
		// "*" allows the empty segment: *:config/tokenPolicies/** allows
		// GET /config/tokenPolicies/, which an upstream that ignores a
		// trailing slash serves as listTokenPolicies, never called.
		{"no subtree that reaches an operation by a trailing slash", Options{API: tokenAPI},
			[]string{"a GET /config/tokenPolicies/p1", "a PUT /config/tokenPolicies/p1", "a GET /config/tokenPolicies/p2/rules"},
			"*:config/tokenPolicies/p1 .:config/tokenPolicies/*/rules", []string{"the API's path /config/tokenPolicies/{id}/rules (GET)",
				"as seen: *:config/tokenPolicies/* would also grant GET /config/tokenPolicies, never called"}},
		// The review's API: a parameter as "*" would grant the literal
		// paths beside it (export, purge, secret.json), never called.
		{"a parameter is * only when it grants no operation not called", Options{API: []Operation{
			{"GET", "/items/{itemId}", "getItem"}, {"DELETE", "/items/{itemId}", "deleteItem"}, {"GET", "/items/export", "exportAllItems"},
			{"POST", "/items/purge", "purgeAllItems"}, {"GET", "/files/{name}.json", "getFile"}, {"GET", "/files/secret.json", "getSecretFile"}}},
			[]string{"a GET /items/1", "a DELETE /items/2", "a GET /files/a.json"},
			".:files/a.json .:items/1 *:items/2", []string{"as seen: .:files/*.json would also grant GET /files/secret.json, never called",
				"as seen: *:items/* would also grant GET /items/export, POST /items/purge, never called",
				"as seen: *:items/* would also grant GET /items/export, POST /items/purge, never called"}},
		{"the read item where the reads grant nothing more", Options{API: []Operation{
			{"GET", "/items/{itemId}", "getItem"}, {"DELETE", "/items/{itemId}", "deleteItem"}, {"POST", "/items/purge", "purgeAllItems"}}},
			[]string{"a GET /items/1", "a DELETE /items/2"},
			".:items/* *:items/2", []string{"read requests of *:items/*, which would also grant POST /items/purge, never called",
				"as seen: *:items/* would also grant POST /items/purge, never called"}},
		{"a parameter is * where every operation it grants was called", Options{API: []Operation{
			{"GET", "/items/{itemId}", "getItem"}, {"DELETE", "/items/{itemId}", "deleteItem"}, {"GET", "/items/export", "exportAllItems"}}, GeneralizeAfter: -1},
			[]string{"a GET /items/1", "a DELETE /items/2", "a GET /items/export", "a GET /files/x"},
			"*:items/** .:files/x", nil},
		{"an operation the paths as seen grant already does not count", Options{API: []Operation{
			{"GET", "/items/{itemId}", "getItem"}, {"PUT", "/items/{itemId}", "putItem"}, {"DELETE", "/items/{itemId}", "deleteItem"}}},
			[]string{"a DELETE /items/1", "a DELETE /items/2"},
			"*:items/*", nil},
		{"a template outside the granted scope: the paths as seen", Options{API: tokenAPI, Within: scope.MustParse(".:config/tokenPolicies/p1 .:config/tokenPolicies/p2"), HasWithin: true},
			[]string{"a GET /config/tokenPolicies/p1", "a GET /config/tokenPolicies/p2"},
			".:config/tokenPolicies/p1 .:config/tokenPolicies/p2", nil},
		{"paths of no template, with templates", Options{API: tokenAPI, GeneralizeAfter: 1},
			[]string{"a GET /config/clients", "a GET /other/1", "a GET /other/2"}, ".:config/clients .:other/*", nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			rep := observe(tc.opts, tc.reqs...)
			c := rep.Clients[0]
			if !c.HasSuggestion {
				t.Fatalf("no suggestion: %+v", c.Checks)
			}
			// Minimize's order is the items' order: compare as sets.
			want, got := scope.MustParse(tc.want), c.Suggestion
			if ab, _ := scope.Covers(want, got); !ab || len(want.Items()) != len(got.Items()) {
				t.Errorf("suggestion %q, want %q", got, tc.want)
			} else if ba, _ := scope.Covers(got, want); !ba {
				t.Errorf("suggestion %q, want %q", got, tc.want)
			}
			if tc.why != nil {
				var why []string
				for _, o := range c.Items {
					why = append(why, o.Why)
				}
				if diff := cmp.Diff(tc.why, why); diff != "" {
					t.Errorf("origins of %q (-want +got):\n%s", got, diff)
				}
			}
			for _, ch := range c.Checks {
				if !ch.Passed {
					t.Errorf("check failed: %+v", ch)
				}
			}
		})
	}
}

// Requests the gateway denied, or that the granted scope does not allow,
// or that no scope can, are counted and listed apart, each distinct one
// once, with its first line.
func TestApart(t *testing.T) {
	reqs := []string{"a GET /config/x", "a DELETE /config/x", "a DELETE /config/x", "a GET /other denied", "a GET /config/y denied",
		"a TRACE /config/x", "a GET /config/%2e%2e/x", "a GET /webhooks/x"}
	rep := observe(within(".:config/** *:webhooks/**"), reqs...)
	c := rep.Clients[0]
	want := []Apart{
		{Method: "DELETE", Target: "/config/x", Why: "allowed by the gateway, but the granted scope denies it (read-only): the log and the scope disagree", Count: 2, First: Line{"log", 2, ""}},
		{Method: "GET", Target: "/other", Why: "denied by the gateway (no-match)", Count: 1, First: Line{"log", 4, ""}},
		{Method: "GET", Target: "/config/y", Why: "denied by the gateway (no-match), though the granted scope allows it", Count: 1, First: Line{"log", 5, ""}},
		{Method: "TRACE", Target: "/config/x", Why: "not a method any scope grants", Count: 1, First: Line{"log", 6, ""}},
		{Method: "GET", Target: "", Why: "the path is not canonical (escaped-byte)", Count: 1, First: Line{"log", 7, ""}},
	}
	if diff := cmp.Diff(want, c.ApartList); diff != "" {
		t.Errorf("listed apart (-want +got):\n%s", diff)
	}
	if c.Requests != 8 || c.Allowed != 2 || c.Apart != 6 || c.Distinct != 2 {
		t.Errorf("counts %+v", c)
	}
	if c.Suggestion.String() != ".:config/x .:webhooks/x" || c.Relation != Narrower {
		t.Errorf("suggestion %q, %v", c.Suggestion, c.Relation)
	}
}

// A path holding "*", or the root "/", is canonical, so a gateway may
// allow it; but no item allows it alone, and written as a pattern it
// would grant every path of its shape. It is listed apart, never written
// as seen, and never excuses an operation of the API the client did not
// call.
func TestUnwritablePaths(t *testing.T) {
	const star = `allowed, but its path holds "*", which a pattern reads as a wildcard: no item allows it alone, so the least scope is not made for it (an upstream seldom has such a path; grant it by hand if the client needs it)`
	const root = `allowed, but it is the root "/", which a pattern matches only with others ("*" matches every one-segment path): no item allows it alone, so the least scope is not made for it (an upstream seldom has such a path; grant it by hand if the client needs it)`
	api := []Operation{{"GET", "/config/clients/{id}", "getClient"}, {"PUT", "/config/clients/{id}", "updateClient"},
		{"DELETE", "/config/clients/{id}", "deleteClient"}, {"GET", "/config/p", "listP"}, {"POST", "/config/p", "createP"},
		{"GET", "/config/p/{id}", "getP"}, {"PUT", "/config/p/{id}", "updateP"}}
	withAPI := within("*:**")
	withAPI.API = api
	tests := []struct {
		name  string
		opts  Options
		reqs  []string
		want  string
		apart []string // method, path and why of each request listed apart
	}{
		{"stars in a path", Options{}, []string{"a GET /a/x**y", "a GET /a/b"}, ".:a/b", []string{"GET /a/x**y " + star}},
		{"a path of stars", within("*:**"), []string{"a DELETE /*/*/*", "a GET /*"}, "", []string{"DELETE /*/*/* " + star, "GET /* " + star}},
		{"the root path", Options{}, []string{"a GET /"}, "", []string{"GET / " + root}},
		{"the root path within a scope that allows only it", within(".:* .:a/b"), []string{"a GET /", "a GET /a/b"}, ".:a/b", []string{"GET / " + root}},
		{"a path of stars excuses no operation", withAPI, []string{"a DELETE /config/clients/*", "a GET /config/clients/c1"},
			".:config/clients/*", []string{"DELETE /config/clients/* " + star}},
		{"a path of stars excuses no operation of a subtree", withAPI, []string{"a PUT /config/*", "a PUT /config/p/1", "a GET /config/p/2"},
			"*:config/p/1 .:config/p/2", []string{"PUT /config/* " + star}},
		{"generalised paths still cover the star's shape", Options{GeneralizeAfter: 1}, []string{"a GET /c/1", "a GET /c/2", "a GET /c/*"},
			".:c/*", []string{"GET /c/* " + star}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			c := observe(tc.opts, tc.reqs...).Clients[0]
			if !c.HasSuggestion {
				t.Fatalf("no suggestion: %+v", c.Checks)
			}
			if got := c.Suggestion.String(); got != tc.want {
				t.Errorf("suggestion %q, want %q", got, tc.want)
			}
			var apart []string
			for _, a := range c.ApartList {
				apart = append(apart, a.Method+" "+a.Target+" "+a.Why)
			}
			if diff := cmp.Diff(tc.apart, apart); diff != "" {
				t.Errorf("listed apart (-want +got):\n%s", diff)
			}
			for _, o := range c.Items {
				if strings.HasPrefix(o.Why, "as seen") && strings.Contains(strings.TrimLeft(o.Item, ".*:"), "*") {
					t.Errorf("%s written as seen: %s", o.Item, o.Why)
				}
			}
			for _, ch := range c.Checks {
				if !ch.Passed {
					t.Errorf("check failed: %+v", ch)
				}
			}
		})
	}
}

// A log that holds only the request line (combined, JSON lines) is read
// as serve reads that line: a method override in its query is a request
// serve decided too (it allowed GET /k?_method=DELETE only because the
// scope allows DELETE /k), and a POST or an override that does not decode
// may mean any method.
func TestRequestLineOverrides(t *testing.T) {
	for _, tc := range []struct {
		name, method, target string
		want                 string
	}{
		{"no override", "GET", "/config/k?x=1", ".:config/k"},
		{"_method", "GET", "/config/k?_method=DELETE", "*:config/k"},
		{"__METHOD_OVERRIDE__", "GET", "/config/k?__METHOD_OVERRIDE__=put", "*:config/k"},
		{"an override after ';'", "GET", "/config/k?x=1;_method=PATCH", "*:config/k"},
		{"an override that does not decode", "HEAD", "/config/k?_method=%ZZ", "*:config/k"},
		{"an override to GET", "GET", "/config/k?_method=GET", ".:config/k"},
		{"an override to get, which only a read-write item grants", "GET", "/config/k?_method=get", "*:config/k"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			o := NewObserver(within("*:**"))
			o.Add("log", accesslog.Record{Line: 1, Client: "c", Method: tc.method, Target: tc.target, Outcome: accesslog.Allowed})
			c := o.Suggest().Clients[0]
			if !c.HasSuggestion || c.Suggestion.String() != tc.want {
				t.Errorf("suggestion %q (%v), want %q: %+v", c.Suggestion, c.HasSuggestion, tc.want, c.Checks)
			}
			if !strings.Contains(c.Checks[0].Detail, "only the request line was seen") {
				t.Errorf("the first check does not say that header sources were not seen: %q", c.Checks[0].Detail)
			}
		})
	}
}

// What each granted item allowed, with reads and writes apart; and, with
// an API, the operations the granted scope allows that were not called.
func TestUse(t *testing.T) {
	opts := within("*:config/** .:config/tokenPolicies/** *:webhooks/** openid")
	opts.API = tokenAPI
	rep := observe(opts, "a GET /config/tokenPolicies/p1", "a GET /config/tokenPolicies/p2", "a GET /config/clients", "b PUT /config/tokenPolicies/p1")
	a, b := rep.Clients[0], rep.Clients[1]
	wantA := []ItemUse{{"*:config/**", 3, 0}, {".:config/tokenPolicies/**", 2, 0}, {"*:webhooks/**", 0, 0}, {"openid", 0, 0}}
	wantB := []ItemUse{{"*:config/**", 0, 1}, {".:config/tokenPolicies/**", 0, 0}, {"*:webhooks/**", 0, 0}, {"openid", 0, 0}}
	if diff := cmp.Diff(wantA, a.Use); diff != "" {
		t.Errorf("a's use (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff(wantB, b.Use); diff != "" {
		t.Errorf("b's use (-want +got):\n%s", diff)
	}
	var reachable, unusedA, unusedB []string
	for _, i := range rep.Reachable {
		reachable = append(reachable, tokenAPI[i].ID)
	}
	for _, i := range a.Unused {
		unusedA = append(unusedA, tokenAPI[i].ID)
	}
	for _, i := range b.Unused {
		unusedB = append(unusedB, tokenAPI[i].ID)
	}
	if diff := cmp.Diff([]string{"listTokenPolicies", "getTokenPolicy", "updateTokenPolicy", "getRules", "listClients"}, reachable); diff != "" {
		t.Errorf("reachable (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff([]string{"listTokenPolicies", "updateTokenPolicy", "getRules"}, unusedA); diff != "" {
		t.Errorf("a's unused operations (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff([]string{"listTokenPolicies", "getTokenPolicy", "getRules", "listClients"}, unusedB); diff != "" {
		t.Errorf("b's unused operations (-want +got):\n%s", diff)
	}
}

// Past the bound of clients, requests are counted and the report says
// so; past the bound of values, they are kept as a pattern, and the
// report says where.
func TestBounds(t *testing.T) {
	reqs := append(times(3, "a", "GET", "/c/%d/x"), "b GET /z", "c GET /z")
	rep := observe(Options{MaxClients: 2, MaxValues: 2}, reqs...)
	want := []Exceeded{{Bound: "values", Limit: 2, Client: "a", Where: "c", Requests: 1}, {Bound: "clients", Limit: 2, Requests: 1}}
	if diff := cmp.Diff(want, rep.Exceeded); diff != "" {
		t.Errorf("exceeded (-want +got):\n%s", diff)
	}
	if rep.ClientsOverBound != 1 || len(rep.Clients) != 2 || rep.Clients[0].Summarised != 1 {
		t.Errorf("report %+v", rep)
	}
}

// The bounds of paths and memory are shared by all clients: where one is
// reached, the report says how many path prefixes the client held, of
// all kept, so that a client starved by another is told apart.
func TestSharedBoundsSayWhoHeldThem(t *testing.T) {
	reqs := append(times(5, "attacker", "GET", "/webhooks/x%d"), "victim DELETE /config/clients/c1")
	rep := observe(Options{MaxPaths: 4}, reqs...)
	want := []Exceeded{
		{Bound: "paths", Limit: 4, Client: "attacker", Where: "webhooks", Requests: 2, ClientPaths: 4, Paths: 4},
		{Bound: "paths", Limit: 4, Client: "victim", Requests: 1, ClientPaths: 0, Paths: 4},
	}
	if diff := cmp.Diff(want, rep.Exceeded); diff != "" {
		t.Errorf("exceeded (-want +got):\n%s", diff)
	}
}

func TestTemplateMatch(t *testing.T) {
	a := newAPIIndex([]Operation{{"GET", "/a/{id}", ""}, {"GET", "/a/me", ""}, {"GET", "/f/{n}.{ext}", ""}, {"GET", "/g/x{a}y{b}z", ""}, {"GET", "/bad/{x", ""}})
	for path, want := range map[string]string{
		"/a/me": "/a/me", "/a/x": "/a/{id}", "/a/": "", "/a/x/y": "", "/f/a.b": "/f/{n}.{ext}", "/f/.b": "", "/f/a.": "",
		"/f/a.b.c": "/f/{n}.{ext}", "/g/xAyBz": "/g/x{a}y{b}z", "/g/xyBz": "", "/g/xAyz": "", "/g/xyyyz": "/g/x{a}y{b}z", "/bad/x": "",
	} {
		got := ""
		if k := a.match(splitPath(path, nil)); k >= 0 {
			got = a.tmpls[k].text
		}
		if got != want {
			t.Errorf("%s: template %q, want %q", path, got, want)
		}
	}
	for tmpl, want := range map[string]string{"/a/{id}": "a/*", "/f/{n}.{ext}": "f/*.*", "/g/{a}{b}": "g/*", "/": ""} {
		if got := compileTemplate(tmpl).pattern; got != want {
			t.Errorf("%s: pattern %q, want %q", tmpl, got, want)
		}
	}
}

func TestTargetPath(t *testing.T) {
	for target, want := range map[string]string{"/a/b?x=1": "/a/b", "http://api/a?x": "/a", "https://api": "", "http://api#/x": "", "a/b": "a/b", "*": "*"} {
		if got := targetPath(target); got != want {
			t.Errorf("targetPath(%q) = %q, want %q", target, got, want)
		}
	}
}

// What a client sends is bounded in bytes where it is kept: a long path
// is listed apart, a long client name clipped, a long method decided by
// its class, and a path past MaxBytes kept as the pattern of a prefix.
func TestByteBounds(t *testing.T) {
	long := strings.Repeat("x", MaxPathLen)
	method := "PROPFIND" + strings.Repeat("X", MaxMethodLen)
	reqs := []string{"a GET /" + long, strings.Repeat("c", 600) + " GET /x", "a " + method + " /abcdef"}
	// The bytes the first requests hold: the bound leaves no room for more.
	probe := NewObserver(Options{})
	for i, r := range reqs {
		f := strings.Fields(r)
		probe.Add("log", accesslog.Record{Line: int64(i + 1), Client: f[0], Method: f[1], Path: f[2], HasPath: true, Outcome: accesslog.Allowed})
	}
	// Nodes and leaves may take all but the last eighth, which is kept for
	// the leaves that keep requests as a pattern past the bound.
	max := (probe.held + 10) * 8 / 7
	rep := observe(Options{MaxBytes: max}, append(reqs, "a GET /abcdef/ghijk")...)
	a, c := rep.Clients[0], rep.Clients[1]
	if a.Apart != 1 || a.ApartList[0].Why != "the path is longer than 4096 bytes, and is not analysed" {
		t.Errorf("a long path: %+v", a.ApartList)
	}
	if len(c.Name) > 600 || !strings.HasSuffix(c.Name, "…(+88 bytes)") {
		t.Errorf("a long client name kept as %q", c.Name)
	}
	if got := a.Suggestion.String(); got != "*:abcdef .:abcdef/**" || !a.HasSuggestion {
		t.Errorf("suggestion %q: %+v", got, a.Checks)
	}
	if len(rep.Exceeded) != 1 || rep.Exceeded[0].Bound != "memory" || rep.Exceeded[0].Where != "abcdef" || rep.Held > max {
		t.Errorf("exceeded %+v, %d bytes held of %d", rep.Exceeded, rep.Held, max)
	}
}

// A path serve's log holds cut to its bound is not read back as a path.
func TestClippedPath(t *testing.T) {
	o := NewObserver(Options{})
	o.Add("log", accesslog.Record{Line: 1, Client: "a", Method: "GET", Path: gateway.Clip("/config/" + strings.Repeat("z", 600)), HasPath: true, Outcome: accesslog.Allowed})
	c := o.Suggest().Clients[0]
	if c.Apart != 1 || c.ApartList[0].Why != "the log holds the path cut to 512 bytes (gateway.Clip), and the rest cannot be read back" {
		t.Errorf("%+v", c.ApartList)
	}
}

// serve allows a request only when the scope allows every method and
// target its sources mean together (X-Rewrite-URL, X-Original-URL, a
// method override, a POST's body that may carry _method), and logs them:
// the suggestion allows each of them too, and the use of the granted
// items counts them.
func TestSources(t *testing.T) {
	src := func(name, method, target string) accesslog.Source {
		if method == "(any)" {
			return accesslog.Source{Name: name, AnyMethod: true, Target: target}
		}
		return accesslog.Source{Name: name, Method: method, Target: target}
	}
	tests := []struct {
		name    string
		within  string
		rec     accesslog.Record
		want    string
		use     []ItemUse
		apart   string
		allowed []string // "METHOD PATH" the suggestion allows; "* PATH" for every method
	}{
		{"a second target", ".:config/**",
			accesslog.Record{Method: "GET", Target: "/acme/config/clients", Path: "/config/clients",
				Sources: []accesslog.Source{src("X-Rewrite-Url", "GET", "/acme/config/tokenPolicies")}},
			".:config/clients .:config/tokenPolicies", []ItemUse{{".:config/**", 2, 0}}, "", []string{"GET /config/clients", "GET /config/tokenPolicies"}},
		{"a method override", "*:webhooks/**",
			accesslog.Record{Method: "GET", Target: "/acme/webhooks/subscriptions/s1", Path: "/webhooks/subscriptions/s1",
				Sources: []accesslog.Source{src("X-Http-Method-Override", "DELETE", "/acme/webhooks/subscriptions/s1")}},
			"*:webhooks/subscriptions/s1", []ItemUse{{"*:webhooks/**", 1, 1}}, "", []string{"GET /webhooks/subscriptions/s1", "DELETE /webhooks/subscriptions/s1"}},
		{"every method a POST's body may mean, on each target", "*:**",
			accesslog.Record{Method: "POST", Target: "/acme/a", Path: "/a",
				Sources: []accesslog.Source{src("X-Original-Url", "POST", "/acme/b"), src("POST body", "(any)", "/acme/a")}},
			"*:a *:b", nil, "", []string{"* /a", "* /b"}},
		{"methods and targets together", "*:**",
			accesslog.Record{Method: "GET", Target: "/t/a", Path: "/a",
				Sources: []accesslog.Source{src("X-Http-Method-Override", "put", "/t/a"), src("X-Original-Url", "GET", "/t/b")}},
			"*:a *:b", nil, "", []string{"GET /a", "put /a", "PUT /a", "GET /b", "put /b", "PUT /b"}},
		{"a lower-case method is decided upper-case too", "*:**",
			accesslog.Record{Method: "delete", Target: "/a", Path: "/a"},
			"*:a", nil, "", []string{"delete /a", "DELETE /a"}},
		{"a source the granted scope denies", ".:config/**",
			accesslog.Record{Method: "GET", Target: "/acme/config/clients", Path: "/config/clients",
				Sources: []accesslog.Source{src("X-Http-Method-Override", "DELETE", "/acme/config/clients")}},
			"", nil, "allowed by the gateway, but the granted scope denies DELETE /config/clients, which a source of it means: the log and the scope disagree", nil},
		{"a source's target cut in the log", "*:**",
			accesslog.Record{Method: "GET", Target: "/acme/a", Path: "/a",
				Sources: []accesslog.Source{src("X-Original-Url", "GET", gateway.Clip("/acme/"+strings.Repeat("b", 600)))}},
			"", nil, "the log holds a source's target cut to 512 bytes (gateway.Clip), and the rest cannot be read back", nil},
		{"a source's target that is not canonical", "*:**",
			accesslog.Record{Method: "GET", Target: "/acme/a", Path: "/a",
				Sources: []accesslog.Source{src("X-Original-Url", "GET", "/acme/%2e%2e/b")}},
			"", nil, "a source's target is not canonical (escaped-byte), though the gateway allowed the request", nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			o := NewObserver(within(tc.within))
			rec := tc.rec
			rec.Line, rec.Client, rec.HasPath, rec.Outcome = 1, "c", true, accesslog.Allowed
			o.Add("log", rec)
			c := o.Suggest().Clients[0]
			if tc.apart != "" {
				if c.Allowed != 0 || len(c.ApartList) != 1 || c.ApartList[0].Why != tc.apart {
					t.Errorf("listed apart %+v, want %q", c.ApartList, tc.apart)
				}
				return
			}
			if !c.HasSuggestion || c.Suggestion.String() != tc.want {
				t.Errorf("suggestion %q, want %q: %+v", c.Suggestion, tc.want, c.Checks)
			}
			if tc.use != nil {
				if diff := cmp.Diff(tc.use, c.Use); diff != "" {
					t.Errorf("use (-want +got):\n%s", diff)
				}
			}
			m := match.Compile(c.Suggestion)
			for _, r := range tc.allowed {
				method, path, _ := strings.Cut(r, " ")
				if method == "*" && !m.AllowEveryMethod(path) || method != "*" && !m.Allow(method, path) {
					t.Errorf("%q does not allow %s", c.Suggestion, r)
				}
			}
		})
	}
}
